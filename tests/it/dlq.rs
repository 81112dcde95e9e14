//! `gazette dlq` against real dead letters: list with filters, show, dry runs, purge, and replay that keeps the message id.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support;
use crate::support::cli_schemas;
use crate::support::needs;
use crate::support::{PATIENCE, TestEnv};
use gazette_broker::{Exchange, Outbound, Publisher, Topology, ensure_topology, queue_depth};
use gazette_contract::CONTENT_TYPE;
use gazette_stages::{Part, specs_of};

async fn send(publisher: &Publisher, id: &str, body: &[u8]) {
    let message = Outbound {
        exchange: Exchange::Events,
        routing_key: "article.submitted".to_owned(),
        body: body.to_vec(),
        message_id: id.to_owned(),
        correlation_id: None,
        content_type: CONTENT_TYPE,
        content_encoding: None,
        headers: BTreeMap::new(),
    };
    publisher.publish(&message).await.expect("confirmed");
}

/// Waits until the validate stage's dead-letter queue holds `count` ready letters.
async fn wait_for_dead_letters(env: &TestEnv, count: u32) {
    let queue = Topology::new(&env.namespace).dead_queue("validate");
    let deadline = Instant::now() + PATIENCE;
    loop {
        let depth = queue_depth(&env.settings, &queue)
            .await
            .unwrap()
            .unwrap_or(0);
        if depth == count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "dead-letter queue holds {depth}, expected {count}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| l.starts_with("validate\t"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_can_be_listed_shown_purged_and_replayed() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("dlq").await;
    ensure_topology(&env.settings, &specs_of(Part::Pipeline))
        .await
        .unwrap();
    let _validate = env.spawn_worker("validate");
    let publisher = Publisher::connect(&env.settings, "test").await.unwrap();
    send(&publisher, "not-json-1", b"{ nope").await;
    send(&publisher, "not-json-2", b"[1, 2").await;
    let schema_broken = br#"{"specversion":"1.0","id":"bad-schema","source":"/t","type":"article.submitted","time":"2022-06-23T08:04:00Z","subject":"dlq-article","datacontenttype":"application/json","data":{"id":"dlq-article","revision":1}}"#;
    send(&publisher, "bad-schema", schema_broken).await;
    wait_for_dead_letters(&env, 3).await;

    let (ok, all, _) = env.run_gazette(&["dlq", "list", "--stage", "validate"]);
    assert!(ok);
    assert_eq!(lines(&all).len(), 3, "{all}");
    let (_, json_errors, _) = env.run_gazette(&[
        "dlq",
        "list",
        "--stage",
        "validate",
        "--reason",
        "invalid-json",
    ]);
    assert_eq!(lines(&json_errors).len(), 2, "{json_errors}");
    let (_, by_article, _) = env.run_gazette(&["dlq", "list", "--article", "dlq-article"]);
    assert_eq!(lines(&by_article).len(), 1, "{by_article}");
    assert!(by_article.contains("bad-schema\tschema\t"), "{by_article}");
    let (_, too_young, _) =
        env.run_gazette(&["dlq", "list", "--stage", "validate", "--older-than", "1h"]);
    assert!(lines(&too_young).is_empty(), "{too_young}");
    assert_eq!(
        too_young.lines().next(),
        Some("stage\tmessage_id\treason\tage\tarticle_id\tdetail"),
        "a header even when nothing matched"
    );
    let (ok, as_json, stderr) = env.run_gazette(&["dlq", "list", "--stage", "validate", "--json"]);
    assert!(ok, "{stderr}");
    let letters = cli_schemas::assert_matches("cli.dlq-list.v1.json", &as_json);
    let letters = letters.as_array().unwrap();
    assert_eq!(letters.len(), 3, "{as_json}");
    assert!(
        letters
            .iter()
            .any(|l| l["article_id"] == "dlq-article" && l["reason"] == "schema")
    );
    assert!(
        letters
            .iter()
            .all(|l| l["stage"] == "validate" && l["age_seconds"].is_u64())
    );

    let (ok, shown, _) = env.run_gazette(&["dlq", "show", "not-json-1", "--stage", "validate"]);
    assert!(ok);
    assert!(
        shown.contains("reason: invalid-json")
            && shown.contains("not JSON")
            && shown.contains("{ nope"),
        "{shown}"
    );

    let (ok, _, refused) = env.run_gazette(&["dlq", "purge", "--stage", "validate"]);
    assert!(
        !ok && refused.contains("--all"),
        "an unfiltered purge needs --all: {refused}"
    );
    let (ok, dry, _) = env.run_gazette(&[
        "dlq",
        "purge",
        "--stage",
        "validate",
        "--reason",
        "invalid-json",
        "--dry-run",
    ]);
    assert!(
        ok && dry.contains("2 dead letters would be purged"),
        "{dry}"
    );
    wait_for_dead_letters(&env, 3).await;
    let (ok, purged, _) = env.run_gazette(&[
        "dlq",
        "purge",
        "--stage",
        "validate",
        "--reason",
        "invalid-json",
    ]);
    assert!(ok && purged.contains("2 dead letters purged"), "{purged}");
    wait_for_dead_letters(&env, 1).await;

    // Replayed, the still-broken submission is judged again and comes back
    // with its message id, marked as replayed once.
    let (ok, replayed, _) = env.run_gazette(&[
        "dlq",
        "replay",
        "--stage",
        "validate",
        "--article",
        "dlq-article",
        "--rate",
        "50",
    ]);
    assert!(
        ok && replayed.contains("1 dead letters replayed"),
        "{replayed}"
    );
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (_, shown, _) = env.run_gazette(&["dlq", "show", "bad-schema", "--stage", "validate"]);
        if shown.contains("header x-gazette-replayed: 1") {
            assert!(shown.contains("reason: schema"), "{shown}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replayed letter did not come back: {shown}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    publisher.close().await;
    env.teardown().await;
}

/// A withdrawal dead-lettered by publish goes back as a withdrawal: the
/// replay keeps the routing key (through the stage's own delay queue, the one
/// way a stage trusts Gazette's header), so publish refuses it again for the
/// same reason instead of misreading it. Listing, any number of times,
/// loses nothing, and lists every stage's letters by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_withdrawal_is_judged_as_a_withdrawal_again() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("dlq-withdrawal").await;
    ensure_topology(&env.settings, &gazette_stages::all_specs())
        .await
        .unwrap();
    let _workers = ["validate", "publish"].map(|stage| env.spawn_worker(stage));
    support::cms::post(
        &env,
        gazette_contract::EventType::Withdrawn,
        &support::cms::withdrawal("ghost", "never published"),
    )
    .await;
    let dead = Topology::new(&env.namespace).dead_queue("publish");
    let letter_count = || async {
        queue_depth(&env.settings, &dead)
            .await
            .unwrap()
            .unwrap_or(0)
    };
    support::eventually(|| async {
        match letter_count().await {
            1 => Ok(()),
            n => Err(format!("publish's dead-letter queue holds {n}")),
        }
    })
    .await;
    for _ in 0..3 {
        let (ok, all, _) = env.run_gazette(&["dlq", "list"]);
        assert!(ok, "{all}");
        let line = all
            .lines()
            .find(|l| l.starts_with("publish\t"))
            .unwrap_or_else(|| panic!("dlq list without --stage shows publish's letter: {all}"));
        assert!(line.contains("unknown-article"), "{line}");
    }
    assert_eq!(letter_count().await, 1, "listing lost a letter");

    let (ok, replayed, _) =
        env.run_gazette(&["dlq", "replay", "--stage", "publish", "--rate", "50"]);
    assert!(
        ok && replayed.contains("1 dead letters replayed"),
        "{replayed}"
    );
    support::eventually(|| async {
        let (_, all, _) = env.run_gazette(&["dlq", "list", "--stage", "publish"]);
        let Some(id) = all
            .lines()
            .find(|l| l.starts_with("publish\t"))
            .and_then(|l| l.split('\t').nth(1))
        else {
            return Err(format!("no letter back yet: {all}"));
        };
        let (_, shown, _) = env.run_gazette(&["dlq", "show", id, "--stage", "publish"]);
        match shown.contains("header x-gazette-replayed: 1") {
            true if shown.contains("reason: unknown-article")
                && shown.contains("header x-gazette-routing-key: withdrawal.validated") =>
            {
                Ok(())
            }
            true => Err(format!("replayed as something else: {shown}")),
            false => Err(format!("not replayed yet: {shown}")),
        }
    })
    .await;
    env.teardown().await;
}
