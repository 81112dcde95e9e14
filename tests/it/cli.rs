//! The command line as a person meets it: impossible values refused in one sentence, `submit -` and its pointers into the person's own file, and `rebuild` refusing to write an empty site by mistake.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support;
use crate::support::cli_schemas;
use crate::support::needs;
use crate::support::{TestEnv, Worker, example_article};

fn gazette() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gazette"))
}

/// `gazette ARGS` with `stdin` written to it: (success, stdout, stderr).
fn run_with_input(env: &[(String, String)], args: &[&str], stdin: &[u8]) -> (bool, String, String) {
    let mut child = gazette()
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn impossible_values_are_refused_naming_the_flag() {
    for (args, says) in [
        (
            &["rebuild", "--jobs", "0"][..],
            "'--jobs <JOBS>': must be at least 1",
        ),
        (
            &["dlq", "replay", "--rate", "0"][..],
            "'--rate <RATE>': must be at least 1",
        ),
        (
            &["dlq", "list", "--limit", "0"][..],
            "'--limit <LIMIT>': must be at least 1",
        ),
        (
            &["subscribers", "rotate", "x", "--overlap", "0s"][..],
            "not a duration",
        ),
        (&["rebuild", "--jobs", "many"][..], "not a whole number"),
        (
            &["submit", "--timeout", "0s", "a.json"][..],
            "not a duration",
        ),
        (
            &["submit", "--timeout", "10", "a.json"][..],
            "not a duration",
        ),
        (
            &["dlq", "list", "--older-than", "soon"][..],
            "not a duration",
        ),
    ] {
        let out = gazette().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // Both duration forms a person may write are taken.
    for timeout in ["30s", "10m"] {
        let out = gazette()
            .args(["submit", "--timeout", timeout, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "--timeout {timeout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_reads_standard_input_and_points_into_the_persons_file() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("cli-submit").await;
    let _up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));

    let mut article = example_article();
    article["id"] = "cli-stdin".into();
    let good = serde_json::to_vec(&article).unwrap();
    let (ok, stdout, stderr) = run_with_input(&env.env(), &["submit", "--wait", "-"], &good);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("submitted standard input"), "{stdout}");
    assert!(
        stdout.contains("published revision 1 of cli-stdin at "),
        "{stdout}"
    );

    // A rejection names the field as it is in the file, not in the envelope.
    article["id"] = "cli-unnamed".into();
    article["category"]["name"] = "".into();
    let bad = serde_json::to_vec(&article).unwrap();
    let (ok, stdout, _) = run_with_input(
        &env.env(),
        &["submit", "--wait", "--timeout", "1m", "-"],
        &bad,
    );
    assert!(!ok);
    assert!(
        stdout.contains("rejected cli-unnamed: /category/name: "),
        "{stdout}"
    );
    assert!(!stdout.contains("/data/"), "{stdout}");

    // The README's full example is an envelope: one sentence, nothing sent.
    let envelope = serde_json::json!({
        "specversion": "1.0",
        "type": "article.submitted",
        "source": "/cms",
        "id": "e-1",
        "data": article,
    });
    let (ok, _, stderr) = run_with_input(
        &env.env(),
        &["submit", "-"],
        &serde_json::to_vec(&envelope).unwrap(),
    );
    assert!(!ok);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("standard input: this is a CloudEvents envelope"),
        "{stderr}"
    );
    assert!(first.contains("submit the value of its `data`"), "{stderr}");
    env.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_refuses_an_empty_registry_unless_asked() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("cli-rebuild").await;
    // As a person runs it: no log filter set, so only the result is said.
    let settings: Vec<(String, String)> = env
        .env()
        .into_iter()
        .filter(|(name, _)| name != "GAZETTE_LOG")
        .collect();
    let (ok, stdout, stderr) = support::run_gazette(&["rebuild"], &settings);
    assert!(!ok, "{stdout}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("records no article"), "{stderr}");
    assert!(stderr.contains("GAZETTE_DATABASE_URL"), "{stderr}");
    assert!(stderr.contains("--allow-empty"), "{stderr}");
    assert!(
        env.store().await.list("").await.unwrap().is_empty(),
        "a refused rebuild wrote"
    );

    let (ok, stdout, stderr) = support::run_gazette(&["rebuild", "--allow-empty"], &settings);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("rebuilt 0 articles"), "{stdout}");
    assert!(!stderr.contains(" INFO "), "quiet without -v: {stderr}");
    let (ok, _, stderr) = support::run_gazette(&["-v", "rebuild", "--allow-empty"], &settings);
    assert!(ok, "{stderr}");
    assert!(stderr.contains(" INFO "), "-v says what it does: {stderr}");
    // The rebuild declared the indexer's queues to hold them.
    env.teardown().await;
}

#[test]
fn subscribers_add_once_and_list_with_a_header_or_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let settings = support::database_only(dir.path(), "subscribers.db");
    let run = |args: &[&str]| {
        let (ok, stdout, stderr) = support::run_gazette(args, &settings);
        assert!(ok, "{args:?}: {stderr}");
        assert!(!stderr.contains(" INFO "), "quiet without -v: {stderr}");
        stdout
    };
    let url = "https://hooks.example.vn/tin-tuc";
    let add_as_json = [
        "subscribers",
        "add",
        "--json",
        "--webhook",
        url,
        "--category",
        "y-te",
        "--category",
        "giao-duc",
    ];
    let added = run(&add_as_json);
    let added = cli_schemas::assert_matches("cli.subscribers-add.v1.json", &added);
    assert!(added["secret"].as_str().unwrap().starts_with("whsec_"));

    // The same endpoint and categories, in another order: said, not added.
    let again = run(&[
        "subscribers",
        "add",
        "--webhook",
        url,
        "--category",
        "giao-duc",
        "--category",
        "y-te",
    ]);
    let id = added["id"].as_str().unwrap();
    assert!(
        again.starts_with(&format!("webhook {id} already sends {url}")),
        "{again}"
    );
    assert!(!again.contains("whsec_"), "a secret is shown once: {again}");
    let again_json = run(&add_as_json);
    let again_json = cli_schemas::assert_matches("cli.subscribers-add.v1.json", &again_json);
    assert_eq!(again_json["existing"], true);
    assert_eq!(again_json["id"], added["id"]);

    // Another endpoint, in text: one format, no JSON line before it.
    let other = run(&[
        "subscribers",
        "add",
        "--webhook",
        "https://hooks.example.vn/all",
    ]);
    assert!(other.starts_with("added webhook sub_"), "{other}");
    assert!(other.contains("(categories *)"), "{other}");
    assert!(!other.contains('{'), "{other}");

    let listed = run(&["subscribers", "list"]);
    let mut lines = listed.lines();
    assert_eq!(lines.next(), Some("id\tkind\ttarget\tcategories\tstatus"));
    assert_eq!(lines.count(), 2, "{listed}");
    let listed = run(&["subscribers", "list", "--json"]);
    let listed = cli_schemas::assert_matches("cli.subscribers-list.v1.json", &listed);
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert!(
        listed.to_string().find("whsec_").is_none(),
        "a list shows no secret"
    );

    // --json describes a webhook; an email's outcome is a sentence.
    let out = crate::support::run_gazette(
        &["subscribers", "add", "--json", "--email", "a@example.vn"],
        &settings,
    );
    assert!(
        !out.0 && out.2.contains("cannot be used with '--email"),
        "{}",
        out.2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_check_as_json_matches_its_schema() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("cli-config").await;
    let (ok, stdout, stderr) = env.run_gazette(&["config", "check", "--json"]);
    assert!(ok, "{stderr}");
    let report = cli_schemas::assert_matches("cli.config-check.v1.json", &stdout);
    assert_eq!(report["checks"]["broker"], "reachable");
    assert_eq!(report["settings"]["namespace"], env.namespace.as_str());
    assert!(
        !stdout.contains("guest:guest"),
        "a secret in the JSON: {stdout}"
    );
    env.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_and_the_indexer_never_write_the_site_at_once() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("cli-lock").await;
    let index = gazette_stages::stage("index").expect("the index stage");

    // A running indexer refuses the rebuild, naming what to stop.
    let mut indexer = env.spawn_worker("index");
    support::eventually(|| async {
        match indexer.log().contains("consuming stage=\"index\"") {
            true => Ok(()),
            false => Err(format!(
                "the indexer is not consuming yet: {}",
                indexer.log()
            )),
        }
    })
    .await;
    let (ok, _, stderr) = env.run_gazette(&["rebuild", "--allow-empty"]);
    assert!(!ok);
    assert!(stderr.contains("1 index worker(s) consume"), "{stderr}");
    assert!(stderr.contains("stop `gazette worker index`"), "{stderr}");
    indexer.terminate();
    let (ok, stdout, stderr) = env.run_gazette(&["rebuild", "--allow-empty"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("rebuilt 0 articles"), "{stdout}");

    // The lock itself: one holder at a time, free again once released.
    // The rebuild's own lock is released as it exits, but a quorum queue
    // counts a closed connection's consumer out a moment later.
    let held = support::eventually(|| async {
        gazette_broker::StageLock::acquire(&env.settings, &index.spec)
            .await
            .map_err(|e| format!("a free indexer queue can be held: {e:?}"))
    })
    .await;
    match gazette_broker::StageLock::acquire(&env.settings, &index.spec).await {
        Err(gazette_broker::BrokerError::StageBusy { consumers: 1, .. }) => {}
        other => panic!("a held queue was held twice: {other:?}"),
    }
    held.release().await;
    gazette_broker::StageLock::acquire(&env.settings, &index.spec)
        .await
        .expect("released")
        .release()
        .await;
    // A stage that scales by copies cannot be held by one process.
    let render = gazette_stages::stage("render").expect("the render stage");
    assert!(matches!(
        gazette_broker::StageLock::acquire(&env.settings, &render.spec).await,
        Err(gazette_broker::BrokerError::NotLockable { stage: "render" })
    ));
    env.teardown().await;
}
