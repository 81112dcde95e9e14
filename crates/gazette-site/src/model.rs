//! The indexer's state objects, as stored under `_gazette/index/`.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// One article as listings and feeds show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub article_id: String,
    pub revision: u64,
    pub title: String,
    /// The page's object key, `<category>/<slug>.html`; links are `/<key>`.
    pub key: String,
    /// The page's absolute URL, for feeds and the sitemap.
    pub url: String,
    pub category_slug: String,
    pub category_name: String,
    pub published_at: DateTime<FixedOffset>,
    /// When this revision went live: the feeds' `updated`, the sitemap's `lastmod`.
    pub updated_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub lead: String,
    #[serde(default)]
    pub author: String,
    /// As the article names them; each with a slug has a page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The cover picture, small on cards and an enclosure in feeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<EntryCover>,
}

/// An entry's cover as the media stage stored it (`media/<id>/<width>.<ext>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryCover {
    pub id: String,
    pub width: u32,
    pub height: u32,
    /// Smallest first.
    pub widths: Vec<u32>,
    pub webp: bool,
    pub colour: String,
    pub alt: String,
}

impl EntryCover {
    /// The JPEG at most `most` pixels wide (the smallest when none is),
    /// as a site path without its leading `/`.
    pub fn jpeg_key(&self, most: u32) -> String {
        let width = self
            .widths
            .iter()
            .copied()
            .rfind(|w| *w <= most)
            .or_else(|| self.widths.first().copied())
            .unwrap_or(self.width);
        crate::media_key(&self.id, width, "jpg")
    }
}

/// An entry where it sits: its sequence in its category and in the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub seq: u64,
    pub site_seq: u64,
    pub entry: Entry,
}

/// Where an article is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub seq: u64,
    pub site_seq: u64,
}

/// How the indexer last saw an article; the registry keeps it (`index_records`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleRecord {
    /// The newest revision listed or withdrawn; older events are stale.
    pub revision: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// Revisions up to this one were withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_through: Option<u64>,
    /// Its sequence number in each tag it is listed under, by tag slug.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, u64>,
    /// The tags its withdrawal took it off, so that the withdrawal seen
    /// again can finish what a flush that died left in their newest lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withdrawn_from_tags: Vec<String>,
}

/// A category as the site state holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryState {
    pub name: String,
    /// The next article's sequence number in this category.
    pub next_seq: u64,
    /// The newest articles, newest first: the front page, the feeds, the home block.
    pub latest: Vec<Slot>,
    /// Articles listed now (withdrawn ones and retags subtracted); kept for
    /// tags, whose thin pages are kept out of search.
    #[serde(default)]
    pub live: u64,
}

impl CategoryState {
    /// Numbered pages so far (1-based numbers run `1..=pages`).
    pub fn pages(&self) -> u64 {
        self.next_seq.div_ceil(crate::PAGE_SIZE)
    }
}

/// `_gazette/index/site.json`: the one object every batch rewrites.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteState {
    /// The next article's sequence number across the site (the sitemap's order).
    pub next_site_seq: u64,
    pub categories: BTreeMap<String, CategoryState>,
    /// The articles of the last 48 hours, for `sitemap-news.xml`; absent
    /// from a state written before there was one.
    #[serde(default)]
    pub news: crate::NewsState,
    /// Counts the flushes that changed what search finds; each wrote its
    /// changes as the journal of its count (`search_journal_key`) before
    /// committing it. The search index is current when it was built from
    /// this count (`SEARCH_MANIFEST_KEY`).
    #[serde(default)]
    pub search_seq: u64,
    /// The articles' records are in the registry: every flush and rebuild
    /// of this version says so (`write` in the indexer's `flush.rs`). A
    /// state without it was written by a version that kept them in the
    /// archive; the next flush copies them over first.
    #[serde(default)]
    pub records_in_registry: bool,
}

impl SiteState {
    /// The newest articles across categories, newest first.
    pub fn latest(&self, count: usize) -> Vec<&Slot> {
        let mut all: Vec<&Slot> = self
            .categories
            .values()
            .flat_map(|c| c.latest.iter())
            .collect();
        all.sort_by_key(|slot| std::cmp::Reverse(slot.site_seq));
        all.truncate(count);
        all
    }
}

/// `_gazette/index/categories/<slug>/<n>.json`: one numbered page's articles, by sequence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageState {
    pub slots: BTreeMap<u64, Slot>,
}

/// One sitemap URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlEntry {
    pub article_id: String,
    pub loc: String,
    pub lastmod: DateTime<FixedOffset>,
}

/// `_gazette/index/sitemap/<n>.json`: the URLs of one sitemap shard, by site sequence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardState {
    pub urls: BTreeMap<u64, UrlEntry>,
}
