//! A throwaway Garage on free loopback ports, one node or a cluster, with its own config, bucket and key.
//!
//! The bench measures against it and the integration tests run on it. It is
//! set up as an operator would: layout, bucket, an access key allowed on the
//! bucket, and the website endpoint switched on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use gazette_store::S3Access;
use tempfile::TempDir;

pub const REGION: &str = "garage";
/// The bearer token of Garage's `/metrics`: a throwaway server's, not a secret.
const METRICS_TOKEN: &str = "gazette-bench-metrics";
/// Imported rather than generated, so the harness need not parse CLI output.
pub const ACCESS_KEY_ID: &str = "GK0a1b2c3d4e5f60718293a4b5";
pub const SECRET_ACCESS_KEY: &str =
    "5f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// Garage's own counts, read from its `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// S3 requests answered (`api_s3_request_counter`), per endpoint:
    /// `PutObject`, `HeadObject`, ….
    pub requests: BTreeMap<String, u64>,
    /// Block bytes written to disk (`block_bytes_written`): after
    /// compression, and nothing for a block Garage already held, since it
    /// stores each block once, named by its hash.
    pub bytes_written: u64,
}

#[derive(Debug)]
pub struct Garage {
    pub dir: TempDir,
    /// The public site: a website bucket.
    pub bucket: String,
    /// Gazette's private archive: a bucket of its own, not a website.
    pub archive_bucket: String,
    /// Node 0's S3 and website ports: the endpoint Gazette is given.
    pub s3_port: u16,
    pub web_port: u16,
    /// Node 0's admin API, for its `/metrics`.
    admin_port: u16,
    binary: PathBuf,
    nodes: Vec<GarageNode>,
}

/// One Garage daemon: node 0 keeps its files at the top of the directory.
#[derive(Debug)]
struct GarageNode {
    config: PathBuf,
    log: PathBuf,
    rpc_port: u16,
    server: Option<Child>,
}

