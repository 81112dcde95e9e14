//! The trust boundaries, tried as an attacker and a careless CMS would: colliding titles, reserved names, retitles and withdrawals on `gazette up` with Garage's website endpoint, and hostile submissions that must reach the CMS as `article.rejected`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::net::SocketAddr;

use crate::support;
use crate::support::cms::{CATEGORY, article, post, post_raw, publish, submitted, withdrawal};
use crate::support::needs;
use crate::support::{PATIENCE, TestEnv, Worker};
use gazette_contract::EventType;
use gazette_store::Store;
use serde_json::{Value, json};

/// GET `path` from Garage's website endpoint for the site bucket: status and `Location`.
async fn website(env: &TestEnv, path: &str) -> (u16, Option<String>) {
    let addr: SocketAddr = format!("127.0.0.1:{}", env.garage.web_port)
        .parse()
        .unwrap();
    let host = format!("{}.web.garage.localhost", env.garage.bucket);
    let (status, head, _) = support::raw_get(addr, &host, &format!("/{path}"), "").await;
    let location = head
        .lines()
        .find_map(|line| line.strip_prefix("location: "))
        .map(str::to_owned);
    (status, location)
}

/// Every public object, as (key, article-id metadata, redirect location).
async fn public_objects(store: &Store) -> Vec<(String, Option<String>, Option<String>)> {
    let mut objects = Vec::new();
    for key in store.list("").await.unwrap() {
        let head = store.head(&key).await.unwrap().unwrap();
        objects.push((key, head.metadata.get("article-id").cloned(), head.redirect));
    }
    objects
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_article_keeps_a_url_of_its_own_and_moves_answer_301() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("trust-urls").await;
    let _up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));
    let long = "Thông báo về việc tổ chức lấy ý kiến nhân dân đối với dự thảo quy hoạch chi tiết khu đô thị mới phía tây quận";
    let paths = publish(
        &env,
        &[
            article("tb-1", 1, "Thông báo lịch cắt nước"),
            article("tb-2", 1, "Thông báo lịch cắt nước"),
            article("tb-3", 1, "THÔNG BÁO LỊCH CẮT NƯỚC!"),
            article("hn-1", 1, "Hà Nội"),
            article("hn-2", 1, "Hà Nối"),
            article("long-1", 1, &format!("{long} Tây Tựu")),
            article("long-2", 1, &format!("{long} Đông Ngạc")),
            article("idx", 1, "Index"),
            article("rss", 1, "RSS"),
        ],
    );
    let mut distinct = paths.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), paths.len(), "{paths:?}");
    assert_eq!(paths[0], format!("{CATEGORY}/thong-bao-lich-cat-nuoc.html"));
    for reserved in ["index.html", "rss.html"] {
        assert!(
            !paths.contains(&format!("{CATEGORY}/{reserved}")),
            "{paths:?}"
        );
    }
    let store = env.store().await;
    for (path, id) in paths.iter().zip([
        "tb-1", "tb-2", "tb-3", "hn-1", "hn-2", "long-1", "long-2", "idx", "rss",
    ]) {
        let head = store.head(path).await.unwrap().expect("the page");
        assert_eq!(
            head.metadata.get("article-id").map(String::as_str),
            Some(id)
        );
        assert_eq!(website(&env, path).await.0, 200, "{path}");
    }
    // The category's own front page is the listing, not the "Index" article.
    support::eventually(|| {
        let store = store.clone();
        async move {
            let front = store.get(&format!("{CATEGORY}/index.html")).await.unwrap();
            let front = String::from_utf8(front.unwrap_or_default()).unwrap();
            match front.contains("Hà Nội") && front.contains("Hà Nối") && front.contains(">Index<")
            {
                true => Ok(()),
                false => Err(format!(
                    "the category front page does not list every article yet: {front}"
                )),
            }
        }
    })
    .await;

    // Retitled twice: both old URLs answer 301 straight to the newest.
    let second = publish(&env, &[article("tb-1", 2, "Lịch cắt nước tuần sau")]);
    let third = publish(&env, &[article("tb-1", 3, "Lịch cắt nước đã hoãn")]);
    for old in [&paths[0], &second[0]] {
        let (status, location) = website(&env, old).await;
        assert_eq!(status, 301, "{old}");
        assert_eq!(
            location.as_deref(),
            Some(format!("/{}", third[0]).as_str()),
            "{old}"
        );
    }
    assert_eq!(website(&env, &third[0]).await.0, 200);
    // The freed title is not handed to anyone else: tb-2 stays where it was.
    assert_eq!(
        store
            .head(&paths[1])
            .await
            .unwrap()
            .unwrap()
            .metadata
            .get("article-id")
            .map(String::as_str),
        Some("tb-2")
    );

    // Withdrawn: no page, no redirect, nothing public names it.
    let mut events = env.tap(&[EventType::Unpublished.as_str()]).await;
    post(
        &env,
        EventType::Withdrawn,
        &withdrawal("tb-1", "Lịch đã hủy; lý do nội bộ"),
    )
    .await;
    events
        .next(PATIENCE)
        .await
        .unwrap()
        .expect("article.unpublished");
    for key in [&paths[0], &second[0], &third[0]] {
        assert_eq!(store.head(key).await.unwrap(), None, "{key}");
        assert_eq!(website(&env, key).await.0, 404, "{key}");
    }
    support::eventually(|| async {
        let objects = public_objects(&store).await;
        let mut traces = Vec::new();
        for (key, owner, redirect) in &objects {
            if owner.as_deref() == Some("tb-1")
                || redirect
                    .as_deref()
                    .is_some_and(|r| r.contains("lich-cat-nuoc-da-hoan"))
            {
                traces.push(key.clone());
            }
            let text = String::from_utf8_lossy(&store.get(key).await.unwrap().unwrap_or_default())
                .into_owned();
            if text.contains("Lịch cắt nước đã hoãn") || text.contains("lý do nội bộ")
            {
                traces.push(key.clone());
            }
        }
        if traces.is_empty() {
            Ok(())
        } else {
            Err(format!("public objects still name tb-1: {traces:?}"))
        }
    })
    .await;
    for (key, _, _) in public_objects(&store).await {
        assert!(
            !key.starts_with("articles/") && !key.starts_with("_gazette/"),
            "{key} is private state in the public store"
        );
    }
    events.close().await;
    env.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_submissions_reach_the_cms_as_rejections_and_feeds_stay_parseable() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("trust-input").await;
    let _up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));
    let mut rejections = env
        .tap(&[EventType::Rejected.as_str(), EventType::Published.as_str()])
        .await;

    let mut reserved = article("cat-1", 1, "Bài trong chuyên mục trùng tên");
    reserved["category"] = json!({"slug": "articles", "name": "Bài viết"});
    let mut lying = submitted("lie-1", &article("lie-1", 1, "Chủ đề khác"));
    lying["subject"] = json!("someone-else");
    let mut amplified = article("amp-1", 1, "Bài rất dài");
    amplified["body"] = json!({"format": "markdown", "content": ">".repeat(99_000) + "x"});
    let duplicate = {
        let text = serde_json::to_string(&submitted("dup-1", &article("dup-1", 1, "Tiêu đề thật")))
            .unwrap();
        text.replacen("\"title\":", "\"title\":\"Tiêu đề giả\",\"title\":", 1)
    };
    post(&env, EventType::Submitted, &submitted("cat-1", &reserved)).await;
    post(&env, EventType::Submitted, &lying).await;
    post(&env, EventType::Submitted, &submitted("amp-1", &amplified)).await;
    post_raw(
        &env,
        EventType::Submitted,
        duplicate.as_bytes(),
        "sub-dup-1",
    )
    .await;
    // A withdrawal of an article nobody published.
    post(&env, EventType::Withdrawn, &withdrawal("ghost", "x")).await;
    // A title that would break every feed, with a bidi override.
    let dirty = article("dirty-1", 1, "Hội nghị\u{FFFE} lần \u{202E}14\u{202C}\u{1}");
    post(&env, EventType::Submitted, &submitted("dirty-1", &dirty)).await;

    let mut pointers = std::collections::BTreeMap::new();
    let mut published = Vec::new();
    while pointers.len() < 5 || published.is_empty() {
        let message = rejections
            .next(PATIENCE)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("only {pointers:?} and {published:?} arrived"));
        let event: Value = serde_json::from_slice(&message.body).unwrap();
        if message.routing_key == "article.published" {
            published.push(event);
            continue;
        }
        let errors = event["data"]["errors"].as_array().unwrap();
        let first = errors[0]["pointer"].as_str().unwrap().to_owned();
        pointers.insert(
            event["data"]["article_id"].as_str().unwrap().to_owned(),
            first,
        );
    }
    assert_eq!(pointers["cat-1"], "/data/category/slug");
    assert_eq!(pointers["lie-1"], "/subject");
    assert_eq!(pointers["amp-1"], "/data/body/content");
    assert_eq!(pointers["dup-1"], "/data/title");
    assert_eq!(pointers["ghost"], "/data/id");
    assert_eq!(published[0]["data"]["title"], "Hội nghị lần 14");

    // Every feed that lists it is clean XML text.
    let store = env.store().await;
    for feed in [
        "rss.xml",
        "atom.xml",
        &format!("{CATEGORY}/rss.xml"),
        "sitemap.xml",
    ] {
        let text = support::eventually(|| {
            let store = store.clone();
            let feed = feed.to_owned();
            async move {
                match store.get(&feed).await.unwrap() {
                    // Listed by its page's URL, which every feed and the sitemap carry.
                    Some(bytes) if String::from_utf8_lossy(&bytes).contains("hoi-nghi-lan-14") => {
                        Ok(String::from_utf8(bytes).unwrap())
                    }
                    _ => Err(format!("{feed} does not list the article yet")),
                }
            }
        })
        .await;
        assert!(
            text.chars()
                .all(|c| gazette_text::is_printable(c) || matches!(c, '\n' | '\r' | '\t')),
            "{feed} holds a character XML 1.0 forbids"
        );
    }
    let rss = String::from_utf8(store.get("rss.xml").await.unwrap().unwrap()).unwrap();
    assert!(
        rss.contains("<guid isPermaLink=\"false\">urn:uuid:"),
        "{rss}"
    );
    rejections.close().await;
    env.teardown().await;
}

