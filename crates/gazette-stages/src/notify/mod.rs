//! The notifier: `notify` fans each `article.published` out into one `notification.due` per interested subscriber; `deliver` sends each one, retried through delay queues on its own schedule.
//!
//! Two stages rather than one so that every (subscriber, article) pair is
//! its own message: a dead endpoint's retries wait in delay queues without
//! holding up anyone else's, and each pair is recorded once in the ledger.

mod deliver;
mod fanout;

pub use deliver::{DELIVER_CONCURRENCY, DeliverFailure, DeliverSettings, DeliverStage};
pub use fanout::{NotifyFailure, NotifyStage};

pub use gazette_contract::{NOTIFICATION_DUE, NotificationDue as Due};
