//! A throwaway RabbitMQ cluster on loopback: its own node names, ports, Erlang cookie and data directories, beside the machine's broker.
//!
//! The cluster fault run needs nodes it may SIGKILL without touching the
//! broker every other test uses. Each node is the machine's RabbitMQ
//! (`/usr/lib/rabbitmq/bin`, installed by `scripts/ensure-rabbitmq`) started
//! as an operator would start a second one on a host: `RABBITMQ_NODENAME`,
//! its own AMQP and distribution ports, its own config and plugin files (no
//! management listener to collide with the machine's), its own mnesia
//! directory. The nodes share the machine's epmd and a cookie of their own.
//! Nodes 2..n join node 1 with `rabbitmqctl join_cluster`, so quorum
//! queues declared afterwards get a member on every node.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail, ensure};
use tempfile::TempDir;

/// Where Debian's RabbitMQ keeps the scripts that run as the calling user
/// (`/usr/sbin/rabbitmq-server` would switch to the `rabbitmq` user and its
/// cookie).
const RABBITMQ_BIN: &str = "/usr/lib/rabbitmq/bin";
/// How long a node may take to boot on a loaded two-core machine.
const BOOT_SECONDS: &str = "120";

#[derive(Debug)]
pub struct RabbitCluster {
    dir: TempDir,
    nodes: Vec<RabbitNode>,
}

#[derive(Debug)]
struct RabbitNode {
    name: String,
    amqp_port: u16,
    dist_port: u16,
    dir: PathBuf,
}

impl RabbitCluster {
    /// Starts `size` nodes and clusters them; fails with the node's log if one does not come up.
    pub fn start(size: usize) -> anyhow::Result<Self> {
        ensure!(size >= 1, "a cluster has at least one node");
        let dir = tempfile::Builder::new()
            .prefix("gazette-rabbitmq-")
            .tempdir()
            .context("creating the cluster's temporary directory")?;
        // The cookie every node and every rabbitmqctl call of this cluster shares.
        let cookie = dir.path().join(".erlang.cookie");
        std::fs::write(&cookie, format!("{:032x}", rand::random::<u128>()))
            .context("writing the cluster's Erlang cookie")?;
        set_owner_only(&cookie)?;
        let ports = crate::http::free_ports(2 * size).context("finding free loopback ports")?;
        let nodes = (0..size)
            .map(|n| RabbitNode {
                name: format!("gazette-{}-{n}@localhost", std::process::id()),
                amqp_port: ports[2 * n],
                dist_port: ports[2 * n + 1],
                dir: dir.path().join(format!("node-{n}")),
            })
            .collect();
        let cluster = Self { dir, nodes };
        for n in 0..size {
            cluster.write_node_files(n)?;
            cluster.spawn(n)?;
        }
        for n in 0..size {
            cluster.await_startup(n)?;
        }
        let seed = cluster.nodes[0].name.clone();
        // `start_app` returns once the node runs again, now in the cluster.
        for n in 1..size {
            cluster.ctl(n, &["stop_app"])?;
            cluster.ctl(n, &["join_cluster", &seed])?;
            cluster.ctl(n, &["start_app"])?;
        }
        Ok(cluster)
    }

