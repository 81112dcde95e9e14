//! The `notify` stage: which subscribers an `article.published` or `article.updated` concerns, each recorded in the ledger and handed to `deliver`.

use gazette_broker::{Disposition, Exchange, Failure, Handler, Inbound, Outbound};
use gazette_contract::{Envelope, EventType, Published, Schemas};
use gazette_subscribers::{Channel, DatabaseError, Subscribers, Subscription};

use crate::wire::{MalformedEvent, parse_body, read_announcement};
use tracing::info;

use super::{Due, NOTIFICATION_DUE};

#[derive(Debug, thiserror::Error)]
pub enum NotifyFailure {
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("cannot encode a notification: {0}")]
    Encode(serde_json::Error),
}

impl Failure for NotifyFailure {
    fn disposition(&self) -> Disposition {
        match self {
            Self::Malformed(_) => Disposition::DeadLetter {
                reason: "malformed-event",
            },
            Self::Database(_) => Disposition::Retry,
            Self::Encode(_) => Disposition::DeadLetter { reason: "encode" },
        }
    }
}

#[derive(Debug)]
pub struct NotifyStage {
    subscribers: Subscribers,
    schemas: Schemas,
}

impl NotifyStage {
    pub fn new(subscribers: Subscribers, schemas: Schemas) -> Self {
        Self {
            subscribers,
            schemas,
        }
    }
}

/// The ledger key of `event` for `subscription`. A system behind a webhook
/// hears of every revision, as its own event; a resident hears of an
/// article once, so a corrected typo does not mail the district again.
pub fn notification_key(subscription: &Subscription, event: &Envelope<Published>) -> String {
    match subscription.channel {
        Channel::Webhook { .. } => event.id.clone(),
        Channel::Email { .. } => format!("article:{}", event.data.article_id),
    }
}

impl Handler for NotifyStage {
    type Error = NotifyFailure;

    async fn handle(&self, message: &Inbound) -> Result<Vec<Outbound>, NotifyFailure> {
        // Parsed once: the typed view for routing, the value as it came for the hand-off.
        let raw = parse_body(EventType::Published, message)?;
        let event = read_announcement(&self.schemas, &message.routing_key, &raw)?;
        let interested = self
            .subscribers
            .active_for(&event.data.category.slug)
            .await?;
        let is_update = event.event_type == EventType::Updated.as_str();
        let mut due = Vec::with_capacity(interested.len());
        for subscription in &interested {
            // Residents hear of new articles; a correction is news only to systems.
            if is_update && matches!(subscription.channel, Channel::Email { .. }) {
                continue;
            }
            let key = notification_key(subscription, &event);
            // Settled already (a replay, a duplicate event): nothing to hand on.
            if !self.subscribers.record_due(&subscription.id, &key).await? {
                continue;
            }
            let body = serde_json::to_vec(&Due {
                subscription_id: subscription.id.clone(),
                notification_key: key.clone(),
                event: raw.clone(),
            })
            .map_err(NotifyFailure::Encode)?;
            due.push(Outbound {
                exchange: Exchange::Internal,
                routing_key: NOTIFICATION_DUE.to_owned(),
                body,
                message_id: format!("{}/{key}", subscription.id),
                correlation_id: Some(event.correlation().to_owned()),
                content_type: "application/json",
                content_encoding: None,
                headers: Default::default(),
            });
        }
        info!(article_id = %event.data.article_id, subscribers = due.len(), "notifications due");
        Ok(due)
    }
}
