//! Opening connections with a name an operator recognises in the management UI.

use lapin::options::BasicConsumeOptions;
use lapin::types::FieldTable;
use lapin::uri::AMQPUri;
use lapin::{Channel, Connection, ConnectionProperties, Consumer};

use crate::{BrokerError, BrokerSettings};

/// The longest Gazette waits for RabbitMQ to answer a request. A broker
/// that is booting can accept a TCP connection, or a queue declaration, and
/// not answer it; lapin has no deadline of its own, so without one a worker
/// would wait forever instead of reconnecting.
pub(crate) const BROKER_ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// The largest AMQP frame Gazette asks RabbitMQ for, unless the URL names
/// one (`?frame_max=`). lapin keeps a send and a receive buffer of 32
/// frames per connection, zeroed and so resident: at RabbitMQ's 128 KiB
/// default that is 8 MiB per connection, and `gazette up` opens two per
/// stage, 112 MiB of its 129 MiB heap at rest. 32 KiB still carries the
/// pipeline's largest usual message (the rendered event, about 32 KB) in
/// one frame; a larger one is split into several, as AMQP provides.
pub(crate) const FRAME_MAX: u32 = 32 * 1024;

/// `node` with Gazette's [`FRAME_MAX`] unless it names its own.
fn uri_of(node: &str) -> Result<AMQPUri, String> {
    let mut uri: AMQPUri = node.parse().map_err(|e| format!("not an AMQP URL ({e})"))?;
    uri.query.frame_max.get_or_insert(FRAME_MAX);
    Ok(uri)
}

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
        let uri = match uri_of(node.expose()) {
            Ok(uri) => uri,
            Err(failure) => {
                failures.push((node.redacted(), failure));
                continue;
            }
        };
        let connecting = Connection::connect_uri(uri, properties);
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

#[cfg(test)]
mod tests {
    use super::{FRAME_MAX, uri_of};

    #[test]
    fn gazette_asks_for_its_frame_size_unless_the_url_names_one() {
        let plain = uri_of("amqp://guest:guest@127.0.0.1:5672/%2f").expect("a URL");
        assert_eq!(plain.query.frame_max, Some(FRAME_MAX));
        assert_eq!(plain.authority.port, 5672);

        let named = uri_of("amqp://127.0.0.1/%2f?heartbeat=7&frame_max=131072").expect("a URL");
        assert_eq!(named.query.frame_max, Some(131_072));
        assert_eq!(named.query.heartbeat, Some(7));

        let other = uri_of("amqp://127.0.0.1:5673/news?channel_max=8").expect("a URL");
        assert_eq!(other.query.frame_max, Some(FRAME_MAX));
        assert_eq!(other.query.channel_max, Some(8));
        assert_eq!(other.vhost, "news");
    }

    #[test]
    fn a_url_that_does_not_parse_is_a_failure_not_a_panic() {
        for bad in [
            "http://127.0.0.1/",
            "amqp://127.0.0.1:port/",
            "amqp://h/?frame_max=big",
        ] {
            let failure = uri_of(bad).expect_err(bad);
            assert!(failure.starts_with("not an AMQP URL"), "{bad}: {failure}");
        }
    }
}
