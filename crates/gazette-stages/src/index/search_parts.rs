//! The search index's parts: the year each document falls in, what each part holds, and the list of parts the search page reads.
//!
//! One Pagefind build holds every document it indexes in memory (about
//! 400 KB an article; docs/capacity.md), so one index of a whole archive
//! stops fitting long before the archive stops growing. The index is
//! split by the year a reader sees on the article, each year a whole
//! index in its own folder (`pagefind/2022/`), and a build rebuilds only
//! the parts whose documents changed: a build's memory is bounded by the
//! largest changed year, and a steady flow of news rebuilds only the
//! current one. The search page merges the parts in the reader's browser
//! (Pagefind's `mergeIndex`), newest first.
//!
//! Whether a part changed is decided by its content, not by the journals:
//! a digest over its documents, in shard order, and [`INDEX_FORMAT`]. So a
//! withdrawal, a correction that moves an article to another year, a
//! rebuild, a Pagefind upgrade or a build that died halfway all rebuild
//! exactly the parts they leave different.

use std::collections::BTreeMap;

use gazette_search::{INDEX_FORMAT, PARTS_FILE, SEARCH_FOLDER, SearchDocument};
use gazette_store::PutObject;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::super::IndexFailure;
use super::super::flush::json_object;

/// The part of a document whose date line names no year. Only a date
/// line Gazette did not write has none; it is still found.
pub(crate) const UNDATED: &str = "undated";

/// The part `document` falls in: the year of its date line, in the
/// portal's zone, as the reader sees it.
pub(crate) fn part_of(document: &SearchDocument) -> &str {
    gazette_text::portal_year(&document.date).unwrap_or(UNDATED)
}

/// What a part holds, as far as its index is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartContent {
    pub(crate) documents: usize,
    /// Hex SHA-256 over [`INDEX_FORMAT`] and the part's documents.
    pub(crate) digest: String,
}

/// Every part's content, taken document by document as the shards are
/// read, so that it never holds the documents themselves.
#[derive(Default)]
pub(crate) struct Survey {
    parts: BTreeMap<String, (usize, sha2::Sha256)>,
}

impl Survey {
    /// Counts `document` (article `id`) into its part. Documents must come
    /// in the same order every time (shard by shard, each by id) for equal
    /// parts to have equal digests.
    pub(crate) fn add(&mut self, id: &str, document: &SearchDocument) -> Result<(), IndexFailure> {
        let encoded = serde_json::to_vec(document).map_err(IndexFailure::Encode)?;
        let (count, hasher) = self
            .parts
            .entry(part_of(document).to_owned())
            .or_insert_with(|| (0, sha2::Sha256::new_with_prefix(INDEX_FORMAT)));
        *count += 1;
        // Lengths first, so that no two sequences of documents hash alike.
        for field in [id.as_bytes(), &encoded] {
            hasher.update((field.len() as u64).to_le_bytes());
            hasher.update(field);
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> BTreeMap<String, PartContent> {
        self.parts
            .into_iter()
            .map(|(part, (documents, hasher))| {
                let digest = hex::encode(hasher.finalize());
                (part, PartContent { documents, digest })
            })
            .collect()
    }
}

/// `parts` in the order the search page merges them: the newest year
/// first (its Pagefind reads the others), the undated last.
pub(crate) fn newest_first<'a>(parts: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut parts: Vec<String> = parts.into_iter().cloned().collect();
    parts.sort_by(|a, b| {
        let year = |p: &str| p.parse::<u32>().ok();
        match (year(a), year(b)) {
            (Some(a), Some(b)) => b.cmp(&a),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.cmp(b),
        }
    });
    parts
}

/// `pagefind/parts.json` as the search page reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PartsList {
    /// Newest first; each is the folder `pagefind/<part>/`.
    pub(crate) parts: Vec<String>,
}

/// The parts list naming `parts`, for the public site.
pub(crate) fn parts_object(parts: Vec<String>) -> Result<PutObject, IndexFailure> {
    json_object(format!("{SEARCH_FOLDER}{PARTS_FILE}"), &PartsList { parts })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dated(date: &str, body: &str) -> SearchDocument {
        SearchDocument {
            url: "/tin-tuc/a.html".to_owned(),
            title: "Đường".to_owned(),
            date: date.to_owned(),
            category: "Tin tức".to_owned(),
            lead: String::new(),
            body_html: body.to_owned(),
        }
    }

    fn survey(documents: &[(&str, SearchDocument)]) -> BTreeMap<String, PartContent> {
        let mut survey = Survey::default();
        for (id, document) in documents {
            survey.add(id, document).unwrap_or_else(|e| panic!("{e}"));
        }
        survey.finish()
    }

    #[test]
    fn a_document_falls_in_the_year_its_reader_sees() {
        assert_eq!(part_of(&dated("23/06/2022 | 15:04", "")), "2022");
        assert_eq!(part_of(&dated("01/01/2023 | 00:30", "")), "2023");
        for odd in ["", "2022", "hôm qua", "23/06/2022"] {
            assert_eq!(part_of(&dated(odd, "")), UNDATED, "{odd:?}");
        }
    }

    #[test]
    fn only_the_part_whose_documents_changed_has_a_new_digest() {
        let old = dated("23/06/2021 | 08:00", "<p>cũ</p>");
        let new = dated("23/06/2022 | 15:04", "<p>mới</p>");
        let before = survey(&[("a", old.clone()), ("b", new.clone())]);
        assert_eq!(before.len(), 2);
        assert_eq!(before["2021"].documents, 1);

        let corrected = dated("23/06/2022 | 15:04", "<p>mới, đã sửa</p>");
        let after = survey(&[("a", old.clone()), ("b", corrected)]);
        assert_eq!(before["2021"], after["2021"]);
        assert_ne!(before["2022"].digest, after["2022"].digest);

        // The same documents under other ids are another part.
        let renamed = survey(&[("a", old.clone()), ("c", new.clone())]);
        assert_ne!(before["2022"].digest, renamed["2022"].digest);
        // Moving text between two documents is not the same part either.
        let split = survey(&[("ab", dated("23/06/2022 | 15:04", "x")), ("c", new.clone())]);
        let joined = survey(&[("a", dated("23/06/2022 | 15:04", "xc")), ("", new)]);
        assert_ne!(split["2022"].digest, joined["2022"].digest);
        // A year emptied of documents is no part at all.
        assert_eq!(survey(&[("a", old)]).keys().collect::<Vec<_>>(), ["2021"]);
    }

    #[test]
    fn parts_go_newest_first_and_the_undated_last() {
        let parts: Vec<String> = ["2019", UNDATED, "2024", "0999", "2022"]
            .map(str::to_owned)
            .into();
        assert_eq!(
            newest_first(&parts),
            ["2024", "2022", "2019", "0999", UNDATED]
        );
        assert_eq!(newest_first(&Vec::<String>::new()), Vec::<String>::new());
    }
}
