//! The index's bookkeeping: stable pages, bounded work, updates in place, withdrawals.

use std::collections::{BTreeMap, HashMap};

use chrono::DateTime;

use super::*;

fn entry(id: &str, revision: u64, category: &str) -> Entry {
    let at = DateTime::parse_from_rfc3339("2022-06-23T15:04:00+07:00").unwrap_or_default();
    Entry {
        article_id: id.to_owned(),
        revision,
        title: format!("Bài {id} bản {revision}"),
        key: format!("{category}/{id}.html"),
        url: format!("https://quan.example.vn/{category}/{id}.html"),
        category_slug: category.to_owned(),
        category_name: format!("Mục {category}"),
        published_at: at,
        updated_at: at,
        lead: String::new(),
        author: String::new(),
        tags: Vec::new(),
        cover: None,
    }
}

/// The index as a whole, applying batches the way the indexer does.
#[derive(Default)]
struct Index {
    site: SiteState,
    records: HashMap<String, ArticleRecord>,
    tags: BTreeMap<String, CategoryState>,
    pages: BTreeMap<(String, u64), PageState>,
    shards: BTreeMap<u64, ShardState>,
}

impl Index {
    /// Like the indexer, hands over only the records the batch names.
    fn apply(&mut self, changes: Vec<Change>) -> Dirty {
        let mut records: HashMap<String, ArticleRecord> = changes
            .iter()
            .map(|c| match c {
                Change::Listed(e) => e.article_id.clone(),
                Change::Unlisted { article_id, .. } => article_id.clone(),
            })
            .map(|id| {
                let record = self.records.get(&id).cloned().unwrap_or_default();
                (id, record)
            })
            .collect();
        let (ops, dirty) = plan_changes(
            &mut self.site,
            &mut records,
            &mut self.tags,
            changes,
            chrono::Utc::now(),
        );
        self.records.extend(records);
        apply_ops(ops, &mut self.pages, &mut self.shards);
        for category in &dirty.refill {
            let Some(state) = listing_mut(&mut self.site, &mut self.tags, category) else {
                continue;
            };
            let newest = state.pages();
            let pages = (1..=newest)
                .rev()
                .filter_map(|n| self.pages.get(&(category.clone(), n)));
            refresh_latest(state, pages);
        }
        dirty
    }

