//! Test harness: each test gets its own Garage, its own broker namespace, and real worker processes.
//!
//! Nothing here mocks the broker or the store. RabbitMQ is the machine's
//! (GAZETTE_TEST_AMQP_URL, default guest@127.0.0.1); Garage is started from
//! the binary that `scripts/ensure-garage` installs.

pub mod cli_schemas;
pub mod cms;
pub mod ledger;
pub mod mail;
pub mod notifier;
pub mod notify_worker;
pub mod pictures;
pub mod submissions;
mod workers;
pub mod workload;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use gazette_broker::{AmqpUrl, BrokerSettings, Tap, delete_namespace};
use gazette_stages::all_specs;
use gazette_store::Store;

pub use gazette_testkit::garage::Garage;
pub use gazette_testkit::rabbitmq_cluster::RabbitCluster;
pub use workers::Worker;

/// The pipeline's stages in the order an article meets them, from the
/// stage table: a test that runs "the pipeline" as separate workers runs
/// these, so a new stage joins every such test.
pub fn pipeline_stages() -> Vec<&'static str> {
    gazette_stages::specs_of(gazette_stages::Part::Pipeline)
        .iter()
        .map(|spec| spec.name)
        .collect()
}

/// The pipeline's stages before publish: what turns a submission into a page.
pub fn stages_before_publish() -> Vec<&'static str> {
    pipeline_stages()
        .into_iter()
        .take_while(|stage| *stage != "publish")
        .collect()
}

/// Upper bound for any single wait on the pipeline; generous for a loaded CI machine.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub fn amqp_url() -> String {
    std::env::var("GAZETTE_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

pub use gazette_testkit::{example_article_path, repo_root};

/// Skips the test, with one line saying why, unless every named service of
/// [`gazette_testkit::services::Service`] is here; under `scripts/test`
/// (`GAZETTE_TEST_SERVICES=required`) a missing one fails it instead.
macro_rules! needs {
    ($($service:ident),+ $(,)?) => {
        if let Some(reason) = gazette_testkit::services::skip_reason(&[
            $(gazette_testkit::services::Service::$service),+
        ]) {
            gazette_testkit::services::announce_skip(module_path!(), &reason);
            return;
        }
    };
}
pub(crate) use needs;

/// The example article, as JSON to vary per test.
pub fn example_article() -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(example_article_path()).expect("the example article"))
        .expect("the example article is JSON")
}

