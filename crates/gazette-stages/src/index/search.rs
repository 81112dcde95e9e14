//! The site's search: what search finds of each live article, kept in sharded documents by every flush, and the static index built from them at most once per interval.
//!
//! A flush only rewrites the shard of each article it changed (bounded work
//! per article, like the rest of the index) and counts the change in the
//! site state (`search_seq`). Building the index reads every shard, so it
//! is debounced: a builder task builds at most once per
//! `GAZETTE_SEARCH_INTERVAL`, and within that interval of any change.
//!
//! The index is uploaded so that a reader mid-query never meets a missing
//! file: files named by their content's hash first, `pagefind-entry.json`
//! (which names the rest) last, and a file the new index no longer names
//! is deleted only one build later.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Weak;
use std::time::Duration;

use gazette_search::{ENTRY_FILE, SEARCH_FOLDER, SearchDocument, SearchFile};
use gazette_site::{
    ArticleRecord, Entry, SEARCH_MANIFEST_KEY, SEARCH_SHARDS, SITE_STATE_KEY, SiteState,
    search_shard_key, search_shard_of,
};
use gazette_store::{Precondition, PutObject, Store};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::flush::{get_json, json_object, load_all, put_all};
use super::{IndexFailure, Site};
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

/// The shards a batch rewrites, with their documents changed; empty when
/// the batch changes nothing search finds. A change whose revision the
/// records passed over (a stale redelivery) changes nothing.
pub(crate) async fn apply_changes(
    archive: &Store,
    changes: Vec<SearchChange>,
    records: &std::collections::HashMap<String, ArticleRecord>,
) -> Result<BTreeMap<u16, SearchShard>, IndexFailure> {
    let mut latest: BTreeMap<String, Option<SearchDocument>> = BTreeMap::new();
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
            latest.insert(change.article_id, change.document);
        }
    }
    let wanted: BTreeSet<u16> = latest.keys().map(|id| search_shard_of(id)).collect();
    let mut shards: BTreeMap<u16, SearchShard> =
        load_all(archive, wanted, |shard| search_shard_key(*shard)).await?;
    for (id, document) in latest {
        let Some(shard) = shards.get_mut(&search_shard_of(&id)) else {
            continue;
        };
        match document {
            Some(document) => shard.insert(id, document),
            None => shard.remove(&id),
        };
    }
    Ok(shards)
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
pub(crate) fn shard_objects(
    shards: &BTreeMap<u16, SearchShard>,
) -> Result<Vec<PutObject>, IndexFailure> {
    shards
        .iter()
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

/// Builds the public index from the shards, unless it is already built
/// from the current site state; what the build did.
pub(crate) async fn build_once(
    stores: &Stores,
    builder: &gazette_search::Builder,
    force: Force,
) -> Result<Option<SearchReport>, IndexFailure> {
    let archive = &stores.archive;
    let state: SiteState = get_json(archive, SITE_STATE_KEY).await?;
    let manifest: Manifest = get_json(archive, SEARCH_MANIFEST_KEY).await?;
    let current = manifest.built_from >= state.search_seq && !manifest.files.is_empty();
    if current && force == Force::No {
        return Ok(None);
    }
    let shards: BTreeMap<u16, SearchShard> =
        load_all(archive, (0..SEARCH_SHARDS).collect(), |shard| {
            search_shard_key(*shard)
        })
        .await?;
    let documents: Vec<SearchDocument> =
        shards.into_values().flat_map(|s| s.into_values()).collect();
    let count = documents.len();
    let built = builder.build(documents).await?;
    let report = publish(stores, manifest, built.files, state.search_seq, force).await?;
    Ok(Some(SearchReport {
        documents: count,
        builder_peak_rss_bytes: built.child_peak_rss_bytes,
        ..report
    }))
}

/// Uploads what changed of `files`, the entry file last, retires what the
/// index no longer names, and records the new manifest.
async fn publish(
    stores: &Stores,
    previous: Manifest,
    files: Vec<SearchFile>,
    built_from: u64,
    force: Force,
) -> Result<SearchReport, IndexFailure> {
    let mut report = SearchReport {
        files: files.len(),
        bytes: files.iter().map(|f| f.bytes.len() as u64).sum(),
        ..SearchReport::default()
    };
    let mut next = Manifest {
        built_from,
        ..Manifest::default()
    };
    let mut first = Vec::new();
    let mut entry = Vec::new();
    for file in files {
        let digest = hex::encode(sha2::Sha256::digest(&file.bytes));
        // A rebuild writes every file: the public site may be new or wiped.
        let unchanged = force == Force::No && previous.files.get(&file.path) == Some(&digest);
        next.files.insert(file.path.clone(), digest);
        if unchanged {
            continue;
        }
        let is_entry = file.path == ENTRY_FILE;
        let object = search_object(file);
        match is_entry {
            true => entry.push(object),
            false => first.push(object),
        }
    }
    report.uploaded = first.len() + entry.len();
    put_all(&stores.site, first).await?;
    put_all(&stores.site, entry).await?;
    next.retired = previous
        .files
        .keys()
        .filter(|path| !next.files.contains_key(*path))
        .cloned()
        .collect();
    // Retired by the build before: no entry file a reader may still hold names them.
    for path in previous
        .retired
        .iter()
        .filter(|p| !next.files.contains_key(*p))
    {
        stores
            .site
            .delete(&format!("{SEARCH_FOLDER}{path}"))
            .await?;
    }
    stores
        .archive
        .put(json_object(SEARCH_MANIFEST_KEY.to_owned(), &next)?)
        .await?;
    Ok(report)
}

fn search_object(file: SearchFile) -> PutObject {
    let content_type = match file.path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    PutObject {
        key: format!("{SEARCH_FOLDER}{}", file.path),
        body: bytes::Bytes::from(file.bytes),
        content_type,
        cache_control: match file.immutable {
            true => "public, max-age=31536000, immutable",
            // The entry file must be seen anew; the scripts change with Gazette's version.
            false => "no-cache",
        },
        metadata: Default::default(),
        precondition: Precondition::None,
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
            match build_once(&site.stores, &builder, Force::No).await {
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
