//! Which articles the media stage sees: one that names no picture goes from validate straight to render (published with no media worker running), one with pictures still goes through media, and a hand-off past media that names a picture is dead-lettered while the good one behind it is rendered.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::collections::BTreeMap;

use gazette_broker::{Exchange, Publisher, Tap, headers};
use gazette_contract::{EventType, Schemas, VALIDATED_WITHOUT_PICTURES};
use gazette_stages::{ValidateStage, encode_event};
use serde_json::{Value, json};

use crate::support::pictures::with_cover;
use crate::support::{PATIENCE, TestEnv, cms, needs};

/// Every message on `tap` until `count` have come, by message id: the
/// routing key each came on.
async fn routed(tap: &mut Tap, count: usize) -> BTreeMap<String, String> {
    let mut seen = BTreeMap::new();
    while seen.len() < count {
        let message = tap
            .next(PATIENCE)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("only these came: {seen:?}"));
        let id = message.message_id.clone().unwrap_or_default();
        seen.insert(id, message.routing_key.clone());
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_without_pictures_skips_the_media_stage_and_one_with_pictures_does_not() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("mediahop").await;
    env.declare_topology().await;
    let mut handed_on = Tap::bind(
        &env.settings,
        Exchange::Internal,
        &[
            EventType::Validated.as_str(),
            VALIDATED_WITHOUT_PICTURES,
            EventType::Illustrated.as_str(),
        ],
    )
    .await
    .unwrap();
    // No media worker: an article that needed one could not be published.
    let _workers: Vec<_> = ["validate", "render", "publish"]
        .into_iter()
        .map(|stage| env.spawn_worker(stage))
        .collect();

    let mut text_only = cms::article("chu-tron", 1, "Bài chỉ có chữ");
    // A link to a picture is not a picture on the page.
    text_only["body"] = json!({"format": "markdown", "content": "Nội dung, [ảnh gốc](https://cms.example.vn/a.png)."});
    let covered = with_cover(
        "co-bia",
        "Bài có ảnh bìa",
        "https://cms.example.vn/bia.jpg",
        "Nội dung.",
    );
    let mut inline = cms::article("anh-trong-bai", 1, "Bài có ảnh trong bài");
    inline["body"] = json!({"format": "markdown", "content": "Đoạn đầu.\n\n![Ảnh](https://cms.example.vn/a.png)"});
    for article in [&covered, &inline] {
        cms::post(
            &env,
            EventType::Submitted,
            &cms::submitted(article["id"].as_str().unwrap(), article),
        )
        .await;
    }
    let out = env.submit_and_wait(std::slice::from_ref(&text_only));
    assert!(out.contains("published revision 1 of chu-tron"), "{out}");

    let seen = routed(&mut handed_on, 3).await;
    let validated_id = |id: &str| gazette_contract::event_id(id, 1, EventType::Validated);
    assert_eq!(
        seen.get(&validated_id("chu-tron")).map(String::as_str),
        Some(VALIDATED_WITHOUT_PICTURES),
        "{seen:?}"
    );
    for pictured in ["co-bia", "anh-trong-bai"] {
        assert_eq!(
            seen.get(&validated_id(pictured)).map(String::as_str),
            Some(EventType::Validated.as_str()),
            "{pictured} goes to the media stage: {seen:?}"
        );
    }
    assert!(
        !seen
            .values()
            .any(|key| key == EventType::Illustrated.as_str()),
        "nothing was illustrated without a media worker: {seen:?}"
    );
    handed_on.close().await;
    env.teardown().await;
}

/// `article.validated` for `article`, as validate makes it.
fn validated(
    schemas: &Schemas,
    article: &Value,
) -> gazette_contract::Envelope<gazette_contract::ValidatedArticle> {
    let id = article["id"].as_str().unwrap();
    let submission = serde_json::to_vec(&cms::submitted(id, article)).unwrap();
    ValidateStage::new(schemas.clone())
        .validate(&submission)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_off_past_media_that_names_a_picture_is_dead_lettered_and_the_next_is_rendered() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("mediaforge").await;
    env.declare_topology().await;
    let mut rendered = Tap::bind(
        &env.settings,
        Exchange::Internal,
        &[EventType::Rendered.as_str()],
    )
    .await
    .unwrap();
    let mut dead = env.dead_letters("render").await;
    let _render = env.spawn_worker("render");

    let schemas = Schemas::load().unwrap();
    // Validate would have sent these to media; sent past it instead.
    let mut in_body = validated(&schemas, &cms::article("gia-1", 1, "Bài giả một"));
    in_body.data.body_html =
        r#"<p>x <img src="https://tracker.example/p.gif" alt=""></p>"#.to_owned();
    let with_cover_image = validated(
        &schemas,
        &with_cover(
            "gia-2",
            "Bài giả hai",
            "https://tracker.example/b.jpg",
            "Nội dung.",
        ),
    );
    let good = validated(&schemas, &cms::article("that-1", 1, "Bài thật"));
    let publisher = Publisher::connect(&env.settings, "test").await.unwrap();
    for event in [&in_body, &with_cover_image, &good] {
        let mut message = encode_event(EventType::Validated, event).unwrap();
        message.routing_key = VALIDATED_WITHOUT_PICTURES.to_owned();
        publisher.publish(&message).await.expect("confirmed");
    }

    let mut reasons = BTreeMap::new();
    while reasons.len() < 2 {
        let letter = dead
            .next(PATIENCE)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("dead letters so far: {reasons:?}"));
        assert!(
            letter
                .headers
                .get(headers::DETAIL)
                .is_some_and(|d| d.contains(VALIDATED_WITHOUT_PICTURES)),
            "{:?}",
            letter.headers
        );
        reasons.insert(
            letter.message_id.clone().unwrap_or_default(),
            letter
                .headers
                .get(headers::REASON)
                .cloned()
                .unwrap_or_default(),
        );
    }
    assert_eq!(
        reasons,
        BTreeMap::from([
            (in_body.id.clone(), "malformed-event".to_owned()),
            (with_cover_image.id.clone(), "malformed-event".to_owned()),
        ])
    );
    let page = rendered
        .next(PATIENCE)
        .await
        .unwrap()
        .expect("the good article behind them was rendered");
    let body: Value = serde_json::from_slice(&page.body).unwrap();
    assert_eq!(body["subject"], "that-1");

    publisher.close().await;
    rendered.close().await;
    dead.close().await;
    env.teardown().await;
}
