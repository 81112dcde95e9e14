//! Messages as stages see them, free of AMQP types.

use std::collections::BTreeMap;

use lapin::types::{AMQPValue, FieldTable};

use crate::body::{self, BodyFault};
use crate::{Exchange, Topology, headers};

/// How far a tap decodes a compressed body: taps read for tests, the bench
/// and `gazette submit`, never more than a stage would accept many times over.
const TAP_BODY_LIMIT: usize = 64 << 20;

/// A delivery, handed to a stage's handler.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The body as its sender wrote it: decoded when it travelled
    /// compressed (see [`crate::body`]).
    pub body: Vec<u8>,
    /// The body's size as the broker carried it.
    pub wire_bytes: usize,
    /// The content-encoding `body` is still in: `None` once a compressed
    /// body is decoded; an encoding Gazette does not decode stays as it
    /// came, and so does a body that failed to decode.
    pub content_encoding: Option<String>,
    /// Why a body marked compressed could not be decoded; the loop
    /// dead-letters such a message without calling the stage.
    pub body_fault: Option<BodyFault>,
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
    ///
    /// The routing key and the attempt number are the broker's own unless
    /// the delivery really came back through one of `stage`'s delay queues
    /// (see [`returned_through_delay_queue`]); only then do Gazette's
    /// `x-gazette-routing-key` and `x-gazette-attempt` headers count. A
    /// producer who copies those headers onto a message of its own gets
    /// the key it published with and attempt 1, nothing more.
    ///
    /// A compressed body is decoded up to `limit` bytes, the stage's
    /// message limit.
    pub(crate) fn for_stage(
        delivery: &mut lapin::message::Delivery,
        topology: &Topology,
        stage: &str,
        limit: usize,
    ) -> Self {
        let returned = returned_through_delay_queue(
            delivery.exchange.as_str(),
            delivery.routing_key.as_str(),
            delivery.properties.headers().as_ref(),
            topology,
            stage,
        );
        Self::from_delivery(delivery, returned, limit)
    }

    /// As the broker delivered it: its routing key, attempt 1. For taps
    /// that read a queue of their own.
    pub(crate) fn as_delivered(delivery: &mut lapin::message::Delivery) -> Self {
        Self::from_delivery(delivery, false, TAP_BODY_LIMIT)
    }

    fn from_delivery(
        delivery: &mut lapin::message::Delivery,
        returned: bool,
        limit: usize,
    ) -> Self {
        let properties = &delivery.properties;
        let headers = properties
            .headers()
            .as_ref()
            .map(string_headers)
            .unwrap_or_default();
        let (routing_key, attempt) = match returned {
            // Through a delay queue the key becomes the work queue's name;
            // the header we wrote keeps the one it was first published with.
            true => (
                headers
                    .get(headers::ROUTING_KEY)
                    .cloned()
                    .unwrap_or_else(|| delivery.routing_key.as_str().to_owned()),
                headers
                    .get(headers::ATTEMPT)
                    .and_then(|a| a.parse().ok())
                    .unwrap_or(1),
            ),
            false => (delivery.routing_key.as_str().to_owned(), 1),
        };
        let wire = std::mem::take(&mut delivery.data);
        let wire_bytes = wire.len();
        let encoding = properties
            .content_encoding()
            .as_ref()
            .map(|e| e.as_str().to_owned());
        let (body, content_encoding, body_fault) = match body::is_compressed(encoding.as_deref()) {
            false => (wire, encoding, None),
            true => match body::decompress(&wire, limit) {
                Ok(body) => (body, None, None),
                // Kept as it came, so its dead letter holds the original.
                Err(fault) => (wire, encoding, Some(fault)),
            },
        };
        Self {
            body,
            wire_bytes,
            content_encoding,
            body_fault,
            routing_key,
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

/// Whether a delivery is one that expired out of one of `stage`'s own delay
/// queues (`<ns>.<stage>.retry.<ms>ms`) back into its work queue.
///
/// Three facts must agree, and a producer controls none of them:
/// - it arrived through the default exchange, which only Gazette's own
///   users may publish to (`amq.default` write permission) and which the
///   delay queues dead-letter through;
/// - with the work queue's name as its routing key, as the delay queues set it;
/// - and the broker's newest `x-death` entry says it `expired` in one of
///   this stage's delay queues.
///
/// A forged `x-death` on a message published to `<ns>.events` fails the
/// first test; the broker writes the entry itself on the way back.
pub(crate) fn returned_through_delay_queue(
    exchange: &str,
    routing_key: &str,
    headers: Option<&FieldTable>,
    topology: &Topology,
    stage: &str,
) -> bool {
    if !exchange.is_empty() || routing_key != topology.work_queue(stage) {
        return false;
    }
    let Some(newest) = headers.and_then(newest_death) else {
        return false;
    };
    let (queue, reason) = (death_queue(newest), text(newest.inner().get("reason")));
    reason.as_deref() == Some("expired")
        && queue.is_some_and(|queue| topology.is_retry_queue(stage, &queue))
}

/// The first (newest) entry of the broker's `x-death` array.
pub(crate) fn newest_death(headers: &FieldTable) -> Option<&FieldTable> {
    match headers.inner().get("x-death")? {
        AMQPValue::FieldArray(entries) => match entries.as_slice().first()? {
            AMQPValue::FieldTable(entry) => Some(entry),
            _ => None,
        },
        _ => None,
    }
}

/// The routing key the broker recorded in the newest `x-death` entry: where
/// a message dead-lettered by the broker itself (a delivery limit) was headed.
pub(crate) fn death_routing_key(headers: &FieldTable) -> Option<String> {
    match newest_death(headers)?.inner().get("routing-keys")? {
        AMQPValue::FieldArray(keys) => keys.as_slice().first().and_then(|k| text(Some(k))),
        _ => None,
    }
}

/// The queue an `x-death` entry says the message died in.
pub(crate) fn death_queue(entry: &FieldTable) -> Option<String> {
    text(entry.inner().get("queue"))
}

fn text(value: Option<&AMQPValue>) -> Option<String> {
    match value? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
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
    /// The content-encoding `body` is already in. `None` lets the
    /// publisher choose: hand-offs on the internal exchange go compressed
    /// (see [`crate::body`]), public events plain.
    pub content_encoding: Option<&'static str>,
    pub headers: BTreeMap<String, String>,
}

impl Outbound {
    /// The body compressed for the wire, or `None` to send it as it is.
    /// Only Gazette's stages read the internal exchange (see
    /// [`crate::body`]); a body already encoded stays as it is.
    pub fn packed_body(&self) -> Option<Vec<u8>> {
        match (self.content_encoding, self.exchange) {
            (None, Exchange::Internal) => body::compress(&self.body),
            (Some(_), _) | (None, Exchange::Events) => None,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn death(queue: &str, reason: &str) -> FieldTable {
        let mut entry = FieldTable::default();
        entry.insert("queue".into(), AMQPValue::LongString(queue.into()));
        entry.insert("reason".into(), AMQPValue::LongString(reason.into()));
        entry.insert(
            "routing-keys".into(),
            AMQPValue::FieldArray(vec![AMQPValue::LongString("article.rendered".into())].into()),
        );
        let mut headers = FieldTable::default();
        headers.insert(
            "x-death".into(),
            AMQPValue::FieldArray(vec![AMQPValue::FieldTable(entry)].into()),
        );
        headers
    }

    #[test]
    fn only_a_real_return_from_the_stages_own_delay_queue_is_trusted() {
        let topology = Topology::new("ns");
        let returned = death("ns.publish.retry.1000ms", "expired");
        assert!(returned_through_delay_queue(
            "",
            "ns.publish",
            Some(&returned),
            &topology,
            "publish"
        ));
        // Published to the events exchange with a forged x-death.
        assert!(!returned_through_delay_queue(
            "ns.events",
            "ns.publish",
            Some(&returned),
            &topology,
            "publish"
        ));
        // Some other routing key through the default exchange.
        assert!(!returned_through_delay_queue(
            "",
            "ns.render",
            Some(&returned),
            &topology,
            "publish"
        ));
        // Another stage's delay queue, a rejection instead of an expiry, no record at all.
        for headers in [
            Some(death("ns.render.retry.1000ms", "expired")),
            Some(death("ns.publish.retry.1000ms", "rejected")),
            Some(death("ns.publish.retry.ms", "expired")),
            Some(death("ns.publish.dead", "expired")),
            Some(FieldTable::default()),
            None,
        ] {
            assert!(
                !returned_through_delay_queue(
                    "",
                    "ns.publish",
                    headers.as_ref(),
                    &topology,
                    "publish"
                ),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn the_broker_recorded_routing_key_is_read_from_x_death() {
        let headers = death("ns.publish", "delivery_limit");
        assert_eq!(
            death_routing_key(&headers).as_deref(),
            Some("article.rendered")
        );
        assert_eq!(death_routing_key(&FieldTable::default()), None);
    }
}
