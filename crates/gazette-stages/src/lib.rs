//! The stage handlers, validate → render → publish and the notifier's notify → deliver, each a `(context, event) -> events` function.
//!
//! Handlers never touch the broker: they return [`gazette_broker::Outbound`]
//! events or an error whose variant decides retry or dead-letter, and the
//! loop in `gazette-broker` does the rest.

mod index;
mod notify;
mod pages;
mod publish;
mod rejection;
mod render;
mod validate;
mod wire;

use gazette_broker::{Exchange, StageSpec};
use gazette_store::Store;

/// The two stores Gazette writes. Only what readers should see goes to
/// `site`; revision copies and the indexer's state go to `archive`, which
/// no website endpoint serves.
#[derive(Debug, Clone)]
pub struct Stores {
    pub site: Store,
    pub archive: Store,
}

/// Runs CPU-heavy work (sanitising, rendering, checking a large message
/// against its schema) on tokio's blocking pool, so the reactor that
/// answers `/healthz`, keeps broker heartbeats and sends acks never waits
/// behind a pathological body. The stage's concurrency bounds how many run
/// at once; `Err` carries a panic's message.
pub(crate) async fn off_reactor<T, F>(work: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| e.to_string())
}

pub use gazette_site::revision_key;
pub use index::{
    FlushReport, IndexFailure, IndexSettings, IndexStage, RebuildError, RebuildProgress,
    RebuildReport, rebuild,
};
pub use notify::{
    DeliverFailure, DeliverSettings, DeliverStage, Due, NOTIFICATION_DUE, NotifyFailure,
    NotifyStage, use_webhook_schedule,
};
pub use pages::PagesError;
pub use publish::{PublishFailure, PublishSettings, PublishStage};
pub use render::{ArticlePages, RenderFailure, RenderStage, SiteSettings};
pub use validate::{ValidateFailure, ValidateStage};
pub use wire::{MalformedEvent, decode_event, encode_event};

/// The one stage that consumes upstream's events: everything upstream
/// sends is judged here before any stage that writes the site sees it.
pub const VALIDATE: StageSpec = StageSpec {
    name: "validate",
    consumes: &[
        (Exchange::Events, "article.submitted"),
        (Exchange::Events, "article.withdrawn"),
    ],
    single_active_consumer: false,
    retired: &[],
};
pub const RENDER: StageSpec = StageSpec {
    name: "render",
    consumes: &[(Exchange::Internal, "article.validated")],
    single_active_consumer: false,
    retired: &[],
};
/// Publish also carries out withdrawals: both write and delete the same
/// pages. It consumes only hand-offs from other stages, never `<ns>.events`.
pub const PUBLISH: StageSpec = StageSpec {
    name: "publish",
    consumes: &[
        (Exchange::Internal, "article.rendered"),
        (Exchange::Internal, "withdrawal.validated"),
    ],
    single_active_consumer: false,
    // Before withdrawals went through validate, publish read them from
    // upstream's exchange; left bound, every withdrawal would also reach
    // publish unvalidated (and be refused there as malformed).
    retired: &[(Exchange::Events, "article.withdrawn")],
};

pub const NOTIFY: StageSpec = StageSpec {
    name: "notify",
    consumes: &[
        (Exchange::Events, "article.published"),
        (Exchange::Events, "article.updated"),
    ],
    single_active_consumer: false,
    retired: &[],
};
pub const DELIVER: StageSpec = StageSpec {
    name: "deliver",
    consumes: &[(Exchange::Internal, NOTIFICATION_DUE)],
    single_active_consumer: false,
    retired: &[],
};

/// Keeps listings, feeds and the sitemap current. One consumer at a time:
/// the site state is read, changed and written whole.
pub const INDEX: StageSpec = StageSpec {
    name: "index",
    consumes: &[
        (Exchange::Events, "article.published"),
        (Exchange::Events, "article.updated"),
        (Exchange::Events, "article.unpublished"),
    ],
    single_active_consumer: true,
    retired: &[],
};

/// The publishing pipeline's stages, in order.
pub const STAGES: [StageSpec; 3] = [VALIDATE, RENDER, PUBLISH];
/// The notifier's stages.
pub const NOTIFIER_STAGES: [StageSpec; 2] = [NOTIFY, DELIVER];
/// Everything a namespace holds queues for.
pub const ALL_STAGES: [StageSpec; 6] = [VALIDATE, RENDER, PUBLISH, INDEX, NOTIFY, DELIVER];
