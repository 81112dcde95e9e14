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

use gazette_broker::Inbound;
use gazette_store::Store;

/// The two stores Gazette writes. Only what readers should see goes to
/// `site`; revision copies and the indexer's state go to `archive`, which
/// no website endpoint serves.
#[derive(Debug, Clone)]
pub struct Stores {
    pub site: Store,
    pub archive: Store,
}

/// Work on a message of at most this many bytes runs on the async thread
/// itself. A hand-off to the blocking pool is a thread wake-up there and
/// one back, and on a small virtual machine a wake-up costs an exit to the
/// host: in a profile of the paced bench, half of publish's CPU was the
/// kernel switching threads (docs/performance.md). A news article is 8 KB
/// submitted and 33 KB rendered; work on 64 KiB takes about a millisecond,
/// which the reactor can wait.
pub(crate) const INLINE_WORK_BYTES: usize = 64 * 1024;

/// Runs CPU-heavy work (sanitising, rendering, checking a message against
/// its schema) for a message of `message_bytes`: inline when it is small,
/// on tokio's blocking pool when it is not, so the reactor that answers
/// `/healthz` and sends acks never waits behind a pathological body. The
/// stage's concurrency bounds how many run at once. `Err` carries a
/// panic's message either way, so a handler that panics dead-letters its
/// message whichever thread it ran on.
pub(crate) async fn off_reactor<T, F>(message_bytes: usize, work: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    if message_bytes <= INLINE_WORK_BYTES {
        return caught(work);
    }
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| e.to_string())
}

/// [`off_reactor`] for work that reads `message` and `state`: they are
/// copied only when the work leaves the async thread, since a copy of a
/// rendered page's message is itself a cost per article.
pub(crate) async fn off_reactor_on<S, T, F>(
    state: &S,
    message: &Inbound,
    work: F,
) -> Result<T, String>
where
    S: Clone + Send + 'static,
    T: Send + 'static,
    F: FnOnce(&S, &Inbound) -> T + Send + 'static,
{
    if message.body.len() <= INLINE_WORK_BYTES {
        return caught(|| work(state, message));
    }
    let (state, message) = (state.clone(), message.clone());
    off_reactor(message.body.len(), move || work(&state, &message)).await
}

/// `work`'s result, or what it said if it panicked.
fn caught<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
        .map_err(|panic| panic_message(panic.as_ref()))
}

/// What a caught panic said, as tokio reports a blocking task's.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let said = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    format!("panicked with message {said:?}")
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

#[cfg(test)]
mod tests {
    use super::{INLINE_WORK_BYTES, off_reactor};

    fn this_thread() -> std::thread::ThreadId {
        std::thread::current().id()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn small_work_runs_inline_and_large_work_on_the_blocking_pool() {
        let here = this_thread();
        let small = off_reactor(INLINE_WORK_BYTES, this_thread).await;
        assert_eq!(small, Ok(here));
        let large = off_reactor(INLINE_WORK_BYTES + 1, this_thread).await;
        assert!(matches!(large, Ok(there) if there != here), "{large:?}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_panic_is_an_error_with_its_message_on_either_path() {
        for size in [0, INLINE_WORK_BYTES, INLINE_WORK_BYTES + 1, 10 << 20] {
            let literal = off_reactor(size, || -> u8 { panic!("bad page") }).await;
            assert!(
                matches!(&literal, Err(said) if said.contains("bad page")),
                "{size}: {literal:?}"
            );
            let formatted = off_reactor(size, || -> u8 { panic!("page {} of {}", 3, 4) }).await;
            assert!(
                matches!(&formatted, Err(said) if said.contains("page 3 of 4")),
                "{size}: {formatted:?}"
            );
        }
    }
}
