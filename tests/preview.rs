//! `gazette up --serve ADDR`: the published site, read back over HTTP from the store, and nothing outside it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

mod support;

use support::{TestEnv, Worker, example_article_path, free_local_addr, http_get, wait_for_http};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_serves_the_published_page_and_nothing_outside_the_store() {
    let mut env = TestEnv::start("preview").await;
    let probes = free_local_addr();
    let preview = free_local_addr();
    env.extra_env
        .push(("GAZETTE_HTTP_ADDR".to_owned(), probes.to_string()));
    let log = env.garage.dir.path().join("up.log");
    let _up = Worker::spawn(&["up", "--serve", &preview.to_string()], &env.env(), &log);
    wait_for_http(probes, "/readyz", 200).await;

    let example = example_article_path();
    let (ok, _, stderr) = env.run_gazette(&["submit", "--wait", example.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let keys = env.store().await.list("").await.unwrap();
    let page = keys
        .iter()
        .find(|k| k.starts_with("tin-tuc-hoat-dong-cua-quan-uy/hoi-nghi"))
        .expect("the page is stored");

    let (status, body) = http_get(preview, &format!("/{page}")).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(
        body.contains("Hội nghị"),
        "the Vietnamese title comes through intact"
    );

    for outside in [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/no-such-page.html",
    ] {
        let (status, body) = http_get(preview, outside).await.unwrap();
        assert_eq!(status, 404, "{outside}");
        assert!(body.contains("Không tìm thấy trang"), "{outside}: {body}");
    }
    env.teardown().await;
}
