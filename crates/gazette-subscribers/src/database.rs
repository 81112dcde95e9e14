//! Opening the database named by a URL, migrating it, and the errors a caller can act on.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions};

/// How long a caller waits for a pooled connection before the database counts as unreachable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// `sqlite://gazette.db` or `postgres://user:password@host/db`; the
/// password never reaches a log line.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Accepts `sqlite:` and `postgres:`/`postgresql:` URLs.
    pub fn parse(text: &str) -> Result<Self, DatabaseError> {
        let scheme = text.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" | "postgres" | "postgresql" => Ok(Self(text.to_owned())),
            _ => Err(DatabaseError::Url {
                url: Self(text.to_owned()).redacted(),
            }),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }

    /// The URL with its password replaced by `***`.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut parsed) if parsed.password().is_some() => {
                // Only fails for URLs that cannot carry a password, which this one does.
                let _ = parsed.set_password(Some("***"));
                parsed.to_string()
            }
            _ => self.0.clone(),
        }
    }

    /// SQLite creates the file when it is missing: the embedded default
    /// must work on a fresh machine without a setup step.
    fn connectable(&self) -> String {
        if self.is_sqlite() && !self.0.contains("mode=") && !self.0.contains(":memory:") {
            let separator = if self.0.contains('?') { '&' } else { '?' };
            format!("{}{separator}mode=rwc", self.0)
        } else {
            self.0.clone()
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
    pub(crate) pool: AnyPool,
    url: DatabaseUrl,
}

impl Subscribers {
    /// Connects and applies the migrations that are not applied yet.
    pub async fn open(url: &DatabaseUrl) -> Result<Self, DatabaseError> {
        Ok(Self {
            pool: connect(url).await?,
            url: url.clone(),
        })
    }

    pub fn describe(&self) -> String {
        self.url.redacted()
    }

    /// A round trip, for readiness probes.
    pub async fn check(&self) -> Result<(), DatabaseError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(DatabaseError::query("checking the connection"))
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A pool on `url` with every migration applied: the subscriptions, the
/// ledger and the article registry share one schema.
pub(crate) async fn connect(url: &DatabaseUrl) -> Result<AnyPool, DatabaseError> {
    sqlx::any::install_default_drivers();
    let connect_failed = |e: sqlx::Error| DatabaseError::Connect {
        url: url.redacted(),
        detail: e.to_string(),
    };
    let options = AnyConnectOptions::from_str(&url.connectable())
        .map_err(connect_failed)?
        .disable_statement_logging();
    let pool = AnyPoolOptions::new()
        .max_connections(if url.is_sqlite() { 4 } else { 8 })
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(connect_failed)?;
    if url.is_sqlite() {
        // WAL lets the API read while the notifier writes; the setting
        // is stored in the file, so once is enough.
        sqlx::query("PRAGMA journal_mode=WAL")
            .execute(&pool)
            .await
            .map_err(connect_failed)?;
    }
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .map_err(|e| DatabaseError::Migrate {
            url: url.redacted(),
            detail: e.to_string(),
        })?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_redacted() {
        let url = DatabaseUrl::parse("postgres://gazette:s3cret@db/gazette")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!url.to_string().contains("s3cret"));
        assert!(!url.is_sqlite());
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        let sqlite = DatabaseUrl::parse("sqlite://gazette.db").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sqlite.connectable(), "sqlite://gazette.db?mode=rwc");
    }
}
