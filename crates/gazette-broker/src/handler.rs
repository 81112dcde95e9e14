//! The contract between the loop and a stage: a handler returns events or a failure that says what should happen.

use std::future::Future;

use crate::{Inbound, Outbound};

/// What the loop does with a delivery whose handler failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The same message may succeed later (store down, timeout): it waits
    /// in a delay queue and comes back, up to the retry policy's limit.
    Retry,
    /// Like `Retry`, but not sooner than the given wait: the other side
    /// said when it can take the message again (HTTP `Retry-After`).
    RetryAfter(std::time::Duration),
    /// Not tried at all (the stage had no room for it now): it waits in a
    /// delay queue for at least this long and comes back with the same
    /// attempt number, so waiting costs it none of its attempts.
    Defer(std::time::Duration),
    /// The message will never succeed (bad input, a page the theme cannot
    /// render): it goes to the stage's dead-letter queue at once, with
    /// `reason` in its headers.
    DeadLetter { reason: &'static str },
}

/// A stage's error type. Its variants decide the delivery's fate.
pub trait Failure: std::error::Error + Send + Sync + 'static {
    fn disposition(&self) -> Disposition;

    /// Events to publish before the message is dead-lettered, such as
    /// `article.rejected` telling the producer what to fix.
    fn notices(&self) -> Vec<Outbound> {
        Vec::new()
    }
}

/// One stage's work: `(context, message) -> events`. The context is `self`,
/// built once at start (templates, clients, compiled schemas).
pub trait Handler: Send + Sync + 'static {
    type Error: Failure;

    /// Must be idempotent: at-least-once delivery means any message may be
    /// handled again after a crash, and must then produce the same events.
    fn handle(
        &self,
        message: &Inbound,
    ) -> impl Future<Output = Result<Vec<Outbound>, Self::Error>> + Send;
}
