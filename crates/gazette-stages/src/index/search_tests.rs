//! Tests of the search journal: what a flush journals, and folding journals into the shards.

use std::collections::{BTreeSet, HashMap};

use gazette_site::Placement;

use gazette_search::{ENTRY_FILE, SEARCH_FOLDER, SearchFile};
use gazette_store::Precondition;
use sha2::Digest as _;

use super::build::Manifest;
use super::upload::{Uploaded, commit_part, upload_files};
use super::*;
use crate::Stores;
use crate::index::StoreTurns;
use crate::index::flush::get_json;
use crate::index::flush::put_all;
use gazette_site::{SEARCH_MANIFEST_KEY, SITE_STATE_KEY, SiteState};
use gazette_store::Store;

pub(super) fn document(title: &str) -> SearchDocument {
    SearchDocument {
        url: format!("/tin-tuc/{title}.html"),
        title: title.to_owned(),
        date: "23/06/2022 | 15:04".to_owned(),
        category: "Tin tức".to_owned(),
        lead: "(NTL) Đường".to_owned(),
        body_html: format!("<p>{title}</p>"),
    }
}

fn listed(revision: u64) -> ArticleRecord {
    ArticleRecord {
        revision,
        placement: Some(Placement {
            seq: 1,
            site_seq: 1,
        }),
        ..ArticleRecord::default()
    }
}

fn change(id: &str, revision: u64, title: Option<&str>) -> SearchChange {
    SearchChange {
        article_id: id.to_owned(),
        revision,
        document: title.map(document),
    }
}

/// Applies `journal` to `shards` as the builder does, one shard at a
/// time; the numbers of the shards it changed.
fn fold(shards: &mut BTreeMap<u16, SearchShard>, journal: SearchJournal) -> BTreeSet<u16> {
    let mut changed = BTreeSet::new();
    for (number, changes) in by_shard(vec![journal]) {
        if fold_shard(shards.entry(number).or_default(), changes) {
            changed.insert(number);
        }
    }
    changed
}

#[test]
fn a_journal_keeps_only_what_the_records_say_is_current() {
    let records: HashMap<String, ArticleRecord> = [
        ("listed".to_owned(), listed(2)),
        (
            "withdrawn".to_owned(),
            ArticleRecord {
                revision: 3,
                ..ArticleRecord::default()
            },
        ),
    ]
    .into();
    let journal = journal_of(
        vec![
            // A stale redelivery of revision 1 after 2 was listed.
            change("listed", 1, Some("cu")),
            change("listed", 2, Some("moi")),
            // A withdrawal the records have since passed over.
            change("listed", 2, None),
            change("listed", 2, Some("moi-nhat")),
            change("withdrawn", 3, Some("rut")),
            change("withdrawn", 3, None),
            change("unknown", 1, Some("la")),
        ],
        &records,
    );
    let expected: SearchJournal = [
        ("listed".to_owned(), Some(document("moi-nhat"))),
        ("withdrawn".to_owned(), None),
    ]
    .into();
    assert_eq!(journal, expected);
}

#[test]
fn folding_is_idempotent_and_a_journal_folded_again_changes_nothing() {
    let first: SearchJournal = [
        ("a".to_owned(), Some(document("a1"))),
        ("b".to_owned(), Some(document("b1"))),
    ]
    .into();
    let second: SearchJournal = [
        ("a".to_owned(), Some(document("a2"))),
        ("b".to_owned(), None),
    ]
    .into();
    let mut shards = BTreeMap::new();
    let changed = fold(&mut shards, first.clone());
    assert_eq!(changed.len(), shards.len());
    fold(&mut shards, second.clone());
    let folded = shards.clone();
    assert_eq!(folded[&search_shard_of("a")]["a"], document("a2"));
    assert!(!folded.values().any(|shard| shard.contains_key("b")));

    // A builder that recorded an older count folds both again: same shards.
    let mut again = folded.clone();
    fold(&mut again, first);
    fold(&mut again, second.clone());
    assert_eq!(again, folded);
    assert!(fold(&mut again, second).is_empty());
}

#[test]
fn a_journal_says_removed_apart_from_missing() {
    let journal: SearchJournal = [("gone".to_owned(), None)].into();
    let text = serde_json::to_string(&journal).unwrap_or_default();
    let read: Option<SearchJournal> = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(read, Some(journal));
    // An empty journal (a rebuild's) is there, and not the same as none.
    let empty: Option<SearchJournal> = serde_json::from_str("{}").unwrap_or_default();
    assert_eq!(empty, Some(SearchJournal::new()));
}

