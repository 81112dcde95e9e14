//! Publishing one part of the search index: each file uploaded as the builder hands it over, the entry file only once the part is whole; and taking the whole index out of a site.

use std::collections::BTreeMap;

use futures_util::{StreamExt, TryStreamExt};
use gazette_search::{ENTRY_FILE, PARTS_FILE, SEARCH_FOLDER, SearchFile};
use gazette_site::SEARCH_MANIFEST_KEY;
use gazette_store::{Precondition, PutObject, Store};
use sha2::Digest as _;

use super::super::{IndexFailure, StoreTurns};
use super::Force;
use crate::Stores;

/// Index files being uploaded at once; as many more may wait for them in
/// the channel from the builder. The indexer holds these, not the index,
/// so its memory for a build does not grow with the site.
pub(super) const FILES_IN_FLIGHT: usize = 8;

/// A part's files as they arrived: their digests, what was uploaded, and
/// the entry file, held back until the part is known to be whole.
#[derive(Default)]
pub(super) struct Uploaded {
    pub(super) files: BTreeMap<String, String>,
    pub(super) entry: Option<PutObject>,
    pub(super) bytes: u64,
    pub(super) uploaded: usize,
}

impl Uploaded {
    /// Records `file`, to go into `folder`; the object to upload now, if
    /// it is not in `previous` byte for byte and is not the entry file.
    fn take(
        &mut self,
        file: SearchFile,
        folder: &str,
        previous: &BTreeMap<String, String>,
        force: Force,
    ) -> Option<PutObject> {
        let digest = hex::encode(sha2::Sha256::digest(&file.bytes));
        self.bytes += file.bytes.len() as u64;
        // A rebuild writes every file: the public site may be new or wiped.
        let unchanged = force == Force::No && previous.get(&file.path) == Some(&digest);
        self.files.insert(file.path.clone(), digest);
        if unchanged {
            return None;
        }
        self.uploaded += 1;
        let is_entry = file.path == ENTRY_FILE;
        let object = search_object(file, folder);
        match is_entry {
            true => {
                self.entry = Some(object);
                None
            }
            false => Some(object),
        }
    }
}

/// Uploads each file of a part that changed into `folder` as it arrives,
/// [`FILES_IN_FLIGHT`] at a time, all but the entry file. Files uploaded
/// by a build that then fails are named by their content's hash (or are
/// the scripts, which the previous entry file works with too), so nothing
/// a reader loads changes until [`commit_part`] writes the entry file.
pub(super) async fn upload_files(
    site: &Store,
    folder: &str,
    previous: &BTreeMap<String, String>,
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
                    if let Some(object) = uploaded.take(file, folder, previous, force) {
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

/// Makes a whole part public by writing its entry file; the part's files
/// with their digests, and their bytes.
pub(super) async fn commit_part(
    site: &Store,
    uploaded: Uploaded,
) -> Result<(BTreeMap<String, String>, u64), IndexFailure> {
    if !uploaded.files.contains_key(ENTRY_FILE) {
        return Err(
            gazette_search::SearchError::Output(format!("the index has no {ENTRY_FILE}")).into(),
        );
    }
    if let Some(entry) = uploaded.entry {
        site.put(entry).await?;
    }
    Ok((uploaded.files, uploaded.bytes))
}

/// Takes the public index of a site whose search was switched off out of
/// the site: every file under [`SEARCH_FOLDER`], the parts list and the
/// entry files first so that no reader starts a query on a half-deleted
/// index, then the manifest, so that a builder switched on again builds afresh rather than
/// taking the deleted files for current. Idempotent: a start that dies
/// midway leaves the rest to the next.
pub(crate) async fn remove_index(stores: &Stores) -> Result<(), IndexFailure> {
    let parts = format!("{SEARCH_FOLDER}{PARTS_FILE}");
    let (entries, files): (Vec<String>, Vec<String>) = stores
        .site
        .list(SEARCH_FOLDER)
        .await?
        .into_iter()
        .partition(|key| *key == parts || key.ends_with(ENTRY_FILE));
    // The parts list before the entry files it names.
    let mut entries = entries;
    entries.sort_by_key(|key| *key != parts);
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

fn search_object(file: SearchFile, folder: &str) -> PutObject {
    let content_type = match file.path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    PutObject {
        key: format!("{folder}{}", file.path),
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
