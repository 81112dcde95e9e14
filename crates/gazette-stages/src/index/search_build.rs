//! Building the public search index: the committed journals folded into the shards, then each part whose documents changed built and uploaded, the parts list and the manifest last.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt, TryStreamExt, stream};
use gazette_search::{SEARCH_FOLDER, SearchDocument};
use gazette_site::{
    SEARCH_MANIFEST_KEY, SEARCH_SHARDS, SITE_STATE_KEY, SiteState, search_journal_key,
    search_shard_key,
};
use gazette_store::Store;
use serde::{Deserialize, Serialize};

use super::super::flush::{get_json, json_object, load_all};
use super::super::{IndexFailure, StoreTurns};
use super::parts::{PartContent, Survey, newest_first, part_of, parts_object};
use super::upload::{FILES_IN_FLIGHT, Uploaded, commit_part, upload_files};
use super::{JOURNALS_KEPT, SearchJournal, SearchShard, ShardChanges, by_shard, fold_shard};
use crate::Stores;

/// `_gazette/index/search.json`: what the public index was built from.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Manifest {
    /// The site state's `search_seq` the last whole build read.
    pub(super) built_from: u64,
    /// Each part's index, by part; `None` until the index was first built
    /// in parts.
    #[serde(default)]
    pub(super) parts: Option<BTreeMap<String, PartManifest>>,
    /// The one index of versions before parts, at the folder's root, by
    /// path: retired by the first build in parts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) files: BTreeMap<String, String>,
    /// Files (paths under the folder) that no index names any more;
    /// deleted once the next build is whole.
    #[serde(default)]
    pub(super) retired: BTreeSet<String>,
}

/// One part's index as it was built.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PartManifest {
    /// The part's content it was built from ([`PartContent::digest`]).
    pub(super) digest: String,
    pub(super) documents: usize,
    /// Its files, by path within the part's folder, with their content's digest.
    pub(super) files: BTreeMap<String, String>,
    pub(super) bytes: u64,
}

impl Manifest {
    /// Whether a file (its path under the folder) belongs to an index it names.
    fn names(&self, path: &str) -> bool {
        let parts = self.parts.as_ref();
        match path.split_once('/') {
            Some((part, rest)) => parts
                .and_then(|parts| parts.get(part))
                .is_some_and(|built| built.files.contains_key(rest)),
            None => false,
        }
    }
}

/// What one build did, for logs and the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchReport {
    pub documents: usize,
    /// The parts the index is split into, and those this build rebuilt.
    pub parts: usize,
    pub parts_built: usize,
    /// The whole index's files and their bytes, all told.
    pub files: usize,
    pub bytes: u64,
    /// Files this build had to upload (the rest were already there).
    pub uploaded: usize,
    /// The largest peak memory of a builder process, when the builds ran
    /// in children.
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

