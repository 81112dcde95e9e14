//! deploy/rabbitmq/definitions.json on a live broker: each service's user can do its job and nothing the issue forbids.
//!
//! The definitions are imported into a scratch virtual host with the user
//! names made unique, so the machine's own users and vhosts are untouched.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::collections::BTreeMap;
use std::process::Command;

use crate::support;
use crate::support::needs;
use crate::support::{rabbitmqctl, repo_root};
use gazette_broker::{AmqpUrl, BrokerSettings, Exchange, Outbound, Publisher, Routed};
use gazette_contract::CONTENT_TYPE;

const PASSWORD: &str = "permissions-test";

/// One scratch vhost at a time: importing definitions and deleting a vhost
/// full of quorum queues are heavy broker-wide operations, and this
/// machine's RabbitMQ 3.10 has stopped answering connections shortly after
/// two such tests overlapped. Held until the scratch is removed (declared
/// before it, so dropped after it).
static ONE_SCRATCH_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

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

/// The definitions, moved into `vhost` and with every user they declare
/// renamed `<prefix><name>`. The users are read from the file, not listed
/// here: a user added to the definitions and missed by a list would be
/// imported under its real name on the machine's broker and never removed.
fn scratch_definitions(vhost: &str, prefix: &str) -> (String, Vec<String>) {
    let text =
        std::fs::read_to_string(repo_root().join("deploy/rabbitmq/definitions.json")).unwrap();
    let mut definitions: serde_json::Value = serde_json::from_str(&text).unwrap();
    let renamed = |name: &str| format!("{prefix}{name}");
    let mut users = Vec::new();
    for user in definitions["users"].as_array_mut().unwrap() {
        let name = user["name"].as_str().unwrap().to_owned();
        users.push(renamed(&name));
        user["name"] = renamed(&name).into();
    }
    assert!(!users.is_empty(), "the definitions declare no users");
    for vhost_entry in definitions["vhosts"].as_array_mut().unwrap() {
        vhost_entry["name"] = vhost.into();
    }
    for section in [
        "permissions",
        "topic_permissions",
        "parameters",
        "policies",
        "exchanges",
        "queues",
        "bindings",
    ] {
        for entry in definitions[section].as_array_mut().unwrap() {
            entry["vhost"] = vhost.into();
            if let Some(user) = entry.get("user").and_then(|u| u.as_str()) {
                entry["user"] = renamed(user).into();
            }
        }
    }
    (definitions.to_string(), users)
}

impl Scratch {
    /// A fresh vhost holding deploy/rabbitmq/definitions.json, its users
    /// renamed for this test and given [`PASSWORD`].
    fn import(name: &str) -> Self {
        let vhost = format!("gazette-{name}-{}", std::process::id());
        let prefix = format!("test{}-{name}-", std::process::id());
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
        scratch
    }

    /// The renamed user for one of the definitions' users (`upstream`, ...).
    fn user(&self, name: &str) -> String {
        let user = self
            .users
            .iter()
            .find(|u| u.ends_with(&format!("-gazette-{name}")))
            .unwrap_or_else(|| panic!("no user gazette-{name} in the definitions"));
        user.clone()
    }
}

/// Publishes one message as `user`; `Ok` only if the broker confirmed it.
async fn publish_as(
    vhost: &str,
    user: &str,
    exchange: Exchange,
    routing_key: &str,
) -> Result<Routed, String> {
    publish_message_as(vhost, user, exchange, routing_key, b"{}", BTreeMap::new()).await
}

async fn publish_message_as(
    vhost: &str,
    user: &str,
    exchange: Exchange,
    routing_key: &str,
    body: &[u8],
    headers: BTreeMap<String, String>,
) -> Result<Routed, String> {
    let url = format!("amqp://{user}:{PASSWORD}@127.0.0.1:5672/{vhost}");
    let settings = BrokerSettings::new(AmqpUrl::new(url), "gazette");
    let publisher = Publisher::connect(&settings, "permissions-test")
        .await
        .map_err(|e| e.to_string())?;
    let message = Outbound {
        exchange,
        routing_key: routing_key.to_owned(),
        body: body.to_vec(),
        message_id: "permissions-test".to_owned(),
        correlation_id: None,
        content_type: CONTENT_TYPE,
        content_encoding: None,
        headers,
    };
    let result = publisher.publish(&message).await.map_err(|e| e.to_string());
    publisher.close().await;
    result
}

