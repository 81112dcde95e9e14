//! The bounded pool pictures are decoded and encoded on, apart from the async workers that answer health checks and send acks, and the bound on pictures held in memory.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// At most `threads` pieces of picture work at once, each on tokio's
/// blocking pool. A burst of large photos queues here instead of taking
/// every thread the process has; the permit travels with the work, so a
/// cancelled caller does not let a second one start beside it.
#[derive(Debug, Clone)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
}

impl CpuPool {
    pub fn new(threads: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(threads.max(1))),
        }
    }

    /// Runs `work` when a thread is free; `Err` carries a panic's message.
    pub async fn run<T, F>(&self, work: F) -> Result<T, String>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| e.to_string())
    }
}

/// Pictures held per thread of the pool: one being processed while the
/// next is fetched, so the pool never waits for the network.
pub const HELD_PER_THREAD: usize = 2;

/// At most [`HELD_PER_THREAD`] pictures per pool thread in memory at once,
/// from the start of their fetch to their last stored variant. The worker takes
/// `GAZETTE_CONCURRENCY` messages at once and each picture may be as
/// large as the decoder's byte limit, so without this a burst of large
/// photos would hold that many originals while they queue for the pool.
#[derive(Debug, Clone)]
pub struct Holding {
    permits: Arc<Semaphore>,
}

impl Holding {
    pub fn for_pool(threads: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(threads.max(1) * HELD_PER_THREAD)),
        }
    }

    /// Waits for room; the picture may be held until the permit is dropped.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, String> {
        Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())
    }
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
        let holding = Holding::for_pool(2);
        let mut held = Vec::new();
        for _ in 0..2 * HELD_PER_THREAD {
            held.push(holding.enter().await.unwrap_or_else(|e| panic!("{e}")));
        }
        let waiting = tokio::spawn({
            let holding = holding.clone();
            async move { holding.enter().await.map(drop) }
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
        let lone = Holding::for_pool(0);
        let first = lone.enter().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lone.permits.available_permits(), HELD_PER_THREAD - 1);
        drop(first);
    }
}
