//! The benchmark: Gazette's throughput and latency, measured in the same run as the broker's and the store's ceilings on this machine.
//!
//! This is tooling, an edge like the binaries, so it reports with `anyhow`.
//! It drives the real thing: the `gazette` binary as separate worker
//! processes (and once as `gazette up`), the machine's RabbitMQ, and a
//! Garage it starts on loopback. `cargo xtask bench` runs the full plan;
//! `tests/it/bench.rs` runs [`BenchPlan::smoke`] so the bench keeps working.

pub mod articles;
mod broker_wal;
mod ceilings;
mod front_page;
mod latency_report;
mod machine;
pub mod media;
mod paced_runs;
pub mod peer;
pub mod pipeline;
pub mod processes;
pub mod report;
pub mod site;
mod stats;
mod storage;
mod svg;
mod targets;
mod timings;
pub mod views;

use std::path::PathBuf;

use anyhow::Context;

use gazette_broker::{AmqpUrl, BrokerSettings, delete_namespace, ensure_topology};
use gazette_stages::{Part, all_specs, specs_of};
use gazette_store::Store;

use crate::articles::{ArticleFactory, Submission};
use crate::ceilings::HopScales;
use crate::peer::PythonPeer;
use crate::pipeline::{Layout, Pipeline, burst};
use crate::processes::{ProcessUsage, Watched, watch_broker};
use crate::report::{Latency, Machine, Report, ThroughputPoint, UpRun, Workload};
use gazette_testkit::garage::Garage;

/// Articles each fresh pipeline publishes before measuring starts, so that
/// connections, caches and the allocator are warm.
const WARMUP_ARTICLES: usize = 10;
/// Objects read back to learn the sizes the storage ceiling writes.
const SIZE_SAMPLE: usize = 90;

/// What to measure, and with what.
#[derive(Debug, Clone)]
pub struct BenchPlan {
    pub gazette_binary: PathBuf,
    pub example_article: PathBuf,
    pub amqp_url: String,
    /// Articles per throughput run (each worker count, and `gazette up`).
    pub articles: usize,
    /// Workers per stage to sweep; each is a throughput run.
    pub workers: Vec<usize>,
    /// The worker count the ratio and the latency run use.
    pub headline_workers: usize,
    pub latency_per_second: f64,
    /// Each paced run's length; the p99 target must hold in every run.
    pub latency_seconds: f64,
    pub latency_runs: usize,
    pub prefetch: u16,
    pub concurrency: usize,
    /// Confirms the load generator waits for at once.
    pub publish_window: usize,
    /// The command line printed in the report.
    pub command: String,
    /// "release", "debug": how the measured binary was built.
    pub build: String,
    /// The Python peer to run on the same articles; none skips it.
    pub python_peer: Option<PythonPeer>,
}

impl BenchPlan {
    /// The documented run: the targets are judged on it.
    pub fn full(gazette_binary: PathBuf, repo_root: &std::path::Path) -> Self {
        let amqp_url = "amqp://guest:guest@127.0.0.1:5672/%2f";
        // Gazette's own defaults, so that the bench measures what an
        // operator who sets nothing runs.
        let defaults = BrokerSettings::new(AmqpUrl::new(amqp_url), "bench");
        Self {
            gazette_binary,
            example_article: repo_root.join("examples/ntl-2022-06-23-hoi-nghi-14.json"),
            amqp_url: amqp_url.to_owned(),
            articles: 3000,
            workers: vec![1, 2, 3],
            headline_workers: 1,
            latency_per_second: 100.0,
            latency_seconds: 30.0,
            latency_runs: 5,
            prefetch: defaults.prefetch,
            concurrency: defaults.concurrency,
            publish_window: 64,
            command: "cargo xtask bench".to_owned(),
            build: "release".to_owned(),
            python_peer: None,
        }
    }

    /// A run of seconds that exercises every part of the bench.
    pub fn smoke(gazette_binary: PathBuf, repo_root: &std::path::Path) -> Self {
        Self {
            articles: 40,
            workers: vec![1],
            latency_per_second: 20.0,
            latency_seconds: 1.0,
            latency_runs: 2,
            command: "cargo xtask bench --smoke".to_owned(),
            build: "debug".to_owned(),
            ..Self::full(gazette_binary, repo_root)
        }
    }
}

