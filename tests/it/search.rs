//! Site search in headless Chromium against Garage's website endpoint: Vietnamese found with or without tone marks (đ too), in every year's part of the index, nothing scheduled or withdrawn ever found (nor what a flush that died journaled), the page safe from what articles say, the view count shown on an article, and a site with search switched off offering none.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::process::Command;

use gazette_contract::EventType;
use serde_json::{Value, json};

use crate::support::{
    TestEnv, Worker, cms, eventually, free_local_addr, needs, repo_root, stdout_of, wait_for_http,
};

fn article(id: &str, title: &str, lead: &str, body: &str) -> Value {
    let mut article = cms::article(id, 1, title);
    article["lead"] = json!(lead);
    article["body"] = json!({"format": "markdown", "content": body});
    article
}

/// How many journals the search test plants before any flush.
const GHOST_JOURNALS: u64 = 8;

/// A journal for count `count` that names an article no one published.
pub(crate) fn ghost_journal(count: u64) -> gazette_store::PutObject {
    let document = json!({
        "url": format!("/thong-bao/bong-ma-{count}.html"),
        "title": "Bóng ma ở Hà Nội",
        "date": "23/06/2022 | 15:04",
        "category": "Thông báo",
        "lead": "(NTL) Không ai đăng bài này.",
        "body_html": "<p>Bóng ma giao thông Hà Nội.</p>",
    });
    gazette_store::PutObject {
        key: gazette_site::search_journal_key(count),
        body: json!({ format!("bong-ma-{count}"): document })
            .to_string()
            .into(),
        content_type: "application/json",
        cache_control: "no-cache",
        metadata: Default::default(),
        precondition: gazette_store::Precondition::None,
    }
}

/// Whether no shard of the search documents holds a ghost's.
pub(crate) async fn no_ghost_in_shards(archive: &gazette_store::Store) {
    for key in archive.list("_gazette/index/search/").await.unwrap() {
        if key.contains("/journal/") {
            continue;
        }
        let shard = archive.get(&key).await.unwrap().unwrap_or_default();
        let shard = String::from_utf8(shard).unwrap();
        assert!(!shard.contains("bong-ma"), "{key} holds a ghost: {shard}");
    }
}

