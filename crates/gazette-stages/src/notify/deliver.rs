//! The `deliver` stage: one attempt at one notification, under a lease in the ledger; the outcome decides delivered, dropped, retried later or dead-lettered.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gazette_broker::{Disposition, Failure, Handler, Inbound, Outbound};
use gazette_contract::{Envelope, EventType, Published, Schemas};
use gazette_email::{ArticleNotice, Mailer, notification};
use gazette_subscribers::{
    Channel, Claim, DatabaseError, Finished, Status, Subscribers, Subscription,
};
use gazette_text::portal_datetime;
use gazette_webhooks::{Outcome, SendError, WebhookClient, classify, payload, sign, webhook_id};
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::{info, warn};

/// Requests one webhook endpoint may have open from one worker. The
/// deliver loop runs many at once; without a cap, a burst of notifications
/// for one hung endpoint would fill every slot and make everyone else wait
/// for its timeouts.
const REQUESTS_PER_ENDPOINT: usize = 4;

/// Deliveries one worker has open at once, at least: the stage table's
/// floor. With [`REQUESTS_PER_ENDPOINT`] a hung endpoint holds 4 of 64.
pub const DELIVER_CONCURRENCY: u16 = 64;
const _: () = assert!(REQUESTS_PER_ENDPOINT * 8 <= DELIVER_CONCURRENCY as usize);
/// How long a notification whose endpoint is saturated waits before it
/// looks again (rounded up to a delay queue); it costs no attempt.
const SATURATED_ENDPOINT_WAIT: Duration = Duration::from_secs(1);

use super::Due;
use crate::wire::{MalformedEvent, parse_body, read_announcement};

