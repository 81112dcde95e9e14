//! schemas/asyncapi.yaml against the code: every event type, exchange and stage queue the code uses is described, and every reference resolves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use crate::support::needs;
use crate::support::repo_root;
use gazette_broker::{AmqpUrl, BrokerSettings, plan};
use gazette_contract::EventType;
use gazette_stages::all_specs;
use serde_yaml_ng::Value;

fn document() -> Value {
    let text = std::fs::read_to_string(repo_root().join("schemas/asyncapi.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

/// Follows a local `#/a/b/c` reference, and any reference it lands on.
fn resolve<'a>(document: &'a Value, reference: &str) -> &'a Value {
    let path = reference
        .strip_prefix("#/")
        .unwrap_or_else(|| panic!("not a local reference: {reference}"));
    let node = path.split('/').fold(document, |node, key| {
        node.get(key)
            .unwrap_or_else(|| panic!("{reference} does not resolve at {key}"))
    });
    match node.get("$ref").and_then(Value::as_str) {
        Some(next) => resolve(document, next),
        None => node,
    }
}

fn default_plan() -> gazette_broker::TopologyPlan {
    plan(
        &BrokerSettings::new(AmqpUrl::new("amqp://localhost"), "gazette"),
        &all_specs(),
    )
}

#[test]
fn every_event_type_has_a_channel_on_the_exchange_the_code_uses() {
    let doc = document();
    assert_eq!(doc["asyncapi"].as_str(), Some("3.0.0"));
    let channels = doc["channels"].as_mapping().unwrap();
    let exchanges: Vec<(String, &str)> = default_plan()
        .exchanges
        .into_iter()
        .map(|e| (e.name, e.kind))
        .collect();
    for event_type in EventType::ALL {
        let channel = channels
            .values()
            .find(|c| c["address"].as_str() == Some(event_type.as_str()))
            .unwrap_or_else(|| panic!("asyncapi.yaml has no channel for {event_type}"));
        let exchange = &channel["bindings"]["amqp"]["exchange"];
        let expected = if event_type.is_public() {
            "gazette.events"
        } else {
            "gazette.internal"
        };
        assert_eq!(exchange["name"].as_str(), Some(expected), "{event_type}");
        let name = exchange["name"].as_str().unwrap();
        let kind = exchanges.iter().find(|(n, _)| n == name).map(|(_, k)| *k);
        assert_eq!(
            exchange["type"].as_str(),
            kind,
            "{name} has another type in the code"
        );
        for message in channel["messages"].as_mapping().unwrap().values() {
            let message = resolve(&doc, message["$ref"].as_str().unwrap());
            assert_eq!(message["name"].as_str(), Some(event_type.as_str()));
            // A 2020-12 schema says so: AsyncAPI's default schema format is its own.
            assert_eq!(
                message["payload"]["schemaFormat"].as_str(),
                Some("application/schema+json;version=draft-2020-12"),
                "{event_type}"
            );
            let payload = message["payload"]["schema"]["$ref"].as_str().unwrap();
            assert_eq!(payload, format!("./{}", event_type.schema_file()));
            assert!(
                repo_root()
                    .join("schemas")
                    .join(event_type.schema_file())
                    .exists()
            );
        }
    }
}

#[test]
fn every_stage_queue_is_described_and_consumed_by_an_operation() {
    let doc = document();
    let channels = doc["channels"].as_mapping().unwrap();
    let operations = doc["operations"].as_mapping().unwrap();
    let plan = default_plan();
    for stage in all_specs() {
        let queue = format!("gazette.{}", stage.name);
        assert!(
            plan.queues.iter().any(|q| q.name == queue),
            "the code no longer declares {queue}"
        );
        let (key, channel) = channels
            .iter()
            .find(|(_, c)| c["address"].as_str() == Some(queue.as_str()))
            .unwrap_or_else(|| panic!("asyncapi.yaml has no channel for the queue {queue}"));
        assert_eq!(channel["bindings"]["amqp"]["is"].as_str(), Some("queue"));
        let reference = format!("#/channels/{}", key.as_str().unwrap());
        let consumes = operations.values().find(|o| {
            o["action"] == "receive" && o["channel"]["$ref"].as_str() == Some(reference.as_str())
        });
        let consumes = consumes.unwrap_or_else(|| panic!("no operation receives from {queue}"));
        // The message it receives is the one the code binds the queue to.
        let (_, routing_key) = stage.consumes[0];
        let message = resolve(&doc, consumes["messages"][0]["$ref"].as_str().unwrap());
        assert_eq!(message["name"].as_str(), Some(routing_key), "{queue}");
    }
    for operation in operations.values() {
        resolve(&doc, operation["channel"]["$ref"].as_str().unwrap());
    }
}

/// The reference parser accepts the document: AsyncAPI 3's own rules, such
/// as an operation's messages belonging to its channel, which the checks
/// above do not know. `scripts/ensure-asyncapi-parser` installs it.
#[test]
fn the_reference_parser_accepts_the_document() {
    needs!(AsyncApiParser);
    let parser = String::from_utf8(crate::support::stdout_of(
        &mut std::process::Command::new(repo_root().join("scripts/ensure-asyncapi-parser")),
        "scripts/ensure-asyncapi-parser",
    ))
    .unwrap();
    let dir = std::path::PathBuf::from(parser.trim());
    // Node resolves the parser from the script's own folder.
    std::fs::copy(
        repo_root().join("tests/asyncapi/check.mjs"),
        dir.join("check.mjs"),
    )
    .unwrap();
    let out = std::process::Command::new("node")
        .current_dir(&dir)
        .arg("check.mjs")
        .arg(repo_root().join("schemas/asyncapi.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "@asyncapi/parser refuses schemas/asyncapi.yaml:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
