//! The bounded pool pictures are decoded and encoded on, apart from the async workers that answer health checks and send acks, and its bound on pictures held in memory.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// At most `threads` pieces of picture work at once, each on tokio's
/// blocking pool. A burst of large photos queues here instead of taking
/// every thread the process has; the permit travels with the work, so a
/// cancelled caller does not let a second one start beside it.
///
/// It also bounds the pictures held in memory, [`HELD_PER_THREAD`] per
/// thread from the start of their fetch to their last stored variant
/// ([`CpuPool::hold`]). The worker takes `GAZETTE_CONCURRENCY` messages at
/// once and each picture may be as large as the decoder's byte limit, so
/// without it a burst of large photos would hold that many originals
/// while they queue for the threads.
#[derive(Debug, Clone)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
    held: Arc<Semaphore>,
}

/// Pictures held per thread of the pool: one being processed while the
/// next is fetched, so the pool never waits for the network.
const HELD_PER_THREAD: usize = 2;

impl CpuPool {
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        Self {
            permits: Arc::new(Semaphore::new(threads)),
            held: Arc::new(Semaphore::new(threads * HELD_PER_THREAD)),
        }
    }

    /// Runs `work` when a thread is free; `Err` carries a panic's message.
    pub async fn run<T, F>(&self, work: F) -> Result<T, String>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = enter(&self.permits).await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| e.to_string())
    }

    /// Waits for room to hold one more picture; it is held until the
    /// permit is dropped.
    pub async fn hold(&self) -> Result<OwnedSemaphorePermit, String> {
        enter(&self.held).await
    }
}

async fn enter(permits: &Arc<Semaphore>) -> Result<OwnedSemaphorePermit, String> {
    Arc::clone(permits)
        .acquire_owned()
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_more_than_its_threads_at_once() {
        let pool = CpuPool::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        // Work waits for a partner: two must run at once for any to finish,
        // and a third beside them would show in `most`.
        let pairs = Arc::new(std::sync::Barrier::new(2));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (pool, running, most, pairs) =
                (pool.clone(), running.clone(), most.clone(), pairs.clone());
            tasks.push(tokio::spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    pairs.wait();
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn holds_two_pictures_per_thread_and_lets_the_next_in_as_one_leaves() {
        let pool = CpuPool::new(2);
        let mut held = Vec::new();
        for _ in 0..2 * HELD_PER_THREAD {
            held.push(pool.hold().await.unwrap_or_else(|e| panic!("{e}")));
        }
        let waiting = tokio::spawn({
            let pool = pool.clone();
            async move { pool.hold().await.map(drop) }
        });
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "a fifth picture was let in beside four"
        );
        drop(held.pop());
        let entered = waiting.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(entered, Ok(()));
        // No threads counts as one: two pictures at a time, not none.
        let lone = CpuPool::new(0);
        let first = lone.hold().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lone.held.available_permits(), HELD_PER_THREAD - 1);
        drop(first);
    }
}
