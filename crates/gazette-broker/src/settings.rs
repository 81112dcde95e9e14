//! What a stage needs to know about the broker; plain values, filled in by the binary's configuration.

use std::time::Duration;

/// An AMQP URL whose password never reaches a log line or an error message.
pub type AmqpUrl = gazette_secrets::SecretUrl;

/// Transient failures wait in per-delay queues and come back; after
/// `max_attempts` deliveries the message is dead-lettered with its history.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// The wait before attempt 2, 3, ...; the last delay repeats.
    pub delays: Vec<Duration>,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            delays: [1, 5, 30, 120, 600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            max_attempts: 6,
        }
    }
}

impl RetryPolicy {
    /// The wait before `attempt`, but no shorter than `at_least` when the
    /// failure asked for that (an endpoint's `Retry-After`): the shortest
    /// configured delay that covers it, or the longest there is.
    pub fn delay_covering(&self, attempt: u32, at_least: Option<Duration>) -> Duration {
        let scheduled = self.delay_before(attempt);
        match at_least {
            Some(asked) if asked > scheduled => self
                .delays
                .iter()
                .copied()
                .filter(|delay| *delay >= asked)
                .min()
                .or_else(|| self.delays.iter().copied().max())
                .unwrap_or(scheduled),
            _ => scheduled,
        }
    }

    /// The wait before `attempt` (2 for the first retry).
    pub fn delay_before(&self, attempt: u32) -> Duration {
        let index = usize::try_from(attempt.saturating_sub(2)).unwrap_or(usize::MAX);
        self.delays
            .get(index)
            .or_else(|| self.delays.last())
            .copied()
            .unwrap_or(Duration::from_secs(1))
    }
}

#[derive(Debug, Clone)]
pub struct BrokerSettings {
    pub url: AmqpUrl,
    /// Prefix of every exchange and queue, so pipelines can share a broker.
    pub namespace: String,
    /// Unacked deliveries the broker may push to one worker.
    pub prefetch: u16,
    /// Deliveries one worker handles at the same time.
    pub concurrency: usize,
    /// Larger messages are dead-lettered without being parsed.
    pub max_message_bytes: usize,
    /// A handler taking longer counts as a transient failure. Keep it well
    /// under RabbitMQ's `consumer_timeout` (30 min by default).
    pub handler_timeout: Duration,
    /// How long a stopping worker lets in-flight messages finish.
    pub shutdown_grace: Duration,
    /// Redeliveries after which the broker itself dead-letters a message
    /// (the crash-loop guard of quorum queues).
    pub delivery_limit: u32,
    pub retry: RetryPolicy,
    /// Stages whose retries follow their own policy instead of `retry`:
    /// webhook deliveries wait hours between attempts, a store outage seconds.
    pub stage_retry: Vec<(&'static str, RetryPolicy)>,
}

impl BrokerSettings {
    pub fn new(url: AmqpUrl, namespace: impl Into<String>) -> Self {
        Self {
            url,
            namespace: namespace.into(),
            prefetch: 16,
            concurrency: 8,
            max_message_bytes: 2 * 1024 * 1024,
            handler_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(20),
            delivery_limit: 10,
            retry: RetryPolicy::default(),
            stage_retry: Vec::new(),
        }
    }

    /// The retry policy of `stage`: its own if it has one, else the common one.
    pub fn retry_for(&self, stage: &str) -> &RetryPolicy {
        self.stage_retry
            .iter()
            .find(|(name, _)| *name == stage)
            .map_or(&self.retry, |(_, policy)| policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        let url = AmqpUrl::new("amqp://guest:s3cret@127.0.0.1:5672/%2f");
        assert_eq!(url.to_string(), "amqp://guest:***@127.0.0.1:5672/%2f");
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn retry_delays_repeat_the_last() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_before(2), Duration::from_secs(1));
        assert_eq!(policy.delay_before(3), Duration::from_secs(5));
        assert_eq!(policy.delay_before(40), Duration::from_secs(600));
    }

    #[test]
    fn a_requested_delay_picks_the_shortest_queue_that_covers_it() {
        let policy = RetryPolicy {
            delays: [5, 300, 1800].map(Duration::from_secs).to_vec(),
            max_attempts: 4,
        };
        assert_eq!(policy.delay_covering(2, None), Duration::from_secs(5));
        let asked = Some(Duration::from_secs(60));
        assert_eq!(policy.delay_covering(2, asked), Duration::from_secs(300));
        // Never shorter than the schedule's own delay.
        assert_eq!(
            policy.delay_covering(3, Some(Duration::from_secs(1))),
            Duration::from_secs(300)
        );
        // Longer than any queue: the longest one.
        let asked = Some(Duration::from_secs(86_400));
        assert_eq!(policy.delay_covering(2, asked), Duration::from_secs(1800));
    }
}
