//! `gazette up --serve ADDR`: the published site, read back over HTTP from the store, and nothing outside it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use crate::support;
use crate::support::needs;
use crate::support::{
    TestEnv, Worker, example_article_path, free_local_addr, http_get, wait_for_http,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_serves_the_published_page_and_nothing_outside_the_store() {
    needs!(RabbitMq, Garage);
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

/// `GET path` on `addr` with extra request headers: status, head (lower case), body.
async fn request(addr: std::net::SocketAddr, path: &str, headers: &str) -> (u16, String, String) {
    support::raw_get(addr, &addr.to_string(), path, headers).await
}

/// With the directory store, as `scripts/demo` runs: the preview answers as a
/// website endpoint would, and nothing but the public site leaves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_site_is_served_like_a_website_and_nothing_else_is() {
    needs!(RabbitMq, Garage);
    let mut env = TestEnv::start("preview-dir").await;
    let site = env.garage.dir.path().join("public");
    let probes = free_local_addr();
    let preview = free_local_addr();
    env.extra_env.extend([
        (
            "GAZETTE_STORE".to_owned(),
            format!("file://{}/", site.display()),
        ),
        ("GAZETTE_HTTP_ADDR".to_owned(), probes.to_string()),
    ]);
    // GAZETTE_ARCHIVE's default for a directory site: a directory beside it.
    // (The later GAZETTE_STORE wins over the bucket's.)
    let vars: Vec<(String, String)> = env
        .env()
        .into_iter()
        .filter(|(name, _)| name != "GAZETTE_ARCHIVE")
        .collect();
    let log = env.garage.dir.path().join("up.log");
    let _up = Worker::spawn(&["up", "--serve", &preview.to_string()], &vars, &log);
    wait_for_http(probes, "/readyz", 200).await;
    let category = "tin-tuc-hoat-dong-cua-quan-uy";
    let mut article = support::example_article();
    // The page's name in the category, from `submit --wait`'s line.
    let published_at = |out: String| -> String {
        let after = out.split(&format!("/{category}/")).nth(1).unwrap();
        after.trim().to_owned()
    };
    let first = published_at(env.submit_and_wait(std::slice::from_ref(&article)));
    let first_path = format!("/{category}/{first}");

    // The page, with the stored type, cache policy and an ETag that answers 304.
    let (status, head, body) = request(preview, &first_path, "").await;
    assert_eq!(status, 200);
    assert!(body.contains("Hội nghị"), "{body}");
    assert!(
        head.contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(
        head.contains("cache-control: public, max-age=300"),
        "{head}"
    );
    let etag = head
        .lines()
        .find_map(|line| line.strip_prefix("etag: "))
        .expect("an ETag")
        .to_owned();
    let (status, _, body) =
        request(preview, &first_path, &format!("If-None-Match: {etag}\r\n")).await;
    assert_eq!((status, body.as_str()), (304, ""));

    // A folder without its slash is redirected to it, once the indexer wrote its front page.
    let head = support::eventually(|| async move {
        match request(preview, &format!("/{category}"), "").await {
            (301, head, _) => Ok(head),
            (status, _, _) => Err(format!("/{category} answered {status}")),
        }
    })
    .await;
    assert!(head.contains(&format!("location: /{category}/")), "{head}");

    // A retitle leaves a 301 behind.
    article["revision"] = serde_json::json!(2);
    article["title"] = serde_json::json!("Hội nghị lần thứ 14 (đã sửa tiêu đề)");
    let second = published_at(env.submit_and_wait(&[article]));
    let (status, head, _) = request(preview, &first_path, "").await;
    assert_eq!(status, 301, "{head}");
    assert!(
        head.contains(&format!("location: /{category}/{second}")),
        "{head}"
    );

    // Nothing private, nothing outside: sidecars, the archive, links out.
    std::os::unix::fs::symlink("/etc/passwd", site.join("passwd.html")).unwrap();
    std::os::unix::fs::symlink("/etc", site.join("etc")).unwrap();
    let archive = format!("{}-archive", site.display());
    assert!(
        std::path::Path::new(&archive)
            .join("articles/ntl-2022-06-23-hoi-nghi-14/1.json")
            .exists(),
        "the archive sits beside the site"
    );
    for hidden in [
        format!("/.gazette-meta/{category}/{first}.json"),
        "/.gazette-meta/404.html.json".to_owned(),
        "/articles/ntl-2022-06-23-hoi-nghi-14/1.json".to_owned(),
        "/articles/ntl-2022-06-23-hoi-nghi-14/1.html".to_owned(),
        "/_gazette/index/site.json".to_owned(),
        "/passwd.html".to_owned(),
        "/etc/passwd".to_owned(),
        "/../public-archive/articles/ntl-2022-06-23-hoi-nghi-14/1.json".to_owned(),
    ] {
        let (status, _, body) = request(preview, &hidden, "").await;
        assert_eq!(status, 404, "{hidden}");
        assert!(!body.contains("root:"), "{hidden}");
        // The theme's own 404 page answers.
        assert!(body.contains("noindex"), "{hidden}: {body}");
    }
    env.teardown().await;
}
