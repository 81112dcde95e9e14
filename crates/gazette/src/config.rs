//! Settings from the environment, checked at start, each failure named after the variable to fix.
//!
//! Every setting has a default that works on a developer machine with a
//! local RabbitMQ; see the configuration reference in README.md.

use std::path::{Path, PathBuf};

use gazette_broker::{AmqpUrl, BrokerSettings, RetryPolicy};
use gazette_render::Section;
use gazette_stages::{IndexSettings, MediaSettings, PublishSettings, SiteSettings};

use crate::config_file::ConfigFile;
pub use crate::lookup::ConfigError;
use crate::lookup::Env;
use crate::notifier_config::notifier_settings;
pub use crate::notifier_config::{ApiToken, NotifierConfig};
use crate::store_config::{archive_url, default_store_url};

/// Everything the binary reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub broker: BrokerSettings,
    /// The public site: only what readers should see.
    pub store_url: String,
    /// Gazette's private state: revision copies, the indexer's state.
    /// `None` only for an S3 site without `GAZETTE_ARCHIVE`, which the
    /// commands that use the stores refuse.
    pub archive_url: Option<String>,
    pub site: SiteSettings,
    pub publish: PublishSettings,
    /// The indexer's timers: the "most read" block and the search index.
    pub index: IndexSettings,
    /// Pictures: widths, threads, where they may be fetched from.
    pub media: MediaSettings,
    pub theme_dir: Option<PathBuf>,
    pub json_logs: bool,
    /// Where `/metrics`, `/healthz` and `/readyz` are served; none when unset.
    pub http_addr: Option<std::net::SocketAddr>,
    /// A `tracing` filter (`GAZETTE_LOG`); the default when unset.
    pub log_filter: Option<String>,
    /// Base URL of an OTLP/HTTP collector (`http://collector:4318`); no export when unset.
    pub otlp_endpoint: Option<String>,
    pub notifier: NotifierConfig,
}

impl Config {
    /// The environment over the optional file: a variable that is set wins.
    pub fn load(file: Option<&Path>) -> Result<Self, anyhow::Error> {
        let file = match file {
            Some(path) => Some((path, ConfigFile::read(path)?)),
            None => None,
        };
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let layered =
            |name: &str| env(name).or_else(|| file.as_ref().and_then(|(_, f)| f.get(name)));
        Self::from_lookup(layered).map_err(|e| match &file {
            // Name the file when the bad value came from it, not from the variable.
            Some((path, f)) if env(e.name).is_none() && f.get(e.name).is_some() => {
                let place = format!("in {} (key {})", path.display(), file_key(e.name));
                anyhow::Error::new(e).context(place)
            }
            _ => anyhow::Error::new(e),
        })
    }

    /// `GAZETTE_ARCHIVE`, for the commands that use the stores; its absence
    /// (only possible with an S3 site) as the one sentence to show.
    pub fn archive(&self) -> Result<&str, String> {
        self.archive_url
            .as_deref()
            .ok_or_else(|| crate::store_config::missing_archive(&self.store_url))
    }

