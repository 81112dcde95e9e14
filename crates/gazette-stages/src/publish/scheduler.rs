//! The scheduler: every publish worker polls the registry for held revisions whose time has come, claims each under a lease, puts it live from its archive copies, announces it, and only then lets the registry forget it.
//!
//! Why in the publish worker: going live is publishing (the same registry
//! verdict, page, redirects and announcement as [`super::live::go_live`]),
//! and publish workers are already the replicas that hold the stores, the
//! registry and the right to announce on the events exchange. Each replica
//! runs one scheduler; the registry's conditional claim gives each due
//! revision to exactly one of them (see `gazette-subscribers`'
//! `registry/schedule.rs`).
//!
//! Why polling rather than the broker: RabbitMQ's delayed-message plugin is
//! archived and single-node, and per-message TTLs block behind the head of
//! the queue. A one-second poll of an indexed column keeps the promise of
//! "live within 5 seconds of its time" with room to spare.
//!
//! Delivery: claimed → live → announced (confirmed) → row deleted. A
//! scheduler that dies anywhere before the delete leaves the row to be
//! claimed again when its lease runs out; going live again is idempotent
//! (the registry answers "already the newest") and the announcement has
//! the same event id, so consumers can drop the copy.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use gazette_broker::{BrokerError, BrokerSettings, Disposition, Failure, Outbound, Publisher};
use gazette_contract::ValidatedArticle;
use gazette_site::revision_key;
use gazette_subscribers::{DatabaseError, ScheduledRevision};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::context::PublishContext;
use super::failure::PublishFailure;
use super::live::go_live;

/// How often each scheduler looks for due revisions.
pub const POLL: Duration = Duration::from_secs(1);
/// How long a claim holds a row: far beyond one publication's few
/// requests, so a slow one is not taken over, and short enough that a
/// dead scheduler's revision is still published within the minute.
const LEASE: Duration = Duration::from_secs(30);
/// Revisions claimed per poll; the rest wait for the next poll.
const BATCH: u32 = 32;
/// When a revision that failed for a passing reason is tried again.
const RETRY_SOON: TimeDelta = TimeDelta::seconds(5);
/// When a revision that failed for a lasting reason is tried again: an
/// operator has to act, and the overdue metric and the log say so.
const RETRY_LATER: TimeDelta = TimeDelta::seconds(60);
/// A held revision later than this is logged as an error.
const LATE: TimeDelta = TimeDelta::seconds(60);

pub(crate) const OVERDUE: &str = "gazette_schedule_overdue_seconds";
pub(crate) const RELEASED: &str = "gazette_schedule_released_total";

#[derive(Debug, thiserror::Error)]
enum ReleaseError {
    #[error(transparent)]
    Publish(#[from] PublishFailure),
    #[error(transparent)]
    Broker(#[from] BrokerError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
}

impl ReleaseError {
    fn lasting(&self) -> bool {
        match self {
            Self::Publish(failure) => {
                matches!(failure.disposition(), Disposition::DeadLetter { .. })
            }
            Self::Broker(_) | Self::Database(_) => false,
        }
    }
}

/// Runs until `shutdown`; failures are logged and retried, never fatal,
/// since the publish loop beside it must keep running.
pub(crate) async fn run(
    context: PublishContext,
    broker: BrokerSettings,
    shutdown: CancellationToken,
) -> Result<(), BrokerError> {
    metrics::describe_gauge!(
        OVERDUE,
        metrics::Unit::Seconds,
        "How late the most overdue scheduled revision is (0 when none is due)."
    );
    metrics::describe_counter!(RELEASED, "Scheduled revisions published at their time.");
    metrics::gauge!(OVERDUE).set(0.0);
    metrics::counter!(RELEASED).increment(0);
    let mut publisher: Option<Publisher> = None;
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut late_logged: Option<DateTime<Utc>> = None;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = poll.tick() => {}
        }
        report_overdue(&context, &mut late_logged).await;
        let due = match context.registry.claim_due(Utc::now(), LEASE, BATCH).await {
            Ok(due) => due,
            Err(e) => {
                warn!(error = %e, "the scheduler cannot read the registry; trying again");
                continue;
            }
        };
        for held in due {
            if shutdown.is_cancelled() {
                // Given back at once rather than when the lease runs out.
                let _ = context
                    .registry
                    .retry_scheduled_at(&held.article_id, held.revision, Utc::now())
                    .await;
                continue;
            }
            // A stop does not wait for a slow store or broker: the claim's
            // lease hands an unfinished revision to another scheduler.
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = release(&context, &broker, &mut publisher, &held) => {}
            }
        }
    }
    if let Some(publisher) = publisher {
        publisher.close().await;
    }
    Ok(())
}

