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
use crate::http::{free_local_addr, http_get};
use crate::processes::{GazetteProcess, Watched};

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

/// The running worker processes of one layout.
#[derive(Debug)]
pub struct Pipeline {
    processes: Vec<GazetteProcess>,
}

impl Pipeline {
    /// Starts the processes and waits until every one reports ready.
    pub async fn start(
        binary: &Path,
        layout: Layout,
        env: &[(String, String)],
        log_dir: &Path,
    ) -> anyhow::Result<Self> {
        let mut processes = Vec::new();
        let mut ready_addrs = Vec::new();
        let mut launch = |name: String, args: &[&str]| -> anyhow::Result<()> {
            let addr = free_local_addr()?;
            let mut env = env.to_vec();
            env.push(("GAZETTE_HTTP_ADDR".to_owned(), addr.to_string()));
            processes.push(GazetteProcess::spawn(binary, &name, args, &env, log_dir)?);
            ready_addrs.push(addr);
            Ok(())
        };
        match layout {
            Layout::Up => launch("up".to_owned(), &["up"])?,
            Layout::Separate { workers_per_stage } => {
                for stage in ["validate", "render", "publish"] {
                    for copy in 0..workers_per_stage.max(1) {
                        launch(format!("{stage}-{copy}"), &["worker", stage])?;
                    }
                }
            }
        }
        let mut pipeline = Self { processes };
        pipeline.wait_ready(&ready_addrs).await?;
        Ok(pipeline)
    }

    async fn wait_ready(&mut self, addrs: &[std::net::SocketAddr]) -> anyhow::Result<()> {
        let deadline = Instant::now() + STALL;
        for (process, addr) in self.processes.iter_mut().zip(addrs) {
            loop {
                process.check_alive()?;
                if http_get(*addr, "/readyz")
                    .await
                    .is_some_and(|(status, _)| status == 200)
                {
                    break;
                }
                ensure!(
                    Instant::now() < deadline,
                    "{} was not ready within {STALL:?}",
                    process.name
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
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
    let arrivals = collect(&mut tap, &expected, |_, _| ()).await;
    let elapsed = started.elapsed();
    let produced: anyhow::Result<()> = producing.await.context("the producer panicked")?;
    tap.close().await;
    publisher.close().await;
    produced?;
    arrivals?;
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
    let arrivals = collect(&mut tap, &expected, |index, arrived| {
        let scheduled = start + period * u32::try_from(index).unwrap_or(u32::MAX);
        latencies.push(arrived.saturating_duration_since(scheduled));
    })
    .await;
    let produced: anyhow::Result<()> = producing.await.context("the producer panicked")?;
    tap.close().await;
    publisher.close().await;
    produced?;
    arrivals?;
    Ok(latencies)
}

async fn submit(publisher: &Publisher, submission: Submission) -> anyhow::Result<()> {
    let message = Outbound {
        exchange: Exchange::Events,
        routing_key: "article.submitted".to_owned(),
        body: submission.body,
        message_id: submission.message_id,
        correlation_id: None,
        content_type: "application/json",
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
    mut arrived: impl FnMut(usize, Instant),
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
        let subject = serde_json::from_slice::<serde_json::Value>(&event.body)
            .ok()
            .and_then(|v| v["subject"].as_str().map(str::to_owned));
        let Some(&index) = subject.as_ref().and_then(|s| expected.get(s)) else {
            continue;
        };
        if !std::mem::replace(&mut seen[index], true) {
            remaining -= 1;
            arrived(index, at);
        }
    }
    Ok(())
}
