//! End to end: the example article through three worker processes, into a real Garage bucket, out as `article.published`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use crate::support;
use crate::support::needs;
use crate::support::{PATIENCE, TestEnv, example_article_path, repo_root};
use gazette_contract::{Envelope, EventType, Published, Schemas, ValidatedArticle, event_id};
use gazette_store::Store;
use sha2::{Digest, Sha256};

const PAGE_KEY: &str = "tin-tuc-hoat-dong-cua-quan-uy/hoi-nghi-lan-thu-14-ban-chap-hanh-dang-bo-quan-khoa-iii-nhiem-ky-2020-2025.html";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_article_is_published_by_three_worker_processes() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("e2e").await;
    // Bind before submitting so the event cannot be missed.
    let mut events = env
        .tap(&[EventType::Published.as_str(), EventType::Rejected.as_str()])
        .await;
    let _workers: Vec<_> = crate::support::pipeline_stages()
        .into_iter()
        .map(|stage| env.spawn_worker(stage))
        .collect();

    let example = example_article_path();
    let (ok, stdout, stderr) = env.run_gazette(&["submit", example.to_str().unwrap_or_default()]);
    assert!(ok, "submit failed: {stderr}");
    assert!(stdout.contains("submitted"), "{stdout}");

    let message = events
        .next(PATIENCE)
        .await
        .ok()
        .flatten()
        .expect("an event within the patience window");
    assert_eq!(
        message.routing_key,
        "article.published",
        "{}",
        String::from_utf8_lossy(&message.body)
    );

    // The event honours its own schema and the Rust type.
    let raw: serde_json::Value = serde_json::from_slice(&message.body).expect("JSON");
    Schemas::load()
        .expect("schemas")
        .check(EventType::Published, &raw)
        .expect("article.published matches its schema");
    let published: Envelope<Published> = serde_json::from_value(raw).expect("decodes");
    let submission_id = event_id("ntl-2022-06-23-hoi-nghi-14", 1, EventType::Submitted);
    assert_eq!(
        published.id,
        event_id("ntl-2022-06-23-hoi-nghi-14", 1, EventType::Published)
    );
    assert_eq!(published.subject, "ntl-2022-06-23-hoi-nghi-14");
    assert_eq!(
        published.correlationid.as_deref(),
        Some(submission_id.as_str())
    );
    assert_eq!(
        message.correlation_id.as_deref(),
        Some(submission_id.as_str())
    );
    assert_eq!(published.data.key, PAGE_KEY);
    assert_eq!(published.data.revision, 1);
    assert_eq!(
        published.data.category.name,
        "Tin tức hoạt động của Quận ủy"
    );
    assert!(
        published.data.url.ends_with(&format!("/site/{PAGE_KEY}")),
        "{}",
        published.data.url
    );
    assert_eq!(
        published.data.published_at.to_rfc3339(),
        "2022-06-23T15:04:00+07:00"
    );

    let store = env.store().await;
    let page = fetch_text(&store, PAGE_KEY).await;
    assert_eq!(
        published.data.sha256,
        hex::encode(Sha256::digest(page.as_bytes()))
    );
    let head = store
        .head(PAGE_KEY)
        .await
        .expect("head")
        .expect("page exists");
    assert_eq!(
        head.metadata.get("article-id").map(String::as_str),
        Some("ntl-2022-06-23-hoi-nghi-14")
    );
    assert_eq!(head.metadata.get("revision").map(String::as_str), Some("1"));
    assert_eq!(head.metadata.get("sha256"), Some(&published.data.sha256));
    assert_page_shows_the_seed(&page);

    // The copy is private: in the archive, and nowhere in the public store.
    let copy = "articles/ntl-2022-06-23-hoi-nghi-14/1.json";
    assert_eq!(store.get(copy).await.expect("get"), None);
    assert!(store.list("_gazette/").await.expect("list").is_empty());
    let stored: ValidatedArticle =
        serde_json::from_str(&fetch_text(&env.archive().await, copy).await).expect("article JSON");
    assert_eq!(stored.article.revision, 1);
    assert_eq!(
        stored.slug,
        "hoi-nghi-lan-thu-14-ban-chap-hanh-dang-bo-quan-khoa-iii-nhiem-ky-2020-2025"
    );

    events.close().await;
    env.teardown().await;
}