/// Folds the committed journals into the shards and rebuilds the parts of
/// the public index whose documents changed, unless it is already built
/// from the current site state; what the build did.
pub(crate) async fn build_once(
    stores: &Stores,
    builder: &gazette_search::Builder,
    force: Force,
    turns: &StoreTurns,
) -> Result<Option<SearchReport>, IndexFailure> {
    let archive = &stores.archive;
    let state: SiteState = get_json(archive, SITE_STATE_KEY).await?;
    let mut manifest: Manifest = get_json(archive, SEARCH_MANIFEST_KEY).await?;
    let current = manifest.built_from >= state.search_seq && manifest.parts.is_some();
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
    // Every shard is read before any year is committed, so a shard that
    // cannot be read builds nothing: the likely year's feed, read on the
    // way, is finished only once the last shard is.
    let likely = likely_part(&journals);
    let changes = by_shard(journals);
    let (contents, mut guessed) = match likely {
        None => (fold_and_survey(archive, changes, None, turns).await?, None),
        Some(part) => {
            let previous = manifest.parts.as_ref().and_then(|parts| parts.get(&part));
            let previous = previous
                .map(|built| built.files.clone())
                .unwrap_or_default();
            let (surveyed, staged) =
                build_and_upload(stores, builder, &part, &previous, force, turns, |sender| {
                    fold_and_survey(archive, changes, Some((&part, sender)), turns)
                })
                .await;
            // The builder's own failure matters only if the year is built.
            (surveyed?, Some((part, staged?)))
        }
    };
    let mut built = manifest.parts.take().unwrap_or_default();
    let stale: Vec<(String, &PartContent)> = newest_first(contents.keys())
        .into_iter()
        .filter_map(|part| {
            let content = contents.get(&part)?;
            let unchanged = built.get(&part).map(|b| &b.digest) == Some(&content.digest);
            (force == Force::Yes || !unchanged).then_some((part, content))
        })
        .collect();
    // What the build before retired goes once this one is whole; what this
    // one retires waits for the next, in case a reader still holds it.
    let expiring = std::mem::take(&mut manifest.retired);
    let mut retiring: BTreeSet<String> = std::mem::take(&mut manifest.files).into_keys().collect();
    let vanished: Vec<String> = built
        .keys()
        .filter(|part| !contents.contains_key(*part))
        .cloned()
        .collect();
    for part in vanished {
        if let Some(gone) = built.remove(&part) {
            retiring.extend(gone.files.into_keys().map(|path| format!("{part}/{path}")));
        }
    }
    let mut report = SearchReport {
        documents: contents.values().map(|c| c.documents).sum(),
        ..SearchReport::default()
    };
    for (part, content) in stale {
        let previous = built.remove(&part).unwrap_or_default();
        let staged = match guessed.take_if(|(guess, _)| *guess == part) {
            Some((_, staged)) => staged?,
            None => {
                let feeding = |sender| feed_part(&stores.archive, &part, sender, turns);
                let (fed, staged) = build_and_upload(
                    stores,
                    builder,
                    &part,
                    &previous.files,
                    force,
                    turns,
                    feeding,
                )
                .await;
                fed?;
                staged??
            }
        };
        let cost = staged.cost;
        let (next, uploaded) = commit_staged(&stores.site, staged, content).await?;
        retiring.extend(
            previous
                .files
                .keys()
                .filter(|path| !next.files.contains_key(*path))
                .map(|path| format!("{part}/{path}")),
        );
        built.insert(part, next);
        report.parts_built += 1;
        report.uploaded += uploaded;
        report.builder_peak_rss_bytes =
            report.builder_peak_rss_bytes.max(cost.child_peak_rss_bytes);
        // Recorded part by part, so that a build that fails later does not
        // build this part again; its retired files wait with the older ones.
        manifest.parts = Some(built.clone());
        manifest.retired = expiring.union(&retiring).cloned().collect();
        archive
            .put(json_object(SEARCH_MANIFEST_KEY.to_owned(), &manifest)?)
            .await?;
    }
    // A guess that was not to be built after all committed nothing; a file
    // it uploaded that no year names (a year emptied meanwhile) goes with
    // the next build.
    if let Some((part, Ok(staged))) = guessed {
        let paths = staged.uploaded.files.into_keys();
        retiring.extend(paths.map(|path| format!("{part}/{path}")));
    }
    // Written after every part it names is whole, and before any file of a
    // part it no longer names goes.
    stores
        .site
        .put(parts_object(newest_first(built.keys()))?)
        .await?;
    manifest.parts = Some(built);
    for path in expiring.iter().filter(|path| !manifest.names(path)) {
        stores
            .site
            .delete(&format!("{SEARCH_FOLDER}{path}"))
            .await?;
    }
    manifest.retired = retiring
        .into_iter()
        .filter(|path| !manifest.names(path))
        .collect();
    manifest.built_from = state.search_seq;
    archive
        .put(json_object(SEARCH_MANIFEST_KEY.to_owned(), &manifest)?)
        .await?;
    forget_journals(archive, pending).await;
    let parts = manifest.parts.unwrap_or_default();
    report.parts = parts.len();
    report.files = parts.values().map(|p| p.files.len()).sum();
    report.bytes = parts.values().map(|p| p.bytes).sum();
    Ok(Some(report))
}

/// Shards read ahead of the builder: the indexer holds these, not the site.
const SHARDS_IN_FLIGHT: usize = 8;

/// Reads every shard, in order, folding `changes` into those they touch
/// and writing them back; what each part holds now. A shard folded and
/// written before a failure is folded again, to the same result, by the
/// next build: the manifest still names the older count, so the same
/// journals are pending.
async fn fold_and_survey(
    archive: &Store,
    changes: BTreeMap<u16, ShardChanges>,
    feeding: Option<(&str, gazette_search::FeedSender)>,
    turns: &StoreTurns,
) -> Result<BTreeMap<String, PartContent>, IndexFailure> {
    let mut shards = std::pin::pin!(read_shards(archive, changes, turns));
    let mut survey = Survey::default();
    let mut feeding = feeding;
    while let Some(shard) = shards.try_next().await? {
        for (id, document) in &shard {
            survey.add(id, document)?;
        }
        if let Some((part, sender)) = &feeding {
            let of_part = of_part(shard, part);
            // A builder gone has failed, and its own error says why.
            if !of_part.is_empty() && sender.send(of_part).await.is_err() {
                feeding = None;
            }
        }
    }
    if let Some((_, sender)) = feeding {
        let _ = sender.finish().await;
    }
    Ok(survey.finish())
}

