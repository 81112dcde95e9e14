//! A batch of lifecycle changes applied to the index: which slots move, and which objects must be written again.
//!
//! Split in two so that no I/O hides in here: [`plan_changes`] works on the
//! site state and the articles' records (loaded first) and says which pages
//! and sitemap shards it needs; [`apply_ops`] then changes those once the
//! caller has loaded them.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::plan::{page_of, shard_of};
use crate::tags::{put_latest, retag, untag};
use crate::{
    ArticleRecord, CategoryState, Change, Dirty, Entry, FEED_LEN, NewsEntry, Op, PAGE_SIZE,
    PageState, Placement, ShardState, SiteState, Slot, UrlEntry, tag_listing,
};

fn url_of(entry: &Entry) -> UrlEntry {
    UrlEntry {
        article_id: entry.article_id.clone(),
        loc: entry.url.clone(),
        lastmod: entry.updated_at,
    }
}

/// Applies `changes` to the site state and to `records` (which must hold
/// every article the batch names, default when never seen), and plans the
/// page and shard edits that follow.
///
/// New articles in one batch take their places in order of publication
/// time (then id), whatever order their events were handled in; across
/// batches, the later batch comes later.
///
/// `now` decides which articles are news ([`crate::NewsState`]): what
/// left the news window by then is dropped as well.
///
/// `tags` must hold the state of every tag the batch's entries carry and
/// its records name (default when never seen). A record's place in a tag
/// counts only below that tag's counter: tag states are written after the
/// records, so a place past the counter was made by a flush that died.
pub fn plan_changes(
    site: &mut SiteState,
    records: &mut HashMap<String, ArticleRecord>,
    tags: &mut BTreeMap<String, CategoryState>,
    mut changes: Vec<Change>,
    now: DateTime<Utc>,
) -> (Vec<Op>, Dirty) {
    changes.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
    let mut ops = Vec::new();
    let mut dirty = Dirty::default();
    // The site state is written last in a flush: a placement past its
    // counters was made by a flush that never finished, and is void.
    for record in records.values_mut() {
        if let (Some(category), Some(placement)) = (&record.category, record.placement)
            && !is_committed(site, category, placement)
        {
            record.placement = None;
        }
        record
            .tags
            .retain(|slug, seq| tags.get(slug).is_some_and(|tag| *seq < tag.next_seq));
    }
    for change in changes {
        match change {
            Change::Listed(entry) => {
                if list(site, records, tags, &entry, &mut ops, &mut dirty) {
                    let news = NewsEntry {
                        loc: entry.url,
                        title: entry.title,
                        published_at: entry.published_at,
                    };
                    dirty.news |= site.news.listed(&entry.article_id, news, now);
                }
            }
            Change::Unlisted {
                article_id,
                revision,
            } => {
                let record = records.entry(article_id.clone()).or_default();
                if record.withdrawn_through.is_some_and(|w| w >= revision) {
                    forget_withdrawn(site, tags, record, &article_id, &mut dirty);
                    continue;
                }
                // A newer revision, published after the withdrawal, stays listed.
                if record.revision <= revision {
                    unplace(site, record, &mut ops, &mut dirty);
                    let carried: Vec<String> = record.tags.keys().cloned().collect();
                    for slug in &carried {
                        untag(tags, record, slug, &mut ops, &mut dirty);
                    }
                    record.withdrawn_from_tags = carried;
                    dirty.news |= site.news.unlisted(&article_id);
                }
                record.withdrawn_through = Some(revision);
                record.revision = record.revision.max(revision);
                dirty.records.insert(article_id);
            }
        }
    }
    dirty.news |= site.news.age(now);
    (ops, dirty)
}

fn order_key(change: &Change) -> (Option<chrono::DateTime<chrono::FixedOffset>>, &str, u64) {
    match change {
        Change::Listed(entry) => (Some(entry.published_at), &entry.article_id, entry.revision),
        Change::Unlisted {
            article_id,
            revision,
        } => (None, article_id, *revision),
    }
}

/// Whether `placement` in `category` was counted by the site state.
pub fn is_committed(site: &SiteState, category: &str, placement: Placement) -> bool {
    site.categories
        .get(category)
        .is_some_and(|c| placement.seq < c.next_seq)
        && placement.site_seq < site.next_site_seq
}

/// Places `entry`'s revision; whether it was accepted (not stale, not withdrawn).
fn list(
    site: &mut SiteState,
    records: &mut HashMap<String, ArticleRecord>,
    tags: &mut BTreeMap<String, CategoryState>,
    entry: &Entry,
    ops: &mut Vec<Op>,
    dirty: &mut Dirty,
) -> bool {
    let record = records.entry(entry.article_id.clone()).or_default();
    let withdrawn = record
        .withdrawn_through
        .is_some_and(|w| w >= entry.revision);
    if entry.revision < record.revision || withdrawn {
        return false;
    }
    let same_category = record.category.as_deref() == Some(entry.category_slug.as_str());
    let placement = match record.placement {
        Some(placement) if same_category => placement,
        _ => {
            // New, republished, or moved to another category: a fresh slot
            // on the newest page; the old one (if any) leaves a gap.
            unplace(site, record, ops, dirty);
            let category = site
                .categories
                .entry(entry.category_slug.clone())
                .or_default();
            let placement = Placement {
                seq: category.next_seq,
                site_seq: site.next_site_seq,
            };
            category.next_seq += 1;
            site.next_site_seq += 1;
            if placement.seq > 0 && placement.seq % PAGE_SIZE == 0 {
                // The page before gains a "newer" link.
                dirty
                    .pages
                    .insert((entry.category_slug.clone(), page_of(placement.seq) - 1));
            }
            placement
        }
    };
    let slug = entry.category_slug.clone();
    let category = site.categories.entry(slug.clone()).or_default();
    category.name.clone_from(&entry.category_name);
    let slot = Slot {
        seq: placement.seq,
        site_seq: placement.site_seq,
        entry: entry.clone(),
    };
    put_latest(category, slot.clone());
    retag(tags, record, entry, placement.site_seq, ops, dirty);
    record.revision = slot.entry.revision;
    record.category = Some(slug.clone());
    record.placement = Some(placement);
    dirty.records.insert(slot.entry.article_id.clone());
    dirty.categories.insert(slug.clone());
    dirty.pages.insert((slug.clone(), page_of(placement.seq)));
    dirty.shards.insert(shard_of(placement.site_seq));
    ops.push(Op::PutInShard {
        shard: shard_of(placement.site_seq),
        site_seq: placement.site_seq,
        url: url_of(&slot.entry),
    });
    ops.push(Op::PutInPage {
        category: slug,
        page: page_of(placement.seq),
        slot,
    });
    true
}

