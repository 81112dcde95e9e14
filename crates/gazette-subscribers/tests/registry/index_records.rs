//! The indexer's records: read back as written, replaced by a flush, never replaced by an import, and many ids in one call; and the listing an advance keeps, only while its revision is the newest.

use std::collections::HashMap;

use gazette_subscribers::{Advance, KeyClaim, Registry};

fn rows(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(id, record)| ((*id).to_owned(), (*record).to_owned()))
        .collect()
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|id| (*id).to_owned()).collect()
}

pub(crate) async fn every_case(db: &Registry) {
    // Ids that would break a query built by pasting: quotes, a comment, a placeholder.
    let hostile = [
        "ir-'; DROP TABLE index_records; --",
        "ir-$1",
        "ir-đường-phố",
    ];
    db.put_index_records(&rows(&[
        (hostile[0], r#"{"revision":1}"#),
        (hostile[1], r#"{"revision":2}"#),
        (hostile[2], r#"{"revision":3}"#),
    ]))
    .await
    .unwrap();
    let found = db
        .index_records(&ids(&[hostile[0], hostile[1], hostile[2], "ir-never"]))
        .await
        .unwrap();
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[hostile[2]], r#"{"revision":3}"#);
    assert!(!found.contains_key("ir-never"));

    // A flush's write replaces; an import of an older version's record does not.
    db.put_index_records(&rows(&[(hostile[0], r#"{"revision":4}"#)]))
        .await
        .unwrap();
    db.import_index_records(&rows(&[
        (hostile[0], r#"{"revision":1}"#),
        ("ir-imported", r#"{"revision":7}"#),
    ]))
    .await
    .unwrap();
    let found = db
        .index_records(&ids(&[hostile[0], "ir-imported"]))
        .await
        .unwrap();
    assert_eq!(found[hostile[0]], r#"{"revision":4}"#);
    assert_eq!(found["ir-imported"], r#"{"revision":7}"#);

    // More ids than one query takes, and more rows than one transaction.
    let many: Vec<(String, String)> = (0..1_234)
        .map(|n| (format!("ir-many-{n:05}"), format!(r#"{{"revision":{n}}}"#)))
        .collect();
    db.put_index_records(&many).await.unwrap();
    let wanted: Vec<String> = many.iter().map(|(id, _)| id.clone()).collect();
    let found = db.index_records(&wanted).await.unwrap();
    let expected: HashMap<String, String> = many.into_iter().collect();
    assert_eq!(found, expected);
    assert!(db.index_records(&[]).await.unwrap().is_empty());
}

/// Makes `revision` of `id` the newest at `key`, keeping `listing`.
async fn advance(
    db: &Registry,
    id: &str,
    revision: u64,
    key: &str,
    listing: Option<&str>,
) -> Advance {
    let claimed = db
        .claim_key(id, revision, &[key.to_owned()], &[key.to_owned()])
        .await
        .unwrap();
    assert_eq!(claimed, KeyClaim::Owned(key.to_owned()));
    db.advance_listed(id, revision, key, listing).await.unwrap()
}

pub(crate) async fn listings(db: &Registry) {
    let id = "ls-'; DROP TABLE articles; --";
    let key = "ls/dang-bo.html";
    let first = r#"{"lead":"(NTL) Sáng 23/6","body_html":"<p>Đường</p>"}"#;
    assert!(db.listing(id, 1).await.unwrap().is_none(), "no article yet");
    assert!(matches!(
        advance(db, id, 1, key, Some(first)).await,
        Advance::Newest { first: true, .. }
    ));
    assert_eq!(db.listing(id, 1).await.unwrap().as_deref(), Some(first));
    // Asked for another revision than the newest: none, whichever side.
    assert!(db.listing(id, 2).await.unwrap().is_none());
    assert!(db.listing(id, 0).await.unwrap().is_none());

    // A redelivery of the same advance keeps what the first one wrote.
    advance(db, id, 1, key, Some(r#"{"lead":"other"}"#)).await;
    assert_eq!(db.listing(id, 1).await.unwrap().as_deref(), Some(first));

    // A stale advance writes nothing.
    let second = r#"{"lead":"r3"}"#;
    advance(db, id, 3, key, Some(second)).await;
    assert!(matches!(
        db.advance_listed(id, 2, key, Some(r#"{"lead":"stale"}"#))
            .await
            .unwrap(),
        Advance::Stale(_)
    ));
    assert!(
        db.listing(id, 1).await.unwrap().is_none(),
        "r1 is no longer the newest"
    );
    assert_eq!(db.listing(id, 3).await.unwrap().as_deref(), Some(second));

    // An advance that keeps none (as `gazette migrate` makes) clears the
    // older revision's, so the indexer reads the copy instead.
    assert!(matches!(
        db.advance(id, 4, key).await.unwrap(),
        Advance::Newest { .. }
    ));
    assert!(db.listing(id, 4).await.unwrap().is_none());
    assert!(db.listing(id, 3).await.unwrap().is_none());

    // A long article's body, in multi-byte text: kept whole.
    let big: String = "Đ".repeat(40_000);
    let big = format!(r#"{{"body_html":"{big}"}}"#);
    advance(db, "ls-big", 1, "ls/big.html", Some(&big)).await;
    assert_eq!(db.listing("ls-big", 1).await.unwrap(), Some(big));

    // The indexer lets go of what it flushed: only that revision's.
    advance(db, "ls-a", 1, "ls/a.html", Some(r#"{"lead":"a1"}"#)).await;
    advance(db, "ls-b", 1, "ls/b.html", Some(r#"{"lead":"b1"}"#)).await;
    advance(db, "ls-b", 2, "ls/b.html", Some(r#"{"lead":"b2"}"#)).await;
    db.forget_listings(&[
        ("ls-a".to_owned(), 1),
        // Flushed as revision 1, but revision 2 was advanced since: kept.
        ("ls-b".to_owned(), 1),
        ("ls-never".to_owned(), 1),
        ("ls-big".to_owned(), 1),
    ])
    .await
    .unwrap();
    assert!(db.listing("ls-a", 1).await.unwrap().is_none());
    assert!(db.listing("ls-big", 1).await.unwrap().is_none());
    assert_eq!(
        db.listing("ls-b", 2).await.unwrap().as_deref(),
        Some(r#"{"lead":"b2"}"#)
    );
    // The article itself is untouched: its revision and page stand.
    assert!(matches!(
        advance(db, "ls-a", 1, "ls/a.html", None).await,
        Advance::Newest { first: true, .. }
    ));

    // More pairs than one statement takes.
    let many: Vec<(String, u64)> = (0..700).map(|n| (format!("ls-many-{n:04}"), 1)).collect();
    for (id, revision) in many.iter().step_by(100) {
        advance(db, id, *revision, &format!("ls/{id}.html"), Some("{}")).await;
    }
    db.forget_listings(&many).await.unwrap();
    for (id, revision) in many.iter().step_by(100) {
        assert!(db.listing(id, *revision).await.unwrap().is_none(), "{id}");
    }
    db.forget_listings(&[]).await.unwrap();
}
