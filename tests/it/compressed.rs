//! Hand-offs between stages travel zstd-compressed: the rendered pages go compressed, a plain hand-off from an older stage is still read, and a compressed one that is broken, expands past the message limit or asks for a window the limit cannot need is dead-lettered while the good ones behind it are rendered.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::collections::BTreeMap;

use gazette_broker::{Exchange, Publisher, Tap, body, headers};
use gazette_contract::{EventType, Schemas, VALIDATED_WITHOUT_PICTURES};
use gazette_stages::{ValidateStage, encode_event};
use serde_json::Value;

use crate::support::{PATIENCE, TestEnv, cms, needs};

const LIMIT: usize = 256 * 1024;

/// `article.validated` for a fresh copy of the example article, as validate
/// makes it, addressed past the media stage to render.
fn hand_off(schemas: &Schemas, id: &str) -> gazette_broker::Outbound {
    let article = cms::article(id, 1, "Bài nén");
    let submission = serde_json::to_vec(&cms::submitted(id, &article)).unwrap();
    let event = ValidateStage::new(schemas.clone())
        .validate(&submission)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut message = encode_event(EventType::Validated, &event).unwrap();
    message.routing_key = VALIDATED_WITHOUT_PICTURES.to_owned();
    message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_hand_offs_are_read_within_the_limit_and_broken_ones_are_dead_lettered() {
    needs!(RabbitMq, Garage);
    let mut env = TestEnv::start("zstd").await;
    env.extra_env
        .push(("GAZETTE_MAX_MESSAGE_BYTES".to_owned(), LIMIT.to_string()));
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
    let publisher = Publisher::connect(&env.settings, "test").await.unwrap();
    let schemas = Schemas::load().unwrap();

    // A whole, valid event that only a reader ignoring the limit would take:
    // a few kilobytes on the wire, a megabyte once decoded.
    let mut bomb = hand_off(&schemas, "nen-bom");
    let mut document: Value = serde_json::from_slice(&bomb.body).unwrap();
    document["data"]["body_html"] = Value::String(format!("<p>{}</p>", "a".repeat(1 << 20)));
    bomb.body = body::compress(&serde_json::to_vec(&document).unwrap()).unwrap();
    assert!(bomb.body.len() < LIMIT / 8, "{} bytes", bomb.body.len());
    bomb.content_encoding = Some(body::ZSTD);
    // Marked compressed, but not zstd at all.
    let mut garbage = hand_off(&schemas, "nen-rac");
    garbage.body = b"{\"type\":\"article.validated\"} not a zstd frame".to_vec();
    garbage.content_encoding = Some(body::ZSTD);
    // A valid event in a frame that declares a 128 MiB window, as a sender
    // could to make every reader allocate it.
    let mut window = hand_off(&schemas, "nen-cua-so");
    window.body = {
        use std::io::Write;
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        encoder
            .set_parameter(zstd::zstd_safe::CParameter::WindowLog(27))
            .unwrap();
        encoder.write_all(&window.body).unwrap();
        encoder.finish().unwrap()
    };
    window.content_encoding = Some(body::ZSTD);
    // As a stage from before compression sends it; "identity" keeps it plain.
    let mut plain = hand_off(&schemas, "nen-tho");
    plain.content_encoding = Some("identity");
    let compressed = hand_off(&schemas, "nen-that");
    for message in [&bomb, &garbage, &window, &plain, &compressed] {
        publisher.publish(message).await.expect("confirmed");
    }

    let mut reasons = BTreeMap::new();
    while reasons.len() < 3 {
        let letter = dead
            .next(PATIENCE)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("dead letters so far: {reasons:?}"));
        let id = letter.message_id.clone().unwrap_or_default();
        // The letter keeps the body as it came, marked as it came: the
        // garbage stays undecodable, the bomb still expands (this tap reads
        // past the stage's limit) from the few kilobytes it travelled as.
        if id == garbage.message_id {
            assert_eq!(letter.content_encoding.as_deref(), Some(body::ZSTD));
            assert_eq!(letter.body, garbage.body);
        } else if id == window.message_id {
            assert_eq!(letter.content_encoding.as_deref(), Some(body::ZSTD));
            assert_eq!(letter.wire_bytes, window.body.len());
        } else {
            assert_eq!(letter.wire_bytes, bomb.body.len(), "{id}");
            assert!(
                letter.body.len() > LIMIT,
                "{id}: {} bytes",
                letter.body.len()
            );
        }
        let detail = letter
            .headers
            .get(headers::DETAIL)
            .cloned()
            .unwrap_or_default();
        assert!(detail.contains("zstd"), "{id}: {detail}");
        reasons.insert(
            id,
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
            (bomb.message_id.clone(), "oversized".to_owned()),
            (garbage.message_id.clone(), "undecodable-body".to_owned()),
            (window.message_id.clone(), "undecodable-body".to_owned()),
        ])
    );

    let mut subjects = Vec::new();
    for _ in 0..2 {
        let page = rendered
            .next(PATIENCE)
            .await
            .unwrap()
            .expect("the good hand-offs behind them were rendered");
        assert!(
            page.wire_bytes < page.body.len() / 2,
            "the rendered hand-off travelled compressed: {} bytes on the wire for {}",
            page.wire_bytes,
            page.body.len()
        );
        assert_eq!(page.content_encoding, None, "decoded for the reader");
        let event: Value = serde_json::from_slice(&page.body).unwrap();
        subjects.push(event["subject"].as_str().unwrap_or_default().to_owned());
    }
    subjects.sort();
    assert_eq!(subjects, ["nen-that", "nen-tho"]);

    publisher.close().await;
    rendered.close().await;
    dead.close().await;
    env.teardown().await;
}
