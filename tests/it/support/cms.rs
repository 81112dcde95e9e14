//! What a CMS sends, for tests: article submissions and withdrawals as raw events, and `gazette submit --wait` with the URLs it reports.

use gazette_broker::{Exchange, Outbound, Publisher};
use gazette_contract::{CONTENT_TYPE, EventType};
use gazette_testkit::events::Event;
use serde_json::{Value, json};

use super::{TestEnv, example_article};

pub const CATEGORY: &str = "thong-bao";

pub fn article(id: &str, revision: u64, title: &str) -> Value {
    let mut article = example_article();
    article["id"] = json!(id);
    article["revision"] = json!(revision);
    article["title"] = json!(title);
    article["category"] = json!({"slug": CATEGORY, "name": "Thông báo"});
    article
}

/// `gazette submit --wait` for `articles`; the URL path each was published at, in order.
pub fn publish(env: &TestEnv, articles: &[Value]) -> Vec<String> {
    let out = env.submit_and_wait(articles);
    let paths: Vec<String> = out
        .lines()
        .filter_map(|line| line.split(" at ").nth(1))
        .map(|url| {
            let at = url.find(&format!("/{CATEGORY}/")).expect("a page URL");
            url[at + 1..].to_owned()
        })
        .collect();
    assert_eq!(paths.len(), articles.len(), "{out}");
    paths
}

pub async fn post(env: &TestEnv, event_type: EventType, body: &Value) {
    post_raw(
        env,
        event_type,
        &serde_json::to_vec(body).unwrap(),
        body["id"].as_str().unwrap(),
    )
    .await;
}

pub async fn post_raw(env: &TestEnv, event_type: EventType, body: &[u8], id: &str) {
    // Declared first, so that an event posted before `up` has started waits in its queue.
    env.declare_topology().await;
    let publisher = Publisher::connect(&env.settings, "test").await.unwrap();
    let routed = publisher
        .publish(&Outbound {
            exchange: Exchange::Events,
            routing_key: event_type.as_str().to_owned(),
            body: body.to_vec(),
            message_id: id.to_owned(),
            correlation_id: None,
            content_type: CONTENT_TYPE,
            content_encoding: None,
            headers: Default::default(),
        })
        .await
        .unwrap();
    assert_eq!(
        routed,
        gazette_broker::Routed::Queued,
        "{id} reached no queue"
    );
    publisher.close().await;
}

/// `article.withdrawn` for `id`, as a CMS posts it; its event id is `withdraw-<id>`.
pub fn withdrawal(id: &str, reason: &str) -> Value {
    Event::withdrawn(id, reason).build()
}

pub fn submitted(id: &str, data: &Value) -> Value {
    Event::submitted(data).id(&format!("sub-{id}")).build()
}
