//! The one consume → handle → publish → ack loop every stage runs, with reconnects and graceful shutdown.
//!
//! Invariant: a delivery is acked only after every message it caused (its
//! events, its retry copy, or its dead-letter copy) has been confirmed by
//! the broker. Anything short of that leaves it unacked, and RabbitMQ hands
//! it out again.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicCancelOptions, BasicQosOptions};
use lapin::{Channel, Connection, Consumer};
use rand::Rng;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::connect::{BROKER_ANSWER_TIMEOUT, close_quietly, connect_with_channel, subscribe};
use crate::delivery::Job;
use crate::telemetry::{self, Readiness};
use crate::topology::declare;
use crate::{BrokerError, BrokerSettings, Handler, Publisher, StageSpec, Topology};

/// Runs `stage` until `shutdown` is cancelled.
///
/// The first connection failure is returned, so a wrong URL stops the
/// process with one clear message. After that, lost connections, cancelled
/// consumers and ended streams are survived: the loop reconnects with
/// backoff, declares the topology again, re-applies prefetch and resubscribes.
pub async fn run_stage<H: Handler>(
    settings: BrokerSettings,
    stage: StageSpec,
    handler: Arc<H>,
    readiness: Readiness,
    shutdown: CancellationToken,
) -> Result<(), BrokerError> {
    let settings = Arc::new(settings.for_stage(&stage));
    telemetry::register_stage(stage.name);
    // A stop asked for while the first session opens is honoured at once:
    // a worker killed during start-up must exit cleanly, not after 30 s.
    let mut session = tokio::select! {
        () = shutdown.cancelled() => return Ok(()),
        opened = Session::open_within_deadline(&settings, stage) => opened?,
    };
    let mut backoff = Backoff::default();
    loop {
        readiness.set(true);
        let ended = session.run(&handler, &shutdown).await;
        readiness.set(false);
        session.close().await;
        match ended {
            Ok(()) => return Ok(()),
            Err(e) => warn!(stage = stage.name, error = %e, "broker session ended; reconnecting"),
        }
        session = loop {
            let wait = backoff.next_wait();
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
            let opened = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                opened = Session::open_within_deadline(&settings, stage) => opened,
            };
            match opened {
                Ok(session) => {
                    info!(stage = stage.name, "reconnected to RabbitMQ");
                    telemetry::record_reconnect(stage.name);
                    backoff = Backoff::default();
                    break session;
                }
                Err(e) => {
                    warn!(stage = stage.name, error = %e, retry_in = ?backoff.peek(), "reconnect failed")
                }
            }
        };
    }
}

/// One consume connection, one publish connection, and the consumer.
struct Session {
    settings: Arc<BrokerSettings>,
    stage: StageSpec,
    connection: Connection,
    channel: Channel,
    consumer: Consumer,
    publisher: Publisher,
}

impl Session {
    /// [`Session::open`] makes several round trips (connect, declare, qos,
    /// consume, a second connection); all of them must finish in time.
    async fn open_within_deadline(
        settings: &Arc<BrokerSettings>,
        stage: StageSpec,
    ) -> Result<Self, BrokerError> {
        let deadline = BROKER_ANSWER_TIMEOUT * 2;
        tokio::time::timeout(deadline, Self::open(settings, stage))
            .await
            .unwrap_or_else(|_| {
                Err(BrokerError::Channel {
                    doing: "opening a session",
                    detail: format!("no answer within {deadline:?}"),
                })
            })
    }

    async fn open(settings: &Arc<BrokerSettings>, stage: StageSpec) -> Result<Self, BrokerError> {
        let (connection, channel) =
            connect_with_channel(settings, &format!("{} consume", stage.name)).await?;
        declare(&channel, settings, &[stage]).await?;
        // Prefetch before consuming: otherwise the broker may push the whole queue at us.
        channel
            .basic_qos(settings.prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| BrokerError::channel("setting prefetch", &e))?;
        let queue = Topology::new(&settings.namespace).work_queue(stage.name);
        let consumer = subscribe(&channel, &queue).await?;
        let publisher = Publisher::connect(settings, stage.name).await?;
        info!(
            stage = stage.name,
            prefetch = settings.prefetch,
            concurrency = settings.concurrency,
            "consuming"
        );
        Ok(Self {
            settings: Arc::clone(settings),
            stage,
            connection,
            channel,
            consumer,
            publisher,
        })
    }

