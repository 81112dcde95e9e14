//! The bench's results: one serialisable report, written as JSON, as Markdown and as two SVG charts.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::machine::RunConditions;
use crate::pipeline::StageTime;
use crate::processes::ProcessUsage;
use crate::stats::{Bucket, Percentiles};
use crate::svg::{Axes, Series, bar_chart, line_chart};

pub const JSON_FILE: &str = "benchmarks.json";
pub const MARKDOWN_FILE: &str = "benchmarks.md";
pub const LATENCY_CHART: &str = "benchmarks-latency.svg";
pub const WORKERS_CHART: &str = "benchmarks-workers.svg";

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The command that produced this report.
    pub command: String,
    pub machine: Machine,
    pub workload: Workload,
    /// Sustained throughput for each number of workers per stage.
    pub throughput: Vec<ThroughputPoint>,
    /// The run the ratio is taken from.
    pub headline: ThroughputPoint,
    /// S3 requests per article in the headline burst, counted by Garage
    /// (`api_s3_request_counter`), per endpoint.
    pub store_requests_per_article: BTreeMap<String, f64>,
    /// Bytes Garage wrote to disk per article in the headline burst
    /// (`block_bytes_written`): compressed, and nothing for a block it
    /// already held (the page is the same bytes as its archive copy).
    pub store_bytes_written_per_article: f64,
    pub latency: Latency,
    pub ceilings: Ceilings,
    /// `gazette up` (every stage in one process) carrying the same burst.
    pub up: UpRun,
    /// Every process of the headline throughput run, the broker and the store.
    pub processes: Vec<ProcessUsage>,
    /// The Python peer (Celery) on the same number of articles, when run.
    pub peer: Option<crate::peer::PeerRun>,
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub kernel: String,
    pub gazette_build: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    pub articles_per_run: usize,
    pub mean_submission_bytes: usize,
    /// Objects per published article, counted in the store after the first run.
    pub objects_per_article: usize,
    /// Sizes of those objects: the storage ceiling PUTs the same mix.
    pub object_bytes_min: usize,
    pub object_bytes_mean: usize,
    pub object_bytes_max: usize,
    pub prefetch: u16,
    pub concurrency_per_worker: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThroughputPoint {
    pub workers_per_stage: usize,
    pub articles: usize,
    pub seconds: f64,
    pub articles_per_second: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub offered_per_second: f64,
    pub workers_per_stage: usize,
    /// Over every paced run together.
    pub percentiles: Percentiles,
    /// Each paced run on its own, in the order they ran.
    pub runs: Vec<Percentiles>,
    /// Each run's rollovers of RabbitMQ's quorum log (`broker_wal.rs`);
    /// `None` where the broker's files are not on this machine.
    pub wal_rollovers: Vec<Option<u64>>,
    /// What the machine and each part of it did in each run (`machine.rs`).
    pub conditions: Vec<RunConditions>,
    pub histogram: Vec<Bucket>,
    /// Submit → linked from the category's front page, in one more paced
    /// run with the indexer running (`front_page.rs`).
    pub front_page: Percentiles,
    /// Where the time went: each stage's handling time over the paced run
    /// (and the warm-up before it), from the workers' `/metrics`.
    pub stages: Vec<StageTime>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ceilings {
    /// Articles per second through the null pipeline: the same hops,
    /// message sizes, durability, confirms, acks, prefetch and
    /// concurrency, and the same PUTs at the publish hop, with no work
    /// (`ceilings.rs`). The headline ratio is taken against this.
    pub joint_per_second: f64,
    /// Cores RabbitMQ and Garage used while the null pipeline ran.
    pub joint_broker_cores: f64,
    pub joint_storage_cores: f64,
    /// S3 requests per article the null pipeline made, by Garage's count.
    pub null_store_requests_per_article: BTreeMap<String, f64>,
    /// Bytes Garage wrote to disk per article of the null pipeline.
    pub null_store_bytes_written_per_article: f64,
    /// Mean message bytes on each hop, first to last, as the pipeline sent them.
    pub hop_bytes: Vec<usize>,
    /// Context: messages per second through the same hops with confirms
    /// and acks, no work and no store, with the machine to itself.
    pub broker_per_second: f64,
    pub broker_hops: usize,
    /// Context: PUTs per second of the same objects, no broker.
    pub storage_puts_per_second: f64,
    /// `storage_puts_per_second / objects_per_article`.
    pub storage_articles_per_second: f64,
    /// Cores RabbitMQ used while the relay ran, and Garage during the PUTs:
    /// how much of the machine each ceiling took.
    pub broker_cores: f64,
    pub storage_cores: f64,
    /// "broker" or "storage": whichever separate ceiling is lower.
    pub binding: String,
    /// Headline throughput ÷ min(broker, storage articles per second): the
    /// old measure, which no pipeline sharing the machine can reach.
    pub separate_ratio: f64,
    /// Headline throughput ÷ the joint ceiling.
    pub ratio: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpRun {
    pub articles_per_second: f64,
    pub peak_rss_mb: f64,
    /// The search index builder's peak, a child process of `up`'s own
    /// (`gazette_search_builder_peak_rss_bytes`); none when no build ended.
    pub search_builder_peak_rss_mb: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    pub goal: String,
    pub measured: String,
    pub met: bool,
}

impl Report {
    /// Writes the JSON, the Markdown and the charts into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let files = [
            (JSON_FILE, serde_json::to_string_pretty(self)? + "\n"),
            (MARKDOWN_FILE, self.markdown()),
            (LATENCY_CHART, self.latency_chart()),
            (WORKERS_CHART, self.workers_chart()),
        ];
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    }

    fn latency_chart(&self) -> String {
        let bars: Vec<(String, f64)> = self
            .latency
            .histogram
            .iter()
            .map(|b| (format!("{}", b.from_ms), b.count as f64))
            .collect();
        let title = format!(
            "Submit → published at {} articles/s ({} articles)",
            self.latency.offered_per_second, self.latency.percentiles.samples
        );
        let axes = Axes {
            title: &title,
            x: "latency, ms (bucket start)",
            y: "articles",
        };
        bar_chart(axes, &bars, bars.len().div_ceil(12))
    }

    fn workers_chart(&self) -> String {
        let measured = Series {
            name: "pipeline".to_owned(),
            points: self
                .throughput
                .iter()
                .map(|p| (p.workers_per_stage as f64, p.articles_per_second))
                .collect(),
        };
        let span = |value: f64| -> Vec<(f64, f64)> {
            self.throughput
                .iter()
                .map(|p| (p.workers_per_stage as f64, value))
                .collect()
        };
        let series = [
            measured,
            Series {
                name: "joint ceiling (null pipeline)".to_owned(),
                points: span(self.ceilings.joint_per_second),
            },
            Series {
                name: format!("broker ceiling ({} hops)", self.ceilings.broker_hops),
                points: span(self.ceilings.broker_per_second),
            },
            Series {
                name: "storage ceiling ÷ objects per article".to_owned(),
                points: span(self.ceilings.storage_articles_per_second),
            },
        ];
        let axes = Axes {
            title: "Throughput against workers per stage",
            x: "workers per stage (separate processes)",
            y: "articles/s",
        };
        line_chart(axes, &series)
    }

    fn markdown(&self) -> String {
        let mut md = String::new();
        let c = &self.ceilings;
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Generated by the bench; do not edit by hand. What bounds these figures and the \
             profile of the hot path are in [performance.md](performance.md).\n"
        );
        let _ = writeln!(md, "Reproduce with:\n\n```sh\n{}\n```\n", self.command);
        let _ = writeln!(
            md,
            "Machine: {} cores, Linux {}; gazette built {}. RabbitMQ and Garage run on the same \
             machine as the pipeline and the load generator.\n",
            self.machine.cores, self.machine.kernel, self.machine.gazette_build
        );
        let _ = writeln!(
            md,
            "## Targets\n\n| target | goal | measured | met |\n|---|---|---|---|"
        );
        for t in &self.targets {
            let met = if t.met { "yes" } else { "**no**" };
            let _ = writeln!(md, "| {} | {} | {} | {met} |", t.name, t.goal, t.measured);
        }
        let w = &self.workload;
        let _ = writeln!(
            md,
            "\n## Workload\n\n{} generated Vietnamese articles per run (bodies 4–8 KB, five \
             categories), mean submission {} bytes. Each published article writes {} objects \
             ({} to {} bytes, mean {}). Prefetch {}, {} messages in flight per worker.\n",
            w.articles_per_run,
            w.mean_submission_bytes,
            w.objects_per_article,
            w.object_bytes_min,
            w.object_bytes_max,
            w.object_bytes_mean,
            w.prefetch,
            w.concurrency_per_worker
        );
        let _ = writeln!(md, "## Throughput and ceilings\n");
        let _ = writeln!(
            md,
            "| workers per stage | articles | seconds | articles/s |\n|---|---|---|---|"
        );
        for p in &self.throughput {
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} | {:.1} |",
                p.workers_per_stage, p.articles, p.seconds, p.articles_per_second
            );
        }
        let _ = writeln!(
            md,
            "\n- **joint ceiling** (the null pipeline: the same {} hops with messages of the \
             pipeline's sizes, {} bytes, the same durability, confirms, acks, prefetch and \
             concurrency, and {} PUTs per article of the same sizes at the publish hop, every \
             body different random bytes, no work): **{:.1} articles/s**; RabbitMQ used {:.2} cores and Garage {:.2} meanwhile\n\
             - ratio: {:.1} ÷ {:.1} = **{:.2}**\n\
             - context, each with the machine to itself: broker {:.1} messages/s through {} hops \
             ({:.2} cores); storage {:.1} PUTs/s → {:.1} articles/s ({:.2} cores); the pipeline \
             against the lower of the two (the {}): {:.2}\n\
             - `gazette up`: {:.1} articles/s, peak RSS {:.1} MB; its search builds run in a \
             child process, whose peak was {}\n",
            c.broker_hops,
            c.hop_bytes
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(" → "),
            w.objects_per_article,
            c.joint_per_second,
            c.joint_broker_cores,
            c.joint_storage_cores,
            self.headline.articles_per_second,
            c.joint_per_second,
            c.ratio,
            c.broker_per_second,
            c.broker_hops,
            c.broker_cores,
            c.storage_puts_per_second,
            c.storage_articles_per_second,
            c.storage_cores,
            c.binding,
            c.separate_ratio,
            self.up.articles_per_second,
            self.up.peak_rss_mb,
            self.up.search_builder_peak_rss_mb.map_or(
                "not reached (no build finished during the run)".to_owned(),
                |mb| { format!("{mb:.1} MB") }
            ),
        );
        let _ = writeln!(
            md,
            "Store requests per article, counted by Garage (`api_s3_request_counter`):\n\n\
             | request | pipeline (headline burst) | null pipeline |\n|---|---|---|"
        );
        let endpoints: std::collections::BTreeSet<&String> = self
            .store_requests_per_article
            .keys()
            .chain(c.null_store_requests_per_article.keys())
            .collect();
        for endpoint in endpoints {
            let figure = |counts: &BTreeMap<String, f64>| {
                counts
                    .get(endpoint)
                    .map_or_else(|| "0".to_owned(), |n| format!("{n:.2}"))
            };
            let _ = writeln!(
                md,
                "| {endpoint} | {} | {} |",
                figure(&self.store_requests_per_article),
                figure(&c.null_store_requests_per_article)
            );
        }
        let total = |counts: &BTreeMap<String, f64>| counts.values().sum::<f64>();
        let _ = writeln!(
            md,
            "| **all** | **{:.2}** | **{:.2}** |\n\
             | bytes written to disk, by Garage (`block_bytes_written`) | {:.0} | {:.0} |\n",
            total(&self.store_requests_per_article),
            total(&c.null_store_requests_per_article),
            self.store_bytes_written_per_article,
            c.null_store_bytes_written_per_article,
        );
        let _ = writeln!(md, "![throughput against workers]({WORKERS_CHART})\n");
        md.push_str(&self.latency.markdown());
        let _ = writeln!(
            md,
            "## Processes (headline throughput run)\n\n| process | CPU s | cores | peak RSS MB |\n|---|---|---|---|"
        );
        for p in &self.processes {
            let note = if p.peak_is_for_this_run {
                ""
            } else {
                " (current)"
            };
            let _ = writeln!(
                md,
                "| {} | {:.2} | {:.2} | {:.1}{note} |",
                p.name, p.cpu_seconds, p.cores, p.peak_rss_mb
            );
        }
        if let Some(peer) = &self.peer {
            md.push_str(&peer.markdown(self.headline.articles_per_second));
        }
        md
    }
}
