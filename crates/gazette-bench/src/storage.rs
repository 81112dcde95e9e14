//! The store side of the bench: the PUT ceiling for the objects a published article writes, at the publish stage's concurrency, and the objects' sizes.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use gazette_store::{Precondition, PutObject, Store, StoreError};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// PUTs `puts` objects cycling through `sizes`, each with a body of its
/// own, with `concurrency` in flight, and returns the time they took.
pub async fn measure_puts(
    store: &Store,
    sizes: &[usize],
    puts: usize,
    concurrency: usize,
) -> anyhow::Result<Duration> {
    let bodies = DistinctBodies::new(sizes, puts)?;
    let store = Arc::new(store.clone());
    timed_in_parallel(puts, concurrency, |i| {
        let store = Arc::clone(&store);
        let body = bodies.body(i);
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

/// Bodies of the sizes the pipeline wrote, cycling through them, no two
/// alike: random bytes, so that no layer wins by compressing them, and each
/// one distinct, because Garage stores a block once however many objects
/// hold it (its blocks are named by their hash) and skips writing one it
/// already has. The pipeline's articles are all different; bodies repeated
/// from a small set would let the store skip its disk writes and raise the
/// ceilings above what any pipeline of real articles could reach.
pub(crate) struct DistinctBodies {
    /// Body `i` is the window of `pool` starting at byte `i`.
    pool: Bytes,
    sizes: Vec<usize>,
    count: usize,
}

impl DistinctBodies {
    /// Room for `count` bodies; asking for more wraps around to the first.
    pub(crate) fn new(sizes: &[usize], count: usize) -> anyhow::Result<Self> {
        let longest = sizes
            .iter()
            .copied()
            .max()
            .context("no object sizes to measure")?;
        let count = count.max(1);
        let pool = (0..longest + count)
            .map(|_| rand::random::<u8>())
            .collect::<Vec<u8>>();
        Ok(Self {
            pool: Bytes::from(pool),
            sizes: sizes.to_vec(),
            count,
        })
    }

    /// The `i`th body, `sizes[i % sizes.len()]` bytes long. Windows of random
    /// bytes that start at different offsets are different, so bodies
    /// `0..count` are all distinct, and cost no copy.
    pub(crate) fn body(&self, i: usize) -> Bytes {
        let start = i % self.count;
        let size = self.sizes[i % self.sizes.len()];
        self.pool.slice(start..start + size)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_body_is_distinct_and_of_its_size() {
        let sizes = [8, 17, 17, 9, 40];
        let bodies = DistinctBodies::new(&sizes, 2_000).unwrap_or_else(|e| panic!("{e}"));
        let mut seen = HashSet::new();
        for i in 0..2_000 {
            let body = bodies.body(i);
            assert_eq!(body.len(), sizes[i % sizes.len()], "body {i}");
            assert!(seen.insert(body), "body {i} repeats an earlier one");
        }
        assert_eq!(
            bodies.body(2_000),
            bodies.body(0),
            "past the count it wraps"
        );
    }

    #[test]
    fn no_sizes_is_a_clear_error() {
        let refused = DistinctBodies::new(&[], 10).err().map(|e| e.to_string());
        assert_eq!(refused.as_deref(), Some("no object sizes to measure"));
    }
}