/// The page carries the seed's words byte for byte, and none of its site chrome.
fn assert_page_shows_the_seed(page: &str) {
    let seed =
        std::fs::read_to_string(repo_root().join("examples/ntl-2022-06-23-hoi-nghi-14.source.txt"))
            .expect("seed");
    let paragraphs: Vec<&str> = seed
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    assert!(
        page.starts_with("<!DOCTYPE html>\n<html lang=\"vi\">"),
        "{page}"
    );
    assert!(page.contains("<meta charset=\"utf-8\">"));
    assert!(page.contains("<meta name=\"viewport\""));
    assert!(page.contains(
        "<h1>Hội nghị lần thứ 14 - Ban chấp hành Đảng bộ quận khóa III, nhiệm kỳ 2020 - 2025</h1>"
    ));
    assert!(page.contains(
        "Ngày đăng <time datetime=\"2022-06-23T15:04:00+07:00\">23/06/2022 | 15:04</time>"
    ));
    assert!(page.contains("Tin tức hoạt động của Quận ủy"));
    assert!(
        page.contains(&format!("<p class=\"lead\">{}</p>", paragraphs[2])),
        "lead missing"
    );
    for body_paragraph in &paragraphs[3..paragraphs.len() - 2] {
        assert!(
            page.contains(&format!("<p>{body_paragraph}</p>")),
            "paragraph missing: {body_paragraph}"
        );
    }
    assert!(page.contains("<p class=\"byline\">Thanh Hải</p>"));
    assert!(
        !page.contains("BẢN ĐỒ SỐ"),
        "site chrome leaked into the page"
    );
    assert!(
        !page.contains("Lượt xem"),
        "view counter leaked into the page"
    );
    assert!(
        !page.contains("TIN TỨC HOẠT ĐỘNG CỦA QUẬN ỦY TIN TỨC"),
        "repeated header leaked into the page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decomposed_text_is_stored_in_nfc_and_html_bodies_are_sanitised() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("nfc").await;
    let mut events = env
        .tap(&[EventType::Published.as_str(), EventType::Rejected.as_str()])
        .await;
    let _up = support::Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));

    // "Hội nghị Đảng bộ" typed decomposed: base letters plus combining marks.
    let decomposed_title =
        "Ho\u{302}\u{323}i nghi\u{323} \u{110}a\u{309}ng bo\u{302}\u{323} <quận>";
    let article = serde_json::json!({
        "id": "nfd-1", "revision": 1, "title": decomposed_title,
        "category": {"slug": "thong-bao", "name": "Tho\u{302}ng ba\u{301}o"},
        "published_at": "2022-06-23T08:04:00Z", "author": "Thanh Ha\u{309}i",
        "lead": "Lead & <b>bold</b>",
        "body": {"format": "html", "content": "<p onclick=\"steal()\">Nô\u{323}i dung <script>alert(1)</script><a href=\"javascript:x()\">xem</a></p>"},
        "language": "vi"
    });
    let file = env.garage.dir.path().join("nfd.json");
    std::fs::write(&file, serde_json::to_vec(&article).expect("json")).expect("write");
    let (ok, _, stderr) = env.run_gazette(&["submit", file.to_str().unwrap_or_default()]);
    assert!(ok, "{stderr}");

    let message = events
        .next(PATIENCE)
        .await
        .ok()
        .flatten()
        .expect("an event");
    assert_eq!(
        message.routing_key,
        "article.published",
        "{}",
        String::from_utf8_lossy(&message.body)
    );
    let published: Envelope<Published> = serde_json::from_slice(&message.body).expect("decodes");
    assert_eq!(published.data.key, "thong-bao/hoi-nghi-dang-bo-quan.html");
    assert_eq!(published.data.title, "Hội nghị Đảng bộ <quận>");

    let page = fetch_text(&env.store().await, &published.data.key).await;
    assert!(
        page.contains("<h1>Hội nghị Đảng bộ &lt;quận&gt;</h1>"),
        "{page}"
    );
    assert!(page.contains("<p class=\"byline\">Thanh Hải</p>"));
    assert!(page.contains("<p class=\"lead\">Lead &amp; &lt;b&gt;bold&lt;/b&gt;</p>"));
    assert!(
        page.contains("23/06/2022 | 15:04"),
        "UTC input shown in Vietnam time"
    );
    assert!(
        page.contains("<p>Nội dung <a rel=\"noopener noreferrer nofollow\">xem</a></p>"),
        "{page}"
    );
    assert!(!page.contains("\u{323}"), "a combining mark survived NFC");
    // The only script element is the theme's JSON-LD, which is data.
    assert_eq!(
        page.matches("<script").count(),
        page.matches("<script type=\"application/ld+json\">")
            .count(),
        "{page}"
    );
    assert!(
        !page.contains("onclick") && !page.contains("javascript:"),
        "{page}"
    );

    events.close().await;
    env.teardown().await;
}

async fn fetch_text(store: &Store, key: &str) -> String {
    let bytes = store
        .get(key)
        .await
        .expect("get")
        .unwrap_or_else(|| panic!("{key} is not in the bucket"));
    String::from_utf8(bytes).expect("UTF-8")
}
