//! Every setting, declared once: its variable, its shape in the TOML file, whether it is a secret, and the README's words for its default and meaning.
//!
//! The environment lookup, the configuration file's keys, `config check`'s
//! masking and the README's configuration table are all held to this list:
//! `config_file.rs` accepts exactly these keys; the tests below find every
//! `GAZETTE_*` name the code reads here, fail when the README's table says
//! anything else, and check that no secret is ever described in the clear.
//! A `GAZETTE_*` variable that is none of these is warned about at start.

/// What a setting holds in the TOML file (the environment holds text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A string: URLs, names, durations (`30s`), addresses.
    Text,
    /// A whole number.
    Whole,
    /// An array of strings, the variable's comma-separated list (`["1s", "30s"]`).
    List,
}

#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub var: &'static str,
    pub shape: Shape,
    /// Never printed in the clear (`config check` masks it).
    pub secret: bool,
    /// The README's words for its default.
    pub default: &'static str,
    /// The README's words for what it means.
    pub doc: &'static str,
}

impl Setting {
    /// Its key in the configuration file: the name without `GAZETTE_`, in lower case.
    pub fn file_key(&self) -> String {
        self.var.trim_start_matches("GAZETTE_").to_lowercase()
    }
}

pub const SETTINGS: [Setting; 28] = [
    Setting {
        var: "GAZETTE_AMQP_URL",
        shape: Shape::Text,
        secret: true,
        default: "`amqp://guest:guest@127.0.0.1:5672/%2f`",
        doc: "the broker; its password never appears in logs",
    },
    Setting {
        var: "GAZETTE_NAMESPACE",
        shape: Shape::Text,
        secret: false,
        default: "`gazette`",
        doc: "prefix of every exchange and queue, so pipelines can share a broker",
    },
    Setting {
        var: "GAZETTE_STORE",
        shape: Shape::Text,
        secret: false,
        default: "`file://$PWD/public/`",
        doc: "the public site: `s3://BUCKET` or `file:///ABSOLUTE/DIR`",
    },
    Setting {
        var: "GAZETTE_ARCHIVE",
        shape: Shape::Text,
        secret: false,
        default: "beside a directory site (`…/public-archive/`); required with an `s3://` site",
        doc: "Gazette's private state, in another bucket or directory than the site",
    },
    Setting {
        var: "GAZETTE_PUBLIC_URL",
        shape: Shape::Text,
        secret: false,
        default: "unset",
        doc: "the site's base URL. It is used for canonical links and the `url` of `article.published`. Unset, `url` points into the store",
    },
    Setting {
        var: "GAZETTE_SITE_NAME",
        shape: Shape::Text,
        secret: false,
        default: "`Gazette`",
        doc: "shown in the page header and title",
    },
    Setting {
        var: "GAZETTE_TIMEZONE",
        shape: Shape::Text,
        secret: false,
        default: "`Asia/Ho_Chi_Minh`",
        doc: "the zone dates are shown in",
    },
    Setting {
        var: "GAZETTE_THEME_DIR",
        shape: Shape::Text,
        secret: false,
        default: "built-in `themes/default`",
        doc: "a folder with the same layout as `themes/default/`",
    },
    Setting {
        var: "GAZETTE_PREFETCH",
        shape: Shape::Whole,
        secret: false,
        default: "`16`",
        doc: "unacked deliveries the broker may push to one worker",
    },
    Setting {
        var: "GAZETTE_CONCURRENCY",
        shape: Shape::Whole,
        secret: false,
        default: "`8`",
        doc: "messages one worker handles at once",
    },
    Setting {
        var: "GAZETTE_MAX_MESSAGE_BYTES",
        shape: Shape::Whole,
        secret: false,
        default: "`2097152`",
        doc: "larger messages are dead-lettered unread (`oversized`)",
    },
    Setting {
        var: "GAZETTE_HANDLER_TIMEOUT",
        shape: Shape::Text,
        secret: false,
        default: "`60s`",
        doc: "a message taking longer counts as a transient failure",
    },
    Setting {
        var: "GAZETTE_RETRY_DELAYS",
        shape: Shape::List,
        secret: false,
        default: "`1s,5s,30s,2m,10m`",
        doc: "waits before each retry of a transient failure; the last one repeats",
    },
    Setting {
        var: "GAZETTE_RETRY_MAX_ATTEMPTS",
        shape: Shape::Whole,
        secret: false,
        default: "`6`",
        doc: "attempts before a message is dead-lettered as `retries-exhausted`",
    },
    Setting {
        var: "GAZETTE_DELIVERY_LIMIT",
        shape: Shape::Whole,
        secret: false,
        default: "`10`",
        doc: "quorum-queue redeliveries (crashes) before the broker dead-letters a message",
    },
    Setting {
        var: "GAZETTE_SHUTDOWN_GRACE",
        shape: Shape::Text,
        secret: false,
        default: "`20s`",
        doc: "how long a stopping worker lets in-flight messages finish",
    },
    Setting {
        var: "GAZETTE_HTTP_ADDR",
        shape: Shape::Text,
        secret: false,
        default: "unset (no server)",
        doc: "where `/metrics`, `/healthz` and `/readyz` are served, e.g. `0.0.0.0:8080`. Unset by default so that several workers can share a host",
    },
    Setting {
        var: "GAZETTE_LOG",
        shape: Shape::Text,
        secret: false,
        default: "`RUST_LOG`, else `info,lapin=off,…`",
        doc: "a `tracing` filter. Text logs are coloured on a terminal unless `NO_COLOR` is set",
    },
    Setting {
        var: "GAZETTE_OTLP_ENDPOINT",
        shape: Shape::Text,
        secret: false,
        default: "unset (no export)",
        doc: "base URL of an OTLP/HTTP collector (`http://collector:4318`): spans go to `/v1/traces`, one trace per article journey",
    },
    Setting {
        var: "GAZETTE_LOG_FORMAT",
        shape: Shape::Text,
        secret: false,
        default: "`text`",
        doc: "`text` or `json` (one JSON object per line, for log shippers)",
    },
    Setting {
        var: "GAZETTE_DATABASE_URL",
        shape: Shape::Text,
        secret: true,
        default: "`sqlite://gazette.db`",
        doc: "the article registry and the notifier's subscriptions: `sqlite://FILE` (created if missing) or `postgres://USER:PASSWORD@HOST/DB` when workers run on several machines",
    },
    Setting {
        var: "GAZETTE_WEBHOOK_TIMEOUT",
        shape: Shape::Text,
        secret: false,
        default: "`10s`",
        doc: "bound on each webhook request",
    },
    Setting {
        var: "GAZETTE_WEBHOOK_ALLOW_CIDRS",
        shape: Shape::Text,
        secret: false,
        default: "unset",
        doc: "comma-separated CIDRs the notifier may reach although they are private, e.g. `10.20.0.0/16`",
    },
    Setting {
        var: "GAZETTE_WEBHOOK_CLOCK_FACTOR",
        shape: Shape::Whole,
        secret: false,
        default: "`1`",
        doc: "runs the retry schedule (and `Retry-After`) this many times faster; for tests and staging",
    },
    Setting {
        var: "GAZETTE_SMTP_URL",
        shape: Shape::Text,
        secret: true,
        default: "unset (no email)",
        doc: "`smtp://HOST:PORT`, `smtp://HOST:PORT?tls=required` (STARTTLS) or `smtps://USER:PASSWORD@HOST`",
    },
    Setting {
        var: "GAZETTE_MAIL_FROM",
        shape: Shape::Text,
        secret: false,
        default: "`Gazette <no-reply@localhost>`",
        doc: "the sender of every mail",
    },
    Setting {
        var: "GAZETTE_API_URL",
        shape: Shape::Text,
        secret: false,
        default: "`http://GAZETTE_HTTP_ADDR`",
        doc: "the subscription API's public base URL, for the links in mails",
    },
    Setting {
        var: "GAZETTE_API_TOKEN",
        shape: Shape::Text,
        secret: true,
        default: "unset (webhook management over HTTP off)",
        doc: "bearer token for `/webhooks`",
    },
];

