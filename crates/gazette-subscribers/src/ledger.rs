//! The delivery ledger: one row per (subscription, notification), claimed by one worker at a time, so nobody hears of an article twice.
//!
//! A notification's life: `pending` when the fan-out records it, `sending`
//! while one worker holds its lease, then `delivered`, `dropped` (the
//! subscription went away or said 410) or `failed` (retries used up; a
//! replay from the dead-letter queue may claim it again). A worker that
//! dies mid-send leaves a lease that runs out, and the message's next
//! delivery claims it again.

use std::time::Duration;

use sqlx::Row;

use crate::tokens::now;
use crate::{DatabaseError, Subscribers};

/// The answer to "may I send this one?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Yes: the lease is yours until it runs out.
    Won,
    /// Another worker holds a live lease on it.
    Busy,
    /// It is settled; there is nothing to send.
    Finished(Finished),
}

/// How a notification ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    Delivered,
    /// Not sent and never will be: the subscription is gone or disabled.
    Dropped {
        reason: String,
    },
    /// Every attempt failed.
    Failed {
        error: String,
    },
}

impl Finished {
    fn state(&self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Dropped { .. } => "dropped",
            Self::Failed { .. } => "failed",
        }
    }

    fn detail(&self) -> Option<&str> {
        match self {
            Self::Delivered => None,
            Self::Dropped { reason } => Some(reason),
            Self::Failed { error } => Some(error),
        }
    }
}

impl Subscribers {
    /// Records that `subscription` is due notification `key`. Returns
    /// whether it still needs sending: `false` once it is settled, which is
    /// how a replayed or duplicated event stops at the fan-out.
    pub async fn record_due(&self, subscription: &str, key: &str) -> Result<bool, DatabaseError> {
        sqlx::query(
            "INSERT INTO deliveries (subscription_id, notification_key, state, lease_until, attempts, updated_at) \
             VALUES ($1, $2, 'pending', 0, 0, $3) ON CONFLICT DO NOTHING",
        )
        .bind(subscription)
        .bind(key)
        .bind(now())
        .execute(&self.pools.writer)
        .await
        .map_err(DatabaseError::query("recording a due notification"))?;
        let state = self.delivery_state(subscription, key).await?;
        Ok(matches!(
            state.as_deref(),
            Some("pending" | "sending" | "failed")
        ))
    }

    /// Takes the lease on notification `key` for `subscription` for `lease`.
    pub async fn claim(
        &self,
        subscription: &str,
        key: &str,
        lease: Duration,
    ) -> Result<Claim, DatabaseError> {
        let now = now();
        let until = now.saturating_add(i64::try_from(lease.as_secs().max(1)).unwrap_or(i64::MAX));
        // One statement decides: two workers racing for one row cannot both see it claimable.
        let claimed = sqlx::query(
            "UPDATE deliveries SET state = 'sending', lease_until = $1, attempts = attempts + 1, updated_at = $2 \
             WHERE subscription_id = $3 AND notification_key = $4 \
             AND (state IN ('pending', 'failed') OR (state = 'sending' AND lease_until < $2))",
        )
        .bind(until)
        .bind(now)
        .bind(subscription)
        .bind(key)
        .execute(&self.pools.writer)
        .await
        .map_err(DatabaseError::query("claiming a notification"))?;
        if claimed.rows_affected() == 1 {
            return Ok(Claim::Won);
        }
        let row = sqlx::query(
            "SELECT state, last_error FROM deliveries WHERE subscription_id = $1 AND notification_key = $2",
        )
        .bind(subscription)
        .bind(key)
        .fetch_optional(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("reading a notification"))?;
        let Some(row) = row else {
            // Not recorded (its subscription was removed and re-added under
            // the same id is impossible; a hand-made message is not): record, then claim.
            self.record_due(subscription, key).await?;
            return Box::pin(self.claim(subscription, key, lease)).await;
        };
        let read = DatabaseError::query("reading a notification");
        let state: String = row.try_get("state").map_err(read)?;
        let detail: Option<String> = row.try_get("last_error").unwrap_or(None);
        Ok(match state.as_str() {
            "delivered" => Claim::Finished(Finished::Delivered),
            "dropped" => Claim::Finished(Finished::Dropped {
                reason: detail.unwrap_or_default(),
            }),
            _ => Claim::Busy,
        })
    }

    /// Settles a claimed notification.
    pub async fn finish(
        &self,
        subscription: &str,
        key: &str,
        how: &Finished,
    ) -> Result<(), DatabaseError> {
        self.set_state(subscription, key, how.state(), how.detail())
            .await
            .map_err(DatabaseError::query("settling a notification"))
    }

    /// Gives a claimed notification back after a failed attempt, for the next one.
    pub async fn release(
        &self,
        subscription: &str,
        key: &str,
        error: &str,
    ) -> Result<(), DatabaseError> {
        self.set_state(subscription, key, "pending", Some(error))
            .await
            .map_err(DatabaseError::query("releasing a notification"))
    }

    /// Ends the lease with `state`, keeping `detail` for the operator.
    async fn set_state(
        &self,
        subscription: &str,
        key: &str,
        state: &str,
        detail: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE deliveries SET state = $1, last_error = $2, lease_until = 0, updated_at = $3 \
             WHERE subscription_id = $4 AND notification_key = $5",
        )
        .bind(state)
        .bind(detail)
        .bind(now())
        .bind(subscription)
        .bind(key)
        .execute(&self.pools.writer)
        .await
        .map(|_| ())
    }

    /// The state of one notification and its attempts so far, for tools and tests.
    pub async fn delivery(
        &self,
        subscription: &str,
        key: &str,
    ) -> Result<Option<(String, i64)>, DatabaseError> {
        let row = sqlx::query(
            "SELECT state, attempts FROM deliveries WHERE subscription_id = $1 AND notification_key = $2",
        )
        .bind(subscription)
        .bind(key)
        .fetch_optional(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("reading a notification"))?;
        let read = DatabaseError::query("reading a notification");
        row.map(|row| Ok((row.try_get("state")?, row.try_get("attempts")?)))
            .transpose()
            .map_err(read)
    }

    async fn delivery_state(
        &self,
        subscription: &str,
        key: &str,
    ) -> Result<Option<String>, DatabaseError> {
        Ok(self
            .delivery(subscription, key)
            .await?
            .map(|(state, _)| state))
    }
}
