//! The publish stage: the revision's copies and its page into the store, then `article.published` (first revision) or `article.updated`.
//!
//! The store-side rules for revisions (immutable copies, conditional page
//! writes, the verify-and-repair step) live in `revisions.rs`.

use bytes::Bytes;
use gazette_broker::{Disposition, Failure, Handler, Inbound, Outbound};
use gazette_contract::{Envelope, EventType, FieldError, Published, Rendered, Schemas, event_id};
use gazette_store::{Precondition, PutObject, Store, StoreError};
use tracing::{info, warn};

use crate::rejection::join_errors;
use crate::render::join_url;
use crate::revisions::{PAGE_CONTENT_TYPE, Revisions, revision_metadata, sha256_hex};
use crate::wire::MalformedEvent;
use crate::withdraw::tombstone;
use crate::{decode_event, encode_event, off_reactor};

pub(crate) const SOURCE: &str = "/gazette/publish";

/// Where an article's page lives: `<category>/<slug>.html`.
pub fn page_key(category_slug: &str, slug: &str) -> String {
    format!("{category_slug}/{slug}.html")
}

#[derive(Debug, thiserror::Error)]
pub enum PublishFailure {
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    #[error("a stored revision copy cannot be read: {0}")]
    CorruptCopy(serde_json::Error),
    #[error("article.rendered names page {claimed}, but its category and slug make {expected}")]
    ForeignKey { claimed: String, expected: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "page {key} already belongs to article {owner}; two articles share a category and title"
    )]
    KeyConflict { key: String, owner: String },
    #[error("cannot encode: {0}")]
    Encode(serde_json::Error),
    #[error("reading this message crashed: {0}")]
    Crashed(String),
    #[error("withdrawal of {article_id} refused ({reason}): {}", join_errors(.errors))]
    Refused {
        article_id: String,
        reason: &'static str,
        errors: Vec<FieldError>,
        notice: Box<Outbound>,
    },
}

impl Failure for PublishFailure {
    fn disposition(&self) -> Disposition {
        match self {
            Self::Store(e) if e.is_transient() => Disposition::Retry,
            Self::Store(_) => Disposition::DeadLetter {
                reason: "store-refused",
            },
            Self::Malformed(_) | Self::ForeignKey { .. } => Disposition::DeadLetter {
                reason: "malformed-event",
            },
            Self::CorruptCopy(_) => Disposition::DeadLetter {
                reason: "corrupt-copy",
            },
            Self::KeyConflict { .. } => Disposition::DeadLetter {
                reason: "key-conflict",
            },
            Self::Encode(_) => Disposition::DeadLetter { reason: "encode" },
            Self::Crashed(_) => Disposition::DeadLetter {
                reason: "handler-panicked",
            },
            Self::Refused { reason, .. } => Disposition::DeadLetter { reason },
        }
    }

