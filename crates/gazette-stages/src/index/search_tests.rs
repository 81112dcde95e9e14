//! Tests of the search journal: what a flush journals, and folding journals into the shards.

use std::collections::HashMap;

use gazette_site::Placement;

use super::*;

fn document(title: &str) -> SearchDocument {
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
