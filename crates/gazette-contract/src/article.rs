//! The article as an upstream system submits it (`schemas/article.v1.json`).

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// The `data` of `article.submitted`. Field limits live in the schema file,
/// which the validate stage applies before this type is ever built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Article {
    pub id: String,
    pub revision: u64,
    pub title: String,
    pub category: Category,
    pub published_at: DateTime<FixedOffset>,
    /// When this revision was edited; absent for most first revisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<FixedOffset>>,
    pub author: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub lead: String,
    pub body: Body,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default = "default_language")]
    pub language: String,
    /// The lead picture; the body's own pictures are its `<img>` tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_image: Option<CoverImage>,
}

/// Most pictures an article may carry: its cover and the distinct sources
/// of its body's images (`schemas/article.v1.json`).
pub const MAX_IMAGES_PER_ARTICLE: usize = 20;

/// `cover_image`: the article's lead picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverImage {
    pub src: String,
    /// Empty only when `decorative`.
    #[serde(default)]
    pub alt: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decorative: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_point: Option<FocalPoint>,
}

/// The point crops keep, in fractions of the width and height from the top left.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FocalPoint {
    pub x: f64,
    pub y: f64,
}

fn default_language() -> String {
    "vi".to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    pub format: BodyFormat,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    Markdown,
    Html,
}

impl Article {
    /// When this revision last changed, for `dateModified`: its
    /// `updated_at`, or its publication when the CMS did not say or gave an
    /// earlier time (an article edited before its scheduled publication
    /// was not modified after it: search engines read a `dateModified`
    /// before `datePublished` as an error).
    pub fn modified_at(&self) -> DateTime<FixedOffset> {
        match self.updated_at {
            Some(updated) if updated > self.published_at => updated,
            _ => self.published_at,
        }
    }
}
