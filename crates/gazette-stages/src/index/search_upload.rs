//! Publishing a search build: each index file uploaded as the builder hands it over, the entry file only once the build is whole, then the manifest.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt, TryStreamExt};
use gazette_search::{ENTRY_FILE, SEARCH_FOLDER, SearchFile};
use gazette_site::SEARCH_MANIFEST_KEY;
use gazette_store::{Precondition, PutObject, Store};
use sha2::Digest as _;

use super::super::flush::json_object;
use super::super::{IndexFailure, StoreTurns};
use super::{Force, Manifest, SearchReport};
use crate::Stores;

/// Index files being uploaded at once; as many more may wait for them in
/// the channel from the builder. The indexer holds these, not the index,
/// so its memory for a build does not grow with the site.
pub(super) const FILES_IN_FLIGHT: usize = 8;

/// The index's files as they arrived: their digests, what was uploaded,
/// and the entry file, held back until the build is known to be whole.
#[derive(Default)]
pub(super) struct Uploaded {
    pub(super) files: BTreeMap<String, String>,
    pub(super) entry: Option<PutObject>,
    pub(super) report: SearchReport,
}

impl Uploaded {
    /// Records `file`; the object to upload now, if it changed and is not
    /// the entry file.
    fn take(&mut self, file: SearchFile, previous: &Manifest, force: Force) -> Option<PutObject> {
        let digest = hex::encode(sha2::Sha256::digest(&file.bytes));
        self.report.files += 1;
        self.report.bytes += file.bytes.len() as u64;
        // A rebuild writes every file: the public site may be new or wiped.
        let unchanged = force == Force::No && previous.files.get(&file.path) == Some(&digest);
        self.files.insert(file.path.clone(), digest);
        if unchanged {
            return None;
        }
        self.report.uploaded += 1;
        let is_entry = file.path == ENTRY_FILE;
        let object = search_object(file);
        match is_entry {
            true => {
                self.entry = Some(object);
                None
            }
            false => Some(object),
        }
    }
}

/// Uploads each file that changed as it arrives, [`FILES_IN_FLIGHT`] at
/// a time, all but the entry file. Files uploaded by a build that then
/// fails are named by their content's hash (or are the scripts, which the
/// previous entry file works with too), so nothing a reader loads changes
/// until [`commit`] writes the entry file.
pub(super) async fn upload_files(
    site: &Store,
    previous: &Manifest,
    mut arriving: tokio::sync::mpsc::Receiver<SearchFile>,
    force: Force,
    turns: &StoreTurns,
) -> Result<Uploaded, IndexFailure> {
    let mut uploaded = Uploaded::default();
    let mut uploading = futures_util::stream::FuturesUnordered::new();
    let mut open = true;
    while open || !uploading.is_empty() {
        tokio::select! {
            Some(done) = uploading.next(), if !uploading.is_empty() => done??,
            file = arriving.recv(), if open && uploading.len() < FILES_IN_FLIGHT => match file {
                Some(file) => {
                    if let Some(object) = uploaded.take(file, previous, force) {
                        let site = site.clone();
                        uploading.push(turns.background(async move { site.put(object).await }));
                    }
                }
                None => open = false,
            },
        }
    }
    Ok(uploaded)
}

/// Makes a whole build public: the entry file last, then retires what the
/// index no longer names and records the new manifest.
pub(super) async fn commit(
    stores: &Stores,
    previous: Manifest,
    uploaded: Uploaded,
    built_from: u64,
) -> Result<SearchReport, IndexFailure> {
    if !uploaded.files.contains_key(ENTRY_FILE) {
        return Err(
            gazette_search::SearchError::Output(format!("the index has no {ENTRY_FILE}")).into(),
        );
    }
    if let Some(entry) = uploaded.entry {
        stores.site.put(entry).await?;
    }
    let mut next = Manifest {
        built_from,
        files: uploaded.files,
        retired: BTreeSet::new(),
    };
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
    Ok(uploaded.report)
}

/// Takes the public index of a site whose search was switched off out of
/// the site: every file under [`SEARCH_FOLDER`], the entry file first so
/// that no reader starts a query on a half-deleted index, then the
/// manifest, so that a builder switched on again builds afresh rather than
/// taking the deleted files for current. Idempotent: a start that dies
/// midway leaves the rest to the next.
pub(crate) async fn remove_index(stores: &Stores) -> Result<(), IndexFailure> {
    let entry = format!("{SEARCH_FOLDER}{ENTRY_FILE}");
    let (entries, files): (Vec<String>, Vec<String>) = stores
        .site
        .list(SEARCH_FOLDER)
        .await?
        .into_iter()
        .partition(|key| *key == entry);
    for key in entries {
        stores.site.delete(&key).await?;
    }
    let site = &stores.site;
    futures_util::stream::iter(files)
        .map(|key| async move { site.delete(&key).await })
        .buffer_unordered(FILES_IN_FLIGHT)
        .try_collect::<Vec<()>>()
        .await?;
    stores.archive.delete(SEARCH_MANIFEST_KEY).await?;
    Ok(())
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
