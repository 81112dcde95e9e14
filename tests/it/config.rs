//! `gazette config check`: the file under the environment, secrets masked, one clear sentence and a non-zero exit for a wrong setting.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use crate::support;
use crate::support::needs;
use std::process::Command;

fn check(config: &str, env: &[(&str, &str)]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gazette.toml");
    let site = dir.path().join("site");
    std::fs::write(&file, config.replace("SITE", &site.display().to_string())).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["--config", file.to_str().unwrap(), "config", "check"])
        // The default database, sqlite://gazette.db, would be here.
        .current_dir(dir.path())
        .env("GAZETTE_AMQP_URL", support::amqp_url())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    // Looking is all `config check` does: the folder holds the file it was given, nothing more.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["gazette.toml"], "config check created files");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_environment_overrides_the_file_and_secrets_stay_masked() {
    needs!(RabbitMq);
    let file = "namespace = \"from-file\"\nprefetch = 32\nstore = \"file://SITE\"\nretry_delays = [\"1s\", \"10s\"]\n";
    let (ok, out, err) = check(file, &[("GAZETTE_PREFETCH", "64")]);
    assert!(ok, "{err}");
    assert!(out.contains("namespace = from-file\n"), "{out}");
    assert!(
        out.contains("prefetch = 64\n"),
        "the variable wins over the file: {out}"
    );
    assert!(out.contains("retry_delays = 1s,10s\n"), "{out}");
    assert!(
        out.contains("broker: reachable") && out.contains("theme: compiles"),
        "{out}"
    );
    assert!(
        out.contains("does not exist yet; the first worker creates it"),
        "a missing directory or database file is reported, not created: {out}"
    );
    assert!(out.contains(":***@"), "the AMQP password is masked: {out}");
    assert!(!out.contains("guest:guest"), "{out}");
}

#[test]
fn a_wrong_setting_is_named_with_where_it_came_from() {
    needs!(RabbitMq);
    let (ok, _, err) = check("prefech = 32\n", &[]);
    assert!(!ok);
    assert!(err.contains("unknown field `prefech`"), "{err}");

    let (ok, _, err) = check("namespace = \"two words\"\n", &[]);
    assert!(!ok);
    assert!(
        err.contains("(key namespace)") && err.contains("expected 1 to 64 ASCII letters"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line for a person: {err}");

    let (ok, _, err) = check(
        "store = \"file://SITE\"\n",
        &[("GAZETTE_AMQP_URL", "amqp://guest:secret@127.0.0.1:1/%2f")],
    );
    assert!(!ok);
    assert!(
        err.contains("cannot connect to RabbitMQ") && !err.contains("secret"),
        "{err}"
    );
}

#[test]
fn a_cluster_is_reachable_while_one_of_its_nodes_answers() {
    needs!(RabbitMq);
    let live = support::amqp_url();
    // Port 1 on loopback refuses at once: a node that is down.
    let dead = "amqp://guest:secret@127.0.0.1:1/%2f";
    let cluster = format!("{dead}, {live} ,{dead}");
    let (ok, out, err) = check(
        "store = \"file://SITE\"\n",
        &[("GAZETTE_AMQP_URL", &cluster)],
    );
    assert!(ok, "one live node of three is enough: {err}");
    assert!(out.contains("broker: reachable"), "{out}");
    assert!(
        !out.contains("secret") && !err.contains("secret"),
        "{out}{err}"
    );

    let all_dead = format!("{dead},amqp://guest:secret@127.0.0.1:2/%2f");
    let (ok, _, err) = check(
        "store = \"file://SITE\"\n",
        &[("GAZETTE_AMQP_URL", &all_dead)],
    );
    assert!(!ok);
    assert!(
        err.contains("any of its 2 nodes")
            && err.contains("127.0.0.1:1")
            && err.contains("127.0.0.1:2")
            && !err.contains("secret"),
        "every node is named with its failure, no password: {err}"
    );

    for malformed in [",", "amqp://h/%2f,http://h/", "amqp://h/%2f,,not a url"] {
        let (ok, _, err) = check(
            "store = \"file://SITE\"\n",
            &[("GAZETTE_AMQP_URL", malformed)],
        );
        assert!(!ok, "{malformed} was accepted");
        assert!(
            err.contains("GAZETTE_AMQP_URL") && err.contains("separated by commas"),
            "{malformed}: {err}"
        );
    }
}
