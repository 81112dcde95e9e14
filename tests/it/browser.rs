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
fn browser_check_dir() -> PathBuf {
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
    let env = TestEnv::start("browser").await;
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
    let base = format!(
        "http://{}.web.garage.localhost:{}",
        env.garage.bucket, env.garage.web_port
    );
    let pages = [
        "home=/".to_owned(),
        "listing=/tin-tuc-hoat-dong-cua-quan-uy/".to_owned(),
        "numbered=/y-te/page/1.html".to_owned(),
        format!("article=/{article_key}"),
        "not-found=/khong-co-trang-nay.html".to_owned(),
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
    for page in ["home", "listing", "numbered", "article", "not-found"] {
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
