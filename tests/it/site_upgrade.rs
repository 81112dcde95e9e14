//! An index an older version left, with its records as archive objects, taken over by this version without listing anything twice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use crate::site::wait_for;
use crate::support::notifier::{publish, published};
use crate::support::{PATIENCE, needs};
use crate::support::{TestEnv, sqlite_url};
use gazette_broker::{ensure_topology, headers};
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

/// A site the index built for `ids`, turned into what an older version
/// left: the records as archive objects (`corrupt` replacing one of
/// them), a site state without the mark, and the index pointed at a new
/// registry that never kept a record. Returns that registry's URL.
async fn an_older_versions_site(
    env: &mut TestEnv,
    ids: &[String],
    corrupt: Option<&str>,
) -> String {
    ensure_topology(
        &env.settings,
        &gazette_stages::specs_of(gazette_stages::Part::Site),
    )
    .await
    .unwrap();
    let mut index = env.spawn_worker("index");
    let events: Vec<_> = ids
        .iter()
        .map(|id| published(id, 1, CATEGORY, &format!("Bản tin {id}")))
        .collect();
    publish(&env.settings, &events.iter().collect::<Vec<_>>()).await;
    let store = env.store().await;
    front_page(&store, |html| cards(html) == ids.len()).await;
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
    let records = old_registry.index_records(ids).await.unwrap();
    assert_eq!(records.len(), ids.len(), "{records:?}");

    for (id, record) in &records {
        let key = format!("{LEGACY_RECORD_PREFIX}{id}.json");
        let body = match corrupt {
            Some(corrupt) if id == &ids[0] => corrupt.as_bytes().to_vec(),
            _ => record.clone().into_bytes(),
        };
        archive.put(json_object(key, body)).await.unwrap();
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
    fresh
}

fn cards(html: &str) -> usize {
    html.matches("class=\"card\"").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_an_older_version_kept_is_taken_over_in_place() {
    needs!(RabbitMq, Garage);
    let mut env = TestEnv::start("site-upgrade").await;
    let ids: Vec<String> = (0..3).map(|n| format!("ntl-upgrade-{n}")).collect();
    let fresh = an_older_versions_site(&mut env, &ids, None).await;

    // This version starts over it, and a revision of an old article
    // replaces its card: without the old record it would be listed twice.
    let _index = env.spawn_worker("index");
    let revised = published(&ids[1], 2, CATEGORY, "Bản tin đã cập nhật");
    publish(&env.settings, &[&revised]).await;
    let store = env.store().await;
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

/// An older version's record that does not parse is reported under its
/// archive key, with the way out, and nothing of it reaches the registry:
/// copying past it would list its article twice when it next changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_record_an_older_version_left_stops_the_index_naming_its_key() {
    needs!(RabbitMq, Garage);
    let mut env = TestEnv::start("site-upgrade-corrupt").await;
    let ids: Vec<String> = (0..2).map(|n| format!("ntl-corrupt-{n}")).collect();
    let fresh = an_older_versions_site(&mut env, &ids, Some("{\"category\": \"tin-tuc")).await;

    let mut dead = env.dead_letters("index").await;
    let _index = env.spawn_worker("index");
    let next = published("ntl-upgrade-next", 1, CATEGORY, "Bản tin tiếp theo");
    publish(&env.settings, &[&next]).await;
    let letter = dead
        .next(PATIENCE)
        .await
        .ok()
        .flatten()
        .expect("the flush's message is dead-lettered");
    assert_eq!(
        letter.headers.get(headers::REASON).map(String::as_str),
        Some("corrupt-index-state")
    );
    let detail = letter
        .headers
        .get(headers::DETAIL)
        .cloned()
        .unwrap_or_default();
    let key = format!("{LEGACY_RECORD_PREFIX}{}.json", ids[0]);
    assert!(detail.contains(&key), "names {key}: {detail}");
    assert!(
        detail.contains("gazette rebuild"),
        "says what to do: {detail}"
    );
    let upgraded = Registry::open(&DatabaseUrl::parse(&fresh).unwrap())
        .await
        .unwrap();
    assert!(
        upgraded.index_records(&ids).await.unwrap().is_empty(),
        "no record was copied past the corrupt one"
    );
    env.teardown().await;
}