/// Runs the plan and returns the report; [`Report::write`] saves it.
pub async fn run(plan: &BenchPlan) -> anyhow::Result<Report> {
    anyhow::ensure!(
        plan.workers.contains(&plan.headline_workers),
        "the headline worker count {} is not among the swept counts {:?}",
        plan.headline_workers,
        plan.workers
    );
    let garage = Garage::start()?;
    let bench = Bench::new(plan, &garage).await?;
    let mut throughput = Vec::new();
    let mut headline = None;
    // The headline run first: it weighs the objects a published article
    // writes in a store that held nothing before it.
    let order = std::iter::once(plan.headline_workers).chain(
        plan.workers
            .iter()
            .copied()
            .filter(|&w| w != plan.headline_workers),
    );
    for workers in order {
        let run = bench
            .run_pipeline(Layout::Separate {
                workers_per_stage: workers,
            })
            .await?;
        throughput.push(run.point.clone());
        if workers == plan.headline_workers {
            headline = Some(run);
        }
    }
    throughput.sort_by_key(|point| point.workers_per_stage);
    let headline = headline.context("the headline run did not happen")?;
    let (objects_per_article, sizes) = headline
        .objects
        .clone()
        .context("the headline run weighed no objects")?;
    let peer = match &plan.python_peer {
        Some(peer) => Some(bench.run_peer(peer).await?),
        None => None,
    };
    let up = bench.run_pipeline(Layout::Up).await?;
    let up_rss = up
        .usage
        .iter()
        .find(|p| p.name == "up")
        .map_or(0.0, |p| p.peak_rss_mb);

    let hop_bytes = headline
        .hop_bytes
        .clone()
        .context("the headline run weighed no hops")?;
    let ceilings = bench
        .ceilings(&sizes, &hop_bytes, objects_per_article, &headline.point)
        .await?;
    let latency = headline
        .latency
        .context("the headline run measured no latency")?;
    let targets = targets::judged(
        plan,
        &ceilings,
        &latency,
        up_rss,
        &headline.point,
        peer.as_ref(),
    );
    Ok(Report {
        command: plan.command.clone(),
        machine: Machine {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            gazette_build: plan.build.clone(),
        },
        workload: Workload {
            articles_per_run: plan.articles,
            mean_submission_bytes: bench.mean_submission_bytes,
            objects_per_article,
            object_bytes_min: sizes.iter().copied().min().unwrap_or(0),
            object_bytes_mean: sizes.iter().sum::<usize>() / sizes.len().max(1),
            object_bytes_max: sizes.iter().copied().max().unwrap_or(0),
            prefetch: plan.prefetch,
            concurrency_per_worker: plan.concurrency,
        },
        throughput,
        store_requests_per_article: headline.store.requests,
        store_bytes_written_per_article: headline.store.bytes_written,
        headline: headline.point,
        latency,
        ceilings,
        up: UpRun {
            articles_per_second: up.point.articles_per_second,
            peak_rss_mb: up_rss,
            search_builder_peak_rss_mb: up.search_builder_peak_rss_mb,
        },
        processes: headline.usage,
        peer,
        targets,
    })
}

/// One measured run of a layout.
struct Run {
    point: ThroughputPoint,
    usage: Vec<ProcessUsage>,
    latency: Option<Latency>,
    /// The mean message size on each hop, weighed in the headline run's warm-up.
    hop_bytes: Option<Vec<usize>>,
    /// What the store did per article in the measured burst, by Garage's counts.
    store: ceilings::StoreWork,
    /// Objects per published article and a sample of their sizes, read
    /// after the headline run's pipeline runs and before its indexer does.
    objects: Option<(usize, Vec<usize>)>,
    /// The search builder's peak, where an indexer built an index.
    search_builder_peak_rss_mb: Option<f64>,
}

/// What every run shares: the plan, the store and the workers' environment.
struct Bench<'a> {
    plan: &'a BenchPlan,
    garage: &'a Garage,
    store: Store,
    /// Where publish keeps the revision copies; they count as its writes.
    archive: Store,
    example: Vec<u8>,
    mean_submission_bytes: usize,
    logs: tempfile::TempDir,
}

impl<'a> Bench<'a> {
    async fn new(plan: &'a BenchPlan, garage: &'a Garage) -> anyhow::Result<Self> {
        let bucket = |name: String| async move {
            Store::open_with(&format!("s3://{name}"), Some(&garage.access()))
                .await
                .with_context(|| format!("opening the bench's Garage bucket {name}"))
        };
        let store = bucket(garage.bucket.clone()).await?;
        let archive = bucket(garage.archive_bucket.clone()).await?;
        let example = std::fs::read(&plan.example_article)
            .with_context(|| format!("reading {}", plan.example_article.display()))?;
        let mut sample = ArticleFactory::from_example(&example, 0)?;
        let mean_submission_bytes = mean_bytes(&sample.batch("size", plan.articles.min(200)));
        Ok(Self {
            plan,
            garage,
            store,
            archive,
            example,
            mean_submission_bytes,
            logs: tempfile::Builder::new()
                .prefix("gazette-bench-")
                .tempdir()?,
        })
    }

    fn settings(&self, run: &str) -> BrokerSettings {
        let namespace = format!("gazette-bench-{}-{run}", std::process::id());
        let mut settings = BrokerSettings::new(AmqpUrl::new(&self.plan.amqp_url), namespace);
        settings.prefetch = self.plan.prefetch;
        settings
    }

    /// The bench's Garage, watched from now; `None` once it has stopped.
    fn watch_store(&self) -> Option<Watched> {
        self.garage
            .pid()
            .map(|pid| Watched::new("garage", pid, false))
    }

