//! The ledger and the subscription records on both databases: SQLite in a temporary file, and a database of its own on the machine's PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::time::Duration;

use gazette_subscribers::{
    Channel, Claim, EmailRequest, Finished, Status, Subscribers, Subscription, WebhookAdded,
};
use gazette_webhooks::Secret;

const LEASE: Duration = Duration::from_secs(60);

mod databases;

async fn sqlite() -> (Subscribers, tempfile::TempDir) {
    let (url, dir) = databases::sqlite("ledger.db");
    (Subscribers::open(&url).await.unwrap(), dir)
}

async fn postgres(name: &str) -> (Subscribers, String) {
    let (url, name) = databases::postgres(&format!("ledger_{name}")).await;
    (Subscribers::open(&url).await.unwrap(), name)
}

async fn new_webhook(db: &Subscribers, url: &str, categories: &[&str]) -> (Subscription, Secret) {
    let categories: Vec<String> = categories.iter().map(|c| (*c).to_owned()).collect();
    match db.add_webhook(url, &categories).await.unwrap() {
        WebhookAdded::New(subscription, secret) => (subscription, secret),
        WebhookAdded::Exists(existing) => panic!("{url} exists already as {}", existing.id),
    }
}

async fn the_same_endpoint_and_categories_are_added_once(db: &Subscribers) {
    let url = "https://hooks.example.vn/twice";
    let (first, _) = new_webhook(db, url, &["y-te", "giao-duc"]).await;
    let again = ["giao-duc".to_owned(), "y-te".to_owned(), "y-te".to_owned()];
    match db.add_webhook(url, &again).await.unwrap() {
        WebhookAdded::Exists(existing) => assert_eq!(existing.id, first.id),
        WebhookAdded::New(made, _) => panic!("a second subscription {} for {url}", made.id),
    }
    // Other categories, or another endpoint, are another subscription.
    let (other, _) = new_webhook(db, url, &["y-te"]).await;
    assert_ne!(other.id, first.id);
    new_webhook(db, "https://hooks.example.vn/twice/", &["y-te", "giao-duc"]).await;
    // Once removed, the endpoint may be added anew.
    assert!(db.remove(&first.id).await.unwrap());
    new_webhook(db, url, &["y-te", "giao-duc"]).await;
}

async fn a_notification_is_claimed_by_one_and_settled_once(db: &Subscribers) {
    let (hook, _) = new_webhook(db, "https://hooks.example.vn/a", &[]).await;
    assert!(db.record_due(&hook.id, "evt-1").await.unwrap());
    assert!(
        db.record_due(&hook.id, "evt-1").await.unwrap(),
        "still pending: recorded once, due again"
    );
    assert_eq!(
        db.claim(&hook.id, "evt-1", LEASE).await.unwrap(),
        Claim::Won
    );
    assert_eq!(
        db.claim(&hook.id, "evt-1", LEASE).await.unwrap(),
        Claim::Busy,
        "the lease keeps a second worker off"
    );
    db.release(&hook.id, "evt-1", "the endpoint answered 503")
        .await
        .unwrap();
    assert_eq!(
        db.claim(&hook.id, "evt-1", LEASE).await.unwrap(),
        Claim::Won
    );
    db.finish(&hook.id, "evt-1", &Finished::Delivered)
        .await
        .unwrap();
    assert_eq!(
        db.delivery(&hook.id, "evt-1").await.unwrap(),
        Some(("delivered".to_owned(), 2))
    );
    assert_eq!(
        db.claim(&hook.id, "evt-1", LEASE).await.unwrap(),
        Claim::Finished(Finished::Delivered)
    );
    assert!(
        !db.record_due(&hook.id, "evt-1").await.unwrap(),
        "a replay stops at the fan-out"
    );

    // A failed notification may be claimed again: that is what a replay is for.
    db.record_due(&hook.id, "evt-2").await.unwrap();
    assert_eq!(
        db.claim(&hook.id, "evt-2", LEASE).await.unwrap(),
        Claim::Won
    );
    let error = "retries used up".to_owned();
    db.finish(&hook.id, "evt-2", &Finished::Failed { error })
        .await
        .unwrap();
    assert_eq!(
        db.claim(&hook.id, "evt-2", LEASE).await.unwrap(),
        Claim::Won
    );
}

