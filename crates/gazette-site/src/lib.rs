//! The site beyond article pages, as pure data: what the indexer keeps, which objects a change touches, and the feeds and sitemap as XML.
//!
//! No I/O here. The indexer stage (`gazette-stages`) loads the state objects
//! this crate names, lets it apply a batch of changes, and writes back what
//! it marks dirty; `gazette rebuild` builds the same state from scratch.
//!
//! Pagination is counted from the oldest article: the article with sequence
//! number `seq` in its category lives on page `seq / PAGE_SIZE + 1` forever.
//! A new article only ever lands on the newest page, so it rewrites a fixed
//! number of objects however large the site is. Withdrawals leave a gap on
//! their page rather than shifting every later page.

mod apply;
mod feeds;
mod keys;
mod model;
mod most_read;
mod news;
mod plan;
mod sitemap;
mod tags;
mod xml;

pub use apply::{apply_ops, is_committed, listing_mut, plan_changes, refresh_latest};
pub use feeds::{Feed, atom, rss};
pub use keys::{
    BaseUrl, IMMUTABLE, LEGACY_RECORD_PREFIX, MOST_READ_KEY, PageKeys, RESERVED_CATEGORIES,
    RESERVED_SLUGS, SEARCH_MANIFEST_KEY, SEARCH_SHARDS, SITE_STATE_KEY, SITEMAP_KEY, STATE_PREFIX,
    TAG_FOLDER, category_front_key, category_page_key, category_state_prefix, is_reserved_category,
    media_key, media_original_key, media_record_key, page_key_candidates, page_state_key,
    revision_key, search_journal_key, search_shard_key, search_shard_of, shard_state_key,
    social_key, tag_listing, tag_of_listing, tag_slug, tag_state_key,
};
pub use model::{
    ArticleRecord, CategoryState, Entry, EntryCover, PageState, Placement, ShardState, SiteState,
    Slot, UrlEntry,
};
pub use most_read::{MOST_READ_LEN, MostRead, Ranked, pages_to_rank};
pub use news::{
    NEWS_MAX_URLS, NEWS_SITEMAP_KEY, NEWS_WINDOW, NewsEntry, NewsState, Publication, news_sitemap,
};
pub use plan::{Change, Dirty, Op};
pub use sitemap::{SitemapObject, shard_count, shard_key, sitemap_objects};

/// Articles per numbered listing page.
pub const PAGE_SIZE: u64 = 20;
/// Items in every feed, and articles on a category's front page.
pub const FEED_LEN: usize = 20;
/// Articles in each category's block on the home page.
pub const BLOCK_LEN: usize = 5;
/// Articles in the home page's "latest" column.
pub const HOME_LATEST: usize = 10;
/// URLs per sitemap file: the protocol's own limit. Past it, `sitemap.xml`
/// becomes an index of shards counted from the oldest, like pages.
pub const SITEMAP_SHARD: u64 = 50_000;
/// How many pages back a category's front page and feeds look for articles
/// after withdrawals emptied the newest ones; bounds the reads per batch.
pub const LATEST_PAGES_SCANNED: u64 = 5;
