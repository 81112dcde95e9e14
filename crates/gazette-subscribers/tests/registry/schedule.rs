//! Scheduled publishing in the registry: holding, replacing, claiming under a lease by one of many schedulers, going live, and withdrawal before the time.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use gazette_subscribers::{Advance, Hold, KeyClaim, Registry, Takedown};

const LEASE: Duration = Duration::from_secs(30);

/// `seconds` from now, in Vietnam's offset as a CMS there sends it.
fn at(seconds: i64) -> DateTime<FixedOffset> {
    let vietnam = FixedOffset::east_opt(7 * 3600).unwrap();
    (Utc::now() + TimeDelta::seconds(seconds)).with_timezone(&vietnam)
}

async fn key(db: &Registry, id: &str, revision: u64) -> String {
    match db
        .claim_key(id, revision, &[], &[format!("s/{id}.html")])
        .await
        .unwrap()
    {
        KeyClaim::Owned(key) => key,
        other => panic!("{id} r{revision}: {other:?}"),
    }
}

async fn hold(db: &Registry, id: &str, revision: u64, seconds: i64) -> Hold {
    let key = key(db, id, revision).await;
    db.hold_until(id, revision, &key, at(seconds), "submission")
        .await
        .unwrap()
}

fn held_revision(list: &[gazette_subscribers::ScheduledRevision], id: &str) -> Option<u64> {
    list.iter().find(|s| s.article_id == id).map(|s| s.revision)
}

async fn a_held_revision_is_claimed_once_and_only_when_due(db: &Registry) {
    assert_eq!(hold(db, "s1", 1, 3600).await, Hold::Held);
    // A redelivery holds it again, as it was.
    assert_eq!(hold(db, "s1", 1, 3600).await, Hold::Held);
    let listed = db.scheduled().await.unwrap();
    let s1 = listed.iter().find(|s| s.article_id == "s1").unwrap();
    assert_eq!(s1.revision, 1);
    assert_eq!(s1.page_key, "s/s1.html");
    assert_eq!(s1.correlation_id, "submission");
    assert_eq!(s1.published_at.offset().local_minus_utc(), 7 * 3600);
    // Not before its time, and nothing of it is live.
    assert!(
        db.claim_due(Utc::now(), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!db.article("s1").await.unwrap().unwrap().is_live());
    assert!(
        db.live_articles()
            .await
            .unwrap()
            .iter()
            .all(|a| a.article_id != "s1")
    );

    // At its time, many schedulers at once: exactly one claim.
    let when = Utc::now() + TimeDelta::seconds(3601);
    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let db = db.clone();
        racing.spawn(async move { db.claim_due(when, LEASE, 10).await.unwrap() });
    }
    let mut claims = Vec::new();
    while let Some(joined) = racing.join_next().await {
        claims.extend(joined.unwrap().into_iter().filter(|s| s.article_id == "s1"));
    }
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert_eq!(claims[0].claims, 1);
    // Held by the lease: no one else takes it until it runs out.
    assert!(
        db.claim_due(when + TimeDelta::seconds(29), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A scheduler that died: the row comes back after the lease.
    let again = db
        .claim_due(when + TimeDelta::seconds(31), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].claims, 2);

    // Going live keeps the claimed row for its scheduler to finish.
    assert_eq!(
        db.advance("s1", 1, "s/s1.html").await.unwrap(),
        Advance::Newest {
            first: true,
            redirects: vec![]
        }
    );
    assert_eq!(held_revision(&db.scheduled().await.unwrap(), "s1"), Some(1));
    // A late copy of the held message now finds it live.
    assert_eq!(hold(db, "s1", 1, 3600).await, Hold::Live);
    db.finish_scheduled("s1", 1).await.unwrap();
    assert_eq!(held_revision(&db.scheduled().await.unwrap(), "s1"), None);
}

async fn a_newer_revision_reschedules_and_an_older_one_cannot(db: &Registry) {
    assert_eq!(hold(db, "s2", 2, 3600).await, Hold::Held);
    // An older revision, late: neither held nor allowed to replace it.
    assert_eq!(hold(db, "s2", 1, 60).await, Hold::Stale { newest: 2 });
    // A newer one moves the time.
    assert_eq!(hold(db, "s2", 3, 120).await, Hold::Held);
    let listed = db.scheduled().await.unwrap();
    let s2 = listed.iter().find(|s| s.article_id == "s2").unwrap();
    assert_eq!(s2.revision, 3);
    assert!(s2.published_at < at(121) && s2.published_at > at(110));
    // A newer one dated now goes live at once, and the schedule is moot.
    let key4 = key(db, "s2", 4).await;
    assert_eq!(
        db.advance("s2", 4, &key4).await.unwrap(),
        Advance::Newest {
            first: true,
            redirects: vec![]
        }
    );
    assert_eq!(held_revision(&db.scheduled().await.unwrap(), "s2"), None);
    assert_eq!(
        db.hold_until("s2", 3, &key4, at(120), "submission")
            .await
            .unwrap(),
        Hold::Stale { newest: 4 }
    );
    // The next next_due is not s2's.
    let soon = Utc::now() + TimeDelta::seconds(200);
    assert!(
        db.claim_due(soon, LEASE, 100)
            .await
            .unwrap()
            .iter()
            .all(|s| s.article_id != "s2")
    );
}

async fn a_withdrawal_cancels_what_is_held(db: &Registry) {
    // Never public: withdrawn before its time.
    assert_eq!(hold(db, "s3", 1, 3600).await, Hold::Held);
    assert_eq!(
        db.withdraw("s3", "Hoãn đăng").await.unwrap(),
        Takedown::ScheduledOnly { revision: 1 }
    );
    assert_eq!(held_revision(&db.scheduled().await.unwrap(), "s3"), None);
    assert_eq!(
        db.hold_until("s3", 1, "s/s3.html", at(3600), "again")
            .await
            .unwrap(),
        Hold::Withdrawn { through: 1 }
    );
    assert_eq!(
        db.advance("s3", 1, "s/s3.html").await.unwrap(),
        Advance::Withdrawn { through: 1 }
    );
    // A live article with a scheduled update: both are withdrawn.
    let key1 = key(db, "s4", 1).await;
    db.advance("s4", 1, &key1).await.unwrap();
    assert_eq!(hold(db, "s4", 2, 3600).await, Hold::Held);
    // The live revision stays live meanwhile.
    assert!(db.article("s4").await.unwrap().unwrap().is_live());
    let Takedown::Live(state) = db.withdraw("s4", "Sai").await.unwrap() else {
        panic!("s4 was live");
    };
    assert_eq!(state.withdrawn.unwrap().through, 2);
    assert_eq!(
        db.advance("s4", 2, &key1).await.unwrap(),
        Advance::Withdrawn { through: 2 }
    );
    assert_eq!(held_revision(&db.scheduled().await.unwrap(), "s4"), None);
}

pub(crate) async fn every_case(db: &Registry) {
    a_held_revision_is_claimed_once_and_only_when_due(db).await;
    a_newer_revision_reschedules_and_an_older_one_cannot(db).await;
    a_withdrawal_cancels_what_is_held(db).await;
}
