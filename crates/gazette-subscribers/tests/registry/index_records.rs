//! The indexer's records: read back as written, replaced by a flush, never replaced by an import, and many ids in one call.

use std::collections::HashMap;

use gazette_subscribers::Registry;

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
