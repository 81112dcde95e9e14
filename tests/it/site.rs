//! The whole site against RabbitMQ and Garage: listings, home, feeds and sitemap follow publications, revisions and withdrawals.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::time::Duration;

use crate::support::cms;
use crate::support::needs;
use crate::support::notifier::{publish, published};
use crate::support::{TestEnv, eventually, example_article};
use gazette_broker::ensure_topology;
use gazette_contract::EventType;
use gazette_store::Store;
use serde_json::{Value, json};

const PATIENCE: Duration = Duration::from_secs(60);

async fn text(store: &Store, key: &str) -> Option<String> {
    store
        .get(key)
        .await
        .unwrap()
        .map(|bytes| String::from_utf8(bytes).unwrap())
}

/// The next event on `tap`, which must be a `routing_key`; its body as JSON.
async fn next_event(tap: &mut gazette_broker::Tap, routing_key: &str) -> Value {
    let event = tap
        .next(PATIENCE)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {routing_key} within {PATIENCE:?}"));
    assert_eq!(event.routing_key, routing_key);
    serde_json::from_slice(&event.body).unwrap()
}

/// The object at `key` once `holds` is true of it.
pub(crate) async fn wait_for(store: &Store, key: &str, holds: impl Fn(&str) -> bool) -> String {
    let holds = &holds;
    eventually(|| async move {
        match text(store, key).await {
            Some(body) if holds(&body) => Ok(body),
            Some(body) => Err(format!(
                "{key} is {}",
                body.chars().take(400).collect::<String>()
            )),
            None => Err(format!("{key} is not there")),
        }
    })
    .await
}

