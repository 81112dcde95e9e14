//! The articles' index records, kept in the registry: read for a batch in one query, written for a flush in one transaction, and copied once from the archive where an older version kept them.
//!
//! A record says where an article sits in its category and tags and the
//! newest revision the index saw. As archive objects they cost a GET and a
//! PUT per article on the way to the front page, more store work than
//! publishing the article; in the registry they cost one query and one
//! transaction per flush. The write order is unchanged: records after the
//! pages they stand for, before the tag and site state that commit them.

use std::collections::{BTreeSet, HashMap};

use futures_util::{StreamExt, TryStreamExt, stream};
use gazette_site::{ArticleRecord, LEGACY_RECORD_PREFIX};
use gazette_store::Store;
use gazette_subscribers::Registry;

use super::IndexFailure;
use super::flush::PARALLEL_REQUESTS;

/// The records of `ids`; an article the index never saw has the default record.
pub(crate) async fn load(
    registry: &Registry,
    ids: BTreeSet<String>,
) -> Result<HashMap<String, ArticleRecord>, IndexFailure> {
    let ids: Vec<String> = ids.into_iter().collect();
    let mut kept = registry.index_records(&ids).await?;
    ids.into_iter()
        .map(|id| {
            let record = match kept.remove(&id) {
                None => ArticleRecord::default(),
                Some(json) => {
                    serde_json::from_str(&json).map_err(|error| IndexFailure::CorruptState {
                        key: format!("the registry's index record of {id}"),
                        error,
                    })?
                }
            };
            Ok((id, record))
        })
        .collect()
}

/// Writes the records of `ids` as `records` holds them.
pub(crate) async fn save<'a>(
    registry: &Registry,
    records: &HashMap<String, ArticleRecord>,
    ids: impl IntoIterator<Item = &'a String>,
) -> Result<(), IndexFailure> {
    let rows = ids
        .into_iter()
        .filter_map(|id| records.get(id).map(|record| (id, record)))
        .map(|(id, record)| {
            let json = serde_json::to_string(record).map_err(IndexFailure::Encode)?;
            Ok((id.clone(), json))
        })
        .collect::<Result<Vec<_>, IndexFailure>>()?;
    registry.put_index_records(&rows).await?;
    Ok(())
}

/// Copies the records an older version kept in the archive into the
/// registry; how many it found. A flush calls it when the committed site
/// state lacks the mark every flush of this version sets, before it reads
/// its batch's records, so the first flush after an upgrade finds every
/// record.
///
/// A copy never replaces a record already in the registry: those were
/// written by a flush of this version and are newer. A copy cut short is
/// finished by the next flush, since the mark is only set by a flush that
/// got past it. An older replica that flushes after a newer one did would
/// write records the newer one no longer reads, so an upgrade stops the
/// older indexers before it starts the new ones (README, "Upgrading"
/// under the site).
pub(crate) async fn import_legacy(
    archive: &Store,
    registry: &Registry,
) -> Result<usize, IndexFailure> {
    let found: Vec<(String, String)> = archive
        .list(LEGACY_RECORD_PREFIX)
        .await?
        .into_iter()
        .filter_map(|key| {
            let id = key
                .strip_prefix(LEGACY_RECORD_PREFIX)?
                .strip_suffix(".json")?
                .to_owned();
            Some((id, key))
        })
        .collect();
    // A site of many articles has as many objects: read them as a flush
    // reads its state, several at once.
    let rows: Vec<(String, String)> = stream::iter(found)
        .map(|(id, key)| async move {
            let Some(body) = archive.get(&key).await? else {
                return Ok(None);
            };
            // Parsed before it is copied: a record that does not parse
            // stops this flush naming its archive key, not a later flush
            // naming only the article.
            let record: ArticleRecord = serde_json::from_slice(&body)
                .map_err(|error| IndexFailure::CorruptState { key, error })?;
            let json = serde_json::to_string(&record).map_err(IndexFailure::Encode)?;
            Ok::<_, IndexFailure>(Some((id, json)))
        })
        .buffer_unordered(PARALLEL_REQUESTS)
        .try_filter_map(|row| async move { Ok(row) })
        .try_collect()
        .await?;
    registry.import_index_records(&rows).await?;
    if !rows.is_empty() {
        tracing::info!(
            records = rows.len(),
            "copied the index records an older version kept in the archive into the registry"
        );
    }
    Ok(rows.len())
}
