//! The broker's ceiling for benchmarks: raw RabbitMQ throughput through the pipeline's hops, with confirms and acks and no work, or with only the last stage's store writes (the null pipeline).
//!
//! The relay copies what a stage does to the broker and nothing else: each
//! hop is a durable quorum queue; a relay consumes with the same prefetch
//! and concurrency, publishes a message of the next hop's size
//! persistently with the mandatory flag to the next queue, waits for the
//! confirm and only then acks. The last queue is drained by one consumer,
//! as the pipeline's `article.published` reader is. Given
//! [`RelayPlan::last_relay_work`], the last relay does that work (the
//! publish stage's PUTs) before it forwards: the null pipeline, whose
//! throughput is the ceiling a pipeline doing no work of its own could
//! reach beside the same broker and store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use lapin::options::{
    BasicAckOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, Consumer};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::connect::{BROKER_ANSWER_TIMEOUT, close_quietly, connect_with_channel, subscribe};
use crate::{BrokerError, BrokerSettings};

/// Work the last relay does for each message before forwarding it; an
/// `Err` stops the measurement with its text.
pub type RelayWork = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// What to push through the relay.
#[derive(Clone)]
pub struct RelayPlan {
    /// Publishes per message, the producer's included.
    pub hops: usize,
    /// Consumers on every hop but the last (the pipeline's workers per stage).
    pub consumers_per_hop: usize,
    pub prefetch: u16,
    /// Messages one relay handles at once (a worker's concurrency).
    pub concurrency: usize,
    /// The size of the message on each hop, first to last; the last size
    /// repeats if there are more hops than sizes.
    pub message_bytes: Vec<usize>,
    pub messages: usize,
    /// Confirms the producer may wait for at once.
    pub publish_window: usize,
    /// Done by the last relay before it forwards each message.
    pub last_relay_work: Option<RelayWork>,
}

impl std::fmt::Debug for RelayPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayPlan")
            .field("hops", &self.hops)
            .field("consumers_per_hop", &self.consumers_per_hop)
            .field("prefetch", &self.prefetch)
            .field("concurrency", &self.concurrency)
            .field("message_bytes", &self.message_bytes)
            .field("messages", &self.messages)
            .field("publish_window", &self.publish_window)
            .field("last_relay_work", &self.last_relay_work.is_some())
            .finish()
    }
}

impl RelayPlan {
    fn body(&self, hop: usize) -> Arc<Vec<u8>> {
        let size = self
            .message_bytes
            .get(hop)
            .or(self.message_bytes.last())
            .copied()
            .unwrap_or(0);
        Arc::new(vec![b'x'; size])
    }
}

/// How long the relay took to carry every message through every hop.
#[derive(Debug, Clone, Copy)]
pub struct RelayMeasurement {
    pub messages: usize,
    pub elapsed: Duration,
}

