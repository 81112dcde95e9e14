//! Subscriptions: webhook endpoints with their secrets, email addresses with double opt-in, and the tokens that confirm and end them.

use std::collections::BTreeSet;
use std::time::Duration;

use gazette_webhooks::Secret;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::tokens::{new_id, new_token, now};
use crate::{DatabaseError, Subscribers};

/// Where a subscription's notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    Webhook { url: String },
    Email { address: String },
}

impl Channel {
    /// `webhook` or `email`, as stored and as listed.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Webhook { .. } => "webhook",
            Self::Email { .. } => "email",
        }
    }

    /// The URL or the address.
    pub fn target(&self) -> &str {
        match self {
            Self::Webhook { url } => url,
            Self::Email { address } => address,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// An email address that has not confirmed yet: it receives nothing.
    Pending,
    Active,
    /// Switched off (the endpoint answered 410, or it was unsubscribed).
    Disabled {
        reason: String,
    },
}

/// `pending`, `active`, or `disabled: <reason>`.
impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pending => f.write_str("pending"),
            Self::Active => f.write_str("active"),
            Self::Disabled { reason } => write!(f, "disabled: {reason}"),
        }
    }
}

/// One subscription, as stored.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub channel: Channel,
    /// Category slugs; empty means every category.
    pub categories: Vec<String>,
    pub status: Status,
    /// Unix seconds.
    pub created_at: i64,
    /// The current secret, then the previous one while its overlap lasts.
    secrets: Vec<Secret>,
    unsubscribe_token: String,
}

impl Subscription {
    /// Whether an article of `category` concerns this subscriber.
    pub fn covers(&self, category: &str) -> bool {
        self.categories.is_empty() || self.categories.iter().any(|c| c == category)
    }

    /// The secrets to sign with: two during a rotation.
    pub fn signing_secrets(&self) -> &[Secret] {
        &self.secrets
    }

    /// The token of this subscription's unsubscribe link.
    pub fn unsubscribe_token(&self) -> &str {
        &self.unsubscribe_token
    }

    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }
}

/// What asking for an email subscription led to.
#[derive(Debug, Clone)]
pub enum EmailRequest {
    /// A confirmation mail should go out with this token (new, or still unconfirmed).
    Confirm(NewEmail),
    /// The address is already subscribed; nothing to send.
    AlreadyActive,
    /// A confirmation went to this address less than `resend_after` ago;
    /// nothing to send, so the form cannot flood a stranger's mailbox.
    RecentlyAsked,
}

/// What asking for a webhook endpoint led to.
#[derive(Debug, Clone)]
pub enum WebhookAdded {
    /// A new subscription, and its secret, shown to the caller once.
    New(Subscription, Secret),
    /// An active subscription already sends this endpoint the same
    /// categories: nothing added. Adding it twice would deliver every
    /// article twice, each signed with a different secret.
    Exists(Subscription),
}

#[derive(Debug, Clone)]
pub struct NewEmail {
    pub subscription: Subscription,
    pub confirm_token: String,
}

const COLUMNS: &str = "id, kind, target, categories, status, secret, previous_secret, previous_secret_until, unsubscribe_token, disabled_reason, created_at";

