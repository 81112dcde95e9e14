//! The theme in a real browser: pages published through the pipeline, loaded by headless Chromium from Garage's website endpoint.
//!
//! `tests/browser/check.mjs` drives Chromium (Debian's `chromium`, through
//! playwright-core) at 360 px and 1280 px: screenshots into
//! `target/browser-check/`, axe-core, an HTML parse with parse5, the fonts
//! the text was drawn with, and where the first Tab lands. This test judges
//! its report. `scripts/ensure-browser-check` installs what it needs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::path::PathBuf;
use std::process::Command;

use crate::support;
use crate::support::needs;
use crate::support::{TestEnv, Worker, example_article, repo_root, stdout_of};
use serde_json::{Value, json};

/// The folder with the check's node modules, installed on first use.
pub(crate) fn browser_check_dir() -> PathBuf {
    let out = stdout_of(
        &mut Command::new(repo_root().join("scripts/ensure-browser-check")),
        "scripts/ensure-browser-check",
    );
    PathBuf::from(String::from_utf8(out).unwrap().trim())
}

fn article(id: &str, title: &str, category: (&str, &str), lead: &str) -> Value {
    let mut article = example_article();
    article["id"] = json!(id);
    article["title"] = json!(title);
    article["category"] = json!({"slug": category.0, "name": category.1});
    article["lead"] = json!(lead);
    article
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_type_passes_in_chromium_at_phone_and_desktop_widths() {
    needs!(RabbitMq, Garage, Browser);
    let check_dir = browser_check_dir();
    let mut env = TestEnv::start("browser").await;
    let base = format!(
        "http://{}.web.garage.localhost:{}",
        env.garage.bucket, env.garage.web_port
    );
    // The site's public address is the website endpoint, so that
    // canonical links, og:url and the structured data's URLs resolve.
    env.extra_env.extend([
        ("GAZETTE_PUBLIC_URL".to_owned(), format!("{base}/")),
        (
            "GAZETTE_SITE_SECTIONS".to_owned(),
            "tin-tuc-hoat-dong-cua-quan-uy=Hoạt động Quận ủy,y-te=Y tế,van-hoa=Văn hóa".to_owned(),
        ),
    ]);
    let _up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));

    let mut articles = vec![example_article()];
    for (n, (title, category)) in [
        (
            "Thông báo lịch tiêm chủng mở rộng tháng 7 cho trẻ em dưới 5 tuổi",
            ("y-te", "Y tế"),
        ),
        (
            "Quận tổ chức ngày hội đọc sách: “Đọc sách – Nâng tầm tri thức”",
            ("van-hoa", "Văn hóa – Thể thao"),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        articles.push(article(
            &format!("ntl-browser-{n}"),
            title,
            category,
            "(NTL) Ủy ban nhân dân quận thông báo tới toàn thể nhân dân được biết.",
        ));
    }
    let stdout = env.submit_and_wait(&articles);
    assert_eq!(
        stdout.matches("published revision 1").count(),
        3,
        "{stdout}"
    );
    let store = env.store().await;
    let article_key = "tin-tuc-hoat-dong-cua-quan-uy/hoi-nghi-lan-thu-14-ban-chap-hanh-dang-bo-quan-khoa-iii-nhiem-ky-2020-2025.html";
    // The indexer's flush comes a moment after the last publication.
    support::eventually(|| async {
        let home = store
            .get("index.html")
            .await
            .unwrap()
            .map(|b| String::from_utf8(b).unwrap());
        match home {
            Some(home) if home.matches("class=\"block\"").count() == 3 => Ok(()),
            other => Err(format!("home page is {other:?}")),
        }
    })
    .await;

    let out = repo_root().join("target/browser-check");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::copy(
        repo_root().join("tests/browser/check.mjs"),
        check_dir.join("check.mjs"),
    )
    .unwrap();
    let pages = [
        "home=/".to_owned(),
        "listing=/tin-tuc-hoat-dong-cua-quan-uy/".to_owned(),
        "numbered=/y-te/page/1.html".to_owned(),
        format!("article=/{article_key}"),
        "tag=/tag/hoi-nghi/".to_owned(),
        "not-found=/khong-co-trang-nay.html".to_owned(),
        "search=/search/?q=h%C3%A0%20n%E1%BB%99i".to_owned(),
    ];
    let run = stdout_of(
        Command::new("node")
            .current_dir(&check_dir)
            .arg("check.mjs")
            .arg(&base)
            .arg(&out)
            .args(&pages),
        "the browser check",
    );
    let report: Vec<Value> = serde_json::from_slice(&run).unwrap();
    assert_eq!(report.len(), pages.len() * 2);
    for entry in &report {
        let what = format!("{} at {} px: {entry}", entry["page"], entry["width"]);
        let expected_status = if entry["page"] == "not-found" {
            404
        } else {
            200
        };
        assert_eq!(entry["status"], expected_status, "{what}");
        assert_eq!(entry["parseErrors"], json!([]), "{what}");
        assert_eq!(
            entry["serious"],
            json!([]),
            "no serious or critical axe violations: {what}"
        );
        assert!(
            entry["overflow"].as_i64().unwrap() <= 0,
            "no sideways scrolling: {what}"
        );
        assert_eq!(
            entry["fonts"],
            json!(["Noto Sans (web font)"]),
            "one face, no fallback: {what}"
        );
        assert_eq!(
            entry["focus"]["text"], "Chuyển đến nội dung chính",
            "{what}"
        );
        assert_eq!(
            entry["focus"]["outline"], "solid",
            "a visible focus ring: {what}"
        );
        assert_eq!(entry["focus"]["onScreen"], true, "{what}");
    }
    for entry in &report {
        check_what_search_engines_read(entry, &base);
    }
    // The site-wide files crawlers and browsers ask for by name.
    let web: std::net::SocketAddr = format!("127.0.0.1:{}", env.garage.web_port)
        .parse()
        .unwrap();
    let host = format!("{}.web.garage.localhost", env.garage.bucket);
    let (status, head, robots) = support::raw_get(web, &host, "/robots.txt", "").await;
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("content-type: text/plain"), "{head}");
    assert!(
        robots
            .lines()
            .any(|line| line == format!("Sitemap: {base}/sitemap.xml")),
        "{robots}"
    );
    let (status, head, manifest) = support::raw_get(web, &host, "/manifest.webmanifest", "").await;
    assert_eq!(status, 200, "{head}");
    assert!(
        head.contains("content-type: application/manifest+json"),
        "{head}"
    );
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(manifest["lang"], "vi");
    for icon in manifest["icons"].as_array().unwrap() {
        let path = icon["src"].as_str().unwrap();
        let (status, head, _) = support::raw_get(web, &host, path, "").await;
        assert_eq!(status, 200, "{path}: {head}");
        assert!(head.contains("content-type: image/png"), "{path}: {head}");
    }
    // Every tag link on the article leads to a page (one is in the check above).
    let (status, head, tag_page) = support::raw_get(web, &host, "/tag/quan-uy/", "").await;
    assert_eq!(status, 200, "{head}");
    assert_eq!(tag_page.matches("class=\"card\"").count(), 3, "{tag_page}");
    // Binary, so read from the store rather than as text.
    let favicon = store.get("favicon.ico").await.unwrap().unwrap();
    assert_eq!(favicon[..4], [0, 0, 1, 0], "an ICO file");
    for page in pages.iter().filter_map(|spec| spec.split('=').next()) {
        for width in ["phone", "desktop"] {
            let shot = out.join(format!("{page}-{width}.png"));
            assert!(
                std::fs::metadata(&shot).unwrap().len() > 1000,
                "{}",
                shot.display()
            );
        }
    }
    env.teardown().await;
}

