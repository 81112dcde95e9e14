//! A throwaway single-node Garage on free loopback ports, with its own config, bucket and key.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gazette_store::S3Access;
use tempfile::TempDir;

pub const REGION: &str = "garage";
/// Imported rather than generated, so the harness need not parse CLI output.
pub const ACCESS_KEY_ID: &str = "GK0a1b2c3d4e5f60718293a4b5";
pub const SECRET_ACCESS_KEY: &str =
    "5f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

pub struct Garage {
    pub dir: TempDir,
    pub bucket: String,
    pub s3_port: u16,
    pub web_port: u16,
    config: PathBuf,
    binary: PathBuf,
    server: Option<Child>,
}

impl Garage {
    pub async fn start() -> Self {
        let binary = find_binary();
        let dir = tempfile::Builder::new()
            .prefix("gazette-garage-")
            .tempdir()
            .expect("temp dir");
        let [rpc_port, s3_port, web_port, admin_port] = free_ports();
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
db_engine = "sqlite"
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
        .expect("write garage.toml");
        let server = spawn_server(&binary, &config, &dir.path().join("garage.log"));
        let mut garage = Self {
            dir,
            bucket: "site".to_owned(),
            s3_port,
            web_port,
            config,
            binary,
            server: Some(server),
        };
        garage.bootstrap();
        garage
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

    /// Layout, bucket, key and permissions, as an operator would set them up.
    fn bootstrap(&mut self) {
        let node = self.wait_for_node_id();
        self.cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &node]);
        self.cli(&["layout", "apply", "--version", "1"]);
        self.cli(&["bucket", "create", &self.bucket.clone()]);
        self.cli(&[
            "key",
            "import",
            "--yes",
            "-n",
            "gazette-test",
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
        ]);
        self.cli(&[
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            &self.bucket.clone(),
            "--key",
            ACCESS_KEY_ID,
        ]);
        self.cli(&["bucket", "website", "--allow", &self.bucket.clone()]);
    }

    /// Polls until the daemon answers over RPC, up to a deadline.
    fn wait_for_node_id(&mut self) -> String {
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
                    .expect("garage node id");
                let text = String::from_utf8_lossy(&out.stdout);
                return text.trim().split('@').next().unwrap_or_default().to_owned();
            }
            if let Some(Ok(Some(status))) = self.server.as_mut().map(Child::try_wait) {
                panic!(
                    "garage exited with {status}; see {}",
                    self.dir.path().join("garage.log").display()
                );
            }
            assert!(
                Instant::now() < deadline,
                "garage did not come up within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn cli(&self, args: &[&str]) {
        let out = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .output()
            .expect("run garage cli");
        assert!(
            out.status.success(),
            "garage {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts the server again on the same data and ports, after [`Garage::stop`].
    pub fn resume(&mut self) {
        if self.server.is_none() {
            self.server = Some(spawn_server(
                &self.binary,
                &self.config,
                &self.dir.path().join("garage.log"),
            ));
            self.wait_for_node_id();
        }
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
fn find_binary() -> PathBuf {
    if let Ok(path) = std::env::var("GAZETTE_GARAGE_BIN") {
        return PathBuf::from(path);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_owned());
    let cached = PathBuf::from(home).join(".cache/gazette/garage-2.5.0/bin/garage");
    assert!(
        cached.exists(),
        "Garage is not installed at {}; run scripts/ensure-garage first",
        cached.display()
    );
    cached
}

fn free_ports() -> [u16; 4] {
    let listeners: Vec<TcpListener> = (0..4)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().expect("addr").port())
        .collect();
    [ports[0], ports[1], ports[2], ports[3]]
}

fn spawn_server(binary: &Path, config: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("garage log");
    Command::new(binary)
        .arg("-c")
        .arg(config)
        .arg("server")
        .stdout(Stdio::from(log.try_clone().expect("log handle")))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()))
}
