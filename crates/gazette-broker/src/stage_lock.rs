//! Holding a single-active-consumer stage from outside it (`gazette rebuild` holds the indexer's queue), so that the stage's workers stand by and the two never write the site at once.

use lapin::options::BasicQosOptions;
use lapin::{Channel, Connection, Consumer};

use crate::connect::{close_quietly, connect_with_channel, subscribe};
use crate::topology::inspect;
use crate::{BrokerError, BrokerSettings, StageSpec, Topology, ensure_topology};

/// The lock: this process is the stage queue's active consumer.
///
/// RabbitMQ gives a single-active-consumer queue's messages to its first
/// consumer only; every later one stands by. So a process that consumes
/// the queue first is a lock the stage's workers honour without knowing of
/// it: a worker started meanwhile waits, and takes over when the lock's
/// connection closes. The lock takes at most one message and never acks
/// it; closing returns it to the queue for the worker, whose handling is
/// idempotent.
#[derive(Debug)]
pub struct StageLock {
    connection: Connection,
    _channel: Channel,
    _consumer: Consumer,
}

impl StageLock {
    /// Takes the lock, or says how many of the stage's consumers hold the
    /// queue now.
    pub async fn acquire(
        settings: &BrokerSettings,
        stage: &StageSpec,
    ) -> Result<Self, BrokerError> {
        if !stage.single_active_consumer {
            return Err(BrokerError::NotLockable { stage: stage.name });
        }
        // The queue must exist, with its single-active-consumer argument,
        // before anyone consumes it.
        ensure_topology(settings, std::slice::from_ref(stage)).await?;
        let (connection, channel) = connect_with_channel(settings, "lock").await?;
        let queue = Topology::new(&settings.namespace).work_queue(stage.name);
        let locked = async {
            let busy = |consumers| BrokerError::StageBusy {
                stage: stage.name,
                queue: queue.clone(),
                consumers,
            };
            match consumers(&channel, &queue).await? {
                0 => {}
                running => return Err(busy(running)),
            }
            channel
                .basic_qos(1, BasicQosOptions::default())
                .await
                .map_err(|e| BrokerError::channel("setting the lock's prefetch", &e))?;
            let consumer = subscribe(&channel, &queue).await?;
            // A worker that subscribed between the two reads may be the
            // active consumer instead of this lock: give way to it.
            match consumers(&channel, &queue).await? {
                1 => Ok(consumer),
                running => Err(busy(running - 1)),
            }
        }
        .await;
        match locked {
            Ok(consumer) => Ok(Self {
                connection,
                _channel: channel,
                _consumer: consumer,
            }),
            Err(e) => {
                close_quietly(&connection, "lock refused").await;
                Err(e)
            }
        }
    }

    /// Lets the stage's workers take over.
    pub async fn release(self) {
        // Cancelled first, and the broker's answer awaited: a quorum queue
        // counts a closed connection's consumer out only a moment later, and
        // a rebuild run right after this one would find the lock still held.
        let tag = self._consumer.tag();
        let _ = self
            ._channel
            .basic_cancel(tag, lapin::options::BasicCancelOptions::default())
            .await;
        close_quietly(&self.connection, "lock released").await;
    }
}

async fn consumers(channel: &Channel, queue: &str) -> Result<u32, BrokerError> {
    // The lock declared the queue itself a moment ago; gone means deleted
    // under it, and nobody consumes a deleted queue.
    Ok(inspect(channel, queue)
        .await?
        .map_or(0, |declared| declared.consumer_count()))
}
