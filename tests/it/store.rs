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
use gazette_store::{Precondition, PutObject, S3Access, Store, StoreError};

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

/// The bucket of `garage`, reached with `access`.
async fn bucket_of(garage: &Garage, access: &S3Access) -> Store {
    Store::open_with(&format!("s3://{}", garage.bucket), Some(access))
        .await
        .unwrap()
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
    let store = bucket_of(&garage, &garage.access()).await;
    basics_hold(&store).await;
    let over_existing = store
        .put(object("a/page.html", "hai", Precondition::Absent))
        .await;
    assert!(
        over_existing.is_ok(),
        "Garage now refuses If-None-Match over an existing object: {over_existing:?}"
    );
}

/// Keys travel percent-encoded in the PUT's path and must come back as
/// written, through the SDK's reads and listings; what the PUT sets (type,
/// caching, metadata) must be what a HEAD reads.
#[tokio::test]
async fn garage_keeps_awkward_keys_and_the_headers_of_a_put() {
    needs!(Garage);
    let garage = Garage::start().expect("Garage starts");
    let store = bucket_of(&garage, &garage.access()).await;
    let keys = [
        "tin tức/đường phố.html",
        "a+b/c%20d.html",
        "q?x=1&y=2#frag;v:w@h$,.html",
        "ngã-ba/~tilde_under.score.html",
        "ngày/tháng năm.html",
    ];
    for (n, key) in keys.iter().enumerate() {
        let mut put = object(key, &format!("bài {n}"), Precondition::None);
        put.content_type = "text/html; charset=utf-8";
        put.cache_control = "public, max-age=60";
        put.metadata = BTreeMap::from([
            ("revision".to_owned(), n.to_string()),
            ("sha256".to_owned(), "ab".repeat(32)),
        ]);
        store.put(put).await.unwrap();
    }
    let mut listed = store.list("").await.unwrap();
    listed.sort();
    let mut expected: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    expected.sort();
    assert_eq!(listed, expected);
    for (n, key) in keys.iter().enumerate() {
        assert_eq!(
            store.get(key).await.unwrap().as_deref(),
            Some(format!("bài {n}").as_bytes()),
            "{key}"
        );
        let head = store.head(key).await.unwrap().expect("exists");
        assert_eq!(
            head.content_type.as_deref(),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(head.cache_control.as_deref(), Some("public, max-age=60"));
        assert_eq!(head.metadata.get("revision"), Some(&n.to_string()), "{key}");
        assert_eq!(head.metadata.get("sha256"), Some(&"ab".repeat(32)));
    }
}

/// A PUT the store will never take is refused, not retried as if the
/// store were down; one that cannot reach it is unavailable, and retried.
#[tokio::test]
async fn a_put_tells_refused_from_unavailable() {
    needs!(Garage);
    let garage = Garage::start().expect("Garage starts");
    let mut forged = garage.access();
    forged.secret_access_key = "0".repeat(64);
    let store = bucket_of(&garage, &forged).await;
    let refused = store
        .put(object("a/page.html", "x", Precondition::None))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Refused { status: 403, .. })),
        "a wrong secret: {refused:?}"
    );
    assert!(!refused.as_ref().is_err_and(StoreError::is_transient));

    let store = bucket_of(&garage, &garage.access()).await;
    let mut bad_metadata = object("a/page.html", "x", Precondition::None);
    bad_metadata
        .metadata
        .insert("note".to_owned(), "line\nbreak".to_owned());
    let refused = store.put(bad_metadata).await;
    assert!(
        matches!(refused, Err(StoreError::Refused { .. })),
        "metadata no header can carry: {refused:?}"
    );
    assert_eq!(
        store.head("a/page.html").await.unwrap(),
        None,
        "nothing was written"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut nowhere = garage.access();
    nowhere.endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let store = bucket_of(&garage, &nowhere).await;
    let unavailable = store
        .put(object("a/page.html", "x", Precondition::None))
        .await;
    assert!(
        matches!(unavailable, Err(StoreError::Unavailable { .. })),
        "no store listening: {unavailable:?}"
    );
    assert!(unavailable.is_err_and(|e| e.is_transient()));
}
