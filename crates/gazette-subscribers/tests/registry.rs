//! The article registry on both databases: revision order, URL ownership, redirects without chains, withdrawals, and racing writers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use gazette_subscribers::{Advance, KeyClaim, Registry, Takedown};

mod databases;
#[path = "registry/images.rs"]
mod images;
#[path = "registry/index_records.rs"]
mod index_records;
#[path = "registry/schedule.rs"]
mod schedule;
#[path = "registry/views.rs"]
mod views;

async fn sqlite() -> (Registry, tempfile::TempDir) {
    let (url, dir) = databases::sqlite("registry.db");
    (Registry::open(&url).await.unwrap(), dir)
}

async fn postgres(name: &str) -> (Registry, String) {
    let (url, name) = databases::postgres(&format!("registry_{name}")).await;
    (Registry::open(&url).await.unwrap(), name)
}

fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|k| (*k).to_owned()).collect()
}

async fn claim(db: &Registry, id: &str, revision: u64, candidates: &[&str]) -> KeyClaim {
    db.claim_key(id, revision, &[], &keys(candidates))
        .await
        .unwrap()
}

async fn publish(db: &Registry, id: &str, revision: u64, candidates: &[&str]) -> Advance {
    let KeyClaim::Owned(key) = claim(db, id, revision, candidates).await else {
        panic!("{id} r{revision} got no key");
    };
    db.advance(id, revision, &key).await.unwrap()
}

async fn keys_go_to_the_first_article_and_the_next_gets_its_own(db: &Registry) {
    let notice = ["tb/lich-cat-nuoc.html", "tb/lich-cat-nuoc-1a2b3c.html"];
    assert_eq!(
        claim(db, "a", 1, &notice).await,
        KeyClaim::Owned(notice[0].to_owned())
    );
    // Asking again is the same answer.
    assert_eq!(
        claim(db, "a", 1, &notice).await,
        KeyClaim::Owned(notice[0].to_owned())
    );
    let other = ["tb/lich-cat-nuoc.html", "tb/lich-cat-nuoc-9f8e7d.html"];
    assert_eq!(
        claim(db, "b", 1, &other).await,
        KeyClaim::Owned(other[1].to_owned())
    );
    assert_eq!(
        claim(db, "c", 1, &["tb/lich-cat-nuoc.html"]).await,
        KeyClaim::Taken
    );
    // A key claimed by another can never be advanced onto.
    assert_eq!(
        db.advance("b", 1, "tb/lich-cat-nuoc.html").await.unwrap(),
        Advance::NotOwner {
            key: "tb/lich-cat-nuoc.html".to_owned()
        }
    );
}

async fn an_older_revision_never_wins_even_retitled(db: &Registry) {
    // Revision 2 (retitled) first, then the late revision 1 with the old title.
    assert_eq!(
        publish(db, "r", 2, &["t/new-title.html"]).await,
        Advance::Newest {
            first: true,
            redirects: vec![]
        }
    );
    assert!(matches!(
        claim(db, "r", 1, &["t/old-title.html"]).await,
        KeyClaim::Stale { newest: 2 }
    ));
    // Even a worker that claimed the old key before revision 2 landed is refused.
    let late = db.advance("r", 1, "t/new-title.html").await.unwrap();
    assert!(
        matches!(late, Advance::Stale(ref s) if s.revision == 2),
        "{late:?}"
    );
    let state = db.article("r").await.unwrap().unwrap();
    assert_eq!(state.page_key.as_deref(), Some("t/new-title.html"));
    assert_eq!(state.revision, 2);
    // The same revision again is a redelivery: the same verdict.
    assert_eq!(
        db.advance("r", 2, "t/new-title.html").await.unwrap(),
        Advance::Newest {
            first: true,
            redirects: vec![]
        }
    );
}

