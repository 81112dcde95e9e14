//! The tap, which `gazette submit --wait`, the bench and the fault suite read events with, takes a bounded window of its queue, not the whole backlog.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use gazette_broker::{AmqpUrl, BrokerSettings, Exchange, Tap, delete_namespace, delete_queue};
use gazette_contract::EventType;
use gazette_stages::all_specs;
use serde_json::Value;

use crate::support::{amqp_url, needs, stdout_of};

/// The prefetch RabbitMQ holds for each consumer of `queue`, as `rabbitmqctl list_consumers` reports it.
fn prefetch_of(queue: &str) -> Vec<u64> {
    let listed = stdout_of(
        std::process::Command::new("rabbitmqctl").args([
            "-q",
            "list_consumers",
            "queue_name",
            "prefetch_count",
            "--formatter",
            "json",
        ]),
        "rabbitmqctl list_consumers",
    );
    let consumers: Vec<Value> = serde_json::from_slice(&listed).unwrap();
    consumers
        .iter()
        .filter(|consumer| consumer["queue_name"] == queue)
        .map(|consumer| consumer["prefetch_count"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_tap_consumes_with_a_bounded_prefetch() {
    needs!(RabbitMq);
    let namespace = format!("gazette-test-tap-{}", std::process::id());
    let settings = BrokerSettings::new(AmqpUrl::new(amqp_url()), namespace.clone());
    let durable = format!("{namespace}.window");
    // Unbounded (0), RabbitMQ would push a tap a queue's whole backlog
    // unacked, and all of it would come round again if the tap's node died.
    let declaring = Tap::durable(
        &settings,
        &durable,
        Exchange::Events,
        &[EventType::Published.as_str()],
    )
    .await
    .unwrap();
    let existing = Tap::queue(&settings, &durable).await.unwrap();
    let prefetch = prefetch_of(&durable);
    assert_eq!(
        prefetch.len(),
        2,
        "both taps consume {durable}: {prefetch:?}"
    );
    assert!(
        prefetch.iter().all(|n| (1..=1000).contains(n)),
        "each tap asks for a window of 1 to 1,000 messages: {prefetch:?}"
    );
    declaring.close().await;
    existing.close().await;
    delete_queue(&settings, &durable).await.unwrap();
    delete_namespace(&settings, &all_specs()).await.unwrap();
}
