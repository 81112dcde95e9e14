//! What a stage needs to know about the broker; plain values, filled in by the binary's configuration.

use std::time::Duration;

use crate::stage::{RetryClass, StageSpec};

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
    /// The schedule for work that waits on other people's servers: 5 s,
    /// 5 min, 30 min, 2 h, 5 h, 10 h, seven attempts over about 17.6 hours,
    /// as the Standard Webhooks recommendation has it, so that an endpoint
    /// that is down for an afternoon still gets everything.
    pub fn slow() -> Self {
        Self {
            delays: [5, 300, 1800, 7200, 18_000, 36_000]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            max_attempts: 7,
        }
    }

    /// The same policy with every delay divided by `factor`, so that tests
    /// (and a staging setup) can run hours of retries in seconds.
    #[must_use]
    pub fn compressed(&self, factor: u32) -> Self {
        let factor = factor.max(1);
        Self {
            delays: self
                .delays
                .iter()
                // Delay queues count whole milliseconds.
                .map(|delay| {
                    let millis = (*delay / factor).as_millis().max(1);
                    Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
                })
                .collect(),
            max_attempts: self.max_attempts,
        }
    }

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

/// The node URLs in a `GAZETTE_AMQP_URL`: one URL, or a cluster's nodes
/// separated by commas (blanks around them ignored, empty entries dropped).
pub fn node_urls(list: &str) -> Vec<&str> {
    list.split(',')
        .map(str::trim)
        .filter(|node| !node.is_empty())
        .collect()
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
    /// The policy of [`RetryClass::Common`] stages: a store outage is over in seconds.
    pub retry: RetryPolicy,
    /// The policy of [`RetryClass::Slow`] stages: an endpoint may be down for hours.
    pub slow_retry: RetryPolicy,
}

impl BrokerSettings {
    pub fn new(url: AmqpUrl, namespace: impl Into<String>) -> Self {
        Self {
            url,
            namespace: namespace.into(),
            // Measured in docs/performance.md: one worker per stage is
            // bound by its messages in flight, and 16 carried more than 8
            // in every paired bench at a few MB more per worker.
            prefetch: 32,
            concurrency: 16,
            max_message_bytes: 2 * 1024 * 1024,
            handler_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(20),
            delivery_limit: 10,
            retry: RetryPolicy::default(),
            slow_retry: RetryPolicy::slow(),
        }
    }

    /// The broker nodes to try, in this process's order of preference.
    ///
    /// `url` may list a cluster's nodes, comma-separated. Each process
    /// starts at a different node (by its process id), so the copies of a
    /// stage spread their connections over the cluster, and goes round the
    /// rest in order when that node does not answer.
    pub(crate) fn nodes_in_order(&self) -> Vec<AmqpUrl> {
        let nodes = node_urls(self.url.expose());
        let first = std::process::id() as usize % nodes.len().max(1);
        nodes
            .iter()
            .cycle()
            .skip(first)
            .take(nodes.len())
            .map(|node| AmqpUrl::new(*node))
            .collect()
    }

    /// The retry policy `stage` follows.
    pub fn retry_for(&self, stage: &StageSpec) -> &RetryPolicy {
        match stage.retry {
            RetryClass::Common => &self.retry,
            RetryClass::Slow => &self.slow_retry,
        }
    }

    /// These settings with `stage`'s floors applied: a stage that needs a
    /// whole burst in hand, or many slow requests open at once, gets at
    /// least that whatever the operator set.
    #[must_use]
    pub fn for_stage(&self, stage: &StageSpec) -> Self {
        let mut settings = self.clone();
        settings.prefetch = settings.prefetch.max(stage.floors.prefetch);
        settings.concurrency = settings.concurrency.max(stage.floors.concurrency);
        settings
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
    fn a_cluster_is_every_node_once_starting_at_this_process_own() {
        let list = " amqp://g:p@n1:5672/%2f ,amqp://g:p@n2:5672/%2f,, amqp://g:p@n3:5672/%2f";
        assert_eq!(
            node_urls(list),
            [
                "amqp://g:p@n1:5672/%2f",
                "amqp://g:p@n2:5672/%2f",
                "amqp://g:p@n3:5672/%2f"
            ]
        );
        let settings = BrokerSettings::new(AmqpUrl::new(list), "t");
        let order: Vec<String> = settings
            .nodes_in_order()
            .iter()
            .map(|node| node.expose().to_owned())
            .collect();
        let first = std::process::id() as usize % 3;
        assert_eq!(order[0], node_urls(list)[first]);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, node_urls(list), "each node once");
        let single = BrokerSettings::new(AmqpUrl::new("amqp://localhost"), "t");
        assert_eq!(single.nodes_in_order().len(), 1);
    }

    #[test]
    fn a_compressed_policy_keeps_its_shape() {
        let slow = RetryPolicy::slow();
        let fast = slow.compressed(3600);
        // 300 s / 3600, in the whole milliseconds a delay queue counts.
        assert_eq!(fast.delays[1], Duration::from_millis(83));
        assert_eq!(fast.delays[5], Duration::from_secs(10));
        assert_eq!(fast.max_attempts, slow.max_attempts);
        assert_eq!(slow.max_attempts as usize, slow.delays.len() + 1);
        assert_eq!(slow.compressed(0).delays, slow.delays);
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
