//! The site's search: what search finds of each live article, journaled by every flush, folded into sharded documents and built into the static index at most once per interval.
//!
//! A flush writes one journal object with what its batch changed in search
//! (bounded work per flush, whatever the batch's size) and counts it in the
//! site state (`search_seq`): the journal of count `n` is written before the
//! site state that commits `n`, so a journal past the committed count is a
//! dead flush's and is overwritten by the next one. The builder, debounced
//! to at most once per `GAZETTE_SEARCH_INTERVAL`, folds the committed
//! journals into the shards, in order, and rebuilds each part of the index
//! (one year of articles; `search_parts.rs`) whose documents changed.
//! Folding is idempotent (the journals say what to set, in order), so a
//! fold that dies, or two builders at once, leave the same shards.
//!
//! Flushes used to read and rewrite each changed article's shard: two
//! requests per article on the way to the front page, on shards that grow
//! with the site. The journal takes one.
//!
//! A part is uploaded so that a reader mid-query never meets a missing
//! file: files named by their content's hash first, each as the builder
//! hands it over, its `pagefind-entry.json` (which names the rest) last,
//! once the part is whole, then `parts.json` (which names the parts), and
//! a file no index names any more is deleted only one build later.

use std::collections::BTreeMap;
use std::sync::Weak;
use std::time::Duration;

use gazette_search::SearchDocument;
use gazette_site::{
    ArticleRecord, Entry, SEARCH_SHARDS, search_journal_key, search_shard_key, search_shard_of,
};
use gazette_store::PutObject;

use super::flush::json_object;
use super::{IndexFailure, Site};

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
                        parts = report.parts,
                        parts_built = report.parts_built,
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

#[path = "search_build.rs"]
mod build;
pub use build::SearchReport;
pub(crate) use build::{Force, build_once, built_from};

#[path = "search_parts.rs"]
mod parts;

#[path = "search_upload.rs"]
mod upload;
pub(crate) use upload::remove_index;

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
