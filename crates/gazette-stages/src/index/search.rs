//! The site's search: what search finds of each live article, journaled by every flush, folded into sharded documents and built into the static index at most once per interval.
//!
//! A flush writes one journal object with what its batch changed in search
//! (bounded work per flush, whatever the batch's size) and counts it in the
//! site state (`search_seq`): the journal of count `n` is written before the
//! site state that commits `n`, so a journal past the committed count is a
//! dead flush's and is overwritten by the next one. The builder, debounced
//! to at most once per `GAZETTE_SEARCH_INTERVAL`, feeds every shard to
//! the index build, folding the committed journals into each, in order, on
//! its way. Folding is idempotent (the journals say what to set, in order),
//! so a fold that dies, or two builders at once, leave the same shards.
//!
//! Flushes used to read and rewrite each changed article's shard: two
//! requests per article on the way to the front page, on shards that grow
//! with the site. The journal takes one.
//!
//! The index is uploaded so that a reader mid-query never meets a missing
//! file: files named by their content's hash first, each as the builder
//! hands it over, `pagefind-entry.json` (which names the rest) last, once
//! the build is whole, and a file the new index no longer names is deleted
//! only one build later.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Weak;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt, stream};
use gazette_search::SearchDocument;
use gazette_site::{
    ArticleRecord, Entry, SEARCH_MANIFEST_KEY, SEARCH_SHARDS, SITE_STATE_KEY, SiteState,
    search_journal_key, search_shard_key, search_shard_of,
};
use gazette_store::{PutObject, Store};
use serde::{Deserialize, Serialize};

use super::flush::{get_json, json_object, load_all};
use super::{IndexFailure, Site, StoreTurns};
use crate::Stores;

/// One shard of the search documents, by article id.
pub(crate) type SearchShard = BTreeMap<String, SearchDocument>;

/// A change's bearing on search: the article, the revision the change is
/// about, and what search should find of it (`None`: nothing, withdrawn).
#[derive(Debug, Clone)]
pub(crate) struct SearchChange {
    pub(crate) article_id: String,
    pub(crate) revision: u64,
    pub(crate) document: Option<SearchDocument>,
}

/// `_gazette/index/search.json`: what the public index was built from.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Manifest {
    /// The site state's `search_seq` the build read.
    built_from: u64,
    /// Every file of the current index, by path, with its content's digest.
    files: BTreeMap<String, String>,
    /// Files the previous index named and this one does not; deleted by the next build.
    retired: BTreeSet<String>,
}

/// What one flush changed in search, by article id: the document search
/// should find, or `None` for nothing (withdrawn).
pub(crate) type SearchJournal = BTreeMap<String, Option<SearchDocument>>;

/// Journals kept after they were folded. A builder that read the shards
/// before another one folded may still write them back and record the
/// older count; the journals it left out are then there to fold again.
const JOURNALS_KEPT: u64 = 256;

/// What a batch changes in search; empty when it changes nothing search
/// finds. A change whose revision the records passed over (a stale
/// redelivery) changes nothing.
pub(crate) fn journal_of(
    changes: Vec<SearchChange>,
    records: &std::collections::HashMap<String, ArticleRecord>,
) -> SearchJournal {
    let mut journal = SearchJournal::new();
    for change in changes {
        let Some(record) = records.get(&change.article_id) else {
            continue;
        };
        let listed = record.placement.is_some();
        let current = match &change.document {
            Some(_) => listed && record.revision == change.revision,
            None => !listed,
        };
        if current {
            journal.insert(change.article_id, change.document);
        }
    }
    journal
}

/// The journal as the object that count `search_seq` commits.
pub(crate) fn journal_object(
    search_seq: u64,
    journal: &SearchJournal,
) -> Result<PutObject, IndexFailure> {
    json_object(search_journal_key(search_seq), journal)
}

/// What a shard's folding applies, in the journals' order.
type ShardChanges = Vec<(String, Option<SearchDocument>)>;

/// The journals' changes grouped by shard, each shard's in journal order.
fn by_shard(journals: Vec<SearchJournal>) -> BTreeMap<u16, ShardChanges> {
    let mut shards: BTreeMap<u16, ShardChanges> = BTreeMap::new();
    for journal in journals {
        for (id, document) in journal {
            shards
                .entry(search_shard_of(&id))
                .or_default()
                .push((id, document));
        }
    }
    shards
}