/// Whether the public index is built from everything the indexer has flushed.
async fn index_is_current(archive: &gazette_store::Store) -> Result<(), String> {
    let read = |bytes: Option<Vec<u8>>| -> Value {
        bytes.map_or(Value::Null, |b| serde_json::from_slice(&b).unwrap())
    };
    let site = read(archive.get("_gazette/index/site.json").await.unwrap());
    let manifest = read(archive.get("_gazette/index/search.json").await.unwrap());
    let (seq, built) = (&site["search_seq"], &manifest["built_from"]);
    match (seq.as_u64(), built.as_u64()) {
        (Some(seq), Some(built)) if built >= seq => Ok(()),
        _ => Err(format!("search_seq {seq}, index built from {built}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_find_articles_without_tone_marks_and_never_scheduled_or_withdrawn_ones() {
    needs!(RabbitMq, Garage, Browser);
    let check_dir = crate::browser::browser_check_dir();
    let mut env = TestEnv::start("search").await;
    let base = format!(
        "http://{}.web.garage.localhost:{}",
        env.garage.bucket, env.garage.web_port
    );
    let api = free_local_addr();
    env.extra_env.extend([
        ("GAZETTE_PUBLIC_URL".to_owned(), format!("{base}/")),
        ("GAZETTE_SEARCH_INTERVAL".to_owned(), "1s".to_owned()),
        ("GAZETTE_HTTP_ADDR".to_owned(), api.to_string()),
        ("GAZETTE_API_URL".to_owned(), format!("http://{api}")),
    ]);
    // Journals a dead flush could have left past every count this run
    // commits: each commit overwrites its own first, and the rest are
    // never folded, so the ghost is never found.
    let archive = env.archive().await;
    for count in 1..=GHOST_JOURNALS {
        archive.put(ghost_journal(count)).await.unwrap();
    }
    let _up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));
    wait_for_http(api, "/healthz", 200).await;

    let mut scheduled = article(
        "tim-hen-gio",
        "Kế hoạch cấm đường Hà Nội sắp tới",
        "(NTL) Chưa được công bố.",
        "Bài hẹn giờ về Hà Nội.",
    );
    scheduled["published_at"] =
        json!((chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339());
    // In another year's index, 2021 where the portal is (2020 in UTC).
    let mut older = article(
        "tim-cau-cu",
        "Khánh thành cầu Long Biên mới",
        "(NTL) Cây cầu dài năm trăm mét.",
        "Cầu bắc qua sông Hồng.",
    );
    older["published_at"] = json!("2020-12-31T23:30:00Z");
    let stdout = env.submit_and_wait(&[
        article(
            "tim-ha-noi",
            "Hội nghị ở Hà Nội bàn về giao thông",
            "(NTL) Đại biểu Đông Anh dự hội nghị.",
            "Dự án mở rộng **đường Nguyễn Trãi** được thông qua.\n\nMột dòng chữ <script>alert(1)</script> trong bài.",
        ),
        article(
            "tim-tiep-dan",
            "Lịch tiếp dân tháng 7",
            "(NTL) Ủy ban nhân dân phường thông báo.",
            "Lịch tiếp công dân định kỳ.",
        ),
        article(
            "tim-go-bo",
            "Thông báo cũ về Hà Nội",
            "(NTL) Sẽ bị gỡ.",
            "Nội dung sẽ bị gỡ bỏ.",
        ),
        scheduled,
        older,
    ]);
    assert!(
        stdout.contains("scheduled revision 1 of tim-hen-gio"),
        "{stdout}"
    );
    cms::post(
        &env,
        EventType::Withdrawn,
        &cms::withdrawal("tim-go-bo", "Thông tin sai"),
    )
    .await;
    let store = env.store().await;
    // The withdrawal is flushed (its page is gone), then the index is rebuilt from it.
    eventually(|| async {
        let gone = store
            .get("thong-bao/thong-bao-cu-ve-ha-noi.html")
            .await
            .unwrap()
            .is_none();
        let listed = String::from_utf8(
            store
                .get("thong-bao/index.html")
                .await
                .unwrap()
                .unwrap_or_default()
                .to_vec(),
        )
        .unwrap();
        match gone && !listed.contains("Thông báo cũ") {
            true => index_is_current(&archive).await,
            false => Err("the withdrawal is not flushed yet".to_owned()),
        }
    })
    .await;
    no_ghost_in_shards(&archive).await;
    // One reader, so that the article page has a count to show.
    let article_path = "/thong-bao/hoi-nghi-o-ha-noi-ban-ve-giao-thong.html";
    std::fs::copy(
        repo_root().join("tests/browser/search.mjs"),
        check_dir.join("search.mjs"),
    )
    .unwrap();
    let queries = [
        "long bien",
        "ha noi",
        "Hà Nội",
        "HA NOI giao thong",
        "duong nguyen trai",
        "dong anh",
        "lich tiep dan",
        "cấm",
        "xyzzy",
    ];
    let run = stdout_of(
        Command::new("node")
            .current_dir(&check_dir)
            .arg("search.mjs")
            .arg(&base)
            .arg(article_path)
            .args(queries),
        "the search check",
    );
    let report: Value = serde_json::from_slice(&run).unwrap();
    let searches = report["searches"].as_array().unwrap();
    assert_eq!(searches.len(), queries.len());
    let found = |query: &str| -> Vec<String> {
        let search = searches.iter().find(|s| s["query"] == query).unwrap();
        assert_eq!(
            search["scripts"], 0,
            "no markup from an article runs: {search}"
        );
        let titles: Vec<String> = search["titles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect();
        // The index itself holds nothing scheduled or withdrawn.
        for url in search["indexed"].as_array().unwrap() {
            let url = url.as_str().unwrap();
            assert!(
                !url.contains("ke-hoach")
                    && !url.contains("thong-bao-cu")
                    && !url.contains("bong-ma"),
                "{query}: the index answers {url}"
            );
        }
        titles
    };
    let meeting = "Hội nghị ở Hà Nội bàn về giao thông".to_owned();
    for query in ["ha noi", "Hà Nội", "duong nguyen trai", "dong anh"] {
        assert_eq!(found(query), std::slice::from_ref(&meeting), "{query}");
    }
    // Pagefind drops the words an index lacks, and each year is an index:
    // 2022 answers the article holding every word, first; 2021 holds only
    // "thông" (its category, Thông báo), so it answers the article with it.
    assert_eq!(
        found("HA NOI giao thong"),
        [meeting.as_str(), "Khánh thành cầu Long Biên mới"],
    );
    assert_eq!(found("lich tiep dan"), ["Lịch tiếp dân tháng 7"]);
    // One index a year, newest first; the scheduled article's year is not
    // one until it goes live, and the older year is searched with the rest.
    let long_bien = searches.iter().find(|s| s["query"] == "long bien").unwrap();
    assert_eq!(long_bien["parts"], json!(["2022", "2021"]), "{long_bien}");
    assert_eq!(found("long bien"), ["Khánh thành cầu Long Biên mới"]);
    assert_eq!(
        found("cấm"),
        Vec::<String>::new(),
        "the scheduled article's own word"
    );
    assert_eq!(found("xyzzy"), Vec::<String>::new());
    let ha_noi = searches.iter().find(|s| s["query"] == "ha noi").unwrap();
    assert!(
        ha_noi["marks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "Hà"),
        "the match is marked as written: {ha_noi}"
    );
    assert!(
        ha_noi["status"]
            .as_str()
            .unwrap()
            .starts_with("Tìm thấy 1 bài viết"),
        "{ha_noi}"
    );
    assert!(ha_noi["bytes"].as_u64().unwrap() > 0, "{ha_noi}");

    // The article page's counter: this visit, counted and shown.
    let views = &report["views"];
    assert_eq!(views["count"], "1", "{views}");
    assert!(
        views["text"].as_str().unwrap().contains("Lượt xem"),
        "{views}"
    );
    env.teardown().await;
}

/// The indexer builds in a child process of the `gazette` binary, so its
/// memory goes back after each build; the child must build exactly what
/// the process itself would.
#[tokio::test]
async fn the_index_built_in_a_child_process_is_the_one_built_in_process() {
    use gazette_search::{Builder, ENTRY_FILE, Feed, SearchDocument, SearchError};
    let document = |n: usize| SearchDocument {
        url: format!("/thong-bao/bai-{n}.html"),
        title: format!("Đường phố Hà Nội, bài {n}"),
        date: "23/06/2022 | 15:04".to_owned(),
        category: "Thông báo".to_owned(),
        lead: "(NTL) Ủy ban nhân dân phường".to_owned(),
        body_html: format!("<p>Thân bài số {n} với đường và Đông Anh</p>"),
    };
    let documents: Vec<SearchDocument> = (0..40).map(document).collect();
    let gazette = std::path::PathBuf::from(env!("CARGO_BIN_EXE_gazette"));
    let child = Builder::Child {
        program: gazette.clone(),
        args: vec!["search-index".to_owned()],
    };
    // To the child a few at a time, as the indexer sends shards.
    let (sender, feed) = gazette_search::feed(2);
    let batches: Vec<Vec<SearchDocument>> = documents.chunks(7).map(<[_]>::to_vec).collect();
    let sending = async move {
        for batch in batches {
            sender.send(batch).await.unwrap();
        }
        sender.finish().await.unwrap();
    };
    let (built, ()) = tokio::join!(child.build(feed), sending);
    let built = built.unwrap();
    let in_process = Builder::InProcess
        .build(Feed::of(documents.clone()))
        .await
        .unwrap();
    // The child says what it took, which the indexer reports as a metric.
    assert!(
        built.child_peak_rss_bytes.is_some_and(|b| b > 1024 * 1024),
        "{:?}",
        built.child_peak_rss_bytes
    );
    assert_eq!(in_process.child_peak_rss_bytes, None);
    let (from_child, in_process) = (built.files, in_process.files);
    assert!(from_child.iter().any(|f| f.path == ENTRY_FILE));
    assert_eq!(
        from_child
            .iter()
            .filter(|f| f.path.starts_with("fragment/"))
            .count(),
        40
    );
    assert_eq!(from_child, in_process);

    // A program that answers something else fails the build; it never
    // passes for an empty or partial index.
    let wrong = Builder::Child {
        program: gazette,
        args: vec!["manpage".to_owned()],
    };
    assert!(wrong.build(Feed::of(Vec::new())).await.is_err());

    // A feed that stops before its end (the store failed mid-read) builds
    // nothing, in the child or in process.
    for builder in [child, Builder::InProcess] {
        let (sender, feed) = gazette_search::feed(2);
        let first = documents[..7].to_vec();
        let sending = async move {
            sender.send(first).await.unwrap();
            drop(sender);
        };
        let (built, ()) = tokio::join!(builder.build(feed), sending);
        assert!(
            matches!(built, Err(SearchError::Incomplete)),
            "{builder:?}: {built:?}"
        );
    }
}

/// A site too large for one index runs with `GAZETTE_SEARCH=off`: no
/// search box in any header, no `/search/` and no index (what was left
/// from before is taken down, the index's manifest with it), no journal
/// for a builder that never comes, and a rebuild writes no search state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_without_search_offers_none_and_journals_nothing() {
    needs!(RabbitMq, Garage);
    let mut env = TestEnv::start("no-search").await;
    env.extra_env.extend([
        ("GAZETTE_SEARCH".to_owned(), "off".to_owned()),
        ("GAZETTE_SEARCH_INTERVAL".to_owned(), "1s".to_owned()),
    ]);
    let store = env.store().await;
    let archive = env.archive().await;
    // A search page, an index and its manifest from when the site had search.
    let planted = |key: &str, body: &str| gazette_store::PutObject {
        key: key.to_owned(),
        body: body.to_owned().into(),
        content_type: "text/html; charset=utf-8",
        cache_control: "no-cache",
        metadata: Default::default(),
        precondition: gazette_store::Precondition::None,
    };
    for (key, body) in [
        (
            "search/index.html",
            "<!DOCTYPE html><title>Tìm kiếm</title>",
        ),
        ("pagefind/pagefind-entry.json", "{}"),
        ("pagefind/fragment/vi_0a1b2c.pf_fragment", "Hà Nội"),
    ] {
        store.put(planted(key, body)).await.unwrap();
    }
    let manifest = r#"{"built_from":1,"files":{"pagefind-entry.json":"00"},"retired":[]}"#;
    archive
        .put(planted(gazette_site::SEARCH_MANIFEST_KEY, manifest))
        .await
        .unwrap();

    let mut up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));
    env.submit_and_wait(&[article(
        "khong-tim",
        "Phường Đông Ngạc không có ô tìm kiếm",
        "(NTL) Trang không có tìm kiếm.",
        "Nội dung bài.",
    )]);
    let text = |bytes: Option<Vec<u8>>| String::from_utf8(bytes.unwrap_or_default());
    let front = eventually(|| async {
        let front = text(store.get("thong-bao/index.html").await.unwrap()).unwrap();
        match front.contains("không có ô tìm kiếm") {
            true => Ok(front),
            false => Err(format!("not on its front page yet: {front}")),
        }
    })
    .await;
    let page = text(
        store
            .get("thong-bao/phuong-dong-ngac-khong-co-o-tim-kiem.html")
            .await
            .unwrap(),
    )
    .unwrap();
    for html in [&front, &page] {
        assert!(!html.contains("role=\"search\""), "{html}");
        assert!(!html.contains("/search/"), "{html}");
    }
    assert_eq!(store.get("search/index.html").await.unwrap(), None);
    // The journal would have been written before the flush that listed it.
    let journals = gazette_site::search_journal_key(0);
    let journals = journals.trim_end_matches(|c: char| c != '/');
    assert_eq!(archive.list(journals).await.unwrap(), Vec::<String>::new());
    assert_eq!(store.list("pagefind/").await.unwrap(), Vec::<String>::new());
    assert_eq!(
        archive
            .get(gazette_site::SEARCH_MANIFEST_KEY)
            .await
            .unwrap(),
        None
    );

    // A running indexer refuses the rebuild: stopped, as an operator would.
    up.terminate();
    let (ok, stdout, stderr) = env.run_gazette(&["rebuild"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("rebuilt 1 articles"), "{stdout}");
    let shards = gazette_site::search_shard_key(0);
    let shards = shards.trim_end_matches(|c: char| c != '/');
    assert_eq!(archive.list(shards).await.unwrap(), Vec::<String>::new());
    assert_eq!(store.list("pagefind/").await.unwrap(), Vec::<String>::new());
    assert_eq!(store.get("search/index.html").await.unwrap(), None);
    let rebuilt = text(store.get("thong-bao/index.html").await.unwrap()).unwrap();
    assert!(rebuilt.contains("không có ô tìm kiếm"), "{rebuilt}");
    assert!(!rebuilt.contains("role=\"search\""), "{rebuilt}");
    env.teardown().await;
}
