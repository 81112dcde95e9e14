//! `gazette dlq`: list, show, replay and purge a stage's dead letters, with filters and dry runs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use gazette_broker::{DeadLetter, DeadLetters};
use serde_json::Value;

use crate::config::Config;
use crate::lookup::{count_arg, duration_arg};
use crate::stage_arg::StageArg;

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead letters: a header line, then one tab-separated line each
    /// (stage, message id, reason, age, article, detail).
    List {
        #[command(flatten)]
        filters: Filters,
        /// Print a JSON array instead (docs/cli-json.md gives its shape).
        #[arg(long)]
        json: bool,
    },
    /// Show one dead letter in full: headers and body.
    Show {
        /// The dead letter's message id, as `gazette dlq list` shows it.
        message_id: String,
        /// Look only in this stage's dead letters; every stage's without it.
        #[arg(long, value_enum)]
        stage: Option<StageArg>,
    },
    /// Send matching dead letters back to their stage's queue, keeping their message ids.
    Replay {
        #[command(flatten)]
        filters: Filters,
        /// Messages per second, so a replay cannot flood a stage that just recovered.
        #[arg(long, default_value_t = 10, value_parser = count_arg::<u32>)]
        rate: u32,
        /// Say what would be replayed, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete matching dead letters for good.
    Purge {
        #[command(flatten)]
        filters: Filters,
        /// Required when no filter is given: purge everything in the chosen stages.
        #[arg(long)]
        all: bool,
        /// Say what would be purged, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct Filters {
    /// Only this stage's dead letters (default: every stage).
    #[arg(long, value_enum)]
    stage: Option<StageArg>,
    /// Only letters with this reason (invalid-json, schema, retries-exhausted, ...).
    #[arg(long)]
    reason: Option<String>,
    /// Only letters about this article id.
    #[arg(long)]
    article: Option<String>,
    /// Only letters dead-lettered at least this long ago (30s, 10m, 2h).
    #[arg(long, value_parser = duration_arg)]
    older_than: Option<Duration>,
    /// Look at no more than this many letters per stage.
    #[arg(long, default_value_t = 10_000, value_parser = count_arg::<usize>)]
    limit: usize,
}

impl Filters {
    fn is_empty(&self) -> bool {
        self.reason.is_none() && self.article.is_none() && self.older_than.is_none()
    }

    fn matches(&self, letter: &DeadLetter, now: u64) -> bool {
        self.reason.as_ref().is_none_or(|r| *r == letter.reason)
            && self
                .article
                .as_ref()
                .is_none_or(|a| article_id(letter).as_deref() == Some(a.as_str()))
            && self.older_than.is_none_or(|age| {
                age_seconds(letter, now).is_some_and(|seconds| seconds >= age.as_secs())
            })
    }

    /// The chosen stage, or every stage there is (the indexer and the
    /// notifier's two included): a letter nobody lists is a letter lost.
    fn stages(&self) -> Vec<&'static gazette_stages::Stage> {
        self.stage
            .map_or_else(|| gazette_stages::STAGES.iter().collect(), |s| vec![s.0])
    }
}

pub async fn run(config: &Config, command: DlqCommand) -> Result<()> {
    match command {
        DlqCommand::List {
            filters,
            json: false,
        } => {
            say!("stage\tmessage_id\treason\tage\tarticle_id\tdetail");
            each_match(config, &filters, |letter| {
                say!("{}", summary(letter));
                Action::Keep
            })
            .await?;
        }
        DlqCommand::List {
            filters,
            json: true,
        } => {
            let mut letters = Vec::new();
            each_match(config, &filters, |letter| {
                letters.push(as_json(letter));
                Action::Keep
            })
            .await?;
            say!("{}", serde_json::Value::Array(letters));
        }
        DlqCommand::Show { message_id, stage } => {
            let filters = Filters {
                stage,
                reason: None,
                article: None,
                older_than: None,
                limit: 10_000,
            };
            let mut found = false;
            each_match(config, &filters, |letter| {
                if letter.message_id.as_deref() == Some(message_id.as_str()) {
                    found = true;
                    print_full(letter);
                }
                Action::Keep
            })
            .await?;
            if !found {
                bail!("no dead letter has message id {message_id}");
            }
        }
        DlqCommand::Replay {
            filters,
            rate,
            dry_run,
        } => {
            let pause = Duration::from_secs_f64(1.0 / f64::from(rate));
            let count = each_match(config, &filters, |letter| {
                say!(
                    "{} {}",
                    if dry_run { "would replay" } else { "replaying" },
                    summary(letter)
                );
                if dry_run {
                    Action::Keep
                } else {
                    Action::Replay(pause)
                }
            })
            .await?;
            say!(
                "{count} dead letters {}",
                if dry_run {
                    "would be replayed"
                } else {
                    "replayed"
                }
            );
        }
        DlqCommand::Purge {
            filters,
            all,
            dry_run,
        } => {
            if filters.is_empty() && !all {
                bail!("purge needs a filter (--reason, --article, --older-than) or --all");
            }
            let count = each_match(config, &filters, |letter| {
                say!(
                    "{} {}",
                    if dry_run { "would purge" } else { "purging" },
                    summary(letter)
                );
                if dry_run { Action::Keep } else { Action::Purge }
            })
            .await?;
            say!(
                "{count} dead letters {}",
                if dry_run { "would be purged" } else { "purged" }
            );
        }
    }
    Ok(())
}