async fn moves_leave_redirects_that_never_chain(db: &Registry) {
    publish(db, "m", 1, &["cat/one.html"]).await;
    assert_eq!(
        publish(db, "m", 2, &["cat/two.html"]).await,
        Advance::Newest {
            first: false,
            redirects: keys(&["cat/one.html"])
        }
    );
    assert_eq!(
        publish(db, "m", 3, &["other/three.html"]).await,
        Advance::Newest {
            first: false,
            redirects: keys(&["cat/one.html", "cat/two.html"])
        }
    );
    // A correction that keeps the title rewrites no redirect.
    assert_eq!(
        publish(db, "m", 4, &["other/three.html"]).await,
        Advance::Newest {
            first: false,
            redirects: vec![]
        }
    );
    // Back to the first title: its key is the page again, the rest point at it.
    assert_eq!(
        publish(db, "m", 5, &["cat/one.html"]).await,
        Advance::Newest {
            first: false,
            redirects: keys(&["cat/two.html", "other/three.html"])
        }
    );
    // Read back in one statement: the page, and every redirect once, in order.
    let state = db.article("m").await.unwrap().unwrap();
    assert_eq!(
        (state.revision, state.page_key.as_deref(), state.redirects),
        (
            5,
            Some("cat/one.html"),
            keys(&["cat/two.html", "other/three.html"])
        )
    );
    let single = db.article("never-published").await.unwrap();
    assert_eq!(single, None);
}

async fn withdrawals_stop_older_revisions_and_a_newer_one_returns(db: &Registry) {
    assert_eq!(db.withdraw("nobody", "x").await.unwrap(), Takedown::Unknown);
    publish(db, "w", 1, &["cat/w.html"]).await;
    publish(db, "w", 2, &["cat/w2.html"]).await;
    let Takedown::Live(withdrawn) = db.withdraw("w", "Đăng nhầm").await.unwrap() else {
        panic!("w was live");
    };
    assert_eq!(withdrawn.page_key.as_deref(), Some("cat/w2.html"));
    assert_eq!(withdrawn.redirects, keys(&["cat/w.html"]));
    assert_eq!(withdrawn.withdrawn.as_ref().unwrap().through, 2);
    assert_eq!(withdrawn.withdrawn.as_ref().unwrap().reason, "Đăng nhầm");
    assert!(!db.article("w").await.unwrap().unwrap().is_live());
    assert!(matches!(
        claim(db, "w", 2, &["cat/w2.html"]).await,
        KeyClaim::Withdrawn { through: 2 }
    ));
    assert_eq!(
        db.advance("w", 2, "cat/w2.html").await.unwrap(),
        Advance::Withdrawn { through: 2 }
    );
    // Revision 3 publishes it again, announced as new, with its redirects rewritten.
    assert_eq!(
        publish(db, "w", 3, &["cat/w2.html"]).await,
        Advance::Newest {
            first: true,
            redirects: keys(&["cat/w.html"])
        }
    );
    let live = db.live_articles().await.unwrap();
    let w = live.iter().find(|a| a.article_id == "w").unwrap();
    assert_eq!(w.redirects, keys(&["cat/w.html"]));
    assert!(w.is_live());
}