/// Applies `changes` to `shard`, in order; whether it changed.
fn fold_shard(shard: &mut SearchShard, changes: ShardChanges) -> bool {
    let mut changed = false;
    for (id, document) in changes {
        if shard.get(&id) == document.as_ref() {
            continue;
        }
        match document {
            Some(document) => shard.insert(id, document),
            None => shard.remove(&id),
        };
        changed = true;
    }
    changed
}

/// What search finds of a listed article: its listing entry and its body.
pub(crate) fn document_of(entry: &Entry, body_html: String, zone: chrono_tz::Tz) -> SearchDocument {
    SearchDocument {
        url: format!("/{}", entry.key),
        title: entry.title.clone(),
        date: gazette_text::portal_datetime(&entry.published_at, zone),
        category: entry.category_name.clone(),
        lead: entry.lead.clone(),
        body_html,
    }
}

/// The shards as objects for the archive.
pub(crate) fn shard_objects<'a>(
    shards: impl IntoIterator<Item = (&'a u16, &'a SearchShard)>,
) -> Result<Vec<PutObject>, IndexFailure> {
    shards
        .into_iter()
        .map(|(number, shard)| json_object(search_shard_key(*number), shard))
        .collect()
}

/// Every shard, empty ones included: what a rebuild writes.
pub(crate) fn all_shards(documents: Vec<(String, SearchDocument)>) -> BTreeMap<u16, SearchShard> {
    let mut shards: BTreeMap<u16, SearchShard> = (0..SEARCH_SHARDS)
        .map(|n| (n, SearchShard::new()))
        .collect();
    for (id, document) in documents {
        shards
            .entry(search_shard_of(&id))
            .or_default()
            .insert(id, document);
    }
    shards
}

/// What one build did, for logs and the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchReport {
    pub documents: usize,
    /// The index's files and their bytes, all told.
    pub files: usize,
    pub bytes: u64,
    /// Files this build had to upload (the rest were already there).
    pub uploaded: usize,
    /// The builder process's peak memory, when the build ran in a child.
    pub builder_peak_rss_bytes: Option<u64>,
}

/// The site state's count the public index was last built from; 0 for none.
pub(crate) async fn built_from(archive: &Store) -> Result<u64, IndexFailure> {
    let manifest: Manifest = get_json(archive, SEARCH_MANIFEST_KEY).await?;
    Ok(manifest.built_from)
}

/// Whether to build an index that looks current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Force {
    /// `gazette rebuild`: the site state was made anew, its count with it.
    Yes,
    No,
}

/// Folds the committed journals into the shards and builds the public
/// index from them, unless it is already built from the current site
/// state; what the build did.
pub(crate) async fn build_once(
    stores: &Stores,
    builder: &gazette_search::Builder,
    force: Force,
    turns: &StoreTurns,
) -> Result<Option<SearchReport>, IndexFailure> {
    let archive = &stores.archive;
    let state: SiteState = get_json(archive, SITE_STATE_KEY).await?;
    let manifest: Manifest = get_json(archive, SEARCH_MANIFEST_KEY).await?;
    let current = manifest.built_from >= state.search_seq && !manifest.files.is_empty();
    if current && force == Force::No {
        return Ok(None);
    }
    let pending = manifest.built_from + 1..=state.search_seq;
    let journals: BTreeMap<u64, Option<SearchJournal>> =
        load_all(archive, pending.clone().collect(), |n| {
            search_journal_key(*n)
        })
        .await?;
    let journals: Vec<SearchJournal> = journals.into_values().flatten().collect();
    let missing = pending.clone().count() - journals.len();
    if missing > 0 {
        // Folded and deleted long ago (a builder that fell far behind), or
        // counted before flushes kept journals: already in the shards.
        tracing::warn!(
            missing,
            "search journals were not found; their changes are taken to be in the shards already"
        );
    }
    // Each shard is folded as it is read on its way to the builder, so the
    // indexer holds a few shards and the pending changes, never the site
    // (after a burst, the journals touch every shard).
    let changes = by_shard(journals);
    let (sender, feed) = gazette_search::feed(SHARDS_IN_FLIGHT);
    let (files, arriving) = tokio::sync::mpsc::channel(FILES_IN_FLIGHT);
    let (built, fed, uploaded) = tokio::join!(
        builder.build_into(feed, files),
        feed_shards(archive, changes, sender, turns),
        upload_files(&stores.site, &manifest, arriving, force, turns),
    );
    // A store that failed mid-read or mid-upload is the cause (and is
    // retried), whatever the builder then said of its cut-off feed or of
    // its files no longer taken.
    let count = fed?;
    let uploaded = uploaded?;
    let cost = built?;
    // A handful of requests, awaited as they go: they take no turn.
    let report = commit(stores, manifest, uploaded, state.search_seq).await?;
    forget_journals(archive, pending).await;
    Ok(Some(SearchReport {
        documents: count,
        builder_peak_rss_bytes: cost.child_peak_rss_bytes,
        ..report
    }))
}

