//! Whose turn it is at the store inside one indexer: a flush goes before the search build's requests.
//!
//! The front page waits on flushes; nobody waits on a search build, which
//! runs at most once per interval and may lag. Yet a build asks the store
//! for hundreds of objects at once (every shard of search documents, then
//! the index's files), and on a busy store each of a flush's requests
//! then queues behind them. So a flush holds the store's turn alone, and
//! each of the build's requests takes a shared turn. Tokio's read-write
//! lock is fair: once a flush waits, no new build request starts, so a
//! flush waits at most for the requests already in flight, and the build
//! goes on between flushes.
//!
//! A build request runs on a task of its own. Inside a stream that its
//! caller polls only as fast as the search builder takes shards, a request
//! whose answer had come would keep its turn until the next poll, and a
//! flush would wait on the builder. The task is aborted when its caller
//! drops it, as the request itself would have been: a failed build leaves
//! nothing of itself running to write a shard after the next build.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{RwLock, RwLockWriteGuard};
use tokio::task::{JoinError, JoinHandle};

#[derive(Debug, Default)]
pub(crate) struct StoreTurns(Arc<RwLock<()>>);

impl StoreTurns {
    /// Waits until no background request is in flight and keeps any new
    /// one from starting until the guard is dropped. Also excludes every
    /// other foreground writer: a flush, the news sitemap's refresh and the
    /// "most read" block never interleave.
    pub(crate) async fn foreground(&self) -> RwLockWriteGuard<'_, ()> {
        self.0.write().await
    }

    /// Runs `request` on its own task once no foreground writer holds the
    /// store or waits for it; the task gives up its turn when the request
    /// ends, whenever its answer is awaited. `Err` only if it panicked.
    pub(crate) async fn background<T: Send + 'static>(
        &self,
        request: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, JoinError> {
        let turns = Arc::clone(&self.0);
        let mut task = AbortOnDrop(tokio::spawn(async move {
            let _turn = turns.read_owned().await;
            request.await
        }));
        (&mut task.0).await
    }
}

/// A task that is aborted when whoever awaits it goes away.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::{Pin, pin};
    use std::time::Duration;

    use futures_util::poll;
    use tokio::sync::oneshot;
    use tokio::task::JoinError;

    use super::StoreTurns;

    type Request<'a> = Pin<Box<dyn Future<Output = Result<bool, JoinError>> + Send + 'a>>;

    /// A background request that has begun, so holds its turn, and ends
    /// when told; it answers whether it was told.
    async fn begun(turns: &StoreTurns) -> (Request<'_>, oneshot::Sender<()>) {
        let (finish, finished) = oneshot::channel::<()>();
        let (began, beginning) = oneshot::channel::<()>();
        let mut request: Request<'_> = Box::pin(turns.background(async move {
            let _ = began.send(());
            finished.await.is_ok()
        }));
        assert!(poll!(request.as_mut()).is_pending());
        assert!(beginning.await.is_ok());
        (request, finish)
    }

    #[tokio::test]
    async fn a_waiting_flush_goes_before_background_requests_that_come_after_it() {
        let turns = StoreTurns::default();
        let (in_flight, finish) = begun(&turns).await;

        // A flush asks for the store: it waits for the request in flight…
        let mut flush = pin!(turns.foreground());
        assert!(poll!(flush.as_mut()).is_pending());
        // …and a request asked for after it waits for the flush.
        let (later_began, later_beginning) = oneshot::channel::<()>();
        let mut later = pin!(turns.background(async move {
            let _ = later_began.send(());
        }));
        assert!(poll!(later.as_mut()).is_pending());

        assert!(finish.send(()).is_ok());
        assert!(matches!(in_flight.await, Ok(true)));
        let guard = flush.await;
        // The later request has not begun while the flush holds the store.
        let mut later_beginning = pin!(later_beginning);
        assert!(poll!(later_beginning.as_mut()).is_pending());
        drop(guard);
        assert!(later.await.is_ok());
        assert!(later_beginning.await.is_ok());
    }

    #[tokio::test]
    async fn a_request_gives_up_its_turn_though_nobody_awaits_its_answer() {
        let turns = StoreTurns::default();
        let (unawaited, finish) = begun(&turns).await;
        assert!(finish.send(()).is_ok());
        // Its caller never polls it again, yet the flush gets the store.
        let flush = tokio::time::timeout(Duration::from_secs(30), turns.foreground()).await;
        assert!(flush.is_ok(), "the flush waited on a request nobody polled");
        drop(flush);
        assert!(matches!(unawaited.await, Ok(true)));
    }

    #[tokio::test]
    async fn a_request_dropped_by_its_caller_stops_and_gives_up_its_turn() {
        let turns = StoreTurns::default();
        let (began, beginning) = oneshot::channel::<()>();
        let (_never, never_sent) = oneshot::channel::<()>();
        let (ended, ending) = oneshot::channel::<()>();
        let mut dropped = Box::pin(turns.background(async move {
            // Told when the request is dropped mid-way.
            let _ended = ended;
            let _ = began.send(());
            never_sent.await.is_ok()
        }));
        assert!(poll!(dropped.as_mut()).is_pending());
        assert!(beginning.await.is_ok());
        drop(dropped);
        // The request was dropped, not left to run: its end closed the channel unsent.
        let ended = tokio::time::timeout(Duration::from_secs(30), ending).await;
        assert!(matches!(ended, Ok(Err(_))), "a dropped request ran on");
        let flush = tokio::time::timeout(Duration::from_secs(30), turns.foreground()).await;
        assert!(flush.is_ok(), "a dropped request kept its turn");
    }

    #[tokio::test]
    async fn background_requests_share_the_store_with_each_other() {
        let turns = StoreTurns::default();
        let (first, finish) = begun(&turns).await;
        // Another build request is not held up by the first.
        assert!(matches!(turns.background(async { 2 }).await, Ok(2)));
        assert!(finish.send(()).is_ok());
        assert!(matches!(first.await, Ok(true)));
    }
}
