//! Idempotent declaration and deletion of a namespace's exchanges, queues and bindings, as planned by `plan.rs`.

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};

use crate::connect::{BROKER_ANSWER_TIMEOUT, close_quietly, connect_with_channel};
use crate::plan::{Argument, plan};
use crate::{BrokerError, BrokerSettings, StageSpec, Topology};

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
    let failed = |e: lapin::Error| BrokerError::Topology {
        namespace: settings.namespace.clone(),
        detail: format!(
            "{e}. If a queue or exchange already exists with other arguments, delete it or choose another GAZETTE_NAMESPACE"
        ),
    };
    let plan = plan(settings, stages);
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    for exchange in &plan.exchanges {
        let kind = if exchange.kind == "direct" {
            ExchangeKind::Direct
        } else {
            ExchangeKind::Topic
        };
        channel
            .exchange_declare(
                exchange.name.as_str().into(),
                kind,
                durable,
                FieldTable::default(),
            )
            .await
            .map_err(failed)?;
    }
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    for queue in &plan.queues {
        channel
            .queue_declare(
                queue.name.as_str().into(),
                durable,
                field_table(&queue.arguments),
            )
            .await
            .map_err(failed)?;
    }
    for stage in stages {
        let queue = Topology::new(&settings.namespace).work_queue(stage.name);
        for (exchange, routing_key) in stage.retired {
            // Unbinding what is not bound is a no-op for RabbitMQ.
            channel
                .queue_unbind(
                    queue.as_str().into(),
                    Topology::new(&settings.namespace)
                        .exchange(*exchange)
                        .as_str()
                        .into(),
                    (*routing_key).into(),
                    FieldTable::default(),
                )
                .await
                .map_err(failed)?;
        }
    }
    for binding in &plan.bindings {
        channel
            .queue_bind(
                binding.queue.as_str().into(),
                binding.exchange.as_str().into(),
                binding.routing_key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(failed)?;
    }
    Ok(())
}

fn field_table(arguments: &std::collections::BTreeMap<&'static str, Argument>) -> FieldTable {
    let mut table = FieldTable::default();
    for (name, value) in arguments {
        let value = match value {
            Argument::Text(text) => AMQPValue::LongString(text.as_str().into()),
            Argument::Int(n) => AMQPValue::LongInt(*n),
            Argument::Long(n) => AMQPValue::LongLongInt(*n),
            Argument::Bool(b) => AMQPValue::Boolean(*b),
        };
        table.insert((*name).into(), value);
    }
    table
}

/// Messages ready in `queue` (not those delivered and unacked). `None` when
/// the queue does not exist.
pub async fn queue_depth(
    settings: &BrokerSettings,
    queue: &str,
) -> Result<Option<u32>, BrokerError> {
    let (connection, channel) = connect_with_channel(settings, "depth").await?;
    let depth = inspect(&channel, queue)
        .await
        .map(|found| found.map(|q| q.message_count()));
    close_quietly(&connection, "depth read").await;
    depth
}

/// The queue as the broker counts it (ready messages, consumers), or none
/// if there is no such queue. A missing queue closes `channel`, as AMQP has
/// a failed passive declaration do.
pub(crate) async fn inspect(
    channel: &Channel,
    queue: &str,
) -> Result<Option<lapin::Queue>, BrokerError> {
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    channel
        .queue_declare(queue.into(), passive, FieldTable::default())
        .await
        .map(Some)
        .or_else(|e| {
            if e.to_string().contains("NOT_FOUND") {
                Ok(None)
            } else {
                Err(BrokerError::channel("inspecting a queue", &e))
            }
        })
}

/// Removes one queue, such as a durable tap's; a missing queue is not an error.
pub async fn delete_queue(settings: &BrokerSettings, queue: &str) -> Result<(), BrokerError> {
    let (connection, channel) = connect_with_channel(settings, "teardown").await?;
    let deleted = channel
        .queue_delete(queue.into(), QueueDeleteOptions::default())
        .await
        .map(|_| ())
        .map_err(|e| BrokerError::channel("deleting a queue", &e));
    close_quietly(&connection, "queue deleted").await;
    deleted
}

/// Removes a namespace's queues and exchanges (tests and `gazette` tooling).
pub async fn delete_namespace(
    settings: &BrokerSettings,
    stages: &[StageSpec],
) -> Result<(), BrokerError> {
    let plan = plan(settings, stages);
    let (connection, channel) = connect_with_channel(settings, "teardown").await?;
    for queue in &plan.queues {
        channel
            .queue_delete(queue.name.as_str().into(), QueueDeleteOptions::default())
            .await
            .map_err(|e| BrokerError::channel("deleting a queue", &e))?;
    }
    for exchange in &plan.exchanges {
        channel
            .exchange_delete(
                exchange.name.as_str().into(),
                ExchangeDeleteOptions::default(),
            )
            .await
            .map_err(|e| BrokerError::channel("deleting an exchange", &e))?;
    }
    close_quietly(&connection, "namespace deleted").await;
    Ok(())
}
