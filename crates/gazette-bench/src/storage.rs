//! The storage ceiling: how many PUTs per second the store takes for the objects a published article writes, at the publish stage's concurrency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use gazette_store::{Precondition, PutObject, Store};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// PUTs `puts` objects cycling through `sizes`, with `concurrency` in
/// flight, and returns the time they took.
pub async fn measure_puts(
    store: &Store,
    sizes: &[usize],
    puts: usize,
    concurrency: usize,
) -> anyhow::Result<Duration> {
    // Random bytes, so no layer can win by compressing or deduplicating.
    let bodies: Vec<Bytes> = sizes
        .iter()
        .map(|&size| Bytes::from((0..size).map(|_| rand::random::<u8>()).collect::<Vec<u8>>()))
        .collect();
    anyhow::ensure!(!bodies.is_empty(), "no object sizes to measure");
    let store = Arc::new(store.clone());
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut writes = JoinSet::new();
    let started = Instant::now();
    for i in 0..puts {
        let permit = Arc::clone(&slots).acquire_owned().await?;
        let store = Arc::clone(&store);
        let body = bodies[i % bodies.len()].clone();
        writes.spawn(async move {
            let _permit = permit;
            store
                .put(PutObject {
                    key: format!("bench-ceiling/{i:07}"),
                    body,
                    content_type: "text/html; charset=utf-8",
                    cache_control: "no-store",
                    metadata: Default::default(),
                    precondition: Precondition::None,
                })
                .await
        });
    }
    while let Some(written) = writes.join_next().await {
        written
            .context("a PUT task panicked")?
            .context("a PUT failed")?;
    }
    Ok(started.elapsed())
}
