//! A throwaway single-node Garage on free loopback ports, with its own config, bucket and key.
//!
//! The bench measures against it and the integration tests run on it. It is
//! set up as an operator would: layout, bucket, an access key allowed on the
//! bucket, and the website endpoint switched on.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use gazette_store::S3Access;
use tempfile::TempDir;

pub const REGION: &str = "garage";
/// Imported rather than generated, so the harness need not parse CLI output.
pub const ACCESS_KEY_ID: &str = "GK0a1b2c3d4e5f60718293a4b5";
pub const SECRET_ACCESS_KEY: &str =
    "5f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

#[derive(Debug)]
pub struct Garage {
    pub dir: TempDir,
    /// The public site: a website bucket.
    pub bucket: String,
    /// Gazette's private archive: a bucket of its own, not a website.
    pub archive_bucket: String,
    pub s3_port: u16,
    pub web_port: u16,
    config: PathBuf,
    binary: PathBuf,
    server: Option<Child>,
}

impl Garage {
    pub fn start() -> anyhow::Result<Self> {
        let binary = find_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("gazette-garage-")
            .tempdir()
            .context("creating Garage's temporary directory")?;
        let [rpc_port, s3_port, web_port, admin_port] = free_ports()?;
        let config = dir.path().join("garage.toml");
        let secret = format!(
            "{:032x}{:032x}",
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        std::fs::write(
            &config,
            format!(
                r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "lmdb"
replication_factor = 1
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
"#,
                meta = dir.path().join("meta").display(),
                data = dir.path().join("data").display(),
            ),
        )
        .context("writing garage.toml")?;
        let server = spawn_server(&binary, &config, &dir.path().join("garage.log"))?;
        let mut garage = Self {
            dir,
            bucket: "site".to_owned(),
            archive_bucket: "archive".to_owned(),
            s3_port,
            web_port,
            config,
            binary,
            server: Some(server),
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

    /// The process id of the server, for CPU and memory readings.
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Child::id)
    }

    /// Layout, bucket, key and permissions, as an operator would set them up.
    fn bootstrap(&mut self) -> anyhow::Result<()> {
        let node = self.wait_for_node_id()?;
        self.cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &node])?;
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

    /// Polls until the daemon answers over RPC, up to a deadline.
    fn wait_for_node_id(&mut self) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // `node id` alone is no sign of life: it reads the key file
            // without asking the daemon. `status` needs the daemon's RPC.
            let status = Command::new(&self.binary)
                .arg("-c")
                .arg(&self.config)
                .arg("status")
                .output();
            if status.is_ok_and(|out| out.status.success()) {
                let out = Command::new(&self.binary)
                    .arg("-c")
                    .arg(&self.config)
                    .args(["node", "id", "-q"])
                    .output()
                    .context("running `garage node id`")?;
                let text = String::from_utf8_lossy(&out.stdout);
                return Ok(text.trim().split('@').next().unwrap_or_default().to_owned());
            }
            if let Some(Ok(Some(status))) = self.server.as_mut().map(Child::try_wait) {
                bail!(
                    "garage exited with {status}; see {}",
                    self.dir.path().join("garage.log").display()
                );
            }
            ensure!(
                Instant::now() < deadline,
                "garage did not come up within 30 s; see {}",
                self.dir.path().join("garage.log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn cli(&self, args: &[&str]) -> anyhow::Result<()> {
        let out = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.config)
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

    /// Starts the server again on the same data and ports, after [`Garage::stop`].
    pub fn resume(&mut self) -> anyhow::Result<()> {
        if self.server.is_none() {
            self.server = Some(spawn_server(
                &self.binary,
                &self.config,
                &self.dir.path().join("garage.log"),
            )?);
            self.wait_for_node_id()?;
        }
        Ok(())
    }

    /// Stops the server.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
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

/// Ports the kernel just handed out, released for Garage to bind.
fn free_ports() -> anyhow::Result<[u16; 4]> {
    let listeners = (0..4)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .context("finding free loopback ports")?;
    let mut ports = [0; 4];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr()?.port();
    }
    Ok(ports)
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
