//! Scheduled publishing against RabbitMQ, Garage and the registry: an embargoed article is invisible everywhere before its time and everywhere after, two schedulers publish it once, and a reschedule or a withdrawal before the time holds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use gazette_contract::EventType;
use gazette_store::Store;
use serde_json::{Value, json};

use crate::support::Worker;
use crate::support::{TestEnv, cli_schemas, cms, eventually, needs};

const PATIENCE: Duration = Duration::from_secs(60);
/// The promise: live within 5 s of its time.
const PROMPT: TimeDelta = TimeDelta::seconds(5);

/// `seconds` from now, as a CMS in Vietnam writes it.
fn in_seconds(seconds: i64) -> DateTime<FixedOffset> {
    let vietnam = FixedOffset::east_opt(7 * 3600).unwrap();
    (Utc::now() + TimeDelta::seconds(seconds)).with_timezone(&vietnam)
}

/// A submission dated `at`, with a title word no other article has.
fn dated(id: &str, revision: u64, word: &str, at: DateTime<FixedOffset>) -> Value {
    let mut article = cms::article(id, revision, &format!("Thông báo {word} lịch cắt điện"));
    article["published_at"] = json!(at.to_rfc3339());
    cms::submitted(&format!("{id}-{revision}"), &article)
}

fn workers(env: &TestEnv, publishers: usize) -> Vec<Worker> {
    let dir = env.garage.dir.path();
    let mut running: Vec<Worker> = crate::support::stages_before_publish()
        .into_iter()
        .chain(["index"])
        .map(|stage| env.spawn_worker(stage))
        .collect();
    for n in 0..publishers {
        running.push(Worker::spawn(
            &["worker", "publish"],
            &env.env(),
            &dir.join(format!("worker-publish-{n}.log")),
        ));
    }
    running
}

/// Every text object of the public site that mentions `word`, by key.
async fn public_mentions(store: &Store, word: &str) -> Vec<String> {
    let mut found = Vec::new();
    for key in store.list("").await.unwrap() {
        if key.contains(&word.to_lowercase()) {
            found.push(key);
            continue;
        }
        let text = [".html", ".xml", ".json", ".txt", ".webmanifest"]
            .iter()
            .any(|ext| key.ends_with(ext));
        if !text {
            continue;
        }
        if let Some(bytes) = store.get(&key).await.unwrap()
            && String::from_utf8_lossy(&bytes).contains(word)
        {
            found.push(key);
        }
    }
    found
}

/// The events on `tap` up to and including the first `routing_key` about
/// `article_id`, as (routing key, body).
async fn events_until(
    tap: &mut gazette_broker::Tap,
    routing_key: &str,
    article_id: &str,
) -> Vec<(String, Value)> {
    events_until_all(tap, routing_key, &[article_id]).await
}

/// The events on `tap` until a `routing_key` about each of `article_ids`
/// has come, in whatever order the stages finish them.
async fn events_until_all(
    tap: &mut gazette_broker::Tap,
    routing_key: &str,
    article_ids: &[&str],
) -> Vec<(String, Value)> {
    let mut seen: Vec<(String, Value)> = Vec::new();
    while !article_ids
        .iter()
        .all(|id| !about(&seen, routing_key, id).is_empty())
    {
        let event =
            tap.next(PATIENCE).await.unwrap().unwrap_or_else(|| {
                panic!("no {routing_key} of each of {article_ids:?}; saw {seen:?}")
            });
        let body: Value = serde_json::from_slice(&event.body).unwrap();
        seen.push((event.routing_key, body));
    }
    seen
}

fn about<'a>(seen: &'a [(String, Value)], routing_key: &str, id: &str) -> Vec<&'a Value> {
    seen.iter()
        .filter(|(key, body)| key == routing_key && body["data"]["article_id"] == id)
        .map(|(_, body)| body)
        .collect()
}

fn schedule_list(env: &TestEnv) -> Vec<Value> {
    let (ok, stdout, stderr) = env.run_gazette(&["schedule", "list", "--json"]);
    assert!(ok, "gazette schedule list --json failed: {stderr}");
    cli_schemas::assert_matches("cli.schedule-list.v1.json", stdout.trim())
        .as_array()
        .unwrap()
        .clone()
}

