//! What a batch of changes is and does, as plain types: the changes, the edits to pages and shards they plan, and the objects they make stale.

use std::collections::BTreeSet;

use crate::{Entry, PAGE_SIZE, SITEMAP_SHARD, Slot, UrlEntry};

/// What happened to an article, as the public events tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "nearly every change is Listed; boxing the entry would add an allocation to each for no memory saved"
)]
pub enum Change {
    /// `article.published` or `article.updated`: this revision is live.
    Listed(Entry),
    /// `article.unpublished`: revisions up to `revision` are withdrawn.
    Unlisted { article_id: String, revision: u64 },
}

/// One edit to a page or sitemap shard.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a batch's ops live for one flush; most carry a slot, and boxing it would only add allocations"
)]
pub enum Op {
    PutInPage {
        category: String,
        page: u64,
        slot: Slot,
    },
    RemoveFromPage {
        category: String,
        page: u64,
        seq: u64,
    },
    PutInShard {
        shard: u64,
        site_seq: u64,
        url: UrlEntry,
    },
    RemoveFromShard {
        shard: u64,
        site_seq: u64,
    },
}

impl Op {
    /// The page this op edits, as `(category, number)`.
    pub fn page(&self) -> Option<(String, u64)> {
        match self {
            Self::PutInPage { category, page, .. }
            | Self::RemoveFromPage { category, page, .. } => Some((category.clone(), *page)),
            _ => None,
        }
    }

    /// The sitemap shard this op edits.
    pub fn shard(&self) -> Option<u64> {
        match self {
            Self::PutInShard { shard, .. } | Self::RemoveFromShard { shard, .. } => Some(*shard),
            _ => None,
        }
    }
}

/// Every object a batch makes stale; each is written once per batch.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Dirty {
    /// Front pages and feeds of these categories.
    pub categories: BTreeSet<String>,
    /// Numbered pages, with their state.
    pub pages: BTreeSet<(String, u64)>,
    pub shards: BTreeSet<u64>,
    pub records: BTreeSet<String>,
    /// Categories that lost an article from their newest list, which must be
    /// refilled from their newest pages ([`refresh_latest`]).
    pub refill: BTreeSet<String>,
    /// The news sitemap (`sitemap-news.xml`).
    pub news: bool,
    /// Tags whose front page, feeds and state change, by slug. Their
    /// numbered pages are in `pages` and `refill` under their listing
    /// names, `tag/<slug>`.
    pub tags: BTreeSet<String>,
}

impl Dirty {
    /// Whether the site-wide pages (home, site feeds, sitemap) change.
    pub fn touches_site(&self) -> bool {
        !self.categories.is_empty()
    }
}

pub(crate) fn page_of(seq: u64) -> u64 {
    seq / PAGE_SIZE + 1
}

pub(crate) fn shard_of(site_seq: u64) -> u64 {
    site_seq / SITEMAP_SHARD + 1
}
