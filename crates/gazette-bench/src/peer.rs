//! The Python peer in the same run: the same articles through Celery workers doing the same job (`peers/python_pipeline.py`), against the same RabbitMQ and Garage.
//!
//! The peer is what a team would write instead of Gazette: one Celery
//! worker per stage, jsonschema, nh3, the theme's templates through
//! pybars3 and three boto3 PUTs per article. The bench sends it the same
//! generated articles as Gazette's burst (their own ids) and reads its
//! throughput from the driver's JSON line; `scripts/ensure-python-peer`
//! installs it, once, from PyPI.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::articles::Submission;
use crate::{Bench, WARMUP_ARTICLES};
use gazette_testkit::garage::Garage;

/// Where the peer lives: a Python with its packages, and the repository
/// whose schemas and theme it reads.
#[derive(Debug, Clone)]
pub struct PythonPeer {
    pub python: PathBuf,
    pub repo_root: PathBuf,
}

/// One Celery worker's share of the measured burst.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerWorker {
    pub stage: String,
    pub cpu_seconds: f64,
    pub peak_rss_mb: f64,
}

/// What the peer did with the burst.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerRun {
    pub articles: usize,
    pub seconds: f64,
    pub articles_per_second: f64,
    pub workers: Vec<PeerWorker>,
}

impl PeerRun {
    /// Its section of `benchmarks.md`, against Gazette's headline run.
    pub(crate) fn markdown(&self, gazette_per_second: f64) -> String {
        let mut md = format!(
            "\n## The Python peer\n\nThe same job written with Celery (`crates/gazette-bench/peers/python_pipeline.py`): \
             one worker process per stage (8 threads each, prefetch 16), jsonschema on Gazette's schemas, \
             markdown-it-py and nh3, the theme's templates through pybars3, three boto3 PUTs per article, \
             quorum queues, persistent messages, confirms and late acks. On {} articles after {} s: \
             **{:.1} articles/s**, against Gazette's {:.1} in the same run ({:.2}×).\n\n\
             | worker | CPU s | peak RSS MB |\n|---|---|---|\n",
            self.articles,
            format_args!("{:.2}", self.seconds),
            self.articles_per_second,
            gazette_per_second,
            gazette_per_second / self.articles_per_second,
        );
        for worker in &self.workers {
            md.push_str(&format!(
                "| {} | {:.2} | {:.1} |\n",
                worker.stage, worker.cpu_seconds, worker.peak_rss_mb
            ));
        }
        md
    }
}

impl PythonPeer {
    /// Runs the peer's driver over `submissions`, the first `warmup` of
    /// them unmeasured, in queues named after `prefix`.
    pub async fn run(
        &self,
        garage: &Garage,
        amqp_url: &str,
        prefix: &str,
        submissions: &[Submission],
        warmup: usize,
    ) -> anyhow::Result<PeerRun> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("submissions.jsonl");
        std::fs::write(&file, jsonl(submissions))?;
        let access = garage.access();
        let output = tokio::process::Command::new(&self.python)
            .arg(self.script())
            .arg("run")
            .arg(&file)
            .arg(warmup.to_string())
            .env("PEER_AMQP_URL", amqp_url)
            .env("PEER_PREFIX", prefix)
            .env("PEER_S3_ENDPOINT", &access.endpoint)
            .env("PEER_S3_REGION", &access.region)
            .env("PEER_S3_KEY_ID", &access.access_key_id)
            .env("PEER_S3_SECRET", &access.secret_access_key)
            .env("PEER_SITE_BUCKET", &garage.bucket)
            .env("PEER_ARCHIVE_BUCKET", &garage.archive_bucket)
            .env("PEER_THEME_DIR", self.repo_root.join("themes/default"))
            .env("PEER_SCHEMA_DIR", self.repo_root.join("schemas"))
            .kill_on_drop(true)
            .output()
            .await
            .with_context(|| format!("starting {}", self.python.display()))?;
        if !output.status.success() {
            bail!(
                "the Python peer failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let line = text.lines().last().unwrap_or_default();
        serde_json::from_str(line).with_context(|| format!("the Python peer printed {text:?}"))
    }

    fn script(&self) -> PathBuf {
        self.repo_root
            .join("crates/gazette-bench/peers/python_pipeline.py")
    }

    /// The peer installed by `scripts/ensure-python-peer`, which prints its Python.
    pub fn ensure(repo_root: &Path) -> anyhow::Result<Self> {
        let script = repo_root.join("scripts/ensure-python-peer");
        let output = std::process::Command::new(&script)
            .output()
            .with_context(|| format!("running {}", script.display()))?;
        if !output.status.success() {
            bail!(
                "scripts/ensure-python-peer failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(Self {
            python: PathBuf::from(String::from_utf8(output.stdout)?.trim()),
            repo_root: repo_root.to_owned(),
        })
    }
}

impl Bench<'_> {
    /// The Python peer through the same number of articles as a burst, in queues of its own.
    pub(crate) async fn run_peer(&self, peer: &PythonPeer) -> anyhow::Result<PeerRun> {
        let prefix = format!("gazette-bench-{}-peer", std::process::id());
        let articles = self.articles("peer", WARMUP_ARTICLES + self.plan.articles)?;
        peer.run(
            self.garage,
            &self.plan.amqp_url,
            &prefix,
            &articles,
            WARMUP_ARTICLES,
        )
        .await
    }
}

/// One submitted event per line, as the driver reads them: each body is
/// compact JSON already, so it has no line break of its own.
fn jsonl(submissions: &[Submission]) -> Vec<u8> {
    let mut lines = Vec::new();
    for submission in submissions {
        lines.extend_from_slice(&submission.body);
        lines.push(b'\n');
    }
    lines
}