/// Shards read ahead of the builder: the indexer holds these, not the site.
const SHARDS_IN_FLIGHT: usize = 8;

/// Sends every shard's documents to `sender` in shard order, each read
/// from the archive and, where `changes` has some for it, folded and
/// written back first; the documents sent. Finishes the feed only when
/// every shard was sent, so that a failed read or write builds nothing.
/// A shard folded and written before a failure is folded again, to the
/// same result, by the next build: the manifest still names the older
/// count, so the same journals are pending.
async fn feed_shards(
    archive: &Store,
    mut changes: BTreeMap<u16, ShardChanges>,
    sender: gazette_search::FeedSender,
    turns: &StoreTurns,
) -> Result<usize, IndexFailure> {
    let mut shards = stream::iter(0..SEARCH_SHARDS)
        .map(|number| {
            let pending = changes.remove(&number);
            let archive = archive.clone();
            let request = turns.background(async move {
                let key = search_shard_key(number);
                let mut shard: SearchShard = get_json(&archive, &key).await?;
                if pending.is_some_and(|pending| fold_shard(&mut shard, pending)) {
                    archive.put(json_object(key, &shard)?).await?;
                }
                Ok::<_, IndexFailure>(shard)
            });
            async move { request.await? }
        })
        .buffered(SHARDS_IN_FLIGHT);
    let mut documents = 0;
    while let Some(shard) = shards.try_next().await? {
        documents += shard.len();
        if sender.send(shard.into_values().collect()).await.is_err() {
            // The builder stopped; its own error says why.
            return Ok(documents);
        }
    }
    // As above: a builder gone by now has failed and says so.
    let _ = sender.finish().await;
    Ok(documents)
}

/// Deletes the journals [`JOURNALS_KEPT`] behind those just folded. One
/// left behind is only a stray object, so a failure is logged, not raised.
async fn forget_journals(archive: &Store, folded: std::ops::RangeInclusive<u64>) {
    let (start, end) = folded.into_inner();
    let expired = start.saturating_sub(JOURNALS_KEPT).max(1)..=end.saturating_sub(JOURNALS_KEPT);
    let deleting: Result<Vec<()>, _> = stream::iter(expired)
        .map(|n| async move { archive.delete(&search_journal_key(n)).await })
        .buffer_unordered(8)
        .try_collect()
        .await;
    if let Err(error) = deleting {
        tracing::warn!(%error, "old search journals could not be deleted; they are only stray objects");
    }
}

/// Builds the index at start if a flush left it behind, then after each
/// change a flush reports, never sooner than `interval` after the last
/// build, until the stage is gone (its sender dropped).
pub(super) fn start_builder(
    site: Weak<Site>,
    interval: Duration,
    builder: gazette_search::Builder,
    mut changed: tokio::sync::watch::Receiver<u64>,
) {
    tokio::spawn(async move {
        loop {
            let started = tokio::time::Instant::now();
            changed.borrow_and_update();
            let Some(site) = site.upgrade() else {
                return;
            };
            match build_once(&site.stores, &builder, Force::No, &site.turns).await {
                Ok(Some(report)) => {
                    metrics::counter!("gazette_search_builds_total").increment(1);
                    metrics::gauge!("gazette_search_index_bytes").set(report.bytes as f64);
                    if let Some(peak) = report.builder_peak_rss_bytes {
                        metrics::gauge!("gazette_search_builder_peak_rss_bytes").set(peak as f64);
                    }
                    tracing::info!(
                        documents = report.documents,
                        files = report.files,
                        bytes = report.bytes,
                        uploaded = report.uploaded,
                        builder_peak_rss_mb =
                            report.builder_peak_rss_bytes.map(|b| b / (1024 * 1024)),
                        seconds = started.elapsed().as_secs_f64(),
                        "search index built"
                    );
                }
                Ok(None) => {}
                // The next change, or the retry below, builds it again; search only lags.
                Err(error) => {
                    tracing::warn!(%error, "the search index could not be built");
                    changed.mark_changed();
                }
            }
            drop(site);
            if changed.changed().await.is_err() {
                return;
            }
            tokio::time::sleep_until(started + interval).await;
        }
    });
}

#[path = "search_upload.rs"]
mod upload;
pub(crate) use upload::remove_index;
use upload::{FILES_IN_FLIGHT, commit, upload_files};

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
