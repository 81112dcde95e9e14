//! Every example payload in the repository validates against its schema file and round-trips through the Rust types.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};

use gazette_contract::{
    Article, Envelope, EventType, Published, Rejected, Rendered, Scheduled, Schemas, Unpublished,
    ValidatedArticle, Withdrawal,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Decoding into `T` and encoding again gives back the same JSON document.
fn round_trip<T: Serialize + DeserializeOwned>(document: &Value, what: &Path) {
    let typed: T = serde_json::from_value(document.clone())
        .unwrap_or_else(|e| panic!("{}: {e}", what.display()));
    assert_eq!(
        &serde_json::to_value(&typed).unwrap(),
        document,
        "{} does not round-trip",
        what.display()
    );
}

#[test]
fn every_event_example_validates_and_round_trips() {
    let schemas = Schemas::load().unwrap();
    let files = json_files(&repo().join("schemas/examples"));
    let mut seen = Vec::new();
    for file in &files {
        let name = file.file_stem().unwrap().to_str().unwrap();
        let event_type = EventType::parse(name)
            .unwrap_or_else(|| panic!("{} names no event type", file.display()));
        let document: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        if let Err(errors) = schemas.check(event_type, &document) {
            panic!("{} breaks its schema: {errors:?}", file.display());
        }
        match event_type {
            EventType::Submitted => round_trip::<Envelope<Article>>(&document, file),
            EventType::Rejected => round_trip::<Envelope<Rejected>>(&document, file),
            EventType::Published | EventType::Updated => {
                round_trip::<Envelope<Published>>(&document, file)
            }
            EventType::Withdrawn | EventType::WithdrawalValidated => {
                round_trip::<Envelope<Withdrawal>>(&document, file)
            }
            EventType::Unpublished => round_trip::<Envelope<Unpublished>>(&document, file),
            EventType::Validated | EventType::Illustrated => {
                round_trip::<Envelope<ValidatedArticle>>(&document, file)
            }
            EventType::Rendered => round_trip::<Envelope<Rendered>>(&document, file),
            EventType::Scheduled => round_trip::<Envelope<Scheduled>>(&document, file),
        }
        seen.push(event_type);
    }
    for event_type in EventType::ALL {
        assert!(
            seen.contains(&event_type),
            "schemas/examples has no example of {event_type}"
        );
    }
}

#[test]
fn every_example_article_is_a_valid_submission_and_round_trips() {
    let schemas = Schemas::load().unwrap();
    let files = json_files(&repo().join("examples"));
    assert!(!files.is_empty());
    for file in &files {
        let article: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let event = json!({
            "specversion": "1.0", "id": "example", "source": "/test", "type": "article.submitted",
            "time": "2022-06-23T08:04:01Z", "subject": article["id"], "datacontenttype": "application/json",
            "data": article
        });
        if let Err(errors) = schemas.check(EventType::Submitted, &event) {
            panic!("{} is not a valid article: {errors:?}", file.display());
        }
        round_trip::<Article>(&article, file);
    }
}

#[test]
fn the_schemas_refuse_what_they_should() {
    let schemas = Schemas::load().unwrap();
    let example: Value = serde_json::from_slice(
        &std::fs::read(repo().join("schemas/examples/article.submitted.json")).unwrap(),
    )
    .unwrap();
    let broken = |pointer: &str, value: Value| {
        let mut event = example.clone();
        *event.pointer_mut(pointer).unwrap() = value;
        schemas
            .check(EventType::Submitted, &event)
            .expect_err("should be refused")
    };
    let errors = broken("/data/title", json!("x".repeat(301)));
    assert_eq!(errors[0].pointer, "/data/title");
    assert!(
        !errors[0].message.contains("xxxx"),
        "messages must not echo the value: {}",
        errors[0].message
    );
    assert_eq!(
        broken("/data/published_at", json!("23/06/2022 15:04"))[0].pointer,
        "/data/published_at"
    );
    assert_eq!(
        broken("/data/body/format", json!("docx"))[0].pointer,
        "/data/body/format"
    );
    assert_eq!(
        broken("/data/id", json!("Has Spaces"))[0].pointer,
        "/data/id"
    );
    assert_eq!(
        broken("/type", json!("article.published"))[0].pointer,
        "/type"
    );
    assert_eq!(
        broken("/specversion", json!("0.3"))[0].pointer,
        "/specversion"
    );
}

#[test]
fn a_webhook_body_carries_the_published_events_data_and_nothing_else() {
    let schemas = Schemas::load().unwrap();
    let event: Value = serde_json::from_slice(
        &std::fs::read(repo().join("schemas/examples/article.published.json")).unwrap(),
    )
    .unwrap();
    let body =
        json!({"type": "article.published", "timestamp": event["time"], "data": event["data"]});
    assert_eq!(schemas.check_webhook(&body), Ok(()));
    let mut extra = body.clone();
    extra["secret"] = json!("whsec_x");
    assert!(schemas.check_webhook(&extra).is_err());
    assert!(
        schemas
            .check_webhook(&json!({"type": "article.published", "timestamp": event["time"]}))
            .is_err()
    );
}

#[test]
fn a_cover_needs_an_alt_unless_decorative_and_an_http_source() {
    let schemas = Schemas::load().unwrap();
    let mut event: Value = serde_json::from_slice(
        &std::fs::read(repo().join("schemas/examples/article.submitted.json")).unwrap(),
    )
    .unwrap();
    let mut with_cover = |cover: Value| {
        event["data"]["cover_image"] = cover;
        schemas.check(EventType::Submitted, &event)
    };
    assert!(with_cover(json!({"src": "https://cms.example.vn/a.jpg", "alt": "Cầu"})).is_ok());
    assert!(with_cover(json!({"src": "https://cms.example.vn/a.jpg", "decorative": true})).is_ok());
    let pointers = |result: Result<(), Vec<gazette_contract::FieldError>>| {
        result
            .expect_err("should be refused")
            .into_iter()
            .map(|e| e.pointer)
            .collect::<Vec<_>>()
    };
    assert!(
        pointers(with_cover(json!({"src": "https://cms.example.vn/a.jpg"})))
            .contains(&"/data/cover_image".to_owned())
    );
    assert!(
        pointers(with_cover(
            json!({"src": "https://cms.example.vn/a.jpg", "alt": "", "decorative": false})
        ))
        .contains(&"/data/cover_image/alt".to_owned())
    );
    for src in [
        "/uploads/a.jpg",
        "file:///etc/passwd",
        "https://cms.example.vn/a b.jpg",
        "javascript:alert(1)",
    ] {
        assert!(
            pointers(with_cover(json!({"src": src, "alt": "x"})))
                .contains(&"/data/cover_image/src".to_owned()),
            "{src}"
        );
    }
    assert!(pointers(with_cover(json!({"src": "https://cms.example.vn/a.jpg", "alt": "x", "focal_point": {"x": 1.5, "y": 0}}))).contains(&"/data/cover_image/focal_point/x".to_owned()));
    assert!(
        pointers(with_cover(
            json!({"src": "https://cms.example.vn/a.jpg", "alt": "x", "width": 10})
        ))
        .contains(&"/data/cover_image".to_owned())
    );
}
