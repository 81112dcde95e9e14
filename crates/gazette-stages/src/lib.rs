//! The stage table and the stage handlers, validate → render → publish, index, and the notifier's notify → deliver, each a `(context, event) -> events` function.
//!
//! Handlers never touch the broker: they return [`gazette_broker::Outbound`]
//! events or an error whose variant decides retry or dead-letter, and the
//! loop in `gazette-broker` does the rest.

mod index;
mod launch;
mod listing;
mod media;
mod notify;
mod pages;
mod publish;
mod rejection;
mod render;
mod table;
mod validate;
mod wire;

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

pub use gazette_search::{Builder as SearchBuilder, serve_child as serve_search_child};
pub use gazette_site::revision_key;
pub use index::{
    FlushReport, IndexFailure, IndexSettings, IndexStage, RebuildError, RebuildOptions,
    RebuildProgress, RebuildReport, SearchIndex, SearchReport, WhenEmpty, rebuild,
};
pub use launch::Launch;
pub use media::{CpuPool, MAX_REDIRECTS, MediaBuildError, MediaFailure, MediaSettings, MediaStage};
pub use notify::{
    DeliverFailure, DeliverSettings, DeliverStage, Due, NOTIFICATION_DUE, NotifyFailure,
    NotifyStage,
};
pub use pages::PagesError;
pub use publish::{PublishFailure, PublishSettings, PublishStage};
pub use render::{ArticlePages, RenderFailure, RenderStage, SiteSettings};
pub use table::{BuildError, Needs, Part, Resources, STAGES, Stage, all_specs, specs_of, stage};
pub use validate::{ValidateFailure, ValidateStage};
pub use wire::{MalformedEvent, decode_event, encode_event};
