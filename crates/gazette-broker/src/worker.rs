//! The one consume → handle → publish → ack loop every stage runs, with reconnects and graceful shutdown.
//!
//! Invariant: a delivery is acked only after every message it caused (its
//! events, its retry copy, or its dead-letter copy) has been confirmed by
//! the broker. Anything short of that leaves it unacked, and RabbitMQ hands
//! it out again.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, Consumer};
use rand::Rng;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::connect::connect;
use crate::topology::declare;
use crate::{
    BrokerError, BrokerSettings, Disposition, Exchange, Failure, Handler, Inbound, Outbound, Publisher, Routed,
    StageSpec, Topology, headers,
};

/// Dead-letter detail headers are for people; a full 100 kB error is not.
const MAX_DETAIL_CHARS: usize = 1000;

/// Runs `stage` until `shutdown` is cancelled.
///
/// The first connection failure is returned, so a wrong URL stops the
/// process with one clear message. After that, lost connections, cancelled
/// consumers and ended streams are survived: the loop reconnects with
/// backoff, declares the topology again, re-applies prefetch and resubscribes.
pub async fn run_stage<H: Handler>(
    settings: BrokerSettings,
    stage: StageSpec,
    handler: Arc<H>,
    shutdown: CancellationToken,
) -> Result<(), BrokerError> {
    let settings = Arc::new(settings);
    let mut session = Session::open(&settings, stage).await?;
    let mut backoff = Backoff::default();
    loop {
        let ended = session.run(&handler, &shutdown).await;
        session.close().await;
        match ended {
            Ok(()) => return Ok(()),
            Err(e) => warn!(stage = stage.name, error = %e, "broker session ended; reconnecting"),
        }
        session = loop {
            let wait = backoff.next_wait();
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
            match Session::open(&settings, stage).await {
                Ok(session) => {
                    info!(stage = stage.name, "reconnected to RabbitMQ");
                    backoff = Backoff::default();
                    break session;
                }
                Err(e) => warn!(stage = stage.name, error = %e, retry_in = ?backoff.peek(), "reconnect failed"),
            }
        };
    }
}

/// One consume connection, one publish connection, and the consumer.
struct Session {
    settings: Arc<BrokerSettings>,
    stage: StageSpec,
    connection: Connection,
    channel: Channel,
    consumer: Consumer,
    publisher: Publisher,
}

impl Session {
    async fn open(settings: &Arc<BrokerSettings>, stage: StageSpec) -> Result<Self, BrokerError> {
        let connection = connect(settings, &format!("{} consume", stage.name)).await?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| BrokerError::channel("opening the consume channel", &e))?;
        declare(&channel, settings, &[stage]).await?;
        // Prefetch before consuming: otherwise the broker may push the whole queue at us.
        channel
            .basic_qos(settings.prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| BrokerError::channel("setting prefetch", &e))?;
        let queue = Topology::new(&settings.namespace).work_queue(stage.name);
        let consumer = channel
            .basic_consume(queue.into(), "".into(), BasicConsumeOptions::default(), FieldTable::default())
            .await
            .map_err(|e| BrokerError::channel("subscribing", &e))?;
        let publisher = Publisher::connect(settings, stage.name).await?;
        info!(stage = stage.name, prefetch = settings.prefetch, concurrency = settings.concurrency, "consuming");
        Ok(Self { settings: Arc::clone(settings), stage, connection, channel, consumer, publisher })
    }

    /// Consumes until shutdown (`Ok`) or until the session breaks (`Err`).
    async fn run<H: Handler>(&mut self, handler: &Arc<H>, shutdown: &CancellationToken) -> Result<(), BrokerError> {
        // A task whose publish failed cancels this: the publish connection
        // is likely gone, and the whole session is rebuilt.
        let broken = CancellationToken::new();
        let permits = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let mut in_flight = JoinSet::new();
        let ended = loop {
            // Capacity first: a delivery taken off the stream is ours to finish.
            let permit = tokio::select! {
                biased;
                () = shutdown.cancelled() => break Ok(()),
                () = broken.cancelled() => break Err(BrokerError::Channel { doing: "publishing", detail: "a publish failed".to_owned() }),
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    if let Err(e) = joined { error!(stage = self.stage.name, error = %e, "message task panicked; its delivery returns to the queue"); }
                    continue;
                }
                permit = Arc::clone(&permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break Err(BrokerError::Channel { doing: "scheduling", detail: "worker pool closed".to_owned() }),
                },
            };
            let delivery = tokio::select! {
                biased;
                () = shutdown.cancelled() => break Ok(()),
                () = broken.cancelled() => break Err(BrokerError::Channel { doing: "publishing", detail: "a publish failed".to_owned() }),
                next = self.consumer.next() => match next {
                    Some(Ok(delivery)) => delivery,
                    Some(Err(e)) => break Err(BrokerError::channel("consuming", &e)),
                    // Not a normal exit: the broker cancelled us (queue deleted, node down).
                    None => break Err(BrokerError::ConsumerEnded { queue: self.consumer.queue().to_string() }),
                },
            };
            let job = Job {
                settings: Arc::clone(&self.settings),
                stage: self.stage,
                publisher: self.publisher.clone(),
                broken: broken.clone(),
            };
            let handler = Arc::clone(handler);
            in_flight.spawn(async move {
                let _permit = permit;
                job.process(handler.as_ref(), delivery).await;
            });
        };

        // Stop taking deliveries; what was prefetched but not started goes
        // back to the queue when the channel closes.
        let _ = self.channel.basic_cancel(self.consumer.tag(), BasicCancelOptions::default()).await;
        let grace = self.settings.shutdown_grace;
        let drained = tokio::time::timeout(grace, async { while in_flight.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            warn!(stage = self.stage.name, unfinished = in_flight.len(), ?grace, "messages still in flight after the grace period return to the queue");
            in_flight.abort_all();
        }
        ended
    }

    async fn close(&self) {
        let _ = self.channel.close(200, "stopping".into()).await;
        let _ = self.connection.close(200, "stopping".into()).await;
        self.publisher.close().await;
    }
}

