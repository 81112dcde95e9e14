//! An article with a cover and two inline pictures, and its category's listing, in headless Chromium: every picture loads from the site's own `media/`, no line moves as they load or as the web fonts swap in, and the browser check's rules still hold.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::process::Command;

use serde_json::{Value, json};

use crate::support::pictures::{image_server, with_cover};
use crate::support::{TestEnv, Worker, cms, eventually, needs, repo_root, stdout_of};

/// The layout shift allowed when the web fonts arrive after the first
/// paint (the browser check delays them on purpose). Pictures reserve their
/// box, and the fallback face has Noto Sans's ascent, descent and, on
/// Vietnamese text, its width, so no line moves; a word after Latin text
/// ("RSS · Atom") may still slide sideways by a pixel, about 0.0001. A
/// picture without its box would push a screenful down: 0.05 and more.
const MOST_SHIFT_FROM_THE_FONT_SWAP: f64 = 0.001;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_with_pictures_loads_them_all_without_layout_shift_at_phone_and_desktop_widths() {
    needs!(RabbitMq, Garage, Browser);
    let check_dir = crate::browser::browser_check_dir();
    let (server, _pictures) = image_server().await;
    let url = |name: &str| format!("http://{server}/pictures/{name}");
    let mut env = TestEnv::start("media-page").await;
    let base = format!(
        "http://{}.web.garage.localhost:{}",
        env.garage.bucket, env.garage.web_port
    );
    env.extra_env.extend([
        ("GAZETTE_PUBLIC_URL".to_owned(), format!("{base}/")),
        (
            "GAZETTE_MEDIA_ALLOW_CIDRS".to_owned(),
            "127.0.0.2/32".to_owned(),
        ),
    ]);
    let _up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));
    let pictured = with_cover(
        "anh-trang",
        "Hội nghị tổng kết có ảnh",
        &url("large.jpg"),
        &format!(
            "Đoạn đầu của bài viết về hội nghị.\n\n![Biểu đồ kết quả]({})\n\nĐoạn giữa.\n\n<img src=\"{}\" alt=\"Các đại biểu biểu quyết\">\n\nĐoạn cuối.",
            url("alpha.png"),
            url("exif.jpg")
        ),
    );
    let plain = cms::article("khong-anh", 1, "Thông báo không có ảnh");
    let out = env.submit_and_wait(&[pictured, plain]);
    assert_eq!(out.matches("published revision 1").count(), 2, "{out}");
    let store = env.store().await;
    let listing_key = format!("{}/index.html", cms::CATEGORY);
    eventually(|| async {
        let listing = store
            .get(&listing_key)
            .await
            .unwrap()
            .map(|b| String::from_utf8(b).unwrap());
        match listing {
            Some(l) if l.contains("card-with-picture") && l.contains("khong-co-anh") => Ok(()),
            other => Err(format!("listing is {other:?}")),
        }
    })
    .await;

    std::fs::copy(
        repo_root().join("tests/browser/check.mjs"),
        check_dir.join("check.mjs"),
    )
    .unwrap();
    let out_dir = repo_root().join("target/browser-check");
    std::fs::create_dir_all(&out_dir).unwrap();
    let pages = [
        format!(
            "article-with-pictures=/{}/hoi-nghi-tong-ket-co-anh.html",
            cms::CATEGORY
        ),
        format!("listing-with-pictures=/{}/", cms::CATEGORY),
    ];
    let run = stdout_of(
        Command::new("node")
            .current_dir(&check_dir)
            .arg("check.mjs")
            .arg(&base)
            .arg(&out_dir)
            .args(&pages),
        "the browser check",
    );
    let report: Vec<Value> = serde_json::from_slice(&run).unwrap();
    assert_eq!(report.len(), 4);
    for entry in &report {
        let what = format!("{} at {} px: {entry}", entry["page"], entry["width"]);
        assert_eq!(entry["status"], 200, "{what}");
        assert_eq!(entry["parseErrors"], json!([]), "{what}");
        assert_eq!(entry["serious"], json!([]), "{what}");
        assert!(
            entry["overflow"].as_i64().unwrap() <= 0,
            "no sideways scrolling: {what}"
        );
        let pictures = &entry["pictures"];
        assert_eq!(pictures["broken"], json!([]), "every picture loads: {what}");
        let cls = pictures["cls"].as_f64().unwrap();
        assert!(
            cls <= MOST_SHIFT_FROM_THE_FONT_SWAP,
            "nothing shifts: {what}"
        );
        for shift in pictures["shifts"].as_array().unwrap() {
            for source in shift["sources"].as_array().unwrap() {
                let moved = source["to"].as_f64().unwrap() - source["from"].as_f64().unwrap();
                assert!(moved.abs() < 0.5, "no line moves up or down: {what}");
            }
        }
        let chosen: Vec<&str> = pictures["chosen"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let expected = if entry["page"] == "article-with-pictures" {
            3
        } else {
            1
        };
        assert_eq!(chosen.len(), expected, "{what}");
        for src in chosen {
            assert!(
                src.starts_with(&format!("{base}/media/")) && src.ends_with(".webp"),
                "{src}: {what}"
            );
        }
    }
    // On a phone the cover comes from a variant near the screen's width, not the largest.
    let phone = report
        .iter()
        .find(|e| e["page"] == "article-with-pictures" && e["width"] == 360)
        .unwrap();
    let cover = phone["pictures"]["chosen"][0].as_str().unwrap();
    assert!(
        !cover.contains("/1920.") && !cover.contains("/1280."),
        "{cover}"
    );
    env.teardown().await;
}
