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
