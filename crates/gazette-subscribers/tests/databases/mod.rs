//! The two databases the crate's tests run on: SQLite in a temporary directory, and a database of its own on the machine's PostgreSQL (scripts/ensure-postgres starts it).

use gazette_subscribers::DatabaseUrl;
use sqlx::Connection;

const POSTGRES_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A SQLite URL in a fresh temporary directory, which must outlive the database.
pub fn sqlite(file: &str) -> (DatabaseUrl, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/{file}", dir.path().display());
    (DatabaseUrl::parse(&url).unwrap(), dir)
}

/// A fresh, empty PostgreSQL database: its URL and its name, for [`drop_postgres`].
pub async fn postgres(name: &str) -> (DatabaseUrl, String) {
    let name = format!("gazette_{name}_{}", std::process::id());
    drop_postgres(&name).await;
    on_postgres_server(&format!("CREATE DATABASE {name}")).await;
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    (DatabaseUrl::parse(&url).unwrap(), name)
}

pub async fn drop_postgres(name: &str) {
    on_postgres_server(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
}

async fn on_postgres_server(statement: &str) {
    let mut connection = sqlx::PgConnection::connect(POSTGRES_ADMIN).await.unwrap();
    sqlx::raw_sql(statement)
        .execute(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
}

/// Whether the PostgreSQL half of a test must be skipped (said on stderr,
/// with the reason); under `scripts/test` a missing server fails instead.
pub fn skip_without_postgres() -> bool {
    match gazette_testkit::services::skip_reason(&[gazette_testkit::services::Service::Postgres]) {
        Some(reason) => {
            gazette_testkit::services::announce_skip(module_path!(), &reason);
            true
        }
        None => false,
    }
}