    /// `lookup` returns a variable's value; tests pass a map instead of the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let url = env.text("GAZETTE_AMQP_URL")?;
        let nodes = gazette_broker::node_urls(&url);
        let amqp = |node: &&str| matches!(url::Url::parse(node), Ok(parsed) if matches!(parsed.scheme(), "amqp" | "amqps"));
        if nodes.is_empty() || !nodes.iter().all(amqp) {
            return Err(env.invalid(
                "GAZETTE_AMQP_URL",
                &AmqpUrl::new(url).redacted(),
                "expected amqp://USER:PASSWORD@HOST:PORT/VHOST, or a cluster's nodes as such URLs separated by commas",
            ));
        }
        let namespace = env.text("GAZETTE_NAMESPACE")?;
        if namespace.is_empty()
            || namespace.len() > 64
            || !namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(env.invalid(
                "GAZETTE_NAMESPACE",
                &namespace,
                "expected 1 to 64 ASCII letters, digits, '-', '_' or '.'",
            ));
        }

        let mut broker = BrokerSettings::new(AmqpUrl::new(url), namespace);
        broker.prefetch = env.whole("GAZETTE_PREFETCH")?;
        broker.concurrency = env.whole("GAZETTE_CONCURRENCY")?;
        broker.max_message_bytes = env.whole("GAZETTE_MAX_MESSAGE_BYTES")?;
        broker.delivery_limit = env.whole("GAZETTE_DELIVERY_LIMIT")?;
        broker.handler_timeout = env.duration("GAZETTE_HANDLER_TIMEOUT")?;
        broker.shutdown_grace = env.duration("GAZETTE_SHUTDOWN_GRACE")?;
        broker.retry = RetryPolicy {
            delays: env.durations("GAZETTE_RETRY_DELAYS")?,
            max_attempts: env.whole("GAZETTE_RETRY_MAX_ATTEMPTS")?,
        };

        let store_url = match env.optional("GAZETTE_STORE")? {
            Some(url) => url,
            None => default_store_url(),
        };
        let archive_url = archive_url(&env, &store_url)?;
        let public_url = env.optional("GAZETTE_PUBLIC_URL")?;
        if let Some(public) = &public_url {
            if !matches!(url::Url::parse(public), Ok(u) if matches!(u.scheme(), "http" | "https")) {
                return Err(env.invalid(
                    "GAZETTE_PUBLIC_URL",
                    public,
                    "expected the site's base URL, such as https://quan.example.vn/",
                ));
            }
        }
        let zone_name = env.text("GAZETTE_TIMEZONE")?;
        let time_zone = zone_name.parse::<chrono_tz::Tz>().map_err(|_| {
            env.invalid(
                "GAZETTE_TIMEZONE",
                &zone_name,
                "expected an IANA time zone such as Asia/Ho_Chi_Minh",
            )
        })?;
        let search = match env.text("GAZETTE_SEARCH")?.as_str() {
            "on" => true,
            "off" => false,
            other => return Err(env.invalid("GAZETTE_SEARCH", other, "expected on or off")),
        };
        let mut site = SiteSettings {
            name: env.text("GAZETTE_SITE_NAME")?,
            search,
            public_url: public_url.clone(),
            time_zone,
            sections: sections(&env)?,
            views_api: None,
        };
        let publish = PublishSettings {
            public_url,
            ..PublishSettings::default()
        };
        let index = IndexSettings {
            most_read_refresh: env.duration("GAZETTE_MOST_READ_REFRESH")?,
            search_interval: env.duration("GAZETTE_SEARCH_INTERVAL")?,
            search_builder: search_builder(),
            ..IndexSettings::default()
        };
        let media = crate::media_config::media_settings(&env)?;
        let log_format = env.text("GAZETTE_LOG_FORMAT")?;
        let json_logs = match log_format.as_str() {
            "text" => false,
            "json" => true,
            other => return Err(env.invalid("GAZETTE_LOG_FORMAT", other, "expected text or json")),
        };
        let otlp_endpoint = env.optional("GAZETTE_OTLP_ENDPOINT")?;
        if let Some(endpoint) = &otlp_endpoint {
            if !matches!(url::Url::parse(endpoint), Ok(u) if matches!(u.scheme(), "http" | "https"))
            {
                return Err(env.invalid(
                    "GAZETTE_OTLP_ENDPOINT",
                    endpoint,
                    "expected the collector's base URL, such as http://collector:4318",
                ));
            }
        }
        let http_addr = match env.optional("GAZETTE_HTTP_ADDR")? {
            None => None,
            Some(raw) => Some(raw.parse().map_err(|_| {
                env.invalid(
                    "GAZETTE_HTTP_ADDR",
                    &raw,
                    "expected HOST:PORT, such as 0.0.0.0:8080",
                )
            })?),
        };
        let notifier = notifier_settings(&env, http_addr)?;
        // Only an API URL the operator gave goes into pages: the default
        // names this very process's address, which differs per worker.
        site.views_api = env
            .optional("GAZETTE_API_URL")?
            .map(|_| notifier.api_url.clone());
        broker.slow_retry = RetryPolicy::slow().compressed(notifier.clock_factor);
        Ok(Self {
            broker,
            store_url,
            archive_url,
            site,
            publish,
            index,
            media,
            theme_dir: env.optional("GAZETTE_THEME_DIR")?.map(PathBuf::from),
            json_logs,
            http_addr,
            // GAZETTE_LOG first; RUST_LOG, which every Rust tool reads, after it.
            log_filter: env.optional("GAZETTE_LOG")?.or_else(|| lookup("RUST_LOG")),
            otlp_endpoint,
            notifier,
        })
    }
}

/// `GAZETTE_PREFETCH` → `prefetch`, the file's spelling of a variable.
fn file_key(variable: &str) -> String {
    variable.trim_start_matches("GAZETTE_").to_lowercase()
}

/// `GAZETTE_SITE_SECTIONS`: `slug=Name` items, each slug a category slug
/// once, each name normalised to NFC like every text an article carries.
fn sections<F: Fn(&str) -> Option<String>>(env: &Env<'_, F>) -> Result<Vec<Section>, ConfigError> {
    const NAME: &str = "GAZETTE_SITE_SECTIONS";
    let mut sections: Vec<Section> = Vec::new();
    for item in env.items(NAME)? {
        let invalid = |why: &str| env.invalid(NAME, &item, why);
        let Some((slug, name)) = item.split_once('=') else {
            return Err(invalid(
                "expected slug=Name items such as thoi-su=Thời sự,y-te=Y tế",
            ));
        };
        let (slug, name) = (slug.trim(), name.trim());
        let slug_ok = !slug.is_empty()
            && slug.len() <= 64
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !slug.starts_with('-')
            && !slug.ends_with('-');
        if !slug_ok {
            return Err(invalid(&format!(
                "the slug {slug:?} must be lower-case ASCII letters, digits and inner hyphens, as in an article's category"
            )));
        }
        if name.is_empty() {
            return Err(invalid(&format!(
                "the category {slug} needs a name after '='"
            )));
        }
        if sections.iter().any(|known| known.slug == slug) {
            return Err(invalid(&format!("the category {slug} is listed twice")));
        }
        sections.push(Section {
            slug: slug.to_owned(),
            name: gazette_text::nfc(name),
        });
    }
    Ok(sections)
}

