//! The store's writes, reads, listings and conditional writes, against a real Garage and a real directory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::collections::BTreeMap;

use crate::support::Garage;
use crate::support::needs;
use bytes::Bytes;
use gazette_store::{Precondition, PutObject, Store, StoreError};

fn object(key: &str, body: &str, precondition: Precondition) -> PutObject {
    PutObject {
        key: key.to_owned(),
        body: Bytes::from(body.to_owned()),
        content_type: "text/plain; charset=utf-8",
        cache_control: "no-cache",
        metadata: BTreeMap::from([("revision".to_owned(), "1".to_owned())]),
        precondition,
    }
}

/// Writing, reading, heading and listing keys.
async fn basics_hold(store: &Store) {
    store
        .put(object("a/page.html", "một", Precondition::None))
        .await
        .unwrap();
    let head = store.head("a/page.html").await.unwrap().expect("exists");
    assert!(head.etag.is_some(), "the store reports an ETag");
    assert_eq!(head.metadata.get("revision").map(String::as_str), Some("1"));
    assert_eq!(
        store.get("a/page.html").await.unwrap().as_deref(),
        Some("một".as_bytes())
    );
    store
        .put(object("b/other.html", "x", Precondition::None))
        .await
        .unwrap();
    let mut keys = store.list("").await.unwrap();
    keys.sort();
    assert_eq!(keys, ["a/page.html", "b/other.html"]);
    assert_eq!(store.list("b/").await.unwrap(), ["b/other.html"]);
    assert_eq!(store.get("missing.html").await.unwrap(), None);
    assert_eq!(store.head("missing.html").await.unwrap(), None);
}

#[tokio::test]
async fn the_directory_store_does_compare_and_swap() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("file://{}", dir.path().display()))
        .await
        .unwrap();
    basics_hold(&store).await;

    let over_existing = store
        .put(object("a/page.html", "hai", Precondition::Absent))
        .await;
    assert!(
        matches!(over_existing, Err(StoreError::Conflict { .. })),
        "{over_existing:?}"
    );
    let etag = store
        .head("a/page.html")
        .await
        .unwrap()
        .and_then(|h| h.etag)
        .expect("etag");
    store
        .put(object(
            "a/page.html",
            "ba",
            Precondition::Unchanged(etag.clone()),
        ))
        .await
        .expect("swap on a fresh ETag");
    let stale = store
        .put(object("a/page.html", "bốn", Precondition::Unchanged(etag)))
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "swap on a stale ETag: {stale:?}"
    );
    assert_eq!(
        store.get("a/page.html").await.unwrap().as_deref(),
        Some("ba".as_bytes())
    );
}

/// Garage 2.5 accepts `If-None-Match`/`If-Match` on PutObject and ignores
/// them, which is why the publish stage verifies its page after writing
/// (`gazette-stages/src/revisions.rs`). Should this start failing, Garage
/// honours them now, and ARCHITECTURE.md should say so.
#[tokio::test]
async fn garage_stores_and_lists_but_ignores_conditional_writes() {
    needs!(Garage);
    let garage = Garage::start().expect("Garage starts");
    let store = Store::open_with(&format!("s3://{}", garage.bucket), Some(&garage.access()))
        .await
        .unwrap();
    basics_hold(&store).await;
    let over_existing = store
        .put(object("a/page.html", "hai", Precondition::Absent))
        .await;
    assert!(
        over_existing.is_ok(),
        "Garage now refuses If-None-Match over an existing object: {over_existing:?}"
    );
}
