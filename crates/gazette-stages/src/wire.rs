//! Turning envelopes into broker messages and back.

use gazette_broker::{Exchange, Inbound, Outbound};
use gazette_contract::{
    CONTENT_TYPE, Envelope, EventType, Published, Schemas, Subject, parse_document, read_event,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use gazette_contract::join_errors;

/// The broker message for `event`: public events to the events exchange,
/// internal ones to the internal exchange, routed by type.
pub fn encode_event<T: Serialize>(
    event_type: EventType,
    event: &Envelope<T>,
) -> Result<Outbound, serde_json::Error> {
    Ok(Outbound {
        exchange: if event_type.is_public() {
            Exchange::Events
        } else {
            Exchange::Internal
        },
        routing_key: event_type.as_str().to_owned(),
        body: serde_json::to_vec(event)?,
        message_id: event.id.clone(),
        correlation_id: Some(event.correlation().to_owned()),
        content_type: CONTENT_TYPE,
        content_encoding: None,
        headers: Default::default(),
    })
}

/// Why a message from another stage was not acted on.
#[derive(Debug, thiserror::Error)]
#[error("{expected} event refused: {detail}")]
pub struct MalformedEvent {
    pub expected: EventType,
    pub detail: String,
}

/// Reads an event another Gazette stage produced, checked as if a stranger
/// had sent it: structure, duplicate keys, the schema of `expected` (which
/// pins `type`), and `subject` equal to the article id. The routing key
/// alone never decides what a body is.
pub fn decode_event<T: DeserializeOwned + Subject>(
    schemas: &Schemas,
    expected: EventType,
    message: &Inbound,
) -> Result<Envelope<T>, MalformedEvent> {
    let document = parse_body(expected, message)?;
    read_event(schemas, expected, &document).map_err(|errors| MalformedEvent {
        expected,
        detail: join_errors(&errors),
    })
}

/// `document` as an announcement: `article.published` or `article.updated`,
/// as `claimed` says (the routing key, or the hand-off's own record of it),
/// checked against that type's schema. Nothing else is an announcement.
pub(crate) fn read_announcement(
    schemas: &Schemas,
    claimed: &str,
    document: &Value,
) -> Result<Envelope<Published>, MalformedEvent> {
    let expected = match EventType::parse(claimed) {
        Some(t @ (EventType::Published | EventType::Updated)) => t,
        _ => {
            return Err(MalformedEvent {
                expected: EventType::Published,
                detail: format!("{claimed:?} is not an announcement"),
            });
        }
    };
    read_event(schemas, expected, document).map_err(|errors| MalformedEvent {
        expected,
        detail: join_errors(&errors),
    })
}

/// A message body as a JSON document, refused for its structure first.
pub(crate) fn parse_body(expected: EventType, message: &Inbound) -> Result<Value, MalformedEvent> {
    parse_document(&message.body).map_err(|e| MalformedEvent {
        expected,
        detail: e.to_string(),
    })
}