/// `(changes, objects_written)` of every flush the indexer logged.
fn flushes(log: &std::path::Path) -> Vec<(u64, u64)> {
    let number = |name: &str| regex::Regex::new(&format!(r"{name}=(\d+)")).unwrap();
    let (changes, written) = (number("changes"), number("objects_written"));
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains("index flushed"))
        .map(|line| {
            let read = |re: &regex::Regex| re.captures(line).unwrap()[1].parse().unwrap();
            (read(&changes), read(&written))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_flushed_together_onto_stable_pages() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("site-burst").await;
    // Declared up front, so the burst waits in the queue whenever the worker starts.
    ensure_topology(
        &env.settings,
        &gazette_stages::specs_of(gazette_stages::Part::Site),
    )
    .await
    .unwrap();
    let _index = env.spawn_worker("index");
    let store = env.store().await;

    let events: Vec<_> = (0..45)
        .map(|i| {
            published(
                &format!("ntl-burst-{i:02}"),
                1,
                "tin-tuc-su-kien",
                &format!("Tin số {i}"),
            )
        })
        .collect();
    publish(&env.settings, &events.iter().collect::<Vec<_>>()).await;

    let newest = wait_for(&store, "tin-tuc-su-kien/page/3.html", |_| true).await;
    let oldest = text(&store, "tin-tuc-su-kien/page/1.html").await.unwrap();
    let cards = |html: &str| html.matches("class=\"card\"").count();
    assert_eq!(cards(&oldest), 20);
    assert!(
        oldest.contains("Tin số 0<"),
        "page 1 holds the oldest articles"
    );
    assert_eq!(cards(&newest), 5);
    assert!(newest.contains("Tin số 44<"));
    let front = text(&store, "tin-tuc-su-kien/index.html").await.unwrap();
    assert_eq!(cards(&front), 20);
    assert!(
        front.find("Tin số 44<") < front.find("Tin số 43<"),
        "newest first"
    );
    let sitemap = text(&store, "sitemap.xml").await.unwrap();
    assert_eq!(sitemap.matches("<url>").count(), 45);
    let rss = text(&store, "tin-tuc-su-kien/rss.xml").await.unwrap();
    assert_eq!(rss.matches("<item>").count(), 20);
    let atom = text(&store, "atom.xml").await.unwrap();
    assert_eq!(atom.matches("<entry>").count(), 20);

    let flushes = flushes(&env.garage.dir.path().join("worker-index.log"));
    let changes: u64 = flushes.iter().map(|f| f.0).sum();
    assert_eq!(changes, 45, "{flushes:?}");
    // One burst, one or two flushes: never a flush per article.
    assert!(flushes.len() <= 2, "{flushes:?}");
    let written: u64 = flushes.iter().map(|f| f.1).sum();
    // No object per article (the records are in the registry). Each flush
    // writes at most the 3 pages with their state, and the front, feeds,
    // home, sitemap, news, search journal and state: the same few objects
    // however many articles it takes, fewer in all than the 45 articles.
    assert!(written <= 2 * (6 + 14), "{flushes:?}");
    env.teardown().await;
}

/// An article published an hour ago, so that it is news (`sitemap-news.xml`).
fn submission(id: &str, revision: u64, title: &str) -> Value {
    let mut article = example_article();
    article["id"] = json!(id);
    article["revision"] = json!(revision);
    article["title"] = json!(title);
    let an_hour_ago = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    let hanoi = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
    article["published_at"] = json!(an_hour_ago.with_timezone(&hanoi).to_rfc3339());
    article
}

async fn withdraw(env: &TestEnv, id: &str, reason: &str) -> String {
    let body = cms::withdrawal(id, reason);
    cms::post(env, EventType::Withdrawn, &body).await;
    body["id"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_update_and_withdrawals_remove_everywhere() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("site-lifecycle").await;
    let mut events = env
        .tap(&[
            EventType::Updated.as_str(),
            EventType::Unpublished.as_str(),
            EventType::Rejected.as_str(),
        ])
        .await;
    let _pipeline: Vec<_> = crate::support::pipeline_stages()
        .into_iter()
        .map(|stage| env.spawn_worker(stage))
        .collect();
    let mut index = env.spawn_worker("index");
    let store = env.store().await;
    let category = "tin-tuc-hoat-dong-cua-quan-uy";
    env.submit_and_wait(&[
        submission("ntl-a", 1, "Hội nghị Đảng bộ quận lần thứ nhất"),
        submission("ntl-b", 1, "Lịch tiếp công dân tháng 7"),
    ]);
    let front = format!("{category}/index.html");
    wait_for(&store, &front, |html| {
        html.matches("class=\"card\"").count() == 2
    })
    .await;
    // Both carry the example's tags: each tag has its page, its feeds, and
    // (with fewer than three articles) noindex.
    let tag_front = "tag/quan-uy/index.html";
    let tagged = wait_for(&store, tag_front, |html| {
        html.matches("class=\"card\"").count() == 2
    })
    .await;
    assert!(tagged.contains("Từ khóa: quận ủy"), "{tagged}");
    assert!(
        tagged.contains(r#"<meta name="robots" content="noindex">"#),
        "{tagged}"
    );
    for feed in ["tag/quan-uy/rss.xml", "tag/hoi-nghi/atom.xml"] {
        let xml = text(&store, feed).await.unwrap_or_default();
        assert!(xml.contains("lich-tiep-cong-dan-thang-7"), "{feed}: {xml}");
    }

    // A new revision: announced as article.updated, shown in place.
    // Its title changes too, so its page moves: still an update, not a new article.
    let mut retagged = submission("ntl-a", 2, "Hội nghị Đảng bộ quận lần thứ nhất (cập nhật)");
    retagged["tags"] = json!(["hội nghị", "Đảng bộ"]);
    env.submit_and_wait(&[retagged]);
    next_event(&mut events, "article.updated").await;
    let html = wait_for(&store, &front, |html| html.contains("(cập nhật)")).await;
    assert_eq!(
        html.matches("class=\"card\"").count(),
        2,
        "replaced, not added"
    );
    // The retag: off one tag's page, onto another's, in place on the third.
    wait_for(&store, tag_front, |html| {
        html.matches("class=\"card\"").count() == 1 && html.contains("lich-tiep-cong-dan")
    })
    .await;
    wait_for(&store, "tag/dang-bo/index.html", |html| {
        html.contains("(cập nhật)")
    })
    .await;
    let both = wait_for(&store, "tag/hoi-nghi/index.html", |html| {
        html.contains("(cập nhật)")
    })
    .await;
    assert_eq!(both.matches("class=\"card\"").count(), 2, "{both}");
    let news = wait_for(&store, "sitemap-news.xml", |xml| xml.contains("(cập nhật)")).await;
    assert_eq!(news.matches("<url>").count(), 2, "{news}");
    assert!(
        news.contains("<news:language>vi</news:language>") && news.contains("<news:name>"),
        "{news}"
    );

    // A withdrawal: the page goes, and so does every mention.
    let page_b = format!("{category}/lich-tiep-cong-dan-thang-7.html");
    assert!(text(&store, &page_b).await.is_some());
    withdraw(&env, "ntl-b", "Đăng nhầm").await;
    let data = next_event(&mut events, "article.unpublished").await["data"].clone();
    assert_eq!(data["key"], page_b);
    assert_eq!(data["reason"], "Đăng nhầm");
    assert!(text(&store, &page_b).await.is_none(), "the page is deleted");
    for key in [
        front.clone(),
        "index.html".to_owned(),
        "sitemap.xml".to_owned(),
        "rss.xml".to_owned(),
        "sitemap-news.xml".to_owned(),
        format!("{category}/atom.xml"),
        "tag/hoi-nghi/index.html".to_owned(),
        "tag/hoi-nghi/rss.xml".to_owned(),
    ] {
        let gone = wait_for(&store, &key, |body| !body.contains("lich-tiep-cong-dan")).await;
        assert!(
            gone.contains("hoi-nghi-dang-bo-quan-lan-thu-nhat"),
            "{key} still lists the other article"
        );
    }

    // A rebuild from the stored copies reaches the same site, the
    // withdrawn article still left out, after the derived pages are lost.
    for key in [
        front.clone(),
        "sitemap.xml".to_owned(),
        "sitemap-news.xml".to_owned(),
    ] {
        store.delete(&key).await.unwrap();
    }
    env.archive()
        .await
        .delete("_gazette/index/site.json")
        .await
        .unwrap();
    // A running indexer refuses the rebuild: stopped, as an operator would.
    index.terminate();
    // Journals a flush left unfolded before the rebuild are of the old
    // state: the rebuilt search documents must not take them in.
    let archive = env.archive().await;
    let manifest = archive.get("_gazette/index/search.json").await.unwrap();
    let built_from = manifest
        .and_then(|m| serde_json::from_slice::<serde_json::Value>(&m).ok())
        .and_then(|m| m["built_from"].as_u64())
        .unwrap_or(0);
    for count in built_from + 1..=built_from + 2 {
        archive
            .put(crate::search::ghost_journal(count))
            .await
            .unwrap();
    }
    let (ok, stdout, stderr) = env.run_gazette(&["rebuild"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("rebuilt 1 articles"), "{stdout}");
    assert!(stdout.contains("1 withdrawn articles left out"), "{stdout}");
    let rebuilt = text(&store, &front).await.unwrap();
    assert!(
        rebuilt.contains("(cập nhật)") && !rebuilt.contains("lich-tiep-cong-dan"),
        "{rebuilt}"
    );
    let sitemap = text(&store, "sitemap.xml").await.unwrap();
    assert_eq!(sitemap.matches("<url>").count(), 1, "{sitemap}");
    let news = text(&store, "sitemap-news.xml").await.unwrap();
    assert_eq!(news.matches("<url>").count(), 1, "{news}");
    // The tag only the withdrawn article still carried is gone, state and
    // pages; the others list what is live.
    assert!(
        text(&store, tag_front).await.is_none(),
        "an orphan tag's page"
    );
    crate::search::no_ghost_in_shards(&archive).await;
    assert!(
        archive
            .get("_gazette/index/tags/quan-uy.json")
            .await
            .unwrap()
            .is_none()
    );
    let rebuilt_tag = text(&store, "tag/hoi-nghi/index.html").await.unwrap();
    assert!(
        rebuilt_tag.contains("(cập nhật)") && !rebuilt_tag.contains("lich-tiep-cong-dan"),
        "{rebuilt_tag}"
    );
    assert!(
        text(&store, &page_b).await.is_none(),
        "a rebuild does not bring a withdrawn page back"
    );

    // Withdrawing what was never published is refused, with a pointer.
    withdraw(&env, "ntl-never", "Thử").await;
    let body = next_event(&mut events, "article.rejected").await;
    assert_eq!(body["data"]["errors"][0]["pointer"], "/data/id");
    env.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn news_ages_out_by_the_clock_with_no_event() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("site-news").await;
    let _workers: Vec<_> = crate::support::pipeline_stages()
        .into_iter()
        .chain(["index"])
        .map(|stage| env.spawn_worker(stage))
        .collect();
    let store = env.store().await;
    // Published 48 hours ago less 20 seconds: news for 20 seconds more.
    let expires = chrono::Utc::now() + chrono::TimeDelta::seconds(20);
    let hanoi = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
    let mut leaving = submission("ntl-leaving", 1, "Thông báo sắp hết hạn");
    leaving["published_at"] = json!(
        (expires - gazette_site::NEWS_WINDOW)
            .with_timezone(&hanoi)
            .to_rfc3339()
    );
    let staying = submission("ntl-staying", 1, "Thông báo mới");
    env.submit_and_wait(&[leaving, staying]);
    wait_for(&store, "sitemap-news.xml", |xml| {
        xml.contains("thong-bao-sap-het-han") && xml.contains("thong-bao-moi")
    })
    .await;
    // No event from here on: the indexer's clock alone takes it out.
    let aged = wait_for(&store, "sitemap-news.xml", |xml| {
        !xml.contains("thong-bao-sap-het-han")
    })
    .await;
    assert!(chrono::Utc::now() >= expires, "taken out before its time");
    assert!(aged.contains("thong-bao-moi"), "{aged}");
    env.teardown().await;
}
