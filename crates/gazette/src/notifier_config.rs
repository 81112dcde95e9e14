//! The notifier's settings: the subscriptions database, the webhook client's guard and clock, SMTP, and the subscription API.

use std::time::Duration;

use gazette_secrets::{SecretString, SecretUrl};
use gazette_subscribers::DatabaseUrl;
use gazette_webhooks::AddressPolicy;

use crate::lookup::{ConfigError, Env};

/// The notifier's settings: subscriptions, webhooks, mail, the API.
#[derive(Debug, Clone)]
pub struct NotifierConfig {
    pub database_url: DatabaseUrl,
    pub webhook_policy: AddressPolicy,
    pub webhook_timeout: Duration,
    /// The retry schedule runs this many times faster (tests, staging).
    pub clock_factor: u32,
    /// `smtp://…`; email subscriptions need it. May hold a password.
    pub smtp_url: Option<SecretUrl>,
    pub mail_from: String,
    /// Where the subscription API is reachable from outside, for mail links.
    pub api_url: String,
    /// Bearer token for managing webhooks over HTTP; unset switches that part off.
    pub api_token: Option<ApiToken>,
}

/// A bearer token that never reaches a log line.
pub type ApiToken = SecretString;

pub(crate) fn notifier_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    http_addr: Option<std::net::SocketAddr>,
) -> Result<NotifierConfig, ConfigError> {
    let raw = env.text("GAZETTE_DATABASE_URL")?;
    let database_url = DatabaseUrl::parse(&raw).map_err(|_| {
        env.invalid(
            "GAZETTE_DATABASE_URL",
            &redact_url(&raw),
            "expected sqlite://FILE or postgres://USER:PASSWORD@HOST/DATABASE",
        )
    })?;
    let allowed = env
        .optional("GAZETTE_WEBHOOK_ALLOW_CIDRS")?
        .unwrap_or_default();
    let webhook_policy = AddressPolicy::with_allowed(&allowed).map_err(|e| {
        env.invalid(
            "GAZETTE_WEBHOOK_ALLOW_CIDRS",
            &allowed,
            &format!(
                "{:?} is not a CIDR; expected a comma-separated list such as 10.1.0.0/16,fd00::/8",
                e.entry
            ),
        )
    })?;
    let clock_factor = env.whole("GAZETTE_WEBHOOK_CLOCK_FACTOR")?;
    let smtp_url = env.optional("GAZETTE_SMTP_URL")?;
    if let Some(smtp) = &smtp_url {
        if !matches!(url::Url::parse(smtp), Ok(u) if matches!(u.scheme(), "smtp" | "smtps")) {
            return Err(env.invalid(
                "GAZETTE_SMTP_URL",
                &redact_url(smtp),
                "expected smtp://HOST:PORT, smtp://HOST:PORT?tls=required or smtps://USER:PASSWORD@HOST",
            ));
        }
    }
    let default_api = http_addr.map_or_else(
        || "http://127.0.0.1:8080".to_owned(),
        |addr| format!("http://{addr}"),
    );
    let api_url = env.optional("GAZETTE_API_URL")?.unwrap_or(default_api);
    if !matches!(url::Url::parse(&api_url), Ok(u) if matches!(u.scheme(), "http" | "https")) {
        return Err(env.invalid(
            "GAZETTE_API_URL",
            &api_url,
            "expected the subscription API's public base URL, such as https://tin.example.vn",
        ));
    }
    Ok(NotifierConfig {
        database_url,
        webhook_policy,
        webhook_timeout: env.duration("GAZETTE_WEBHOOK_TIMEOUT")?,
        clock_factor,
        smtp_url: smtp_url.map(SecretUrl::new),
        mail_from: env.text("GAZETTE_MAIL_FROM")?,
        api_url,
        api_token: env.optional("GAZETTE_API_TOKEN")?.map(SecretString::new),
    })
}

/// A URL with its password masked, for settings that may carry one;
/// `<redacted>` when it does not parse.
pub(crate) fn redact_url(raw: &str) -> String {
    SecretUrl::new(raw).redacted()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::Config;
    use crate::config::tests::config;

    fn stage(name: &str) -> gazette_broker::StageSpec {
        gazette_stages::stage(name)
            .unwrap_or_else(|| panic!("no stage {name}"))
            .spec
    }

    #[test]
    fn the_notifier_defaults_to_sqlite_and_the_webhook_schedule() {
        let config = config(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            config.notifier.database_url.redacted(),
            "sqlite://gazette.db"
        );
        let deliver = config.broker.retry_for(&stage("deliver"));
        assert_eq!(deliver.delays.first(), Some(&Duration::from_secs(5)));
        assert_eq!(deliver.delays.last(), Some(&Duration::from_secs(36_000)));
        assert_eq!(deliver.max_attempts, 7);
        // Other stages keep the common policy.
        assert_eq!(
            config.broker.retry_for(&stage("publish")).delays,
            config.broker.retry.delays
        );
        let fast = config_with(&[("GAZETTE_WEBHOOK_CLOCK_FACTOR", "3600")]);
        assert_eq!(
            fast.broker.retry_for(&stage("deliver")).delays[1],
            Duration::from_millis(83)
        );
    }

    #[test]
    fn notifier_settings_are_checked() {
        let err = |pairs: &[(&str, &str)]| {
            config(pairs)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(
            err(&[("GAZETTE_WEBHOOK_ALLOW_CIDRS", "10.0.0.0/8,nope")])
                .starts_with("GAZETTE_WEBHOOK_ALLOW_CIDRS=")
        );
        assert!(
            err(&[("GAZETTE_DATABASE_URL", "mysql://u:pw@db/x")])
                .starts_with("GAZETTE_DATABASE_URL=")
        );
        assert!(!err(&[("GAZETTE_DATABASE_URL", "mysql://u:pw@db/x")]).contains("pw"));
        assert!(err(&[("GAZETTE_SMTP_URL", "http://mail")]).starts_with("GAZETTE_SMTP_URL="));
        let described = config_with(&[
            ("GAZETTE_SMTP_URL", "smtps://tin:s3cret@mail.example.vn"),
            ("GAZETTE_API_TOKEN", "t0ken"),
        ])
        .describe();
        assert!(
            !described.contains("s3cret") && !described.contains("t0ken"),
            "{described}"
        );
    }

    fn config_with(pairs: &[(&str, &str)]) -> Config {
        config(pairs).unwrap_or_else(|e| panic!("{e}"))
    }
}
