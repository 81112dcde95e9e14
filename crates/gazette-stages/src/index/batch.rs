//! Coalescing: changes arriving together share one flush, so a burst writes each affected page once.
//!
//! The broker loop hands the indexer many deliveries at once (its prefetch
//! and concurrency are raised for this stage). Each `handle` call sends its
//! change to one flusher task and waits for the answer. The flusher takes
//! the first change, gathers whatever else arrives within the linger
//! window, flushes them together, and answers every sender with the one
//! outcome. Nobody acks before the flush is durable, because every
//! `handle` returns only then.
//!
//! The flusher is a task of its own rather than the first caller, so a
//! handler cancelled by its timeout cannot strand the others' changes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{IndexFailure, Indexed};

/// A flush's outcome, shared by every change in the batch.
pub(crate) type Outcome = Result<(), Arc<IndexFailure>>;

type Request = (Indexed, oneshot::Sender<Outcome>);

/// The handlers' side of the flusher.
#[derive(Debug, Clone)]
pub(crate) struct Batcher {
    requests: mpsc::Sender<Request>,
}

impl Batcher {
    /// Starts the flusher. `flush` gets every change of one batch, in arrival order.
    pub(crate) fn start<F, Fut>(linger: Duration, max_batch: usize, flush: F) -> Self
    where
        F: Fn(Vec<Indexed>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), IndexFailure>> + Send,
    {
        let (requests, mut incoming) = mpsc::channel::<Request>(max_batch.max(1));
        tokio::spawn(async move {
            // Ends when the stage, and with it every sender, is dropped.
            while let Some(first) = incoming.recv().await {
                let mut batch = vec![first];
                let deadline = Instant::now() + linger;
                while batch.len() < max_batch {
                    match tokio::time::timeout_at(deadline, incoming.recv()).await {
                        Ok(Some(request)) => batch.push(request),
                        Ok(None) | Err(_) => break,
                    }
                }
                let (changes, waiters): (Vec<Indexed>, Vec<_>) = batch.into_iter().unzip();
                let outcome = flush(changes).await.map_err(Arc::new);
                for waiter in waiters {
                    // A waiter gone (its handler timed out) is retried by
                    // the loop; the change it sent is applied all the same.
                    let _ = waiter.send(outcome.clone());
                }
            }
        });
        Self { requests }
    }

    /// Queues `change` for the next flush and waits for its outcome.
    pub(crate) async fn submit(&self, change: Indexed) -> Outcome {
        let (tell, told) = oneshot::channel();
        if self.requests.send((change, tell)).await.is_err() {
            return Err(Arc::new(IndexFailure::FlusherGone));
        }
        told.await
            .unwrap_or_else(|_| Err(Arc::new(IndexFailure::FlusherGone)))
    }
}
