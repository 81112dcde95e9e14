//! deploy/ kept honest: every file parses, the broker definitions match the code's topology, users are least-privilege, every stage is deployed and scaled.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::path::Path;
use std::process::Command;

use crate::support;
use crate::support::repo_root;
use regex::Regex;
use serde::Deserialize as _;
use serde_json::Value;

/// The stages that run as processes of their own, each with a deployment
/// and a broker user: the stage table's entries that are no one's companion.
fn processes() -> impl Iterator<Item = &'static str> {
    gazette_stages::STAGES
        .iter()
        .filter(|stage| !stage.is_companion())
        .map(gazette_stages::Stage::name)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo_root().join(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn yaml_documents(relative: &str) -> Vec<serde_yaml_ng::Value> {
    serde_yaml_ng::Deserializer::from_str(&read(relative))
        .map(|document| {
            serde_yaml_ng::Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{relative}: {e}"))
        })
        .collect()
}

fn definitions() -> Value {
    serde_json::from_str(&read("deploy/rabbitmq/definitions.json")).unwrap()
}

/// The topology the code declares with default settings, from `gazette topology`.
fn declared_topology() -> Value {
    let out = support::stdout_of(
        Command::new(env!("CARGO_BIN_EXE_gazette"))
            .arg("topology")
            .env_remove("GAZETTE_NAMESPACE")
            .env_remove("GAZETTE_RETRY_DELAYS")
            .env_remove("GAZETTE_DELIVERY_LIMIT")
            .env_remove("GAZETTE_CONFIG"),
        "gazette topology",
    );
    serde_json::from_slice(&out).unwrap()
}

fn sorted(values: &Value) -> Vec<String> {
    let mut items: Vec<String> = values
        .as_array()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect();
    items.sort();
    items
}

#[test]
fn broker_definitions_declare_exactly_what_the_code_declares() {
    let declared = declared_topology();
    let definitions = definitions();
    for kind in ["exchanges", "queues", "bindings"] {
        assert_eq!(
            sorted(&definitions[kind]),
            sorted(&declared[kind]),
            "deploy/rabbitmq/definitions.json {kind} drifted from the code; regenerate them with `gazette topology`"
        );
    }
    let queues = declared["queues"].as_array().unwrap();
    assert!(queues.iter().any(|q| q["name"] == "gazette.publish"
        && q["arguments"]["x-dead-letter-strategy"] == "at-least-once"));
}

/// Whether `user` may do `permission` (configure, write, read) on `resource`.
fn allowed(definitions: &Value, user: &str, permission: &str, resource: &str) -> bool {
    definitions["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["user"] == user)
        .any(|p| {
            Regex::new(p[permission].as_str().unwrap())
                .unwrap()
                .is_match(resource)
        })
}

/// Whether `user`'s topic permission on `exchange` lets it `permission` (write, read) routing key `key`.
fn topic_allowed(
    definitions: &Value,
    user: &str,
    exchange: &str,
    permission: &str,
    key: &str,
) -> bool {
    let rules: Vec<&Value> = definitions["topic_permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["user"] == user && p["exchange"] == exchange)
        .collect();
    // Without a topic permission RabbitMQ allows every key.
    rules.is_empty()
        || rules.iter().any(|p| {
            Regex::new(p[permission].as_str().unwrap())
                .unwrap()
                .is_match(key)
        })
}

fn may_publish(definitions: &Value, user: &str, exchange: &str, key: &str) -> bool {
    allowed(definitions, user, "write", exchange)
        && topic_allowed(definitions, user, exchange, "write", key)
}

#[test]
fn each_service_has_a_least_privilege_user() {
    let d = definitions();
    // Stages publish only their own output.
    assert!(may_publish(
        &d,
        "gazette-validate",
        "gazette.internal",
        "article.validated"
    ));
    assert!(may_publish(
        &d,
        "gazette-validate",
        "gazette.events",
        "article.rejected"
    ));
    assert!(!may_publish(
        &d,
        "gazette-validate",
        "gazette.events",
        "article.published"
    ));
    assert!(may_publish(
        &d,
        "gazette-validate",
        "gazette.internal",
        "article.validated.no-pictures"
    ));
    // Validate may send an article past media, never as media's output.
    assert!(!may_publish(
        &d,
        "gazette-validate",
        "gazette.internal",
        "article.illustrated"
    ));
    assert!(may_publish(
        &d,
        "gazette-render",
        "gazette.internal",
        "article.rendered"
    ));
    assert!(
        !may_publish(&d, "gazette-render", "gazette.events", "article.published"),
        "the renderer must not announce publication"
    );
    assert!(!may_publish(
        &d,
        "gazette-render",
        "gazette.internal",
        "article.validated"
    ));
    assert!(may_publish(
        &d,
        "gazette-publish",
        "gazette.events",
        "article.published"
    ));
    assert!(!may_publish(
        &d,
        "gazette-publish",
        "gazette.events",
        "article.submitted"
    ));
    // The notifier hands notifications to itself and announces nothing.
    assert!(may_publish(
        &d,
        "gazette-notify",
        "gazette.internal",
        "notification.due"
    ));
    assert!(!may_publish(
        &d,
        "gazette-notify",
        "gazette.events",
        "article.published"
    ));
    assert!(allowed(&d, "gazette-notify", "read", "gazette.deliver"));
    for stage in processes() {
        let user = format!("gazette-{stage}");
        assert!(
            allowed(&d, &user, "read", &format!("gazette.{stage}")),
            "{user} consumes its queue"
        );
        assert!(
            allowed(&d, &user, "write", "amq.default"),
            "{user} sends retries through the default exchange"
        );
        for other in processes().filter(|s| *s != stage) {
            assert!(
                !allowed(&d, &user, "read", &format!("gazette.{other}")),
                "{user} must not consume {other}'s queue"
            );
        }
    }
    // The upstream system can submit, and nothing else.
    assert!(may_publish(
        &d,
        "gazette-upstream",
        "gazette.events",
        "article.submitted"
    ));
    assert!(!may_publish(
        &d,
        "gazette-upstream",
        "gazette.events",
        "article.published"
    ));
    assert!(!may_publish(
        &d,
        "gazette-upstream",
        "gazette.internal",
        "article.rendered"
    ));
    for permission in ["configure", "read"] {
        assert!(!allowed(
            &d,
            "gazette-upstream",
            permission,
            "gazette.validate"
        ));
    }
    // A subscriber reads public events into queues of its own, and nothing internal.
    assert!(allowed(
        &d,
        "gazette-subscriber",
        "configure",
        "gazette.subscriber.webhooks"
    ));
    assert!(allowed(&d, "gazette-subscriber", "read", "gazette.events"));
    assert!(topic_allowed(
        &d,
        "gazette-subscriber",
        "gazette.events",
        "read",
        "article.published"
    ));
    assert!(!allowed(
        &d,
        "gazette-subscriber",
        "read",
        "gazette.internal"
    ));
    assert!(!allowed(
        &d,
        "gazette-subscriber",
        "read",
        "gazette.validate"
    ));
    assert!(!may_publish(
        &d,
        "gazette-subscriber",
        "gazette.events",
        "article.published"
    ));
    let users: Vec<&str> = d["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    for user in [
        "gazette-validate",
        "gazette-render",
        "gazette-publish",
        "gazette-upstream",
        "gazette-subscriber",
    ] {
        assert!(users.contains(&user), "{user} is missing");
    }
}

#[test]
fn the_indexer_runs_as_an_active_and_a_standby_replica() {
    let documents = yaml_documents("deploy/kubernetes/index.yaml");
    let deployment = documents
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .unwrap();
    assert_eq!(deployment["spec"]["replicas"].as_i64(), Some(2));
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["args"][1].as_str(), Some("index"));
    assert_eq!(
        container["readinessProbe"]["httpGet"]["path"].as_str(),
        Some("/readyz")
    );
    assert!(
        !documents.iter().any(|d| d["kind"] == "ScaledObject"),
        "a single active consumer is not scaled by queue length"
    );
    let kustomization =
        std::fs::read_to_string(repo_root().join("deploy/kubernetes/kustomization.yaml")).unwrap();
    assert!(kustomization.contains("index.yaml"));
    let definitions: Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("deploy/rabbitmq/definitions.json")).unwrap(),
    )
    .unwrap();
    let queue = definitions["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "gazette.index")
        .unwrap();
    assert_eq!(queue["arguments"]["x-single-active-consumer"], true);
}

#[test]
fn every_stage_is_deployed_probed_and_scaled_on_its_queue() {
    let kustomization = &yaml_documents("deploy/kubernetes/kustomization.yaml")[0];
    let resources: Vec<&str> = kustomization["resources"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for resource in &resources {
        assert!(
            Path::new(&repo_root().join("deploy/kubernetes").join(resource)).exists(),
            "{resource} is listed but missing"
        );
    }
    for stage in processes() {
        let file = format!("{stage}.yaml");
        assert!(
            resources.contains(&file.as_str()),
            "kustomization.yaml does not include {file}"
        );
        let documents = yaml_documents(&format!("deploy/kubernetes/{file}"));
        let kind = |k: &str| {
            documents
                .iter()
                .find(|d| d["kind"] == k)
                .unwrap_or_else(|| panic!("{file} has no {k}"))
        };
        let container = &kind("Deployment")["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["args"][1].as_str(), Some(stage));
        assert_eq!(
            container["livenessProbe"]["httpGet"]["path"].as_str(),
            Some("/healthz")
        );
        assert_eq!(
            container["readinessProbe"]["httpGet"]["path"].as_str(),
            Some("/readyz")
        );
        assert!(
            container["resources"]["requests"]["cpu"].is_string(),
            "{file}: resource requests"
        );
        if gazette_stages::stage(stage).is_some_and(|s| s.spec.single_active_consumer) {
            // One active consumer and standbys: more copies cannot help, so no KEDA.
            continue;
        }
        // KEDA owns the replica count, and a budget must let a single
        // replica be drained off its node.
        assert!(
            kind("Deployment")["spec"]["replicas"].is_null(),
            "{file}: replicas beside a ScaledObject is reset on every apply"
        );
        let budget = &kind("PodDisruptionBudget")["spec"];
        assert_eq!(budget["maxUnavailable"].as_i64(), Some(1), "{file}");
        assert!(budget["minAvailable"].is_null(), "{file}");
        let trigger = &kind("ScaledObject")["spec"]["triggers"][0];
        assert_eq!(trigger["type"].as_str(), Some("rabbitmq"));
        assert_eq!(
            trigger["metadata"]["queueName"].as_str(),
            Some(format!("gazette.{stage}").as_str())
        );
    }
}

#[test]
fn compose_and_the_images_describe_a_full_stack() {
    let compose = &yaml_documents("deploy/compose/compose.yaml")[0];
    let services = compose["services"].as_mapping().unwrap();
    for service in [
        "rabbitmq",
        "garage",
        "garage-init",
        "validate",
        "render",
        "publish",
        "notify",
    ] {
        assert!(
            services.contains_key(service),
            "compose.yaml has no {service}"
        );
    }
    assert!(
        compose["services"]["rabbitmq"]["image"]
            .as_str()
            .unwrap()
            .contains("management")
    );
    let dockerfile = read("deploy/Dockerfile");
    assert!(
        dockerfile
            .lines()
            .filter(|l| l.starts_with("FROM "))
            .count()
            >= 2,
        "the Dockerfile is multi-stage"
    );
    assert!(
        dockerfile.contains("USER 65532"),
        "the image runs as non-root"
    );
    let garage: toml::Table = read("deploy/compose/garage.toml").parse().unwrap();
    assert!(
        garage.contains_key("s3_web"),
        "the local store serves the site"
    );
    let env = read("deploy/compose/gazette.env");
    assert!(
        env.lines()
            .all(|l| l.is_empty() || l.starts_with('#') || l.contains('=')),
        "gazette.env is KEY=VALUE lines"
    );
}