    /// Every node's URL, comma-separated: `GAZETTE_AMQP_URL` for the cluster.
    pub fn amqp_url(&self) -> String {
        (0..self.nodes.len())
            .map(|n| self.node_url(n))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// One node's AMQP URL.
    pub fn node_url(&self, n: usize) -> String {
        format!(
            "amqp://guest:guest@127.0.0.1:{}/%2f",
            self.nodes[n].amqp_port
        )
    }

    pub fn node_name(&self, n: usize) -> &str {
        &self.nodes[n].name
    }

    /// SIGKILL to node `n`'s Erlang VM: no goodbye to its peers or its clients.
    pub fn kill(&self, n: usize) -> anyhow::Result<()> {
        let pid_file = self.nodes[n].pid_file();
        let pid = std::fs::read_to_string(&pid_file)
            .with_context(|| format!("reading {}", pid_file.display()))?;
        let status = Command::new("kill")
            .args(["-KILL", pid.trim()])
            .status()
            .context("running kill")?;
        ensure!(status.success(), "kill -KILL {} failed", pid.trim());
        // The pid file stays behind a killed node; the next start writes its own.
        std::fs::remove_file(&pid_file).context("removing a killed node's pid file")?;
        Ok(())
    }

    /// Starts node `n` again on its own data and returns at once: it
    /// rejoins the cluster by itself, while the caller goes on;
    /// [`RabbitCluster::wait_until_up`] waits for it.
    pub fn restart(&self, n: usize) -> anyhow::Result<()> {
        self.spawn(n)
    }

    /// Waits until node `n` runs and has joined the cluster.
    pub fn wait_until_up(&self, n: usize) -> anyhow::Result<()> {
        self.await_startup(n)
    }

    /// The nodes holding a member of quorum queue `queue`, as RabbitMQ lists them.
    pub fn queue_members(&self, queue: &str) -> anyhow::Result<Vec<String>> {
        Ok(self
            .quorum_status(queue)?
            .iter()
            .filter_map(|row| row.get("Node Name").and_then(|n| n.as_str()))
            .map(str::to_owned)
            .collect())
    }

    /// The index of the node leading quorum queue `queue`.
    pub fn queue_leader(&self, queue: &str) -> anyhow::Result<usize> {
        let rows = self.quorum_status(queue)?;
        let leader = rows
            .iter()
            .find(|row| row.get("Raft State").and_then(|s| s.as_str()) == Some("leader"))
            .and_then(|row| row.get("Node Name").and_then(|n| n.as_str()))
            .with_context(|| format!("{queue} has no leader: {rows:?}"))?;
        self.nodes
            .iter()
            .position(|node| node.name == leader)
            .with_context(|| format!("{queue}'s leader {leader} is not a node of this cluster"))
    }

    /// `rabbitmq-queues quorum_status`: one row per member, asked of any node that answers.
    fn quorum_status(&self, queue: &str) -> anyhow::Result<Vec<serde_json::Value>> {
        let mut failures = Vec::new();
        for n in 0..self.nodes.len() {
            match self.queues(n, &["quorum_status", queue, "--formatter", "json"]) {
                Ok(out) => {
                    return serde_json::from_str(&out)
                        .with_context(|| format!("quorum_status said {out}"));
                }
                Err(e) => failures.push(e.to_string()),
            }
        }
        bail!("no node answered quorum_status for {queue}: {failures:?}")
    }

    /// `rabbitmqctl -q ARGS` on node `n`: its standard output.
    pub fn ctl(&self, n: usize, args: &[&str]) -> anyhow::Result<String> {
        self.tool("rabbitmqctl", n, args)
    }

    fn queues(&self, n: usize, args: &[&str]) -> anyhow::Result<String> {
        self.tool("rabbitmq-queues", n, args)
    }

    fn tool(&self, tool: &str, n: usize, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(Path::new(RABBITMQ_BIN).join(tool))
            // An Erlang CLI that crashes writes erl_crash.dump where it runs:
            // in the cluster's directory, not the caller's.
            .current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .args(["-q", "-n", &self.nodes[n].name])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {tool} {args:?}"))?;
        ensure!(
            out.status.success(),
            "{tool} -n {} {args:?} failed: {}{}",
            self.nodes[n].name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Waits for node `n` to write its pid file and boot (`rabbitmqctl
    /// wait`): unlike `await_startup`, it also covers the moments before
    /// the node has registered with epmd.
    fn await_startup(&self, n: usize) -> anyhow::Result<()> {
        let pid_file = self.nodes[n].pid_file();
        let pid_file = pid_file.to_string_lossy();
        self.ctl(n, &["wait", &pid_file, "--timeout", BOOT_SECONDS])
            .with_context(|| {
                format!(
                    "node {} did not start; see {}",
                    self.nodes[n].name,
                    self.nodes[n].dir.join("log").display()
                )
            })
            .map(drop)
    }

    fn write_node_files(&self, n: usize) -> anyhow::Result<()> {
        let node = &self.nodes[n];
        std::fs::create_dir_all(&node.dir)?;
        std::fs::write(
            node.dir.join("rabbitmq.conf"),
            format!(
                "listeners.tcp.local = 127.0.0.1:{}\nloopback_users = none\n",
                node.amqp_port
            ),
        )?;
        std::fs::write(node.dir.join("enabled_plugins"), "[].\n")?;
        // An env file of its own, so the machine's rabbitmq-env.conf (its NODENAME) is not read.
        std::fs::write(node.dir.join("rabbitmq-env.conf"), "")?;
        Ok(())
    }

    fn spawn(&self, n: usize) -> anyhow::Result<()> {
        let node = &self.nodes[n];
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(node.dir.join("server.out"))?;
        let file = |name: &str| node.dir.join(name).into_os_string();
        Command::new(Path::new(RABBITMQ_BIN).join("rabbitmq-server"))
            .current_dir(&node.dir)
            .env("HOME", self.dir.path())
            .env("RABBITMQ_CONF_ENV_FILE", file("rabbitmq-env.conf"))
            .env("RABBITMQ_CONFIG_FILE", file("rabbitmq.conf"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", file("enabled_plugins"))
            .env("RABBITMQ_NODENAME", &node.name)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", node.amqp_port.to_string())
            .env("RABBITMQ_DIST_PORT", node.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", file("mnesia"))
            .env("RABBITMQ_LOG_BASE", file("log"))
            .env("RABBITMQ_PID_FILE", node.pid_file())
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone()?))
            .stderr(Stdio::from(out))
            .spawn()
            .with_context(|| format!("starting RabbitMQ node {}", node.name))?;
        Ok(())
    }
}

impl RabbitNode {
    /// Where the node writes its OS process id once it runs.
    fn pid_file(&self) -> PathBuf {
        self.dir.join("pid")
    }
}

impl Drop for RabbitCluster {
    fn drop(&mut self) {
        for n in 0..self.nodes.len() {
            // Best effort: a node already killed has no pid file.
            let _ = self.kill(n);
        }
    }
}

fn set_owner_only(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o400))
        .with_context(|| format!("making {} private", path.display()))
}
