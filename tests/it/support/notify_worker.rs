//! A `gazette worker notify` process in a test's world, and a PostgreSQL database of its own when a test wants one.

use std::net::SocketAddr;
use std::process::Command;

use gazette_subscribers::{DatabaseUrl, Subscribers};

use super::{TestEnv, Worker, eventually, free_local_addr, http_get, wait_for_http};

/// 10,000 times faster: the 5 s … 10 h schedule takes about 6.3 s.
pub const CLOCK_FACTOR: &str = "10000";
pub const API_TOKEN: &str = "test-operator-token";

/// A running `gazette worker notify` in a test's world.
pub struct Notifier {
    pub env: TestEnv,
    pub vars: Vec<(String, String)>,
    pub addr: SocketAddr,
    worker: Option<Worker>,
}

impl Notifier {
    pub async fn start(
        name: &str,
        database: Option<&PostgresDatabase>,
        extra: &[(&str, &str)],
    ) -> Self {
        let mut env = TestEnv::start(name).await;
        // The deliver stage's delay queues follow the compressed schedule;
        // the teardown must know their names to delete them.
        env.settings.slow_retry =
            gazette_broker::RetryPolicy::slow().compressed(CLOCK_FACTOR.parse().unwrap());
        let addr = free_local_addr();
        let mut vars = env.env();
        vars.extend(
            [
                ("GAZETTE_HTTP_ADDR", addr.to_string()),
                ("GAZETTE_WEBHOOK_CLOCK_FACTOR", CLOCK_FACTOR.to_owned()),
                ("GAZETTE_API_TOKEN", API_TOKEN.to_owned()),
                (
                    "GAZETTE_SITE_NAME",
                    "Cổng thông tin quận Ninh Kiều".to_owned(),
                ),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        );
        if let Some(database) = database {
            vars.push(("GAZETTE_DATABASE_URL".to_owned(), database.url()));
        }
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Self {
            env,
            vars,
            addr,
            worker: None,
        }
    }

    /// Starts the worker and waits until it consumes.
    pub async fn run(&mut self) {
        let log = self.env.garage.dir.path().join("notify.log");
        self.worker = Some(Worker::spawn(&["worker", "notify"], &self.vars, &log));
        wait_for_http(self.addr, "/readyz", 200).await;
    }

    pub fn database_url(&self) -> String {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == "GAZETTE_DATABASE_URL")
            .map(|(_, v)| v.clone())
            .unwrap()
    }

    pub async fn ledger(&self) -> Subscribers {
        let url = DatabaseUrl::parse(&self.database_url()).unwrap();
        Subscribers::open(&url).await.unwrap()
    }

    /// Waits until `stage` has taken `count` messages and has none in hand.
    pub async fn wait_handled(&self, stage: &str, count: u64) {
        let consumed = format!("gazette_messages_consumed_total{{stage=\"{stage}\"}}");
        let in_flight = format!("gazette_messages_in_flight{{stage=\"{stage}\"}}");
        let (consumed, in_flight, addr) = (&consumed, &in_flight, self.addr);
        eventually(|| async move {
            let (_, metrics) = http_get(addr, "/metrics").await.unwrap();
            let read = |series: &str| {
                metrics
                    .lines()
                    .find_map(|line| line.strip_prefix(series)?.trim().parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            if read(consumed) >= count as f64 && read(in_flight) == 0.0 {
                Ok(())
            } else {
                Err(format!("{stage} handled {} of {count}", read(consumed)))
            }
        })
        .await;
    }

    pub async fn stop(mut self) {
        if let Some(mut worker) = self.worker.take() {
            assert!(worker.terminate().success());
        }
        self.env.teardown().await;
    }
}

pub async fn wait_for_state(
    ledger: &Subscribers,
    subscription: &str,
    key: &str,
    state: &str,
) -> i64 {
    eventually(|| async move {
        match ledger.delivery(subscription, key).await.unwrap() {
            Some((now, attempts)) if now == state => Ok(attempts),
            _ => Err(format!("{subscription}/{key} never became {state}")),
        }
    })
    .await
}

pub const LOOPBACK_ALLOWED: (&str, &str) = ("GAZETTE_WEBHOOK_ALLOW_CIDRS", "127.0.0.1/32");

/// A database of its own on the machine's PostgreSQL, dropped afterwards.
pub struct PostgresDatabase {
    pub name: String,
}

impl PostgresDatabase {
    pub fn create(name: &str) -> Self {
        let name = name.replace(['-', '.'], "_");
        psql(&format!("DROP DATABASE IF EXISTS {name}"));
        psql(&format!("CREATE DATABASE {name}"));
        Self { name }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

fn psql(statement: &str) {
    super::stdout_of(
        Command::new("psql").args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            statement,
        ]),
        &format!("psql {statement:?} (scripts/ensure-postgres)"),
    );
}