/// The `<meta>` tag's values, by property or name.
fn meta<'a>(seo: &'a Value, key: &str) -> Vec<&'a str> {
    seo["meta"][key]
        .as_array()
        .map(|values| values.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// RFC 3339 with an explicit offset, as Google's Article documentation asks of dates.
fn is_iso_with_offset(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

/// The schema.org properties each type the theme emits may carry: the
/// type's own and those it inherits (NewsArticle < Article < CreativeWork
/// < Thing; BreadcrumbList < ItemList < Thing), as schema.org lists them.
/// A misspelt or invented property is silently ignored by search engines,
/// so the test refuses it.
fn schema_org_properties(kind: &str) -> &'static [&'static str] {
    match kind {
        "NewsArticle" => &[
            "@context",
            "@type",
            "headline",
            "description",
            "datePublished",
            "dateModified",
            "author",
            "publisher",
            "articleSection",
            "inLanguage",
            "keywords",
            "url",
            "mainEntityOfPage",
            "image",
            "isAccessibleForFree",
            "dateline",
            "articleBody",
            "wordCount",
            "thumbnailUrl",
            "name",
        ],
        "BreadcrumbList" => &[
            "@context",
            "@type",
            "itemListElement",
            "numberOfItems",
            "name",
        ],
        "ListItem" => &["@type", "position", "name", "item"],
        "Person" => &["@type", "name", "url"],
        "Organization" => &["@type", "name", "url", "logo"],
        "ImageObject" => &["@type", "url", "width", "height", "caption", "contentUrl"],
        "WebPage" => &["@type", "@id", "url"],
        _ => &[],
    }
}

/// Every object in `value`, at any depth, uses only its type's properties.
fn check_schema_org_vocabulary(value: &Value, what: &str) {
    match value {
        Value::Array(items) => items
            .iter()
            .for_each(|item| check_schema_org_vocabulary(item, what)),
        Value::Object(fields) => {
            let kind = fields
                .get("@type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let allowed = schema_org_properties(kind);
            assert!(!allowed.is_empty(), "an unexpected type {kind:?}: {what}");
            for (key, inner) in fields {
                assert!(
                    allowed.contains(&key.as_str()),
                    "{kind} has no property {key}: {what}"
                );
                check_schema_org_vocabulary(inner, what);
            }
        }
        _ => {}
    }
}

/// The JSON-LD, OpenGraph, navigation and robots directives one page
/// carries, as Chromium parsed them, against Google's Article
/// documentation and the OpenGraph protocol.
fn check_what_search_engines_read(entry: &Value, base: &str) {
    let page = entry["page"].as_str().unwrap_or_default();
    let seo = &entry["seo"];
    let what = format!("{page}: {seo}");
    let blocks: Vec<&Value> = seo["jsonLd"].as_array().unwrap().iter().collect();
    for block in &blocks {
        assert!(block.get("error").is_none(), "JSON-LD parses: {what}");
    }
    let graph: Vec<&Value> = blocks
        .iter()
        .flat_map(|block| match &block["parsed"] {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            single => vec![single],
        })
        .collect();
    for item in &graph {
        check_schema_org_vocabulary(item, &what);
    }
    let of_type = |kind: &str| graph.iter().find(|item| item["@type"] == kind).copied();
    let robots = meta(seo, "robots");

    assert_eq!(
        seo["searchBox"],
        json!({"action": "/search/", "labelled": true}),
        "every header has the site's search, its box labelled: {what}"
    );
    // A missing page and a page of search results are no pages of their own.
    if page == "not-found" || page == "search" {
        assert_eq!(robots, ["noindex"], "{what}");
        return;
    }
    assert_eq!(robots, ["max-image-preview:large"], "{what}");
    assert_eq!(meta(seo, "og:locale"), ["vi_VN"], "{what}");
    for key in ["og:title", "og:description", "og:site_name", "og:url"] {
        let values = meta(seo, key);
        assert!(values.len() == 1 && !values[0].is_empty(), "{key}: {what}");
    }
    assert!(meta(seo, "og:url")[0].starts_with(base), "{what}");
    // No picture yet (the media stage brings them): the small card.
    assert_eq!(meta(seo, "twitter:card"), ["summary"], "{what}");
    let links = seo["links"].as_array().unwrap();
    for rel in ["icon", "manifest", "apple-touch-icon"] {
        assert!(
            links.iter().any(|l| l["rel"] == rel),
            "a {rel} link: {what}"
        );
    }
    let nav = seo["nav"].as_array().unwrap();
    let names: Vec<&str> = nav.iter().filter_map(|a| a["text"].as_str()).collect();
    assert_eq!(
        names,
        ["Hoạt động Quận ủy", "Y tế", "Văn hóa"],
        "the operator's order: {what}"
    );
    let current: Vec<(&str, &str)> = nav
        .iter()
        .filter_map(|a| Some((a["text"].as_str()?, a["current"].as_str()?)))
        .collect();

    match page {
        "article" => {
            assert_eq!(meta(seo, "og:type"), ["article"], "{what}");
            assert_eq!(current, [("Hoạt động Quận ủy", "true")], "{what}");
            for key in ["article:published_time", "article:modified_time"] {
                let values = meta(seo, key);
                assert!(
                    values.len() == 1 && is_iso_with_offset(values[0]),
                    "{key}: {what}"
                );
            }
            assert_eq!(
                meta(seo, "article:section"),
                ["Tin tức hoạt động của Quận ủy"],
                "{what}"
            );
            assert_eq!(meta(seo, "article:tag"), ["hội nghị", "quận ủy"], "{what}");
            let tag_links: Vec<&str> = seo["tagLinks"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert_eq!(
                tag_links,
                [
                    format!("{base}/tag/hoi-nghi/"),
                    format!("{base}/tag/quan-uy/")
                ],
                "{what}"
            );
            let article = of_type("NewsArticle").unwrap_or_else(|| panic!("NewsArticle: {what}"));
            assert_eq!(article["@context"], "https://schema.org", "{what}");
            for key in ["headline", "description", "articleSection", "inLanguage"] {
                assert!(
                    article[key].as_str().is_some_and(|v| !v.is_empty()),
                    "{key}: {what}"
                );
            }
            assert_eq!(article["inLanguage"], "vi", "{what}");
            for key in ["datePublished", "dateModified"] {
                assert!(
                    article[key].as_str().is_some_and(is_iso_with_offset),
                    "{key}: {what}"
                );
            }
            assert_eq!(article["author"][0]["@type"], "Person", "{what}");
            assert!(
                article["author"][0]["name"]
                    .as_str()
                    .is_some_and(|n| !n.is_empty()),
                "{what}"
            );
            assert_eq!(article["publisher"]["@type"], "Organization", "{what}");
            let logo = article["publisher"]["logo"]["url"]
                .as_str()
                .unwrap_or_default();
            assert!(logo.starts_with(base), "an absolute logo: {what}");
            assert_eq!(
                article["mainEntityOfPage"]["@id"],
                meta(seo, "og:url")[0],
                "{what}"
            );
            let trail = of_type("BreadcrumbList").unwrap_or_else(|| panic!("breadcrumbs: {what}"));
            assert_eq!(
                trail["itemListElement"].as_array().map(Vec::len),
                Some(2),
                "{what}"
            );
            assert_eq!(
                trail["itemListElement"][0]["item"],
                format!("{base}/"),
                "{what}"
            );
        }
        "listing" | "numbered" => {
            assert_eq!(meta(seo, "og:type"), ["website"], "{what}");
            let trail = of_type("BreadcrumbList").unwrap_or_else(|| panic!("breadcrumbs: {what}"));
            assert_eq!(trail["itemListElement"][1]["position"], 2, "{what}");
            let expected = if page == "listing" {
                [("Hoạt động Quận ủy", "page")]
            } else {
                [("Y tế", "true")]
            };
            assert_eq!(current, expected, "{what}");
        }
        _ => {
            assert_eq!(meta(seo, "og:type"), ["website"], "{what}");
            assert!(current.is_empty(), "{what}");
        }
    }
}