/// The common path's cost in store requests, as the publish worker counts
/// them in `gazette_s3_request_duration_seconds`: per article three PUTs
/// (two archive copies, the page) and no GET, HEAD or LIST.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_an_article_costs_three_writes_and_no_read() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("trust-cost").await;
    let http = support::free_local_addr();
    let mut vars = env.env();
    vars.push(("GAZETTE_HTTP_ADDR".to_owned(), http.to_string()));
    let log = |stage: &str| env.garage.dir.path().join(format!("{stage}.log"));
    let _publish = Worker::spawn(&["worker", "publish"], &vars, &log("publish"));
    let _others: Vec<_> = crate::support::stages_before_publish()
        .into_iter()
        .map(|stage| env.spawn_worker(stage))
        .collect();
    support::wait_for_http(http, "/readyz", 200).await;
    let count = |metrics: &str, operation: &str| -> f64 {
        let series =
            format!("gazette_s3_request_duration_seconds_count{{operation=\"{operation}\"}} ");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(series.as_str()))
            .map_or(0.0, |n| n.trim().parse().unwrap())
    };
    let before = support::wait_for_http(http, "/metrics", 200).await;
    let articles: Vec<Value> = (0..5)
        .map(|n| article(&format!("cost-{n}"), 1, &format!("Tin thứ {n} trong ngày")))
        .collect();
    publish(&env, &articles);
    let after = support::wait_for_http(http, "/metrics", 200).await;
    let per_article =
        |operation: &str| (count(&after, operation) - count(&before, operation)) / 5.0;
    eprintln!(
        "store requests per published article: put {}, get {}, head {}, list {}, delete {}",
        per_article("put"),
        per_article("get"),
        per_article("head"),
        per_article("list"),
        per_article("delete"),
    );
    assert_eq!(per_article("put"), 3.0, "{after}");
    for read in ["get", "head", "list", "delete"] {
        assert_eq!(per_article(read), 0.0, "{read}: {after}");
    }
    env.teardown().await;
}

