//! Tests of building the index in parts: only the years a change touches are built again, the parts list names whole parts, and a file goes one build after no index names it.

use gazette_search::{ENTRY_FILE, PARTS_FILE, SEARCH_FOLDER};
use gazette_store::{Precondition, PutObject};

use super::super::parts::PartsList;
use super::super::tests::{build_in_process, document, seeded_stores};
use super::super::{SearchJournal, journal_object};
use super::*;
use crate::index::flush::put_all;

fn dated(id: &str, date: &str, title: &str) -> (String, Option<SearchDocument>) {
    let document = SearchDocument {
        date: date.to_owned(),
        ..document(title)
    };
    (id.to_owned(), Some(document))
}

/// Commits `journal` as the flush counting `search_seq` would.
async fn commit(stores: &Stores, search_seq: u64, journal: SearchJournal) {
    let state = SiteState {
        search_seq,
        ..SiteState::default()
    };
    let objects = vec![
        journal_object(search_seq, &journal).unwrap_or_else(|e| panic!("{e}")),
        json_object(SITE_STATE_KEY.to_owned(), &state).unwrap_or_else(|e| panic!("{e}")),
    ];
    put_all(&stores.archive, objects)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

async fn build(stores: &Stores, force: Force) -> SearchReport {
    let built = build_in_process(stores, force).await;
    match built {
        Ok(Some(report)) => report,
        other => panic!("a build was due: {other:?}"),
    }
}

async fn manifest(stores: &Stores) -> Manifest {
    get_json(&stores.archive, SEARCH_MANIFEST_KEY)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn parts_list(stores: &Stores) -> Vec<String> {
    let list: PartsList = get_json(&stores.site, &format!("{SEARCH_FOLDER}{PARTS_FILE}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    list.parts
}

fn on_site(dir: &std::path::Path, path: &str) -> bool {
    dir.join("site").join(SEARCH_FOLDER).join(path).is_file()
}

/// Every file the manifest names is on the site.
fn all_named_there(dir: &std::path::Path, manifest: &Manifest) {
    for (part, built) in manifest.parts.iter().flatten() {
        assert!(on_site(dir, &format!("{part}/{ENTRY_FILE}")), "{part}");
        for path in built.files.keys() {
            assert!(on_site(dir, &format!("{part}/{path}")), "{part}/{path}");
        }
    }
}

#[tokio::test]
async fn only_the_years_a_change_touches_are_built_again() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (stores, _) = seeded_stores(dir.path(), 0).await;
    let journal = [
        dated("a", "31/12/2021 | 23:59", "Hà Nội cũ"),
        dated("b", "01/01/2022 | 00:00", "Đông Anh"),
        dated("c", "23/06/2022 | 15:04", "Giao thông"),
    ];
    commit(&stores, 2, journal.into()).await;
    let first = build(&stores, Force::No).await;
    assert_eq!((first.documents, first.parts, first.parts_built), (3, 2, 2));
    assert_eq!(parts_list(&stores).await, ["2022", "2021"]);
    let before = manifest(&stores).await;
    all_named_there(dir.path(), &before);

    // A correction of a 2022 article leaves 2021 as it was built.
    commit(
        &stores,
        3,
        [dated("b", "01/01/2022 | 00:00", "Đông Anh, đã sửa")].into(),
    )
    .await;
    let second = build(&stores, Force::No).await;
    assert_eq!((second.parts, second.parts_built), (2, 1));
    let after = manifest(&stores).await;
    let (old, new) = (
        before.parts.unwrap_or_default(),
        after.parts.clone().unwrap_or_default(),
    );
    assert_eq!(old.get("2021"), new.get("2021"));
    assert_ne!(
        old.get("2022").map(|p| &p.digest),
        new.get("2022").map(|p| &p.digest)
    );
    all_named_there(dir.path(), &after);

    // 2021's one article withdrawn: the year leaves the list at once, and
    // its files stay for the build after, for a reader who loaded them.
    commit(&stores, 4, [("a".to_owned(), None)].into()).await;
    let third = build(&stores, Force::No).await;
    assert_eq!((third.documents, third.parts, third.parts_built), (2, 1, 0));
    assert_eq!(parts_list(&stores).await, ["2022"]);
    let entry_2021 = format!("2021/{ENTRY_FILE}");
    assert!(on_site(dir.path(), &entry_2021));
    assert!(manifest(&stores).await.retired.contains(&entry_2021));

    // An article moved to another year is built in the new one and taken
    // out of the old one; 2021's files go now.
    commit(
        &stores,
        5,
        [dated("c", "01/01/2023 | 07:00", "Giao thông")].into(),
    )
    .await;
    let fourth = build(&stores, Force::No).await;
    assert_eq!((fourth.parts, fourth.parts_built), (2, 2));
    assert_eq!(parts_list(&stores).await, ["2023", "2022"]);
    assert!(!on_site(dir.path(), &entry_2021));
    let last = manifest(&stores).await;
    assert_eq!(
        last.parts
            .iter()
            .flatten()
            .map(|(p, b)| (p.as_str(), b.documents))
            .collect::<Vec<_>>(),
        [("2022", 1), ("2023", 1)]
    );
    all_named_there(dir.path(), &last);
    assert!(last.retired.iter().all(|path| !last.names(path)));
}

#[tokio::test]
async fn a_part_built_by_another_format_is_built_again_and_a_rebuild_builds_all() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (stores, _) = seeded_stores(dir.path(), 0).await;
    let journal = [
        dated("a", "01/03/2019 | 09:00", "Hà Nội"),
        dated("b", "01/03/2020 | 09:00", "Đông Anh"),
    ];
    commit(&stores, 2, journal.into()).await;
    assert_eq!(build(&stores, Force::No).await.parts_built, 2);

    // Nothing changed: nothing is built, but the count moves on.
    commit(&stores, 3, SearchJournal::new()).await;
    let idle = build(&stores, Force::No).await;
    assert_eq!((idle.parts, idle.parts_built, idle.uploaded), (2, 0, 0));
    assert_eq!(built_from(&stores.archive).await.ok(), Some(3));

    // 2019 as an older Gazette or Pagefind built it.
    let mut older = manifest(&stores).await;
    if let Some(part) = older.parts.as_mut().and_then(|parts| parts.get_mut("2019")) {
        part.digest = "pagefind 1.0.0".to_owned();
    }
    put_all(
        &stores.archive,
        vec![json_object(SEARCH_MANIFEST_KEY.to_owned(), &older).unwrap_or_else(|e| panic!("{e}"))],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    commit(&stores, 4, SearchJournal::new()).await;
    assert_eq!(build(&stores, Force::No).await.parts_built, 1);

    let rebuilt = build(&stores, Force::Yes).await;
    assert_eq!((rebuilt.parts, rebuilt.parts_built), (2, 2));
    assert!(
        rebuilt.uploaded >= rebuilt.files,
        "a rebuild writes every file"
    );
}

fn site_file(path: &str) -> PutObject {
    PutObject {
        key: format!("{SEARCH_FOLDER}{path}"),
        body: bytes::Bytes::from_static(b"{}"),
        content_type: "application/json",
        cache_control: "no-cache",
        metadata: Default::default(),
        precondition: Precondition::None,
    }
}

#[tokio::test]
async fn the_one_index_of_before_parts_goes_one_build_after_the_parts_are_up() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Journal 1 holds three articles of 2022, not yet built.
    let (stores, _) = seeded_stores(dir.path(), 3).await;
    let legacy = [
        "pagefind-entry.json",
        "pagefind.js",
        "fragment/vi_0a1b.pf_fragment",
    ];
    put_all(&stores.site, legacy.iter().map(|p| site_file(p)).collect())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let manifest_before_parts = serde_json::json!({
        "built_from": 0,
        "files": legacy.iter().map(|p| (p.to_string(), "00")).collect::<BTreeMap<_, _>>(),
        "retired": [],
    });
    put_all(
        &stores.archive,
        vec![
            json_object(SEARCH_MANIFEST_KEY.to_owned(), &manifest_before_parts)
                .unwrap_or_else(|e| panic!("{e}")),
        ],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    let first = build(&stores, Force::No).await;
    assert_eq!((first.documents, first.parts_built), (3, 1));
    assert_eq!(parts_list(&stores).await, ["2022"]);
    // A search page from before still loads the old index, for one build.
    assert!(legacy.iter().all(|path| on_site(dir.path(), path)));
    let manifest_now = manifest(&stores).await;
    assert!(manifest_now.files.is_empty());

    commit(&stores, 2, [dated("d", "02/02/2022 | 10:00", "Mới")].into()).await;
    build(&stores, Force::No).await;
    assert!(legacy.iter().all(|path| !on_site(dir.path(), path)));
    all_named_there(dir.path(), &manifest(&stores).await);
}

#[tokio::test]
async fn a_site_with_no_article_lists_no_part() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (stores, _) = seeded_stores(dir.path(), 0).await;
    let report = build(&stores, Force::No).await;
    assert_eq!((report.documents, report.parts, report.files), (0, 0, 0));
    assert_eq!(parts_list(&stores).await, Vec::<String>::new());
    assert!(on_site(dir.path(), PARTS_FILE));
    // Current: a search page finds an empty list, not a missing one.
    let again = build_in_process(&stores, Force::No).await;
    assert!(matches!(again, Ok(None)), "{again:?}");
}

/// Files under `pagefind/<part>/` on the site.
fn files_of(dir: &std::path::Path, part: &str) -> Vec<String> {
    let folder = dir.join("site").join(SEARCH_FOLDER).join(part);
    let mut found = Vec::new();
    let mut pending = vec![folder.clone()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).into_iter().flatten().flatten() {
            match entry.path().is_dir() {
                true => pending.push(entry.path()),
                false => found.push(entry.path().display().to_string()),
            }
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn a_year_guessed_from_the_journals_but_unchanged_or_emptied_is_not_published() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (stores, _) = seeded_stores(dir.path(), 0).await;
    let article = dated("a", "23/06/2022 | 15:04", "Hà Nội");
    commit(&stores, 2, [article.clone()].into()).await;
    build(&stores, Force::No).await;
    let before = (manifest(&stores).await.parts, files_of(dir.path(), "2022"));

    // A redelivery journals the same document again: 2022 is guessed and
    // built on the way, found unchanged, and nothing of it is published.
    commit(&stores, 3, [article].into()).await;
    let same = build(&stores, Force::No).await;
    assert_eq!((same.parts_built, same.uploaded), (0, 0));
    assert_eq!(
        (manifest(&stores).await.parts, files_of(dir.path(), "2022")),
        before
    );

    // An article of 2023 published and withdrawn before the build: 2023 is
    // guessed, but it has no article, so it is never listed, and what its
    // empty build uploaded goes with the next build.
    commit(
        &stores,
        4,
        [dated("b", "02/01/2023 | 08:00", "Đường mới")].into(),
    )
    .await;
    commit(&stores, 5, [("b".to_owned(), None)].into()).await;
    let emptied = build(&stores, Force::No).await;
    assert_eq!((emptied.parts, emptied.parts_built), (1, 0));
    assert_eq!(parts_list(&stores).await, ["2022"]);
    commit(&stores, 6, SearchJournal::new()).await;
    build(&stores, Force::No).await;
    assert_eq!(files_of(dir.path(), "2023"), Vec::<String>::new());
    all_named_there(dir.path(), &manifest(&stores).await);
}
