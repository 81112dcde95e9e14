//! Broken submissions are rejected with specific reasons, and a good article sent after them still gets through.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::collections::BTreeMap;
use std::time::Instant;

use crate::support;
use crate::support::needs;
use crate::support::{PATIENCE, TestEnv, example_article_path};
use gazette_broker::{Exchange, Outbound, Publisher, Routed, ensure_topology, headers};
use gazette_contract::{CONTENT_TYPE, Envelope, EventType, Rejected};
use gazette_stages::{Part, specs_of};
use serde_json::{Value, json};

/// Small enough that a test message can exceed it cheaply.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

struct Case {
    id: &'static str,
    body: Vec<u8>,
    reason: &'static str,
    /// Pointers the `article.rejected` must name; `None` when no article id can be read.
    rejected_at: Option<&'static [&'static str]>,
}

/// A well-formed envelope around `data`, which may be anything.
fn submission(id: &str, data: Value) -> Vec<u8> {
    gazette_testkit::events::Event::submitted(&data)
        .id(id)
        .source("/cms")
        .to_bytes()
}

fn good_data() -> Value {
    serde_json::from_slice(&std::fs::read(example_article_path()).expect("example"))
        .expect("example is JSON")
}

fn cases() -> Vec<Case> {
    let mut wrong_types = good_data();
    wrong_types["id"] = json!("bad-types");
    wrong_types["revision"] = json!("one");
    wrong_types["tags"] = json!("hội nghị");

    let mut violations = good_data();
    violations["id"] = json!("bad-fields");
    violations.as_object_mut().map(|o| o.remove("title"));
    violations["category"]["slug"] = json!("Tin Tức");
    violations["body"]["format"] = json!("docx");

    let mut empty_body = good_data();
    empty_body["id"] = json!("bad-body");
    empty_body["body"] = json!({"format": "html", "content": "<script>alert('x')</script>"});

    vec![
        Case {
            id: "not-json",
            body: b"{ \"id\": this is not json".to_vec(),
            reason: "invalid-json",
            rejected_at: None,
        },
        Case {
            id: "not-utf8",
            body: b"{\"id\": \"\xff\xfe\"}".to_vec(),
            reason: "invalid-utf8",
            rejected_at: None,
        },
        Case {
            id: "too-deep",
            body: "[".repeat(100).into_bytes(),
            reason: "too-deep",
            rejected_at: None,
        },
        Case {
            id: "oversized",
            body: submission("oversized", json!({"id": "x".repeat(MAX_MESSAGE_BYTES)})),
            reason: "oversized",
            rejected_at: None,
        },
        Case {
            id: "no-id",
            body: br#"{"specversion": "1.0", "data": {}}"#.to_vec(),
            reason: "schema",
            rejected_at: None,
        },
        Case {
            id: "wrong-types",
            body: submission("wrong-types", wrong_types),
            reason: "schema",
            rejected_at: Some(&["/data/revision", "/data/tags"]),
        },
        Case {
            id: "violations",
            body: submission("violations", violations),
            reason: "schema",
            rejected_at: Some(&["/data", "/data/category/slug", "/data/body/format"]),
        },
        Case {
            id: "empty-body",
            body: submission("empty-body", empty_body),
            reason: "rules",
            rejected_at: Some(&["/data/body/content"]),
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_inputs_are_rejected_and_do_not_stop_good_ones() {
    needs!(RabbitMq, Garage);
    let mut env = TestEnv::start("broken").await;
    env.extra_env.push((
        "GAZETTE_MAX_MESSAGE_BYTES".to_owned(),
        MAX_MESSAGE_BYTES.to_string(),
    ));
    ensure_topology(&env.settings, &specs_of(Part::Pipeline))
        .await
        .expect("topology");
    let mut events = env
        .tap(&[EventType::Published.as_str(), EventType::Rejected.as_str()])
        .await;
    let _up = support::Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));

    let publisher = Publisher::connect(&env.settings, "test")
        .await
        .expect("publisher");
    let cases = cases();
    for case in &cases {
        publish(&publisher, case.id, case.body.clone()).await;
    }
    // The good article starts a trace; every stage carries it on.
    let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    publish_traced(
        &publisher,
        "good",
        submission("good", good_data()),
        Some(trace),
    )
    .await;

    // Every identifiable broken case yields article.rejected; the good one is published.
    let expected_rejections = cases.iter().filter(|c| c.rejected_at.is_some()).count();
    let mut rejections: BTreeMap<String, Rejected> = BTreeMap::new();
    let mut published = false;
    let deadline = Instant::now() + PATIENCE;
    while !(published && rejections.len() == expected_rejections) {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = events.next(left).await.ok().flatten().unwrap_or_else(|| {
            panic!(
                "timed out: published={published}, rejections={:?}",
                rejections.keys().collect::<Vec<_>>()
            )
        });
        match message.routing_key.as_str() {
            "article.published" => {
                let carried = message
                    .headers
                    .get(gazette_broker::TRACEPARENT)
                    .cloned()
                    .unwrap_or_default();
                assert!(
                    carried.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
                    "the trace was not carried through: {carried:?}"
                );
                assert_ne!(carried, trace, "each hop gets its own span id");
                published = true;
            }
            _ => {
                let event: Envelope<Rejected> =
                    serde_json::from_slice(&message.body).expect("rejection decodes");
                assert_eq!(
                    event.correlationid.as_deref(),
                    Some(event.data.submission_id.as_str())
                );
                rejections.insert(event.data.submission_id.clone(), event.data);
            }
        }
    }
    for case in &cases {
        let Some(pointers) = case.rejected_at else {
            continue;
        };
        let rejection = rejections
            .get(case.id)
            .unwrap_or_else(|| panic!("no rejection for {}", case.id));
        let named: Vec<&str> = rejection
            .errors
            .iter()
            .map(|e| e.pointer.as_str())
            .collect();
        for pointer in pointers {
            assert!(
                named.contains(pointer),
                "{}: expected an error at {pointer}, got {:?}",
                case.id,
                rejection.errors
            );
        }
        assert!(rejection.errors.iter().all(|e| !e.message.is_empty()));
    }
    assert_eq!(rejections["wrong-types"].article_id, "bad-types");
    assert!(
        rejections["violations"]
            .errors
            .iter()
            .any(|e| e.pointer == "/data" && e.message.contains("title")),
        "the missing field is named: {:?}",
        rejections["violations"].errors
    );

    // Every broken case is dead-lettered with its specific reason for the operator.
    let mut dead = env.dead_letters("validate").await;
    let mut reasons = BTreeMap::new();
    while reasons.len() < cases.len() {
        let letter = dead
            .next(PATIENCE)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("dead letters so far: {reasons:?}"));
        assert_eq!(
            letter.headers.get(headers::STAGE).map(String::as_str),
            Some("validate")
        );
        assert!(
            letter
                .headers
                .get(headers::DETAIL)
                .is_some_and(|d| !d.is_empty())
        );
        let id = letter.message_id.clone().unwrap_or_default();
        reasons.insert(
            id,
            letter
                .headers
                .get(headers::REASON)
                .cloned()
                .unwrap_or_default(),
        );
    }
    for case in &cases {
        assert_eq!(
            reasons.get(case.id).map(String::as_str),
            Some(case.reason),
            "{}",
            case.id
        );
    }
    assert!(
        !reasons.contains_key("good"),
        "the good article was dead-lettered"
    );

    publisher.close().await;
    dead.close().await;
    events.close().await;
    env.teardown().await;
}

async fn publish(publisher: &Publisher, id: &str, body: Vec<u8>) {
    publish_traced(publisher, id, body, None).await;
}

async fn publish_traced(publisher: &Publisher, id: &str, body: Vec<u8>, traceparent: Option<&str>) {
    let message = Outbound {
        exchange: Exchange::Events,
        routing_key: EventType::Submitted.as_str().to_owned(),
        body,
        message_id: id.to_owned(),
        correlation_id: None,
        content_type: CONTENT_TYPE,
        content_encoding: None,
        headers: traceparent
            .map(|t| (gazette_broker::TRACEPARENT.to_owned(), t.to_owned()))
            .into_iter()
            .collect(),
    };
    assert_eq!(
        publisher.publish(&message).await.expect("confirmed"),
        Routed::Queued
    );
}
