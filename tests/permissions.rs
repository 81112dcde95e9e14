//! deploy/rabbitmq/definitions.json on a live broker: each service's user can do its job and nothing the issue forbids.
//!
//! The definitions are imported into a scratch virtual host with the user
//! names made unique, so the machine's own users and vhosts are untouched.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

mod support;

use std::collections::BTreeMap;
use std::process::Command;

use gazette_broker::{AmqpUrl, BrokerSettings, Exchange, Outbound, Publisher, Routed};
use gazette_contract::CONTENT_TYPE;
use support::{rabbitmqctl, repo_root};

const PASSWORD: &str = "permissions-test";

/// Removes the scratch vhost and users however the test ends.
struct Scratch {
    vhost: String,
    users: Vec<String>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for user in &self.users {
            let _ = Command::new("rabbitmqctl")
                .args(["-q", "delete_user", user])
                .output();
        }
        let _ = Command::new("rabbitmqctl")
            .args(["-q", "delete_vhost", &self.vhost])
            .output();
    }
}

/// The definitions, moved into `vhost` and with every user renamed `<prefix><name>`.
fn scratch_definitions(vhost: &str, prefix: &str) -> (String, Vec<String>) {
    let mut text =
        std::fs::read_to_string(repo_root().join("deploy/rabbitmq/definitions.json")).unwrap();
    text = text
        .replace("\"vhost\": \"/\"", &format!("\"vhost\": \"{vhost}\""))
        .replace("\"name\": \"/\"", &format!("\"name\": \"{vhost}\""));
    let users: Vec<String> = [
        "validate",
        "render",
        "publish",
        "upstream",
        "subscriber",
        "ops",
    ]
    .iter()
    .map(|u| format!("gazette-{u}"))
    .collect();
    for user in &users {
        text = text.replace(&format!("\"{user}\""), &format!("\"{prefix}{user}\""));
    }
    (text, users.iter().map(|u| format!("{prefix}{u}")).collect())
}

/// Publishes one message as `user`; `Ok` only if the broker confirmed it.
async fn publish_as(
    vhost: &str,
    user: &str,
    exchange: Exchange,
    routing_key: &str,
) -> Result<Routed, String> {
    let url = format!("amqp://{user}:{PASSWORD}@127.0.0.1:5672/{vhost}");
    let settings = BrokerSettings::new(AmqpUrl::new(url), "gazette");
    let publisher = Publisher::connect(&settings, "permissions-test")
        .await
        .map_err(|e| e.to_string())?;
    let message = Outbound {
        exchange,
        routing_key: routing_key.to_owned(),
        body: b"{}".to_vec(),
        message_id: "permissions-test".to_owned(),
        correlation_id: None,
        content_type: CONTENT_TYPE,
        headers: BTreeMap::new(),
    };
    let result = publisher.publish(&message).await.map_err(|e| e.to_string());
    publisher.close().await;
    result
}

#[tokio::test]
async fn each_user_can_publish_its_own_events_and_no_others() {
    let vhost = format!("gazette-permissions-{}", std::process::id());
    let prefix = format!("test{}-", std::process::id());
    let (definitions, users) = scratch_definitions(&vhost, &prefix);
    let scratch = Scratch {
        vhost: vhost.clone(),
        users: users.clone(),
    };
    rabbitmqctl(&["add_vhost", &vhost]);
    // The broker reads the file as its own user, so it must be readable by others.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &definitions).unwrap();
    std::fs::set_permissions(
        file.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    rabbitmqctl(&["import_definitions", file.path().to_str().unwrap()]);
    for user in &users {
        rabbitmqctl(&["change_password", user, PASSWORD]);
    }

    let user = |name: &str| format!("{prefix}gazette-{name}");
    let refused = |result: &Result<Routed, String>| matches!(result, Err(e) if e.contains("ACCESS_REFUSED") || e.contains("access") || e.contains("403"));
    let checks = [
        (user("publish"), Exchange::Events, "article.published", true),
        (user("render"), Exchange::Internal, "article.rendered", true),
        (user("render"), Exchange::Events, "article.published", false),
        (
            user("validate"),
            Exchange::Internal,
            "article.validated",
            true,
        ),
        (
            user("validate"),
            Exchange::Events,
            "article.published",
            false,
        ),
        (
            user("upstream"),
            Exchange::Events,
            "article.submitted",
            true,
        ),
        (
            user("upstream"),
            Exchange::Events,
            "article.published",
            false,
        ),
        (
            user("upstream"),
            Exchange::Internal,
            "article.rendered",
            false,
        ),
        (
            user("subscriber"),
            Exchange::Events,
            "article.published",
            false,
        ),
    ];
    let mut failures = Vec::new();
    for (user, exchange, routing_key, allowed) in &checks {
        let result = publish_as(&vhost, user, *exchange, routing_key).await;
        let ok = if *allowed {
            result.is_ok()
        } else {
            refused(&result)
        };
        if !ok {
            failures.push(format!(
                "{user} -> {exchange:?}/{routing_key}: expected {}, got {result:?}",
                if *allowed { "accepted" } else { "refused" }
            ));
        }
    }

    drop(scratch);
    assert!(failures.is_empty(), "{failures:#?}");
}
