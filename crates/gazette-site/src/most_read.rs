//! The home page's "most read" block as the indexer keeps it: the registry's ranking joined to the listings' entries, with withdrawn articles left out.
//!
//! The counts live in the registry (the view counter writes them); titles
//! and addresses live in the listings' page states. The indexer joins the
//! two on a timer, and every flush that touches the home page drops the
//! articles it withdrew and takes the new revisions of those it updated, so
//! a withdrawn article leaves the block with the flush that withdraws it
//! rather than at the next tick.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::{ArticleRecord, Entry, PageState};
use crate::plan::page_of;

/// Articles in the block.
pub const MOST_READ_LEN: usize = 5;

/// `_gazette/index/most-read.json`: the block as last rendered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MostRead {
    /// Most read first.
    pub entries: Vec<Ranked>,
}

/// One article of the block and its count when the block was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    pub entry: Entry,
    pub views: u64,
}

/// The numbered page (listing, page number) where `record`'s article is
/// listed and its sequence there; `None` for a withdrawn article.
pub fn listed_at(record: &ArticleRecord) -> Option<((String, u64), u64)> {
    let category = record.category.as_ref()?;
    let placement = record.placement?;
    Some(((category.clone(), page_of(placement.seq)), placement.seq))
}

/// The pages that [`MostRead::rank`] reads for `records`.
pub fn pages_to_rank(records: &HashMap<String, ArticleRecord>) -> BTreeSet<(String, u64)> {
    records
        .values()
        .filter_map(|record| listed_at(record).map(|(page, _)| page))
        .collect()
}

/// Where `article_id` is listed, as `records` and `pages` say.
fn entry_of<'a>(
    article_id: &str,
    records: &HashMap<String, ArticleRecord>,
    pages: &'a BTreeMap<(String, u64), PageState>,
) -> Option<&'a Entry> {
    let (page, seq) = listed_at(records.get(article_id)?)?;
    let slot = pages.get(&page)?.slots.get(&seq)?;
    (slot.entry.article_id == article_id).then_some(&slot.entry)
}

impl MostRead {
    /// The block from the registry's ranking (most read first, longer than
    /// the block so that articles the listings no longer show can be
    /// skipped), with each entry as the listings hold it.
    pub fn rank(
        ranking: &[(String, u64)],
        records: &HashMap<String, ArticleRecord>,
        pages: &BTreeMap<(String, u64), PageState>,
    ) -> Self {
        let entries = ranking
            .iter()
            .filter_map(|(id, views)| {
                entry_of(id, records, pages).map(|entry| Ranked {
                    entry: entry.clone(),
                    views: *views,
                })
            })
            .take(MOST_READ_LEN)
            .collect();
        Self { entries }
    }

    /// Brings the block up to date with a flush: an article whose record
    /// the flush holds is dropped if it is no longer listed, and takes its
    /// listing's entry otherwise. Whether anything changed.
    pub fn follow(
        &mut self,
        records: &HashMap<String, ArticleRecord>,
        pages: &BTreeMap<(String, u64), PageState>,
    ) -> bool {
        let before = self.entries.clone();
        self.entries.retain_mut(|ranked| {
            let id = ranked.entry.article_id.as_str();
            let Some(record) = records.get(id) else {
                return true;
            };
            if listed_at(record).is_none() {
                return false;
            }
            if let Some(entry) = entry_of(id, records, pages) {
                ranked.entry = entry.clone();
            }
            true
        });
        self.entries != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Placement, Slot};

    fn entry(id: &str, title: &str) -> Entry {
        let at = chrono::DateTime::parse_from_rfc3339("2022-06-23T15:04:00+07:00")
            .unwrap_or_else(|e| panic!("{e}"));
        Entry {
            article_id: id.to_owned(),
            revision: 1,
            title: title.to_owned(),
            key: format!("thoi-su/{id}.html"),
            url: format!("https://example.test/thoi-su/{id}.html"),
            category_slug: "thoi-su".to_owned(),
            category_name: "Thời sự".to_owned(),
            published_at: at,
            updated_at: at,
            lead: String::new(),
            author: String::new(),
            tags: Vec::new(),
            cover: None,
        }
    }

