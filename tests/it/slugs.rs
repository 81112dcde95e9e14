//! The slug rule's change on `gazette up`: a page published under the older rule keeps its address while its title stands, and new articles and retitles take the current rule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use crate::support::cms::{CATEGORY, article, publish};
use crate::support::needs;
use crate::support::{TestEnv, Worker};
use gazette_subscribers::{Advance, DatabaseUrl, KeyClaim, Registry};
use gazette_text::{SlugRule, slugify_with};

/// A title from text converted out of VNI or TCVN3: U+00D0 ETH where
/// U+0110 Đ was meant, which the older rule dropped.
const ETH_TITLE: &str = "\u{00D0}ảng bộ quận Ninh Kiều họp phiên thường kỳ";

/// Records `id` as published under the older rule, as a registry written
/// before the change would hold it: the key its title gave then, live.
async fn published_before_the_change(env: &TestEnv, id: &str, title: &str) -> String {
    let registry = Registry::open(&DatabaseUrl::parse(&env.database_url()).unwrap())
        .await
        .unwrap();
    let key = format!("{CATEGORY}/{}.html", slugify_with(SlugRule::Folded, title));
    let claim = registry
        .claim_key(id, 1, &[], std::slice::from_ref(&key))
        .await
        .unwrap();
    assert_eq!(claim, KeyClaim::Owned(key.clone()));
    let advance = registry.advance(id, 1, &key).await.unwrap();
    assert!(
        matches!(advance, Advance::Newest { first: true, .. }),
        "{advance:?}"
    );
    key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_keep_their_address_across_the_slug_rules_change_until_retitled() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("slugs").await;
    let legacy = published_before_the_change(&env, "eth-1", ETH_TITLE).await;
    assert_eq!(
        legacy,
        format!("{CATEGORY}/ang-bo-quan-ninh-kieu-hop-phien-thuong-ky.html")
    );
    let _up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));

    // A correction with the same title: the page stays where readers know it.
    let revised = publish(&env, &[article("eth-1", 2, ETH_TITLE)]);
    assert_eq!(revised, vec![legacy.clone()]);

    // A new article with that title takes the current rule, every letter kept.
    let newcomer = publish(&env, &[article("eth-2", 1, ETH_TITLE)]);
    assert_eq!(
        newcomer,
        vec![format!(
            "{CATEGORY}/dang-bo-quan-ninh-kieu-hop-phien-thuong-ky.html"
        )]
    );

    // A retitle moves to the current rule and the old address answers 301.
    let retitled = publish(
        &env,
        &[article(
            "eth-1",
            3,
            "\u{00D0}ảng bộ quận Ninh Kiều họp bất thường",
        )],
    );
    assert_eq!(
        retitled,
        vec![format!(
            "{CATEGORY}/dang-bo-quan-ninh-kieu-hop-bat-thuong.html"
        )]
    );
    let store = env.store().await;
    let old = store.head(&legacy).await.unwrap().expect("the old address");
    assert_eq!(
        old.redirect.as_deref(),
        Some(format!("/{}", retitled[0]).as_str())
    );
    let page = store.head(&retitled[0]).await.unwrap().expect("the page");
    assert_eq!(
        page.metadata.get("article-id").map(String::as_str),
        Some("eth-1")
    );
    env.teardown().await;
}
