//! The pipeline under load: worker processes per layout, articles submitted as a burst or at a fixed rate, `article.published` timed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use gazette_broker::{BrokerSettings, Exchange, Outbound, Publisher, Routed, Tap};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::articles::Submission;
use gazette_testkit::http::{free_local_addr, http_get};
use gazette_testkit::process::GazetteProcess;

use crate::processes::Watched;
pub use crate::timings::StageTime;
use crate::timings::parse_stage_times;

/// How long the bench waits for the next `article.published` before it
/// calls the run stuck.
const STALL: Duration = Duration::from_secs(60);

/// How the stages are deployed for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One process per stage copy: `gazette worker STAGE`, `n` of each.
    Separate { workers_per_stage: usize },
    /// Every stage in one `gazette up` process.
    Up,
}

/// Asks `process`'s `/readyz` until it answers 200 (every stage consuming),
/// failing if the process dies or `deadline` passes first.
pub(crate) async fn wait_until_ready(
    process: &mut GazetteProcess,
    addr: std::net::SocketAddr,
    deadline: Instant,
) -> anyhow::Result<()> {
    loop {
        process.check_alive()?;
        if http_get(addr, "/readyz")
            .await
            .is_some_and(|(status, _)| status == 200)
        {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "{} was not ready within {STALL:?}",
            process.name
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The running worker processes of one layout.
#[derive(Debug)]
pub struct Pipeline {
    processes: Vec<GazetteProcess>,
    /// Where each process serves `/metrics` and `/readyz`.
    http_addrs: Vec<std::net::SocketAddr>,
}

impl Pipeline {
    /// Starts the processes and waits until every one reports ready.
    pub async fn start(
        binary: &Path,
        layout: Layout,
        env: &[(String, String)],
        log_dir: &Path,
    ) -> anyhow::Result<Self> {
        let mut pipeline = Self {
            processes: Vec::new(),
            http_addrs: Vec::new(),
        };
        match layout {
            Layout::Up => pipeline.launch(binary, "up".to_owned(), &["up"], env, log_dir)?,
            Layout::Separate { workers_per_stage } => {
                let stages = gazette_stages::STAGES
                    .iter()
                    .filter(|s| s.part == gazette_stages::Part::Pipeline);
                for stage in stages.map(gazette_stages::Stage::name) {
                    for copy in 0..workers_per_stage.max(1) {
                        let name = format!("{stage}-{copy}");
                        pipeline.launch(binary, name, &["worker", stage], env, log_dir)?;
                    }
                }
            }
        }
        pipeline.wait_ready().await?;
        Ok(pipeline)
    }

    /// Adds one `gazette worker STAGE` to the running pipeline and waits until it is ready.
    pub async fn add_worker(
        &mut self,
        binary: &Path,
        stage: &str,
        env: &[(String, String)],
        log_dir: &Path,
    ) -> anyhow::Result<()> {
        self.launch(
            binary,
            format!("{stage}-0"),
            &["worker", stage],
            env,
            log_dir,
        )?;
        self.wait_ready().await
    }

    fn launch(
        &mut self,
        binary: &Path,
        name: String,
        args: &[&str],
        env: &[(String, String)],
        log_dir: &Path,
    ) -> anyhow::Result<()> {
        let addr = free_local_addr()?;
        let mut env = env.to_vec();
        env.push(("GAZETTE_HTTP_ADDR".to_owned(), addr.to_string()));
        // The registry, and `gazette up`'s subscriptions, stay in the run's folder.
        env.push((
            "GAZETTE_DATABASE_URL".to_owned(),
            format!("sqlite://{}/gazette.db", log_dir.display()),
        ));
        let log = log_dir.join(format!("{name}.log"));
        self.processes
            .push(GazetteProcess::spawn(binary, &name, args, &env, &log)?);
        self.http_addrs.push(addr);
        Ok(())
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + STALL;
        for (process, addr) in self.processes.iter_mut().zip(&self.http_addrs) {
            wait_until_ready(process, *addr, deadline).await?;
        }
        Ok(())
    }

    /// Every process's handling times so far, per stage.
    pub async fn stage_times(&self) -> Vec<StageTime> {
        let mut times = Vec::new();
        for (process, addr) in self.processes.iter().zip(&self.http_addrs) {
            if let Some((200, metrics)) = http_get(*addr, "/metrics").await {
                times.extend(parse_stage_times(&process.name, &metrics));
            }
        }
        times
    }

    /// A gauge's value from the first process that has it.
    pub async fn gauge(&self, name: &str) -> Option<f64> {
        for addr in &self.http_addrs {
            if let Some((200, metrics)) = http_get(*addr, "/metrics").await {
                let value = metrics.lines().find_map(|line| {
                    let (series, value) = line.rsplit_once(' ')?;
                    (series == name).then(|| value.parse::<f64>().ok())?
                });
                if value.is_some() {
                    return value;
                }
            }
        }
        None
    }

    /// Starts watching every process's CPU and memory from now.
    pub fn watch(&self) -> Vec<Watched> {
        self.processes
            .iter()
            .map(|p| Watched::new(p.name.clone(), p.pid(), true))
            .collect()
    }

    pub fn stop(mut self) {
        for process in &mut self.processes {
            process.terminate();
        }
    }
}

/// Submits every article at once (the producer keeps `window` confirms in
/// flight) and returns the time until the last one was published.
pub async fn burst(
    settings: &BrokerSettings,
    submissions: Vec<Submission>,
    window: usize,
) -> anyhow::Result<Duration> {
    let expected = index_of(&submissions);
    let mut tap = Tap::bind(settings, Exchange::Events, &["article.published"]).await?;
    let publisher = Publisher::connect(settings, "bench").await?;
    let started = Instant::now();
    let producing = {
        let publisher = publisher.clone();
        tokio::spawn(async move {
            let window = Arc::new(Semaphore::new(window.max(1)));
            let mut confirms = JoinSet::new();
            for submission in submissions {
                let permit = Arc::clone(&window).acquire_owned().await?;
                let publisher = publisher.clone();
                confirms.spawn(async move {
                    let _permit = permit;
                    submit(&publisher, submission).await
                });
            }
            confirms.join_all().await.into_iter().collect()
        })
    };
    let arrivals = collect(&mut tap, &expected, |_, _, _| ()).await;
    let elapsed = started.elapsed();
    finish(tap, publisher, producing, arrivals).await?;
    Ok(elapsed)
}

/// Submits article `i` at `i / rate` seconds, whatever happened before
/// (an open loop, so a slow pipeline cannot slow its own offered load), and
/// returns each article's time from its scheduled submit to its publication.
pub async fn paced(
    settings: &BrokerSettings,
    submissions: Vec<Submission>,
    per_second: f64,
) -> anyhow::Result<Vec<Duration>> {
    paced_watching(settings, submissions, per_second, |_, _, _| {}).await
}

/// [`paced`], telling `published` of each article's first publication:
/// its index, when it was scheduled, and the event's `data`.
pub(crate) async fn paced_watching(
    settings: &BrokerSettings,
    submissions: Vec<Submission>,
    per_second: f64,
    mut published: impl FnMut(usize, Instant, &serde_json::Value),
) -> anyhow::Result<Vec<Duration>> {
    let expected = index_of(&submissions);
    let period = Duration::from_secs_f64(1.0 / per_second.max(0.001));
    let mut tap = Tap::bind(settings, Exchange::Events, &["article.published"]).await?;
    let publisher = Publisher::connect(settings, "bench").await?;
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let producing = {
        let publisher = publisher.clone();
        tokio::spawn(async move {
            let mut confirms = JoinSet::new();
            for (i, submission) in submissions.into_iter().enumerate() {
                tokio::time::sleep_until(start + period * u32::try_from(i)?).await;
                let publisher = publisher.clone();
                confirms.spawn(async move { submit(&publisher, submission).await });
            }
            confirms.join_all().await.into_iter().collect()
        })
    };
    let start = start.into_std();
    let mut latencies = Vec::with_capacity(expected.len());
    let arrivals = collect(&mut tap, &expected, |index, arrived, data| {
        let scheduled = start + period * u32::try_from(index).unwrap_or(u32::MAX);
        latencies.push(arrived.saturating_duration_since(scheduled));
        published(index, scheduled, data);
    })
    .await;
    finish(tap, publisher, producing, arrivals).await?;
    Ok(latencies)
}

/// Waits for the producer, closes both connections, and reports the first
/// failure: the producer's (a refused publish explains missing articles)
/// before the reader's.
async fn finish(
    tap: Tap,
    publisher: Publisher,
    producing: tokio::task::JoinHandle<anyhow::Result<()>>,
    arrivals: anyhow::Result<()>,
) -> anyhow::Result<()> {
    let produced = producing.await.context("the producer panicked")?;
    tap.close().await;
    publisher.close().await;
    produced?;
    arrivals
}

async fn submit(publisher: &Publisher, submission: Submission) -> anyhow::Result<()> {
    let message = Outbound {
        exchange: Exchange::Events,
        routing_key: "article.submitted".to_owned(),
        body: submission.body,
        message_id: submission.message_id,
        correlation_id: None,
        content_type: "application/json",
        content_encoding: None,
        headers: Default::default(),
    };
    match publisher.publish(&message).await? {
        Routed::Queued => Ok(()),
        Routed::Unrouted => {
            bail!("no queue is bound for article.submitted; is the topology declared?")
        }
    }
}

fn index_of(submissions: &[Submission]) -> HashMap<String, usize> {
    submissions
        .iter()
        .enumerate()
        .map(|(i, s)| (s.article_id.clone(), i))
        .collect()
}

/// Reads `article.published` until every expected article has been seen
/// once; `arrived` hears about each first sighting (redeliveries are not
/// counted twice).
async fn collect(
    tap: &mut Tap,
    expected: &HashMap<String, usize>,
    mut arrived: impl FnMut(usize, Instant, &serde_json::Value),
) -> anyhow::Result<()> {
    let mut seen = vec![false; expected.len()];
    let mut remaining = expected.len();
    while remaining > 0 {
        let Some(event) = tap.next(STALL).await? else {
            bail!(
                "{remaining} of {} articles were not published within {STALL:?} of the last one",
                expected.len()
            );
        };
        let at = Instant::now();
        let event = serde_json::from_slice::<serde_json::Value>(&event.body).unwrap_or_default();
        let Some(&index) = event["subject"].as_str().and_then(|s| expected.get(s)) else {
            continue;
        };
        if !std::mem::replace(&mut seen[index], true) {
            remaining -= 1;
            arrived(index, at, &event["data"]);
        }
    }
    Ok(())
}
