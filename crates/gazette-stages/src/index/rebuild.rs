//! `gazette rebuild`: every article page and every derived page again, from the registry and the archive, without the broker.
//!
//! For a theme change or a lost index. The registry names each live
//! article's newest revision, its key and its redirects; the archive holds
//! `articles/<id>/<revision>.json`. Bodies are sanitised again on the way
//! (the archive is outside the broker's checks). Pages are rendered and
//! written in parallel, then the index state is built from scratch
//! (ordered by publication time, oldest first) and every listing, feed and
//! sitemap file written. Run it while the indexer is stopped: both write
//! the index.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use gazette_contract::ValidatedArticle;
use gazette_render::Renderer;
use gazette_site::{
    ArticleRecord, BaseUrl, Change, Dirty, Entry, MostRead, STATE_PREFIX, apply_ops,
    category_state_prefix, plan_changes, tag_listing,
};
use gazette_store::{Precondition, PutObject, Store, StoreError};
use tokio::task::JoinSet;
use tracing::info;

use super::outputs::Outputs;
use super::search::{self, SearchReport};
use super::{IndexFailure, SiteIndex, StoreTurns, base_url, write};
use crate::pages::{PAGE_CONTENT_TYPE, location_of, revision_metadata, sha256_hex};
use crate::render::ArticlePages;
use crate::{SiteSettings, Stores, revision_key};
use gazette_subscribers::{ArticleState, DatabaseError, Registry};

/// Articles each worker task keeps in flight (reads, renders, writes).
const IN_FLIGHT_PER_TASK: usize = 8;

/// What `rebuild` reports as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebuildProgress {
    /// The store was listed: this many articles will be rendered.
    Found { articles: u64 },
    /// One more article page written.
    ArticleDone,
    /// Writing the listings, feeds and sitemap.
    Indexing,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildReport {
    pub articles: u64,
    pub withdrawn: u64,
    pub derived_objects: u64,
    /// The search index built from the live articles.
    pub search: SearchReport,
}

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{key} is not an article revision Gazette wrote: {error}")]
    Unreadable {
        key: String,
        error: serde_json::Error,
    },
    #[error(transparent)]
    Index(#[from] IndexFailure),
    #[error("a rebuild task failed: {0}")]
    Task(String),
    #[error(transparent)]
    Registry(#[from] DatabaseError),
    #[error("a picture cannot be made again: {0}")]
    Pictures(String),
    #[error(
        "the registry names {key}, but the archive has no such copy; is GAZETTE_ARCHIVE the archive this registry belongs to?"
    )]
    MissingCopy { key: String },
    #[error(
        "the registry at {registry} records no article, live or withdrawn, so a rebuild would leave an empty site; check GAZETTE_DATABASE_URL, or pass --allow-empty if an empty site is what you want"
    )]
    NothingRecorded { registry: String },
}

/// What a rebuild does beyond the pages.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuildOptions {
    pub when_empty: WhenEmpty,
    pub search: SearchIndex,
    /// The media stage's variant settings: a picture stored under others
    /// is made again from its archived original.
    pub variants: gazette_media::VariantSettings,
}

/// Whether the rebuild builds the search index itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchIndex {
    /// Build it before the rebuild ends, unless the site has no search
    /// (`SiteSettings::search`).
    Build,
    /// Leave it to the indexer's search builder, which finds it behind
    /// the rebuilt site state and builds it when it starts or next flushes.
    Leave,
}

/// Whether a rebuild may write a site with no article in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenEmpty {
    /// Refuse: a registry with nothing in it is far likelier a wrong
    /// setting than a newsroom that never published.
    Refuse,
    Allow,
}

