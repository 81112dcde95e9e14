//! The second latency: from an article's scheduled submit until its category's front page links it, the indexer's coalescing window included.
//!
//! The run is paced like the first latency, with the indexer running beside
//! the pipeline. Each `article.published` names the article's page and
//! category. A watcher then reads that category's front page from the
//! store, as a reader's first request after a CDN miss would, until the
//! page links the article or a newer one of its category (which, articles
//! being dated in the order submitted, means the listing has placed it). It looks at each front page at most every
//! [`READ_EVERY`], so the figure is late by up to that much, never early:
//! a HEAD each time, and the page itself when its ETag changed.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::Context;
use gazette_broker::{BrokerSettings, ensure_topology};
use gazette_site::category_front_key;
use gazette_store::Store;
use tokio::sync::mpsc;

use crate::articles::Submission;
use crate::pipeline::{Pipeline, StageTime, paced_watching};
use crate::stats::{self, Percentiles};
use crate::{Bench, Part, specs_of};

/// How often the watcher reads a front page that has articles still to show.
const READ_EVERY: Duration = Duration::from_millis(50);
/// How long an article may stay off its front page before the run fails.
const STALL: Duration = Duration::from_secs(60);

/// An article published and waiting to be linked: where it was scheduled,
/// its category and the file name its link ends with.
struct Awaited {
    index: usize,
    scheduled: Instant,
    category: String,
    file: String,
}

impl Bench<'_> {
    /// Adds the indexer to `pipeline` and measures one paced run to the front pages.
    pub(crate) async fn front_page_latency(
        &self,
        pipeline: &mut Pipeline,
        settings: &BrokerSettings,
        env: &[(String, String)],
        run: &str,
    ) -> anyhow::Result<(Percentiles, Vec<StageTime>)> {
        ensure_topology(settings, &specs_of(Part::Site)).await?;
        pipeline
            .add_worker(&self.plan.gazette_binary, "index", env, self.logs.path())
            .await?;
        let count = (self.plan.latency_per_second * self.plan.latency_seconds).ceil() as usize;
        let linked = paced_to_front_page(
            settings,
            &self.store,
            self.articles(&format!("{run}-front"), count)?,
            self.plan.latency_per_second,
        )
        .await?;
        // The indexer's own rows: its deliveries, its flushes' two parts and its requests.
        let index_times = pipeline
            .stage_times()
            .await
            .into_iter()
            .filter(|time| time.process.starts_with("index"))
            .collect();
        Ok((stats::percentiles(&linked), index_times))
    }
}

/// Submits at `per_second` and returns each article's time from its
/// scheduled submit until its category's front page linked it.
pub(crate) async fn paced_to_front_page(
    settings: &BrokerSettings,
    store: &Store,
    submissions: Vec<Submission>,
    per_second: f64,
) -> anyhow::Result<Vec<Duration>> {
    let expected = submissions.len();
    let (awaited, arrivals) = mpsc::unbounded_channel();
    let watcher = tokio::spawn(watch(store.clone(), arrivals, expected));
    paced_watching(
        settings,
        submissions,
        per_second,
        |index, scheduled, data| {
            let key = data["key"].as_str().unwrap_or_default();
            let file = key.rsplit('/').next().unwrap_or_default().to_owned();
            let category = data["category"]["slug"].as_str().unwrap_or_default();
            // A closed watcher has failed; its error is what the run reports.
            let _ = awaited.send(Awaited {
                index,
                scheduled,
                category: category.to_owned(),
                file,
            });
        },
    )
    .await?;
    watcher.await.context("the front-page watcher panicked")?
}

async fn watch(
    store: Store,
    mut arrivals: mpsc::UnboundedReceiver<Awaited>,
    expected: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut waiting: BTreeMap<String, Vec<Awaited>> = BTreeMap::new();
    // Each category's articles published and not yet seen on its front
    // page: (index, page file). Once one is seen, every earlier one is
    // placed, so only later ones are looked for again: the watcher's own
    // CPU stays small beside the pipeline it measures.
    let mut known: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    // The newest article each category's front page was seen to show.
    let mut newest_seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut linked: HashMap<usize, Duration> = HashMap::new();
    // The ETag of each front page as last read in full.
    let mut read_etag: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut last_progress = Instant::now();
    let mut ticks = tokio::time::interval(READ_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while linked.len() < expected {
        ticks.tick().await;
        while let Ok(article) = arrivals.try_recv() {
            anyhow::ensure!(
                !article.category.is_empty() && !article.file.is_empty(),
                "article.published named no category or page for article {}",
                article.index
            );
            known
                .entry(article.category.clone())
                .or_default()
                .push((article.index, article.file.clone()));
            waiting
                .entry(article.category.clone())
                .or_default()
                .push(article);
        }
        let linked_before = linked.len();
        for (category, articles) in &mut waiting {
            if articles.is_empty() {
                continue;
            }
            let key = category_front_key(category);
            // A HEAD first: the page changes once per flush and is read
            // twenty times a second, and the store's CPU is the pipeline's
            // too. Only a new ETag is worth its body.
            let etag = store.head(&key).await?.and_then(|head| head.etag);
            if etag.is_some() && read_etag.get(category) == Some(&etag) {
                continue;
            }
            let front = store
                .get(&key)
                .await?
                .map(|body| String::from_utf8_lossy(&body).into_owned())
                .unwrap_or_default();
            let seen = Instant::now();
            read_etag.insert(category.clone(), etag);
            // Articles are dated in the order submitted and a flush places
            // them by date, so a front page that shows article n has placed
            // every earlier one of its category, even one that twenty newer
            // ones in the same flush pushed on to the next page.
            let unseen = known.entry(category.clone()).or_default();
            let shown_now = unseen
                .iter()
                .filter(|(_, file)| front.contains(&format!("{file}\"")))
                .map(|(index, _)| *index)
                .max();
            // An article published late but submitted earlier than one
            // already seen is placed too: seen or not, it is older.
            let newest_shown = shown_now.max(newest_seen.get(category).copied());
            if let Some(newest) = newest_shown {
                newest_seen.insert(category.clone(), newest);
                unseen.retain(|(index, _)| *index > newest);
            }
            articles.retain(|article| {
                let placed = newest_shown.is_some_and(|newest| article.index <= newest);
                if placed {
                    linked.insert(
                        article.index,
                        seen.saturating_duration_since(article.scheduled),
                    );
                }
                !placed
            });
        }
        if linked.len() > linked_before || waiting.values().all(Vec::is_empty) {
            last_progress = Instant::now();
        }
        anyhow::ensure!(
            last_progress.elapsed() < STALL,
            "{} articles were not on their front page {STALL:?} after publication",
            waiting.values().map(Vec::len).sum::<usize>()
        );
    }
    let mut latencies: Vec<(usize, Duration)> = linked.into_iter().collect();
    latencies.sort_unstable();
    Ok(latencies.into_iter().map(|(_, latency)| latency).collect())
}
