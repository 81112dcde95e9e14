//! Opening connections with a name an operator recognises in the management UI.

use lapin::options::BasicConsumeOptions;
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties, Consumer};

use crate::{BrokerError, BrokerSettings};

/// The longest Gazette waits for RabbitMQ to answer a request. A broker
/// that is booting can accept a TCP connection, or a queue declaration, and
/// not answer it; lapin has no deadline of its own, so without one a worker
/// would wait forever instead of reconnecting.
pub(crate) const BROKER_ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// A connection to the first node of [`BrokerSettings::nodes_in_order`]
/// that answers; the error names every node tried and why each failed.
pub(crate) async fn connect(
    settings: &BrokerSettings,
    purpose: &str,
) -> Result<Connection, BrokerError> {
    let name = format!(
        "gazette {} {purpose} (pid {})",
        settings.namespace,
        std::process::id()
    );
    let nodes = settings.nodes_in_order();
    let mut failures = Vec::new();
    for node in &nodes {
        let properties = ConnectionProperties::default().with_connection_name(name.clone().into());
        let connecting = Connection::connect(node.expose(), properties);
        let failure = match tokio::time::timeout(BROKER_ANSWER_TIMEOUT, connecting).await {
            Ok(Ok(connection)) => {
                if !failures.is_empty() {
                    tracing::info!(node = %node.redacted(), "connected to another broker node");
                }
                return Ok(connection);
            }
            Ok(Err(e)) => describe(&e),
            Err(_) => format!("no answer within {BROKER_ANSWER_TIMEOUT:?}"),
        };
        failures.push((node.redacted(), failure));
    }
    Err(match <[_; 1]>::try_from(failures) {
        Ok([(url, detail)]) => BrokerError::Connect { url, detail },
        Err(failures) => BrokerError::Connect {
            url: format!("any of its {} nodes", nodes.len()),
            detail: failures
                .iter()
                .map(|(url, detail)| format!("{url}: {detail}"))
                .collect::<Vec<_>>()
                .join("; "),
        },
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

/// Closes `connection` politely, but gives up after a short wait: closing a
/// connection whose socket the broker already reset can wait forever, and
/// a worker must get on with reconnecting.
pub(crate) async fn close_quietly(connection: &Connection, reason: &str) {
    let closing = connection.close(200, reason.into());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), closing).await;
}

/// A connection named for `purpose` and one channel on it.
pub(crate) async fn connect_with_channel(
    settings: &BrokerSettings,
    purpose: &str,
) -> Result<(Connection, Channel), BrokerError> {
    let connection = connect(settings, purpose).await?;
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| BrokerError::channel("opening a channel", &e))?;
    Ok((connection, channel))
}

/// Connects and disconnects: proof that the URL, credentials and vhost work.
pub async fn probe(settings: &BrokerSettings) -> Result<(), BrokerError> {
    let connection = connect(settings, "probe").await?;
    close_quietly(&connection, "probe done").await;
    Ok(())
}