/// Active email subscriptions an article of `category` reaches.
async fn residents_for(db: &Subscribers, category: &str) -> usize {
    let active = db.active_for(category).await.unwrap();
    active
        .iter()
        .filter(|s| matches!(s.channel, Channel::Email { .. }))
        .count()
}

async fn email_needs_confirmation_and_ends_by_token(db: &Subscribers) {
    let categories = vec!["y-te".to_owned()];
    let EmailRequest::Confirm(first) = db
        .request_email("dan@example.vn", &categories, Duration::ZERO)
        .await
        .unwrap()
    else {
        panic!("a new address needs confirming");
    };
    assert_eq!(first.subscription.status, Status::Pending);
    let soon = db
        .request_email("dan@example.vn", &categories, Duration::from_secs(600))
        .await
        .unwrap();
    assert!(
        matches!(soon, EmailRequest::RecentlyAsked),
        "no second mail within the quiet time"
    );
    assert!(
        residents_for(db, "y-te").await == 0,
        "unconfirmed addresses hear nothing"
    );
    let EmailRequest::Confirm(second) = db
        .request_email("dan@example.vn", &categories, Duration::ZERO)
        .await
        .unwrap()
    else {
        panic!("an unconfirmed address may ask again");
    };
    assert!(
        db.confirm_email(&first.confirm_token)
            .await
            .unwrap()
            .is_none(),
        "asking again retires the old link"
    );
    let confirmed = db
        .confirm_email(&second.confirm_token)
        .await
        .unwrap()
        .unwrap();
    assert!(confirmed.is_active());
    assert!(
        db.confirm_email(&second.confirm_token)
            .await
            .unwrap()
            .is_none(),
        "a link works once"
    );
    assert!(matches!(
        db.request_email("dan@example.vn", &categories, Duration::ZERO)
            .await
            .unwrap(),
        EmailRequest::AlreadyActive
    ));
    assert_eq!(residents_for(db, "y-te").await, 1);
    assert!(
        residents_for(db, "giao-duc").await == 0,
        "other categories are not covered"
    );

    let gone = db
        .unsubscribe(confirmed.unsubscribe_token())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(gone.status, Status::Disabled { .. }));
    assert!(residents_for(db, "y-te").await == 0);
    assert!(db.unsubscribe("not-a-token").await.unwrap().is_none());
}

async fn a_rotation_signs_with_both_secrets_for_the_overlap(db: &Subscribers) {
    let (hook, first) = new_webhook(db, "https://hooks.example.vn/b", &[]).await;
    assert_eq!(hook.signing_secrets(), std::slice::from_ref(&first));
    let second = db
        .rotate_secret(&hook.id, Duration::from_secs(3600))
        .await
        .unwrap()
        .unwrap();
    let rotated = db.get(&hook.id).await.unwrap().unwrap();
    assert_eq!(rotated.signing_secrets(), &[second.clone(), first]);
    let third = db
        .rotate_secret(&hook.id, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        db.get(&hook.id).await.unwrap().unwrap().signing_secrets(),
        &[third]
    );
    assert!(db.remove(&hook.id).await.unwrap());
    assert!(
        db.rotate_secret(&hook.id, Duration::ZERO)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn sqlite_ledger() {
    let (db, _dir) = sqlite().await;
    a_notification_is_claimed_by_one_and_settled_once(&db).await;
    email_needs_confirmation_and_ends_by_token(&db).await;
    a_rotation_signs_with_both_secrets_for_the_overlap(&db).await;
    the_same_endpoint_and_categories_are_added_once(&db).await;
}

#[tokio::test]
async fn postgres_ledger() {
    if databases::skip_without_postgres() {
        return;
    }
    let (db, name) = postgres("ledger").await;
    a_notification_is_claimed_by_one_and_settled_once(&db).await;
    email_needs_confirmation_and_ends_by_token(&db).await;
    a_rotation_signs_with_both_secrets_for_the_overlap(&db).await;
    the_same_endpoint_and_categories_are_added_once(&db).await;
    db.close().await;
    databases::drop_postgres(&name).await;
}