impl RelayMeasurement {
    pub fn per_second(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// Runs the relay in `settings.namespace` and deletes its queues afterwards.
pub async fn measure_relay(
    settings: &BrokerSettings,
    plan: &RelayPlan,
) -> Result<RelayMeasurement, BrokerError> {
    let queues: Vec<String> = (0..plan.hops.max(1))
        .map(|hop| format!("{}.ceiling.{hop}", settings.namespace))
        .collect();
    let (admin, admin_channel) = connect_with_channel(settings, "ceiling admin").await?;
    for queue in &queues {
        declare_quorum(&admin_channel, queue).await?;
    }
    let measured = relay(settings, plan, &queues).await;
    for queue in &queues {
        // Best effort: a leftover benchmark queue is harmless and named as one.
        let _ = admin_channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
    close_quietly(&admin, "ceiling measured").await;
    measured
}

async fn relay(
    settings: &BrokerSettings,
    plan: &RelayPlan,
    queues: &[String],
) -> Result<RelayMeasurement, BrokerError> {
    let stop = CancellationToken::new();
    let mut relays = JoinSet::new();
    let mut connections = Vec::new();
    let relaying = queues.len().saturating_sub(1);
    for (hop, pair) in queues.windows(2).enumerate() {
        let work = if hop + 1 == relaying {
            plan.last_relay_work.clone()
        } else {
            None
        };
        for _ in 0..plan.consumers_per_hop.max(1) {
            let (consumer, publisher) = relay_ends(settings, plan.prefetch, &pair[0]).await?;
            let onward = Onward {
                queue: pair[1].clone(),
                body: plan.body(hop + 1),
                slots: Arc::new(tokio::sync::Semaphore::new(plan.concurrency.max(1))),
                work: work.clone(),
            };
            relays.spawn(forward(consumer, publisher, onward, stop.clone()));
        }
    }
    let Some(last) = queues.last() else {
        return Err(BrokerError::Channel {
            doing: "planning the relay",
            detail: "no hops".to_owned(),
        });
    };
    let (sink_connection, sink_channel) = connect_with_channel(settings, "ceiling sink").await?;
    set_prefetch(&sink_channel, plan.prefetch).await?;
    let mut sink = subscribe(&sink_channel, last).await?;
    let (producer, producer_channel) = confirming_channel(settings, "ceiling producer").await?;
    connections.push(sink_connection);
    connections.push(producer);

    let started = Instant::now();
    let producing = produce(producer_channel, queues[0].clone(), plan.body(0), plan);
    let draining = drain(&mut sink, plan.messages);
    let outcome = tokio::select! {
        failed = relays.join_next(), if !relays.is_empty() => Err(BrokerError::Channel {
            doing: "relaying",
            detail: format!("a relay stopped early: {failed:?}"),
        }),
        both = async { tokio::try_join!(producing, draining) } => both.map(|_| ()),
    };
    let elapsed = started.elapsed();
    stop.cancel();
    while relays.join_next().await.is_some() {}
    for connection in &connections {
        close_quietly(connection, "ceiling measured").await;
    }
    outcome.map(|()| RelayMeasurement {
        messages: plan.messages,
        elapsed,
    })
}

type Ends = (Connection, Channel);

/// A consuming channel on `queue` and a confirming publisher, each on its
/// own connection, as a stage has.
async fn relay_ends(
    settings: &BrokerSettings,
    prefetch: u16,
    queue: &str,
) -> Result<((Connection, Consumer), Ends), BrokerError> {
    let (connection, channel) = connect_with_channel(settings, "ceiling relay").await?;
    set_prefetch(&channel, prefetch).await?;
    let consumer = subscribe(&channel, queue).await?;
    let publisher = confirming_channel(settings, "ceiling relay publish").await?;
    Ok(((connection, consumer), publisher))
}

/// Where a relay sends what it consumed, and what it does first.
struct Onward {
    queue: String,
    body: Arc<Vec<u8>>,
    /// One permit per message in hand, as a worker's concurrency.
    slots: Arc<tokio::sync::Semaphore>,
    work: Option<RelayWork>,
}

async fn forward(
    (connection, mut consumer): (Connection, Consumer),
    (publisher_connection, publisher): Ends,
    onward: Onward,
    stop: CancellationToken,
) -> Result<(), BrokerError> {
    let forwarded = forward_until_stopped(&mut consumer, publisher, onward, stop).await;
    close_quietly(&connection, "ceiling measured").await;
    close_quietly(&publisher_connection, "ceiling measured").await;
    forwarded
}

async fn forward_until_stopped(
    consumer: &mut Consumer,
    publisher: Channel,
    onward: Onward,
    stop: CancellationToken,
) -> Result<(), BrokerError> {
    let failed = |detail: String| BrokerError::Channel {
        doing: "relaying",
        detail,
    };
    let publisher = Arc::new(publisher);
    let mut in_flight = JoinSet::new();
    loop {
        let delivery = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                done.map_err(|e| failed(e.to_string()))??;
                continue;
            }
            next = consumer.next() => match next {
                Some(Ok(delivery)) => delivery,
                Some(Err(e)) => return Err(BrokerError::channel("consuming", &e)),
                None => return Err(BrokerError::ConsumerEnded { queue: consumer.queue().to_string() }),
            },
        };
        let slot = Arc::clone(&onward.slots)
            .acquire_owned()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let publisher = Arc::clone(&publisher);
        let (queue, body) = (onward.queue.clone(), Arc::clone(&onward.body));
        let work = onward.work.clone();
        in_flight.spawn(async move {
            let _slot = slot;
            if let Some(work) = work {
                work().await.map_err(failed)?;
            }
            publish_confirmed(&publisher, &queue, &body).await?;
            delivery
                .acker
                .ack(BasicAckOptions::default())
                .await
                .map_err(|e| BrokerError::channel("acking", &e))
        });
    }
}

async fn produce(
    channel: Channel,
    queue: String,
    body: Arc<Vec<u8>>,
    plan: &RelayPlan,
) -> Result<(), BrokerError> {
    let channel = Arc::new(channel);
    let window = Arc::new(tokio::sync::Semaphore::new(plan.publish_window.max(1)));
    let mut confirms = JoinSet::new();
    for _ in 0..plan.messages {
        let permit =
            Arc::clone(&window)
                .acquire_owned()
                .await
                .map_err(|e| BrokerError::Channel {
                    doing: "producing",
                    detail: e.to_string(),
                })?;
        let (channel, queue, body) = (Arc::clone(&channel), queue.clone(), Arc::clone(&body));
        confirms.spawn(async move {
            let _permit = permit;
            publish_confirmed(&channel, &queue, &body).await
        });
        while let Some(done) = confirms.try_join_next() {
            done.map_err(|e| BrokerError::Channel {
                doing: "producing",
                detail: e.to_string(),
            })??;
        }
    }
    while let Some(done) = confirms.join_next().await {
        done.map_err(|e| BrokerError::Channel {
            doing: "producing",
            detail: e.to_string(),
        })??;
    }
    Ok(())
}

/// Acks `expected` messages; fails if the relay goes quiet for longer than
/// the broker is ever allowed to take to answer.
async fn drain(sink: &mut Consumer, expected: usize) -> Result<(), BrokerError> {
    let mut received = 0;
    while received < expected {
        let next = tokio::time::timeout(BROKER_ANSWER_TIMEOUT, sink.next())
            .await
            .map_err(|_| BrokerError::Channel {
                doing: "draining the relay",
                detail: format!(
                    "nothing arrived for {BROKER_ANSWER_TIMEOUT:?} after {received} of {expected}"
                ),
            })?;
        let delivery = match next {
            Some(Ok(delivery)) => delivery,
            Some(Err(e)) => return Err(BrokerError::channel("draining", &e)),
            None => {
                return Err(BrokerError::ConsumerEnded {
                    queue: sink.queue().to_string(),
                });
            }
        };
        delivery
            .acker
            .ack(BasicAckOptions::default())
            .await
            .map_err(|e| BrokerError::channel("acking", &e))?;
        received += 1;
    }
    Ok(())
}

async fn publish_confirmed(channel: &Channel, queue: &str, body: &[u8]) -> Result<(), BrokerError> {
    let failed = |detail: String| BrokerError::Publish {
        exchange: String::new(),
        routing_key: queue.to_owned(),
        detail,
    };
    let confirm = channel
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions {
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            body,
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .map_err(|e| failed(e.to_string()))?;
    let confirmation = tokio::time::timeout(BROKER_ANSWER_TIMEOUT, confirm)
        .await
        .map_err(|_| failed(format!("no confirm within {BROKER_ANSWER_TIMEOUT:?}")))?
        .map_err(|e| failed(e.to_string()))?;
    if confirmation.is_ack() {
        Ok(())
    } else {
        Err(failed("the broker refused it (nack)".to_owned()))
    }
}

async fn confirming_channel(settings: &BrokerSettings, purpose: &str) -> Result<Ends, BrokerError> {
    let (connection, channel) = connect_with_channel(settings, purpose).await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| BrokerError::channel("enabling publisher confirms", &e))?;
    Ok((connection, channel))
}

async fn set_prefetch(channel: &Channel, prefetch: u16) -> Result<(), BrokerError> {
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await
        .map_err(|e| BrokerError::channel("setting prefetch", &e))
}

async fn declare_quorum(channel: &Channel, queue: &str) -> Result<(), BrokerError> {
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            arguments,
        )
        .await
        .map_err(|e| BrokerError::channel("declaring a ceiling queue", &e))?;
    Ok(())
}
