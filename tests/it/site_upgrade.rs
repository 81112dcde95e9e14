//! An index an older version left, with its records as archive objects, taken over by this version without listing anything twice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use crate::site::wait_for;
use crate::support::needs;
use crate::support::notifier::{publish, published};
use crate::support::{TestEnv, sqlite_url};
use gazette_broker::ensure_topology;
use gazette_site::{LEGACY_RECORD_PREFIX, SITE_STATE_KEY};
use gazette_store::{Precondition, PutObject, Store};
use gazette_subscribers::{DatabaseUrl, Registry};

const CATEGORY: &str = "tin-tuc-su-kien";

async fn front_page(store: &Store, holds: impl Fn(&str) -> bool) -> String {
    wait_for(store, &format!("{CATEGORY}/index.html"), holds).await
}

fn json_object(key: String, body: Vec<u8>) -> PutObject {
    PutObject {
        key,
        body: body.into(),
        content_type: "application/json",
        cache_control: "no-cache",
        metadata: std::collections::BTreeMap::new(),
        precondition: Precondition::None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_an_older_version_kept_is_taken_over_in_place() {
    needs!(RabbitMq, Garage);
    let mut env = TestEnv::start("site-upgrade").await;
    ensure_topology(
        &env.settings,
        &gazette_stages::specs_of(gazette_stages::Part::Site),
    )
    .await
    .unwrap();
    let ids: Vec<String> = (0..3).map(|n| format!("ntl-upgrade-{n}")).collect();
    let mut index = env.spawn_worker("index");
    let events: Vec<_> = ids
        .iter()
        .map(|id| published(id, 1, CATEGORY, &format!("Bản tin {id}")))
        .collect();
    publish(&env.settings, &events.iter().collect::<Vec<_>>()).await;
    let store = env.store().await;
    let cards = |html: &str| html.matches("class=\"card\"").count();
    front_page(&store, |html| cards(html) == 3).await;
    index.terminate();

    // The records live in the registry, not as one archive object each.
    let archive = env.archive().await;
    assert!(
        archive.list(LEGACY_RECORD_PREFIX).await.unwrap().is_empty(),
        "no record objects in the archive"
    );
    let old_registry = Registry::open(&DatabaseUrl::parse(&env.database_url()).unwrap())
        .await
        .unwrap();
    let records = old_registry.index_records(&ids).await.unwrap();
    assert_eq!(records.len(), 3, "{records:?}");

    // What an older version left: the records as archive objects, a site
    // state without the mark, and a registry that never kept a record.
    for (id, record) in &records {
        let key = format!("{LEGACY_RECORD_PREFIX}{id}.json");
        archive
            .put(json_object(key, record.clone().into_bytes()))
            .await
            .unwrap();
    }
    let mut state: serde_json::Value =
        serde_json::from_slice(&archive.get(SITE_STATE_KEY).await.unwrap().unwrap()).unwrap();
    assert_eq!(state["records_in_registry"], true);
    state.as_object_mut().unwrap().remove("records_in_registry");
    archive
        .put(json_object(
            SITE_STATE_KEY.to_owned(),
            serde_json::to_vec(&state).unwrap(),
        ))
        .await
        .unwrap();
    let fresh = sqlite_url(env.garage.dir.path(), "upgraded.db");
    env.extra_env
        .push(("GAZETTE_DATABASE_URL".to_owned(), fresh.clone()));

    // This version starts over it, and a revision of an old article
    // replaces its card: without the old record it would be listed twice.
    let _index = env.spawn_worker("index");
    let revised = published(&ids[1], 2, CATEGORY, "Bản tin đã cập nhật");
    publish(&env.settings, &[&revised]).await;
    let html = front_page(&store, |html| html.contains("Bản tin đã cập nhật")).await;
    assert_eq!(cards(&html), 3, "replaced, not added: {html}");
    let upgraded = Registry::open(&DatabaseUrl::parse(&fresh).unwrap())
        .await
        .unwrap();
    let taken_over = upgraded.index_records(&ids).await.unwrap();
    assert_eq!(taken_over.len(), 3, "{taken_over:?}");
    assert!(
        taken_over[&ids[1]].contains("\"revision\":2"),
        "{taken_over:?}"
    );
    env.teardown().await;
}
