//! What an operator watches: `/metrics` counts real traffic, `/healthz` answers, `/readyz` follows the broker and the store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use crate::support::needs;
use crate::support::{
    PATIENCE, TestEnv, Worker, eventually, example_article_path, free_local_addr, rabbitmq_app,
    wait_for_http,
};
use gazette_contract::EventType;

fn metric(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_metrics_count_traffic_and_readiness_follows_the_broker_and_the_store() {
    needs!(RabbitMq, Garage);
    let mut env = TestEnv::start("ops").await;
    let addr = free_local_addr();
    env.extra_env
        .push(("GAZETTE_HTTP_ADDR".to_owned(), addr.to_string()));
    let mut events = env.tap(&[EventType::Published.as_str()]).await;
    let _up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));

    assert_eq!(wait_for_http(addr, "/healthz", 200).await, "ok\n");
    assert_eq!(wait_for_http(addr, "/readyz", 200).await, "ready\n");

    // Before any message: every stage's series at zero, described, and the build.
    let fresh = wait_for_http(addr, "/metrics", 200).await;
    for stage in [
        "validate", "render", "publish", "index", "notify", "deliver",
    ] {
        for family in [
            "consumed",
            "succeeded",
            "rejected",
            "retried",
            "dead_lettered",
        ] {
            let series = format!("gazette_messages_{family}_total{{stage=\"{stage}\"}}");
            assert_eq!(metric(&fresh, &series), Some(0.0), "{series} in\n{fresh}");
        }
    }
    assert!(
        fresh.contains("# HELP gazette_messages_dead_lettered_total "),
        "{fresh}"
    );
    assert!(
        fresh
            .lines()
            .any(|l| l.starts_with("gazette_build_info{") && l.ends_with(" 1")),
        "{fresh}"
    );

    let example = example_article_path();
    let broken = env.garage.dir.path().join("broken.json");
    std::fs::write(&broken, br#"{"id": "broken-1", "revision": 1}"#).unwrap();
    let (ok, _, stderr) = env.run_gazette(&[
        "submit",
        example.to_str().unwrap(),
        broken.to_str().unwrap(),
    ]);
    assert!(
        ok,
        "both files are submitted; judging them is the pipeline's job: {stderr}"
    );
    assert!(
        events.next(PATIENCE).await.unwrap().is_some(),
        "the example was published"
    );

    // The event is out once the broker confirmed it, a moment before the
    // publish stage counts its delivery as finished: wait for that count.
    let metrics = eventually(|| async move {
        let metrics = wait_for_http(addr, "/metrics", 200).await;
        match metric(&metrics, r#"gazette_messages_in_flight{stage="publish"}"#) {
            Some(0.0) => Ok(metrics),
            other => Err(format!("publish still has {other:?} in flight")),
        }
    })
    .await;
    assert_eq!(
        metric(
            &metrics,
            r#"gazette_messages_consumed_total{stage="validate"}"#
        ),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            r#"gazette_messages_rejected_total{stage="validate"}"#
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            r#"gazette_messages_dead_lettered_total{stage="validate"}"#
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            r#"gazette_messages_succeeded_total{stage="publish"}"#
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, r#"gazette_messages_in_flight{stage="render"}"#),
        Some(0.0),
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            r#"gazette_message_processing_seconds_count{stage="render"}"#
        ),
        Some(1.0),
        "{metrics}"
    );
    assert!(
        metric(
            &metrics,
            r#"gazette_s3_request_duration_seconds_count{operation="put"}"#
        )
        .is_some_and(|n| n >= 3.0),
        "{metrics}"
    );

    // The store goes away: not ready, saying why; back: ready again.
    env.garage.stop();
    let why = wait_for_http(addr, "/readyz", 503).await;
    assert!(why.starts_with("store:"), "{why}");
    env.garage.resume().expect("Garage resumes");
    wait_for_http(addr, "/readyz", 200).await;

    // The broker goes away: not ready; back: ready again, with a reconnect counted.
    events.close().await;
    rabbitmq_app("stop_app");
    let why = wait_for_http(addr, "/readyz", 503).await;
    rabbitmq_app("start_app");
    assert!(why.contains("is not connected to RabbitMQ"), "{why}");
    wait_for_http(addr, "/readyz", 200).await;
    let metrics = wait_for_http(addr, "/metrics", 200).await;
    assert!(
        metric(
            &metrics,
            r#"gazette_broker_reconnects_total{stage="validate"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{metrics}"
    );

    env.teardown().await;
}
