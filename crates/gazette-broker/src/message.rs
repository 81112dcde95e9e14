//! Messages as stages see them, free of AMQP types.

use std::collections::BTreeMap;

use lapin::types::{AMQPValue, FieldTable};

use crate::headers;

/// The exchanges a stage publishes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    /// `<namespace>.events`: public events, for upstream systems and subscribers.
    Events,
    /// `<namespace>.internal`: hand-offs between stages.
    Internal,
}

/// A delivery, handed to a stage's handler.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub body: Vec<u8>,
    /// The key the message was first published with, also after a retry.
    pub routing_key: String,
    pub message_id: Option<String>,
    pub correlation_id: Option<String>,
    pub redelivered: bool,
    /// 1 for the first attempt; counts through retry queues.
    pub attempt: u32,
    /// String-valued headers (others are left out).
    pub headers: BTreeMap<String, String>,
}

impl Inbound {
    /// Takes the body out of `delivery` rather than copying it: the
    /// delivery is kept only to ack it and to copy its properties.
    pub(crate) fn from_delivery(delivery: &mut lapin::message::Delivery) -> Self {
        let properties = &delivery.properties;
        let headers = properties
            .headers()
            .as_ref()
            .map(string_headers)
            .unwrap_or_default();
        let attempt = headers
            .get(headers::ATTEMPT)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1);
        Self {
            body: std::mem::take(&mut delivery.data),
            // Through a delay queue the key becomes the queue's name; the
            // header keeps the one it was first published with.
            routing_key: headers
                .get(headers::ROUTING_KEY)
                .cloned()
                .unwrap_or_else(|| delivery.routing_key.as_str().to_owned()),
            message_id: properties
                .message_id()
                .as_ref()
                .map(|s| s.as_str().to_owned()),
            correlation_id: properties
                .correlation_id()
                .as_ref()
                .map(|s| s.as_str().to_owned()),
            redelivered: delivery.redelivered,
            attempt,
            headers,
        }
    }
}

/// A message a stage wants published. The loop publishes it with confirms
/// and the mandatory flag before it acks the delivery that caused it.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub exchange: Exchange,
    pub routing_key: String,
    pub body: Vec<u8>,
    pub message_id: String,
    pub correlation_id: Option<String>,
    pub content_type: &'static str,
    pub headers: BTreeMap<String, String>,
}

pub(crate) fn string_headers(table: &FieldTable) -> BTreeMap<String, String> {
    table
        .inner()
        .iter()
        .filter_map(|(key, value)| {
            let text = match value {
                AMQPValue::LongString(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                AMQPValue::ShortString(s) => s.as_str().to_owned(),
                AMQPValue::LongLongInt(n) => n.to_string(),
                AMQPValue::LongInt(n) => n.to_string(),
                AMQPValue::LongUInt(n) => n.to_string(),
                AMQPValue::ShortInt(n) => n.to_string(),
                AMQPValue::Boolean(b) => b.to_string(),
                _ => return None,
            };
            Some((key.as_str().to_owned(), text))
        })
        .collect()
}

pub(crate) fn field_table(headers: &BTreeMap<String, String>) -> FieldTable {
    let mut table = FieldTable::default();
    for (key, value) in headers {
        table.insert(
            key.as_str().into(),
            AMQPValue::LongString(value.as_str().into()),
        );
    }
    table
}
