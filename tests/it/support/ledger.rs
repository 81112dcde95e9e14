//! The fault suite's ledger: what was submitted, what the store holds, what was announced, and the figures that judge a run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use gazette_contract::{Envelope, Published};
use gazette_store::Store;

/// Everything one run did and saw.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Messages sent, duplicates and poison included.
    pub submissions: usize,
    /// Each article's newest valid revision submitted: what must end up
    /// published. Kept as revisions are recorded, not derived on each
    /// look: the harness looks after every delivery, and deriving it there
    /// once held the collector to about 60 deliveries a second, so the
    /// harness, not the pipeline, set the figures.
    expected: BTreeMap<String, u64>,
    /// How many of `expected` have been announced.
    announced_expected: usize,
    /// Poison message ids and the dead-letter reason each must get.
    pub poison: BTreeMap<String, &'static str>,
    /// `(article id, revision)` → distinct `article.published` ids seen.
    pub announced: BTreeMap<(String, u64), BTreeSet<String>>,
    /// `(article id, revision)` → the earliest `time` its announcements
    /// carry: when the publish stage announced it, not when the harness
    /// got to read it.
    pub first_announced: BTreeMap<(String, u64), chrono::DateTime<chrono::Utc>>,
    pub published_deliveries: usize,
    /// The longest an announcement took from the `time` the publish stage
    /// stamped on it to the harness's first reading of it, and when that
    /// reading was: what a subscriber waited. Redeliveries are not counted.
    pub longest_wait: Option<(chrono::TimeDelta, chrono::DateTime<chrono::Utc>)>,
    /// Dead-letter message id → reason.
    pub dead_letters: BTreeMap<String, String>,
}

impl Ledger {
    pub fn record_published(&mut self, body: &[u8]) {
        let Ok(event) = serde_json::from_slice::<Envelope<Published>>(body) else {
            panic!(
                "unreadable article.published: {}",
                String::from_utf8_lossy(body)
            );
        };
        self.published_deliveries += 1;
        let key = (event.data.article_id, event.data.revision);
        self.first_announced
            .entry(key.clone())
            .and_modify(|first| *first = (*first).min(event.time))
            .or_insert(event.time);
        if !self.announced.contains_key(&key) && self.expected.get(&key.0) == Some(&key.1) {
            self.announced_expected += 1;
        }
        if self.announced.entry(key).or_default().insert(event.id) {
            let now = chrono::Utc::now();
            let waited = now - event.time;
            if self
                .longest_wait
                .is_none_or(|(longest, _)| waited > longest)
            {
                self.longest_wait = Some((waited, now));
            }
        }
    }

    /// A valid revision submitted: the newest of its article must be published.
    pub fn record_valid(&mut self, article: &str, revision: u64) {
        let newest = self.expected.get(article).copied();
        if newest.is_some_and(|newest| newest >= revision) {
            return;
        }
        let announced = |revision| self.announced.contains_key(&(article.to_owned(), revision));
        let was = newest.is_some_and(announced);
        let is = announced(revision);
        self.announced_expected = self.announced_expected + usize::from(is) - usize::from(was);
        self.expected.insert(article.to_owned(), revision);
    }

    /// When each expected article's newest revision was first announced,
    /// by the events' own clock, in order.
    pub fn announcement_times(&self) -> Vec<chrono::DateTime<chrono::Utc>> {
        let mut times: Vec<_> = self
            .expected
            .iter()
            .filter_map(|(article, revision)| {
                self.first_announced
                    .get(&(article.clone(), *revision))
                    .copied()
            })
            .collect();
        times.sort();
        times
    }

    /// The newest valid revision of every article: what must end up published.
    pub fn expected(&self) -> &BTreeMap<String, u64> {
        &self.expected
    }

    /// Whether every article's newest revision has been announced.
    pub fn all_announced(&self) -> bool {
        self.announced_expected == self.expected.len()
    }

