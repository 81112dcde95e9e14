//! The optional configuration file: typed TOML whose keys are the `GAZETTE_*` variables' names, lower-case and without the prefix.
//!
//! Layering is "file, then environment": a variable that is set wins over
//! the file. Unknown keys are errors, so a typo cannot silently fall back to
//! a default.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("the configuration file {path} cannot be read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// Every setting the file may hold; see README.md's configuration reference.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    amqp_url: Option<String>,
    namespace: Option<String>,
    store: Option<String>,
    archive: Option<String>,
    public_url: Option<String>,
    site_name: Option<String>,
    timezone: Option<String>,
    theme_dir: Option<String>,
    http_addr: Option<String>,
    prefetch: Option<u16>,
    concurrency: Option<usize>,
    max_message_bytes: Option<usize>,
    delivery_limit: Option<u32>,
    handler_timeout: Option<String>,
    shutdown_grace: Option<String>,
    retry_delays: Option<Vec<String>>,
    retry_max_attempts: Option<u32>,
    log: Option<String>,
    log_format: Option<String>,
    otlp_endpoint: Option<String>,
}

impl ConfigFile {
    pub fn read(path: &Path) -> Result<Self, ConfigFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|reason| ConfigFileError::Invalid {
            path: path.to_owned(),
            reason,
        })
    }

    fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))
    }

    /// The file's value for the variable `name`, as the variable would spell it.
    pub fn get(&self, name: &str) -> Option<String> {
        match name {
            "GAZETTE_AMQP_URL" => self.amqp_url.clone(),
            "GAZETTE_NAMESPACE" => self.namespace.clone(),
            "GAZETTE_STORE" => self.store.clone(),
            "GAZETTE_ARCHIVE" => self.archive.clone(),
            "GAZETTE_PUBLIC_URL" => self.public_url.clone(),
            "GAZETTE_SITE_NAME" => self.site_name.clone(),
            "GAZETTE_TIMEZONE" => self.timezone.clone(),
            "GAZETTE_THEME_DIR" => self.theme_dir.clone(),
            "GAZETTE_HTTP_ADDR" => self.http_addr.clone(),
            "GAZETTE_PREFETCH" => self.prefetch.map(|n| n.to_string()),
            "GAZETTE_CONCURRENCY" => self.concurrency.map(|n| n.to_string()),
            "GAZETTE_MAX_MESSAGE_BYTES" => self.max_message_bytes.map(|n| n.to_string()),
            "GAZETTE_DELIVERY_LIMIT" => self.delivery_limit.map(|n| n.to_string()),
            "GAZETTE_HANDLER_TIMEOUT" => self.handler_timeout.clone(),
            "GAZETTE_SHUTDOWN_GRACE" => self.shutdown_grace.clone(),
            "GAZETTE_RETRY_DELAYS" => self.retry_delays.as_ref().map(|delays| delays.join(",")),
            "GAZETTE_RETRY_MAX_ATTEMPTS" => self.retry_max_attempts.map(|n| n.to_string()),
            "GAZETTE_LOG" => self.log.clone(),
            "GAZETTE_LOG_FORMAT" => self.log_format.clone(),
            "GAZETTE_OTLP_ENDPOINT" => self.otlp_endpoint.clone(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_keys_map_to_variables() {
        let file = ConfigFile::parse(
            "namespace = \"quan\"\nprefetch = 32\nretry_delays = [\"1s\", \"10s\"]\n",
        )
        .unwrap_or_default();
        assert_eq!(file.get("GAZETTE_NAMESPACE").as_deref(), Some("quan"));
        assert_eq!(file.get("GAZETTE_PREFETCH").as_deref(), Some("32"));
        assert_eq!(file.get("GAZETTE_RETRY_DELAYS").as_deref(), Some("1s,10s"));
        assert_eq!(file.get("GAZETTE_STORE"), None);
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_refused() {
        let typo = ConfigFile::parse("prefech = 32\n")
            .err()
            .unwrap_or_default();
        assert!(typo.contains("unknown field `prefech`"), "{typo}");
        let wrong = ConfigFile::parse("prefetch = \"lots\"\n")
            .err()
            .unwrap_or_default();
        assert!(wrong.contains("invalid type"), "{wrong}");
    }
}