/// Every page again, from the registry and the archive: the registry says
/// which articles are live, at which key, with which redirects; the
/// archive holds their copies. Nothing here decides a key.
pub async fn rebuild(
    stores: &Stores,
    registry: &Registry,
    renderer: Arc<Renderer>,
    site: SiteSettings,
    tasks: usize,
    options: RebuildOptions,
    progress: Arc<dyn Fn(RebuildProgress) + Send + Sync>,
) -> Result<RebuildReport, RebuildError> {
    let live = registry.live_articles().await?;
    // Listed below from their copies: the listings publish kept for the
    // indexer are let go once the derived pages are written.
    let listed: Vec<(String, u64)> = live
        .iter()
        .map(|article| (article.article_id.clone(), article.revision))
        .collect();
    let records: HashMap<String, ArticleRecord> = registry
        .withdrawn_articles()
        .await?
        .into_iter()
        .map(|(id, through)| {
            let record = ArticleRecord {
                revision: through,
                withdrawn_through: Some(through),
                ..ArticleRecord::default()
            };
            (id, record)
        })
        .collect();
    let withdrawn = records.len() as u64;
    if live.is_empty() && records.is_empty() && options.when_empty == WhenEmpty::Refuse {
        return Err(RebuildError::NothingRecorded {
            registry: registry.describe(),
        });
    }
    progress(RebuildProgress::Found {
        articles: live.len() as u64,
    });
    let rendering = std::time::Instant::now();

    // Rendering is CPU work: spread it over tasks so every core takes part.
    let render = Arc::new(ArticlePages::new(renderer.clone(), site.clone()));
    let pictures = Arc::new((crate::media::CpuPool::new(tasks), options.variants.clone()));
    let base = base_url(&stores.site, &site);
    let tasks = tasks.max(1);
    let chunk = live.len().div_ceil(tasks).max(1);
    let mut running = JoinSet::new();
    for part in live.chunks(chunk) {
        let part = part.to_vec();
        let (stores, render, base) = (stores.clone(), Arc::clone(&render), base.clone());
        let (pictures, registry) = (Arc::clone(&pictures), registry.clone());
        let progress = Arc::clone(&progress);
        running.spawn(async move {
            stream::iter(part)
                .map(|article| {
                    let (stores, render, base, progress) = (&stores, &render, &base, &progress);
                    let (pictures, registry) = (&pictures, &registry);
                    async move {
                        let shop = crate::media::Workshop {
                            stores,
                            pool: &pictures.0,
                            variants: &pictures.1,
                        };
                        let entry =
                            article_page(stores, render, base, &article, shop, registry).await?;
                        progress(RebuildProgress::ArticleDone);
                        Ok::<_, RebuildError>(entry)
                    }
                })
                .buffer_unordered(IN_FLIGHT_PER_TASK)
                .try_collect::<Vec<(Entry, String)>>()
                .await
        });
    }
    let mut entries = Vec::with_capacity(live.len());
    while let Some(joined) = running.join_next().await {
        let part = joined.map_err(|e| RebuildError::Task(e.to_string()))??;
        entries.extend(part);
    }
    progress(RebuildProgress::Indexing);
    // A site without search keeps no documents: nothing would fold or read them.
    let documents = site.search.then(|| {
        entries
            .iter_mut()
            .map(|(entry, body_html)| {
                let body_html = std::mem::take(body_html);
                let document = search::document_of(entry, body_html, site.time_zone);
                (entry.article_id.clone(), document)
            })
            .collect::<Vec<_>>()
    });
    let entries: Vec<Entry> = entries.into_iter().map(|(entry, _)| entry).collect();
    info!(
        articles = entries.len(),
        seconds = rendering.elapsed().as_secs_f64(),
        "article pages written"
    );
    let indexing = std::time::Instant::now();

    // One batch of everything: plan_changes places it by publication time.
    let mut index = SiteIndex {
        records,
        ..SiteIndex::default()
    };
    let (ops, mut dirty) = plan_changes(
        &mut index.site,
        &mut index.records,
        &mut index.tags,
        entries.into_iter().map(Change::Listed).collect(),
        chrono::Utc::now(),
    );
    // Written whether or not anything is news: a rebuilt site has no stale one.
    dirty.news = true;
    apply_ops(ops, &mut index.pages, &mut index.shards);
    dirty.records.extend(index.records.keys().cloned());
    index.most_read = MostRead::rank(
        &registry.most_read(super::most_read::CANDIDATES).await?,
        &index.records,
        &index.pages,
    );
    index.most_read_changed = true;
    if let Some(documents) = documents {
        // Every shard, so that none keeps an article the registry no longer lists.
        index.search_shards = search::all_shards(documents);
        // Past whatever the index was last built from, so that an index the
        // rebuild leaves is seen to be behind. The shards above are complete,
        // so the journal of that count is empty: it replaces any a flush
        // before the rebuild left there, which no builder may fold over them.
        index.site.search_seq = search::built_from(&stores.archive).await? + 1;
        index.search_journal = Some(search::SearchJournal::new());
    }
    let outputs = Outputs {
        renderer: &renderer,
        site: &site,
        base_url: &base,
    };
    let fixed_count = super::site_files::write_fixed_pages(stores, &outputs).await?;
    let derived = write(stores, registry, &outputs, &mut index, &dirty).await?;
    // A migration runs with the indexer stopped (docs/capacity.md), so
    // nothing else would let these go.
    super::listing::forget(registry, &listed).await;
    // One count for the log and the summary: they had disagreed, the log
    // leaving out the 404 page and the theme's assets.
    let derived_objects = (derived + fixed_count) as u64;
    info!(
        objects = derived_objects,
        seconds = indexing.elapsed().as_secs_f64(),
        "listings, feeds, sitemap, index state, 404 page and theme assets written"
    );
    remove_stale_pages(&stores.site, &index, &dirty).await?;
    remove_orphan_tags(stores, &index).await?;
    let searching = std::time::Instant::now();
    let search = match options.search {
        SearchIndex::Build if site.search => search::build_once(
            stores,
            &gazette_search::Builder::InProcess,
            search::Force::Yes,
            // No flush runs beside a rebuild: it holds the indexer's queue.
            &StoreTurns::default(),
        )
        .await?
        .unwrap_or_default(),
        SearchIndex::Build | SearchIndex::Leave => SearchReport::default(),
    };
    info!(
        documents = search.documents,
        files = search.files,
        bytes = search.bytes,
        seconds = searching.elapsed().as_secs_f64(),
        "search index built"
    );
    Ok(RebuildReport {
        articles: index.site.next_site_seq,
        withdrawn,
        derived_objects,
        search,
    })
}

