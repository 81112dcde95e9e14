//! Scheduled publishing in the registry: a revision dated in the future is held here until its time, claimed by one scheduler under a lease, and removed once its announcement is confirmed.
//!
//! Invariants, kept by the database:
//! - **One schedule per article**, for its newest held revision: a newer
//!   revision replaces it (to another time or to now), an older one never
//!   does, and a withdrawal deletes it and withdraws its revision too.
//! - **One scheduler at a time per row.** A claim is one conditional
//!   `UPDATE … WHERE claimed_until IS NULL OR claimed_until < now`: of
//!   several replicas polling at once exactly one sees a row affected. A
//!   claim is a lease: a scheduler that dies holding it leaves the row to
//!   be claimed again when the lease has run out, so nothing is missed.
//! - **Deleted last.** The row goes only when the scheduler's announcement
//!   is confirmed ([`Registry::finish_scheduled`]), or when a newer revision
//!   goes live or the article is withdrawn.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::Registry;
use super::rows::{column, record_and_lock, to_i64, to_u64};
use crate::DatabaseError;
use crate::tokens::now;

/// One held revision, as the scheduler and `gazette schedule list` see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledRevision {
    pub article_id: String,
    pub revision: u64,
    /// The revision's own `published_at`, with the offset the CMS gave.
    pub published_at: DateTime<FixedOffset>,
    pub page_key: String,
    /// The submission it came from, handed on to `article.published`.
    pub correlation_id: String,
    /// Held by a scheduler until then.
    pub claimed_until: Option<DateTime<Utc>>,
    /// How often a scheduler took it; more than one means one failed or died.
    pub claims: u64,
}

/// The answer to "hold this revision until its time?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// Held (newly, or already: a redelivery); announce `article.scheduled`.
    Held,
    /// This revision is live already (its scheduler ran first): carry on
    /// as a redelivery of a live revision.
    Live,
    /// A newer revision is live or held.
    Stale {
        newest: u64,
    },
    Withdrawn {
        through: u64,
    },
}

/// The answer to "take this article down".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Takedown {
    /// It was public; its keys must leave the public store.
    Live(super::ArticleState),
    /// Only a held revision existed: nothing was ever public, and now
    /// nothing will be.
    ScheduledOnly { revision: u64 },
    /// No revision was ever published or held.
    Unknown,
}

const SCHEDULE_COLUMNS: &str =
    "article_id, revision, published_at, page_key, correlation_id, claimed_until, claims";

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn scheduled_from_row(row: &sqlx::any::AnyRow) -> Result<ScheduledRevision, DatabaseError> {
    let published_at: String = column(row, "published_at")?;
    let published_at =
        DateTime::parse_from_rfc3339(&published_at).map_err(|e| DatabaseError::Query {
            doing: "reading a scheduled revision's time",
            detail: format!("{published_at:?}: {e}"),
        })?;
    let claimed_until: Option<i64> = column(row, "claimed_until")?;
    Ok(ScheduledRevision {
        article_id: column(row, "article_id")?,
        revision: to_u64(column(row, "revision")?),
        published_at,
        page_key: column(row, "page_key")?,
        correlation_id: column(row, "correlation_id")?,
        claimed_until: claimed_until.map(from_millis),
        claims: to_u64(column(row, "claims")?),
    })
}