/// Runs `command` to completion; its stdout, or the test's failure with
/// `what` and the command's stderr.
pub fn stdout_of(command: &mut std::process::Command, what: &str) -> Vec<u8> {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{what} cannot start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `gazette ARGS` with exactly `env`, outside any [`TestEnv`]: (success, stdout, stderr).
pub fn run_gazette(args: &[&str], env: &[(String, String)]) -> (bool, String, String) {
    workers::run(args, env)
}

/// Restarts the RabbitMQ application on this machine: every connection
/// drops, and durable queues come back with their messages. Fault tests only.
pub fn restart_rabbitmq() {
    rabbitmq_app("stop_app");
    rabbitmq_app("start_app");
}

/// `rabbitmqctl stop_app` or `start_app`; after `start_app`, waits until the
/// broker accepts connections again.
pub fn rabbitmq_app(step: &str) {
    rabbitmqctl(&[step]);
    if step == "start_app" {
        let status = std::process::Command::new("rabbitmq-diagnostics")
            .args(["-q", "check_port_connectivity"])
            .status()
            .expect("run rabbitmq-diagnostics");
        assert!(status.success(), "RabbitMQ did not come back");
    }
}

/// Runs `rabbitmqctl -q ARGS` against the machine's broker; fails the test if it fails.
pub fn rabbitmqctl(args: &[&str]) {
    stdout_of(
        std::process::Command::new("rabbitmqctl")
            .arg("-q")
            .args(args),
        &format!("rabbitmqctl {args:?}"),
    );
}

/// Asks `probe` until it answers `Ok`, up to [`PATIENCE`], and returns that.
/// `Err` says what it saw instead; the last one is the test's failure.
/// For state only reachable by asking (an HTTP endpoint, a database, a
/// maildir): the short pause between questions is not a wait for a result.
pub async fn eventually<T, F, Fut>(mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        match probe().await {
            Ok(found) => return found,
            Err(seen) => assert!(
                std::time::Instant::now() < deadline,
                "gave up after {PATIENCE:?}: {seen}"
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// Polls `path` on `addr` until it answers `status`; returns the body.
pub async fn wait_for_http(addr: std::net::SocketAddr, path: &str, status: u16) -> String {
    eventually(|| async move {
        match http_get(addr, path).await {
            Some((got, body)) if got == status => Ok(body),
            _ => Err(format!("{path} on {addr} never answered {status}")),
        }
    })
    .await
}

/// One raw `GET path` to `addr` with `host` as its Host header and `headers`
/// (`Name: value\r\n` lines): the status, the response's head in lower
/// case (so headers are found whatever their case), and the body. For what
/// [`http_get`] does not show: response headers, a virtual host.
pub async fn raw_get(
    addr: std::net::SocketAddr,
    host: &str,
    path: &str,
    headers: &str,
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{headers}\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("read");
    // A binary body (an icon) reads as text with replacement characters:
    // callers judge its status and headers.
    let response = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    (status, head.to_lowercase(), body.to_owned())
}

/// A free port on loopback, for a process under test to listen on.
pub fn free_local_addr() -> std::net::SocketAddr {
    gazette_testkit::http::free_local_addr().expect("bind")
}

pub use gazette_testkit::http::http_get;

/// `sqlite://<dir>/<file>`: a database of a test's own.
pub fn sqlite_url(dir: &std::path::Path, file: &str) -> String {
    format!("sqlite://{}/{file}", dir.display())
}

/// The environment of a command that needs only a database (`subscribers`).
pub fn database_only(dir: &std::path::Path, file: &str) -> Vec<(String, String)> {
    vec![("GAZETTE_DATABASE_URL".to_owned(), sqlite_url(dir, file))]
}

/// One test's world: a namespace nobody else uses, a Garage bucket, and the
/// environment a worker process needs to use both.
pub struct TestEnv {
    pub namespace: String,
    pub garage: Garage,
    /// Set when the world runs on a RabbitMQ cluster of its own rather than the machine's broker.
    pub rabbitmq: Option<RabbitCluster>,
    /// `GAZETTE_AMQP_URL` for this world's processes: one node, or the cluster's list.
    pub amqp_url: String,
    pub settings: BrokerSettings,
    pub extra_env: Vec<(String, String)>,
    /// Set once the namespace's whole topology is declared: declaring it
    /// again per posted event is thousands of redundant quorum-queue
    /// declarations, and RabbitMQ 3.10 on a loaded 2-core machine has been
    /// seen to stop accepting connections under that churn.
    declared: tokio::sync::OnceCell<()>,
}

impl TestEnv {
    pub async fn start(name: &str) -> Self {
        Self::on(name, Garage::start().expect("Garage starts"), None)
    }

    /// A world on clusters of its own: `nodes` RabbitMQ nodes and `nodes`
    /// Garage nodes with replication factor `nodes`, all on loopback.
    pub async fn start_on_clusters(name: &str, nodes: usize) -> Self {
        let rabbitmq = RabbitCluster::start(nodes).expect("the RabbitMQ cluster starts");
        let garage = Garage::start_cluster(nodes).expect("the Garage cluster starts");
        Self::on(name, garage, Some(rabbitmq))
    }

    fn on(name: &str, garage: Garage, rabbitmq: Option<RabbitCluster>) -> Self {
        static SEQUENCE: AtomicU32 = AtomicU32::new(0);
        let namespace = format!(
            "gazette-test-{name}-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        let amqp_url = rabbitmq
            .as_ref()
            .map_or_else(amqp_url, RabbitCluster::amqp_url);
        let settings = BrokerSettings::new(AmqpUrl::new(amqp_url.clone()), namespace.clone());
        Self {
            namespace,
            garage,
            rabbitmq,
            amqp_url,
            settings,
            extra_env: Vec::new(),
            declared: tokio::sync::OnceCell::new(),
        }
    }

    /// Declares every stage's queues and bindings, once per test.
    pub async fn declare_topology(&self) {
        self.declared
            .get_or_init(|| async {
                gazette_broker::ensure_topology(&self.settings, &gazette_stages::all_specs())
                    .await
                    .expect("the topology is declared");
            })
            .await;
    }

    /// The registry and subscriptions database of this test's world.
    pub fn database_url(&self) -> String {
        sqlite_url(self.garage.dir.path(), "gazette.db")
    }

    /// Environment for a `gazette` process in this test's world.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("GAZETTE_AMQP_URL".to_owned(), self.amqp_url.clone()),
            ("GAZETTE_NAMESPACE".to_owned(), self.namespace.clone()),
            ("GAZETTE_LOG".to_owned(), "info,lapin=off".to_owned()),
            // `gazette up` runs the notifier, whose subscriptions live here.
            ("GAZETTE_DATABASE_URL".to_owned(), self.database_url()),
        ];
        env.extend(self.garage.store_env());
        env.extend(self.extra_env.iter().cloned());
        env
    }

    pub fn spawn_worker(&self, stage: &str) -> Worker {
        Worker::spawn(
            &["worker", stage],
            &self.env(),
            &self.garage.dir.path().join(format!("worker-{stage}.log")),
        )
    }

    /// Writes `articles` (article.submitted data) to files and runs
    /// `gazette submit --wait` on them; its stdout.
    pub fn submit_and_wait(&self, articles: &[serde_json::Value]) -> String {
        let mut paths = Vec::new();
        for (n, article) in articles.iter().enumerate() {
            let path = self
                .garage
                .dir
                .path()
                .join(format!("submission-{n}-{}.json", rand::random::<u32>()));
            std::fs::write(&path, serde_json::to_vec(article).expect("JSON")).expect("write");
            paths.push(path.to_str().expect("a UTF-8 temporary path").to_owned());
        }
        let mut args = vec!["submit", "--wait"];
        args.extend(paths.iter().map(String::as_str));
        let (ok, stdout, stderr) = self.run_gazette(&args);
        assert!(ok, "gazette submit --wait failed: {stderr}");
        stdout
    }

    /// Runs `gazette ARGS` to completion: (success, stdout, stderr).
    pub fn run_gazette(&self, args: &[&str]) -> (bool, String, String) {
        workers::run(args, &self.env())
    }

    pub async fn store(&self) -> Store {
        Store::open_with(
            &format!("s3://{}", self.garage.bucket),
            Some(&self.garage.access()),
        )
        .await
        .expect("the test bucket URL is valid")
    }

    /// The private archive: revision copies and the indexer's state.
    pub async fn archive(&self) -> Store {
        Store::open_with(
            &format!("s3://{}", self.garage.archive_bucket),
            Some(&self.garage.access()),
        )
        .await
        .expect("the test archive URL is valid")
    }

    pub async fn tap(&self, routing_keys: &[&str]) -> Tap {
        Tap::bind(
            &self.settings,
            gazette_broker::Exchange::Events,
            routing_keys,
        )
        .await
        .expect("RabbitMQ is reachable")
    }

    pub async fn dead_letters(&self, stage: &str) -> Tap {
        let queue = gazette_broker::Topology::new(&self.namespace).dead_queue(stage);
        Tap::queue(&self.settings, &queue)
            .await
            .expect("the dead-letter queue exists")
    }

    /// Stops the namespace's workers, then deletes its queues and exchanges.
    pub async fn teardown(self) {
        workers::stop_all_in(&self.namespace).await;
        delete_namespace(&self.settings, &all_specs())
            .await
            .expect("namespace deleted");
    }
}