    fn articles(&self, run: &str, count: usize) -> anyhow::Result<Vec<Submission>> {
        // Every run its own seed and ids: no run finds another's revisions.
        let seed = run
            .bytes()
            .fold(17u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        Ok(ArticleFactory::from_example(&self.example, seed)?.batch(run, count))
    }

    /// Starts `layout` in a namespace of its own, warms it up, measures a
    /// burst (and, for the headline worker count, the paced latency run).
    async fn run_pipeline(&self, layout: Layout) -> anyhow::Result<Run> {
        let (run, workers) = match layout {
            Layout::Separate { workers_per_stage } => {
                (format!("w{workers_per_stage}"), workers_per_stage)
            }
            Layout::Up => ("up".to_owned(), 1),
        };
        let settings = self.settings(&run);
        ensure_topology(&settings, &specs_of(Part::Pipeline)).await?;
        let measured = self.measure(layout, &settings, &run, workers).await;
        // Also after a failure: a bench must not leave queues behind, the
        // notifier's included (`gazette up` runs it).
        let deleted = delete_namespace(&settings, &all_specs()).await;
        let measured = measured?;
        deleted?;
        Ok(measured)
    }

    async fn measure(
        &self,
        layout: Layout,
        settings: &BrokerSettings,
        run: &str,
        workers: usize,
    ) -> anyhow::Result<Run> {
        let mut env = vec![
            ("GAZETTE_AMQP_URL".to_owned(), self.plan.amqp_url.clone()),
            ("GAZETTE_NAMESPACE".to_owned(), settings.namespace.clone()),
            (
                "GAZETTE_PREFETCH".to_owned(),
                self.plan.prefetch.to_string(),
            ),
            (
                "GAZETTE_CONCURRENCY".to_owned(),
                self.plan.concurrency.to_string(),
            ),
            ("GAZETTE_LOG".to_owned(), "warn".to_owned()),
        ];
        env.extend(self.garage.store_env());
        let pipeline =
            Pipeline::start(&self.plan.gazette_binary, layout, &env, self.logs.path()).await?;
        let window = self.plan.publish_window;
        let headline = layout
            == (Layout::Separate {
                workers_per_stage: self.plan.headline_workers,
            });
        let scales = if headline {
            Some(HopScales::open(settings).await?)
        } else {
            None
        };
        burst(
            settings,
            self.articles(&format!("{run}-warm"), WARMUP_ARTICLES)?,
            window,
        )
        .await?;
        let hop_bytes = match scales {
            Some(scales) => Some(scales.mean_sizes(WARMUP_ARTICLES).await?),
            None => None,
        };

        // The paced runs first: latency at a steady 100/s should not pay for
        // the compaction and clean-up a burst leaves behind in the broker and the store.
        let mut published = WARMUP_ARTICLES + self.plan.articles;
        let latency = if headline {
            let count = (self.plan.latency_per_second * self.plan.latency_seconds).ceil() as usize;
            published += count * self.plan.latency_runs;
            Some(
                self.paced_runs(settings, run, count, workers, &pipeline)
                    .await?,
            )
        } else {
            None
        };
        let mut watched = pipeline.watch();
        watched.extend(watch_broker("rabbitmq (beam.smp)"));
        watched.extend(self.watch_store());
        // The load generator and the `article.published` reader share the machine too.
        watched.push(Watched::new(
            "bench (load and reader)",
            std::process::id(),
            false,
        ));
        let (elapsed, store) = ceilings::counted(
            self.garage,
            self.plan.articles,
            burst(settings, self.articles(run, self.plan.articles)?, window),
        )
        .await?;
        let usage = watched.iter().filter_map(Watched::usage).collect();

        // Last, with the indexer beside the pipeline: it writes listing
        // pages, feeds and the sitemap, which the runs above must not pay
        // for and the objects per article must not count.
        let mut pipeline = pipeline;
        let mut objects = None;
        let latency = match latency {
            Some(mut latency) => {
                let (count, sample) =
                    storage::object_sizes(&[&self.store, &self.archive], SIZE_SAMPLE).await?;
                objects = Some((storage::objects_per(count, published)?, sample));
                let (front_page, index_times) = self
                    .front_page_latency(&mut pipeline, settings, &env, run)
                    .await?;
                latency.front_page = front_page;
                latency.stages.extend(index_times);
                Some(latency)
            }
            None => None,
        };
        let search_builder_peak_rss_mb = pipeline
            .gauge("gazette_search_builder_peak_rss_bytes")
            .await
            .map(|bytes| bytes / (1024.0 * 1024.0));
        pipeline.stop();
        Ok(Run {
            point: ThroughputPoint {
                workers_per_stage: workers,
                articles: self.plan.articles,
                seconds: elapsed.as_secs_f64(),
                articles_per_second: self.plan.articles as f64
                    / elapsed.as_secs_f64().max(f64::EPSILON),
            },
            usage,
            latency,
            hop_bytes,
            store,
            objects,
            search_builder_peak_rss_mb,
        })
    }
}

fn mean_bytes(submissions: &[Submission]) -> usize {
    submissions.iter().map(|s| s.body.len()).sum::<usize>() / submissions.len().max(1)
}
