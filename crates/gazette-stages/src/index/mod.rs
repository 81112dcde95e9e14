//! The indexer stage: public lifecycle events in, listings, home page, feeds and sitemap kept current in the store.
//!
//! It runs on a single-active-consumer queue: one replica indexes, the
//! others stand by, so the site state is never written by two at once.
//! Its work per article is bounded (see `gazette-site`), and changes that
//! arrive together are flushed together (`batch.rs`).

mod batch;
mod flush;
mod listing;
mod most_read;
mod outputs;
mod rebuild;
mod records;
mod search;
mod site_files;
mod turns;

use std::sync::Arc;
use std::time::Duration;

use gazette_broker::{Disposition, Failure, Handler, Inbound, Outbound};
use gazette_contract::{Envelope, EventType, Schemas, Unpublished};
use gazette_render::{RenderError, Renderer};
use gazette_site::{Change, Entry};
use gazette_store::{Store, StoreError};
use tracing::info;

use crate::wire::{MalformedEvent, parse_body, read_announcement};
use crate::{SiteSettings, Stores, decode_event};
use batch::Batcher;
pub use flush::FlushReport;
pub(crate) use flush::{SiteIndex, write};
pub(crate) use outputs::Outputs;
pub use rebuild::{
    RebuildError, RebuildOptions, RebuildProgress, RebuildReport, SearchIndex, WhenEmpty, rebuild,
};
use search::SearchChange;
pub use search::SearchReport;
use turns::StoreTurns;

/// One change to the listings, and what it means for search.
pub(crate) type Indexed = (Change, SearchChange);

#[derive(Debug, thiserror::Error)]
pub enum IndexFailure {
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    #[error("the indexer does not handle {0} events")]
    UnexpectedEvent(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "index state {key} is unreadable ({error}); run `gazette rebuild` to rebuild it from the articles"
    )]
    CorruptState {
        key: String,
        error: serde_json::Error,
    },
    #[error("the theme cannot render a listing: {0}")]
    Theme(#[from] RenderError),
    #[error("cannot encode index state: {0}")]
    Encode(serde_json::Error),
    #[error("cannot read the view counts: {0}")]
    Registry(#[from] gazette_subscribers::DatabaseError),
    #[error("cannot build the search index: {0}")]
    Search(#[from] gazette_search::SearchError),
    #[error("the index flusher stopped")]
    FlusherGone,
    #[error("a request of the search build stopped: {0}")]
    BuildRequest(#[from] tokio::task::JoinError),
    /// The shared outcome of the batch this message was flushed in.
    #[error("{0}")]
    Batch(Arc<IndexFailure>),
}

impl Failure for IndexFailure {
    fn disposition(&self) -> Disposition {
        match self {
            Self::Store(e) if e.is_transient() => Disposition::Retry,
            Self::FlusherGone | Self::BuildRequest(_) | Self::Registry(_) | Self::Search(_) => {
                Disposition::Retry
            }
            Self::Store(_) => Disposition::DeadLetter {
                reason: "store-refused",
            },
            Self::Malformed(_) => Disposition::DeadLetter {
                reason: "malformed-event",
            },
            Self::UnexpectedEvent(_) => Disposition::DeadLetter {
                reason: "unexpected-event",
            },
            Self::CorruptState { .. } => Disposition::DeadLetter {
                reason: "corrupt-index-state",
            },
            Self::Theme(_) => Disposition::DeadLetter {
                reason: "render-failed",
            },
            Self::Encode(_) => Disposition::DeadLetter { reason: "encode" },
            Self::Batch(inner) => inner.disposition(),
        }
    }
}

/// Changes one flush takes at most; the stage table keeps this many messages in hand.
pub const MAX_BATCH: u16 = 512;

#[derive(Debug, Clone)]
pub struct IndexSettings {
    /// How long a batch waits for more changes after its first. A burst
    /// spread over this window writes each affected page once.
    pub linger: Duration,
    /// Changes per flush at most; the stage's prefetch should be at least this.
    pub max_batch: usize,
    /// How often the home page's "most read" block is redrawn from the
    /// registry's view counts.
    pub most_read_refresh: Duration,
    /// The least time between two builds of the search index.
    pub search_interval: Duration,
    /// Where those builds run: the `gazette` binary builds in a child
    /// process of itself, so that the indexer's memory stays flat.
    pub search_builder: gazette_search::Builder,
}

impl Default for IndexSettings {
    fn default() -> Self {
        Self {
            // Half a second: a burst still shares its flushes, and an
            // article reaches its front page within the 1.5 s a reader
            // refreshing after the alert would allow (window, flush, pipeline).
            linger: Duration::from_millis(500),
            max_batch: usize::from(MAX_BATCH),
            most_read_refresh: Duration::from_secs(60),
            search_interval: Duration::from_secs(30),
            search_builder: gazette_search::Builder::InProcess,
        }
    }
}

/// The longest the news sitemap goes unwritten with no event. It is also
/// written the moment its oldest entry leaves the 48-hour window.
const NEWS_REFRESH: Duration = Duration::from_secs(600);

/// What the flusher task owns.
#[derive(Debug)]
struct Site {
    stores: Stores,
    /// Keeps the articles' index records (`records.rs`).
    registry: gazette_subscribers::Registry,
    schemas: Schemas,
    renderer: Arc<Renderer>,
    settings: SiteSettings,
    base_url: String,
    /// Held alone by a flush and by the news and "most read" timers, so
    /// that the timer never writes a news sitemap read before a flush over
    /// the flush's newer one; shared by each of the search build's
    /// requests, which wait for the flushes (`turns.rs`).
    turns: StoreTurns,
    /// The news sitemap's next expiry as each flush committed it: the
    /// timer's wake-up may have to come sooner.
    flushed: tokio::sync::watch::Sender<Option<chrono::DateTime<chrono::Utc>>>,
    /// Told of each flush that changed what search finds; the search builder waits on it.
    searched: tokio::sync::watch::Sender<u64>,
}

impl Site {
    fn outputs(&self) -> Outputs<'_> {
        Outputs {
            renderer: &self.renderer,
            site: &self.settings,
            base_url: &self.base_url,
        }
    }
}

/// Writes the news sitemap at start (entries may have aged while no
/// indexer ran), then whenever its oldest entry leaves the window, and at
/// least every [`NEWS_REFRESH`], until the stage is gone. A flush wakes it
/// to look again, since a flush may have added an entry that expires
/// sooner. A standby replica runs it too: it only reads the committed site
/// state, so at worst it writes the same file a moment before the active one.
fn start_news_timer(
    site: std::sync::Weak<Site>,
    mut flushed: tokio::sync::watch::Receiver<Option<chrono::DateTime<chrono::Utc>>>,
) {
    tokio::spawn(async move {
        let mut wake = tokio::time::Instant::now();
        loop {
            // Only the weak handle is held while waiting: the stage's end drops the site.
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                changed = flushed.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    // The flush wrote the sitemap; only the next expiry may be sooner.
                    let expiry = *flushed.borrow_and_update();
                    wake = wake.min(wake_for(expiry, chrono::Utc::now()));
                    continue;
                }
            }
            let Some(site) = site.upgrade() else {
                return;
            };
            wake = match refresh_news(&site).await {
                Ok(next) => next,
                Err(error) => {
                    // The next tick or flush writes it again; nothing is lost.
                    tracing::warn!(%error, "the news sitemap could not be refreshed");
                    tokio::time::Instant::now() + NEWS_REFRESH
                }
            };
        }
    });
}

