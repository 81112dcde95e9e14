//! Opening the database named by a URL, migrating it, and the errors a caller can act on.

use std::str::FromStr;
use std::time::Duration;

use gazette_secrets::SecretUrl;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions};

/// How long a caller waits for a pooled connection before the database counts as unreachable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite set-ups (WAL, migrations) retried after losing a race to another
/// process: about 4.5 s in all before giving up.
const PREPARE_ATTEMPTS: u32 = 9;

/// `sqlite://gazette.db` or `postgres://user:password@host/db`; the
/// password never reaches a log line.
#[derive(Clone)]
pub struct DatabaseUrl(SecretUrl);

impl DatabaseUrl {
    /// Accepts `sqlite:` and `postgres:`/`postgresql:` URLs.
    pub fn parse(text: &str) -> Result<Self, DatabaseError> {
        let url = SecretUrl::new(text);
        match url.scheme() {
            "sqlite" | "postgres" | "postgresql" => Ok(Self(url)),
            _ => Err(DatabaseError::Url {
                url: url.redacted(),
            }),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.scheme() == "sqlite"
    }

    /// The URL with its password replaced by `***`, or `<redacted>` when it
    /// does not parse as a URL.
    pub fn redacted(&self) -> String {
        if self.is_sqlite() {
            // A file name is no secret, and `sqlite://gazette.db` is not
            // what a URL parser expects.
            return self.0.expose().to_owned();
        }
        self.0.redacted()
    }

    /// The SQLite file, when this is a `sqlite:` URL naming one.
    fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        let url = self.0.expose();
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
    }

    /// SQLite creates the file when it is missing: the embedded default
    /// must work on a fresh machine without a setup step.
    fn connectable(&self) -> String {
        let url = self.0.expose();
        if self.is_sqlite() && !url.contains("mode=") && !url.contains(":memory:") {
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}mode=rwc")
        } else {
            url.to_owned()
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("{url} is not a database URL; expected sqlite://FILE or postgres://USER@HOST/DB")]
    Url { url: String },
    #[error("cannot open the database {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("cannot migrate the database {url}: {detail}")]
    Migrate { url: String, detail: String },
    /// A query failed: the database went away, a lock timed out. Worth retrying.
    #[error("database query failed while {doing}: {detail}")]
    Query { doing: &'static str, detail: String },
}

impl DatabaseError {
    pub(crate) fn query(doing: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |e| Self::Query {
            doing,
            detail: e.to_string(),
        }
    }
}

/// The subscriptions and the delivery ledger, behind a connection pool.
#[derive(Debug, Clone)]
pub struct Subscribers {
    pub(crate) pools: Pools,
    url: DatabaseUrl,
}

impl Subscribers {
    /// Connects and applies the migrations that are not applied yet.
    pub async fn open(url: &DatabaseUrl) -> Result<Self, DatabaseError> {
        Ok(Self {
            pools: connect(url).await?,
            url: url.clone(),
        })
    }

    pub fn describe(&self) -> String {
        self.url.redacted()
    }

    /// A round trip, for readiness probes.
    pub async fn check(&self) -> Result<(), DatabaseError> {
        sqlx::query("SELECT 1")
            .execute(&self.pools.pool)
            .await
            .map(|_| ())
            .map_err(DatabaseError::query("checking the connection"))
    }

    pub async fn close(&self) {
        self.pools.close().await;
    }
}

/// Whether the database answers, changing nothing: no file created, no
/// migration run. `Ok(false)` when a SQLite file does not exist yet (the
/// first worker creates it). For `gazette config check`.
pub async fn probe(url: &DatabaseUrl) -> Result<bool, DatabaseError> {
    sqlx::any::install_default_drivers();
    let connect_failed = |e: sqlx::Error| DatabaseError::Connect {
        url: url.redacted(),
        detail: e.to_string(),
    };
    let target = match url.sqlite_file() {
        Some(file) if !file.exists() => return Ok(false),
        Some(file) => format!("sqlite://{}?mode=ro", file.display()),
        None => url.0.expose().to_owned(),
    };
    let options = AnyConnectOptions::from_str(&target)
        .map_err(connect_failed)?
        .disable_statement_logging();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(connect_failed)?;
    let answered = sqlx::query("SELECT 1")
        .execute(&pool)
        .await
        .map(|_| true)
        .map_err(DatabaseError::query("checking the connection"));
    pool.close().await;
    answered
}

/// The connections to one database: `pool` for reads, `writer` for
/// everything that writes.
///
/// SQLite lets one connection write at a time, and a connection that finds
/// the file locked sleeps in SQLite's busy handler (1 ms, growing to 100 ms)
/// and tries again. Eight deliveries of one worker writing at once through
/// four connections were served by luck, not in turn: eight tasks advancing
/// 1,600 articles had a p99 of 58 ms and a longest wait of 1.4 s, where in
/// a queue every transaction took under 18 ms (docs/performance.md). For
/// SQLite, `writer` is a pool of its own with a single connection, so a
/// process's writers wait their turn in the pool's fair queue. Writers of
/// another pool still meet the busy handler: other processes, and in
/// `gazette up` the subscriptions' pool beside the registry's. PostgreSQL
/// locks rows, not the file: there `writer` is the same pool as `pool`.
#[derive(Debug, Clone)]
pub(crate) struct Pools {
    pub(crate) pool: AnyPool,
    pub(crate) writer: AnyPool,
}

impl Pools {
    /// A transaction on the writing pool: on SQLite it waits its turn for
    /// the process's one writing connection (above).
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, DatabaseError> {
        self.writer
            .begin()
            .await
            .map_err(DatabaseError::query("starting a transaction"))
    }

