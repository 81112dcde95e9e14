//! Reading events off the broker from outside a stage: `gazette submit --wait`, dead-letter tools, tests.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, Consumer};

use crate::connect::{close_quietly, connect, subscribe};
use crate::topology::declare;
use crate::{BrokerError, BrokerSettings, Exchange, Inbound, Topology};

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
        let (connection, channel) = open(settings).await?;
        declare(&channel, settings, &[]).await?;
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| BrokerError::channel("declaring a private queue", &e))?;
        let exchange = Topology::new(&settings.namespace).exchange(exchange);
        for key in routing_keys {
            channel
                .queue_bind(
                    queue.name().clone(),
                    exchange.as_str().into(),
                    (*key).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(|e| BrokerError::channel("binding a private queue", &e))?;
        }
        let consumer = subscribe(&channel, queue.name().as_str()).await?;
        Ok(Self {
            connection,
            _channel: channel,
            consumer,
        })
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
        let (connection, channel) = open(settings).await?;
        declare(&channel, settings, &[]).await?;
        let mut arguments = FieldTable::default();
        arguments.insert(
            "x-queue-type".into(),
            lapin::types::AMQPValue::LongString("quorum".into()),
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
            .map_err(|e| BrokerError::channel("declaring a durable queue", &e))?;
        let exchange = Topology::new(&settings.namespace).exchange(exchange);
        for key in routing_keys {
            channel
                .queue_bind(
                    queue.into(),
                    exchange.as_str().into(),
                    (*key).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(|e| BrokerError::channel("binding a durable queue", &e))?;
        }
        let consumer = subscribe(&channel, queue).await?;
        Ok(Self {
            connection,
            _channel: channel,
            consumer,
        })
    }

    /// Consumes an existing queue by name, such as `<ns>.validate.dead`.
    pub async fn queue(settings: &BrokerSettings, queue: &str) -> Result<Self, BrokerError> {
        let (connection, channel) = open(settings).await?;
        let consumer = subscribe(&channel, queue).await?;
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
            Some(Ok(delivery)) => {
                delivery
                    .acker
                    .ack(BasicAckOptions::default())
                    .await
                    .map_err(|e| BrokerError::channel("acking", &e))?;
                Ok(Some(Inbound::from_delivery(&delivery)))
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

async fn open(settings: &BrokerSettings) -> Result<(Connection, Channel), BrokerError> {
    let connection = connect(settings, "tap").await?;
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| BrokerError::channel("opening a channel", &e))?;
    Ok((connection, channel))
}
