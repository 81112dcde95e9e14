//! What the pipeline is judged against: the null pipeline's joint ceiling, and the broker's and the store's separate ceilings as context.
//!
//! The null pipeline is the pipeline with its work taken out: the same hops
//! (one per stage an article without pictures meets, and the
//! `article.published` reader),
//! each message the size the real one was on that hop, quorum queues,
//! persistent messages, confirms before acks, the same prefetch and
//! concurrency and consumers per hop, and at the publish stage's hop the
//! same number of PUTs per article, of the same sizes, into the same
//! Garage. It runs beside the same RabbitMQ and Garage in the same bench
//! run, in the bench's own process (one connection pair per relay, as a
//! worker has), so it pays no process switches a real pipeline pays: its
//! throughput is what a pipeline doing no work of its own could reach.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use gazette_broker::{BrokerSettings, Exchange, RelayPlan, RelayWork, Tap};
use gazette_contract::{EventType, VALIDATED_WITHOUT_PICTURES};
use gazette_stages::{Part, specs_of};

use crate::Bench;
use crate::processes::{Watched, watch_broker};
use crate::report::{Ceilings, ThroughputPoint};
use crate::storage;

/// The routing key each hop carries, first to last, then
/// `article.published` to its reader. The bench's articles name no
/// pictures, so validate hands them straight to render: each pipeline
/// stage's first binding (the article's path), except that the stage bound
/// to [`VALIDATED_WITHOUT_PICTURES`] takes them on that key, and the stage
/// that takes `article.validated` (media, for articles with pictures) sees
/// none of them.
pub(crate) fn hop_keys() -> Vec<(Exchange, &'static str)> {
    let mut keys: Vec<(Exchange, &'static str)> = specs_of(Part::Pipeline)
        .iter()
        .filter_map(|spec| {
            let past_media = spec
                .consumes
                .iter()
                .copied()
                .find(|(_, key)| *key == VALIDATED_WITHOUT_PICTURES);
            past_media.or_else(|| {
                let first = spec.consumes.first().copied();
                first.filter(|(_, key)| *key != EventType::Validated.as_str())
            })
        })
        .collect();
    keys.push((Exchange::Events, EventType::Published.as_str()));
    keys
}

/// Taps on every hop's routing key, opened before a run whose messages
/// they weigh.
pub(crate) struct HopScales {
    taps: Vec<Tap>,
}

impl HopScales {
    pub(crate) async fn open(settings: &BrokerSettings) -> anyhow::Result<Self> {
        let mut taps = Vec::new();
        for (exchange, key) in hop_keys() {
            taps.push(Tap::bind(settings, exchange, &[key]).await?);
        }
        Ok(Self { taps })
    }

    /// The mean body size on each hop of the `articles` articles that have
    /// gone through; every message is in the taps once the run is over.
    pub(crate) async fn mean_sizes(self, articles: usize) -> anyhow::Result<Vec<usize>> {
        let mut sizes = Vec::new();
        for (mut tap, (_, key)) in self.taps.into_iter().zip(hop_keys()) {
            let mut total = 0;
            let mut seen = 0;
            while seen < articles {
                match tap.next(Duration::from_secs(10)).await? {
                    Some(message) => {
                        // As the broker carried it, compressed where the pipeline compresses.
                        total += message.wire_bytes;
                        seen += 1;
                    }
                    None => anyhow::bail!("{key}: only {seen} of {articles} messages seen"),
                }
            }
            tap.close().await;
            sizes.push(total / seen.max(1));
        }
        Ok(sizes)
    }
}

impl Bench<'_> {
    pub(crate) async fn ceilings(
        &self,
        sizes: &[usize],
        hop_bytes: &[usize],
        objects_per_article: usize,
        headline: &ThroughputPoint,
    ) -> anyhow::Result<Ceilings> {
        let hops = hop_keys().len();
        let relay = RelayPlan {
            hops,
            consumers_per_hop: self.plan.headline_workers,
            prefetch: self.plan.prefetch,
            concurrency: self.plan.concurrency,
            message_bytes: hop_bytes.to_vec(),
            messages: self.plan.articles,
            publish_window: self.plan.publish_window,
            last_relay_work: None,
        };
        let cores =
            |watched: Option<Watched>| watched.and_then(|w| w.usage()).map_or(0.0, |u| u.cores);

        // The joint ceiling first, on a store as fresh as the pipeline's was.
        let (broker_watch, garage_watch) = (watch_broker("rabbitmq"), self.watch_store());
        let joint_plan = RelayPlan {
            last_relay_work: Some(self.null_publish(sizes, objects_per_article)?),
            ..relay.clone()
        };
        let (joint, null_work) = counted(self.garage, self.plan.articles, async {
            Ok(gazette_broker::measure_relay(&self.settings("null"), &joint_plan).await?)
        })
        .await?;
        let joint_cores = (cores(broker_watch), cores(garage_watch));

        let broker_watch = watch_broker("rabbitmq");
        let broker = gazette_broker::measure_relay(&self.settings("ceiling"), &relay).await?;
        let broker_cores = cores(broker_watch);
        let puts = self.plan.articles * objects_per_article;
        let concurrency = self.plan.headline_workers * self.plan.concurrency;
        let garage_watch = self.watch_store();
        let stored = storage::measure_puts(&self.store, sizes, puts, concurrency).await?;
        let storage_cores = cores(garage_watch);
        let broker_per_second = broker.per_second();
        let storage_puts_per_second = puts as f64 / stored.as_secs_f64().max(f64::EPSILON);
        let storage_articles_per_second =
            storage_puts_per_second / objects_per_article.max(1) as f64;
        let joint_per_second = joint.per_second();
        let separate = broker_per_second.min(storage_articles_per_second);
        Ok(Ceilings {
            joint_per_second,
            joint_broker_cores: joint_cores.0,
            joint_storage_cores: joint_cores.1,
            null_store_requests_per_article: null_work.requests,
            null_store_bytes_written_per_article: null_work.bytes_written,
            hop_bytes: hop_bytes.to_vec(),
            broker_per_second,
            broker_hops: hops,
            storage_puts_per_second,
            storage_articles_per_second,
            broker_cores,
            storage_cores,
            binding: if broker_per_second <= storage_articles_per_second {
                "broker"
            } else {
                "storage"
            }
            .to_owned(),
            separate_ratio: headline.articles_per_second / separate,
            ratio: headline.articles_per_second / joint_per_second.max(f64::EPSILON),
        })
    }

    /// The null pipeline's publish hop: `objects` PUTs per article, one
    /// after another as the publish stage writes them, cycling through the
    /// sizes the real pipeline wrote, every body a different one.
    fn null_publish(&self, sizes: &[usize], objects: usize) -> anyhow::Result<RelayWork> {
        let bodies = Arc::new(storage::DistinctBodies::new(
            sizes,
            self.plan.articles * objects,
        )?);
        let store = self.store.clone();
        let next = Arc::new(AtomicUsize::new(0));
        Ok(Arc::new(move || {
            let article = next.fetch_add(1, Ordering::Relaxed);
            let store = store.clone();
            let bodies = Arc::clone(&bodies);
            Box::pin(async move {
                for n in 0..objects {
                    let body = bodies.body(objects * article + n);
                    store
                        .put(storage::object(
                            format!("bench-null/{article:07}/{n}"),
                            body,
                        ))
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok(())
            })
        }))
    }
}

/// S3 requests per article between two of Garage's own counts, by endpoint.
fn requests_per_article(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
    articles: usize,
) -> BTreeMap<String, f64> {
    after
        .iter()
        .filter_map(|(endpoint, &count)| {
            let made = count.saturating_sub(before.get(endpoint).copied().unwrap_or(0));
            (made > 0).then(|| (endpoint.clone(), made as f64 / articles.max(1) as f64))
        })
        .collect()
}

/// What the store did per article over a run, by Garage's own counts.
#[derive(Debug)]
pub(crate) struct StoreWork {
    /// S3 requests per article, by endpoint.
    pub(crate) requests: BTreeMap<String, f64>,
    /// Bytes written to Garage's data directory per article: compressed,
    /// and nothing for a block it already held.
    pub(crate) bytes_written: f64,
}

/// Reads Garage's counts around `run`, for the report.
pub(crate) async fn counted<T>(
    garage: &gazette_testkit::garage::Garage,
    articles: usize,
    run: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<(T, StoreWork)> {
    let before = garage.counts().await.context("reading Garage's counts")?;
    let value = run.await?;
    let after = garage.counts().await.context("reading Garage's counts")?;
    let written = after.bytes_written.saturating_sub(before.bytes_written);
    Ok((
        value,
        StoreWork {
            requests: requests_per_article(&before.requests, &after.requests, articles),
            bytes_written: written as f64 / articles.max(1) as f64,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_without_pictures_skips_the_media_hop() {
        assert_eq!(
            hop_keys(),
            [
                (Exchange::Events, "article.submitted"),
                (Exchange::Internal, "article.validated.no-pictures"),
                (Exchange::Internal, "article.rendered"),
                (Exchange::Events, "article.published"),
            ]
        );
    }
}