/// `GAZETTE_*` variables that are not settings of a running Gazette but of
/// its tooling: the configuration file's path, the build's commit, and the
/// test harness's and scripts' own. Not warned about.
pub const TOOLING_VARIABLES: [&str; 7] = [
    "GAZETTE_CONFIG",
    "GAZETTE_COMMIT",
    "GAZETTE_TEST_AMQP_URL",
    "GAZETTE_GARAGE_BIN",
    "GAZETTE_SMTPD_PYTHON",
    "GAZETTE_FAULT_ARTICLES",
    "GAZETTE_CACHE_DIR",
];

/// `gazette config settings`: one line per setting, tab-separated: the
/// variable, its file key, its default, whether it is a secret, its meaning.
pub fn print() {
    say!("variable\tfile key\tdefault\tsecret\tmeaning");
    for setting in SETTINGS {
        say!(
            "{}\t{}\t{}\t{}\t{}",
            setting.var,
            setting.file_key(),
            setting.default.replace('`', ""),
            if setting.secret { "yes" } else { "no" },
            setting.doc.replace('`', "")
        );
    }
}

/// The declaration of `var`, if it is a setting.
pub fn setting(var: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.var == var)
}

/// The `GAZETTE_*` variables in `names` that are neither settings nor
/// tooling: most likely misspelt.
pub fn unknown_variables<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    names
        .into_iter()
        .filter(|name| name.starts_with("GAZETTE_"))
        .filter(|name| setting(name).is_none() && !TOOLING_VARIABLES.contains(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `GAZETTE_*` name the configuration code reads is declared here,
    /// and every declared setting is read.
    #[test]
    fn the_code_reads_exactly_the_declared_settings() {
        let sources = [
            include_str!("config.rs"),
            include_str!("notifier_config.rs"),
            include_str!("store_config.rs"),
        ]
        .concat();
        let mut read = std::collections::BTreeSet::new();
        for (at, _) in sources.match_indices("\"GAZETTE_") {
            let name: String = sources[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            // The prefix alone (`trim_start_matches("GAZETTE_")`) names no setting.
            if name.len() > "GAZETTE_".len() {
                read.insert(name);
            }
        }
        for name in &read {
            assert!(
                setting(name).is_some() || TOOLING_VARIABLES.contains(&name.as_str()),
                "{name} is read but not declared in SETTINGS"
            );
        }
        for declared in SETTINGS {
            assert!(
                read.contains(declared.var),
                "{} is declared but never read",
                declared.var
            );
        }
    }

    /// The README's configuration table is this list, row for row.
    #[test]
    fn the_readme_table_is_the_declaration() {
        let readme = include_str!("../../../README.md");
        let rows: Vec<&str> = readme
            .lines()
            .filter(|line| line.starts_with("| `GAZETTE_"))
            .collect();
        let declared: Vec<String> = SETTINGS
            .iter()
            .map(|s| format!("| `{}` | {} | {} |", s.var, s.default, s.doc))
            .collect();
        assert_eq!(
            rows, declared,
            "README.md's configuration table and crates/gazette/src/settings.rs disagree; change both"
        );
    }

    /// `config check` prints every setting, and a secret's value never.
    #[test]
    fn secrets_are_never_described_in_the_clear() {
        let values: Vec<(&str, String)> = SETTINGS
            .iter()
            .filter(|s| s.secret)
            .map(|s| {
                let value = match s.var {
                    "GAZETTE_AMQP_URL" => "amqp://u:s3cret-amqp@h/%2f".to_owned(),
                    "GAZETTE_DATABASE_URL" => "postgres://u:s3cret-db@h/db".to_owned(),
                    "GAZETTE_SMTP_URL" => "smtps://u:s3cret-smtp@h".to_owned(),
                    _ => "s3cret-token".to_owned(),
                };
                (s.var, value)
            })
            .collect();
        let config = crate::config::Config::from_lookup(|name| {
            values
                .iter()
                .find(|(v, _)| *v == name)
                .map(|(_, value)| value.clone())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let described = config.describe();
        assert!(!described.contains("s3cret"), "{described}");
        for setting in SETTINGS {
            assert!(
                described.contains(&format!("{} = ", setting.file_key())),
                "config check does not show {}: {described}",
                setting.var
            );
        }
    }

    #[test]
    fn misspelt_variables_are_found() {
        let names = [
            "GAZETTE_PREFECH",
            "GAZETTE_PREFETCH",
            "GAZETTE_CONFIG",
            "HOME",
        ];
        assert_eq!(unknown_variables(names), ["GAZETTE_PREFECH"]);
    }
}
