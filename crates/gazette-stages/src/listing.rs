//! What the indexer lists of a revision beyond its announcement (lead, byline, tags, cover, and the body search indexes), as publish keeps it in the registry with the advance and the indexer reads it back (`index/listing.rs`).

use gazette_contract::ValidatedArticle;
use gazette_site::EntryCover;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Listing {
    pub lead: String,
    pub author: String,
    pub tags: Vec<String>,
    pub cover: Option<EntryCover>,
    /// The sanitised body, for the search index.
    pub body_html: String,
}

impl Listing {
    pub(crate) fn of(validated: &ValidatedArticle) -> Self {
        Self {
            lead: validated.article.lead.clone(),
            author: validated.article.author.clone(),
            tags: validated.article.tags.clone(),
            cover: crate::render::pictures::entry_cover(validated),
            body_html: validated.body_html.clone(),
        }
    }

    /// The registry's form, for `Registry::advance_listed`.
    pub(crate) fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_reads_back_as_it_was_kept_vietnamese_text_and_all() {
        let listing = Listing {
            lead: "(NTL) Sáng ngày 23/6, Quận ủy tổ chức hội nghị".to_owned(),
            author: "Đặng Thị Hường".to_owned(),
            tags: vec!["Đảng bộ".to_owned(), "hội nghị".to_owned()],
            cover: Some(EntryCover {
                id: "c0ffee".to_owned(),
                width: 1600,
                height: 900,
                widths: vec![320, 640, 1280],
                webp: true,
                colour: "#808080".to_owned(),
                alt: "Quang cảnh hội nghị".to_owned(),
            }),
            body_html: "<p>Đồng chí \"Bí thư\" phát biểu &amp; chỉ đạo</p>".to_owned(),
        };
        let json = listing.to_json().expect("a listing encodes");
        assert_eq!(serde_json::from_str::<Listing>(&json).ok(), Some(listing));
    }

    #[test]
    fn a_listing_missing_a_field_is_refused_not_half_read() {
        // An empty lead from a half-written row would list the article
        // without one; refused, the indexer reads the copy instead.
        let partial = r#"{"author":"A","tags":[],"cover":null,"body_html":"<p>x</p>"}"#;
        assert!(serde_json::from_str::<Listing>(partial).is_err());
    }
}