impl Subscribers {
    /// A new, active webhook endpoint and its secret, shown to the caller
    /// once; or the active one that already sends `url` the same
    /// categories (in any order). The check is for a person repeating a
    /// command, not a constraint: two adds racing may both insert.
    pub async fn add_webhook(
        &self,
        url: &str,
        categories: &[String],
    ) -> Result<WebhookAdded, DatabaseError> {
        let as_set =
            |categories: &[String]| -> BTreeSet<String> { categories.iter().cloned().collect() };
        let wanted = as_set(categories);
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions \
             WHERE kind = 'webhook' AND target = $1 AND status = 'active'"
        ))
        .bind(url)
        .fetch_all(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("looking for the same webhook"))?;
        for row in &rows {
            let subscription = from_row(row)?;
            if as_set(&subscription.categories) == wanted {
                return Ok(WebhookAdded::Exists(subscription));
            }
        }
        let secret = Secret::generate();
        let id = new_id("sub");
        sqlx::query(
            "INSERT INTO subscriptions (id, kind, target, categories, status, secret, unsubscribe_token, created_at) \
             VALUES ($1, 'webhook', $2, $3, 'active', $4, $5, $6)",
        )
        .bind(&id)
        .bind(url)
        .bind(categories.join(","))
        .bind(secret.reveal())
        .bind(new_token())
        .bind(now())
        .execute(&self.pools.writer)
        .await
        .map_err(DatabaseError::query("adding a webhook"))?;
        let subscription = self.get(&id).await?.ok_or_else(|| DatabaseError::Query {
            doing: "adding a webhook",
            detail: "the new row is not there".to_owned(),
        })?;
        Ok(WebhookAdded::New(subscription, secret))
    }

    /// Records an email address as pending (double opt-in). Asking again
    /// for an unconfirmed address issues a fresh confirmation token, but not
    /// within `resend_after` of the last one.
    pub async fn request_email(
        &self,
        address: &str,
        categories: &[String],
        resend_after: Duration,
    ) -> Result<EmailRequest, DatabaseError> {
        let token = new_token();
        let existing = self.find_email(address).await?;
        let id = match existing {
            Some(s) if s.status == Status::Active => return Ok(EmailRequest::AlreadyActive),
            Some(s) => {
                let quiet_since =
                    now().saturating_sub(i64::try_from(resend_after.as_secs()).unwrap_or(i64::MAX));
                // One statement decides, so two requests racing cannot both send.
                let renewed = sqlx::query(
                    "UPDATE subscriptions SET status = 'pending', confirm_token = $1, categories = $2, \
                     disabled_reason = NULL, confirm_sent_at = $3 \
                     WHERE id = $4 AND (confirm_sent_at IS NULL OR confirm_sent_at <= $5)",
                )
                .bind(&token)
                .bind(categories.join(","))
                .bind(now())
                .bind(&s.id)
                .bind(quiet_since)
                .execute(&self.pools.writer)
                .await
                .map_err(DatabaseError::query("renewing an email request"))?;
                if renewed.rows_affected() == 0 {
                    return Ok(EmailRequest::RecentlyAsked);
                }
                s.id
            }
            None => {
                let id = new_id("sub");
                // Two requests racing for one address: the unique index lets one in.
                sqlx::query(
                    "INSERT INTO subscriptions (id, kind, target, categories, status, confirm_token, unsubscribe_token, created_at, confirm_sent_at) \
                     VALUES ($1, 'email', $2, $3, 'pending', $4, $5, $6, $6) ON CONFLICT DO NOTHING",
                )
                .bind(&id)
                .bind(address)
                .bind(categories.join(","))
                .bind(&token)
                .bind(new_token())
                .bind(now())
                .execute(&self.pools.writer)
                .await
                .map_err(DatabaseError::query("recording an email request"))?;
                id
            }
        };
        match self.get(&id).await? {
            Some(subscription) => Ok(EmailRequest::Confirm(NewEmail {
                subscription,
                confirm_token: token,
            })),
            // Lost the race above to a request for the same address.
            None => Ok(EmailRequest::AlreadyActive),
        }
    }

    /// Activates the pending subscription holding `token`; the token works once.
    pub async fn confirm_email(&self, token: &str) -> Result<Option<Subscription>, DatabaseError> {
        let row = sqlx::query(
            "SELECT id FROM subscriptions WHERE confirm_token = $1 AND status = 'pending'",
        )
        .bind(token)
        .fetch_optional(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("looking up a confirmation"))?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row
            .try_get("id")
            .map_err(DatabaseError::query("reading a confirmation"))?;
        sqlx::query(
            "UPDATE subscriptions SET status = 'active', confirm_token = NULL WHERE id = $1",
        )
        .bind(&id)
        .execute(&self.pools.writer)
        .await
        .map_err(DatabaseError::query("confirming an email"))?;
        self.get(&id).await
    }

    /// Ends the subscription holding `token`. The row stays, disabled, so a
    /// notification already on its way is dropped instead of sent.
    pub async fn unsubscribe(&self, token: &str) -> Result<Option<Subscription>, DatabaseError> {
        let row = sqlx::query("SELECT id FROM subscriptions WHERE unsubscribe_token = $1")
            .bind(token)
            .fetch_optional(&self.pools.pool)
            .await
            .map_err(DatabaseError::query("looking up an unsubscribe token"))?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row
            .try_get("id")
            .map_err(DatabaseError::query("reading an unsubscribe token"))?;
        self.disable(&id, "unsubscribed").await?;
        self.get(&id).await
    }

    /// Stops notifications to `id`, saying why.
    pub async fn disable(&self, id: &str, reason: &str) -> Result<(), DatabaseError> {
        sqlx::query(
            "UPDATE subscriptions SET status = 'disabled', disabled_reason = $1 WHERE id = $2",
        )
        .bind(reason)
        .bind(id)
        .execute(&self.pools.writer)
        .await
        .map(|_| ())
        .map_err(DatabaseError::query("disabling a subscription"))
    }

    /// Deletes a subscription and its delivery records; `false` if there was none.
    pub async fn remove(&self, id: &str) -> Result<bool, DatabaseError> {
        sqlx::query("DELETE FROM deliveries WHERE subscription_id = $1")
            .bind(id)
            .execute(&self.pools.writer)
            .await
            .map_err(DatabaseError::query("removing deliveries"))?;
        let deleted = sqlx::query("DELETE FROM subscriptions WHERE id = $1")
            .bind(id)
            .execute(&self.pools.writer)
            .await
            .map_err(DatabaseError::query("removing a subscription"))?;
        Ok(deleted.rows_affected() > 0)
    }

    /// A new secret for webhook `id`. The old one keeps signing beside it
    /// for `overlap`, so the receiver can switch without losing a message.
    pub async fn rotate_secret(
        &self,
        id: &str,
        overlap: Duration,
    ) -> Result<Option<Secret>, DatabaseError> {
        let secret = Secret::generate();
        let until = now().saturating_add(i64::try_from(overlap.as_secs()).unwrap_or(i64::MAX));
        let updated = sqlx::query(
            "UPDATE subscriptions SET previous_secret = secret, previous_secret_until = $1, secret = $2 \
             WHERE id = $3 AND kind = 'webhook'",
        )
        .bind(until)
        .bind(secret.reveal())
        .bind(id)
        .execute(&self.pools.writer)
        .await
        .map_err(DatabaseError::query("rotating a secret"))?;
        Ok((updated.rows_affected() > 0).then_some(secret))
    }

    pub async fn get(&self, id: &str) -> Result<Option<Subscription>, DatabaseError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("reading a subscription"))?;
        row.map(|row| from_row(&row)).transpose()
    }

    /// Every subscription, oldest first.
    pub async fn list(&self) -> Result<Vec<Subscription>, DatabaseError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions ORDER BY created_at, id"
        ))
        .fetch_all(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("listing subscriptions"))?;
        rows.iter().map(from_row).collect()
    }

    /// The active subscriptions an article of `category` concerns.
    ///
    /// Categories are filtered here rather than in SQL: a district portal
    /// has hundreds or thousands of subscribers, one read per article.
    pub async fn active_for(&self, category: &str) -> Result<Vec<Subscription>, DatabaseError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE status = 'active' ORDER BY id"
        ))
        .fetch_all(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("finding subscribers"))?;
        let all: Vec<Subscription> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
        Ok(all.into_iter().filter(|s| s.covers(category)).collect())
    }

    async fn find_email(&self, address: &str) -> Result<Option<Subscription>, DatabaseError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE kind = 'email' AND LOWER(target) = LOWER($1)"
        ))
        .bind(address)
        .fetch_optional(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("looking up an address"))?;
        row.map(|row| from_row(&row)).transpose()
    }
}

