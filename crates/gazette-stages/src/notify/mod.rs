//! The notifier: `notify` fans each `article.published` out into one `notification.due` per interested subscriber; `deliver` sends each one, retried through delay queues on its own schedule.
//!
//! Two stages rather than one so that every (subscriber, article) pair is
//! its own message: a dead endpoint's retries wait in delay queues without
//! holding up anyone else's, and each pair is recorded once in the ledger.

mod deliver;
mod fanout;

use gazette_broker::{BrokerSettings, RetryPolicy};
use gazette_webhooks::Schedule;

pub use deliver::{DeliverFailure, DeliverSettings, DeliverStage};
pub use fanout::{NotifyFailure, NotifyStage};

/// Gives the `deliver` stage the webhook schedule as its retry policy:
/// what its delay queues are named after and how many attempts it makes.
/// Everything that declares or deletes a namespace must agree on it.
pub fn use_webhook_schedule(settings: &mut BrokerSettings, schedule: &Schedule) {
    let policy = RetryPolicy {
        delays: schedule.delays().to_vec(),
        max_attempts: u32::try_from(schedule.attempts()).unwrap_or(u32::MAX),
    };
    settings
        .stage_retry
        .retain(|(stage, _)| *stage != crate::DELIVER.name);
    settings.stage_retry.push((crate::DELIVER.name, policy));
}

pub use gazette_contract::{NOTIFICATION_DUE, NotificationDue as Due};