/// Writes the news sitemap as it stands now; when to write it next.
async fn refresh_news(site: &Site) -> Result<tokio::time::Instant, IndexFailure> {
    let _writing = site.turns.foreground().await;
    let state: gazette_site::SiteState =
        flush::get_json(&site.stores.archive, gazette_site::SITE_STATE_KEY).await?;
    let now = chrono::Utc::now();
    let sitemap = site.outputs().news_sitemap(&state.news, now);
    site.stores.site.put(sitemap).await?;
    Ok(wake_for(state.news.next_expiry(), now))
}

/// A second after `expiry` (so the entry is out when the file is written),
/// and no later than [`NEWS_REFRESH`] from now.
fn wake_for(
    expiry: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> tokio::time::Instant {
    let until = expiry
        .and_then(|expiry| (expiry - now + chrono::TimeDelta::seconds(1)).to_std().ok())
        .map_or(NEWS_REFRESH, |wait| wait.min(NEWS_REFRESH));
    tokio::time::Instant::now() + until
}

#[derive(Debug)]
pub struct IndexStage {
    site: Arc<Site>,
    batcher: Batcher,
    /// Bounds the revision copies read at once (where the registry kept no
    /// listing, `listing.rs`). The stage holds up to
    /// [`MAX_BATCH`] deliveries; unbounded, a backlog read all their copies
    /// at once, one store connection each, competing for the store with
    /// the flush that is on the way to the front page.
    copy_reads: tokio::sync::Semaphore,
}

/// The absolute base every feed and sitemap URL starts from.
pub(crate) fn base_url(store: &Store, site: &SiteSettings) -> String {
    let base = site.public_url.clone().unwrap_or_else(|| store.locator(""));
    gazette_site::BaseUrl::new(&base).as_str().to_owned()
}

impl IndexStage {
    /// Starts the flusher and the news sitemap's timer, and writes the
    /// fixed files: the theme's fonts and icons, `robots.txt`, the web app
    /// manifest, and the 404 page the website endpoint serves for withdrawn
    /// and missing pages.
    pub async fn start(
        stores: Stores,
        renderer: Arc<Renderer>,
        settings: SiteSettings,
        index: IndexSettings,
        schemas: Schemas,
        registry: gazette_subscribers::Registry,
    ) -> Result<Self, IndexFailure> {
        let base_url = base_url(&stores.site, &settings);
        let site = Arc::new(Site {
            stores,
            registry: registry.clone(),
            schemas,
            renderer,
            settings,
            base_url,
            turns: StoreTurns::default(),
            flushed: tokio::sync::watch::Sender::new(None),
            searched: tokio::sync::watch::Sender::new(0),
        });
        site_files::write_fixed_pages(&site.stores, &site.outputs()).await?;
        start_news_timer(Arc::downgrade(&site), site.flushed.subscribe());
        most_read::start_timer(Arc::downgrade(&site), registry, index.most_read_refresh);
        if site.settings.search {
            search::start_builder(
                Arc::downgrade(&site),
                index.search_interval,
                index.search_builder,
                site.searched.subscribe(),
            );
        }
        let flusher = Arc::clone(&site);
        let batcher = Batcher::start(index.linger, index.max_batch, move |changes| {
            let site = Arc::clone(&flusher);
            async move {
                let flushing = std::time::Instant::now();
                let listed = listing::listed(&changes);
                let report = {
                    let _writing = site.turns.foreground().await;
                    flush::flush(&site.stores, &site.registry, &site.outputs(), changes).await?
                };
                listing::forget(&site.registry, &listed).await;
                site.flushed.send_replace(report.news_expiry);
                if report.search_changed {
                    site.searched.send_modify(|flushes| *flushes += 1);
                }
                metrics::counter!("gazette_index_objects_written_total")
                    .increment(report.objects_written as u64);
                metrics::histogram!("gazette_index_batch_changes").record(report.changes as f64);
                info!(
                    changes = report.changes,
                    objects_written = report.objects_written,
                    seconds = flushing.elapsed().as_secs_f64(),
                    "index flushed"
                );
                Ok(())
            }
        });
        Ok(Self {
            site,
            batcher,
            copy_reads: tokio::sync::Semaphore::new(flush::PARALLEL_REQUESTS),
        })
    }

    /// The change a lifecycle event makes to the index.
    async fn change_of(&self, message: &Inbound) -> Result<Indexed, IndexFailure> {
        let routing_key = message.routing_key.as_str();
        if routing_key == EventType::Unpublished.as_str() {
            let event: Envelope<Unpublished> =
                decode_event(&self.site.schemas, EventType::Unpublished, message)?;
            let search = SearchChange {
                article_id: event.data.article_id.clone(),
                revision: event.data.revision,
                document: None,
            };
            let change = Change::Unlisted {
                article_id: event.data.article_id,
                revision: event.data.revision,
            };
            return Ok((change, search));
        }
        if routing_key != EventType::Published.as_str()
            && routing_key != EventType::Updated.as_str()
        {
            return Err(IndexFailure::UnexpectedEvent(routing_key.to_owned()));
        }
        let document = parse_body(EventType::Published, message)?;
        let event = read_announcement(&self.site.schemas, routing_key, &document)?;
        let data = event.data;
        // The lead, byline and body are not in the event: publish kept
        // them in the registry, else the revision's archive copy has them.
        let (listing, source) = listing::read(
            &self.site.registry,
            &self.site.stores.archive,
            &self.copy_reads,
            &data.article_id,
            data.revision,
        )
        .await?;
        metrics::counter!("gazette_index_listings_read_total", "from" => source.as_str())
            .increment(1);
        let entry = Entry {
            article_id: data.article_id,
            revision: data.revision,
            title: data.title,
            key: data.key,
            url: data.url,
            category_slug: data.category.slug,
            category_name: data.category.name,
            published_at: data.published_at,
            updated_at: event.time.fixed_offset(),
            lead: listing.lead,
            author: listing.author,
            tags: listing.tags,
            cover: listing.cover,
        };
        let search = SearchChange {
            article_id: entry.article_id.clone(),
            revision: entry.revision,
            document: Some(search::document_of(
                &entry,
                listing.body_html,
                self.site.settings.time_zone,
            )),
        };
        Ok((Change::Listed(entry), search))
    }
}

impl Handler for IndexStage {
    type Error = IndexFailure;

    async fn handle(&self, message: &Inbound) -> Result<Vec<Outbound>, IndexFailure> {
        let change = self.change_of(message).await?;
        self.batcher
            .submit(change)
            .await
            .map_err(IndexFailure::Batch)?;
        Ok(Vec::new())
    }
}
