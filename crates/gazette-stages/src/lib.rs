//! The stage handlers, validate → render → publish and the notifier's notify → deliver, each a `(context, event) -> events` function.
//!
//! Handlers never touch the broker: they return [`gazette_broker::Outbound`]
//! events or an error whose variant decides retry or dead-letter, and the
//! loop in `gazette-broker` does the rest.

mod notify;
mod publish;
mod render;
mod revisions;
mod validate;
mod wire;

use gazette_broker::{Exchange, StageSpec};

pub use notify::{
    DeliverFailure, DeliverSettings, DeliverStage, Due, NOTIFICATION_DUE, NotifyFailure,
    NotifyStage, use_webhook_schedule,
};
pub use publish::{PublishFailure, PublishSettings, PublishStage, page_key};
pub use render::{RenderFailure, RenderStage, SiteSettings};
pub use revisions::revision_key;
pub use validate::{ValidateFailure, ValidateStage};
pub use wire::{decode_event, encode_event};

pub const VALIDATE: StageSpec = StageSpec {
    name: "validate",
    consumes: &[(Exchange::Events, "article.submitted")],
};
pub const RENDER: StageSpec = StageSpec {
    name: "render",
    consumes: &[(Exchange::Internal, "article.validated")],
};
pub const PUBLISH: StageSpec = StageSpec {
    name: "publish",
    consumes: &[(Exchange::Internal, "article.rendered")],
};

pub const NOTIFY: StageSpec = StageSpec {
    name: "notify",
    consumes: &[(Exchange::Events, "article.published")],
};
pub const DELIVER: StageSpec = StageSpec {
    name: "deliver",
    consumes: &[(Exchange::Internal, NOTIFICATION_DUE)],
};

/// The publishing pipeline's stages, in order.
pub const STAGES: [StageSpec; 3] = [VALIDATE, RENDER, PUBLISH];
/// The notifier's stages.
pub const NOTIFIER_STAGES: [StageSpec; 2] = [NOTIFY, DELIVER];
/// Everything a namespace holds queues for.
pub const ALL_STAGES: [StageSpec; 5] = [VALIDATE, RENDER, PUBLISH, NOTIFY, DELIVER];
