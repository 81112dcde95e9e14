//! What the integration tests and the bench share: a loopback Garage and RabbitMQ cluster, `gazette` processes, a minimal HTTP client, one builder per upstream event, and the outside services a test needs.
//!
//! Tooling, not production code: it reports with `anyhow`, and nothing
//! that ships depends on it.

pub mod events;
pub mod garage;
pub mod http;
pub mod process;
pub mod rabbitmq_cluster;
pub mod services;

use std::path::PathBuf;

/// The repository's root, wherever cargo runs a test or the bench from.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example article (`examples/ntl-2022-06-23-hoi-nghi-14.json`): the
/// seed's notice, as `article.submitted`'s data.
pub fn example_article_path() -> PathBuf {
    repo_root().join("examples/ntl-2022-06-23-hoi-nghi-14.json")
}