/// Sets the overdue gauge, and logs an error when a revision is more than
/// [`LATE`] late (once a minute at most, however many polls see it).
async fn report_overdue(context: &PublishContext, late_logged: &mut Option<DateTime<Utc>>) {
    let now = Utc::now();
    let overdue = match context.registry.next_due().await {
        Ok(Some(due)) if due < now => now - due,
        Ok(_) => TimeDelta::zero(),
        Err(e) => {
            warn!(error = %e, "the scheduler cannot read the registry");
            return;
        }
    };
    metrics::gauge!(OVERDUE).set(overdue.as_seconds_f64());
    if overdue > LATE && late_logged.is_none_or(|at| now - at > TimeDelta::seconds(60)) {
        error!(
            overdue_seconds = overdue.num_seconds(),
            "a scheduled revision is more than 60 s late; see `gazette schedule list` and this worker's log"
        );
        *late_logged = Some(now);
    }
}

/// Publishes one claimed revision and forgets it; on failure gives it back
/// to be tried again.
async fn release(
    context: &PublishContext,
    broker: &BrokerSettings,
    publisher: &mut Option<Publisher>,
    held: &ScheduledRevision,
) {
    let outcome = async {
        let events = live_from_archive(context, held).await?;
        let connected = match publisher {
            Some(connected) => connected,
            None => publisher.insert(Publisher::connect(broker, "scheduler").await?),
        };
        for event in &events {
            connected.offer(event).await?;
        }
        context
            .registry
            .finish_scheduled(&held.article_id, held.revision)
            .await?;
        Ok::<_, ReleaseError>(events)
    }
    .await;
    match outcome {
        Ok(events) => {
            metrics::counter!(RELEASED).increment(1);
            let late_ms = (Utc::now() - held.published_at.to_utc()).num_milliseconds();
            info!(article_id = %held.article_id, revision = held.revision, late_ms, announced = events.len(), "scheduled revision released");
        }
        Err(e) => {
            if matches!(e, ReleaseError::Broker(_)) {
                // A fresh connection next time.
                if let Some(broken) = publisher.take() {
                    broken.close().await;
                }
            }
            let retry = if e.lasting() {
                error!(article_id = %held.article_id, revision = held.revision, error = %e, "a scheduled revision cannot be published; trying again in a minute");
                RETRY_LATER
            } else {
                warn!(article_id = %held.article_id, revision = held.revision, error = %e, "a scheduled revision could not be published yet; trying again");
                RETRY_SOON
            };
            // If this fails too, the lease runs out and it is tried then.
            let _ = context
                .registry
                .retry_scheduled_at(&held.article_id, held.revision, Utc::now() + retry)
                .await;
        }
    }
}

/// The held revision live, from the copies publish put in the archive
/// when it was held; its announcement to send.
async fn live_from_archive(
    context: &PublishContext,
    held: &ScheduledRevision,
) -> Result<Vec<Outbound>, PublishFailure> {
    let archive = &context.stores.archive;
    let read = |extension: &'static str| {
        let key = revision_key(&held.article_id, held.revision, extension);
        async move {
            archive
                .get(&key)
                .await?
                .ok_or_else(|| PublishFailure::Pages(format!("{key} is missing from the archive")))
        }
    };
    let (json, html) = tokio::try_join!(read("json"), read("html"))?;
    let validated: ValidatedArticle =
        serde_json::from_slice(&json).map_err(PublishFailure::CorruptCopy)?;
    go_live(
        context,
        &validated,
        held.page_key.clone(),
        Bytes::from(html),
        &held.correlation_id,
        held.claims > 1,
    )
    .await
}