/// A year's index built and uploaded, all but its entry file: nothing a
/// reader loads has changed yet.
struct Staged {
    uploaded: Uploaded,
    cost: gazette_search::BuildCost,
}

/// Builds `part`'s index from what `feeding` sends and uploads its files
/// into its folder as they come, all but the entry file; what `feeding`
/// returned, and the staged year, or the builder's failure. A store that
/// failed mid-read or mid-upload is the cause (and is retried), whatever
/// the builder then said of its cut-off feed or of its files no longer
/// taken, so the outer result is the store's.
async fn build_and_upload<T, Feeding>(
    stores: &Stores,
    builder: &gazette_search::Builder,
    part: &str,
    previous: &BTreeMap<String, String>,
    force: Force,
    turns: &StoreTurns,
    feeding: impl FnOnce(gazette_search::FeedSender) -> Feeding,
) -> (
    Result<T, IndexFailure>,
    Result<Result<Staged, IndexFailure>, IndexFailure>,
)
where
    Feeding: std::future::Future<Output = Result<T, IndexFailure>>,
{
    let folder = format!("{SEARCH_FOLDER}{part}/");
    let (sender, feed) = gazette_search::feed(SHARDS_IN_FLIGHT);
    let (files, arriving) = tokio::sync::mpsc::channel(FILES_IN_FLIGHT);
    let (built, fed, uploaded) = tokio::join!(
        builder.build_into(feed, files),
        feeding(sender),
        upload_files(&stores.site, &folder, previous, arriving, force, turns),
    );
    let staged = uploaded.map(|uploaded| {
        built
            .map(|cost| Staged { uploaded, cost })
            .map_err(IndexFailure::from)
    });
    (fed, staged)
}

/// Makes a staged year public (its entry file); the year as built, and the
/// files this build uploaded. Another builder may have folded a shard
/// since the survey; the digest kept is the survey's, so the next build
/// sees the difference and builds the year again.
async fn commit_staged(
    site: &Store,
    staged: Staged,
    content: &PartContent,
) -> Result<(PartManifest, usize), IndexFailure> {
    let uploaded = staged.uploaded.uploaded;
    let (files, bytes) = commit_part(site, staged.uploaded).await?;
    let next = PartManifest {
        digest: content.digest.clone(),
        documents: content.documents,
        files,
        bytes,
    };
    Ok((next, uploaded))
}

/// Sends the documents of `part` to `sender`, shard by shard in order;
/// the documents sent. Finishes the feed only when every shard was read,
/// so that a failed read builds nothing.
async fn feed_part(
    archive: &Store,
    part: &str,
    sender: gazette_search::FeedSender,
    turns: &StoreTurns,
) -> Result<usize, IndexFailure> {
    let mut shards = std::pin::pin!(read_shards(archive, BTreeMap::new(), turns));
    let mut documents = 0;
    while let Some(shard) = shards.try_next().await? {
        let of_part = of_part(shard, part);
        if of_part.is_empty() {
            continue;
        }
        documents += of_part.len();
        if sender.send(of_part).await.is_err() {
            // The builder stopped; its own error says why.
            return Ok(documents);
        }
    }
    // As above: a builder gone by now has failed and says so.
    let _ = sender.finish().await;
    Ok(documents)
}

/// Every shard, in order and [`SHARDS_IN_FLIGHT`] ahead, each read from
/// the archive and, where `changes` has some for it, folded and written
/// back first.
fn read_shards<'a>(
    archive: &'a Store,
    mut changes: BTreeMap<u16, ShardChanges>,
    turns: &'a StoreTurns,
) -> impl futures_util::Stream<Item = Result<SearchShard, IndexFailure>> + 'a {
    stream::iter(0..SEARCH_SHARDS)
        .map(move |number| {
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
        .buffered(SHARDS_IN_FLIGHT)
}

/// The documents of `shard` that fall in `part`.
fn of_part(shard: SearchShard, part: &str) -> Vec<SearchDocument> {
    shard
        .into_values()
        .filter(|document| part_of(document) == part)
        .collect()
}

/// The year a build is all but sure to rebuild: the newest a pending
/// change puts an article in. It is fed to its builder while the shards
/// are read for the survey, so that a steady stream of news reads the
/// shards once per build, not once more for its year.
fn likely_part(journals: &[SearchJournal]) -> Option<String> {
    let parts: BTreeSet<String> = journals
        .iter()
        .flat_map(|journal| journal.values().flatten())
        .map(|document| part_of(document).to_owned())
        .collect();
    newest_first(&parts).into_iter().next()
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

#[cfg(test)]
#[path = "search_build_tests.rs"]
mod tests;