/// The internal command the indexer's search builds run as: `gazette
/// search-index`, answered in `main` before the command line is parsed.
pub const SEARCH_INDEX_COMMAND: &str = "search-index";

/// The indexer builds its search index in a child process of this binary
/// (`gazette search-index`), which gives the build's memory (about 400 KB
/// per article, for seconds) back when it exits; built in process, the
/// indexer kept it. Where the binary cannot name itself, it builds in
/// process.
fn search_builder() -> gazette_stages::SearchBuilder {
    match std::env::current_exe() {
        Ok(program) => gazette_stages::SearchBuilder::Child {
            program,
            args: vec![SEARCH_INDEX_COMMAND.to_owned()],
        },
        Err(_) => gazette_stages::SearchBuilder::InProcess,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;
    use crate::lookup::parse_duration;

    /// The configuration a map of variables gives; shared with the notifier settings' tests.
    pub(crate) fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn sections_keep_the_operators_order_and_fold_names_to_nfc() {
        let decomposed = "Y te\u{302}\u{301}";
        let loaded = config(&[(
            "GAZETTE_SITE_SECTIONS",
            &format!(" thoi-su = Thời sự ,,y-te={decomposed}, kinh-te-xa-hoi=Kinh tế - Xã hội"),
        )])
        .unwrap_or_else(|e| panic!("{e}"));
        let sections: Vec<(&str, &str)> = loaded
            .site
            .sections
            .iter()
            .map(|s| (s.slug.as_str(), s.name.as_str()))
            .collect();
        assert_eq!(
            sections,
            [
                ("thoi-su", "Thời sự"),
                ("y-te", "Y tế"),
                ("kinh-te-xa-hoi", "Kinh tế - Xã hội")
            ]
        );
        assert!(config(&[]).is_ok_and(|c| c.site.sections.is_empty()));
    }

    #[test]
    fn a_wrong_section_is_named_with_its_setting() {
        for (value, why) in [
            ("thoi-su", "slug=Name"),
            ("Thời-sự=Thời sự", "lower-case"),
            ("-y-te=Y tế", "lower-case"),
            ("y te=Y tế", "lower-case"),
            ("y-te=", "needs a name"),
            ("y-te=Y tế,y-te=Y tế 2", "listed twice"),
        ] {
            let message = config(&[("GAZETTE_SITE_SECTIONS", value)])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                message.starts_with("GAZETTE_SITE_SECTIONS=") && message.contains(why),
                "{value}: {message}"
            );
        }
    }

    #[test]
    fn defaults_work_on_a_developer_machine() {
        let config = config(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.broker.namespace, "gazette");
        assert!(
            config.store_url.starts_with("file:///"),
            "{}",
            config.store_url
        );
        assert_eq!(config.site.time_zone, chrono_tz::Asia::Ho_Chi_Minh);
        assert!(
            config
                .archive_url
                .as_deref()
                .is_some_and(|a| a.ends_with("public-archive/")),
            "{:?}",
            config.archive_url
        );
    }

    #[test]
    fn a_wrong_setting_is_named_in_one_sentence() {
        let err = config(&[("GAZETTE_PREFETCH", "lots")])
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("GAZETTE_PREFETCH=\"lots\" is not valid: expected a whole number of at least 1")
        );
        let err = config(&[("GAZETTE_AMQP_URL", "http://u:secret@h/")])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("GAZETTE_AMQP_URL="), "{err}");
        assert!(!err.contains("secret"), "{err}");
        assert!(config(&[("GAZETTE_NAMESPACE", "a b")]).is_err());
        assert!(config(&[("GAZETTE_TIMEZONE", "Mars/Olympus")]).is_err());
    }

    #[test]
    fn search_is_on_unless_switched_off_by_its_exact_word() {
        let search = |value: &str| config(&[("GAZETTE_SEARCH", value)]).map(|c| c.site.search);
        assert!(config(&[]).is_ok_and(|c| c.site.search));
        assert!(matches!(search("off"), Ok(false)));
        assert!(matches!(search("on"), Ok(true)));
        // Not a yes/no guess: a word it does not know is named back.
        for wrong in ["OFF", "false", "0", "no"] {
            let err = search(wrong)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.starts_with("GAZETTE_SEARCH=") && err.ends_with("expected on or off"),
                "{wrong:?}: {err}"
            );
        }
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("10"), None);
        let config =
            config(&[("GAZETTE_RETRY_DELAYS", "100ms, 1s")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            config.broker.retry.delays,
            vec![Duration::from_millis(100), Duration::from_secs(1)]
        );
    }
}
