//! `gazette config check`'s first part: every effective setting, one per line, secrets masked.

use gazette_secrets::SecretUrl;

use crate::config::Config;

impl Config {
    /// The effective settings, one per line, secrets masked.
    pub fn describe(&self) -> String {
        self.effective_settings()
            .iter()
            .map(|(key, value)| format!("{key} = {value}\n"))
            .collect()
    }

    /// The effective settings as (file key, value), secrets masked.
    pub fn effective_settings(&self) -> Vec<(&'static str, String)> {
        let retry: Vec<String> = self
            .broker
            .retry
            .delays
            .iter()
            .map(|d| format!("{d:?}"))
            .collect();
        [
            ("amqp_url", self.broker.url.redacted()),
            ("namespace", self.broker.namespace.clone()),
            ("store", self.store_url.clone()),
            (
                "archive",
                self.archive_url
                    .clone()
                    .unwrap_or_else(|| "(unset: required with an s3:// store)".to_owned()),
            ),
            (
                "public_url",
                self.site
                    .public_url
                    .clone()
                    .unwrap_or_else(|| "(unset)".to_owned()),
            ),
            ("site_name", self.site.name.clone()),
            (
                "site_sections",
                match self.site.sections.is_empty() {
                    true => "(none)".to_owned(),
                    false => self
                        .site
                        .sections
                        .iter()
                        .map(|s| format!("{}={}", s.slug, s.name))
                        .collect::<Vec<_>>()
                        .join(","),
                },
            ),
            ("timezone", self.site.time_zone.name().to_owned()),
            (
                "most_read_refresh",
                format!("{:?}", self.index.most_read_refresh),
            ),
            (
                "search",
                match self.site.search {
                    true => "on",
                    false => "off",
                }
                .to_owned(),
            ),
            (
                "search_interval",
                format!("{:?}", self.index.search_interval),
            ),
            (
                "media_widths",
                self.media
                    .variants
                    .widths
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("media_threads", self.media.threads.to_string()),
            (
                "media_fetch_timeout",
                format!("{:?}", self.media.fetch_timeout),
            ),
            (
                "media_allow_cidrs",
                match self.media.allowed.allowed() {
                    cidrs if cidrs.is_empty() => "(unset)".to_owned(),
                    cidrs => cidrs,
                },
            ),
            (
                "theme_dir",
                self.theme_dir
                    .as_ref()
                    .map_or_else(|| "(built-in)".to_owned(), |d| d.display().to_string()),
            ),
            (
                "http_addr",
                self.http_addr
                    .map_or_else(|| "(unset)".to_owned(), |a| a.to_string()),
            ),
            ("prefetch", self.broker.prefetch.to_string()),
            ("concurrency", self.broker.concurrency.to_string()),
            (
                "max_message_bytes",
                self.broker.max_message_bytes.to_string(),
            ),
            ("delivery_limit", self.broker.delivery_limit.to_string()),
            (
                "handler_timeout",
                format!("{:?}", self.broker.handler_timeout),
            ),
            (
                "shutdown_grace",
                format!("{:?}", self.broker.shutdown_grace),
            ),
            ("retry_delays", retry.join(",")),
            (
                "retry_max_attempts",
                self.broker.retry.max_attempts.to_string(),
            ),
            ("database_url", self.notifier.database_url.redacted()),
            (
                "webhook_allow_cidrs",
                match self.notifier.webhook_policy.allowed() {
                    allowed if allowed.is_empty() => "(none)".to_owned(),
                    allowed => allowed,
                },
            ),
            (
                "webhook_timeout",
                format!("{:?}", self.notifier.webhook_timeout),
            ),
            (
                "webhook_clock_factor",
                self.notifier.clock_factor.to_string(),
            ),
            (
                "smtp_url",
                self.notifier
                    .smtp_url
                    .as_ref()
                    .map_or_else(|| "(unset)".to_owned(), SecretUrl::redacted),
            ),
            ("mail_from", self.notifier.mail_from.clone()),
            ("api_url", self.notifier.api_url.clone()),
            (
                "api_token",
                if self.notifier.api_token.is_some() {
                    "***"
                } else {
                    "(unset)"
                }
                .to_owned(),
            ),
            (
                "log",
                self.log_filter
                    .clone()
                    .unwrap_or_else(|| "(default)".to_owned()),
            ),
            (
                "otlp_endpoint",
                self.otlp_endpoint
                    .clone()
                    .unwrap_or_else(|| "(unset)".to_owned()),
            ),
            (
                "log_format",
                if self.json_logs { "json" } else { "text" }.to_owned(),
            ),
        ]
        .into()
    }
}
