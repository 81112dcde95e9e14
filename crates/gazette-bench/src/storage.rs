//! The store side of the bench: the PUT ceiling for the objects a published article writes, at the publish stage's concurrency, and the objects' sizes.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use gazette_store::{Precondition, PutObject, Store, StoreError};
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
    let bodies = random_bodies(sizes)?;
    let store = Arc::new(store.clone());
    timed_in_parallel(puts, concurrency, |i| {
        let store = Arc::clone(&store);
        let body = bodies[i % bodies.len()].clone();
        async move {
            store
                .put(object(format!("bench-ceiling/{i:07}"), body))
                .await
        }
    })
    .await
}

/// Runs `task(0)`, `task(1)`, … `task(count - 1)` with `concurrency` in
/// flight and returns how long they all took; the first failure fails it.
async fn timed_in_parallel<F, T>(
    count: usize,
    concurrency: usize,
    task: F,
) -> anyhow::Result<Duration>
where
    F: Fn(usize) -> T,
    T: Future<Output = Result<(), StoreError>> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut running = JoinSet::new();
    let started = Instant::now();
    for i in 0..count {
        let permit = Arc::clone(&slots).acquire_owned().await?;
        let request = task(i);
        running.spawn(async move {
            let _permit = permit;
            request.await
        });
    }
    while let Some(done) = running.join_next().await {
        done.context("a store task panicked")?
            .context("a store request failed")?;
    }
    Ok(started.elapsed())
}

/// Objects written per article, from what `articles` articles left in an empty store.
pub(crate) fn objects_per(objects: usize, articles: usize) -> anyhow::Result<usize> {
    anyhow::ensure!(
        articles > 0 && objects > 0 && objects % articles == 0,
        "{articles} published articles left {objects} objects; expected the same number for each"
    );
    Ok(objects / articles)
}

/// How many objects `stores` hold together, and the sizes of an evenly
/// spread sample of about `sample` of them.
pub(crate) async fn object_sizes(
    stores: &[&Store],
    sample: usize,
) -> anyhow::Result<(usize, Vec<usize>)> {
    let mut keys = Vec::new();
    for store in stores {
        keys.extend(store.list("").await?.into_iter().map(|key| (*store, key)));
    }
    let step = keys.len().div_ceil(sample).max(1);
    let mut sizes = Vec::new();
    for (store, key) in keys.iter().step_by(step) {
        sizes.push(store.get(key).await?.map_or(0, |body| body.len()));
    }
    Ok((keys.len(), sizes))
}

pub(crate) fn object(key: String, body: Bytes) -> PutObject {
    PutObject {
        key,
        body,
        content_type: "text/html; charset=utf-8",
        cache_control: "no-store",
        metadata: Default::default(),
        precondition: Precondition::None,
    }
}

/// One body per size, of random bytes, so no layer can win by compressing
/// or deduplicating.
pub(crate) fn random_bodies(sizes: &[usize]) -> anyhow::Result<Vec<Bytes>> {
    anyhow::ensure!(!sizes.is_empty(), "no object sizes to measure");
    Ok(sizes
        .iter()
        .map(|&size| Bytes::from((0..size).map(|_| rand::random::<u8>()).collect::<Vec<u8>>()))
        .collect())
}
