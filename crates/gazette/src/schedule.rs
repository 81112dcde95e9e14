//! `gazette schedule`: what the registry holds for later (scheduled publishing), soonest first.

use anyhow::Result;
use chrono::{DateTime, Utc};
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
            let now = Utc::now();
            for item in &held {
                let (due_in, state) = timing(item, now);
                say!(
                    "{}\t{}\t{}\t{due_in}\t{state}",
                    item.article_id,
                    item.revision,
                    item.published_at.to_rfc3339(),
                );
            }
        }
    }
    Ok(())
}

/// Seconds until it is due (negative once due), and its state: claimed by
/// a scheduler now, it is being published; due and unclaimed (a lapsed or
/// given-back claim), an attempt failed and it waits to be tried again.
fn timing(item: &ScheduledRevision, now: DateTime<Utc>) -> (i64, &'static str) {
    let due_in = (item.published_at.to_utc() - now).num_seconds();
    let state = match item.claimed_until {
        Some(until) if until > now && due_in <= 0 => "publishing",
        _ if due_in <= 0 => "overdue",
        _ => "waiting",
    };
    (due_in, state)
}

/// One held revision as `--json` prints it (`schemas/cli/cli.schedule-list.v1.json`).
fn describe(item: &ScheduledRevision) -> serde_json::Value {
    let (due_in, state) = timing(item, Utc::now());
    json!({
        "article_id": item.article_id,
        "revision": item.revision,
        "published_at": item.published_at.to_rfc3339(),
        "due_in_seconds": due_in,
        "state": state,
        "attempts": item.claims,
    })
}