impl Registry {
    /// Holds `revision` until `published_at`, unless something newer or a
    /// withdrawal stands in the way. An article already live stays as it
    /// is until then: a held revision of a live article is a scheduled
    /// update.
    pub async fn hold_until(
        &self,
        article_id: &str,
        revision: u64,
        key: &str,
        published_at: DateTime<FixedOffset>,
        correlation_id: &str,
    ) -> Result<Hold, DatabaseError> {
        let failed = DatabaseError::query;
        let mut tx = self.pools.begin_write().await?;
        let current = record_and_lock(&mut tx, article_id).await?;
        if let Some(w) = current.withdrawn.as_ref().filter(|w| revision <= w.through) {
            return Ok(Hold::Withdrawn { through: w.through });
        }
        if revision < current.revision {
            return Ok(Hold::Stale {
                newest: current.revision,
            });
        }
        if revision == current.revision {
            return Ok(Hold::Live);
        }
        let held: Option<i64> =
            sqlx::query_scalar("SELECT revision FROM schedule WHERE article_id = $1")
                .bind(article_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(failed("reading an article's schedule"))?;
        match held.map(to_u64) {
            Some(newest) if newest > revision => return Ok(Hold::Stale { newest }),
            // A redelivery: the row stands as it is, claim included.
            Some(same) if same == revision => return Ok(Hold::Held),
            Some(_) => {
                sqlx::query("DELETE FROM schedule WHERE article_id = $1")
                    .bind(article_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed("replacing an article's schedule"))?;
            }
            None => {}
        }
        sqlx::query(
            "INSERT INTO schedule (article_id, revision, due_at, published_at, page_key, \
             correlation_id, claimed_until, claims, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL, 0, $7)",
        )
        .bind(article_id)
        .bind(to_i64(revision))
        .bind(millis(published_at.with_timezone(&Utc)))
        .bind(published_at.to_rfc3339())
        .bind(key)
        .bind(correlation_id)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(failed("scheduling a revision"))?;
        tx.commit().await.map_err(failed("committing a schedule"))?;
        Ok(Hold::Held)
    }

    /// Claims up to `limit` revisions due by `at` that no live lease holds,
    /// each until `at + lease`. Several schedulers may call this at once:
    /// each row goes to exactly one of them.
    pub async fn claim_due(
        &self,
        at: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<ScheduledRevision>, DatabaseError> {
        let failed = DatabaseError::query;
        let now_ms = millis(at);
        let until = now_ms.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let candidates: Vec<(String, i64)> = sqlx::query_as(
            "SELECT article_id, revision FROM schedule \
             WHERE due_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1) \
             ORDER BY due_at LIMIT $2",
        )
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pools.pool)
        .await
        .map_err(failed("finding due revisions"))?;
        let mut claimed = Vec::with_capacity(candidates.len());
        for (article_id, revision) in candidates {
            let taken = sqlx::query(
                "UPDATE schedule SET claimed_until = $3, claims = claims + 1 \
                 WHERE article_id = $1 AND revision = $2 AND due_at <= $4 \
                 AND (claimed_until IS NULL OR claimed_until < $4)",
            )
            .bind(&article_id)
            .bind(revision)
            .bind(until)
            .bind(now_ms)
            .execute(&self.pools.writer)
            .await
            .map_err(failed("claiming a due revision"))?
            .rows_affected()
                == 1;
            if !taken {
                // Another scheduler's, or replaced meanwhile.
                continue;
            }
            let row = sqlx::query(&format!(
                "SELECT {SCHEDULE_COLUMNS} FROM schedule WHERE article_id = $1 AND revision = $2"
            ))
            .bind(&article_id)
            .bind(revision)
            .fetch_optional(&self.pools.pool)
            .await
            .map_err(failed("reading a claimed revision"))?;
            if let Some(row) = row {
                claimed.push(scheduled_from_row(&row)?);
            }
        }
        Ok(claimed)
    }

    /// The held revision is announced: its schedule is done.
    pub async fn finish_scheduled(
        &self,
        article_id: &str,
        revision: u64,
    ) -> Result<(), DatabaseError> {
        sqlx::query("DELETE FROM schedule WHERE article_id = $1 AND revision = $2")
            .bind(article_id)
            .bind(to_i64(revision))
            .execute(&self.pools.writer)
            .await
            .map(|_| ())
            .map_err(DatabaseError::query("finishing a schedule"))
    }

    /// A claimed revision could not be published now: any scheduler may
    /// try it again from `retry_at`, instead of when the lease runs out.
    pub async fn retry_scheduled_at(
        &self,
        article_id: &str,
        revision: u64,
        retry_at: DateTime<Utc>,
    ) -> Result<(), DatabaseError> {
        sqlx::query(
            "UPDATE schedule SET claimed_until = $3 WHERE article_id = $1 AND revision = $2",
        )
        .bind(article_id)
        .bind(to_i64(revision))
        .bind(millis(retry_at))
        .execute(&self.pools.writer)
        .await
        .map(|_| ())
        .map_err(DatabaseError::query("postponing a scheduled revision"))
    }

    /// Every held revision, soonest first.
    pub async fn scheduled(&self) -> Result<Vec<ScheduledRevision>, DatabaseError> {
        let rows = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLUMNS} FROM schedule ORDER BY due_at, article_id"
        ))
        .fetch_all(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("listing scheduled revisions"))?;
        rows.iter().map(scheduled_from_row).collect()
    }

    /// When the soonest held revision is due; `None` when nothing is held.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, DatabaseError> {
        let soonest: Option<i64> = sqlx::query_scalar("SELECT MIN(due_at) FROM schedule")
            .fetch_one(&self.pools.pool)
            .await
            .map_err(DatabaseError::query("reading the next due revision"))?;
        Ok(soonest.map(from_millis))
    }
}

/// Inside a withdrawal's transaction: deletes the article's schedule and
/// says which revision it held.
pub(super) async fn cancel_schedule(
    connection: &mut sqlx::AnyConnection,
    article_id: &str,
) -> Result<Option<u64>, DatabaseError> {
    let held: Option<i64> =
        sqlx::query_scalar("SELECT revision FROM schedule WHERE article_id = $1")
            .bind(article_id)
            .fetch_optional(&mut *connection)
            .await
            .map_err(DatabaseError::query("reading an article's schedule"))?;
    if held.is_some() {
        sqlx::query("DELETE FROM schedule WHERE article_id = $1")
            .bind(article_id)
            .execute(&mut *connection)
            .await
            .map_err(DatabaseError::query("cancelling a schedule"))?;
    }
    Ok(held.map(to_u64))
}

/// Inside an advance's transaction: `revision` goes live, so every older
/// held revision is moot, and so is this one's own schedule unless a
/// scheduler holds it (that scheduler announces it and then deletes it).
pub(super) async fn supersede_schedule(
    connection: &mut sqlx::AnyConnection,
    article_id: &str,
    revision: u64,
) -> Result<(), DatabaseError> {
    sqlx::query(
        "DELETE FROM schedule WHERE article_id = $1 \
         AND (revision < $2 OR (revision = $2 AND claimed_until IS NULL))",
    )
    .bind(article_id)
    .bind(to_i64(revision))
    .execute(&mut *connection)
    .await
    .map(|_| ())
    .map_err(DatabaseError::query("retiring a schedule"))
}
