//! Webhooks against real peers: a receiver that checks signatures, RabbitMQ's delay queues, SQLite and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::time::Duration;

use crate::support::needs;
use crate::support::notifier::{
    Hung, Receiver, Script, add_webhook, publish, published, subscribers,
};
use crate::support::notify_worker::{LOOPBACK_ALLOWED, Notifier, PostgresDatabase, wait_for_state};
use crate::support::{PATIENCE, TestEnv};
use gazette_broker::{Exchange, Outbound, Publisher};
use gazette_stages::{Due, NOTIFICATION_DUE};
use gazette_webhooks::{verify, webhook_id};

async fn signed_once_per_event(name: &str, database: Option<&PostgresDatabase>) {
    let mut receiver = Receiver::start().await;
    let mut notifier = Notifier::start(name, database, &[LOOPBACK_ALLOWED]).await;
    let (everything, secret) = add_webhook(&notifier.vars, &receiver.url("all"), &[]);
    let (health_only, _) = add_webhook(&notifier.vars, &receiver.url("health"), &["y-te"]);
    notifier.run().await;

    let first = published(
        "ntl-hoi-nghi-14",
        1,
        "tin-tuc-su-kien",
        "Hội nghị lần thứ 14",
    );
    publish(&notifier.env.settings, &[&first]).await;
    let got = receiver.wait_for("all", 1).await;
    let request = &got[0];
    assert!(
        verify(&secret, &request.signed_headers(), &request.body),
        "the signature verifies"
    );
    assert_eq!(request.webhook_id, webhook_id(&first.id));
    let body = request.json();
    assert_eq!(body["type"], "article.published");
    assert_eq!(body["data"]["article_id"], "ntl-hoi-nghi-14");
    assert_eq!(body["data"]["title"], "Hội nghị lần thứ 14");
    assert!(body["timestamp"].as_str().unwrap().starts_with("20"));
    let schemas = gazette_contract::Schemas::load().unwrap();
    if let Err(errors) = schemas.check_webhook(&body) {
        panic!("the body breaks schemas/webhook.article.published.v1.json: {errors:?}");
    }
    let ledger = notifier.ledger().await;
    assert_eq!(
        wait_for_state(&ledger, &everything, &first.id, "delivered").await,
        1
    );

    // The same event twice more, and a redelivered hand-off for it.
    publish(&notifier.env.settings, &[&first, &first]).await;
    let publisher = Publisher::connect(&notifier.env.settings, "test")
        .await
        .unwrap();
    let redelivered = Due {
        subscription_id: everything.clone(),
        notification_key: first.id.clone(),
        event: serde_json::to_value(&first).unwrap(),
    };
    publisher
        .publish(&Outbound {
            exchange: Exchange::Internal,
            routing_key: NOTIFICATION_DUE.to_owned(),
            body: serde_json::to_vec(&redelivered).unwrap(),
            message_id: "redelivered".to_owned(),
            correlation_id: None,
            content_type: "application/json",
            content_encoding: None,
            headers: Default::default(),
        })
        .await
        .unwrap();
    publisher.close().await;
    notifier.wait_handled("notify", 3).await;
    notifier.wait_handled("deliver", 2).await;
    assert_eq!(
        receiver.received("all").len(),
        1,
        "duplicates notified nobody twice"
    );
    assert!(
        receiver.received("health").is_empty(),
        "another category's subscriber heard nothing"
    );

    let health = published("ntl-tiem-chung", 1, "y-te", "Lịch tiêm chủng tháng 7");
    publish(&notifier.env.settings, &[&health]).await;
    receiver.wait_for("health", 1).await;
    receiver.wait_for("all", 2).await;
    assert_eq!(
        wait_for_state(&ledger, &health_only, &health.id, "delivered").await,
        1
    );
    ledger.close().await;
    notifier.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_filtered_and_sent_once_per_event_on_sqlite() {
    needs!(RabbitMq, Garage);
    signed_once_per_event("notify-sqlite", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_filtered_and_sent_once_per_event_on_postgres() {
    needs!(RabbitMq, Garage, Postgres);
    let database = PostgresDatabase::create(&format!("gazette_notify_{}", std::process::id()));
    signed_once_per_event("notify-postgres", Some(&database)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_follow_the_compressed_schedule_and_honour_retry_after() {
    needs!(RabbitMq, Garage);
    let mut receiver = Receiver::start().await;
    receiver.script(
        "flaky",
        Script(
            [
                (503, vec![]),
                (429, vec![("retry-after", "3600".to_owned())]),
                (500, vec![]),
                (200, vec![]),
            ]
            .into(),
        ),
    );
    let mut notifier = Notifier::start("notify-retry", None, &[LOOPBACK_ALLOWED]).await;
    let (id, secret) = add_webhook(&notifier.vars, &receiver.url("flaky"), &[]);
    notifier.run().await;
    let event = published("ntl-mua-lu", 1, "tin-tuc-su-kien", "Cảnh báo mưa lũ");
    publish(&notifier.env.settings, &[&event]).await;

    let got = receiver.wait_for("flaky", 4).await;
    let ledger = notifier.ledger().await;
    assert_eq!(
        wait_for_state(&ledger, &id, &event.id, "delivered").await,
        4
    );
    assert!(
        got.iter().all(|r| r.webhook_id == webhook_id(&event.id)),
        "one webhook-id across retries"
    );
    assert!(
        got.iter()
            .all(|r| verify(&secret, &r.signed_headers(), &r.body))
    );
    let gap = |i: usize| got[i + 1].at.duration_since(got[i].at);
    // Retry-After: 3600 s on the compressed clock is 360 ms; the schedule's own step there is 30 ms.
    assert!(
        gap(1) >= Duration::from_millis(360),
        "Retry-After honoured: {:?}",
        gap(1)
    );
    // The third step, 30 min compressed to 180 ms, less at most 20 % jitter.
    assert!(
        gap(2) >= Duration::from_millis(144),
        "schedule followed: {:?}",
        gap(2)
    );
    ledger.close().await;
    notifier.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_the_endpoint() {
    needs!(RabbitMq, Garage);
    let mut receiver = Receiver::start().await;
    receiver.script("gone", Script::always(410));
    let mut notifier = Notifier::start("notify-gone", None, &[LOOPBACK_ALLOWED]).await;
    let (id, _) = add_webhook(&notifier.vars, &receiver.url("gone"), &[]);
    notifier.run().await;
    let first = published("ntl-a", 1, "tin-tuc-su-kien", "Tin A");
    publish(&notifier.env.settings, &[&first]).await;
    receiver.wait_for("gone", 1).await;
    let ledger = notifier.ledger().await;
    wait_for_state(&ledger, &id, &first.id, "dropped").await;
    let listed = subscribers(&notifier.vars, &["list"]);
    assert!(
        listed.contains("disabled: the endpoint answered 410 Gone"),
        "{listed}"
    );

    let second = published("ntl-b", 1, "tin-tuc-su-kien", "Tin B");
    publish(&notifier.env.settings, &[&second]).await;
    notifier.wait_handled("notify", 2).await;
    assert_eq!(
        receiver.received("gone").len(),
        1,
        "a disabled endpoint hears nothing more"
    );
    ledger.close().await;
    notifier.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed_and_exhausted_retries_are_dead_lettered() {
    needs!(RabbitMq, Garage);
    let receiver = Receiver::start().await;
    receiver.script(
        "moved",
        Script([(307, vec![("location", receiver.url("ok"))])].into()),
    );
    let mut notifier = Notifier::start("notify-redirect", None, &[LOOPBACK_ALLOWED]).await;
    let (id, _) = add_webhook(&notifier.vars, &receiver.url("moved"), &[]);
    notifier.run().await;
    let mut dead = notifier.env.dead_letters("deliver").await;
    let event = published("ntl-c", 1, "tin-tuc-su-kien", "Tin C");
    publish(&notifier.env.settings, &[&event]).await;

    // Seven attempts (the first and six retries), then the dead-letter queue.
    let letter = dead.next(PATIENCE).await.unwrap().expect("a dead letter");
    assert_eq!(
        letter.headers.get("x-gazette-reason").map(String::as_str),
        Some("retries-exhausted")
    );
    assert_eq!(receiver.received("moved").len(), 7);
    assert!(
        receiver.received("ok").is_empty(),
        "the redirect was not followed"
    );
    let ledger = notifier.ledger().await;
    assert_eq!(wait_for_state(&ledger, &id, &event.id, "failed").await, 7);
    ledger.close().await;
    dead.close().await;
    notifier.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_and_metadata_addresses_are_refused_without_an_allow_list() {
    needs!(RabbitMq, Garage);
    let receiver = Receiver::start().await;
    let port = receiver.addr.port();
    let mut notifier = Notifier::start("notify-ssrf", None, &[]).await;
    for url in [
        format!("http://localhost:{port}/by-name"),
        format!("http://127.0.0.1:{port}/by-address"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://[::ffff:127.0.0.1]:{port}/mapped"),
    ] {
        add_webhook(&notifier.vars, &url, &[]);
    }
    notifier.run().await;
    let mut dead = notifier.env.dead_letters("deliver").await;
    publish(
        &notifier.env.settings,
        &[&published("ntl-d", 1, "tin-tuc-su-kien", "Tin D")],
    )
    .await;
    for _ in 0..4 {
        let letter = dead
            .next(PATIENCE)
            .await
            .unwrap()
            .expect("a dead letter per endpoint");
        assert_eq!(
            letter.headers.get("x-gazette-reason").map(String::as_str),
            Some("blocked-address")
        );
    }
    assert!(receiver.received("by-name").is_empty() && receiver.received("by-address").is_empty());
    assert!(receiver.received("mapped").is_empty());
    dead.close().await;
    notifier.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_endpoint_does_not_delay_a_healthy_one() {
    needs!(RabbitMq, Garage);
    let mut receiver = Receiver::start().await;
    let hung = Hung::start().await;
    let mut notifier = Notifier::start(
        "notify-hung",
        None,
        &[
            LOOPBACK_ALLOWED,
            ("GAZETTE_WEBHOOK_TIMEOUT", "20s"),
            ("GAZETTE_SHUTDOWN_GRACE", "1s"),
        ],
    )
    .await;
    add_webhook(&notifier.vars, &format!("http://{}/hook", hung.addr), &[]);
    add_webhook(&notifier.vars, &receiver.url("ok"), &[]);
    notifier.run().await;
    // More notifications for the hung endpoint than the worker has delivery slots (64).
    let events: Vec<_> = (0..80)
        .map(|i| published(&format!("ntl-e{i}"), 1, "tin-tuc-su-kien", "Tin E"))
        .collect();
    publish(&notifier.env.settings, &events.iter().collect::<Vec<_>>()).await;
    receiver.wait_for("ok", 80).await;
    let accepted = hung.accepted.load(std::sync::atomic::Ordering::SeqCst);
    let abandoned = hung.abandoned.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (1..=4).contains(&accepted),
        "the hung endpoint holds at most its 4 requests, not the worker's slots: {accepted}"
    );
    assert_eq!(
        abandoned, 0,
        "the healthy endpoint got everything before any hung request timed out"
    );
    notifier.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topology_for_the_notifier_declares_its_own_retry_schedule() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("notify-topology").await;
    let (ok, out, err) = env.run_gazette(&["topology"]);
    assert!(ok, "{err}");
    // The default schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h.
    for delay in [
        "5000ms",
        "300000ms",
        "1800000ms",
        "7200000ms",
        "18000000ms",
        "36000000ms",
    ] {
        assert!(
            out.contains(&format!("{}.deliver.retry.{delay}", env.namespace)),
            "{delay}"
        );
    }
    env.teardown().await;
}
