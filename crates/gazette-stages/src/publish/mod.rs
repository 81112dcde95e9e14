//! The publish stage: a rendered revision goes live if the registry says it is the newest (copies to the archive, the page and its redirects to the public store), announced as `article.published` or `article.updated`; withdrawals (`withdraw.rs`) take an article's public objects down.
//!
//! What lives where and how the public store converges on the registry is
//! `pages.rs`; which revision and key win is the registry's.

mod withdraw;

use bytes::Bytes;
use gazette_broker::{Disposition, Failure, Handler, Inbound, Outbound};
use gazette_contract::{Envelope, EventType, FieldError, Published, Rendered, Schemas, event_id};
use gazette_site::BaseUrl;
use gazette_store::StoreError;
use gazette_subscribers::{Advance, DatabaseError, Registry};
use tracing::{info, warn};

use crate::pages::{ArticleObjects, PagesError, sha256_hex};
use crate::wire::MalformedEvent;
use crate::{Stores, decode_event, encode_event, off_reactor};
use gazette_contract::join_errors;

pub(crate) const SOURCE: &str = "/gazette/publish";

#[derive(Debug, thiserror::Error)]
pub enum PublishFailure {
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    #[error("a stored revision copy cannot be read: {0}")]
    CorruptCopy(serde_json::Error),
    #[error(
        "article {article_id} does not own page {key}; only the render stage's claim makes a key an article's"
    )]
    ForeignKey { article_id: String, key: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("{0}")]
    Pages(String),
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

impl From<PagesError> for PublishFailure {
    fn from(e: PagesError) -> Self {
        match e {
            PagesError::Store(e) => Self::Store(e),
            PagesError::Database(e) => Self::Database(e),
            other => Self::Pages(other.to_string()),
        }
    }
}

impl Failure for PublishFailure {
    fn disposition(&self) -> Disposition {
        match self {
            Self::Store(e) if e.is_transient() => Disposition::Retry,
            Self::Database(_) => Disposition::Retry,
            Self::Store(_) => Disposition::DeadLetter {
                reason: "store-refused",
            },
            Self::Malformed(_) => Disposition::DeadLetter {
                reason: "malformed-event",
            },
            Self::ForeignKey { .. } => Disposition::DeadLetter {
                reason: "foreign-key",
            },
            Self::CorruptCopy(_) | Self::Pages(_) => Disposition::DeadLetter {
                reason: "corrupt-copy",
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
    stores: Stores,
    registry: Registry,
    settings: PublishSettings,
    /// Every internal event is checked against its schema before it is acted on.
    schemas: Schemas,
}

impl PublishStage {
    pub fn new(
        stores: Stores,
        registry: Registry,
        settings: PublishSettings,
        schemas: Schemas,
    ) -> Self {
        Self {
            stores,
            registry,
            settings,
            schemas,
        }
    }

    fn objects<'a>(&'a self, article_id: &'a str) -> ArticleObjects<'a> {
        ArticleObjects {
            stores: &self.stores,
            article_id,
            page_cache_control: self.settings.page_cache_control,
        }
    }

    /// Where readers find `key`: under the public site URL, or in the store.
    fn public_url(&self, key: &str) -> String {
        match &self.settings.public_url {
            Some(base) => BaseUrl::new(base).join(key),
            None => self.stores.site.locator(key),
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
        let objects = self.objects(&article.id);
        let html = Bytes::from(html.into_bytes());
        let json =
            Bytes::from(serde_json::to_vec_pretty(&validated).map_err(PublishFailure::Encode)?);
        let sha256 = sha256_hex(&html);
        // The copies first: whatever the registry names must be readable.
        objects
            .put_copies(article.revision, json, html.clone())
            .await?;
        let (first, redirects) = match self
            .registry
            .advance(&article.id, article.revision, &key)
            .await?
        {
            Advance::Newest { first, redirects } => (first, redirects),
            Advance::Stale(newest) => {
                // Never written, unless an earlier attempt of this very
                // message wrote it before dying: then put it right.
                if message.redelivered || message.attempt > 1 {
                    objects
                        .converge(&self.registry, article.revision, &key)
                        .await?;
                }
                info!(article_id = %article.id, revision = article.revision, newest = newest.revision, "a newer revision is recorded; this one is not published");
                return Ok(Vec::new());
            }
            Advance::Withdrawn { through } => {
                info!(article_id = %article.id, revision = article.revision, through, "this revision was withdrawn; not published");
                return Ok(Vec::new());
            }
            Advance::NotOwner { key } => {
                return Err(PublishFailure::ForeignKey {
                    article_id: article.id.clone(),
                    key,
                });
            }
        };
        objects
            .put_page(&key, article.revision, html, &sha256)
            .await?;
        objects.put_redirects(&redirects, &key).await?;
        if !objects
            .converge(&self.registry, article.revision, &key)
            .await?
        {
            // Superseded or withdrawn while we worked: "published" for this
            // revision would tell subscribers something no longer true.
            warn!(article_id = %article.id, revision = article.revision, "overtaken while publishing; the page shows what the registry says, not announcing this revision");
            return Ok(Vec::new());
        }

        let url = self.public_url(&key);
        let lifecycle = if first {
            EventType::Published
        } else {
            EventType::Updated
        };
        info!(article_id = %article.id, revision = article.revision, %key, %url, event = %lifecycle, redirects = redirects.len(), "published");
        let published = Envelope::new(
            lifecycle,
            // One id for the revision going live, whichever type announces it.
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