/// Archive and site as folders under `dir`, the archive holding a site
/// state whose one committed journal lists `count` articles.
pub(super) async fn seeded_stores(dir: &std::path::Path, count: usize) -> (Stores, SearchJournal) {
    let open = |name: &str| format!("file://{}/{name}", dir.display());
    let stores = Stores {
        site: Store::open(&open("site"))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        archive: Store::open(&open("archive"))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    };
    let journal: SearchJournal = (0..count)
        .map(|n| (format!("bai-{n}"), Some(document(&format!("bai-{n}")))))
        .collect();
    let state = SiteState {
        search_seq: 1,
        ..SiteState::default()
    };
    let objects = vec![
        json_object(SITE_STATE_KEY.to_owned(), &state).unwrap_or_else(|e| panic!("{e}")),
        journal_object(1, &journal).unwrap_or_else(|e| panic!("{e}")),
    ];
    put_all(&stores.archive, objects)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (stores, journal)
}

/// The part every seeded document falls in (their date line's year).
const PART: &str = "2022";

/// [`build_once`] with the builder on a thread of this process.
pub(super) async fn build_in_process(
    stores: &Stores,
    force: Force,
) -> Result<Option<SearchReport>, IndexFailure> {
    build_once(
        stores,
        &gazette_search::Builder::InProcess,
        force,
        &StoreTurns::default(),
    )
    .await
}

fn entry_path(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("site")
        .join(SEARCH_FOLDER)
        .join(PART)
        .join(ENTRY_FILE)
}

/// Makes the site's `fragment/` folder a file, so no fragment can be
/// written until it is removed; the file's path.
fn block_fragments(dir: &std::path::Path) -> std::path::PathBuf {
    let blocked = dir
        .join("site")
        .join(SEARCH_FOLDER)
        .join(PART)
        .join("fragment");
    std::fs::create_dir_all(blocked.parent().unwrap_or(dir)).unwrap_or_default();
    std::fs::write(&blocked, b"").unwrap_or_default();
    blocked
}

#[tokio::test]
async fn a_store_failing_mid_upload_publishes_nothing_and_the_next_build_everything() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (stores, _) = seeded_stores(dir.path(), 12).await;
    // The fragments cannot be written (their folder is a file); the
    // chunks before them can.
    let fragments = block_fragments(dir.path());
    let builder = gazette_search::Builder::InProcess;

    let failed = build_once(&stores, &builder, Force::No, &StoreTurns::default()).await;
    assert!(matches!(failed, Err(IndexFailure::Store(_))), "{failed:?}");
    assert!(
        !entry_path(dir.path()).exists(),
        "no entry file for a build cut short"
    );
    assert_eq!(built_from(&stores.archive).await.ok(), Some(0));

    std::fs::remove_file(&fragments).unwrap_or_default();
    let report = build_once(&stores, &builder, Force::No, &StoreTurns::default()).await;
    let report = report.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.map(|r| r.documents), Some(12));
    assert!(entry_path(dir.path()).exists());
    let manifest: Manifest = get_json(&stores.archive, SEARCH_MANIFEST_KEY)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(manifest.built_from, 1);
    let site = dir.path().join("site").join(SEARCH_FOLDER).join(PART);
    let part = manifest
        .parts
        .unwrap_or_default()
        .remove(PART)
        .unwrap_or_default();
    for path in part.files.keys() {
        assert!(site.join(path).is_file(), "{path} is named but not there");
    }
    assert_eq!(
        part.files
            .keys()
            .filter(|p| p.starts_with("fragment/"))
            .count(),
        12
    );
    // Current now: nothing to build.
    let again = build_once(&stores, &builder, Force::No, &StoreTurns::default()).await;
    assert!(matches!(again, Ok(None)), "{again:?}");

    // A withdrawal journaled next is folded into its shard on the way.
    let withdrawal: SearchJournal = [("bai-3".to_owned(), None)].into();
    let state = SiteState {
        search_seq: 2,
        ..SiteState::default()
    };
    let objects = vec![
        journal_object(2, &withdrawal).unwrap_or_else(|e| panic!("{e}")),
        json_object(SITE_STATE_KEY.to_owned(), &state).unwrap_or_else(|e| panic!("{e}")),
    ];
    put_all(&stores.archive, objects)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = build_once(&stores, &builder, Force::No, &StoreTurns::default()).await;
    let report = report.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.map(|r| r.documents), Some(11));
    let shard: SearchShard = get_json(&stores.archive, &search_shard_key(search_shard_of("bai-3")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!shard.contains_key("bai-3"));
    let mut stored = 0;
    for number in 0..SEARCH_SHARDS {
        let shard: SearchShard = get_json(&stores.archive, &search_shard_key(number))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        stored += shard.len();
    }
    assert_eq!(stored, 11);
}

