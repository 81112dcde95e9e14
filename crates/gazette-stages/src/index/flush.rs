//! One flush of the index: load the state a batch needs from the archive, apply it, write what went stale (pages to the public store, state to the archive), state last.
//!
//! Write order is what makes a crash harmless: the pages readers see,
//! with page and shard state and the search journal, first; then the
//! articles' records, the tags' states, and the site state last. The site
//! state's counters are the commit: a placement past them belongs to a
//! flush that died and is ignored when the same messages come back
//! (`gazette_site::plan_changes`), and a search journal past its
//! `search_seq` is overwritten by the next flush.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures_util::{StreamExt, TryFutureExt, TryStreamExt, stream};
use gazette_site::{
    ArticleRecord, CategoryState, Change, Dirty, LATEST_PAGES_SCANNED, MOST_READ_KEY, MostRead,
    PageState, SITE_STATE_KEY, ShardState, SiteState, apply_ops, listing_mut, page_state_key,
    plan_changes, refresh_latest, shard_count, shard_state_key, sitemap_objects, tag_listing,
    tag_of_listing, tag_slug, tag_state_key,
};
use gazette_store::{PutObject, Store, StoreError};
use gazette_subscribers::Registry;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::outputs::{Outputs, object};
use super::records;
use super::search::{self, SearchChange, SearchJournal, SearchShard};
use super::{IndexFailure, Indexed};
use crate::Stores;

/// Requests to the store in flight at once during a flush, and revision
/// copies the indexer reads at once.
pub(crate) const PARALLEL_REQUESTS: usize = 16;

/// Everything one flush reads and changes.
#[derive(Debug, Default)]
pub(crate) struct SiteIndex {
    pub(crate) site: SiteState,
    pub(crate) records: HashMap<String, ArticleRecord>,
    /// The tags the batch touches, by slug.
    pub(crate) tags: BTreeMap<String, CategoryState>,
    pub(crate) pages: BTreeMap<(String, u64), PageState>,
    pub(crate) shards: BTreeMap<u64, ShardState>,
    /// The home page's "most read" block, loaded when the home page is redrawn.
    pub(crate) most_read: MostRead,
    /// Whether the batch changed the block, so that it is written back.
    pub(crate) most_read_changed: bool,
    /// Search documents' shards to write as they are: only a rebuild has them.
    pub(crate) search_shards: BTreeMap<u16, SearchShard>,
    /// What the batch changed in search, written as the journal of the site
    /// state's `search_seq` before that state; `None` when nothing changed.
    pub(crate) search_journal: Option<SearchJournal>,
}

/// What a flush did, for logs and the cost report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub changes: usize,
    pub objects_written: usize,
    /// When the news sitemap's oldest entry leaves the window, as committed.
    pub news_expiry: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the batch changed what search finds.
    pub search_changed: bool,
}