const LIFECYCLE: [&str; 5] = [
    "article.scheduled",
    "article.published",
    "article.updated",
    "article.unpublished",
    "article.rejected",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embargoed_article_is_invisible_until_its_time_and_two_schedulers_publish_it_once() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("schedule-embargo").await;
    env.declare_topology().await;
    let mut tap = env.tap(&LIFECYCLE).await;
    let _workers = workers(&env, 2);
    let store = env.store().await;

    // Far enough ahead for the checks below to run before it.
    let due = in_seconds(15);
    cms::post(
        &env,
        EventType::Submitted,
        &dated("embargo", 1, "Khanhhoa", due),
    )
    .await;
    let scheduled = events_until(&mut tap, "article.scheduled", "embargo").await;
    let notice = about(&scheduled, "article.scheduled", "embargo")[0];
    assert_eq!(notice["data"]["revision"], 1);
    assert_eq!(
        DateTime::parse_from_rfc3339(notice["data"]["published_at"].as_str().unwrap()).unwrap(),
        due
    );
    // The notice names no title and no address.
    assert!(!notice.to_string().contains("Khanhhoa"), "{notice}");
    assert!(!notice.to_string().contains(".html"), "{notice}");
    assert_eq!(notice["correlationid"], "sub-embargo-1");

    // An article dated now goes through meanwhile, and is listed: the
    // indexer has flushed since, so a listing of the embargoed one would show.
    cms::post(
        &env,
        EventType::Submitted,
        &dated("control", 1, "Camranh", in_seconds(-60)),
    )
    .await;
    let meanwhile = events_until(&mut tap, "article.published", "control").await;
    assert!(about(&meanwhile, "article.published", "embargo").is_empty());
    eventually(|| async {
        match store
            .get(&format!("{}/index.html", cms::CATEGORY))
            .await
            .unwrap()
        {
            Some(front) if String::from_utf8_lossy(&front).contains("Camranh") => Ok(()),
            _ => Err("the control article is not listed yet".to_owned()),
        }
    })
    .await;
    assert!(
        Utc::now() < due,
        "the checks before the embargo ran too late to mean anything"
    );
    assert_eq!(
        public_mentions(&store, "Khanhhoa").await,
        Vec::<String>::new()
    );
    assert_eq!(
        public_mentions(&store, "embargo").await,
        Vec::<String>::new()
    );
    let waiting = schedule_list(&env);
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0]["article_id"], "embargo");
    assert_eq!(waiting[0]["state"], "waiting");
    assert!(waiting[0]["due_in_seconds"].as_i64().unwrap() > 0);
    assert!(
        Utc::now() < due,
        "the checks before the embargo ran too late to mean anything"
    );

    // At its time: live, promptly, announced once with the submission's correlation.
    let released = events_until(&mut tap, "article.published", "embargo").await;
    let at = Utc::now();
    assert!(at >= due, "published {} before its time", due.to_utc() - at);
    assert!(
        at - due.to_utc() <= PROMPT,
        "published {} late",
        at - due.to_utc()
    );
    let published = about(&released, "article.published", "embargo")[0].clone();
    assert_eq!(published["correlationid"], "sub-embargo-1");
    let key = published["data"]["key"].as_str().unwrap().to_owned();
    let page = store.get(&key).await.unwrap().expect("the page is public");
    assert!(String::from_utf8_lossy(&page).contains("Khanhhoa"));
    eventually(|| async {
        match store
            .get(&format!("{}/index.html", cms::CATEGORY))
            .await
            .unwrap()
        {
            Some(front) if String::from_utf8_lossy(&front).contains("Khanhhoa") => Ok(()),
            _ => Err("the embargoed article is not listed after its time".to_owned()),
        }
    })
    .await;
    // Once its schedule is gone no scheduler can take it again; a marker
    // published after that comes behind any second announcement.
    eventually(|| async {
        match schedule_list(&env).is_empty() {
            true => Ok(()),
            false => Err("the schedule is still held".to_owned()),
        }
    })
    .await;
    cms::post(
        &env,
        EventType::Submitted,
        &dated("marker", 1, "Ninhhoa", in_seconds(-1)),
    )
    .await;
    let after = events_until(&mut tap, "article.published", "marker").await;
    let again: Vec<_> = about(&after, "article.published", "embargo")
        .into_iter()
        .chain(about(&after, "article.updated", "embargo"))
        .collect();
    assert!(again.is_empty(), "announced twice: {again:?}");
    env.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reschedule_and_a_withdrawal_before_the_time_both_hold() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("schedule-changes").await;
    env.declare_topology().await;
    let mut tap = env.tap(&LIFECYCLE).await;
    // One scheduler: it takes due revisions soonest first, so when the
    // marker (due last) is published, nothing due before it still waits.
    let _workers = workers(&env, 1);
    let store = env.store().await;

    // later: moved an hour on by revision 2. pulled: withdrawn before its
    // time. sooner: revision 2 dated now publishes it at once.
    let first_time = in_seconds(15);
    for event in [
        dated("later", 1, "Vanninh", first_time),
        dated("pulled", 1, "Dienkhanh", first_time),
        dated("sooner", 1, "Cuanbe", in_seconds(3600)),
    ] {
        cms::post(&env, EventType::Submitted, &event).await;
    }
    events_until_all(
        &mut tap,
        "article.scheduled",
        &["later", "pulled", "sooner"],
    )
    .await;
    cms::post(
        &env,
        EventType::Submitted,
        &dated("later", 2, "Vanninh", in_seconds(3600)),
    )
    .await;
    let moved = events_until(&mut tap, "article.scheduled", "later").await;
    assert_eq!(
        about(&moved, "article.scheduled", "later")[0]["data"]["revision"],
        2
    );
    cms::post(
        &env,
        EventType::Withdrawn,
        &cms::withdrawal("pulled", "Hoãn thông báo"),
    )
    .await;
    cms::post(
        &env,
        EventType::Submitted,
        &dated("sooner", 2, "Cuanbe", in_seconds(-5)),
    )
    .await;
    let now_live = events_until(&mut tap, "article.published", "sooner").await;
    assert_eq!(
        about(&now_live, "article.published", "sooner")[0]["data"]["revision"],
        2
    );
    eventually(|| async {
        let ids: Vec<Value> = schedule_list(&env)
            .iter()
            .map(|s| s["article_id"].clone())
            .collect();
        match ids == [json!("later")] {
            true => Ok(()),
            false => Err(format!("held: {ids:?}")),
        }
    })
    .await;
    assert!(
        Utc::now() < first_time,
        "the changes landed after the first time; the test means nothing"
    );

    // A marker due after the first time: once it is out, the first time
    // has passed for the scheduler too.
    cms::post(
        &env,
        EventType::Submitted,
        &dated("marker", 1, "Ninhhoa", in_seconds(17)),
    )
    .await;
    let passed = events_until(&mut tap, "article.published", "marker").await;
    assert!(Utc::now() > first_time);
    for id in ["later", "pulled"] {
        for kind in [
            "article.published",
            "article.updated",
            "article.unpublished",
            "article.rejected",
        ] {
            assert!(
                about(&passed, kind, id).is_empty(),
                "{kind} of {id}: {passed:?}"
            );
        }
    }
    assert!(
        about(&passed, "article.published", "sooner").is_empty(),
        "sooner went live twice"
    );
    assert_eq!(
        public_mentions(&store, "Vanninh").await,
        Vec::<String>::new()
    );
    assert_eq!(
        public_mentions(&store, "Dienkhanh").await,
        Vec::<String>::new()
    );
    let held = schedule_list(&env);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["article_id"], "later");
    assert_eq!(held[0]["revision"], 2);

    // Withdrawing the rescheduled one cancels it too.
    cms::post(&env, EventType::Withdrawn, &cms::withdrawal("later", "Bỏ")).await;
    eventually(|| async {
        match schedule_list(&env).is_empty() {
            true => Ok(()),
            false => Err("later is still held after its withdrawal".to_owned()),
        }
    })
    .await;

    // `gazette submit --wait` reports an embargo as accepted rather than
    // waiting for a publication that is an hour away.
    let mut waiter = cms::article("waiter", 1, "Thông báo Vinhluong");
    let due = in_seconds(3600);
    waiter["published_at"] = json!(due.to_rfc3339());
    let out = env.submit_and_wait(&[waiter]);
    assert!(
        out.contains(&format!(
            "scheduled revision 1 of waiter for {}",
            due.to_rfc3339()
        )),
        "{out}"
    );
    env.teardown().await;
}
