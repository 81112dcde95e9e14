//! The view counter under load: an open-loop stream of beacons at a fixed rate against a real `gazette worker notify` (which serves the API) on SQLite, latency measured from each beacon's scheduled time.
//!
//! Open loop, so a slow answer does not slow the offered rate (no
//! coordinated omission). Each beacon comes from one of many loopback
//! addresses (127.1.x.y), as many readers would, so the per-client rate
//! limit judges each reader and not the benchmark; each has its own user
//! agent, so every beacon is a first visit and is counted. The generator
//! shares this machine's cores with the server, as it would not in
//! production: the figures are a floor.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use gazette_subscribers::{DatabaseUrl, KeyClaim, Registry};
use gazette_testkit::http::free_local_addr;
use gazette_testkit::process::GazetteProcess;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::pipeline::wait_until_ready;
use crate::stats::percentiles;

/// The article every beacon reads.
const ARTICLE: &str = "bench-luot-xem";
/// Distinct reader addresses: at 2,000 beacons a second each sends 0.5 a
/// second, well under the per-client limit.
const READERS: u32 = 4_000;

/// What to offer.
#[derive(Debug, Clone)]
pub struct ViewsPlan {
    pub binary: PathBuf,
    pub amqp_url: String,
    pub per_second: u32,
    pub seconds: u32,
}

/// What came back.
#[derive(Debug, Clone, Serialize)]
pub struct ViewsReport {
    pub offered_per_second: u32,
    pub seconds: u32,
    pub sent: usize,
    pub answered_204: usize,
    pub refused_429: usize,
    pub failed: usize,
    /// Beacons answered per second of the run.
    pub achieved_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The count in the database after the API's graceful stop: every 204 must be in it.
    pub counted: u64,
    pub target_p99_ms: f64,
    pub command: String,
}

/// Runs the plan against a fresh worker and database.
pub async fn measure_views(plan: &ViewsPlan) -> anyhow::Result<ViewsReport> {
    let dir = tempfile::tempdir()?;
    let database = format!("sqlite://{}/views.db", dir.path().display());
    let database_url = DatabaseUrl::parse(&database)?;
    let registry = Registry::open(&database_url).await?;
    let KeyClaim::Owned(key) = registry
        .claim_key(ARTICLE, 1, &[], &[format!("bench/{ARTICLE}.html")])
        .await?
    else {
        bail!("the benchmark's article could not claim its key");
    };
    registry.advance(ARTICLE, 1, &key).await?;
    registry.close().await;

    let addr = free_local_addr()?;
    let env = vec![
        ("GAZETTE_AMQP_URL".to_owned(), plan.amqp_url.clone()),
        (
            "GAZETTE_NAMESPACE".to_owned(),
            format!("gazette-bench-views-{}", std::process::id()),
        ),
        ("GAZETTE_DATABASE_URL".to_owned(), database),
        ("GAZETTE_HTTP_ADDR".to_owned(), addr.to_string()),
        ("GAZETTE_LOG".to_owned(), "warn".to_owned()),
    ];
    let log = dir.path().join("notify.log");
    let mut server =
        GazetteProcess::spawn(&plan.binary, "views api", &["worker", "notify"], &env, &log)?;
    wait_until_ready(&mut server, addr, Instant::now() + Duration::from_secs(60)).await?;

    let total = plan.per_second as usize * plan.seconds as usize;
    let interval = Duration::from_secs(1) / plan.per_second;
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let mut beacons = tokio::task::JoinSet::new();
    for n in 0..total {
        let due = start + interval * u32::try_from(n)?;
        beacons.spawn(async move {
            tokio::time::sleep_until(due).await;
            let status = beacon(addr, n).await;
            (status, due.elapsed())
        });
    }
    let mut latencies = Vec::with_capacity(total);
    let (mut ok, mut refused, mut failed) = (0, 0, 0);
    while let Some(joined) = beacons.join_next().await {
        let (status, took) = joined.context("a beacon task panicked")?;
        match status {
            Some(204) => ok += 1,
            Some(429) => refused += 1,
            _ => failed += 1,
        }
        latencies.push(took);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let spread = percentiles(&latencies);

    // A graceful stop writes every pending view: the count is then the
    // database's, read after the process has exited.
    server.terminate();
    let registry = Registry::open(&database_url).await?;
    let counted = registry.views(ARTICLE).await?;
    registry.close().await;
    Ok(ViewsReport {
        offered_per_second: plan.per_second,
        seconds: plan.seconds,
        sent: total,
        answered_204: ok,
        refused_429: refused,
        failed,
        achieved_per_second: ok as f64 / elapsed,
        p50_ms: spread.p50_ms,
        p99_ms: spread.p99_ms,
        max_ms: spread.max_ms,
        counted,
        target_p99_ms: 20.0,
        command: format!(
            "cargo xtask views --rate {} --seconds {}",
            plan.per_second, plan.seconds
        ),
    })
}

/// One beacon from reader `n`'s own address and agent; the status, or
/// `None` when the connection failed.
async fn beacon(server: SocketAddr, n: usize) -> Option<u16> {
    let reader = u32::try_from(n).ok()? % READERS;
    let [_, _, high, low] = reader.to_be_bytes();
    let from = IpAddr::V4(Ipv4Addr::new(127, 1, high, low));
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(from, 0)).ok()?;
    let mut stream = socket.connect(server).await.ok()?;
    let request = format!(
        "POST /views/{ARTICLE} HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\
         User-Agent: Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile reader-{n}\r\n\
         Content-Length: 0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::with_capacity(256);
    stream.read_to_end(&mut answer).await.ok()?;
    let answer = String::from_utf8_lossy(&answer);
    answer.split(' ').nth(1)?.parse().ok()
}

impl ViewsReport {
    /// The report as Markdown, for `docs/views-benchmark.md`.
    pub fn markdown(&self) -> String {
        format!(
            "# The view counter under load\n\n\
             Measured with `{}` on this machine: an open-loop stream of beacons \
             against `gazette worker notify` (the API) on SQLite, each from its own \
             loopback address and user agent; latency from each beacon's scheduled \
             time to its answer. The generator shares the two cores with the server.\n\n\
             | offered | answered 204 | 429 | failed | achieved | p50 | p99 (target ≤ {} ms) | max | counted |\n\
             |---|---|---|---|---|---|---|---|---|\n\
             | {}/s for {} s | {} | {} | {} | {:.0}/s | {:.2} ms | {:.2} ms | {:.2} ms | {} |\n",
            self.command,
            self.target_p99_ms,
            self.offered_per_second,
            self.seconds,
            self.answered_204,
            self.refused_429,
            self.failed,
            self.achieved_per_second,
            self.p50_ms,
            self.p99_ms,
            self.max_ms,
            self.counted,
        )
    }
}