/// Many writers with revisions 1..=N of one article, in any order: the
/// registry ends at N, and exactly one writer is told its revision is newest
/// when it finishes last.
async fn racing_writers_agree_on_the_newest(db: &Registry) {
    let mut tasks = tokio::task::JoinSet::new();
    for revision in (1..=12u64).rev() {
        let db = db.clone();
        tasks.spawn(async move {
            let key = format!("race/r{}.html", revision % 3);
            let KeyClaim::Owned(key) = db.claim_key("race", revision, &[], &[key]).await.unwrap()
            else {
                return;
            };
            let _ = db.advance("race", revision, &key).await.unwrap();
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap();
    }
    let state = db.article("race").await.unwrap().unwrap();
    assert_eq!(state.revision, 12);
    assert_eq!(state.page_key.as_deref(), Some("race/r0.html"));
    assert!(!state.redirects.contains(&"race/r0.html".to_owned()));
}

/// A key an older slug rule gave: kept by the article that owns it, never
/// handed to another, never claimed when nobody owns it.
async fn kept_keys_stay_with_their_owner_and_go_to_no_one_else(db: &Registry) {
    let legacy = "tin-tuc/ang-bo-quan.html";
    let current = "tin-tuc/dang-bo-quan.html";
    assert_eq!(
        publish(db, "kept", 1, &[legacy]).await,
        Advance::Newest {
            first: true,
            redirects: vec![]
        }
    );
    let keep = |id: &'static str, revision: u64, claimable: &'static str| async move {
        db.claim_key(id, revision, &keys(&[legacy]), &keys(&[claimable]))
            .await
            .unwrap()
    };
    // The same title again: its page stays where it was published.
    assert_eq!(
        keep("kept", 2, current).await,
        KeyClaim::Owned(legacy.to_owned())
    );
    // Another article with that title gets the current rule's key.
    assert_eq!(
        keep("newcomer", 1, current).await,
        KeyClaim::Owned(current.to_owned())
    );
    // A kept key nobody owns is not claimed by asking.
    let unowned = "tin-tuc/ang-bo-phuong.html";
    let claimed = db
        .claim_key(
            "fresh",
            1,
            &keys(&[unowned]),
            &keys(&["tin-tuc/dang-bo-phuong.html"]),
        )
        .await
        .unwrap();
    assert_eq!(
        claimed,
        KeyClaim::Owned("tin-tuc/dang-bo-phuong.html".to_owned())
    );
    assert_eq!(
        claim(db, "someone-else", 1, &[unowned]).await,
        KeyClaim::Owned(unowned.to_owned()),
        "asking to keep {unowned} must not have claimed it"
    );
}

async fn every_case(db: &Registry) {
    kept_keys_stay_with_their_owner_and_go_to_no_one_else(db).await;
    keys_go_to_the_first_article_and_the_next_gets_its_own(db).await;
    an_older_revision_never_wins_even_retitled(db).await;
    moves_leave_redirects_that_never_chain(db).await;
    withdrawals_stop_older_revisions_and_a_newer_one_returns(db).await;
    racing_writers_agree_on_the_newest(db).await;
    schedule::every_case(db).await;
    views::every_case(db).await;
    images::every_case(db).await;
    index_records::every_case(db).await;
    index_records::listings(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_on_sqlite() {
    let (db, _dir) = sqlite().await;
    every_case(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_on_postgres() {
    if databases::skip_without_postgres() {
        return;
    }
    let (db, name) = postgres("cases").await;
    every_case(&db).await;
    db.close().await;
    databases::drop_postgres(&name).await;
}

/// Every worker opens the database at start, often at the same moment: on
/// a fresh SQLite file they race to switch it to WAL and to migrate it, and
/// every one of them must come up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_processes_may_open_a_fresh_sqlite_file_at_once() {
    let (url, _dir) = databases::sqlite("fresh.db");
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let url = url.clone();
        opening.spawn(async move { Registry::open(&url).await.map(|_| ()) });
    }
    while let Some(opened) = opening.join_next().await {
        opened.unwrap().unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Writes go through a pool of their own on SQLite; an in-memory database
/// is one per pool, so there the two must be one pool, or a read would not
/// see the write before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_registry_reads_what_it_wrote() {
    let db = Registry::open(&gazette_subscribers::DatabaseUrl::parse("sqlite::memory:").unwrap())
        .await
        .unwrap();
    assert!(matches!(
        publish(&db, "mem", 1, &["thoi-su/bo-nho.html"]).await,
        Advance::Newest { first: true, .. }
    ));
    let state = db.article("mem").await.unwrap().unwrap();
    assert_eq!(state.revision, 1);
    assert_eq!(state.page_key.as_deref(), Some("thoi-su/bo-nho.html"));
}

/// One process's writers on one SQLite file take turns on its single
/// writing connection: many more at once than the pool has connections
/// all commit, none times out waiting, and each reads back its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_s_concurrent_writers_on_sqlite_all_commit() {
    let (db, _dir) = sqlite().await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..64 {
        let db = db.clone();
        tasks.spawn(async move {
            let id = format!("turn-{n}");
            let advanced = publish(&db, &id, 1, &[&format!("thoi-su/luot-{n}.html")]).await;
            db.add_views(&[(id.clone(), 1)]).await.unwrap();
            (id, advanced)
        });
    }
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        let (id, advanced) = joined.unwrap();
        assert!(
            matches!(advanced, Advance::Newest { first: true, .. }),
            "{id}: {advanced:?}"
        );
        assert_eq!(db.views(&id).await.unwrap(), 1, "{id}");
        done += 1;
    }
    assert_eq!(done, 64);
}
