//! The view counter against a real API process and database: a reader counts once per window, bots and prefetches never, only live articles count, counts survive a restart, and a client past its rate is refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::net::SocketAddr;

use serde_json::Value;

use crate::support::{TestEnv, Worker, cms, eventually, free_local_addr, needs, wait_for_http};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const ZALO: &str = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36 Zalo android/12100";

/// One HTTP/1.1 request with `headers` (`Name: value\r\n` lines); status and body.
async fn request(addr: SocketAddr, method: &str, path: &str, headers: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n{headers}\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();
    let response = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

async fn beacon(addr: SocketAddr, id: &str, headers: &str) -> u16 {
    request(addr, "POST", &format!("/views/{id}"), headers)
        .await
        .0
}

fn agent(ua: &str) -> String {
    format!("User-Agent: {ua}\r\n")
}

async fn views(addr: SocketAddr, id: &str) -> u64 {
    let (status, body) = request(addr, "GET", &format!("/views/{id}"), "").await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["article_id"], id);
    body["views"].as_u64().unwrap()
}

fn api(env: &TestEnv, addr: SocketAddr, n: u32) -> Worker {
    let mut vars = env.env();
    vars.push(("GAZETTE_HTTP_ADDR".to_owned(), addr.to_string()));
    Worker::spawn(
        &["worker", "notify"],
        &vars,
        &env.garage.dir.path().join(format!("worker-notify-{n}.log")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_counts_once_bots_never_and_counts_survive_a_restart() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("views").await;
    let _pipeline: Vec<Worker> = crate::support::pipeline_stages()
        .into_iter()
        .map(|stage| env.spawn_worker(stage))
        .collect();
    cms::publish(&env, &[cms::article("luot-xem", 1, "Thông báo lượt xem")]);
    let addr = free_local_addr();
    let mut server = api(&env, addr, 0);
    wait_for_http(addr, "/healthz", 200).await;

    assert_eq!(views(addr, "luot-xem").await, 0);
    assert_eq!(beacon(addr, "luot-xem", &agent(FIREFOX)).await, 204);
    // The same reader again within the window: not counted.
    assert_eq!(beacon(addr, "luot-xem", &agent(FIREFOX)).await, 204);
    // Another reader (another browser on the same address) is.
    assert_eq!(beacon(addr, "luot-xem", &agent(ZALO)).await, 204);
    assert_eq!(views(addr, "luot-xem").await, 2);
    // Not readers: crawlers, link previews, an empty agent, prefetches.
    for headers in [
        agent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
        agent("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
        agent("Mozilla/5.0 (Windows NT 10.0) HeadlessChrome/120.0 Safari/537.36"),
        "User-Agent: \r\n".to_owned(),
        String::new(),
        format!(
            "{}Sec-Purpose: prefetch\r\n",
            agent("Mozilla/5.0 Chrome/121.0 other")
        ),
        format!(
            "{}Sec-Purpose: prefetch;prerender\r\n",
            agent("Mozilla/5.0 Chrome/122.0 other")
        ),
        format!(
            "{}X-Moz: prefetch\r\n",
            agent("Mozilla/5.0 Firefox/115.0 other")
        ),
    ] {
        assert_eq!(beacon(addr, "luot-xem", &headers).await, 204, "{headers}");
    }
    assert_eq!(views(addr, "luot-xem").await, 2);
    // Ids the schema cannot produce are not articles.
    assert_eq!(beacon(addr, "..%2Fetc", &agent(FIREFOX)).await, 404);
    assert_eq!(beacon(addr, "Viet-Nam", &agent(FIREFOX)).await, 404);
    // An id that was never published counts nothing once written.
    assert_eq!(beacon(addr, "bia-dat", &agent(FIREFOX)).await, 204);
    eventually(|| async {
        match views(addr, "bia-dat").await {
            0 => Ok(()),
            n => Err(format!("an invented id shows {n} views")),
        }
    })
    .await;

    // Counts reach the database and outlive the process.
    assert!(server.terminate().success());
    let mut server = api(&env, addr, 1);
    wait_for_http(addr, "/healthz", 200).await;
    assert_eq!(views(addr, "luot-xem").await, 2);

    // One client past its rate is refused, whatever agent it claims.
    let mut statuses = Vec::new();
    for n in 0..40 {
        statuses.push(beacon(addr, "luot-xem", &agent(&format!("{FIREFOX} n{n}"))).await);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 204 || *s == 429),
        "{statuses:?}"
    );
    let counted = statuses.iter().filter(|s| **s == 204).count() as u64;
    assert_eq!(views(addr, "luot-xem").await, 2 + counted);
    assert!(server.terminate().success());
    env.teardown().await;
}

/// The home page's "most read" block as it stands: (title, views) pairs, most read first.
async fn most_read_block(store: &gazette_store::Store) -> Vec<(String, String)> {
    let Some(bytes) = store.get("index.html").await.unwrap() else {
        return Vec::new();
    };
    let html = String::from_utf8(bytes.to_vec()).unwrap();
    let Some((_, block)) = html.split_once(r#"<ol class="most-read-list">"#) else {
        return Vec::new();
    };
    let block = block.split("</ol>").next().unwrap();
    block
        .split("<li>")
        .skip(1)
        .map(|item| {
            let title = item
                .split("\">")
                .nth(1)
                .unwrap()
                .split("</a>")
                .next()
                .unwrap();
            let views = item
                .split("Lượt xem: ")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap();
            (title.to_owned(), views.to_owned())
        })
        .collect()
}

/// The block once it lists `len` articles.
async fn block_of_len(store: &gazette_store::Store, len: usize) -> Vec<(String, String)> {
    eventually(|| async {
        let block = most_read_block(store).await;
        match block.len() == len {
            true => Ok(block),
            false => Err(format!("the most read block shows {block:?}")),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_shows_the_most_read_and_drops_a_withdrawn_one() {
    needs!(RabbitMq, Garage);
    let mut env = TestEnv::start("most-read").await;
    env.extra_env
        .push(("GAZETTE_MOST_READ_REFRESH".to_owned(), "1s".to_owned()));
    let _workers: Vec<Worker> = crate::support::pipeline_stages()
        .into_iter()
        .chain(["index"])
        .map(|stage| env.spawn_worker(stage))
        .collect();
    cms::publish(
        &env,
        &[
            cms::article("doc-it", 1, "Lịch tiếp dân tháng 7"),
            cms::article("doc-nhieu", 1, "Đường Nguyễn Trãi tạm cấm xe"),
            cms::article("doc-vua", 1, "Hội nghị Đảng bộ phường"),
            cms::article("khong-ai-doc", 1, "Thông báo không ai đọc"),
        ],
    );
    let addr = free_local_addr();
    let _api = api(&env, addr, 0);
    wait_for_http(addr, "/healthz", 200).await;
    // Readers by browser: 3 for doc-nhieu, 2 for doc-vua, 1 for doc-it; bots add nothing.
    for (id, readers) in [("doc-nhieu", 3), ("doc-vua", 2), ("doc-it", 1)] {
        for reader in 0..readers {
            let ua = format!("{FIREFOX} reader/{reader}");
            assert_eq!(beacon(addr, id, &agent(&ua)).await, 204);
        }
        assert_eq!(beacon(addr, id, &agent("Googlebot/2.1")).await, 204);
    }
    let store = env.store().await;
    let shown = block_of_len(&store, 3).await;
    let expected = [
        ("Đường Nguyễn Trãi tạm cấm xe", "3"),
        ("Hội nghị Đảng bộ phường", "2"),
        ("Lịch tiếp dân tháng 7", "1"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(t, v)| ((*t).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(shown, expected, "most read first, and only what was read");

    // A withdrawal takes the article out of the block, without waiting for views to change.
    cms::post(
        &env,
        gazette_contract::EventType::Withdrawn,
        &cms::withdrawal("doc-nhieu", "Sai thông tin"),
    )
    .await;
    let shown = block_of_len(&store, 2).await;
    assert_eq!(shown, expected[1..], "the withdrawn article left the block");
    env.teardown().await;
}