enum Action {
    Keep,
    Replay(Duration),
    Purge,
}

/// Runs `decide` on every matching letter of the chosen stages and carries
/// out its decision; returns how many matched. Unmatched and kept letters
/// return to their queue when each stage's session is released.
async fn each_match(
    config: &Config,
    filters: &Filters,
    mut decide: impl FnMut(&DeadLetter) -> Action,
) -> Result<usize> {
    let now = unix_now();
    let mut matched = 0;
    for stage in filters.stages() {
        let session = DeadLetters::open(&config.broker, &stage.spec)
            .await
            .context("check GAZETTE_AMQP_URL and that RabbitMQ is running")?;
        let outcome = async {
            for letter in session.take(filters.limit).await? {
                if !filters.matches(&letter, now) {
                    continue;
                }
                matched += 1;
                match decide(&letter) {
                    Action::Keep => {}
                    Action::Purge => session.purge(&letter).await?,
                    Action::Replay(pause) => {
                        session.replay(&letter).await?;
                        tokio::time::sleep(pause).await;
                    }
                }
            }
            Ok::<_, anyhow::Error>(())
        }
        .await;
        session.release().await;
        outcome?;
    }
    Ok(matched)
}

/// The article a letter is about: the CloudEvents subject, or the article's own id.
fn article_id(letter: &DeadLetter) -> Option<String> {
    let event: Value = serde_json::from_slice(&letter.body).ok()?;
    event
        .get("subject")
        .or_else(|| event.pointer("/data/id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn summary(letter: &DeadLetter) -> String {
    let age = age_seconds(letter, unix_now()).map_or_else(|| "?".to_owned(), |s| format!("{s}s"));
    let detail: String = letter.detail.chars().take(120).collect();
    format!(
        "{}\t{}\t{}\t{age}\t{}\t{detail}",
        letter.stage,
        letter.message_id.as_deref().unwrap_or("-"),
        letter.reason,
        article_id(letter).as_deref().unwrap_or("-"),
    )
}

/// One letter for `dlq list --json`; `age_seconds` is null when the
/// broker recorded no time.
fn as_json(letter: &DeadLetter) -> serde_json::Value {
    serde_json::json!({
        "stage": letter.stage,
        "message_id": letter.message_id,
        "reason": letter.reason,
        "age_seconds": age_seconds(letter, unix_now()),
        "article_id": article_id(letter),
        "detail": letter.detail,
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Seconds since `letter` was dead-lettered; none when the broker recorded no time.
fn age_seconds(letter: &DeadLetter, now: u64) -> Option<u64> {
    letter.timestamp.map(|t| now.saturating_sub(t))
}

fn print_full(letter: &DeadLetter) {
    say!(
        "stage: {}\nmessage id: {}\nreason: {}",
        letter.stage,
        letter.message_id.as_deref().unwrap_or("-"),
        letter.reason
    );
    for (name, value) in &letter.headers {
        say!("header {name}: {value}");
    }
    match serde_json::from_slice::<Value>(&letter.body) {
        Ok(json) => say!(
            "body:\n{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        ),
        Err(_) => say!(
            "body ({} bytes, not JSON):\n{}",
            letter.body.len(),
            String::from_utf8_lossy(&letter.body)
        ),
    }
}