/// What the loop decided for one delivery.
enum Verdict {
    Forward(Vec<Outbound>),
    Retry { detail: String },
    DeadLetter { reason: &'static str, detail: String, notices: Vec<Outbound> },
}

/// Everything one message task needs; cheap clones of the session's parts.
struct Job {
    settings: Arc<BrokerSettings>,
    stage: StageSpec,
    publisher: Publisher,
    broken: CancellationToken,
}

impl Job {
    async fn process<H: Handler>(&self, handler: &H, delivery: Delivery) {
        let inbound = Inbound::from_delivery(&delivery);
        let span = info_span!(
            "message",
            stage = self.stage.name,
            message_id = inbound.message_id.as_deref().unwrap_or(""),
            correlation_id = inbound.correlation_id.as_deref().unwrap_or(""),
            attempt = inbound.attempt,
        );
        async {
            let verdict = self.judge(handler, &inbound).await;
            match self.settle(verdict, &delivery, &inbound).await {
                Ok(()) => {
                    if let Err(e) = delivery.acker.ack(BasicAckOptions::default()).await {
                        // The outputs are confirmed and idempotent; a redelivery repeats them harmlessly.
                        warn!(error = %e, "ack failed; the message will be redelivered");
                    }
                }
                Err(e) => {
                    error!(error = %e, "could not hand the message on; returning it to the queue");
                    let _ = delivery.acker.nack(BasicNackOptions { requeue: true, ..BasicNackOptions::default() }).await;
                    self.broken.cancel();
                }
            }
        }
        .instrument(span)
        .await;
    }

    async fn judge<H: Handler>(&self, handler: &H, inbound: &Inbound) -> Verdict {
        let limit = self.settings.max_message_bytes;
        if inbound.body.len() > limit {
            return Verdict::DeadLetter {
                reason: "oversized",
                detail: format!("message is {} bytes; the limit is {limit} bytes", inbound.body.len()),
                notices: Vec::new(),
            };
        }
        let timeout = self.settings.handler_timeout;
        match tokio::time::timeout(timeout, handler.handle(inbound)).await {
            Ok(Ok(events)) => Verdict::Forward(events),
            Ok(Err(failure)) => match failure.disposition() {
                Disposition::Retry => Verdict::Retry { detail: failure.to_string() },
                Disposition::DeadLetter { reason } => {
                    Verdict::DeadLetter { reason, detail: failure.to_string(), notices: failure.notices() }
                }
            },
            Err(_) => Verdict::Retry { detail: format!("handler did not finish within {timeout:?}") },
        }
    }

    async fn settle(&self, verdict: Verdict, delivery: &Delivery, inbound: &Inbound) -> Result<(), BrokerError> {
        match verdict {
            Verdict::Forward(events) => self.forward(&events).await,
            Verdict::Retry { detail } => {
                let next_attempt = inbound.attempt.saturating_add(1);
                if next_attempt > self.settings.retry.max_attempts {
                    let detail = format!("gave up after {} attempts; last error: {detail}", inbound.attempt);
                    return self.dead_letter(delivery, inbound, "retries-exhausted", &detail).await;
                }
                self.retry_later(delivery, next_attempt, &detail).await
            }
            Verdict::DeadLetter { reason, detail, notices } => {
                self.forward(&notices).await?;
                self.dead_letter(delivery, inbound, reason, &detail).await
            }
        }
    }