/// A site as earlier versions left it (revision copies, a tombstone and the
/// index state in the public directory, no registry) is moved out of the
/// public store by `gazette migrate`, and rebuilds from the registry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_site_is_migrated_out_of_the_public_store() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("trust-migrate").await;
    let root = env.garage.dir.path().to_owned();
    let site = root.join("public");
    let archive = root.join("public-archive");
    let vars: Vec<(String, String)> = env
        .env()
        .into_iter()
        .filter(|(name, _)| name != "GAZETTE_ARCHIVE" && name != "GAZETTE_DATABASE_URL")
        .chain([
            (
                "GAZETTE_STORE".to_owned(),
                format!("file://{}/", site.display()),
            ),
            (
                "GAZETTE_DATABASE_URL".to_owned(),
                format!("sqlite://{}/old.db", root.display()),
            ),
        ])
        .collect();
    let run = |args: &[&str]| {
        let (ok, out, err) = support::run_gazette(args, &vars);
        assert!(ok, "gazette {args:?}: {err}");
        out
    };
    // What an earlier version stored: two articles' copies in the public
    // directory, one of them withdrawn by tombstone.
    let validate = gazette_stages::ValidateStage::new(gazette_contract::Schemas::load().unwrap());
    for (id, title) in [("old-1", "Tin cũ thứ nhất"), ("old-2", "Tin cũ thứ hai")] {
        let body = serde_json::to_vec(&submitted(id, &article(id, 1, title))).unwrap();
        let validated = validate.validate(&body).unwrap().data;
        let copy = site.join(format!("articles/{id}/1.json"));
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::write(&copy, serde_json::to_vec(&validated).unwrap()).unwrap();
    }
    std::fs::write(
        site.join("articles/old-2/withdrawn.json"),
        br#"{"revision": 1, "reason": "Bai cu"}"#,
    )
    .unwrap();
    std::fs::create_dir_all(site.join("_gazette/index")).unwrap();
    std::fs::write(site.join("_gazette/index/site.json"), b"{}").unwrap();

    let out = run(&["migrate"]);
    assert!(out.contains("recorded 2 articles"), "{out}");
    assert!(out.contains("1 of them withdrawn"), "{out}");
    assert!(!site.join("articles").join("old-1").join("1.json").exists());
    assert!(!site.join("_gazette/index/site.json").exists());
    assert!(archive.join("articles/old-1/1.json").exists());
    assert!(archive.join("_gazette/index/site.json").exists());
    // Again: nothing left to move, nothing new to record.
    let again = run(&["migrate"]);
    assert!(again.contains("moved 0 private objects"), "{again}");

    let out = run(&["rebuild"]);
    assert!(out.contains("rebuilt 1 articles"), "{out}");
    assert!(out.contains("1 withdrawn articles left out"), "{out}");
    let page = site.join(format!("{CATEGORY}/tin-cu-thu-nhat.html"));
    assert!(
        page.exists(),
        "the live article's page is where its title puts it"
    );
    assert!(
        !site
            .join(format!("{CATEGORY}/tin-cu-thu-hai.html"))
            .exists()
    );
    env.teardown().await;
}
