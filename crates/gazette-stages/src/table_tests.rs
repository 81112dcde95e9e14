//! The stage table's own rules, and proof that each stage builds from exactly the needs it declares.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use gazette_broker::{AmqpUrl, BrokerSettings, RetryClass};
use gazette_contract::Schemas;
use gazette_render::{Renderer, Theme};
use gazette_store::Store;
use gazette_subscribers::{DatabaseUrl, Registry, Subscribers};
use gazette_webhooks::{AddressPolicy, WebhookClient};

use super::*;

#[test]
fn names_are_unique_queue_safe_and_companions_exist() {
    let mut seen = HashSet::new();
    for stage in &STAGES {
        let name = stage.name();
        assert!(seen.insert(name), "{name} appears twice");
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase()),
            "{name:?} would not make a clean queue or user name"
        );
        assert!(!stage.spec.consumes.is_empty(), "{name} consumes nothing");
        assert!(!stage.about.is_empty(), "{name} has no help line");
        for companion in stage.companions {
            let other = super::stage(companion).unwrap_or_else(|| panic!("{name}: no {companion}"));
            assert!(other.companions.is_empty(), "companions do not nest");
            assert!(other.is_companion());
        }
    }
    assert!(super::stage("no-such-stage").is_none());
}

#[test]
fn every_part_has_stages_and_the_pipeline_is_in_article_order() {
    let pipeline: Vec<_> = specs_of(Part::Pipeline).iter().map(|s| s.name).collect();
    assert_eq!(pipeline, ["validate", "media", "render", "publish"]);
    assert!(!specs_of(Part::Site).is_empty());
    assert!(!specs_of(Part::Notifier).is_empty());
    assert_eq!(all_specs().len(), STAGES.len());
}

#[test]
fn only_upstreams_door_reads_upstreams_submissions() {
    for stage in &STAGES {
        let reads_upstream = stage.spec.consumes.iter().any(|(exchange, key)| {
            *exchange == Exchange::Events
                && matches!(*key, "article.submitted" | "article.withdrawn")
        });
        assert_eq!(
            reads_upstream,
            stage.name() == "validate",
            "{}",
            stage.name()
        );
    }
}

#[test]
fn floors_and_retry_classes_are_the_stages_own() {
    let settings = BrokerSettings::new(AmqpUrl::new("amqp://localhost"), "t");
    let deliver = super::stage("deliver").unwrap().spec;
    let index = super::stage("index").unwrap().spec;
    assert_eq!(deliver.retry, RetryClass::Slow);
    assert_eq!(settings.retry_for(&deliver).max_attempts, 7);
    assert_eq!(settings.for_stage(&deliver).concurrency, 64);
    assert_eq!(settings.for_stage(&index).prefetch, MAX_BATCH);
    // A floor never lowers what the operator set.
    let mut generous = settings.clone();
    generous.concurrency = 1000;
    assert_eq!(generous.for_stage(&deliver).concurrency, 1000);
    let validate = super::stage("validate").unwrap().spec;
    assert_eq!(settings.for_stage(&validate).prefetch, settings.prefetch);
}

/// Resources holding only what `needs` asks for, on files in `dir`.
async fn resources_for(needs: Needs, dir: &std::path::Path) -> Resources {
    let database = DatabaseUrl::parse(&format!("sqlite://{}/gazette.db", dir.display())).unwrap();
    let file_store = |name: &str| format!("file://{}/{name}", dir.display());
    Resources {
        broker: BrokerSettings::new(AmqpUrl::new("amqp://localhost"), "t"),
        schemas: Schemas::load().unwrap(),
        site: SiteSettings {
            name: "Cổng thông tin quận".to_owned(),
            public_url: None,
            time_zone: chrono_tz::Asia::Ho_Chi_Minh,
            sections: Vec::new(),
            views_api: None,
            search: true,
        },
        publish: PublishSettings::default(),
        index: IndexSettings::default(),
        media: crate::MediaSettings::default(),
        deliver: DeliverSettings {
            site_name: "Cổng thông tin quận".to_owned(),
            time_zone: chrono_tz::Asia::Ho_Chi_Minh,
            api_url: "http://127.0.0.1:8080".to_owned(),
            max_attempts: 1,
            lease: Duration::from_secs(60),
            clock_factor: 1,
        },
        renderer: needs
            .renderer
            .then(|| Arc::new(Renderer::new(&Theme::built_in()).unwrap())),
        stores: match needs.stores {
            true => Some(Stores {
                site: Store::open(&file_store("site")).await.unwrap(),
                archive: Store::open(&file_store("archive")).await.unwrap(),
            }),
            false => None,
        },
        registry: match needs.registry {
            true => Some(Registry::open(&database).await.unwrap()),
            false => None,
        },
        subscribers: match needs.subscribers {
            true => Some(Subscribers::open(&database).await.unwrap()),
            false => None,
        },
        webhooks: needs
            .senders
            .then(|| WebhookClient::new(AddressPolicy::default(), Duration::from_secs(1)).unwrap()),
        mailer: None,
    }
}

#[tokio::test]
async fn each_stage_builds_from_exactly_the_needs_it_declares() {
    for stage in &STAGES {
        let dir = tempfile::tempdir().unwrap();
        let resources = resources_for(stage.needs, dir.path()).await;
        let launch = stage
            .build(&resources)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", stage.name()));
        assert_eq!(launch.name(), stage.name());
        // Missing a need it declares is a clear error, not a panic.
        if stage.needs != Needs::NOTHING {
            let bare = resources_for(Needs::NOTHING, dir.path()).await;
            let refused = stage.build(&bare).await.err().unwrap();
            assert!(
                matches!(refused, BuildError::NotOpened { stage: s, .. } if s == stage.name()),
                "{}: {refused}",
                stage.name()
            );
        }
    }
}
