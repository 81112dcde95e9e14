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
//!
//! The linger window runs from when the batch's first change was handed
//! in, not from when the flusher got to it: after a long flush, the changes
//! that queued up meanwhile have waited long enough, and flush at once.
//! Otherwise every flush under load would add a whole window to the time
//! before an article reaches its front page.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{IndexFailure, Indexed};

/// A flush's outcome, shared by every change in the batch.
pub(crate) type Outcome = Result<(), Arc<IndexFailure>>;

/// A change, who waits for its outcome, and when it was handed in.
type Request = (Indexed, oneshot::Sender<Outcome>, Instant);

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
                let deadline = first.2 + linger;
                let mut batch = vec![first];
                while batch.len() < max_batch {
                    match tokio::time::timeout_at(deadline, incoming.recv()).await {
                        Ok(Some(request)) => batch.push(request),
                        Ok(None) | Err(_) => break,
                    }
                }
                let (changes, waiters): (Vec<Indexed>, Vec<_>) = batch
                    .into_iter()
                    .map(|(change, waiter, _)| (change, waiter))
                    .unzip();
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
        if self
            .requests
            .send((change, tell, Instant::now()))
            .await
            .is_err()
        {
            return Err(Arc::new(IndexFailure::FlusherGone));
        }
        told.await
            .unwrap_or_else(|_| Err(Arc::new(IndexFailure::FlusherGone)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use gazette_site::Change;

    use super::*;
    use crate::index::search::SearchChange;

    fn change(id: &str) -> Indexed {
        let unlisted = Change::Unlisted {
            article_id: id.to_owned(),
            revision: 1,
        };
        let search = SearchChange {
            article_id: id.to_owned(),
            revision: 1,
            document: None,
        };
        (unlisted, search)
    }

    /// When each flush started, with its changes' ids; the first flush
    /// waits for `gate` when the batcher was started to hold it.
    #[derive(Default)]
    struct Flushes {
        started: Mutex<Vec<(Instant, Vec<String>)>>,
        gate: tokio::sync::Notify,
    }

    impl Flushes {
        fn started(&self) -> Vec<(Instant, Vec<String>)> {
            self.started
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        }
    }

    /// A batcher whose flushes are recorded, and told on `began` as they
    /// start; with `hold_first`, the first flush lasts until the gate opens.
    fn recording(
        linger: Duration,
        hold_first: bool,
    ) -> (Batcher, Arc<Flushes>, mpsc::UnboundedReceiver<()>) {
        let flushes = Arc::new(Flushes::default());
        let (tell, began) = mpsc::unbounded_channel();
        let seen = Arc::clone(&flushes);
        let batcher = Batcher::start(linger, 16, move |changes: Vec<Indexed>| {
            let (seen, tell) = (Arc::clone(&seen), tell.clone());
            async move {
                let ids = changes.iter().map(|(_, s)| s.article_id.clone()).collect();
                let first = {
                    let mut started = seen.started.lock().unwrap_or_else(|e| e.into_inner());
                    started.push((Instant::now(), ids));
                    started.len() == 1
                };
                let _ = tell.send(());
                if first && hold_first {
                    seen.gate.notified().await;
                }
                Ok(())
            }
        });
        (batcher, flushes, began)
    }

    /// Hands `id` in from a task of its own, and lets that task run up to
    /// its wait, so the change is stamped at the current (paused) time.
    async fn hand_in(batcher: &Batcher, id: &'static str) -> tokio::task::JoinHandle<Outcome> {
        let batcher = batcher.clone();
        let handle = tokio::spawn(async move { batcher.submit(change(id)).await });
        tokio::task::yield_now().await;
        handle
    }

    #[tokio::test(start_paused = true)]
    async fn changes_queued_behind_a_slow_flush_go_at_once_and_not_a_window_later() {
        let linger = Duration::from_secs(1);
        let (batcher, flushes, mut began) = recording(linger, true);
        let t0 = Instant::now();
        let a = hand_in(&batcher, "a").await;
        // The first batch flushes a window after its change: at t0 + 1 s.
        assert!(began.recv().await.is_some());
        tokio::time::advance(Duration::from_millis(200)).await;
        let b = hand_in(&batcher, "b").await;
        // The first flush is slow: it ends at t0 + 4 s, long after b's window.
        tokio::time::advance(Duration::from_millis(2800)).await;
        flushes.gate.notify_one();
        assert!(a.await.is_ok_and(|outcome| outcome.is_ok()));
        assert!(b.await.is_ok_and(|outcome| outcome.is_ok()));

        let started = flushes.started();
        assert_eq!(started.len(), 2, "{started:?}");
        assert_eq!(started[0].1, ["a"]);
        assert_eq!(started[0].0 - t0, linger);
        assert_eq!(started[1].1, ["b"]);
        // b had waited 2.8 s already: flushed when the slow flush ended.
        assert_eq!(started[1].0 - t0, Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn changes_within_one_window_share_a_flush() {
        let (batcher, flushes, _began) = recording(Duration::from_secs(1), false);
        let mut waiting = Vec::new();
        for id in ["a", "b", "c"] {
            waiting.push(hand_in(&batcher, id).await);
            tokio::time::advance(Duration::from_millis(300)).await;
        }
        for handle in waiting {
            assert!(handle.await.is_ok_and(|outcome| outcome.is_ok()));
        }
        let started = flushes.started();
        assert_eq!(started.len(), 1, "{started:?}");
        assert_eq!(started[0].1, ["a", "b", "c"]);
    }
}