    pub fn announced_count(&self) -> usize {
        self.announced_expected
    }

    /// Reads the public store and the archive and judges the run.
    pub async fn report(&self, store: &Store, archive: &Store) -> Report {
        let mut pages_per_article: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
        for key in store.list("").await.expect("list the bucket") {
            let head = store
                .head(&key)
                .await
                .expect("head")
                .expect("listed key exists");
            // Listings, feeds and redirects belong to no article; a page
            // names its article.
            let Some(article) = head
                .metadata
                .get("article-id")
                .cloned()
                .filter(|_| head.redirect.is_none())
            else {
                continue;
            };
            let revision = head
                .metadata
                .get("revision")
                .and_then(|r| r.parse().ok())
                .unwrap_or(0);
            pages_per_article
                .entry(article)
                .or_default()
                .push((key, revision));
        }
        let expected = &self.expected;
        let mut lost = Vec::new();
        let mut stale = Vec::new();
        for (article, newest) in expected {
            let shown = pages_per_article
                .get(article)
                .and_then(|pages| pages.iter().map(|(_, r)| *r).max());
            let copy = archive
                .head(&format!("articles/{article}/{newest}.json"))
                .await
                .expect("head");
            let announced = self.announced.contains_key(&(article.clone(), *newest));
            match shown {
                Some(shown) if copy.is_some() && announced => {
                    if shown < *newest {
                        stale.push(article.clone());
                    }
                }
                _ => lost.push(article.clone()),
            }
        }
        let duplicated_objects = pages_per_article
            .values()
            .map(|pages| pages.len().saturating_sub(1))
            .sum();
        let duplicated_events = self
            .announced
            .values()
            .map(|ids| ids.len().saturating_sub(1))
            .sum();
        let mut dead_by_reason: BTreeMap<String, usize> = BTreeMap::new();
        for reason in self.dead_letters.values() {
            *dead_by_reason.entry(reason.clone()).or_default() += 1;
        }
        let poison_misfiled = self
            .poison
            .iter()
            .filter(|(id, reason)| self.dead_letters.get(*id).map(String::as_str) != Some(**reason))
            .map(|(id, _)| id.clone())
            .collect();
        let unexpected_dead = self
            .dead_letters
            .keys()
            .filter(|id| !self.poison.contains_key(*id))
            .cloned()
            .collect();
        Report {
            submitted: self.submissions,
            articles: expected.len(),
            published: self.published_deliveries,
            lost,
            duplicated_objects,
            duplicated_events,
            stale,
            dead_by_reason,
            poison_misfiled,
            unexpected_dead,
        }
    }
}

/// The figures of one run.
#[derive(Debug)]
pub struct Report {
    pub submitted: usize,
    pub articles: usize,
    pub published: usize,
    pub lost: Vec<String>,
    pub duplicated_objects: usize,
    pub duplicated_events: usize,
    pub stale: Vec<String>,
    pub dead_by_reason: BTreeMap<String, usize>,
    /// Poison that was not dead-lettered, or with another reason.
    pub poison_misfiled: Vec<String>,
    /// Dead letters that were not poison.
    pub unexpected_dead: Vec<String>,
}

