//! The notifier: `notify` fans each `article.published` out into one `notification.due` per interested subscriber; `deliver` sends each one, retried through delay queues on its own schedule.
//!
//! Two stages rather than one so that every (subscriber, article) pair is
//! its own message: a dead endpoint's retries wait in delay queues without
//! holding up anyone else's, and each pair is recorded once in the ledger.

mod deliver;
mod fanout;

use serde::{Deserialize, Serialize};

pub use deliver::{DeliverFailure, DeliverSettings, DeliverStage};
pub use fanout::{NotifyFailure, NotifyStage};

/// Routing key of the internal hand-off from `notify` to `deliver`.
pub const NOTIFICATION_DUE: &str = "notification.due";

/// One notification to send: who, under which ledger key, about which event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Due {
    pub subscription_id: String,
    pub notification_key: String,
    /// The `article.published` CloudEvent, as received.
    pub event: serde_json::Value,
}
