//! Opening connections with a name an operator recognises in the management UI.

use lapin::options::BasicConsumeOptions;
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties, Consumer};

use crate::{BrokerError, BrokerSettings};

pub(crate) async fn connect(
    settings: &BrokerSettings,
    purpose: &str,
) -> Result<Connection, BrokerError> {
    let name = format!(
        "gazette {} {purpose} (pid {})",
        settings.namespace,
        std::process::id()
    );
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    Connection::connect(settings.url.expose(), properties)
        .await
        .map_err(|e| BrokerError::Connect {
            url: settings.url.redacted(),
            detail: describe(&e),
        })
}

fn describe(error: &lapin::Error) -> String {
    let text = error.to_string();
    if text.contains("ACCESS_REFUSED") || text.contains("authentication") {
        format!("the credentials were refused ({text})")
    } else if text.contains("NOT_ALLOWED") || text.contains("vhost") {
        format!("the virtual host is missing or not allowed for this user ({text})")
    } else {
        text
    }
}

/// A manual-ack consumer on `queue`, with a server-chosen tag.
pub(crate) async fn subscribe(channel: &Channel, queue: &str) -> Result<Consumer, BrokerError> {
    channel
        .basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| BrokerError::channel("subscribing", &e))
}
