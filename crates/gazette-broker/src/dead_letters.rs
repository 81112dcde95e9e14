//! Inspecting and replaying a stage's dead letters, for `gazette dlq`.
//!
//! Letters are taken with `basic.get` and held unacked: a letter only leaves
//! its queue when it is replayed (after the replay is confirmed) or purged.
//! Everything else returns to the queue when the session ends, so listing
//! never loses or reorders anything for good.

use std::collections::BTreeMap;

use lapin::options::{BasicAckOptions, BasicGetOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection};

use crate::connect::{BROKER_ANSWER_TIMEOUT, close_quietly, connect_with_channel};
use crate::message::{death_queue, death_routing_key, newest_death, string_headers};
use crate::{BrokerError, BrokerSettings, Publisher, Routed, StageSpec, Topology, body, headers};

/// One dead letter, held until replayed, purged, or released.
#[derive(Debug)]
pub struct DeadLetter {
    pub stage: String,
    pub message_id: Option<String>,
    /// `x-gazette-reason`, or the broker's own reason (`delivery_limit`) for
    /// letters the broker dead-lettered.
    pub reason: String,
    pub detail: String,
    pub headers: BTreeMap<String, String>,
    /// Seconds since the epoch when it was dead-lettered, if known.
    pub timestamp: Option<u64>,
    /// The body to read: decoded when the broker dead-lettered a
    /// compressed hand-off as it was (the loop's own dead letters are
    /// already plain).
    pub body: Vec<u8>,
    /// The body as it sits in the queue, which a replay sends back with
    /// the letter's own properties.
    wire_body: Vec<u8>,
    /// The routing key the message had when its stage took it, which a
    /// replay restores; see [`original_routing_key`].
    pub routing_key: Option<String>,
    delivery_tag: u64,
    properties: BasicProperties,
}

/// A session on one stage's dead-letter queue.
#[derive(Debug)]
pub struct DeadLetters {
    connection: Connection,
    channel: Channel,
    /// Replays go out on their own confirmed channel, as every Gazette publish does.
    publisher: Publisher,
    stage: String,
    dead_queue: String,
    work_queue: String,
    /// The stage's shortest delay queue, which replays go round through.
    delay_queue: Option<String>,
    /// How far a compressed letter is decoded for reading.
    body_limit: usize,
}

impl DeadLetters {
    pub async fn open(settings: &BrokerSettings, spec: &StageSpec) -> Result<Self, BrokerError> {
        let stage = spec.name;
        let (connection, channel) = connect_with_channel(settings, "dead-letter tool").await?;
        let publisher = Publisher::connect(settings, "dead-letter tool").await?;
        let topology = Topology::new(&settings.namespace);
        Ok(Self {
            connection,
            channel,
            publisher,
            stage: stage.to_owned(),
            dead_queue: topology.dead_queue(stage),
            work_queue: topology.work_queue(stage),
            delay_queue: settings
                .retry_for(spec)
                .delays
                .iter()
                .min()
                .map(|delay| topology.retry_queue(stage, *delay)),
            body_limit: settings.max_message_bytes,
        })
    }