    fn page_ids(&self, category: &str, number: u64) -> Vec<String> {
        self.pages
            .get(&(category.to_owned(), number))
            .map(|p| {
                p.slots
                    .values()
                    .map(|s| s.entry.article_id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn listed(id: &str, revision: u64, category: &str) -> Change {
    Change::Listed(entry(id, revision, category))
}

#[test]
fn pages_count_from_the_oldest_and_never_shift() {
    let mut index = Index::default();
    for i in 0..45 {
        index.apply(vec![listed(&format!("a{i:02}"), 1, "tin-tuc")]);
    }
    assert_eq!(index.site.categories["tin-tuc"].pages(), 3);
    assert_eq!(
        index.page_ids("tin-tuc", 1).first().map(String::as_str),
        Some("a00")
    );
    assert_eq!(
        index.page_ids("tin-tuc", 3),
        ["a40", "a41", "a42", "a43", "a44"]
    );
    let latest: Vec<&str> = index.site.categories["tin-tuc"]
        .latest
        .iter()
        .map(|s| s.entry.article_id.as_str())
        .collect();
    assert_eq!(latest.len(), FEED_LEN);
    assert_eq!(latest.first(), Some(&"a44"));
    // Withdrawing an old article leaves a gap; no later page moves.
    index.apply(vec![Change::Unlisted {
        article_id: "a05".to_owned(),
        revision: 1,
    }]);
    assert_eq!(index.page_ids("tin-tuc", 1).len(), 19);
    assert_eq!(index.page_ids("tin-tuc", 3).len(), 5);
}

#[test]
fn a_new_article_dirties_the_same_few_objects_however_big_the_site() {
    let mut index = Index::default();
    let categories = ["tin-tuc", "y-te", "giao-duc", "van-hoa", "kinh-te"];
    let mut sizes = Vec::new();
    for (n, target) in [(100, 0), (20_000, 1)] {
        while index.site.next_site_seq < n {
            let i = index.site.next_site_seq;
            let category = categories[usize::try_from(i).unwrap_or(0) % categories.len()];
            index.apply(vec![listed(&format!("b{i}"), 1, category)]);
        }
        let dirty = index.apply(vec![listed(&format!("new{target}"), 1, "y-te")]);
        sizes.push((
            dirty.pages.len(),
            dirty.categories.len(),
            dirty.shards.len(),
            dirty.records.len(),
        ));
    }
    assert!(sizes[0].0 <= 2 && sizes[1].0 <= 2, "{sizes:?}");
    assert_eq!((sizes[0].1, sizes[0].2, sizes[0].3), (1, 1, 1));
    assert_eq!((sizes[1].1, sizes[1].2, sizes[1].3), (1, 1, 1));
}

#[test]
fn a_burst_in_one_category_dirties_each_page_once() {
    let mut index = Index::default();
    let burst: Vec<Change> = (0..30)
        .map(|i| listed(&format!("c{i}"), 1, "tin-tuc"))
        .collect();
    let dirty = index.apply(burst);
    assert_eq!(dirty.pages.len(), 2);
    assert_eq!(dirty.categories.len(), 1);
    assert_eq!(dirty.records.len(), 30);
}

#[test]
fn a_revision_updates_its_slot_in_place_and_stale_events_are_ignored() {
    let mut index = Index::default();
    index.apply(vec![listed("x", 1, "tin-tuc"), listed("y", 1, "tin-tuc")]);
    index.apply(vec![listed("x", 3, "tin-tuc")]);
    let dirty = index.apply(vec![listed("x", 2, "tin-tuc")]);
    assert!(dirty.pages.is_empty(), "an older revision changes nothing");
    let page = &index.pages[&("tin-tuc".to_owned(), 1)];
    assert_eq!(page.slots.len(), 2);
    assert_eq!(page.slots[&0].entry.revision, 3);
    assert_eq!(
        index.site.categories["tin-tuc"].latest[1].entry.title,
        "Bài x bản 3"
    );
}

#[test]
fn a_withdrawal_removes_everywhere_and_only_a_newer_revision_comes_back() {
    let mut index = Index::default();
    index.apply(vec![listed("x", 2, "tin-tuc"), listed("y", 1, "tin-tuc")]);
    let dirty = index.apply(vec![Change::Unlisted {
        article_id: "x".to_owned(),
        revision: 2,
    }]);
    assert!(dirty.refill.contains("tin-tuc"));
    assert_eq!(index.page_ids("tin-tuc", 1), ["y"]);
    assert!(index.shards[&1].urls.values().all(|u| u.article_id != "x"));
    assert_eq!(index.site.categories["tin-tuc"].latest.len(), 1);
    // A late event for a withdrawn revision stays out.
    index.apply(vec![listed("x", 2, "tin-tuc")]);
    assert_eq!(index.page_ids("tin-tuc", 1), ["y"]);
    // A new revision is a new publication, in a fresh slot.
    index.apply(vec![listed("x", 3, "tin-tuc")]);
    assert_eq!(index.page_ids("tin-tuc", 1), ["y", "x"]);
}

#[test]
fn moving_category_leaves_the_old_listing() {
    let mut index = Index::default();
    index.apply(vec![listed("x", 1, "tin-tuc")]);
    index.apply(vec![listed("x", 2, "y-te")]);
    assert!(index.page_ids("tin-tuc", 1).is_empty());
    assert_eq!(index.page_ids("y-te", 1), ["x"]);
    assert!(index.site.categories["tin-tuc"].latest.is_empty());
    assert_eq!(index.shards[&1].urls.len(), 1);
}

#[test]
fn placements_of_an_unfinished_flush_are_void() {
    let mut index = Index::default();
    index.apply(vec![listed("x", 1, "tin-tuc")]);
    let committed = index.site.clone();
    index.apply(vec![listed("y", 1, "tin-tuc")]);
    // The flush that placed y wrote y's record but died before the site state.
    index.site = committed;
    index.apply(vec![listed("z", 1, "tin-tuc"), listed("y", 1, "tin-tuc")]);
    let page = &index.pages[&("tin-tuc".to_owned(), 1)];
    let ids: Vec<&str> = page
        .slots
        .values()
        .map(|s| s.entry.article_id.as_str())
        .collect();
    assert_eq!(ids, ["x", "y", "z"], "y once, in a slot of its own");
    assert_eq!(index.site.categories["tin-tuc"].next_seq, 3);
}

/// Entries of the news sitemap, as (id, title), in id order.
fn news(index: &Index) -> Vec<(String, String)> {
    index
        .site
        .news
        .entries
        .iter()
        .map(|(id, entry)| (id.clone(), entry.title.clone()))
        .collect()
}

#[test]
fn the_news_sitemap_follows_accepted_revisions_only() {
    let mut index = Index::default();
    let fresh = |id: &str, revision: u64| {
        let mut entry = entry(id, revision, "tin-tuc");
        entry.published_at = (chrono::Utc::now() - chrono::TimeDelta::hours(3)).fixed_offset();
        Change::Listed(entry)
    };
    let dirty = index.apply(vec![
        fresh("n1", 2),
        fresh("n2", 1),
        listed("old", 1, "tin-tuc"),
    ]);
    assert!(dirty.news);
    assert_eq!(
        news(&index),
        [
            ("n1".to_owned(), "Bài n1 bản 2".to_owned()),
            ("n2".to_owned(), "Bài n2 bản 1".to_owned())
        ],
        "an article from 2022 is no news"
    );
    // A stale revision redelivered late does not bring back its old title.
    let dirty = index.apply(vec![fresh("n1", 1)]);
    assert!(!dirty.news);
    assert_eq!(news(&index)[0].1, "Bài n1 bản 2");
    // A withdrawal of an older revision than the one listed changes nothing;
    // of the listed one, it takes the article out.
    let dirty = index.apply(vec![Change::Unlisted {
        article_id: "n1".to_owned(),
        revision: 1,
    }]);
    assert!(!dirty.news);
    let dirty = index.apply(vec![Change::Unlisted {
        article_id: "n2".to_owned(),
        revision: 1,
    }]);
    assert!(dirty.news);
    assert_eq!(news(&index).len(), 1);
    // A redelivered withdrawal is no change at all.
    let dirty = index.apply(vec![Change::Unlisted {
        article_id: "n2".to_owned(),
        revision: 1,
    }]);
    assert!(!dirty.news);
}

fn tagged(id: &str, revision: u64, tags: &[&str]) -> Change {
    let mut entry = entry(id, revision, "tin-tuc");
    entry.tags = tags.iter().map(|t| (*t).to_owned()).collect();
    Change::Listed(entry)
}

#[test]
fn tags_list_articles_in_place_and_follow_retags_and_withdrawals() {
    let mut index = Index::default();
    // Two spellings of one tag are one tag, and a tag with no letter has no page.
    let dirty = index.apply(vec![tagged(
        "a",
        1,
        &["Hội nghị", "hội nghị", "!!!", "Đảng bộ"],
    )]);
    assert_eq!(
        index.tags.keys().collect::<Vec<_>>(),
        ["dang-bo", "hoi-nghi"]
    );
    assert_eq!(index.tags["hoi-nghi"].name, "Hội nghị");
    assert_eq!(dirty.tags.len(), 2);
    assert!(dirty.pages.contains(&("tag/hoi-nghi".to_owned(), 1)));
    index.apply(vec![tagged("b", 1, &["Hội nghị"])]);
    assert_eq!(index.page_ids("tag/hoi-nghi", 1), ["a", "b"]);
    assert_eq!(index.tags["hoi-nghi"].live, 2);

    // A new revision keeps its place; a retag leaves one tag and joins another.
    index.apply(vec![tagged("a", 2, &["Hội nghị", "Y tế"])]);
    assert_eq!(index.page_ids("tag/hoi-nghi", 1), ["a", "b"]);
    assert_eq!(index.tags["hoi-nghi"].latest[1].entry.revision, 2);
    assert!(index.page_ids("tag/dang-bo", 1).is_empty());
    assert_eq!(index.tags["dang-bo"].live, 0);
    assert!(index.tags["dang-bo"].latest.is_empty());
    assert_eq!(index.page_ids("tag/y-te", 1), ["a"]);

    // A stale revision changes no tag.
    let dirty = index.apply(vec![tagged("a", 1, &["Đảng bộ"])]);
    assert!(dirty.tags.is_empty());
    assert!(index.page_ids("tag/dang-bo", 1).is_empty());

    // A withdrawal takes it off every tag it carried.
    let dirty = index.apply(vec![Change::Unlisted {
        article_id: "a".to_owned(),
        revision: 2,
    }]);
    assert_eq!(dirty.tags.iter().collect::<Vec<_>>(), ["hoi-nghi", "y-te"]);
    assert_eq!(index.page_ids("tag/hoi-nghi", 1), ["b"]);
    assert!(index.page_ids("tag/y-te", 1).is_empty());
    assert_eq!(index.tags["hoi-nghi"].live, 1);
    assert!(index.records["a"].tags.is_empty());
}

#[test]
fn a_tag_place_from_a_flush_that_died_is_made_again_not_doubled() {
    let mut index = Index::default();
    index.apply(vec![tagged("a", 1, &["Hội nghị"])]);
    // The flush for "b" wrote its record, then died before the tag state.
    let tags_before = index.tags.clone();
    index.apply(vec![tagged("b", 1, &["Hội nghị"])]);
    assert_eq!(index.records["b"].tags["hoi-nghi"], 1);
    index.tags = tags_before;
    // Its message comes back: the place past the tag's counter is void,
    // and the same place is taken again.
    index.apply(vec![tagged("b", 1, &["Hội nghị"])]);
    assert_eq!(index.page_ids("tag/hoi-nghi", 1), ["a", "b"]);
    assert_eq!(index.tags["hoi-nghi"].next_seq, 2);
    assert_eq!(index.tags["hoi-nghi"].live, 2);
}

#[test]
fn a_tag_pages_from_the_oldest_and_a_new_article_touches_its_newest_page_only() {
    let mut index = Index::default();
    for i in 0..41 {
        index.apply(vec![tagged(&format!("a{i:02}"), 1, &["Hội nghị"])]);
    }
    assert_eq!(index.tags["hoi-nghi"].pages(), 3);
    assert_eq!(index.page_ids("tag/hoi-nghi", 3), ["a40"]);
    let dirty = index.apply(vec![tagged("new", 1, &["Hội nghị"])]);
    let tag_pages: Vec<_> = dirty
        .pages
        .iter()
        .filter(|(listing, _)| listing.starts_with("tag/"))
        .collect();
    assert_eq!(tag_pages, [&("tag/hoi-nghi".to_owned(), 3)]);
}

#[test]
fn a_withdrawal_seen_again_after_a_dead_flush_clears_the_newest_list() {
    let mut index = Index::default();
    index.apply(vec![
        tagged("a", 1, &["Hội nghị"]),
        tagged("b", 1, &["Hội nghị"]),
    ]);
    let site_before = index.site.clone();
    let tags_before = index.tags.clone();
    let withdraw = || Change::Unlisted {
        article_id: "a".to_owned(),
        revision: 1,
    };
    index.apply(vec![withdraw()]);
    // The flush wrote pages and records, then died before the tag and site states.
    index.site = site_before;
    index.tags = tags_before;
    let dirty = index.apply(vec![withdraw()]);
    assert!(dirty.categories.contains("tin-tuc"));
    assert!(dirty.tags.contains("hoi-nghi"));
    let in_tag: Vec<&str> = index.tags["hoi-nghi"]
        .latest
        .iter()
        .map(|s| s.entry.article_id.as_str())
        .collect();
    assert_eq!(in_tag, ["b"]);
    assert_eq!(index.tags["hoi-nghi"].live, 1);
    let latest: Vec<&str> = index.site.categories["tin-tuc"]
        .latest
        .iter()
        .map(|s| s.entry.article_id.as_str())
        .collect();
    assert_eq!(latest, ["b"]);
    // Republished since: a late copy of the old withdrawal leaves it listed.
    index.apply(vec![tagged("a", 2, &["Hội nghị"])]);
    assert!(index.records["a"].withdrawn_from_tags.is_empty());
    let dirty = index.apply(vec![withdraw()]);
    assert!(dirty.categories.is_empty());
    assert_eq!(index.site.categories["tin-tuc"].latest.len(), 2);
}
