//! The indexer lists an article from the registry row publish advanced, not from its archive copy: with the copy gone, the front page still shows its lead and its tags still get their page, and the registry lets the listing go once it is flushed, or once `gazette rebuild` has listed it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use gazette_broker::ensure_topology;
use gazette_site::{category_front_key, revision_key, tag_listing, tag_slug};
use gazette_subscribers::{DatabaseUrl, Registry};
use serde_json::json;

use crate::site::wait_for;
use crate::support::{TestEnv, Worker, cms, eventually, needs};

/// A namespace with the site's queues declared and the text pipeline
/// running, but no indexer: what publish keeps waits for one.
async fn pipeline_without_indexer(name: &str) -> (TestEnv, Vec<Worker>) {
    let env = TestEnv::start(name).await;
    env.declare_topology().await;
    ensure_topology(
        &env.settings,
        &gazette_stages::specs_of(gazette_stages::Part::Site),
    )
    .await
    .unwrap();
    let pipeline = ["validate", "render", "publish"]
        .into_iter()
        .map(|stage| env.spawn_worker(stage))
        .collect();
    (env, pipeline)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_indexer_lists_an_article_from_its_registry_row_without_reading_its_copy() {
    needs!(RabbitMq, Garage);
    let (env, _pipeline) = pipeline_without_indexer("listing").await;
    let id = "niem-yet-dieu-chinh";
    let lead = "(NTL) Quận đã niêm yết điều chỉnh giá đất đường Nguyễn Văn Cừ";
    let tag = "Đất đai & quy hoạch";
    let mut article = cms::article(id, 1, "Niêm yết điều chỉnh giá đất");
    article["lead"] = json!(lead);
    article["author"] = json!("Đặng Hường");
    article["tags"] = json!([tag]);
    let out = env.submit_and_wait(std::slice::from_ref(&article));
    assert!(
        out.contains(&format!("published revision 1 of {id}")),
        "{out}"
    );

    let registry = Registry::open(&DatabaseUrl::parse(&env.database_url()).unwrap())
        .await
        .unwrap();
    let kept = registry
        .listing(id, 1)
        .await
        .unwrap()
        .expect("publish kept a listing");
    assert!(
        kept.contains("Nguyễn Văn Cừ") && kept.contains("body_html"),
        "{kept}"
    );
    // Without its copy, only the registry can tell the indexer the lead and the tags.
    let archive = env.archive().await;
    archive.delete(&revision_key(id, 1, "json")).await.unwrap();
    assert!(
        archive
            .get(&revision_key(id, 1, "json"))
            .await
            .unwrap()
            .is_none()
    );

    let _index = env.spawn_worker("index");
    let store = env.store().await;
    wait_for(&store, &category_front_key(cms::CATEGORY), |html| {
        html.contains(lead)
    })
    .await;
    let tag_front = category_front_key(&tag_listing(&tag_slug(tag)));
    wait_for(&store, &tag_front, |html| html.contains(lead)).await;

    // Flushed, the listing is let go: the registry is not a second archive.
    eventually(|| {
        let registry = &registry;
        async move {
            match registry.listing(id, 1).await.unwrap() {
                None => Ok(()),
                Some(_) => Err("the flushed listing is still kept".to_owned()),
            }
        }
    })
    .await;
    env.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_with_the_indexer_stopped_lets_the_kept_listings_go() {
    needs!(RabbitMq, Garage);
    let (env, _pipeline) = pipeline_without_indexer("listingrb").await;
    // As a bulk migration runs: no indexer, so nothing flushes the listings.
    let ids = ["di-doi-1", "di-doi-2"];
    let articles: Vec<_> = ids
        .iter()
        .map(|id| cms::article(id, 1, &format!("Bản tin {id}")))
        .collect();
    let out = env.submit_and_wait(&articles);
    let registry = Registry::open(&DatabaseUrl::parse(&env.database_url()).unwrap())
        .await
        .unwrap();
    for id in ids {
        assert!(
            out.contains(&format!("published revision 1 of {id}")),
            "{out}"
        );
        assert!(registry.listing(id, 1).await.unwrap().is_some(), "{id}");
    }

    let (ok, stdout, stderr) = env.run_gazette(&["rebuild"]);
    assert!(ok, "{stdout}\n{stderr}");
    for id in ids {
        assert!(registry.listing(id, 1).await.unwrap().is_none(), "{id}");
    }
    let store = env.store().await;
    let front = wait_for(&store, &category_front_key(cms::CATEGORY), |_| true).await;
    assert!(
        ids.iter()
            .all(|id| front.contains(&format!("Bản tin {id}"))),
        "{front}"
    );
    env.teardown().await;
}
