//! Payloads of the events Gazette emits: rejections, internal hand-offs, publications.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::{Article, Category};

/// One problem with a submission, addressed by an RFC 6901 pointer into the
/// submitted event (`/data/title`), so a CMS can put the message next to the
/// field the editor has to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldError {
    pub pointer: String,
    pub message: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {}", self.message)
    }
}

/// Field errors on one line, for logs and dead-letter details.
pub fn join_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// `article.rejected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rejected {
    pub article_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    pub submission_id: String,
    pub errors: Vec<FieldError>,
}

/// `article.validated`: the article after validation, and the JSON stored
/// in the archive at `articles/<id>/<revision>.json`, the source of truth for rebuilds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatedArticle {
    /// Every text field NFC-normalised.
    pub article: Article,
    pub slug: String,
    /// The body as sanitised HTML, whatever format it was submitted in.
    /// Its `<img>` tags keep the CMS's URLs; render swaps each for the
    /// stored variants in `images`.
    pub body_html: String,
    /// Every picture the article uses, once stored (`article.illustrated`);
    /// empty before the media stage and in copies older than pictures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<StoredImage>,
}

impl ValidatedArticle {
    /// The stored picture the article names `src`.
    pub fn image(&self, src: &str) -> Option<&StoredImage> {
        self.images.iter().find(|image| image.src == src)
    }
}

/// One picture as the media stage stored it: where its variants are, and
/// what a page needs to lay it out before it loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredImage {
    /// As the article gives it.
    pub src: String,
    /// SHA-256 of its bytes and the variant settings; names its folder.
    pub id: String,
    pub width: u32,
    pub height: u32,
    /// `#rrggbb`.
    pub colour: String,
    /// Smallest first.
    pub widths: Vec<u32>,
    pub webp: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub social: Option<SocialCrop>,
    /// SHA-256 of the picture as fetched, kept in the archive
    /// (`_gazette/media/originals/<sha256>`), so a rebuild under new
    /// variant settings can make it again without fetching it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub original: String,
}

/// The cover's crop for social cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocialCrop {
    pub key: String,
    pub width: u32,
    pub height: u32,
}

/// `article.rendered`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rendered {
    pub validated: ValidatedArticle,
    pub key: String,
    pub html: String,
}

/// `article.published`, and `article.updated` when the revision replaced a live one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    pub article_id: String,
    pub revision: u64,
    pub title: String,
    pub category: Category,
    pub key: String,
    pub url: String,
    pub sha256: String,
    pub published_at: DateTime<FixedOffset>,
}

/// `article.withdrawn`: an upstream system takes an article down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    pub id: String,
    pub reason: String,
}

/// `article.unpublished`: a withdrawn article's page is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unpublished {
    pub article_id: String,
    /// The newest revision stored when the withdrawal was carried out.
    pub revision: u64,
    pub reason: String,
    pub category: Category,
    pub key: String,
    pub url: String,
}

/// `article.scheduled`: a revision dated in the future was accepted and is
/// held until `published_at`. It says no more than the CMS already knows:
/// not the title, not the address, since nothing of an embargoed article
/// may be public before its time and anyone may bind to the events exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheduled {
    pub article_id: String,
    pub revision: u64,
    /// When it goes live: the revision's own `published_at`.
    pub published_at: DateTime<FixedOffset>,
}

/// Routing key of validate's hand-off of an article that names no pictures:
/// straight to render, past the media stage, which would have nothing to
/// store for it and would only cost the article a broker hop. The body is
/// `article.validated` (its schema pins the type, and `images` is empty);
/// render checks again that the article names no picture.
pub const VALIDATED_WITHOUT_PICTURES: &str = "article.validated.no-pictures";

/// Routing key of the notifier's internal hand-off from `notify` to `deliver`.
pub const NOTIFICATION_DUE: &str = "notification.due";

/// `notification.due` (plain JSON, not a CloudEvent): one notification to
/// send, who to, under which ledger key, about which event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationDue {
    pub subscription_id: String,
    pub notification_key: String,
    /// The `article.published` or `article.updated` CloudEvent, as
    /// received; `deliver` checks it against its schema again.
    pub event: serde_json::Value,
}