    fn notices(&self) -> Vec<Outbound> {
        match self {
            Self::Refused { notice, .. } => vec![notice.as_ref().clone()],
            _ => Vec::new(),
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
    /// Every internal event is checked against its schema before it is acted on.
    schemas: Schemas,
}

impl PublishStage {
    pub fn new(store: Store, settings: PublishSettings, schemas: Schemas) -> Self {
        Self {
            store,
            settings,
            schemas,
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn settings(&self) -> &PublishSettings {
        &self.settings
    }

    pub(crate) fn schemas(&self) -> &Schemas {
        &self.schemas
    }

    /// Where readers find `key`: under the public site URL, or in the store.
    pub(crate) fn public_url(&self, key: &str) -> String {
        match &self.settings.public_url {
            Some(base) => join_url(base, key),
            None => self.store.locator(key),
        }
    }
}

impl Handler for PublishStage {
    type Error = PublishFailure;

    async fn handle(&self, message: &Inbound) -> Result<Vec<Outbound>, PublishFailure> {
        if message.routing_key == EventType::WithdrawalValidated.as_str() {
            return self.withdraw(message).await;
        }
        // Anything else is read as article.rendered, whose schema pins `type`.
        self.publish(message).await
    }
}

impl PublishStage {
    async fn publish(&self, message: &Inbound) -> Result<Vec<Outbound>, PublishFailure> {
        // A page of half a megabyte checked against its schema is CPU work.
        let (schemas, copy) = (self.schemas.clone(), message.clone());
        let event: Envelope<Rendered> =
            off_reactor(move || decode_event(&schemas, EventType::Rendered, &copy))
                .await
                .map_err(PublishFailure::Crashed)??;
        let correlation = event.correlation().to_owned();
        // Taken apart, not copied: the page and the article are the bulk of the message.
        let Rendered {
            validated,
            key,
            html,
        } = event.data;
        let article = &validated.article;
        // The key is derived, never taken from the message: a page lands
        // only where its own category and slug put it.
        let expected = page_key(&article.category.slug, &validated.slug);
        if key != expected {
            return Err(PublishFailure::ForeignKey {
                claimed: key,
                expected,
            });
        }
        let revisions = Revisions::new(&self.store, &article.id, self.settings.page_cache_control);
        // No look for a newer revision up front: it would cost every article a
        // listing to spare the rare late one two immutable copies, and a late
        // revision is kept off the page and unannounced below anyway.
        let html = Bytes::from(html.into_bytes());
        let json =
            Bytes::from(serde_json::to_vec_pretty(&validated).map_err(PublishFailure::Encode)?);
        let sha256 = sha256_hex(&html);
        // The revision's own copies first: immutable, so no writer can clobber
        // them, and they are what the page is repaired from.
        revisions
            .put_revision(article.revision, (html.clone(), &sha256), json)
            .await?;
        let page = PutObject {
            key: key.clone(),
            body: html,
            content_type: PAGE_CONTENT_TYPE,
            cache_control: self.settings.page_cache_control,
            metadata: revision_metadata(&article.id, article.revision, &sha256),
            precondition: Precondition::None,
        };
        let written = revisions
            .write_page_unless_newer(page, article.revision)
            .await?;
        let newest = revisions.settle_page(&key, article.revision).await?;
        if newest > article.revision {
            // Superseded while we worked: "published" for this revision
            // would tell subscribers something no longer true.
            warn!(article_id = %article.id, revision = article.revision, newest, "a newer revision arrived meanwhile; not announcing this one");
            return Ok(Vec::new());
        }

        // After the page write, so a withdrawal racing this publish either
        // finds our page to delete or leaves its tombstone for us to find.
        if let Some(tombstone) = tombstone(&self.store, &article.id).await?
            && tombstone.revision >= article.revision
        {
            self.delete_page_through(&article.id, &key, tombstone.revision)
                .await?;
            warn!(article_id = %article.id, revision = article.revision, "this revision was withdrawn; page removed, not announcing");
            return Ok(Vec::new());
        }

        // A new title or category gives the page a new key: the old one goes.
        if let (Some(previous), true) = (written.replaced, written.maybe_moved) {
            let old_key = revisions.page_key_of(previous).await?;
            if old_key != key {
                self.delete_page_through(&article.id, &old_key, previous)
                    .await?;
            }
        }

        let url = self.public_url(&key);
        let lifecycle = if written.replaced.is_some() {
            EventType::Updated
        } else {
            EventType::Published
        };
        info!(article_id = %article.id, revision = article.revision, %key, %url, event = %lifecycle, "published");
        let published = Envelope::new(
            lifecycle,
            // One id for the revision going live, whichever type announces it.
            // Garage ignores conditional writes, so a duplicate delivery that
            // races an older revision's page write can reach the other verdict;
            // with one id, consumers deduplicating by id still hear of it once.
            event_id(&article.id, article.revision, EventType::Published),
            SOURCE,
            &article.id,
            Some(&correlation),
            Published {
                article_id: article.id.clone(),
                revision: article.revision,
                title: article.title.clone(),
                category: article.category.clone(),
                key,
                url,
                sha256,
                published_at: article.published_at,
            },
        );
        Ok(vec![
            encode_event(lifecycle, &published).map_err(PublishFailure::Encode)?,
        ])
    }
}
