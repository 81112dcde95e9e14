//! Every setting, declared once: its variable, what it holds and its default (which the configuration code parses it by), whether it is a secret, and the README's words for its meaning.
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

/// What a setting's value is, and its default: what the configuration
/// code parses it as (`lookup.rs`), its shape in the file, and the
/// README's default column all come from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text, this when unset.
    Text(&'static str),
    /// Text with no fixed default: unset switches something off, or the
    /// default is worked out from other settings (the README's words say which).
    Unset(&'static str),
    /// A whole number, at least `min`.
    Whole { default: u64, min: u64 },
    /// A duration such as `30s`.
    Duration(&'static str),
    /// Comma-separated durations such as `1s,5s,30s`.
    Durations(&'static str),
    /// Comma-separated text items, none when unset (the README's words say
    /// what that means).
    Items(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub var: &'static str,
    pub kind: Kind,
    /// Never printed in the clear (`config check` masks it).
    pub secret: bool,
    /// The README's words for what it means.
    pub doc: &'static str,
}

impl Setting {
    /// What it holds in the TOML file.
    pub fn shape(&self) -> Shape {
        match self.kind {
            Kind::Text(_) | Kind::Unset(_) | Kind::Duration(_) => Shape::Text,
            Kind::Whole { .. } => Shape::Whole,
            Kind::Durations(_) | Kind::Items(_) => Shape::List,
        }
    }

    /// The README's words for its default.
    pub fn default_words(&self) -> String {
        match self.kind {
            Kind::Text(text) | Kind::Duration(text) | Kind::Durations(text) => format!("`{text}`"),
            Kind::Whole { default, .. } => format!("`{default}`"),
            Kind::Unset(words) | Kind::Items(words) => words.to_owned(),
        }
    }

    /// Its key in the configuration file: the name without `GAZETTE_`, in lower case.
    pub fn file_key(&self) -> String {
        self.var.trim_start_matches("GAZETTE_").to_lowercase()
    }
}

pub const SETTINGS: [Setting; 36] = [
    Setting {
        var: "GAZETTE_AMQP_URL",
        kind: Kind::Text("amqp://guest:guest@127.0.0.1:5672/%2f"),
        secret: true,
        doc: "the broker, or a cluster's nodes separated by commas (each process starts at its own node and moves to the next when one is lost); passwords never appear in logs. Gazette asks for 32 KiB frames (`?frame_max=32768`) unless the URL names its own `frame_max`: the AMQP client keeps 64 frames of buffer per connection, so RabbitMQ's 128 KiB default costs 8 MiB per connection, two per stage",
    },
    Setting {
        var: "GAZETTE_NAMESPACE",
        kind: Kind::Text("gazette"),
        secret: false,
        doc: "prefix of every exchange and queue, so pipelines can share a broker",
    },
    Setting {
        var: "GAZETTE_STORE",
        kind: Kind::Unset("`file://$PWD/public/`"),
        secret: false,
        doc: "the public site: `s3://BUCKET` or `file:///ABSOLUTE/DIR`",
    },
    Setting {
        var: "GAZETTE_ARCHIVE",
        kind: Kind::Unset(
            "beside a directory site (`…/public-archive/`); required with an `s3://` site",
        ),
        secret: false,
        doc: "Gazette's private state, in another bucket or directory than the site",
    },
    Setting {
        var: "GAZETTE_PUBLIC_URL",
        kind: Kind::Unset("unset"),
        secret: false,
        doc: "the site's base URL. It is used for canonical links and the `url` of `article.published`. Unset, `url` points into the store",
    },
    Setting {
        var: "GAZETTE_SITE_NAME",
        kind: Kind::Text("Gazette"),
        secret: false,
        doc: "shown in the page header and title",
    },
    Setting {
        var: "GAZETTE_SITE_SECTIONS",
        kind: Kind::Items("none: the header shows only the site's name"),
        secret: false,
        doc: "the categories every page's header lists, in this order, as `slug=Name` items (`thoi-su=Thời sự,y-te=Y tế`); a name cannot hold a comma",
    },
    Setting {
        var: "GAZETTE_TIMEZONE",
        kind: Kind::Text("Asia/Ho_Chi_Minh"),
        secret: false,
        doc: "the zone dates are shown in",
    },
    Setting {
        var: "GAZETTE_MOST_READ_REFRESH",
        kind: Kind::Duration("60s"),
        secret: false,
        doc: "how often the indexer redraws the home page's \"most read\" block from the view counts",
    },
    Setting {
        var: "GAZETTE_SEARCH",
        kind: Kind::Text("on"),
        secret: false,
        doc: "`on` or `off`: whether the site has search (the header's search box, `/search/` and its index); off for a site whose one year of articles would not fit in the indexer's memory (docs/capacity.md). Switching it back on takes `gazette rebuild`",
    },
    Setting {
        var: "GAZETTE_SEARCH_INTERVAL",
        kind: Kind::Duration("30s"),
        secret: false,
        doc: "the least time between two builds of the site's search index; a change is searchable within this plus the build's own time",
    },
    Setting {
        var: "GAZETTE_MEDIA_WIDTHS",
        kind: Kind::Text("320,640,960,1280,1920"),
        secret: false,
        doc: "the widths, in pixels, each picture is stored in (never wider than the picture itself), as JPEG and WebP; changing them gives every picture new keys the next time it is processed",
    },
    Setting {
        var: "GAZETTE_MEDIA_THREADS",
        kind: Kind::Unset("the machine's cores"),
        secret: false,
        doc: "pictures one media worker decodes and encodes at once, off the threads that answer health checks and send acks; it holds at most twice as many in memory, fetched or being processed, however many messages it has in hand",
    },
    Setting {
        var: "GAZETTE_MEDIA_FETCH_TIMEOUT",
        kind: Kind::Duration("30s"),
        secret: false,
        doc: "bound on fetching one picture from the CMS, redirects and body included; a picture that takes longer is retried later",
    },
    Setting {
        var: "GAZETTE_MEDIA_ALLOW_CIDRS",
        kind: Kind::Unset("unset"),
        secret: false,
        doc: "comma-separated CIDRs the media stage may fetch pictures from although they are private, e.g. a CMS at `10.20.0.0/16`",
    },
    Setting {
        var: "GAZETTE_THEME_DIR",
        kind: Kind::Unset("built-in `themes/default`"),
        secret: false,
        doc: "a folder with the same layout as `themes/default/`",
    },
    Setting {
        var: "GAZETTE_PREFETCH",
        kind: Kind::Whole {
            default: 32,
            min: 1,
        },
        secret: false,
        doc: "unacked deliveries the broker may push to one worker",
    },
    Setting {
        var: "GAZETTE_CONCURRENCY",
        kind: Kind::Whole {
            default: 16,
            min: 1,
        },
        secret: false,
        doc: "messages one worker handles at once",
    },
    Setting {
        var: "GAZETTE_MAX_MESSAGE_BYTES",
        kind: Kind::Whole {
            default: 2097152,
            min: 1024,
        },
        secret: false,
        doc: "larger messages are dead-lettered unread (`oversized`)",
    },
    Setting {
        var: "GAZETTE_HANDLER_TIMEOUT",
        kind: Kind::Duration("60s"),
        secret: false,
        doc: "a message taking longer counts as a transient failure",
    },
    Setting {
        var: "GAZETTE_RETRY_DELAYS",
        kind: Kind::Durations("1s,5s,30s,2m,10m"),
        secret: false,
        doc: "waits before each retry of a transient failure; the last one repeats",
    },
    Setting {
        var: "GAZETTE_RETRY_MAX_ATTEMPTS",
        kind: Kind::Whole { default: 6, min: 1 },
        secret: false,
        doc: "attempts before a message is dead-lettered as `retries-exhausted`",
    },
    Setting {
        var: "GAZETTE_DELIVERY_LIMIT",
        kind: Kind::Whole {
            default: 10,
            min: 1,
        },
        secret: false,
        doc: "quorum-queue redeliveries (crashes) before the broker dead-letters a message",
    },
    Setting {
        var: "GAZETTE_SHUTDOWN_GRACE",
        kind: Kind::Duration("20s"),
        secret: false,
        doc: "how long a stopping worker lets in-flight messages finish",
    },
    Setting {
        var: "GAZETTE_HTTP_ADDR",
        kind: Kind::Unset("unset (no server)"),
        secret: false,
        doc: "where `/metrics`, `/healthz` and `/readyz` are served, e.g. `0.0.0.0:8080`. Unset by default so that several workers can share a host",
    },
    Setting {
        var: "GAZETTE_LOG",
        kind: Kind::Unset("`RUST_LOG`, else `info,lapin=off,…`"),
        secret: false,
        doc: "a `tracing` filter. Unset, `up` and `worker` log INFO and other commands only warnings (`-v` INFO, `-vv` DEBUG). Text logs are coloured on a terminal unless `NO_COLOR` is set",
    },
    Setting {
        var: "GAZETTE_OTLP_ENDPOINT",
        kind: Kind::Unset("unset (no export)"),
        secret: false,
        doc: "base URL of an OTLP/HTTP collector (`http://collector:4318`): spans go to `/v1/traces`, one trace per article journey",
    },
    Setting {
        var: "GAZETTE_LOG_FORMAT",
        kind: Kind::Text("text"),
        secret: false,
        doc: "`text` or `json` (one JSON object per line, for log shippers)",
    },
    Setting {
        var: "GAZETTE_DATABASE_URL",
        kind: Kind::Text("sqlite://gazette.db"),
        secret: true,
        doc: "the article registry and the notifier's subscriptions: `sqlite://FILE` (created if missing) or `postgres://USER:PASSWORD@HOST/DB` when workers run on several machines",
    },
    Setting {
        var: "GAZETTE_WEBHOOK_TIMEOUT",
        kind: Kind::Duration("10s"),
        secret: false,
        doc: "bound on each webhook request",
    },
    Setting {
        var: "GAZETTE_WEBHOOK_ALLOW_CIDRS",
        kind: Kind::Unset("unset"),
        secret: false,
        doc: "comma-separated CIDRs the notifier may reach although they are private, e.g. `10.20.0.0/16`",
    },
    Setting {
        var: "GAZETTE_WEBHOOK_CLOCK_FACTOR",
        kind: Kind::Whole { default: 1, min: 1 },
        secret: false,
        doc: "runs the retry schedule (and `Retry-After`) this many times faster; for tests and staging",
    },
    Setting {
        var: "GAZETTE_SMTP_URL",
        kind: Kind::Unset("unset (no email)"),
        secret: true,
        doc: "`smtp://HOST:PORT`, `smtp://HOST:PORT?tls=required` (STARTTLS) or `smtps://USER:PASSWORD@HOST`",
    },
    Setting {
        var: "GAZETTE_MAIL_FROM",
        kind: Kind::Text("Gazette <no-reply@localhost>"),
        secret: false,
        doc: "the sender of every mail",
    },
    Setting {
        var: "GAZETTE_API_URL",
        kind: Kind::Unset("`http://GAZETTE_HTTP_ADDR`"),
        secret: false,
        doc: "the public base URL of Gazette's API (subscriptions, view counter), for the links in mails; when set, article pages carry the view counter",
    },
    Setting {
        var: "GAZETTE_API_TOKEN",
        kind: Kind::Unset("unset (webhook management over HTTP off)"),
        secret: true,
        doc: "bearer token for `/webhooks`",
    },
];

/// `GAZETTE_*` variables that are not settings of a running Gazette but of
/// its tooling: the configuration file's path, the build's commit, and the
/// test harness's and scripts' own. Not warned about.
pub const TOOLING_VARIABLES: [&str; 8] = [
    "GAZETTE_CONFIG",
    "GAZETTE_COMMIT",
    "GAZETTE_TEST_AMQP_URL",
    "GAZETTE_GARAGE_BIN",
    "GAZETTE_SMTPD_PYTHON",
    "GAZETTE_FAULT_ARTICLES",
    "GAZETTE_CACHE_DIR",
    "GAZETTE_TEST_SERVICES",
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
            setting.default_words().replace('`', ""),
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
#[path = "settings_tests.rs"]
mod tests;
