//! Who is subscribed to what, and which notifications each subscriber already has: SQLite or PostgreSQL through sqlx, the only crate that imports it.
//!
//! One schema serves both databases (`migrations/`): SQLite for the
//! embedded default (one file, one notifier), PostgreSQL when several
//! notifier replicas share the subscriptions. No sqlx type crosses the
//! public API.

mod database;
mod ledger;
mod subscriptions;
mod tokens;

pub use database::{DatabaseError, DatabaseUrl, Subscribers};
pub use ledger::{Claim, Finished};
pub use subscriptions::{Channel, EmailRequest, NewEmail, Status, Subscription};
