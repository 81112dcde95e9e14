//! Publishing with confirms and the mandatory flag, on a connection of its own.
//!
//! A publisher that RabbitMQ blocks (memory or disk alarm) must not stop
//! the same process from consuming and acking, so it never shares a
//! connection with a consumer.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Confirmation, Connection};

use crate::connect::{BROKER_ANSWER_TIMEOUT, close_quietly, connect_with_channel};
use crate::message::field_table;
use crate::{BrokerError, BrokerSettings, Outbound, Topology, body};

/// Whether a confirmed message reached a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routed {
    Queued,
    /// The broker accepted it but no queue is bound for its routing key.
    Unrouted,
}

/// Cheap to clone; every clone shares one confirm-mode channel.
#[derive(Debug, Clone)]
pub struct Publisher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    connection: Connection,
    channel: Channel,
    topology: Topology,
}

impl Publisher {
    pub async fn connect(settings: &BrokerSettings, purpose: &str) -> Result<Self, BrokerError> {
        let (connection, channel) =
            connect_with_channel(settings, &format!("{purpose} publish")).await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| BrokerError::channel("enabling publisher confirms", &e))?;
        let topology = Topology::new(&settings.namespace);
        Ok(Self {
            inner: Arc::new(Inner {
                connection,
                channel,
                topology,
            }),
        })
    }

    /// Publishes `message` persistently and waits for the broker's confirm.
    pub async fn publish(&self, message: &Outbound) -> Result<Routed, BrokerError> {
        self.publish_message(message, true).await
    }

    /// Publishes a public event that may have no subscriber yet, confirmed
    /// but without the mandatory flag. On a channel shared by concurrent
    /// publishes, lapin can pin a `basic.return` on another message's
    /// confirm (seen: an unrouted `article.rejected` reported on the routed
    /// `article.validated` beside it, which broke the session). Public
    /// events are allowed to go unrouted, so they ask for no return, and
    /// returns come only for messages that must be routed.
    pub async fn offer(&self, message: &Outbound) -> Result<(), BrokerError> {
        self.publish_message(message, false).await.map(|_| ())
    }

    async fn publish_message(
        &self,
        message: &Outbound,
        mandatory: bool,
    ) -> Result<Routed, BrokerError> {
        let mut properties = BasicProperties::default()
            .with_content_type(message.content_type.into())
            .with_message_id(message.message_id.as_str().into())
            .with_headers(field_table(&message.headers));
        if let Some(correlation) = &message.correlation_id {
            properties = properties.with_correlation_id(correlation.as_str().into());
        }
        if let Some(encoding) = message.content_encoding {
            properties = properties.with_content_encoding(encoding.into());
        }
        let packed = message.packed_body();
        let body = match &packed {
            Some(packed) => {
                properties = properties.with_content_encoding(body::ZSTD.into());
                packed
            }
            None => &message.body,
        };
        let exchange = self.inner.topology.exchange(message.exchange);
        self.publish_with(&exchange, &message.routing_key, body, properties, mandatory)
            .await
    }

    /// Lower level, for the loop's own retry and dead-letter copies, which must be routed.
    pub(crate) async fn publish_raw(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<Routed, BrokerError> {
        self.publish_with(exchange, routing_key, body, properties, true)
            .await
    }

    async fn publish_with(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
        mandatory: bool,
    ) -> Result<Routed, BrokerError> {
        let failed = |detail: String| BrokerError::Publish {
            exchange: exchange.to_owned(),
            routing_key: routing_key.to_owned(),
            detail,
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let properties = properties
            .with_delivery_mode(2)
            .with_timestamp(now)
            .with_app_id("gazette".into());
        let properties = if properties.headers().is_none() {
            properties.with_headers(FieldTable::default())
        } else {
            properties
        };
        let confirm = self
            .inner
            .channel
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                BasicPublishOptions {
                    mandatory,
                    ..BasicPublishOptions::default()
                },
                body,
                properties,
            )
            .await
            .map_err(|e| failed(e.to_string()))?;
        let confirmation = tokio::time::timeout(BROKER_ANSWER_TIMEOUT, confirm)
            .await
            .map_err(|_| failed(format!("no confirm within {BROKER_ANSWER_TIMEOUT:?}")))?;
        match confirmation.map_err(|e| failed(e.to_string()))? {
            Confirmation::Ack(None) => Ok(Routed::Queued),
            Confirmation::Ack(Some(_returned)) => Ok(Routed::Unrouted),
            Confirmation::Nack(_) => Err(failed(
                "the broker refused it (nack): a queue may be full or unavailable".to_owned(),
            )),
            Confirmation::NotRequested => Err(failed(
                "publisher confirms are not enabled on this channel".to_owned(),
            )),
        }
    }

    pub fn topology(&self) -> &Topology {
        &self.inner.topology
    }

    pub async fn close(&self) {
        close_quietly(&self.inner.connection, "closing").await;
    }
}