#[tokio::test]
async fn each_user_can_publish_its_own_events_and_no_others() {
    needs!(RabbitMq);
    let _turn = ONE_SCRATCH_AT_A_TIME.lock().await;
    let scratch = Scratch::import("permissions");
    let vhost = scratch.vhost.clone();
    let user = |name: &str| scratch.user(name);
    let refused = |result: &Result<Routed, String>| matches!(result, Err(e) if e.contains("ACCESS_REFUSED") || e.contains("access") || e.contains("403"));
    let checks = [
        (user("publish"), Exchange::Events, "article.published", true),
        (user("render"), Exchange::Internal, "article.rendered", true),
        (user("render"), Exchange::Events, "article.published", false),
        // Render tells the CMS when a title has no free address left.
        (user("render"), Exchange::Events, "article.rejected", true),
        // Publish no longer reads upstream's exchange, and nobody but
        // validate hands it a withdrawal.
        (
            user("upstream"),
            Exchange::Internal,
            "withdrawal.validated",
            false,
        ),
        (
            user("validate"),
            Exchange::Internal,
            "withdrawal.validated",
            true,
        ),
        (
            user("validate"),
            Exchange::Internal,
            "article.validated",
            true,
        ),
        // An article without pictures goes past media, and only validate
        // may send it there.
        (
            user("validate"),
            Exchange::Internal,
            "article.validated.no-pictures",
            true,
        ),
        (
            user("render"),
            Exchange::Internal,
            "article.validated.no-pictures",
            false,
        ),
        (
            user("media"),
            Exchange::Internal,
            "article.validated.no-pictures",
            false,
        ),
        (
            user("validate"),
            Exchange::Internal,
            "article.illustrated",
            false,
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

/// The attack from the trust-boundaries issue, as the least-privilege
/// upstream user: a message on a routing key upstream may use, carrying
/// Gazette's own routing-key and attempt headers and a rendered page for
/// `404.html` and for a real article. It must get nowhere: validate judges
/// it as what the broker says it is, dead-letters it at attempt 1, and no
/// public object changes.
#[tokio::test]
async fn an_upstream_user_cannot_forge_an_internal_step_with_headers() {
    needs!(RabbitMq, Garage);
    let _turn = ONE_SCRATCH_AT_A_TIME.lock().await;
    let scratch = Scratch::import("forgery");
    let vhost = scratch.vhost.clone();
    rabbitmqctl(&["set_permissions", "-p", &vhost, "guest", ".*", ".*", ".*"]);
    let guest_url = format!("amqp://guest:guest@127.0.0.1:5672/{vhost}");
    let mut env = support::TestEnv::start("forgery").await;
    env.namespace = "gazette".to_owned();
    env.extra_env.extend([
        ("GAZETTE_AMQP_URL".to_owned(), guest_url.clone()),
        ("GAZETTE_NAMESPACE".to_owned(), "gazette".to_owned()),
    ]);
    let up = support::Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));
    let article = support::example_article();
    let out = env.submit_and_wait(std::slice::from_ref(&article));
    assert!(out.contains("published revision 1"), "{out}");
    let store = env.store().await;
    let page_key = "tin-tuc-hoat-dong-cua-quan-uy/hoi-nghi-lan-thu-14-ban-chap-hanh-dang-bo-quan-khoa-iii-nhiem-ky-2020-2025.html";
    let page_before = store.get(page_key).await.unwrap().expect("the page");
    let not_found_before = store.get("404.html").await.unwrap().expect("the 404 page");

    let mut forged: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("schemas/examples/article.rendered.json")).unwrap(),
    )
    .unwrap();
    forged["data"]["validated"]["article"]["revision"] =
        serde_json::json!(9_007_199_254_740_991u64);
    let script = "<script>alert('forged')</script>";
    let mut bodies = Vec::new();
    for key in ["404.html", page_key] {
        forged["data"]["key"] = serde_json::json!(key);
        forged["data"]["html"] = serde_json::json!(script);
        bodies.push(serde_json::to_vec(&forged).unwrap());
    }
    let headers = BTreeMap::from([
        (
            "x-gazette-routing-key".to_owned(),
            "article.rendered".to_owned(),
        ),
        ("x-gazette-attempt".to_owned(), "999".to_owned()),
    ]);
    let upstream = scratch.user("upstream");
    for (body, routing_key) in bodies
        .iter()
        .zip(["article.withdrawn", "article.submitted"])
    {
        let sent = publish_message_as(
            &vhost,
            &upstream,
            Exchange::Events,
            routing_key,
            body,
            headers.clone(),
        )
        .await;
        assert!(sent.is_ok(), "upstream may post {routing_key}: {sent:?}");
    }

    // Both are judged by validate as what they were posted as, and refused there.
    let guest = BrokerSettings::new(AmqpUrl::new(guest_url), "gazette");
    let mut dead = gazette_broker::Tap::queue(&guest, "gazette.validate.dead")
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let letter = dead
            .next(support::PATIENCE)
            .await
            .unwrap()
            .expect("the forged message is dead-lettered by validate");
        assert_eq!(
            letter.headers.get("x-gazette-attempt").map(String::as_str),
            Some("1"),
            "the attempt header from the wire was believed: {:?}",
            letter.headers
        );
        seen.push(
            letter
                .headers
                .get("x-gazette-routing-key")
                .cloned()
                .unwrap_or_default(),
        );
    }
    seen.sort();
    assert_eq!(seen, ["article.submitted", "article.withdrawn"]);
    dead.close().await;

    // The CMS can still correct the article: nothing pinned its revision.
    let mut revised = article.clone();
    revised["revision"] = serde_json::json!(2);
    revised["lead"] = serde_json::json!("(NTL) Bản đã sửa.");
    let out = env.submit_and_wait(&[revised]);
    assert!(out.contains("updated revision 2"), "{out}");
    let page_after = store.get(page_key).await.unwrap().expect("the page");
    assert!(!String::from_utf8_lossy(&page_after).contains(script));
    assert_ne!(page_after, page_before, "revision 2 replaced the page");
    let not_found_after = store.get("404.html").await.unwrap().expect("the 404 page");
    assert_eq!(not_found_after, not_found_before, "404.html was rewritten");
    drop(up);
    drop(scratch);
}
