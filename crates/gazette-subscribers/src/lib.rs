//! Gazette's SQL database, SQLite or PostgreSQL through sqlx (the only crate that imports it): who is subscribed to what, which notifications each subscriber already has, and the article registry.
//!
//! One schema serves both databases (`migrations/`): SQLite for the
//! embedded default (one file, one notifier), PostgreSQL when several
//! notifier replicas share the subscriptions. No sqlx type crosses the
//! public API.

mod database;
mod ledger;
mod registry;
mod subscriptions;
mod tokens;

pub use database::{DatabaseError, DatabaseUrl, Subscribers, probe};
pub use ledger::{Claim, Finished};
pub use registry::{
    Advance, ArticleState, Hold, KeyClaim, Registry, ScheduledRevision, Takedown, Withdrawn,
};
pub use subscriptions::{Channel, EmailRequest, NewEmail, Status, Subscription, WebhookAdded};