impl Report {
    pub fn assert_clean(&self, scenario: &str) {
        assert!(self.lost.is_empty(), "{scenario}: lost {:?}", self.lost);
        assert_eq!(self.duplicated_objects, 0, "{scenario}: duplicated objects");
        assert_eq!(
            self.duplicated_events, 0,
            "{scenario}: duplicated published events"
        );
        assert!(
            self.stale.is_empty(),
            "{scenario}: stale overwrites {:?}",
            self.stale
        );
        assert!(
            self.poison_misfiled.is_empty(),
            "{scenario}: poison not dead-lettered with its reason: {:?}",
            self.poison_misfiled
        );
        assert!(
            self.unexpected_dead.is_empty(),
            "{scenario}: good messages dead-lettered: {:?}",
            self.unexpected_dead
        );
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  submitted                  {} messages ({} articles)",
            self.submitted, self.articles
        )?;
        writeln!(
            f,
            "  published                  {} deliveries of article.published",
            self.published
        )?;
        writeln!(f, "  lost                       {}", self.lost.len())?;
        writeln!(
            f,
            "  duplicated objects         {}",
            self.duplicated_objects
        )?;
        writeln!(
            f,
            "  duplicated published events {}",
            self.duplicated_events
        )?;
        writeln!(f, "  stale overwrites           {}", self.stale.len())?;
        let dead: Vec<String> = self
            .dead_by_reason
            .iter()
            .map(|(reason, n)| format!("{reason}={n}"))
            .collect();
        write!(
            f,
            "  dead-lettered              {}",
            if dead.is_empty() {
                "0".to_owned()
            } else {
                dead.join(", ")
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Ledger;
    use chrono::{DateTime, TimeDelta, Utc};
    use gazette_contract::{Category, Envelope, EventType, Published, event_id};

    fn announcement(article: &str, revision: u64, sent: DateTime<Utc>) -> Vec<u8> {
        let mut event = Envelope::new(
            EventType::Published,
            event_id(article, revision, EventType::Published),
            "ledger-test",
            article,
            None,
            Published {
                article_id: article.to_owned(),
                revision,
                title: "Tiêu đề".to_owned(),
                category: Category {
                    slug: "thong-bao".to_owned(),
                    name: "Thông báo".to_owned(),
                },
                key: format!("thong-bao/{article}.html"),
                url: format!("https://example.test/thong-bao/{article}.html"),
                sha256: "0".repeat(64),
                published_at: sent.fixed_offset(),
            },
        );
        event.time = sent;
        serde_json::to_vec(&event).unwrap()
    }

    #[test]
    fn only_the_newest_revision_counts_whatever_order_things_arrive_in() {
        let now = Utc::now();
        let mut ledger = Ledger::default();
        ledger.record_valid("a", 1);
        ledger.record_published(&announcement("a", 1, now));
        assert_eq!(ledger.announced_count(), 1);
        assert!(ledger.all_announced());

        // A revision 2 recorded after its revision 1 was announced: the article is owed again.
        ledger.record_valid("a", 2);
        assert_eq!(ledger.announced_count(), 0);
        assert!(!ledger.all_announced());
        // An older revision recorded late changes nothing.
        ledger.record_valid("a", 1);
        assert_eq!(ledger.expected().get("a"), Some(&2));

        // An announcement read before its revision was recorded still counts.
        ledger.record_published(&announcement("b", 3, now));
        ledger.record_valid("b", 3);
        assert_eq!(ledger.announced_count(), 1);

        ledger.record_published(&announcement("a", 2, now));
        // The same announcement twice is counted once.
        ledger.record_published(&announcement("a", 2, now));
        assert_eq!(ledger.announced_count(), 2);
        assert!(ledger.all_announced());
        assert_eq!(ledger.published_deliveries, 4);
    }

    #[test]
    fn the_longest_wait_is_a_first_readings_not_a_redeliverys() {
        let now = Utc::now();
        let mut ledger = Ledger::default();
        ledger.record_valid("a", 1);
        ledger.record_valid("b", 1);
        ledger.record_published(&announcement("a", 1, now - TimeDelta::seconds(3)));
        let (first, _) = ledger.longest_wait.unwrap();
        assert!(first >= TimeDelta::seconds(3), "{first}");
        // Read again much later: a redelivery, not a subscriber's wait.
        ledger.record_published(&announcement("a", 1, now - TimeDelta::seconds(60)));
        assert_eq!(
            ledger.longest_wait.unwrap().0.num_seconds(),
            first.num_seconds()
        );
        ledger.record_published(&announcement("b", 1, now - TimeDelta::seconds(9)));
        assert!(ledger.longest_wait.unwrap().0 >= TimeDelta::seconds(9));
    }
}
