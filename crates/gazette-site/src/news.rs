//! `sitemap-news.xml`, the Google News sitemap: the articles published in the last 48 hours, kept in the site state and aged out by time.
//!
//! Google News reads only articles from the last two days and at most
//! 1,000 URLs per file, so the list is bounded twice over. It lives in
//! the site state ([`crate::SiteState::news`]), the object every flush
//! rewrites and commits last, so a flush that dies leaves it as it was.
//! A listed article enters (or is updated in) it when its publication
//! time is inside the window; a withdrawn one leaves it. Entries also
//! age out with no event at all, so the XML is rendered for an instant
//! (`now`): the indexer writes it on every flush and again on a timer.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::xml::{escape, whole_seconds};

/// Where the news sitemap is written, beside `sitemap.xml`.
pub const NEWS_SITEMAP_KEY: &str = "sitemap-news.xml";
/// How long an article stays in the news sitemap after its publication.
pub const NEWS_WINDOW: TimeDelta = TimeDelta::hours(48);
/// Google's limit for one news sitemap.
pub const NEWS_MAX_URLS: usize = 1000;

/// One article in the news sitemap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsEntry {
    pub loc: String,
    pub title: String,
    pub published_at: DateTime<FixedOffset>,
}

/// The articles of the window, by article id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsState {
    pub entries: BTreeMap<String, NewsEntry>,
}

impl NewsState {
    /// A listed article's revision, at `now`: in the window it enters or
    /// replaces its entry (a retitle, a moved page); outside it leaves.
    /// Whether the news sitemap changes.
    pub fn listed(&mut self, article_id: &str, news: NewsEntry, now: DateTime<Utc>) -> bool {
        if !in_window(news.published_at, now) {
            return self.unlisted(article_id);
        }
        self.entries.insert(article_id.to_owned(), news.clone()) != Some(news)
    }

    /// A withdrawn article leaves at once. Whether it was there.
    pub fn unlisted(&mut self, article_id: &str) -> bool {
        self.entries.remove(article_id).is_some()
    }

    /// Drops what aged out by `now`, then all but the newest
    /// [`NEWS_MAX_URLS`]. Whether anything was dropped.
    pub fn age(&mut self, now: DateTime<Utc>) -> bool {
        let before = self.entries.len();
        self.entries
            .retain(|_, entry| in_window(entry.published_at, now));
        if self.entries.len() > NEWS_MAX_URLS {
            let mut by_age: Vec<(DateTime<FixedOffset>, String)> = self
                .entries
                .iter()
                .map(|(id, entry)| (entry.published_at, id.clone()))
                .collect();
            by_age.sort();
            let excess = by_age.len() - NEWS_MAX_URLS;
            for (_, id) in by_age.into_iter().take(excess) {
                self.entries.remove(&id);
            }
        }
        self.entries.len() != before
    }
}

impl NewsState {
    /// When the next entry leaves the window, if any is in it: the moment
    /// the news sitemap next changes with no event.
    pub fn next_expiry(&self) -> Option<DateTime<Utc>> {
        self.entries
            .values()
            .map(|entry| entry.published_at.with_timezone(&Utc) + NEWS_WINDOW)
            .min()
    }
}

/// Published no later than `now` (a future time is an embargo, not news
/// yet) and no earlier than the window's start.
fn in_window(published_at: DateTime<FixedOffset>, now: DateTime<Utc>) -> bool {
    let published = published_at.with_timezone(&Utc);
    published <= now && now - published <= NEWS_WINDOW
}

/// The publication as Google News names it.
#[derive(Debug, Clone, Copy)]
pub struct Publication<'a> {
    pub name: &'a str,
    /// ISO 639 (`vi`).
    pub language: &'a str,
}