#[derive(Debug, thiserror::Error)]
pub enum DeliverFailure {
    #[error("notification cannot be decoded: {0}")]
    Malformed(serde_json::Error),
    #[error(transparent)]
    MalformedEvent(#[from] MalformedEvent),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("another worker is sending this notification")]
    Busy,
    #[error("the endpoint already has {REQUESTS_PER_ENDPOINT} requests open from this worker")]
    EndpointSaturated,
    /// The endpoint or the mail server failed this time.
    #[error("attempt failed: {error}")]
    Attempt {
        error: String,
        retry_after: Option<Duration>,
    },
    #[error("{0}")]
    Blocked(String),
    #[error("{0}")]
    MailRefused(String),
    #[error("an email subscriber is due a notification but GAZETTE_SMTP_URL is not set")]
    NoMailer,
}

impl Failure for DeliverFailure {
    fn disposition(&self) -> Disposition {
        match self {
            Self::Malformed(_) | Self::MalformedEvent(_) => Disposition::DeadLetter {
                reason: "malformed-notification",
            },
            Self::Database(_) | Self::Busy => Disposition::Retry,
            Self::EndpointSaturated => Disposition::Defer(SATURATED_ENDPOINT_WAIT),
            Self::Attempt {
                retry_after: Some(wait),
                ..
            } => Disposition::RetryAfter(*wait),
            Self::Attempt { .. } => Disposition::Retry,
            // Retrying would meet the same refusal; an operator who allows
            // the range (or fixes the address) replays the dead letter.
            Self::Blocked(_) => Disposition::DeadLetter {
                reason: "blocked-address",
            },
            Self::MailRefused(_) => Disposition::DeadLetter {
                reason: "mail-refused",
            },
            Self::NoMailer => Disposition::DeadLetter {
                reason: "smtp-unset",
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct DeliverSettings {
    pub site_name: String,
    pub time_zone: chrono_tz::Tz,
    /// Where the subscription API answers, for unsubscribe links.
    pub api_url: String,
    /// Attempts in all; the last failure settles the notification as failed.
    pub max_attempts: u32,
    /// How long a claim keeps other workers off a notification: longer
    /// than one attempt can take.
    pub lease: Duration,
    /// The retry clock's compression (1 in production), applied to an
    /// endpoint's `Retry-After` as to the schedule.
    pub clock_factor: u32,
}

#[derive(Debug)]
pub struct DeliverStage {
    /// The event inside a notification is checked again before it is sent.
    schemas: Schemas,
    subscribers: Subscribers,
    webhooks: WebhookClient,
    mailer: Option<Mailer>,
    settings: DeliverSettings,
    /// Per webhook subscription: its open requests from this worker.
    endpoints: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// What one attempt came to.
enum Attempted {
    Delivered,
    /// The endpoint said 410: the subscriber switched it off.
    Gone,
}

impl DeliverStage {
    pub fn new(
        subscribers: Subscribers,
        webhooks: WebhookClient,
        mailer: Option<Mailer>,
        settings: DeliverSettings,
        schemas: Schemas,
    ) -> Self {
        Self {
            schemas,
            subscribers,
            webhooks,
            mailer,
            settings,
            endpoints: Mutex::new(HashMap::new()),
        }
    }

    /// One of the endpoint's request slots, or `None` while all are taken.
    fn endpoint_slot(&self, subscription: &str) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            // A poisoned map only means another task panicked mid-insert; the map is still usable.
            let mut endpoints = self
                .endpoints
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(
                endpoints
                    .entry(subscription.to_owned())
                    .or_insert_with(|| Arc::new(Semaphore::new(REQUESTS_PER_ENDPOINT))),
            )
        };
        semaphore.try_acquire_owned().ok()
    }

    async fn send_webhook(
        &self,
        subscription: &Subscription,
        url: &str,
        event: &Envelope<Published>,
        raw: &serde_json::Value,
    ) -> Result<Attempted, DeliverFailure> {
        let body = payload(
            &event.event_type,
            &event
                .time
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            &raw["data"],
        );
        // The timestamp is the attempt's: receivers refuse stale ones.
        let headers = sign(
            subscription.signing_secrets(),
            &webhook_id(&event.id),
            chrono::Utc::now().timestamp(),
            &body,
        );
        let answer = match self.webhooks.post(url, &headers, body).await {
            Ok(answer) => answer,
            Err(e @ (SendError::Blocked { .. } | SendError::BadUrl { .. })) => {
                return Err(DeliverFailure::Blocked(e.to_string()));
            }
            Err(e) => {
                return Err(DeliverFailure::Attempt {
                    error: e.to_string(),
                    retry_after: None,
                });
            }
        };
        match classify(answer.status, answer.retry_after.as_deref()) {
            Outcome::Delivered => Ok(Attempted::Delivered),
            Outcome::Disable => Ok(Attempted::Gone),
            Outcome::Retry { at_least } => Err(DeliverFailure::Attempt {
                error: format!("the endpoint answered {}", answer.status),
                retry_after: at_least.map(|wait| wait / self.settings.clock_factor.max(1)),
            }),
        }
    }

    async fn send_email(
        &self,
        subscription: &Subscription,
        address: &str,
        event: &Envelope<Published>,
    ) -> Result<Attempted, DeliverFailure> {
        let mailer = self.mailer.as_ref().ok_or(DeliverFailure::NoMailer)?;
        let published = portal_datetime(&event.data.published_at, self.settings.time_zone);
        let article = ArticleNotice {
            site_name: &self.settings.site_name,
            title: &event.data.title,
            category: &event.data.category.name,
            url: &event.data.url,
            published: &published.replace(" | ", " "),
        };
        let unsubscribe = gazette_site::BaseUrl::new(&self.settings.api_url).join(&format!(
            "unsubscribe?token={}",
            subscription.unsubscribe_token()
        ));
        match mailer
            .send(&notification(address, &article, &unsubscribe))
            .await
        {
            Ok(()) => Ok(Attempted::Delivered),
            Err(e) if e.is_transient() => Err(DeliverFailure::Attempt {
                error: e.to_string(),
                retry_after: None,
            }),
            // Refused for good, or a mail that cannot be built for this address.
            Err(e) => Err(DeliverFailure::MailRefused(e.to_string())),
        }
    }
}

impl Handler for DeliverStage {
    type Error = DeliverFailure;

    async fn handle(&self, message: &Inbound) -> Result<Vec<Outbound>, DeliverFailure> {
        let document = parse_body(EventType::Published, message)?;
        let due = Due::deserialize(document).map_err(DeliverFailure::Malformed)?;
        let claimed = due.event.get("type").and_then(|t| t.as_str()).unwrap_or("");
        let event = read_announcement(&self.schemas, claimed, &due.event)?;
        let (id, key) = (&due.subscription_id, &due.notification_key);
        let Some(subscription) = self.subscribers.get(id).await? else {
            // Removed since the fan-out; its ledger rows went with it.
            return Ok(Vec::new());
        };
        if subscription.status != Status::Active {
            let reason = format!("subscription is {}", subscription.status);
            self.subscribers
                .finish(id, key, &Finished::Dropped { reason })
                .await?;
            return Ok(Vec::new());
        }
        // Held for the whole attempt; checked before the claim so that a
        // deferred notification leaves the ledger as it was.
        let _slot = match subscription.channel {
            Channel::Webhook { .. } => Some(
                self.endpoint_slot(id)
                    .ok_or(DeliverFailure::EndpointSaturated)?,
            ),
            Channel::Email { .. } => None,
        };
        match self.subscribers.claim(id, key, self.settings.lease).await? {
            Claim::Won => {}
            Claim::Busy => return Err(DeliverFailure::Busy),
            // Delivered or dropped before: a redelivery or a replay.
            Claim::Finished(_) => return Ok(Vec::new()),
        }
        let attempted = match &subscription.channel {
            Channel::Webhook { url } => {
                self.send_webhook(&subscription, url, &event, &due.event)
                    .await
            }
            Channel::Email { address } => self.send_email(&subscription, address, &event).await,
        };
        match attempted {
            Ok(Attempted::Delivered) => {
                self.subscribers
                    .finish(id, key, &Finished::Delivered)
                    .await?;
                info!(subscription = %id, notification = %key, "delivered");
                Ok(Vec::new())
            }
            Ok(Attempted::Gone) => {
                warn!(subscription = %id, "the endpoint answered 410 Gone; disabling it");
                self.subscribers
                    .disable(id, "the endpoint answered 410 Gone")
                    .await?;
                let reason = "the endpoint answered 410 Gone".to_owned();
                self.subscribers
                    .finish(id, key, &Finished::Dropped { reason })
                    .await?;
                Ok(Vec::new())
            }
            Err(failure @ DeliverFailure::Attempt { .. })
                if message.attempt < self.settings.max_attempts =>
            {
                self.subscribers
                    .release(id, key, &failure.to_string())
                    .await?;
                Err(failure)
            }
            Err(failure) => {
                let error = failure.to_string();
                self.subscribers
                    .finish(id, key, &Finished::Failed { error })
                    .await?;
                Err(failure)
            }
        }
    }
}
