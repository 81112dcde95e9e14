//! The publish stage: page and article JSON into the store, then `article.published`.
//!
//! Order matters. The page goes first and the article JSON last: the JSON's
//! revision is what later deliveries compare against, so it is only written
//! once everything it describes is in place. A crash in between is repaired
//! by the redelivery, which writes the same bytes under the same keys.

use std::collections::BTreeMap;

use gazette_broker::{Disposition, Failure, Handler, Inbound, Outbound};
use gazette_contract::{Envelope, EventType, Published, Rendered, event_id};
use gazette_store::{PutObject, Store, StoreError};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::render::join_url;
use crate::{decode_event, encode_event};

const SOURCE: &str = "/gazette/publish";
const META_ARTICLE_ID: &str = "article-id";
const META_REVISION: &str = "revision";
const META_SHA256: &str = "sha256";

/// Where an article's page lives: `<category>/<slug>.html`.
pub fn page_key(category_slug: &str, slug: &str) -> String {
    format!("{category_slug}/{slug}.html")
}

/// Where the validated article JSON lives: by id, so it survives title changes.
pub fn article_key(article_id: &str) -> String {
    format!("articles/{article_id}.json")
}

#[derive(Debug, thiserror::Error)]
pub enum PublishFailure {
    #[error("article.rendered event cannot be decoded: {0}")]
    Malformed(serde_json::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "page {key} already belongs to article {owner}; two articles share a category and title"
    )]
    KeyConflict { key: String, owner: String },
    #[error("cannot encode: {0}")]
    Encode(serde_json::Error),
}

impl Failure for PublishFailure {
    fn disposition(&self) -> Disposition {
        match self {
            Self::Store(e) if e.is_transient() => Disposition::Retry,
            Self::Store(_) => Disposition::DeadLetter {
                reason: "store-refused",
            },
            Self::Malformed(_) => Disposition::DeadLetter {
                reason: "malformed-event",
            },
            Self::KeyConflict { .. } => Disposition::DeadLetter {
                reason: "key-conflict",
            },
            Self::Encode(_) => Disposition::DeadLetter { reason: "encode" },
        }
    }
}

#[derive(Debug, Clone)]
pub struct PublishSettings {
    /// Public base URL of the site; without it `url` points into the store.
    pub public_url: Option<String>,
    pub page_cache_control: &'static str,
}

impl Default for PublishSettings {
    fn default() -> Self {
        // Pages change when an article is revised: let caches keep them
        // briefly, and revalidate after.
        Self {
            public_url: None,
            page_cache_control: "public, max-age=300, must-revalidate",
        }
    }
}

#[derive(Debug)]
pub struct PublishStage {
    store: Store,
    settings: PublishSettings,
}

impl PublishStage {
    pub fn new(store: Store, settings: PublishSettings) -> Self {
        Self { store, settings }
    }

    /// The revision stored under `key` for `article_id`: `Ok(None)` when free,
    /// an error when another article owns the key.
    async fn stored_revision(
        &self,
        key: &str,
        article_id: &str,
    ) -> Result<Option<u64>, PublishFailure> {
        let Some(head) = self.store.head(key).await? else {
            return Ok(None);
        };
        match head.metadata.get(META_ARTICLE_ID) {
            Some(owner) if owner != article_id => Err(PublishFailure::KeyConflict {
                key: key.to_owned(),
                owner: owner.clone(),
            }),
            _ => Ok(head
                .metadata
                .get(META_REVISION)
                .and_then(|r| r.parse().ok())),
        }
    }

    fn object(
        &self,
        key: String,
        body: Vec<u8>,
        content_type: &'static str,
        cache_control: &'static str,
        article_id: &str,
        revision: u64,
    ) -> PutObject {
        let sha256 = hex::encode(Sha256::digest(&body));
        let metadata = BTreeMap::from([
            (META_ARTICLE_ID.to_owned(), article_id.to_owned()),
            (META_REVISION.to_owned(), revision.to_string()),
            (META_SHA256.to_owned(), sha256),
        ]);
        PutObject {
            key,
            body,
            content_type,
            cache_control,
            metadata,
        }
    }
}

impl Handler for PublishStage {
    type Error = PublishFailure;

    async fn handle(&self, message: &Inbound) -> Result<Vec<Outbound>, PublishFailure> {
        let event: Envelope<Rendered> = decode_event(message).map_err(PublishFailure::Malformed)?;
        let rendered = &event.data;
        let article = &rendered.validated.article;
        let json_key = article_key(&article.id);

        // A newer revision already published wins, whatever order messages
        // arrive in. (ARCHITECTURE.md: the window two concurrent writers share.)
        if let Some(stored) = self.stored_revision(&json_key, &article.id).await? {
            if stored > article.revision {
                warn!(article_id = %article.id, revision = article.revision, stored, "a newer revision is already published; skipping");
                return Ok(Vec::new());
            }
        }
        self.stored_revision(&rendered.key, &article.id).await?;

        let page = self.object(
            rendered.key.clone(),
            rendered.html.clone().into_bytes(),
            "text/html; charset=utf-8",
            self.settings.page_cache_control,
            &article.id,
            article.revision,
        );
        let sha256 = page.metadata.get(META_SHA256).cloned().unwrap_or_default();
        self.store.put(page).await?;

        let json =
            serde_json::to_vec_pretty(&rendered.validated).map_err(PublishFailure::Encode)?;
        let json = self.object(
            json_key,
            json,
            "application/json",
            "no-cache",
            &article.id,
            article.revision,
        );
        self.store.put(json).await?;

        let url = match &self.settings.public_url {
            Some(base) => join_url(base, &rendered.key),
            None => self.store.locator(&rendered.key),
        };
        info!(article_id = %article.id, revision = article.revision, key = %rendered.key, %url, "published");
        let published = Envelope::new(
            EventType::Published,
            event_id(&article.id, article.revision, EventType::Published),
            SOURCE,
            &article.id,
            Some(event.correlation()),
            Published {
                article_id: article.id.clone(),
                revision: article.revision,
                title: article.title.clone(),
                category: article.category.clone(),
                key: rendered.key.clone(),
                url,
                sha256,
                published_at: article.published_at,
            },
        );
        Ok(vec![
            encode_event(EventType::Published, &published).map_err(PublishFailure::Encode)?,
        ])
    }
}