    async fn forward(&self, events: &[Outbound]) -> Result<(), BrokerError> {
        for event in events {
            match (self.publisher.publish(event).await?, event.exchange) {
                (Routed::Queued, _) => {}
                // Public events are offered to whoever subscribes; nobody may yet.
                (Routed::Unrouted, Exchange::Events) => {
                    debug!(routing_key = %event.routing_key, "no queue is bound for this public event");
                }
                // An internal hand-off with no queue means the topology was
                // deleted under us; the reconnect declares it again.
                (Routed::Unrouted, Exchange::Internal) => {
                    return Err(BrokerError::Publish {
                        exchange: self.publisher.topology().exchange(Exchange::Internal),
                        routing_key: event.routing_key.clone(),
                        detail: "no queue is bound for it".to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    async fn retry_later(&self, delivery: &Delivery, next_attempt: u32, detail: &str) -> Result<(), BrokerError> {
        let base = self.settings.retry.delay_before(next_attempt);
        // Jitter spreads a burst of failures so they do not all return at once.
        let jittered_ms = u64::try_from(base.as_millis()).unwrap_or(u64::MAX).saturating_mul(rand::rng().random_range(80..=100)) / 100;
        let queue = self.publisher.topology().retry_queue(self.stage.name, base);
        let mut headers = copied_headers(delivery);
        headers.insert(headers::ATTEMPT.into(), AMQPValue::LongString(next_attempt.to_string().into()));
        headers.insert(headers::DETAIL.into(), AMQPValue::LongString(truncate(detail).into()));
        let properties = copy_properties(delivery, headers).with_expiration(jittered_ms.to_string().into());
        warn!(error = %detail, next_attempt, delay_ms = jittered_ms, "transient failure; retrying later");
        self.publish_required("", &queue, delivery, properties).await
    }

    async fn dead_letter(&self, delivery: &Delivery, inbound: &Inbound, reason: &str, detail: &str) -> Result<(), BrokerError> {
        let mut headers = copied_headers(delivery);
        for (name, value) in [
            (headers::STAGE, self.stage.name.to_owned()),
            (headers::REASON, reason.to_owned()),
            (headers::DETAIL, truncate(detail)),
            (headers::ATTEMPT, inbound.attempt.to_string()),
            (headers::ROUTING_KEY, inbound.routing_key.clone()),
        ] {
            headers.insert(name.into(), AMQPValue::LongString(value.into()));
        }
        warn!(reason, error = %detail, "dead-lettered");
        let properties = copy_properties(delivery, headers);
        let dlx = self.publisher.topology().dead_letter_exchange();
        self.publish_required(&dlx, self.stage.name, delivery, properties).await
    }

    async fn publish_required(&self, exchange: &str, routing_key: &str, delivery: &Delivery, properties: BasicProperties) -> Result<(), BrokerError> {
        match self.publisher.publish_raw(exchange, routing_key, &delivery.data, properties).await? {
            Routed::Queued => Ok(()),
            Routed::Unrouted => Err(BrokerError::Publish {
                exchange: exchange.to_owned(),
                routing_key: routing_key.to_owned(),
                detail: "no queue is bound for it".to_owned(),
            }),
        }
    }
}

fn copied_headers(delivery: &Delivery) -> FieldTable {
    delivery.properties.headers().clone().unwrap_or_default()
}

/// The original's identity travels with its retry and dead-letter copies.
fn copy_properties(delivery: &Delivery, headers: FieldTable) -> BasicProperties {
    let original = &delivery.properties;
    let mut properties = BasicProperties::default().with_headers(headers);
    if let Some(v) = original.content_type() {
        properties = properties.with_content_type(v.clone());
    }
    if let Some(v) = original.message_id() {
        properties = properties.with_message_id(v.clone());
    }
    if let Some(v) = original.correlation_id() {
        properties = properties.with_correlation_id(v.clone());
    }
    properties
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Exponential reconnect backoff with full jitter, from 250 ms to 30 s.
#[derive(Debug)]
struct Backoff {
    ceiling: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { ceiling: Duration::from_millis(250) }
    }
}

impl Backoff {
    fn next_wait(&mut self) -> Duration {
        let wait = self.ceiling.mul_f64(rand::rng().random_range(0.5..=1.0));
        self.ceiling = (self.ceiling * 2).min(Duration::from_secs(30));
        wait
    }

    fn peek(&self) -> Duration {
        self.ceiling
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_ceiling() {
        let mut backoff = Backoff::default();
        let waits: Vec<Duration> = (0..12).map(|_| backoff.next_wait()).collect();
        assert!(waits[0] <= Duration::from_millis(250));
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(30)));
        assert_eq!(backoff.peek(), Duration::from_secs(30));
    }

    #[test]
    fn details_are_cut_on_a_character_boundary() {
        let long = "ệ".repeat(MAX_DETAIL_CHARS + 5);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_DETAIL_CHARS + 1);
        assert_eq!(truncate("ngắn"), "ngắn");
    }
}
