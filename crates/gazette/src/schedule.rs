//! `gazette schedule`: what the registry holds for later (scheduled publishing), soonest first.

use anyhow::Result;
use chrono::Utc;
use clap::Subcommand;
use gazette_subscribers::ScheduledRevision;
use serde_json::json;

use crate::config::Config;
use crate::run::open_registry;

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// List every revision held until its publication time, soonest first:
    /// a header line, then one tab-separated line each.
    List {
        /// Print a JSON array instead (docs/cli-json.md gives its shape).
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(config: &Config, command: ScheduleCommand) -> Result<()> {
    let registry = open_registry(config).await?;
    let listed = registry.scheduled().await;
    registry.close().await;
    let held = listed?;
    match command {
        ScheduleCommand::List { json: true } => {
            let described: Vec<_> = held.iter().map(describe).collect();
            say!("{}", serde_json::Value::Array(described));
        }
        ScheduleCommand::List { json: false } => {
            say!("article_id\trevision\tpublished_at\tdue_in_seconds\tstate");
            for item in &held {
                let d = describe(item);
                say!(
                    "{}\t{}\t{}\t{}\t{}",
                    item.article_id,
                    item.revision,
                    d["published_at"].as_str().unwrap_or_default(),
                    d["due_in_seconds"],
                    d["state"].as_str().unwrap_or_default(),
                );
            }
        }
    }
    Ok(())
}

/// One held revision as `--json` prints it (`schemas/cli/cli.schedule-list.v1.json`).
fn describe(item: &ScheduledRevision) -> serde_json::Value {
    let now = Utc::now();
    let due_in = (item.published_at.to_utc() - now).num_seconds();
    // Claimed by a scheduler now: being published. A lapsed claim or one
    // given back means an attempt failed and it waits to be tried again.
    let state = match item.claimed_until {
        Some(until) if until > now && due_in <= 0 => "publishing",
        _ if due_in <= 0 => "overdue",
        _ => "waiting",
    };
    json!({
        "article_id": item.article_id,
        "revision": item.revision,
        "published_at": item.published_at.to_rfc3339(),
        "due_in_seconds": due_in,
        "state": state,
        "attempts": item.claims,
    })
}