/// Renders and writes one article's page and its redirects; returns how
/// listings show it.
async fn article_page(
    stores: &Stores,
    render: &ArticlePages,
    base: &str,
    article: &ArticleState,
    shop: crate::media::Workshop<'_>,
    registry: &Registry,
) -> Result<(Entry, String), RebuildError> {
    let (id, revision) = (article.article_id.as_str(), article.revision);
    let page_key = article.page_key.clone().unwrap_or_default();
    let key = revision_key(id, revision, "json");
    let mut validated: ValidatedArticle = read_json(&stores.archive, &key)
        .await?
        .ok_or_else(|| RebuildError::MissingCopy { key: key.clone() })?;
    // Pictures made under other variant settings are made again from
    // their originals; the rest are reused as stored, never fetched.
    let remade = crate::media::refresh_pictures(shop, &mut validated)
        .await
        .map_err(|e| RebuildError::Pictures(e.to_string()))?;
    if remade > 0 {
        let ids: Vec<String> = validated.images.iter().map(|i| i.id.clone()).collect();
        registry.set_images(id, &ids).await?;
    }
    let (html, validated) = render
        .render_stored(validated, &page_key)
        .map_err(IndexFailure::Theme)?;
    let sha256 = sha256_hex(html.as_bytes());
    stores
        .site
        .put(PutObject {
            key: page_key.clone(),
            body: Bytes::from(html.into_bytes()),
            content_type: PAGE_CONTENT_TYPE,
            cache_control: crate::PublishSettings::default().page_cache_control,
            metadata: revision_metadata(id, revision, &sha256),
            precondition: Precondition::None,
        })
        .await?;
    for redirect in &article.redirects {
        stores
            .site
            .put_redirect(redirect, &location_of(&page_key))
            .await?;
    }
    let cover = crate::render::pictures::entry_cover(&validated);
    let article = validated.article;
    let entry = Entry {
        article_id: article.id,
        revision,
        title: article.title,
        url: render
            .page_url(&page_key)
            .unwrap_or_else(|| BaseUrl::new(base).join(&page_key)),
        key: page_key,
        category_slug: article.category.slug,
        category_name: article.category.name,
        published_at: article.published_at,
        updated_at: article.published_at,
        lead: article.lead,
        author: article.author,
        tags: article.tags,
        cover,
    };
    Ok((entry, validated.body_html))
}

async fn read_json<T: serde::de::DeserializeOwned>(
    store: &Store,
    key: &str,
) -> Result<Option<T>, RebuildError> {
    match store.get(key).await? {
        None => Ok(None),
        Some(bytes) => {
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|error| RebuildError::Unreadable {
                    key: key.to_owned(),
                    error,
                })
        }
    }
}

/// Tags no live article carries any more: their state would make the next
/// article with that tag continue an old count beside a stale newest list,
/// and their pages list withdrawn articles. State and pages go.
async fn remove_orphan_tags(stores: &Stores, index: &SiteIndex) -> Result<(), StoreError> {
    let prefix = format!("{STATE_PREFIX}tags/");
    for key in stores.archive.list(&prefix).await? {
        let Some(slug) = key
            .strip_prefix(&prefix)
            .and_then(|name| name.strip_suffix(".json"))
        else {
            continue;
        };
        if index.tags.contains_key(slug) {
            continue;
        }
        let listing = tag_listing(slug);
        for page_state in stores
            .archive
            .list(&category_state_prefix(&listing))
            .await?
        {
            stores.archive.delete(&page_state).await?;
        }
        for page in stores.site.list(&format!("{listing}/")).await? {
            stores.site.delete(&page).await?;
        }
        stores.archive.delete(&key).await?;
    }
    Ok(())
}

/// Numbered pages past a category's or tag's new last page (withdrawals shrank it).
async fn remove_stale_pages(
    store: &Store,
    index: &SiteIndex,
    dirty: &Dirty,
) -> Result<(), StoreError> {
    let categories = index
        .site
        .categories
        .iter()
        .filter(|(slug, _)| dirty.categories.contains(*slug))
        .map(|(slug, state)| (slug.clone(), state));
    let tags = index
        .tags
        .iter()
        .filter(|(slug, _)| dirty.tags.contains(*slug))
        .map(|(slug, state)| (tag_listing(slug), state));
    for (listing, category) in categories.chain(tags) {
        let prefix = format!("{listing}/page/");
        for key in store.list(&prefix).await? {
            let number = key
                .strip_prefix(&prefix)
                .and_then(|n| n.strip_suffix(".html"))
                .and_then(|n| n.parse::<u64>().ok());
            if number.is_some_and(|n| n > category.pages()) {
                store.delete(&key).await?;
            }
        }
    }
    Ok(())
}