    /// Articles `ids` listed in "thoi-su" at sequences 0, 1, …
    fn listed(
        ids: &[&str],
    ) -> (
        HashMap<String, ArticleRecord>,
        BTreeMap<(String, u64), PageState>,
    ) {
        let mut records = HashMap::new();
        let mut pages: BTreeMap<(String, u64), PageState> = BTreeMap::new();
        for (seq, id) in (0u64..).zip(ids) {
            records.insert(
                (*id).to_owned(),
                ArticleRecord {
                    revision: 1,
                    category: Some("thoi-su".to_owned()),
                    placement: Some(Placement { seq, site_seq: seq }),
                    ..ArticleRecord::default()
                },
            );
            let page = pages
                .entry(("thoi-su".to_owned(), page_of(seq)))
                .or_default();
            page.slots.insert(
                seq,
                Slot {
                    seq,
                    site_seq: seq,
                    entry: entry(id, &format!("Bài {id}")),
                },
            );
        }
        (records, pages)
    }

    #[test]
    fn the_block_keeps_the_ranking_order_and_skips_what_is_not_listed() {
        let ids: Vec<String> = (0..30).map(|n| format!("a{n:02}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let (mut records, pages) = listed(&refs);
        // a05 is withdrawn; "ghost" has views but no record at all.
        if let Some(record) = records.get_mut("a05") {
            record.placement = None;
        }
        let ranking: Vec<(String, u64)> =
            ["a29", "a05", "ghost", "a00", "a21", "a03", "a07", "a08"]
                .iter()
                .zip((1..=8).rev())
                .map(|(id, views)| ((*id).to_owned(), views * 100))
                .collect();
        let block = MostRead::rank(&ranking, &records, &pages);
        let shown: Vec<(&str, u64)> = block
            .entries
            .iter()
            .map(|r| (r.entry.article_id.as_str(), r.views))
            .collect();
        assert_eq!(
            shown,
            [
                ("a29", 800),
                ("a00", 500),
                ("a21", 400),
                ("a03", 300),
                ("a07", 200)
            ]
        );
        assert_eq!(shown.len(), MOST_READ_LEN);
    }

    #[test]
    fn a_slot_holding_another_article_is_not_taken_for_it() {
        let (records, mut pages) = listed(&["a", "b"]);
        if let Some(page) = pages.get_mut(&("thoi-su".to_owned(), 1)) {
            page.slots.remove(&0);
        }
        let block = MostRead::rank(&[("a".into(), 9), ("b".into(), 3)], &records, &pages);
        assert_eq!(block.entries.len(), 1);
        assert_eq!(block.entries[0].entry.article_id, "b");
    }

    #[test]
    fn a_flush_drops_withdrawn_articles_and_takes_new_titles() {
        let (mut records, mut pages) = listed(&["a", "b", "c"]);
        let ranking = [("a".into(), 30), ("b".into(), 20), ("c".into(), 10)];
        let mut block = MostRead::rank(&ranking, &records, &pages);
        // The flush holds a (withdrawn) and b (retitled); c is not in it.
        if let Some(record) = records.get_mut("a") {
            record.placement = None;
        }
        if let Some(slot) = pages
            .get_mut(&("thoi-su".to_owned(), 1))
            .and_then(|p| p.slots.get_mut(&1))
        {
            slot.entry.title = "Tiêu đề mới".to_owned();
        }
        records.remove("c");
        assert!(block.follow(&records, &pages));
        let titles: Vec<&str> = block
            .entries
            .iter()
            .map(|r| r.entry.title.as_str())
            .collect();
        assert_eq!(titles, ["Tiêu đề mới", "Bài c"]);
        assert!(
            !block.follow(&records, &pages),
            "nothing new the second time"
        );
    }
}