    pub(crate) async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// The pools on `url`, with every migration applied: the subscriptions,
/// the ledger and the article registry share one schema.
pub(crate) async fn connect(url: &DatabaseUrl) -> Result<Pools, DatabaseError> {
    // An in-memory SQLite database lives and dies with its one connection:
    // a pool of more would be several databases, and one it closed when
    // idle would lose everything.
    let in_memory = url.is_sqlite() && url.sqlite_file().is_none();
    let connections = match (url.is_sqlite(), in_memory) {
        (true, true) => 1,
        (true, false) => 4,
        (false, _) => 8,
    };
    let pool = open_pool(url, connections, in_memory).await?;
    // Several processes starting at once (every worker opens the registry)
    // race for SQLite's locks: switching to WAL needs the file to itself,
    // and two migrations at once make the loser's transaction fail and roll
    // back ("table already exists"). PostgreSQL serialises migrations with an
    // advisory lock; on SQLite the loser waits a little and tries again,
    // and then finds the work done.
    let mut attempt = 0;
    loop {
        match prepare(&pool, url).await {
            Ok(()) => break,
            Err(_) if url.is_sqlite() && attempt < PREPARE_ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100) * attempt).await;
            }
            Err(e) => return Err(e),
        }
    }
    let writer = if url.is_sqlite() && !in_memory {
        open_pool(url, 1, false).await?
    } else {
        pool.clone()
    };
    Ok(Pools { pool, writer })
}

async fn open_pool(
    url: &DatabaseUrl,
    connections: u32,
    keep_open: bool,
) -> Result<AnyPool, DatabaseError> {
    sqlx::any::install_default_drivers();
    let connect_failed = |e: sqlx::Error| DatabaseError::Connect {
        url: url.redacted(),
        detail: e.to_string(),
    };
    let options = AnyConnectOptions::from_str(&url.connectable())
        .map_err(connect_failed)?
        .disable_statement_logging();
    let options_for_pool = AnyPoolOptions::new();
    let options_for_pool = if keep_open {
        options_for_pool
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        options_for_pool
    };
    // A SQLite connection is a thread of this process, not a socket a
    // server may have closed: checking it before every use (sqlx's default)
    // cost a round trip to that thread, two wake-ups, each time a statement
    // took a connection, 3 of publish's 16 round trips per article. sqlx
    // still checks each connection as it returns to the pool, which catches
    // one a cancelled statement left broken. A PostgreSQL connection is
    // checked, since the server or the network may have dropped it idle.
    options_for_pool
        .test_before_acquire(!url.is_sqlite())
        .max_connections(connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(connect_failed)
}

/// WAL for SQLite (stored in the file, so once is enough: it lets the API
/// read while a worker writes), then the migrations not yet applied.
async fn prepare(pool: &AnyPool, url: &DatabaseUrl) -> Result<(), DatabaseError> {
    if url.is_sqlite() {
        sqlx::query("PRAGMA journal_mode=WAL")
            .execute(pool)
            .await
            .map_err(|e| DatabaseError::Connect {
                url: url.redacted(),
                detail: e.to_string(),
            })?;
    }
    sqlx::migrate!("./migrations")
        .run(pool)
        .await
        .map_err(|e| DatabaseError::Migrate {
            url: url.redacted(),
            detail: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_redacted() {
        let url = DatabaseUrl::parse("postgres://gazette:s3cret@db/gazette")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!url.to_string().contains("s3cret"));
        let unparseable =
            DatabaseUrl::parse("postgres://u:pa/ss@host/db").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(unparseable.to_string(), "<redacted>");
        assert!(!url.is_sqlite());
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        let sqlite = DatabaseUrl::parse("sqlite://gazette.db").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sqlite.connectable(), "sqlite://gazette.db?mode=rwc");
    }
}
