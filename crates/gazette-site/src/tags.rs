//! Tags' listings: an article is listed under each tag it carries, on pages counted from the oldest like a category's, in place across revisions.

use std::collections::BTreeMap;

use crate::plan::page_of;
use crate::{
    ArticleRecord, CategoryState, Dirty, Entry, FEED_LEN, Op, PAGE_SIZE, Slot, tag_listing,
    tag_slug,
};

/// Puts `slot` in the listing's newest list, newest first by sequence; an
/// update replaces its slot in place.
pub(crate) fn put_latest(listing: &mut CategoryState, slot: Slot) {
    listing.latest.retain(|s| s.seq != slot.seq);
    let at = listing.latest.partition_point(|s| s.seq > slot.seq);
    if at < FEED_LEN {
        listing.latest.insert(at, slot);
        listing.latest.truncate(FEED_LEN);
    }
}

/// Lists the revision under each tag it carries (in place where it already
/// was, on the tag's newest page where it is new), and takes it off the
/// tags it no longer carries. Tags whose slug is empty have no page; two
/// tags with one slug are one tag, under the first one's name.
pub(crate) fn retag(
    tags: &mut BTreeMap<String, CategoryState>,
    record: &mut ArticleRecord,
    entry: &Entry,
    site_seq: u64,
    ops: &mut Vec<Op>,
    dirty: &mut Dirty,
) {
    // Listed again: nothing is left for a late copy of its withdrawal to finish.
    record.withdrawn_from_tags.clear();
    let mut carried: BTreeMap<String, &str> = BTreeMap::new();
    for name in &entry.tags {
        let slug = tag_slug(name);
        if !slug.is_empty() {
            carried.entry(slug).or_insert(name);
        }
    }
    let dropped: Vec<String> = record
        .tags
        .keys()
        .filter(|slug| !carried.contains_key(*slug))
        .cloned()
        .collect();
    for slug in dropped {
        untag(tags, record, &slug, ops, dirty);
    }
    for (slug, name) in carried {
        let listing = tag_listing(&slug);
        let tag = tags.entry(slug.clone()).or_default();
        name.clone_into(&mut tag.name);
        let seq = match record.tags.get(&slug) {
            Some(seq) => *seq,
            None => {
                let seq = tag.next_seq;
                tag.next_seq += 1;
                tag.live += 1;
                if seq > 0 && seq % PAGE_SIZE == 0 {
                    // The page before gains a "newer" link.
                    dirty.pages.insert((listing.clone(), page_of(seq) - 1));
                }
                record.tags.insert(slug.clone(), seq);
                seq
            }
        };
        let slot = Slot {
            seq,
            site_seq,
            entry: entry.clone(),
        };
        put_latest(tag, slot.clone());
        dirty.pages.insert((listing.clone(), page_of(seq)));
        dirty.tags.insert(slug);
        ops.push(Op::PutInPage {
            category: listing,
            page: page_of(seq),
            slot,
        });
    }
}

/// Takes the article off the tag `slug`: its page keeps a gap, like a category's.
pub(crate) fn untag(
    tags: &mut BTreeMap<String, CategoryState>,
    record: &mut ArticleRecord,
    slug: &str,
    ops: &mut Vec<Op>,
    dirty: &mut Dirty,
) {
    let Some(seq) = record.tags.remove(slug) else {
        return;
    };
    let listing = tag_listing(slug);
    if let Some(tag) = tags.get_mut(slug) {
        tag.live = tag.live.saturating_sub(1);
        if let Some(at) = tag.latest.iter().position(|s| s.seq == seq) {
            tag.latest.remove(at);
            dirty.refill.insert(listing.clone());
        }
    }
    ops.push(Op::RemoveFromPage {
        category: listing.clone(),
        page: page_of(seq),
        seq,
    });
    dirty.pages.insert((listing, page_of(seq)));
    dirty.tags.insert(slug.to_owned());
}