/// The news sitemap at `now`, newest first: only entries still in the
/// window, whatever the state holds. An empty window gives a valid, empty
/// URL set, which tells Google News there is nothing new.
pub fn news_sitemap(state: &NewsState, publication: Publication<'_>, now: DateTime<Utc>) -> String {
    let mut entries: Vec<&NewsEntry> = state
        .entries
        .values()
        .filter(|entry| in_window(entry.published_at, now))
        .collect();
    entries.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(a.loc.cmp(&b.loc)));
    entries.truncate(NEWS_MAX_URLS);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n",
    );
    let name = escape(publication.name);
    let language = escape(publication.language);
    for entry in entries {
        let _ = writeln!(
            xml,
            "<url><loc>{}</loc><news:news><news:publication><news:name>{name}</news:name><news:language>{language}</news:language></news:publication><news:publication_date>{}</news:publication_date><news:title>{}</news:title></news:news></url>",
            escape(&entry.loc),
            whole_seconds(entry.published_at),
            escape(&entry.title),
        );
    }
    xml.push_str("</urlset>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn now() -> DateTime<Utc> {
        at("2026-11-30T12:00:00+07:00").with_timezone(&Utc)
    }

    fn entry(title: &str, published_at: &str) -> NewsEntry {
        NewsEntry {
            loc: format!(
                "https://quan.example.vn/y-te/{}.html",
                gazette_text::slugify(title)
            ),
            title: title.to_owned(),
            published_at: at(published_at),
        }
    }

    const PUBLICATION: Publication<'static> = Publication {
        name: "Cổng thông tin quận <Nam Từ Liêm>",
        language: "vi",
    };

    #[test]
    fn only_the_last_two_days_are_news() {
        let mut state = NewsState::default();
        // One second inside the window, in another offset.
        assert!(state.listed("a", entry("Hôm qua", "2026-11-28T05:00:01Z"), now()));
        assert!(!state.listed(
            "b",
            entry("Ba ngày trước", "2026-11-27T12:00:00+07:00"),
            now()
        ));
        assert!(!state.listed("c", entry("Hẹn giờ", "2026-11-30T12:00:01+07:00"), now()));
        assert!(
            !state.listed("a", entry("Hôm qua", "2026-11-28T05:00:01Z"), now()),
            "a redelivery changes nothing"
        );
        assert_eq!(state.entries.keys().collect::<Vec<_>>(), ["a"]);

        // Two hours later "a" has aged out with no event about it.
        let later = now() + TimeDelta::hours(2);
        let xml = news_sitemap(&state, PUBLICATION, later);
        assert!(!xml.contains("<url>"), "{xml}");
        assert_eq!(
            state.next_expiry(),
            Some(at("2026-11-30T05:00:01Z").with_timezone(&Utc))
        );
        assert!(state.age(later));
        assert!(state.entries.is_empty());
        assert_eq!(state.next_expiry(), None);
        assert!(!state.age(later), "nothing left to drop");
    }

    #[test]
    fn updates_replace_and_withdrawals_remove() {
        let mut state = NewsState::default();
        assert!(state.listed("a", entry("Thông báo", "2026-11-30T08:00:00+07:00"), now()));
        let retitled = entry("Thông báo (đính chính)", "2026-11-30T08:00:00+07:00");
        assert!(state.listed("a", retitled, now()));
        assert_eq!(state.entries.len(), 1);
        assert_eq!(state.entries["a"].title, "Thông báo (đính chính)");
        // A revision backdated out of the window is no longer news.
        assert!(state.listed("a", entry("Thông báo", "2026-11-01T08:00:00+07:00"), now()));
        assert!(state.entries.is_empty());
        state.listed("b", entry("Tin", "2026-11-30T08:00:00+07:00"), now());
        assert!(state.unlisted("b"));
        assert!(!state.unlisted("never-listed"));
        assert!(state.entries.is_empty());
    }

    #[test]
    fn the_xml_names_the_publication_and_escapes_text() {
        let mut state = NewsState::default();
        for (id, title, at) in [
            ("a", "Tin <b> & \"ngắn\"", "2026-11-30T08:00:00+07:00"),
            ("b", "Mới hơn", "2026-11-30T09:30:00.5+07:00"),
        ] {
            assert!(state.listed(id, entry(title, at), now()));
        }
        let xml = news_sitemap(&state, PUBLICATION, now());
        assert!(xml.contains("xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\""));
        assert!(xml.contains("<news:name>Cổng thông tin quận &lt;Nam Từ Liêm&gt;</news:name>"));
        assert!(xml.contains("<news:language>vi</news:language>"));
        assert!(xml.contains("<news:title>Tin &lt;b&gt; &amp; &quot;ngắn&quot;</news:title>"));
        assert!(
            xml.contains(
                "<news:publication_date>2026-11-30T09:30:00+07:00</news:publication_date>"
            )
        );
        let newest = xml.find("/moi-hon.html").unwrap_or(usize::MAX);
        let older = xml.find("/tin-b-ngan.html").unwrap_or(0);
        assert!(newest < older, "newest first: {xml}");
    }

    #[test]
    fn at_most_a_thousand_urls_the_newest_kept() {
        let mut state = NewsState::default();
        let start = at("2026-11-29T00:00:00+07:00");
        for n in 0..(NEWS_MAX_URLS + 5) {
            let published = start + TimeDelta::seconds(n as i64);
            assert!(state.listed(
                &format!("n{n}"),
                entry(&format!("Tin {n}"), &published.to_rfc3339()),
                now()
            ));
        }
        assert!(state.age(now()));
        assert_eq!(state.entries.len(), NEWS_MAX_URLS);
        assert!(!state.entries.contains_key("n4"));
        assert!(state.entries.contains_key("n5"));
        let xml = news_sitemap(&state, PUBLICATION, now());
        assert_eq!(xml.matches("<url>").count(), NEWS_MAX_URLS);
    }
}