impl Garage {
    /// One node, replication factor 1: what every test and the bench use.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_cluster(1)
    }

    /// `size` nodes on loopback, connected, each in its own zone, with
    /// replication factor `size`: every object is on every node, and with
    /// three a write or read needs two of them.
    pub fn start_cluster(size: usize) -> anyhow::Result<Self> {
        ensure!(size >= 1, "a cluster has at least one node");
        let binary = find_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("gazette-garage-")
            .tempdir()
            .context("creating Garage's temporary directory")?;
        let secret = format!(
            "{:032x}{:032x}",
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        let ports = crate::http::free_ports(4 * size).context("finding free loopback ports")?;
        let mut nodes = Vec::new();
        for n in 0..size {
            let [rpc_port, s3_port, web_port, admin_port] =
                [0, 1, 2, 3].map(|offset| ports[4 * n + offset]);
            let home = if n == 0 {
                dir.path().to_owned()
            } else {
                dir.path().join(format!("node-{n}"))
            };
            std::fs::create_dir_all(&home).context("creating a Garage node's directory")?;
            let config = home.join("garage.toml");
            std::fs::write(
                &config,
                format!(
                    r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "lmdb"
replication_factor = {size}
rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3_port}"
root_domain = ".s3.garage.localhost"

[s3_web]
bind_addr = "127.0.0.1:{web_port}"
root_domain = ".web.garage.localhost"
index = "index.html"

[admin]
api_bind_addr = "127.0.0.1:{admin_port}"
metrics_token = "{METRICS_TOKEN}"
"#,
                    meta = home.join("meta").display(),
                    data = home.join("data").display(),
                ),
            )
            .context("writing garage.toml")?;
            let log = home.join("garage.log");
            let server = spawn_server(&binary, &config, &log)?;
            nodes.push(GarageNode {
                config,
                log,
                rpc_port,
                server: Some(server),
            });
        }
        let mut garage = Self {
            dir,
            bucket: "site".to_owned(),
            archive_bucket: "archive".to_owned(),
            s3_port: ports[1],
            web_port: ports[2],
            admin_port: ports[3],
            binary,
            nodes,
        };
        garage.bootstrap()?;
        Ok(garage)
    }

    pub fn s3_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    pub fn access(&self) -> S3Access {
        S3Access {
            endpoint: self.s3_endpoint(),
            region: REGION.to_owned(),
            access_key_id: ACCESS_KEY_ID.to_owned(),
            secret_access_key: SECRET_ACCESS_KEY.to_owned(),
        }
    }

    /// What a `gazette` process needs in its environment to use this bucket.
    pub fn store_env(&self) -> Vec<(String, String)> {
        [
            ("GAZETTE_STORE", format!("s3://{}", self.bucket)),
            ("GAZETTE_ARCHIVE", format!("s3://{}", self.archive_bucket)),
            ("AWS_ENDPOINT_URL", self.s3_endpoint()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// What node 0 has done so far, by Garage's own counts: the S3 requests
    /// it answered and the bytes it wrote to its data directory.
    pub async fn counts(&self) -> anyhow::Result<StoreCounts> {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.admin_port));
        let bearer = format!("Bearer {METRICS_TOKEN}");
        let (status, body) =
            crate::http::http_request(addr, "GET", "/metrics", &[("Authorization", &bearer)], "")
                .await
                .context("Garage's /metrics did not answer")?;
        ensure!(status == 200, "Garage's /metrics answered {status}: {body}");
        Ok(StoreCounts {
            requests: s3_request_counts(&body),
            bytes_written: counter_total(&body, "block_bytes_written"),
        })
    }

    /// The process id of the server, for CPU and memory readings.
    pub fn pid(&self) -> Option<u32> {
        self.nodes[0].server.as_ref().map(Child::id)
    }

    /// Layout, bucket, key and permissions, as an operator would set them up.
    fn bootstrap(&mut self) -> anyhow::Result<()> {
        let mut ids = Vec::new();
        for n in 0..self.nodes.len() {
            ids.push(self.wait_for_node_id(n)?);
        }
        for (n, id) in ids.iter().enumerate().skip(1) {
            let peer = format!("{id}@127.0.0.1:{}", self.nodes[n].rpc_port);
            self.cli(&["node", "connect", &peer])?;
        }
        for (n, id) in ids.iter().enumerate() {
            let zone = format!("dc{}", n + 1);
            self.cli(&["layout", "assign", "-z", &zone, "-c", "1G", id])?;
        }
        self.cli(&["layout", "apply", "--version", "1"])?;
        self.cli(&[
            "key",
            "import",
            "--yes",
            "-n",
            "gazette-test",
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
        ])?;
        for bucket in [self.bucket.clone(), self.archive_bucket.clone()] {
            self.cli(&["bucket", "create", &bucket])?;
            self.cli(&[
                "bucket",
                "allow",
                "--read",
                "--write",
                "--owner",
                &bucket,
                "--key",
                ACCESS_KEY_ID,
            ])?;
        }
        // Missing and withdrawn pages answer with the theme's 404 page.
        self.cli(&[
            "bucket",
            "website",
            "--allow",
            "--error-document",
            "404.html",
            &self.bucket.clone(),
        ])
    }

    /// Polls until node `n` answers over RPC, up to a deadline; its id.
    fn wait_for_node_id(&mut self, n: usize) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // `node id` alone is no sign of life: it reads the key file
            // without asking the daemon. `status` needs the daemon's RPC.
            let status = Command::new(&self.binary)
                .arg("-c")
                .arg(&self.nodes[n].config)
                .arg("status")
                .output();
            if status.is_ok_and(|out| out.status.success()) {
                let out = Command::new(&self.binary)
                    .arg("-c")
                    .arg(&self.nodes[n].config)
                    .args(["node", "id", "-q"])
                    .output()
                    .context("running `garage node id`")?;
                let text = String::from_utf8_lossy(&out.stdout);
                return Ok(text.trim().split('@').next().unwrap_or_default().to_owned());
            }
            if let Some(Ok(Some(status))) = self.nodes[n].server.as_mut().map(Child::try_wait) {
                bail!(
                    "garage exited with {status}; see {}",
                    self.nodes[n].log.display()
                );
            }
            ensure!(
                Instant::now() < deadline,
                "garage did not come up within 30 s; see {}",
                self.nodes[n].log.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn cli(&self, args: &[&str]) -> anyhow::Result<()> {
        let out = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.nodes[0].config)
            .args(args)
            .output()
            .with_context(|| format!("running garage {args:?}"))?;
        ensure!(
            out.status.success(),
            "garage {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    /// Starts every stopped node again on the same data and ports, after [`Garage::stop`].
    pub fn resume(&mut self) -> anyhow::Result<()> {
        for n in 0..self.nodes.len() {
            self.resume_node(n)?;
        }
        Ok(())
    }

    /// Starts node `n` again, after [`Garage::kill_node`], and waits until it answers.
    pub fn resume_node(&mut self, n: usize) -> anyhow::Result<()> {
        if self.nodes[n].server.is_none() {
            let node = &self.nodes[n];
            self.nodes[n].server = Some(spawn_server(&self.binary, &node.config, &node.log)?);
            self.wait_for_node_id(n)?;
        }
        Ok(())
    }

    /// Stops every node.
    pub fn stop(&mut self) {
        for n in 0..self.nodes.len() {
            self.kill_node(n);
        }
    }

    /// SIGKILL to node `n`: its peers see it vanish mid-request.
    pub fn kill_node(&mut self, n: usize) {
        if let Some(mut server) = self.nodes[n].server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The binary `scripts/ensure-garage` installs, or `GAZETTE_GARAGE_BIN`.
pub fn find_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("GAZETTE_GARAGE_BIN") {
        return Ok(PathBuf::from(path));
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_owned());
    let cached = PathBuf::from(home).join(".cache/gazette/garage-2.5.0/bin/garage");
    ensure!(
        cached.exists(),
        "Garage is not installed at {}; run scripts/ensure-garage first, or set GAZETTE_GARAGE_BIN",
        cached.display()
    );
    Ok(cached)
}

/// `api_s3_request_counter{api_endpoint="PutObject"} 42` lines, summed per endpoint.
fn s3_request_counts(metrics: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for line in metrics.lines() {
        let Some(labels) = line.strip_prefix("api_s3_request_counter{") else {
            continue;
        };
        let Some((labels, value)) = labels.split_once("} ") else {
            continue;
        };
        let endpoint = labels
            .split(',')
            .find_map(|label| label.strip_prefix("api_endpoint=\""))
            .map(|value| value.trim_end_matches('"'));
        if let (Some(endpoint), Ok(value)) = (endpoint, value.trim().parse::<f64>()) {
            *counts.entry(endpoint.to_owned()).or_insert(0) += value as u64;
        }
    }
    counts
}

/// The sum of counter `name` over its label sets, whether or not the
/// exporter gave it the `_total` suffix; 0 if it is absent (nothing counted yet).
fn counter_total(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let rest = rest.strip_prefix("_total").unwrap_or(rest);
            let value = match rest.strip_prefix('{') {
                Some(labelled) => labelled.split_once("} ")?.1,
                None => rest.strip_prefix(' ')?,
            };
            value.trim().parse::<f64>().ok()
        })
        .map(|value| value as u64)
        .sum()
}

fn spawn_server(binary: &Path, config: &Path, log: &Path) -> anyhow::Result<Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    Command::new(binary)
        .arg("-c")
        .arg(config)
        .arg("server")
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_counts_are_read_per_endpoint() {
        let metrics = "# HELP api_s3_request_counter Number of API calls\n\
api_s3_request_counter{api_endpoint=\"PutObject\"} 12\n\
api_s3_request_counter{api_endpoint=\"HeadObject\",extra=\"x\"} 3\n\
api_s3_request_duration_count{api_endpoint=\"PutObject\"} 99\n";
        let counts = s3_request_counts(metrics);
        assert_eq!(counts.get("PutObject"), Some(&12));
        assert_eq!(counts.get("HeadObject"), Some(&3));
        assert_eq!(counts.len(), 2);
    }

    #[test]
    fn a_counter_is_summed_over_its_labels_with_or_without_its_suffix() {
        let metrics = "# TYPE block_bytes_written counter\n\
block_bytes_written 1000\n\
block_bytes_written_total{node=\"a\"} 24\n\
block_bytes_written_other 7\n\
block_bytes_writtenx 5\n";
        assert_eq!(counter_total(metrics, "block_bytes_written"), 1024);
        assert_eq!(counter_total("", "block_bytes_written"), 0);
    }
}
