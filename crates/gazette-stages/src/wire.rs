//! Turning envelopes into broker messages and back.

use gazette_broker::{Exchange, Inbound, Outbound};
use gazette_contract::{CONTENT_TYPE, Envelope, EventType};
use serde::Serialize;
use serde::de::DeserializeOwned;

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
        headers: Default::default(),
    })
}

/// Decodes an event that another Gazette stage produced.
pub fn decode_event<T: DeserializeOwned>(
    message: &Inbound,
) -> Result<Envelope<T>, serde_json::Error> {
    serde_json::from_slice(&message.body)
}