    /// Takes up to `limit` letters off the queue, holding them unacked.
    pub async fn take(&self, limit: usize) -> Result<Vec<DeadLetter>, BrokerError> {
        let mut letters = Vec::new();
        while letters.len() < limit {
            let got = tokio::time::timeout(
                BROKER_ANSWER_TIMEOUT,
                self.channel
                    .basic_get(self.dead_queue.as_str().into(), BasicGetOptions::default()),
            )
            .await
            .map_err(|_| BrokerError::Channel {
                doing: "reading dead letters",
                detail: "no answer".to_owned(),
            })?
            .map_err(|e| BrokerError::channel("reading dead letters", &e))?;
            let Some(message) = got else { break };
            let delivery = message.delivery;
            let headers = delivery
                .properties
                .headers()
                .as_ref()
                .map(string_headers)
                .unwrap_or_default();
            let reason = headers
                .get(headers::REASON)
                .or_else(|| headers.get("x-first-death-reason"))
                .cloned()
                .unwrap_or_else(|| "unknown".to_owned());
            letters.push(DeadLetter {
                stage: self.stage.clone(),
                message_id: delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|s| s.as_str().to_owned()),
                reason,
                detail: headers.get(headers::DETAIL).cloned().unwrap_or_default(),
                timestamp: *delivery.properties.timestamp(),
                routing_key: original_routing_key(
                    &headers,
                    delivery.properties.headers().as_ref(),
                    &self.work_queue,
                ),
                body: readable_body(&delivery.data, &delivery.properties, self.body_limit),
                wire_body: delivery.data,
                delivery_tag: delivery.delivery_tag,
                properties: delivery.properties,
                headers,
            });
        }
        Ok(letters)
    }

    /// Sends `letter` back to its stage with its message id, correlation id,
    /// content and original routing key, as a first attempt; once the broker
    /// confirms the copy, the letter leaves the dead-letter queue.
    ///
    /// The copy goes round through the stage's shortest delay queue with a
    /// 1 ms expiry, so it re-enters the work queue the one way on which the
    /// stage trusts Gazette's routing-key header: with the broker's own
    /// `x-death` record of that delay queue. A withdrawal or an index letter
    /// is therefore replayed as what it was, not as the queue's name.
    pub async fn replay(&self, letter: &DeadLetter) -> Result<(), BrokerError> {
        let mut table = FieldTable::default();
        let replays = letter
            .headers
            .get(headers::REPLAYED)
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
            + 1;
        if let Some(original) = letter.properties.headers() {
            for (key, value) in original.inner() {
                let key = key.as_str();
                // The fresh attempt starts clean; the broker's x-death record goes too.
                if !(key.starts_with("x-gazette-")
                    || key.starts_with("x-death")
                    || key.starts_with("x-first-death")
                    || key.starts_with("x-last-death"))
                {
                    table.insert(key.into(), value.clone());
                }
            }
        }
        table.insert(
            headers::REPLAYED.into(),
            AMQPValue::LongString(replays.to_string().into()),
        );
        table.insert(headers::ATTEMPT.into(), AMQPValue::LongString("1".into()));
        let (target, properties) = match (letter.routing_key.clone(), &self.delay_queue) {
            (Some(routing_key), Some(delay_queue)) => {
                table.insert(
                    headers::ROUTING_KEY.into(),
                    AMQPValue::LongString(routing_key.into()),
                );
                (
                    delay_queue,
                    letter
                        .properties
                        .clone()
                        .with_headers(table)
                        .with_expiration("1".into()),
                )
            }
            // Without a key to keep (or a delay queue to keep it through),
            // the letter goes straight in, routed by the queue's name.
            _ => (
                &self.work_queue,
                letter.properties.clone().with_headers(table),
            ),
        };
        match self
            .publisher
            .publish_raw("", target, &letter.wire_body, properties)
            .await?
        {
            Routed::Queued => self.ack(letter).await,
            Routed::Unrouted => Err(BrokerError::Publish {
                exchange: String::new(),
                routing_key: target.clone(),
                detail: "the stage's queues do not exist; start its worker once".to_owned(),
            }),
        }
    }

    /// Removes `letter` for good.
    pub async fn purge(&self, letter: &DeadLetter) -> Result<(), BrokerError> {
        self.ack(letter).await
    }

    async fn ack(&self, letter: &DeadLetter) -> Result<(), BrokerError> {
        self.channel
            .basic_ack(letter.delivery_tag, BasicAckOptions::default())
            .await
            .map_err(|e| BrokerError::channel("acking a dead letter", &e))
    }

    /// Ends the session; letters neither replayed nor purged return to the queue.
    pub async fn release(self) {
        close_quietly(&self.connection, "dead-letter tool done").await;
        self.publisher.close().await;
    }
}

/// A letter's body to read: decoded when it sits in the queue compressed,
/// as it came otherwise (an undecodable one is shown as the bytes it is).
fn readable_body(wire: &[u8], properties: &BasicProperties, limit: usize) -> Vec<u8> {
    let encoding = properties.content_encoding().as_ref().map(|e| e.as_str());
    match body::is_compressed(encoding) {
        true => body::decompress(wire, limit).unwrap_or_else(|_| wire.to_vec()),
        false => wire.to_vec(),
    }
}

/// Where a dead letter was headed when its stage took it.
///
/// The broker writes the newest `x-death` entry itself when it dead-letters
/// a message out of the work queue (a delivery limit), so its routing key
/// is the one the message really had; a producer's own `x-gazette-*`
/// headers on such a letter mean nothing. The loop dead-letters by
/// publishing, and always writes `x-gazette-routing-key` with the key it
/// trusted, over anything the message carried. The one key x-death cannot
/// tell is the work queue's name, which a message returning from a delay
/// queue has: there the header is the loop's too.
fn original_routing_key(
    headers: &BTreeMap<String, String>,
    table: Option<&FieldTable>,
    work_queue: &str,
) -> Option<String> {
    let loops_header = || headers.get(headers::ROUTING_KEY).cloned();
    match table.and_then(|t| newest_death(t).map(|entry| (t, entry))) {
        Some((table, entry)) if death_queue(entry).as_deref() == Some(work_queue) => {
            match death_routing_key(table) {
                Some(key) if key != work_queue => Some(key),
                _ => loops_header(),
            }
        }
        _ => loops_header(),
    }
}
