//! Exchange and queue names, their arguments, and idempotent declaration.
//!
//! Every name starts with the namespace. Per stage:
//! - `<ns>.<stage>`: the work queue (quorum), bound to what the stage consumes;
//! - `<ns>.<stage>.retry.<ms>ms`: one delay queue per retry delay, whose
//!   expired messages dead-letter straight back into the work queue;
//! - `<ns>.<stage>.dead`: dead letters, fed through `<ns>.dead-letter`.

use std::collections::BTreeSet;
use std::time::Duration;

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};

use crate::connect::{BROKER_ANSWER_TIMEOUT, close_quietly, connect_with_channel};
use crate::{BrokerError, BrokerSettings, Exchange};

/// A stage's place in the topology: its name and the `(exchange, routing key)` pairs it consumes.
#[derive(Debug, Clone, Copy)]
pub struct StageSpec {
    pub name: &'static str,
    pub consumes: &'static [(Exchange, &'static str)],
}

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
}

/// Declares the exchanges and the given stages' queues. Safe to run from
/// every process at every start: declarations with the same arguments are no-ops.
pub async fn ensure_topology(
    settings: &BrokerSettings,
    stages: &[StageSpec],
) -> Result<(), BrokerError> {
    let (connection, channel) = connect_with_channel(settings, "topology").await?;
    let declared = tokio::time::timeout(BROKER_ANSWER_TIMEOUT, declare(&channel, settings, stages))
        .await
        .unwrap_or_else(|_| {
            Err(BrokerError::Topology {
                namespace: settings.namespace.clone(),
                detail: format!("no answer within {BROKER_ANSWER_TIMEOUT:?}"),
            })
        });
    close_quietly(&connection, "topology declared").await;
    declared
}

pub(crate) async fn declare(
    channel: &Channel,
    settings: &BrokerSettings,
    stages: &[StageSpec],
) -> Result<(), BrokerError> {
    let topology = Topology::new(&settings.namespace);
    let failed = |e: lapin::Error| BrokerError::Topology {
        namespace: settings.namespace.clone(),
        detail: format!(
            "{e}. If a queue or exchange already exists with other arguments, delete it or choose another GAZETTE_NAMESPACE"
        ),
    };
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    for exchange in [Exchange::Events, Exchange::Internal] {
        channel
            .exchange_declare(
                topology.exchange(exchange).into(),
                ExchangeKind::Topic,
                durable,
                FieldTable::default(),
            )
            .await
            .map_err(failed)?;
    }
    let dlx = topology.dead_letter_exchange();
    channel
        .exchange_declare(
            dlx.as_str().into(),
            ExchangeKind::Direct,
            durable,
            FieldTable::default(),
        )
        .await
        .map_err(failed)?;

    let queue_options = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    for stage in stages {
        let work = topology.work_queue(stage.name);
        channel
            .queue_declare(
                work.as_str().into(),
                queue_options,
                work_queue_arguments(settings, &dlx, stage.name),
            )
            .await
            .map_err(failed)?;
        for (exchange, routing_key) in stage.consumes {
            channel
                .queue_bind(
                    work.as_str().into(),
                    topology.exchange(*exchange).into(),
                    (*routing_key).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(failed)?;
        }

        let dead = topology.dead_queue(stage.name);
        channel
            .queue_declare(dead.as_str().into(), queue_options, quorum_arguments())
            .await
            .map_err(failed)?;
        channel
            .queue_bind(
                dead.as_str().into(),
                dlx.as_str().into(),
                stage.name.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(failed)?;

        for delay in distinct_delays(settings) {
            channel
                .queue_declare(
                    topology.retry_queue(stage.name, delay).into(),
                    queue_options,
                    retry_queue_arguments(delay, &work),
                )
                .await
                .map_err(failed)?;
        }
    }
    Ok(())
}

/// Messages ready in `queue` (not those delivered and unacked). `None` when
/// the queue does not exist.
pub async fn queue_depth(
    settings: &BrokerSettings,
    queue: &str,
) -> Result<Option<u32>, BrokerError> {
    let (connection, channel) = connect_with_channel(settings, "depth").await?;
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    let depth = channel
        .queue_declare(queue.into(), passive, FieldTable::default())
        .await
        .map(|q| Some(q.message_count()))
        .or_else(|e| {
            if e.to_string().contains("NOT_FOUND") {
                Ok(None)
            } else {
                Err(BrokerError::channel("inspecting a queue", &e))
            }
        });
    close_quietly(&connection, "depth read").await;
    depth
}

/// Removes a namespace's queues and exchanges (tests and `gazette` tooling).
pub async fn delete_namespace(
    settings: &BrokerSettings,
    stages: &[StageSpec],
) -> Result<(), BrokerError> {
    let topology = Topology::new(&settings.namespace);
    let (connection, channel) = connect_with_channel(settings, "teardown").await?;
    let mut queues = Vec::new();
    for stage in stages {
        queues.push(topology.work_queue(stage.name));
        queues.push(topology.dead_queue(stage.name));
        queues.extend(distinct_delays(settings).map(|d| topology.retry_queue(stage.name, d)));
    }
    for queue in queues {
        channel
            .queue_delete(queue.into(), QueueDeleteOptions::default())
            .await
            .map_err(|e| BrokerError::channel("deleting a queue", &e))?;
    }
    for exchange in [
        topology.exchange(Exchange::Events),
        topology.exchange(Exchange::Internal),
        topology.dead_letter_exchange(),
    ] {
        channel
            .exchange_delete(exchange.into(), ExchangeDeleteOptions::default())
            .await
            .map_err(|e| BrokerError::channel("deleting an exchange", &e))?;
    }
    close_quietly(&connection, "namespace deleted").await;
    Ok(())
}

fn distinct_delays(settings: &BrokerSettings) -> impl Iterator<Item = Duration> {
    settings
        .retry
        .delays
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
}

fn quorum_arguments() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    args
}

/// Quorum, so a broker crash keeps every accepted message; a delivery limit,
/// so a message that crashes its worker every time ends in the dead-letter
/// queue instead of looping; at-least-once dead-lettering (which requires
/// reject-publish overflow), so that hand-over cannot drop it either.
pub(crate) fn work_queue_arguments(
    settings: &BrokerSettings,
    dlx: &str,
    stage: &str,
) -> FieldTable {
    let mut args = dead_lettering_quorum_queue(dlx, stage);
    args.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongInt(i32::try_from(settings.delivery_limit).unwrap_or(i32::MAX)),
    );
    args
}

/// Messages sit here for `delay`, then expire through the default exchange
/// back into the work queue. Per-message expirations (jitter) are at most
/// `delay`, so one queue per delay keeps the head from blocking the rest.
fn retry_queue_arguments(delay: Duration, work_queue: &str) -> FieldTable {
    let mut args = dead_lettering_quorum_queue("", work_queue);
    args.insert(
        "x-message-ttl".into(),
        AMQPValue::LongLongInt(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)),
    );
    args
}

/// A quorum queue whose dead letters go to `exchange` with `routing_key`,
/// at least once: the broker keeps a message until the target confirms it,
/// which RabbitMQ only allows together with reject-publish overflow.
fn dead_lettering_quorum_queue(exchange: &str, routing_key: &str) -> FieldTable {
    let mut args = quorum_arguments();
    for (name, value) in [
        ("x-dead-letter-exchange", exchange),
        ("x-dead-letter-routing-key", routing_key),
        ("x-dead-letter-strategy", "at-least-once"),
        ("x-overflow", "reject-publish"),
    ] {
        args.insert(name.into(), AMQPValue::LongString(value.into()));
    }
    args
}