fn from_row(row: &AnyRow) -> Result<Subscription, DatabaseError> {
    let read = DatabaseError::query("reading a subscription");
    let get_text = |name: &str| row.try_get::<String, _>(name);
    let get_optional = |name: &str| row.try_get::<Option<String>, _>(name);
    let decoded = (|| -> Result<Subscription, sqlx::Error> {
        let kind = get_text("kind")?;
        let target = get_text("target")?;
        let channel = if kind == "email" {
            Channel::Email { address: target }
        } else {
            Channel::Webhook { url: target }
        };
        let status = match get_text("status")?.as_str() {
            "active" => Status::Active,
            "pending" => Status::Pending,
            _ => Status::Disabled {
                reason: get_optional("disabled_reason")?.unwrap_or_default(),
            },
        };
        let mut secrets = Vec::new();
        if let Some(secret) = get_optional("secret")?.and_then(|s| Secret::parse(&s).ok()) {
            secrets.push(secret);
        }
        let previous_until = row
            .try_get::<Option<i64>, _>("previous_secret_until")?
            .unwrap_or(0);
        if previous_until > now() {
            if let Some(previous) =
                get_optional("previous_secret")?.and_then(|s| Secret::parse(&s).ok())
            {
                secrets.push(previous);
            }
        }
        Ok(Subscription {
            id: get_text("id")?,
            channel,
            categories: get_text("categories")?
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            status,
            created_at: row.try_get::<i64, _>("created_at")?,
            secrets,
            unsubscribe_token: get_text("unsubscribe_token")?,
        })
    })();
    decoded.map_err(read)
}