/// A withdrawal seen again. Its record was written, but a flush that died
/// before the site state (written last) may have left the article in its
/// category's newest list and in the news sitemap: take it out of both,
/// unless a newer revision has been listed since.
fn forget_withdrawn(
    site: &mut SiteState,
    tags: &mut BTreeMap<String, CategoryState>,
    record: &ArticleRecord,
    article_id: &str,
    dirty: &mut Dirty,
) {
    if record.placement.is_some() {
        return;
    }
    let forget = |listing: String, state: &mut CategoryState, dirty: &mut Dirty| {
        let before = state.latest.len();
        state
            .latest
            .retain(|slot| slot.entry.article_id != article_id);
        let changed = state.latest.len() != before;
        if changed {
            dirty.refill.insert(listing);
        }
        changed
    };
    if let Some(category) = &record.category
        && let Some(state) = site.categories.get_mut(category)
        && forget(category.clone(), state, dirty)
    {
        dirty.categories.insert(category.clone());
    }
    for slug in &record.withdrawn_from_tags {
        if let Some(state) = tags.get_mut(slug)
            && forget(tag_listing(slug), state, dirty)
        {
            // Still in the newest list, so the tag's state before the
            // withdrawal is what was committed: its count includes it.
            state.live = state.live.saturating_sub(1);
            dirty.tags.insert(slug.clone());
        }
    }
    dirty.news |= site.news.unlisted(article_id);
}

/// Takes the article off its page, its category's newest list and the sitemap.
fn unplace(site: &mut SiteState, record: &mut ArticleRecord, ops: &mut Vec<Op>, dirty: &mut Dirty) {
    let (Some(category), Some(placement)) = (record.category.clone(), record.placement.take())
    else {
        return;
    };
    if let Some(state) = site.categories.get_mut(&category)
        && let Some(at) = state.latest.iter().position(|s| s.seq == placement.seq)
    {
        state.latest.remove(at);
        dirty.refill.insert(category.clone());
    }
    let page = page_of(placement.seq);
    ops.push(Op::RemoveFromPage {
        category: category.clone(),
        page,
        seq: placement.seq,
    });
    ops.push(Op::RemoveFromShard {
        shard: shard_of(placement.site_seq),
        site_seq: placement.site_seq,
    });
    dirty.pages.insert((category.clone(), page));
    dirty.shards.insert(shard_of(placement.site_seq));
    dirty.categories.insert(category);
}

/// Carries out `ops` on the loaded pages and shards (missing ones start empty).
pub fn apply_ops(
    ops: Vec<Op>,
    pages: &mut BTreeMap<(String, u64), PageState>,
    shards: &mut BTreeMap<u64, ShardState>,
) {
    for op in ops {
        match op {
            Op::PutInPage {
                category,
                page,
                slot,
            } => {
                let state = pages.entry((category, page)).or_default();
                state.slots.insert(slot.seq, slot);
            }
            Op::RemoveFromPage {
                category,
                page,
                seq,
            } => {
                pages
                    .entry((category, page))
                    .or_default()
                    .slots
                    .remove(&seq);
            }
            Op::PutInShard {
                shard,
                site_seq,
                url,
            } => {
                shards.entry(shard).or_default().urls.insert(site_seq, url);
            }
            Op::RemoveFromShard { shard, site_seq } => {
                shards.entry(shard).or_default().urls.remove(&site_seq);
            }
        }
    }
}

/// The category or tag whose listing name is `listing` (`<category>` or
/// `tag/<slug>`), among the site's categories and the loaded tags.
pub fn listing_mut<'a>(
    site: &'a mut SiteState,
    tags: &'a mut BTreeMap<String, CategoryState>,
    listing: &str,
) -> Option<&'a mut CategoryState> {
    match crate::tag_of_listing(listing) {
        Some(slug) => tags.get_mut(slug),
        None => site.categories.get_mut(listing),
    }
}

/// Rebuilds a category's newest list from its newest pages, given newest
/// page first.
pub fn refresh_latest<'a>(
    category: &mut CategoryState,
    newest_pages: impl Iterator<Item = &'a PageState>,
) {
    let mut latest = Vec::with_capacity(FEED_LEN);
    for page in newest_pages {
        latest.extend(page.slots.values().rev().cloned());
        if latest.len() >= FEED_LEN {
            break;
        }
    }
    latest.truncate(FEED_LEN);
    category.latest = latest;
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
