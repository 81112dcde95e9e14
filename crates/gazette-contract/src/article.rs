//! The article as an upstream system submits it (`schemas/article.v1.json`).

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// The `data` of `article.submitted`. Field limits live in the schema file,
/// which the validate stage applies before this type is ever built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
