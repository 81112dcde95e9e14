//! What the loop reports about itself: Prometheus-style metrics through the `metrics` facade, and readiness.
//!
//! The facade costs nothing until the binary installs a recorder, so
//! library users and tests that do not serve `/metrics` pay nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub(crate) const CONSUMED: &str = "gazette_messages_consumed_total";
pub(crate) const SUCCEEDED: &str = "gazette_messages_succeeded_total";
pub(crate) const REJECTED: &str = "gazette_messages_rejected_total";
pub(crate) const RETRIED: &str = "gazette_messages_retried_total";
pub(crate) const DEAD_LETTERED: &str = "gazette_messages_dead_lettered_total";
pub(crate) const IN_FLIGHT: &str = "gazette_messages_in_flight";
pub(crate) const PROCESSING: &str = "gazette_message_processing_seconds";
pub(crate) const RECONNECTS: &str = "gazette_broker_reconnects_total";

/// Every family the loop reports, with its Prometheus `# HELP` line.
const FAMILIES: [(&str, &str); 8] = [
    (CONSUMED, "Deliveries a stage took off its queue."),
    (SUCCEEDED, "Deliveries handled and forwarded."),
    (
        REJECTED,
        "Deliveries refused for good (bad input); each is also dead-lettered.",
    ),
    (RETRIED, "Deliveries sent to a delay queue to try again."),
    (
        DEAD_LETTERED,
        "Deliveries moved to the stage's dead-letter queue, for any reason.",
    ),
    (IN_FLIGHT, "Deliveries being handled now."),
    (
        PROCESSING,
        "Time from taking a delivery to settling it, in seconds.",
    ),
    (RECONNECTS, "Broker sessions rebuilt after a failure."),
];

/// Describes every family and registers `stage`'s series at zero, so that a
/// scrape of a worker that has handled nothing yet shows "0 dead letters"
/// rather than nothing, which an alert could not tell from "not running".
pub(crate) fn register_stage(stage: &'static str) {
    for (name, help) in FAMILIES {
        match name {
            IN_FLIGHT => {
                metrics::describe_gauge!(name, help);
                metrics::gauge!(name, "stage" => stage).set(0.0);
            }
            PROCESSING => {
                metrics::describe_histogram!(name, metrics::Unit::Seconds, help);
                // Registered; a histogram has no value to set before its first sample.
                let _ = metrics::histogram!(name, "stage" => stage);
            }
            _ => {
                metrics::describe_counter!(name, help);
                metrics::counter!(name, "stage" => stage).increment(0);
            }
        }
    }
}

/// How one delivery ended, for the counters.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ending {
    Succeeded,
    Retried,
    /// A permanent failure of the input (the handler said dead-letter).
    Rejected,
    /// Retries exhausted, or too large to read.
    GaveUp,
}

pub(crate) fn record_consumed(stage: &'static str) {
    metrics::counter!(CONSUMED, "stage" => stage).increment(1);
    metrics::gauge!(IN_FLIGHT, "stage" => stage).increment(1.0);
}

pub(crate) fn record_ending(stage: &'static str, ending: Ending, took: Duration) {
    metrics::gauge!(IN_FLIGHT, "stage" => stage).decrement(1.0);
    metrics::histogram!(PROCESSING, "stage" => stage).record(took.as_secs_f64());
    let counter = match ending {
        Ending::Succeeded => SUCCEEDED,
        Ending::Retried => RETRIED,
        Ending::Rejected => REJECTED,
        Ending::GaveUp => DEAD_LETTERED,
    };
    metrics::counter!(counter, "stage" => stage).increment(1);
    if matches!(ending, Ending::Rejected) {
        metrics::counter!(DEAD_LETTERED, "stage" => stage).increment(1);
    }
}

pub(crate) fn record_reconnect(stage: &'static str) {
    metrics::counter!(RECONNECTS, "stage" => stage).increment(1);
}

/// Whether a stage is connected and consuming; shared with `/readyz`.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Relaxed);
    }
}
