//! Reading events off the broker from outside a stage: `gazette submit --wait`, dead-letter tools, tests.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicQosOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, Consumer};

use crate::connect::{BROKER_ANSWER_TIMEOUT, close_quietly, connect_with_channel, subscribe};
use crate::topology::declare;
use crate::{BrokerError, BrokerSettings, Exchange, Inbound, Topology};

/// `request`, or a channel error once the broker has not answered it in
/// [`BROKER_ANSWER_TIMEOUT`]. A connection that dies mid-request, as when
/// a cluster node is killed, can leave lapin's answer pending for ever:
/// the fault suite's collector once waited 17 minutes on one, with no
/// socket left open. Connecting has its own deadline, per node.
async fn answered<T>(
    doing: &'static str,
    request: impl Future<Output = Result<T, BrokerError>>,
) -> Result<T, BrokerError> {
    tokio::time::timeout(BROKER_ANSWER_TIMEOUT, request)
        .await
        .unwrap_or_else(|_| {
            Err(BrokerError::Channel {
                doing,
                detail: format!("no answer within {BROKER_ANSWER_TIMEOUT:?}"),
            })
        })
}

/// How many unacked messages the broker may push to a tap. Without a
/// limit RabbitMQ sends a tap its whole backlog at once: the fault suite's
/// collector once held thousands, and when its node was killed every one
/// of them went back to the queue and came round again, behind a
/// minute's wait. A tap acks each message as it reads it, so a few
/// hundred keep it fed.
const TAP_PREFETCH: u16 = 256;

/// Sets the tap's prefetch, then consumes `queue`: the limit must be in
/// place before the first delivery.
async fn consume(channel: &Channel, queue: &str) -> Result<Consumer, BrokerError> {
    channel
        .basic_qos(TAP_PREFETCH, BasicQosOptions::default())
        .await
        .map_err(|e| BrokerError::channel("setting the tap's prefetch", &e))?;
    subscribe(channel, queue).await
}

/// A consumer that acks what it reads.
#[derive(Debug)]
pub struct Tap {
    connection: Connection,
    _channel: Channel,
    consumer: Consumer,
}

impl Tap {
    /// A private queue, deleted when the tap closes, bound to `routing_keys`
    /// on `exchange`. Bind before publishing whatever you wait for.
    pub async fn bind(
        settings: &BrokerSettings,
        exchange: Exchange,
        routing_keys: &[&str],
    ) -> Result<Self, BrokerError> {
        let private = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..QueueDeclareOptions::default()
        };
        Self::declare_and_consume(
            settings,
            "",
            private,
            FieldTable::default(),
            exchange,
            routing_keys,
        )
        .await
    }

    /// A durable quorum queue named `queue`, bound to `routing_keys` on
    /// `exchange`. It outlives the tap and broker restarts, so a reader that
    /// reconnects misses nothing (tests' ledgers, audit consumers).
    pub async fn durable(
        settings: &BrokerSettings,
        queue: &str,
        exchange: Exchange,
        routing_keys: &[&str],
    ) -> Result<Self, BrokerError> {
        let mut quorum = FieldTable::default();
        quorum.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        let durable = QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        };
        Self::declare_and_consume(settings, queue, durable, quorum, exchange, routing_keys).await
    }

    /// Declares `queue` (`""` lets the broker name it), binds it, consumes it.
    async fn declare_and_consume(
        settings: &BrokerSettings,
        queue: &str,
        options: QueueDeclareOptions,
        arguments: FieldTable,
        exchange: Exchange,
        routing_keys: &[&str],
    ) -> Result<Self, BrokerError> {
        let (connection, channel) = connect_with_channel(settings, "tap").await?;
        let consumer = answered("setting up the tap", async {
            declare(&channel, settings, &[]).await?;
            let declared = channel
                .queue_declare(queue.into(), options, arguments)
                .await
                .map_err(|e| BrokerError::channel("declaring the tap's queue", &e))?;
            let exchange = Topology::new(&settings.namespace).exchange(exchange);
            for key in routing_keys {
                channel
                    .queue_bind(
                        declared.name().clone(),
                        exchange.as_str().into(),
                        (*key).into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .map_err(|e| BrokerError::channel("binding the tap's queue", &e))?;
            }
            consume(&channel, declared.name().as_str()).await
        })
        .await?;
        Ok(Self {
            connection,
            _channel: channel,
            consumer,
        })
    }

    /// Consumes an existing queue by name, such as `<ns>.validate.dead`.
    pub async fn queue(settings: &BrokerSettings, queue: &str) -> Result<Self, BrokerError> {
        let (connection, channel) = connect_with_channel(settings, "tap").await?;
        let consumer = answered("setting up the tap", consume(&channel, queue)).await?;
        Ok(Self {
            connection,
            _channel: channel,
            consumer,
        })
    }

    /// The next message, acked, or `None` if none arrives `within`.
    pub async fn next(&mut self, within: Duration) -> Result<Option<Inbound>, BrokerError> {
        let Ok(next) = tokio::time::timeout(within, self.consumer.next()).await else {
            return Ok(None);
        };
        match next {
            Some(Ok(mut delivery)) => {
                answered("acking", async {
                    delivery
                        .acker
                        .ack(BasicAckOptions::default())
                        .await
                        .map_err(|e| BrokerError::channel("acking", &e))
                })
                .await?;
                Ok(Some(Inbound::as_delivered(&mut delivery)))
            }
            Some(Err(e)) => Err(BrokerError::channel("consuming", &e)),
            None => Err(BrokerError::ConsumerEnded {
                queue: self.consumer.queue().to_string(),
            }),
        }
    }

    pub async fn close(self) {
        close_quietly(&self.connection, "tap closed").await;
    }
}