#[tokio::test]
async fn a_shard_unreadable_mid_feed_builds_and_uploads_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (stores, journal) = seeded_stores(dir.path(), 5).await;
    let touched: BTreeSet<u16> = journal.keys().map(|id| search_shard_of(id)).collect();
    // The last shard the journal leaves alone: read from the store after
    // the others were already fed to the builder.
    let Some(untouched) = (0..SEARCH_SHARDS).rev().find(|n| !touched.contains(n)) else {
        panic!("5 articles touched every shard");
    };
    let corrupt = PutObject {
        key: search_shard_key(untouched),
        body: bytes::Bytes::from_static(b"{not json"),
        content_type: "application/json",
        cache_control: "no-cache",
        metadata: Default::default(),
        precondition: Precondition::None,
    };
    put_all(&stores.archive, vec![corrupt])
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let failed = build_in_process(&stores, Force::No).await;
    assert!(
        matches!(&failed, Err(IndexFailure::CorruptState { key, .. }) if *key == search_shard_key(untouched)),
        "{failed:?}"
    );
    let site = dir.path().join("site").join(SEARCH_FOLDER);
    assert!(
        !site.exists(),
        "a file of an index built from part of the site"
    );
    assert_eq!(built_from(&stores.archive).await.ok(), Some(0));
}

/// The entry file before the files it names: the order a builder may
/// send them in, though Pagefind's own sends it last.
const IN_ORDER: [&str; 3] = [
    ENTRY_FILE,
    "index/vi_1.pf_index",
    "fragment/vi_2.pf_fragment",
];

/// [`upload_files`] of files named `paths` (each file's bytes its path),
/// sent in that order until the uploader stops taking them.
async fn upload(
    stores: &Stores,
    previous: &BTreeMap<String, String>,
    paths: &[&'static str],
) -> Result<Uploaded, IndexFailure> {
    let (sender, arriving) = tokio::sync::mpsc::channel(1);
    let paths = paths.to_vec();
    let sending = async move {
        for path in paths {
            let file = SearchFile {
                path: path.to_owned(),
                bytes: path.as_bytes().to_vec(),
                immutable: path != ENTRY_FILE,
            };
            if sender.send(file).await.is_err() {
                return;
            }
        }
    };
    let turns = StoreTurns::default();
    let folder = format!("{SEARCH_FOLDER}{PART}/");
    let (uploaded, ()) = tokio::join!(
        upload_files(&stores.site, &folder, previous, arriving, Force::No, &turns),
        sending
    );
    uploaded
}

#[tokio::test]
async fn the_entry_file_waits_for_the_whole_build_whatever_order_files_come_in() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (stores, _) = seeded_stores(dir.path(), 0).await;
    // The entry file first, then one that cannot be written.
    let blocked = block_fragments(dir.path());
    let uploaded = upload(&stores, &BTreeMap::new(), &IN_ORDER).await;
    assert!(matches!(uploaded, Err(IndexFailure::Store(_))));
    assert!(!entry_path(dir.path()).exists());

    // Once all arrived, the entry is held for the commit; what the
    // previous build has byte for byte is not uploaded again.
    std::fs::remove_file(&blocked).unwrap_or_default();
    let previous: BTreeMap<String, String> = [(
        "index/vi_1.pf_index".to_owned(),
        hex::encode(sha2::Sha256::digest(b"index/vi_1.pf_index")),
    )]
    .into();
    let uploaded = upload(&stores, &previous, &IN_ORDER).await;
    let uploaded = uploaded.unwrap_or_else(|e| panic!("{e}"));
    assert!(!entry_path(dir.path()).exists());
    assert!(uploaded.entry.is_some());
    assert_eq!((uploaded.files.len(), uploaded.uploaded), (3, 2));
    let (files, _) = commit_part(&stores.site, uploaded)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(entry_path(dir.path()).exists());
    assert_eq!(files.len(), 3);

    // A build that sent no entry file commits nothing.
    let uploaded = upload(&stores, &BTreeMap::new(), &["fragment/vi_3.pf_fragment"]).await;
    let uploaded = uploaded.unwrap_or_else(|e| panic!("{e}"));
    assert!(commit_part(&stores.site, uploaded).await.is_err());
}

/// Switched off: the public index and its manifest go, so nothing links to
/// an index no one updates, and a builder switched on again builds anew
/// rather than taking the deleted files for current.
#[tokio::test]
async fn a_removed_index_leaves_no_file_and_is_built_again_when_search_returns() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (stores, _) = seeded_stores(dir.path(), 5).await;
    let builder = gazette_search::Builder::InProcess;
    let built = build_once(&stores, &builder, Force::No, &StoreTurns::default()).await;
    assert!(built.is_ok_and(|report| report.is_some()));
    let listed = stores.site.list(SEARCH_FOLDER).await;
    assert!(listed.is_ok_and(|files| files.iter().any(|f| f.ends_with(ENTRY_FILE))));

    for _ in 0..2 {
        remove_index(&stores)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let listed = stores.site.list(SEARCH_FOLDER).await;
        assert_eq!(listed.ok(), Some(Vec::new()));
        assert_eq!(built_from(&stores.archive).await.ok(), Some(0));
    }

    let again = build_once(&stores, &builder, Force::No, &StoreTurns::default()).await;
    assert_eq!(again.ok().flatten().map(|r| r.documents), Some(5));
    assert!(entry_path(dir.path()).exists());
}