/// Applies `changes` to the index and writes what they make stale.
pub(crate) async fn flush(
    stores: &Stores,
    registry: &Registry,
    outputs: &Outputs<'_>,
    batch: Vec<Indexed>,
) -> Result<FlushReport, IndexFailure> {
    let count = batch.len();
    let reading = std::time::Instant::now();
    let (changes, search_changes): (Vec<Change>, Vec<SearchChange>) = batch.into_iter().unzip();
    let store = &stores.archive;
    let ids: BTreeSet<String> = changes.iter().map(|c| article_id(c).to_owned()).collect();
    // Reads that do not depend on each other go together: each round trip
    // to the store is on the path to the front page.
    let (site, mut records) = tokio::try_join!(
        get_json::<SiteState>(store, SITE_STATE_KEY),
        records::load(registry, ids.clone()),
    )?;
    if !site.records_in_registry && records::import_legacy(store, registry).await? > 0 {
        records = records::load(registry, ids).await?;
    }
    let mut index = SiteIndex {
        site,
        records,
        ..SiteIndex::default()
    };
    // Every tag the batch's entries carry or its records name.
    let mut tag_slugs: BTreeSet<String> = index
        .records
        .values()
        .flat_map(|record| {
            let left = record.withdrawn_from_tags.iter().cloned();
            record.tags.keys().cloned().chain(left)
        })
        .collect();
    for change in &changes {
        if let Change::Listed(entry) = change {
            tag_slugs.extend(entry.tags.iter().map(|tag| tag_slug(tag)));
        }
    }
    tag_slugs.remove("");
    index.tags = load_all(store, tag_slugs, |slug| tag_state_key(slug)).await?;
    let shards_before = shard_count(index.site.next_site_seq);
    let committed = (index.site.clone(), index.tags.clone());
    let (ops, mut dirty) = plan_changes(
        &mut index.site,
        &mut index.records,
        &mut index.tags,
        changes,
        chrono::Utc::now(),
    );

    let mut wanted_pages: BTreeSet<(String, u64)> = ops.iter().filter_map(|op| op.page()).collect();
    wanted_pages.extend(dirty.pages.iter().cloned());
    for listing in &dirty.refill {
        let newest =
            listing_mut(&mut index.site, &mut index.tags, listing).map_or(0, |c| c.pages());
        for number in (1..=newest).rev().take(LATEST_PAGES_SCANNED as usize) {
            wanted_pages.insert((listing.clone(), number));
        }
    }
    let mut wanted_shards: BTreeSet<u64> = ops.iter().filter_map(|op| op.shard()).collect();
    let shards_after = shard_count(index.site.next_site_seq);
    if shards_before == 1 && shards_after > 1 {
        // sitemap.xml turns into an index: the first shard moves to its own file.
        wanted_shards.insert(1);
        dirty.shards.insert(1);
    }
    let most_read = async {
        if dirty.touches_site() {
            get_json(store, MOST_READ_KEY).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (pages, shards, most_read) = tokio::try_join!(
        load_all(store, wanted_pages, |(category, number)| {
            page_state_key(category, *number)
        }),
        load_all(store, wanted_shards, |number| shard_state_key(*number)),
        most_read,
    )?;
    index.pages = pages;
    index.shards = shards;
    prune_uncommitted(&committed.0, &committed.1, &mut index);
    apply_ops(ops, &mut index.pages, &mut index.shards);
    for listing in &dirty.refill {
        if let Some(state) = listing_mut(&mut index.site, &mut index.tags, listing) {
            let newest = state.pages();
            let pages = (1..=newest)
                .rev()
                .filter_map(|n| index.pages.get(&(listing.clone(), n)));
            refresh_latest(state, pages);
        }
    }
    if let Some(most_read) = most_read {
        index.most_read = most_read;
        index.most_read_changed = index.most_read.follow(&index.records, &index.pages);
    }
    let writing = std::time::Instant::now();
    metrics::histogram!("gazette_index_flush_seconds", "part" => "read")
        .record((writing - reading).as_secs_f64());
    // A site without search journals nothing: no builder would fold it.
    let journal = match outputs.site.search {
        true => search::journal_of(search_changes, &index.records),
        false => SearchJournal::new(),
    };
    let search_changed = !journal.is_empty();
    if search_changed {
        index.site.search_seq += 1;
        index.search_journal = Some(journal);
    }
    let written = write(stores, registry, outputs, &mut index, &dirty).await?;
    metrics::histogram!("gazette_index_flush_seconds", "part" => "write")
        .record(writing.elapsed().as_secs_f64());
    Ok(FlushReport {
        changes: count,
        objects_written: written,
        news_expiry: index.site.news.next_expiry(),
        search_changed,
    })
}

fn article_id(change: &Change) -> &str {
    match change {
        Change::Listed(entry) => &entry.article_id,
        Change::Unlisted { article_id, .. } => article_id,
    }
}

/// Drops slots a dead flush left past the committed counters.
fn prune_uncommitted(
    committed: &SiteState,
    committed_tags: &BTreeMap<String, CategoryState>,
    index: &mut SiteIndex,
) {
    for ((listing, _), page) in &mut index.pages {
        let counted = match tag_of_listing(listing) {
            Some(slug) => committed_tags.get(slug),
            None => committed.categories.get(listing),
        };
        let next = counted.map_or(0, |c| c.next_seq);
        page.slots.retain(|seq, _| *seq < next);
    }
    for shard in index.shards.values_mut() {
        shard
            .urls
            .retain(|site_seq, _| *site_seq < committed.next_site_seq);
    }
}

/// Renders and writes everything `dirty` names from `index`: the pages
/// and the state derived from the batch first, then the articles'
/// records, the tags' states, and the site state last.
///
/// The first wave mixes the public store's pages with the archive's page
/// and shard state and the search journal: nothing reads any of them as a
/// commit, so their order within the wave does not matter, and one wave
/// waits for its slowest request once rather than once per store. The
/// records must wait for it: a record at the new revision tells a retry
/// that the revision was indexed, so it may exist only once the pages it
/// stands for do. The category fronts lead the wave because readers come
/// to a new article through them.
pub(crate) async fn write(
    stores: &Stores,
    registry: &Registry,
    outputs: &Outputs<'_>,
    index: &mut SiteIndex,
    dirty: &Dirty,
) -> Result<usize, IndexFailure> {
    // Whatever commits through here wrote its records to the registry.
    index.site.records_in_registry = true;
    let index = &*index;
    let pages = public_pages(outputs, index, dirty)?;
    let state = state_objects(index, dirty)?;
    let total =
        pages.len() + state.derived.len() + state.most_read.len() + state.tag_states.len() + 1;
    let first_wave = pages
        .into_iter()
        .map(|page| (&stores.site, page))
        .chain(state.derived.into_iter().map(|s| (&stores.archive, s)));
    put_each(first_wave).await?;
    tokio::try_join!(
        records::save(registry, &index.records, &dirty.records),
        put_all(&stores.archive, state.most_read).map_err(IndexFailure::from),
    )?;
    for group in [state.tag_states, vec![state.site]] {
        put_all(&stores.archive, group).await?;
    }
    Ok(total)
}

/// The public pages `dirty` names, rendered from `index`: the category
/// fronts and the home page first, since a reader comes to a new article
/// through them and the writes start in this order.
fn public_pages(
    outputs: &Outputs<'_>,
    index: &SiteIndex,
    dirty: &Dirty,
) -> Result<Vec<PutObject>, IndexFailure> {
    let mut fronts: Vec<PutObject> = Vec::new();
    let mut pages: Vec<PutObject> = Vec::new();
    for category in &dirty.categories {
        if let Some(state) = index.site.categories.get(category) {
            fronts.push(outputs.category_front(category, state)?);
            pages.extend(outputs.category_feeds(category, state));
        }
    }
    if dirty.touches_site() {
        fronts.push(outputs.home(&index.site, &index.most_read)?);
        pages.extend(outputs.site_feeds(&index.site));
        let all_shards = shard_count(index.site.next_site_seq);
        for sitemap in sitemap_objects(
            all_shards,
            &index.shards,
            dirty.shards.iter().copied(),
            outputs.base_url,
        ) {
            pages.push(outputs.sitemap(sitemap.key, sitemap.xml));
        }
    }
    for slug in &dirty.tags {
        if let Some(state) = index.tags.get(slug) {
            let listing = tag_listing(slug);
            fronts.push(outputs.category_front(&listing, state)?);
            pages.extend(outputs.category_feeds(&listing, state));
        }
    }
    for (listing, number) in &dirty.pages {
        let state = match tag_of_listing(listing) {
            Some(slug) => index.tags.get(slug),
            None => index.site.categories.get(listing),
        };
        let (Some(state), Some(page)) = (state, index.pages.get(&(listing.clone(), *number)))
        else {
            continue;
        };
        pages.push(outputs.category_page(listing, state, *number, page)?);
    }
    if dirty.news {
        pages.push(outputs.news_sitemap(&index.site.news, chrono::Utc::now()));
    }
    fronts.extend(pages);
    Ok(fronts)
}

/// The archive's objects a flush writes, in the groups `write` orders.
struct StateObjects {
    /// Page and shard state, search shards and the search journal.
    derived: Vec<PutObject>,
    /// The "most read" block, written beside the articles' records.
    most_read: Vec<PutObject>,
    /// After the records: a tag state's counter commits the places records
    /// name in it, as the site state's do for categories.
    tag_states: Vec<PutObject>,
    site: PutObject,
}

fn state_objects(index: &SiteIndex, dirty: &Dirty) -> Result<StateObjects, IndexFailure> {
    let mut derived = Vec::new();
    for key in &dirty.pages {
        if let Some(page) = index.pages.get(key) {
            derived.push(json_object(page_state_key(&key.0, key.1), page)?);
        }
    }
    for number in &dirty.shards {
        if let Some(shard) = index.shards.get(number) {
            derived.push(json_object(shard_state_key(*number), shard)?);
        }
    }
    derived.extend(search::shard_objects(&index.search_shards)?);
    if let Some(journal) = &index.search_journal {
        derived.push(search::journal_object(index.site.search_seq, journal)?);
    }
    let mut most_read = Vec::new();
    if index.most_read_changed {
        most_read.push(json_object(MOST_READ_KEY.to_owned(), &index.most_read)?);
    }
    let mut tag_states = Vec::new();
    for slug in &dirty.tags {
        if let Some(tag) = index.tags.get(slug) {
            tag_states.push(json_object(tag_state_key(slug), tag)?);
        }
    }
    Ok(StateObjects {
        derived,
        most_read,
        tag_states,
        site: json_object(SITE_STATE_KEY.to_owned(), &index.site)?,
    })
}

pub(crate) async fn put_all(store: &Store, objects: Vec<PutObject>) -> Result<(), StoreError> {
    put_each(objects.into_iter().map(|object| (store, object))).await
}

/// Writes each object to its store, `PARALLEL_REQUESTS` at a time, started
/// in the order given.
async fn put_each<'a>(
    objects: impl IntoIterator<Item = (&'a Store, PutObject)>,
) -> Result<(), StoreError> {
    // The writes are made before they are streamed: a stream over a
    // closure that takes a borrowed store is not `Send` for every lifetime,
    // and the flush runs on a spawned task.
    let puts: Vec<_> = objects
        .into_iter()
        .map(|(store, object)| store.put(object))
        .collect();
    stream::iter(puts)
        .buffer_unordered(PARALLEL_REQUESTS)
        .try_collect()
        .await
}

pub(crate) fn json_object(key: String, value: &impl Serialize) -> Result<PutObject, IndexFailure> {
    let body = serde_json::to_string(value).map_err(IndexFailure::Encode)?;
    let mut object = object(key, body, "application/json");
    object.cache_control = "no-cache";
    Ok(object)
}

/// A state object, or its default when it does not exist yet.
pub(crate) async fn get_json<T: DeserializeOwned + Default>(
    store: &Store,
    key: &str,
) -> Result<T, IndexFailure> {
    match store.get(key).await? {
        None => Ok(T::default()),
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|error| IndexFailure::CorruptState {
            key: key.to_owned(),
            error,
        }),
    }
}

pub(crate) async fn load_all<K, T, Loaded>(
    store: &Store,
    wanted: BTreeSet<K>,
    key_of: impl Fn(&K) -> String,
) -> Result<Loaded, IndexFailure>
where
    K: Ord + Clone,
    T: DeserializeOwned + Default,
    Loaded: Default + Extend<(K, T)>,
{
    let key_of = &key_of;
    stream::iter(wanted)
        .map(|wanted| async move {
            let value = get_json(store, &key_of(&wanted)).await?;
            Ok::<_, IndexFailure>((wanted, value))
        })
        .buffer_unordered(PARALLEL_REQUESTS)
        .try_collect()
        .await
}
