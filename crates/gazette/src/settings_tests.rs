//! The declaration held to the code, the README, `config check` and the libraries' defaults.

use super::*;

/// Every `GAZETTE_*` name the configuration code reads is declared here,
/// and every declared setting is read.
#[test]
fn the_code_reads_exactly_the_declared_settings() {
    let sources = [
        include_str!("config.rs"),
        include_str!("notifier_config.rs"),
        include_str!("store_config.rs"),
        include_str!("media_config.rs"),
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
        .map(|s| format!("| `{}` | {} | {} |", s.var, s.default_words(), s.doc))
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

/// With nothing set, the binary runs on the declared defaults, and they
/// are the libraries' own: the tests and the bench build broker settings
/// from the libraries, and must name the same delay queues.
#[test]
fn the_declared_defaults_are_the_libraries_defaults() {
    let config = crate::config::Config::from_lookup(|_| None).unwrap_or_else(|e| panic!("{e}"));
    let library = gazette_broker::BrokerSettings::new(config.broker.url.clone(), "gazette");
    let broker = &config.broker;
    assert_eq!(broker.namespace, library.namespace);
    assert_eq!(broker.prefetch, library.prefetch);
    assert_eq!(broker.concurrency, library.concurrency);
    assert_eq!(broker.max_message_bytes, library.max_message_bytes);
    assert_eq!(broker.handler_timeout, library.handler_timeout);
    assert_eq!(broker.shutdown_grace, library.shutdown_grace);
    assert_eq!(broker.delivery_limit, library.delivery_limit);
    assert_eq!(broker.retry.delays, library.retry.delays);
    assert_eq!(broker.retry.max_attempts, library.retry.max_attempts);
    assert_eq!(broker.slow_retry.delays, library.slow_retry.delays);
    assert_eq!(config.site.time_zone, gazette_text::PORTAL_TIME_ZONE);
    assert_eq!(broker.url.redacted(), "amqp://guest:***@127.0.0.1:5672/%2f");
}

/// Every kind is read as declared: a wrong value is refused with the
/// setting's name, an impossible one too, and the minimum holds.
#[test]
fn values_are_parsed_by_their_declared_kind() {
    let refused = |name: &str, value: &str| {
        let pair = (name.to_owned(), value.to_owned());
        crate::config::Config::from_lookup(|n| (n == pair.0).then(|| pair.1.clone()))
            .err()
            .unwrap_or_else(|| panic!("{name}={value} was accepted"))
            .to_string()
    };
    for (name, value) in [
        ("GAZETTE_PREFETCH", "0"),
        ("GAZETTE_PREFETCH", "70000"),
        ("GAZETTE_PREFETCH", "-1"),
        ("GAZETTE_MAX_MESSAGE_BYTES", "1023"),
        ("GAZETTE_HANDLER_TIMEOUT", "30"),
        ("GAZETTE_HANDLER_TIMEOUT", "0s"),
        ("GAZETTE_RETRY_DELAYS", "1s,,5s"),
        ("GAZETTE_WEBHOOK_CLOCK_FACTOR", "fast"),
    ] {
        let message = refused(name, value);
        assert!(message.starts_with(name), "{message}");
    }
    for setting in SETTINGS {
        match setting.kind {
            Kind::Whole { default, min } => assert!(default >= min, "{}", setting.var),
            Kind::Duration(text) => {
                assert!(
                    crate::lookup::parse_duration(text).is_some(),
                    "{}",
                    setting.var
                );
            }
            Kind::Durations(text) => assert!(
                text.split(',')
                    .all(|d| crate::lookup::parse_duration(d).is_some()),
                "{}",
                setting.var
            ),
            Kind::Text(_) | Kind::Unset(_) | Kind::Items(_) => {}
        }
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
