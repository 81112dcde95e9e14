//! Exchange and queue names.
//!
//! Every name starts with the namespace. Per stage:
//! - `<ns>.<stage>`: the work queue (quorum), bound to what the stage consumes;
//! - `<ns>.<stage>.retry.<ms>ms`: one delay queue per retry delay, whose
//!   expired messages dead-letter straight back into the work queue;
//! - `<ns>.<stage>.dead`: dead letters, fed through `<ns>.dead-letter`.

use std::time::Duration;

use crate::Exchange;

/// The names of everything in one namespace.
#[derive(Debug, Clone)]
pub struct Topology {
    namespace: String,
}

impl Topology {
    pub fn new(namespace: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
        }
    }

    pub fn exchange(&self, exchange: Exchange) -> String {
        match exchange {
            Exchange::Events => format!("{}.events", self.namespace),
            Exchange::Internal => format!("{}.internal", self.namespace),
        }
    }

    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dead-letter", self.namespace)
    }

    pub fn work_queue(&self, stage: &str) -> String {
        format!("{}.{stage}", self.namespace)
    }

    pub fn dead_queue(&self, stage: &str) -> String {
        format!("{}.{stage}.dead", self.namespace)
    }

    pub fn retry_queue(&self, stage: &str, delay: Duration) -> String {
        format!("{}.{stage}.retry.{}ms", self.namespace, delay.as_millis())
    }

    /// Whether `queue` is named as one of `stage`'s delay queues.
    pub fn is_retry_queue(&self, stage: &str, queue: &str) -> bool {
        queue
            .strip_prefix(&format!("{}.{stage}.retry.", self.namespace))
            .and_then(|rest| rest.strip_suffix("ms"))
            .is_some_and(|millis| !millis.is_empty() && millis.bytes().all(|b| b.is_ascii_digit()))
    }
}
