//! The pipeline's stage handlers, validate → render → publish, each a `(context, event) -> events` function.
//!
//! Handlers never touch the broker: they return [`gazette_broker::Outbound`]
//! events or an error whose variant decides retry or dead-letter, and the
//! loop in `gazette-broker` does the rest.

mod publish;
mod render;
mod revisions;
mod validate;
mod wire;

use gazette_broker::{Exchange, StageSpec};

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

/// Every stage, in pipeline order.
pub const STAGES: [StageSpec; 3] = [VALIDATE, RENDER, PUBLISH];
