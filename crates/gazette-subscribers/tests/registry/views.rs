//! The view counter's counts: batches add up, only live articles count, and the most read come first.

use gazette_subscribers::{KeyClaim, Registry};

async fn live(db: &Registry, id: &str) {
    let KeyClaim::Owned(key) = db
        .claim_key(id, 1, &[], &[format!("v/{id}.html")])
        .await
        .unwrap()
    else {
        panic!("{id} got no key");
    };
    db.advance(id, 1, &key).await.unwrap();
}

pub(crate) async fn every_case(db: &Registry) {
    live(db, "v1").await;
    live(db, "v2").await;
    live(db, "v3").await;
    let batch = |list: &[(&str, u64)]| -> Vec<(String, u64)> {
        list.iter().map(|(id, n)| ((*id).to_owned(), *n)).collect()
    };
    // Invented and withdrawn ids count nothing and leave no row.
    db.withdraw("v3", "Sai").await.unwrap();
    let counted = db
        .add_views(&batch(&[("v1", 3), ("v2", 1), ("nobody", 50), ("v3", 9)]))
        .await
        .unwrap();
    assert_eq!(counted, 4);
    assert_eq!(db.add_views(&batch(&[("v2", 5)])).await.unwrap(), 5);
    assert_eq!(db.views("v1").await.unwrap(), 3);
    assert_eq!(db.views("v2").await.unwrap(), 6);
    assert_eq!(db.views("nobody").await.unwrap(), 0);
    assert_eq!(db.views("v3").await.unwrap(), 0);
    let top = db.most_read(10).await.unwrap();
    let ours: Vec<_> = top.iter().filter(|(id, _)| id.starts_with('v')).collect();
    assert_eq!(ours, [&("v2".to_owned(), 6), &("v1".to_owned(), 3)]);
}
