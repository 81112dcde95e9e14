//! Submitting the fault suite's workload in confirmed lanes, beside the harness's reading of what the pipeline announces.
//!
//! The harness once submitted every message, one confirm at a time,
//! before it read a single announcement: 2,640 submissions to a
//! three-node cluster took about 40 s, the pipeline's events waited that
//! long in the harness's queue, and the kills triggered by "share of
//! articles announced" came late. Lanes submit while the harness reads.

use std::collections::BTreeMap;

use gazette_broker::{BrokerSettings, Exchange, Outbound, Publisher, Routed};
use gazette_contract::{CONTENT_TYPE, EventType};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use super::eventually;
use super::workload::Message;

/// How many messages are in flight at once, each lane with its own
/// connection and one unconfirmed message.
const LANES: usize = 8;

/// The lanes still submitting.
pub struct Submissions {
    lanes: Vec<JoinHandle<()>>,
}

impl Submissions {
    /// Starts submitting `messages`. Every message of one article goes
    /// through the same lane in the workload's order, so a revision 2
    /// sent before its revision 1 still arrives first; lanes run side by
    /// side, so articles interleave as they would from several editors.
    pub fn start(settings: &BrokerSettings, messages: Vec<Message>) -> Self {
        let mut by_lane: Vec<Vec<Message>> = (0..LANES).map(|_| Vec::new()).collect();
        for (place, message) in messages.into_iter().enumerate() {
            let article = message.article().unwrap_or(place);
            by_lane[article % LANES].push(message);
        }
        let lanes = by_lane
            .into_iter()
            .map(|messages| {
                let settings = settings.clone();
                tokio::spawn(async move {
                    let publisher = Mutex::new(None);
                    for message in &messages {
                        publish_until_confirmed(&settings, &publisher, message).await;
                    }
                    if let Some(publisher) = publisher.into_inner() {
                        publisher.close().await;
                    }
                })
            })
            .collect();
        Self { lanes }
    }

    /// Fails the run with a lane's own failure as soon as one has failed,
    /// rather than at the end of the run's patience.
    pub async fn check(&mut self) {
        let (done, running) = std::mem::take(&mut self.lanes)
            .into_iter()
            .partition(JoinHandle::is_finished);
        self.lanes = running;
        for lane in done {
            surface(lane.await);
        }
    }

    /// Waits for every lane to finish.
    pub async fn finish(self) {
        for lane in self.lanes {
            surface(lane.await);
        }
    }
}

fn surface(lane: Result<(), tokio::task::JoinError>) {
    if let Err(failure) = lane {
        match failure.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(failure) => panic!("a submission lane ended: {failure}"),
        }
    }
}

/// The producer's half of at-least-once: resends `message`, on a new
/// connection if need be, until the broker confirms it.
async fn publish_until_confirmed(
    settings: &BrokerSettings,
    publisher: &Mutex<Option<Publisher>>,
    message: &Message,
) {
    let outbound = &Outbound {
        exchange: Exchange::Events,
        routing_key: EventType::Submitted.as_str().to_owned(),
        body: message.body.clone(),
        message_id: message.id.clone(),
        correlation_id: None,
        content_type: CONTENT_TYPE,
        content_encoding: None,
        headers: BTreeMap::new(),
    };
    eventually(|| async move {
        let mut kept = publisher.lock().await;
        let connected = match kept.take() {
            Some(connected) => connected,
            None => Publisher::connect(settings, "fault-suite")
                .await
                .map_err(|e| e.to_string())?,
        };
        match connected.publish(outbound).await {
            Ok(Routed::Queued) => {
                *kept = Some(connected);
                Ok(())
            }
            Ok(Routed::Unrouted) => panic!("no queue bound for article.submitted"),
            // The connection is dropped: the next try opens a fresh one.
            Err(e) => Err(e.to_string()),
        }
    })
    .await;
}