    /// Consumes until shutdown (`Ok`) or until the session breaks (`Err`).
    async fn run<H: Handler>(
        &mut self,
        handler: &Arc<H>,
        shutdown: &CancellationToken,
    ) -> Result<(), BrokerError> {
        // A task whose publish failed cancels this: the publish connection
        // is likely gone, and the whole session is rebuilt.
        let broken = CancellationToken::new();
        let permits = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let mut in_flight = JoinSet::new();
        let ended = loop {
            // Capacity first: a delivery taken off the stream is ours to finish.
            let permit = tokio::select! {
                biased;
                () = shutdown.cancelled() => break Ok(()),
                () = broken.cancelled() => break Err(BrokerError::Channel { doing: "publishing", detail: "a publish failed".to_owned() }),
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    if let Err(e) = joined { error!(stage = self.stage.name, error = %e, "message task panicked; its delivery returns to the queue"); }
                    continue;
                }
                permit = Arc::clone(&permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break Err(BrokerError::Channel { doing: "scheduling", detail: "worker pool closed".to_owned() }),
                },
            };
            let delivery = tokio::select! {
                biased;
                () = shutdown.cancelled() => break Ok(()),
                () = broken.cancelled() => break Err(BrokerError::Channel { doing: "publishing", detail: "a publish failed".to_owned() }),
                next = self.consumer.next() => match next {
                    Some(Ok(delivery)) => delivery,
                    Some(Err(e)) => break Err(BrokerError::channel("consuming", &e)),
                    // Not a normal exit: the broker cancelled us (queue deleted, node down).
                    None => break Err(BrokerError::ConsumerEnded { queue: self.consumer.queue().to_string() }),
                },
            };
            let job = Job {
                settings: Arc::clone(&self.settings),
                stage: self.stage,
                publisher: self.publisher.clone(),
                broken: broken.clone(),
            };
            let handler = Arc::clone(handler);
            in_flight.spawn(async move {
                let _permit = permit;
                job.process(handler.as_ref(), delivery).await;
            });
        };

        // Stop taking deliveries; what was prefetched but not started goes
        // back to the queue when the channel closes.
        // One deadline for the whole stop, so that a broker slow to answer
        // the cancel eats into the grace period instead of adding to it: an
        // orchestrator's kill timer counts from SIGTERM, not from our drain.
        let grace = self.settings.shutdown_grace;
        let stop_by = tokio::time::Instant::now() + grace;
        let cancelling = self
            .channel
            .basic_cancel(self.consumer.tag(), BasicCancelOptions::default());
        let _ = tokio::time::timeout_at(stop_by, cancelling).await;
        let drained = tokio::time::timeout_at(stop_by, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            warn!(
                stage = self.stage.name,
                unfinished = in_flight.len(),
                ?grace,
                "messages still in flight after the grace period return to the queue"
            );
            in_flight.abort_all();
        }
        ended
    }

    async fn close(&self) {
        // Closing the connection closes its channel; the broker requeues
        // whatever this session still held unacked.
        close_quietly(&self.connection, "stopping").await;
        self.publisher.close().await;
    }
}

/// Exponential reconnect backoff with full jitter, from 250 ms to 30 s.
#[derive(Debug)]
struct Backoff {
    ceiling: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            ceiling: Duration::from_millis(250),
        }
    }
}

impl Backoff {
    fn next_wait(&mut self) -> Duration {
        let wait = self.ceiling.mul_f64(rand::rng().random_range(0.5..=1.0));
        self.ceiling = (self.ceiling * 2).min(Duration::from_secs(30));
        wait
    }

    fn peek(&self) -> Duration {
        self.ceiling
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_ceiling() {
        let mut backoff = Backoff::default();
        let waits: Vec<Duration> = (0..12).map(|_| backoff.next_wait()).collect();
        assert!(waits[0] <= Duration::from_millis(250));
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(30)));
        assert_eq!(backoff.peek(), Duration::from_secs(30));
    }
}
