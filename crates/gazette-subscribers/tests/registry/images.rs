//! Shared pictures: one leaves the site only when no live article shows it.

use gazette_subscribers::Registry;

pub(crate) async fn every_case(db: &Registry) {
    let ids = |list: &[&str]| -> Vec<String> { list.iter().map(|s| (*s).to_owned()).collect() };
    // Two articles share the cover "shared"; each has one of its own.
    assert_eq!(
        db.set_images("img-a", &ids(&["shared", "only-a"]))
            .await
            .unwrap(),
        ids(&[])
    );
    assert_eq!(
        db.set_images("img-b", &ids(&["shared", "only-b"]))
            .await
            .unwrap(),
        ids(&[])
    );
    // A revision of a that drops its own picture and keeps the shared one.
    assert_eq!(
        db.set_images("img-a", &ids(&["shared"])).await.unwrap(),
        ids(&["only-a"])
    );
    // Recording the same again drops nothing.
    assert_eq!(
        db.set_images("img-a", &ids(&["shared"])).await.unwrap(),
        ids(&[])
    );
    // The same pictures in another order, one twice: still nothing changes.
    assert_eq!(
        db.set_images("img-b", &ids(&["only-b", "shared", "only-b"]))
            .await
            .unwrap(),
        ids(&[])
    );
    assert!(db.image_in_use("only-b").await.unwrap());
    // An article that never showed one, with none: nothing to record.
    assert_eq!(db.set_images("img-none", &[]).await.unwrap(), ids(&[]));
    // Withdrawing a: the shared picture is still b's.
    assert_eq!(db.set_images("img-a", &[]).await.unwrap(), ids(&[]));
    assert!(db.image_in_use("shared").await.unwrap());
    // Withdrawing b too: now nothing shows either.
    let mut unused = db.set_images("img-b", &[]).await.unwrap();
    unused.sort();
    assert_eq!(unused, ids(&["only-b", "shared"]));
    assert!(!db.image_in_use("shared").await.unwrap());
}
