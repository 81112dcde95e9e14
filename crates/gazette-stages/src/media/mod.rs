//! The media stage, between validate and render: fetches each picture an article names, stores its variants under content-addressed keys, and hands the article on as `article.illustrated`.
//!
//! Nothing half-processed is published: `article.illustrated` is sent only
//! once every variant of every picture is stored, and render is the first
//! stage that puts a page together. A picture that cannot be used rejects
//! the article with a pointer to where the article names it; a server that
//! is down or slow is retried through the delay queues.
//!
//! Pictures already processed under the same settings (the record at
//! `_gazette/media/<id>.json` in the archive is written last) are never
//! decoded or written again: a redelivery or a revision reusing a photo
//! costs one fetch and one read.

mod pool;
mod stored;

pub(crate) use stored::{Workshop, refresh_pictures};

use std::time::Duration;

use gazette_broker::{Disposition, Failure, Handler, Inbound, Outbound};
use gazette_contract::{
    Envelope, EventType, FieldError, Schemas, StoredImage, ValidatedArticle, event_id,
};
use gazette_media::{FocalPoint, Limits, MediaError, VariantSettings};
use gazette_store::StoreError;
use gazette_text::img_tags;
use gazette_webhooks::{AddressPolicy, FetchError, FetchLimits, FetcherError, ImageFetcher};
use tracing::info;

use crate::rejection::rejection;
use crate::wire::MalformedEvent;
use crate::{Stores, decode_event, encode_event};
pub use pool::CpuPool;

const SOURCE: &str = "/gazette/media";

/// The media stage's settings.
#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// Private ranges pictures may still be fetched from (`GAZETTE_MEDIA_ALLOW_CIDRS`).
    pub allowed: AddressPolicy,
    /// Bounds one picture's fetch, redirects and body included.
    pub fetch_timeout: Duration,
    /// Pictures decoded and encoded at once by this process.
    pub threads: usize,
    pub variants: VariantSettings,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            allowed: AddressPolicy::default(),
            fetch_timeout: Duration::from_secs(30),
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            variants: VariantSettings::default(),
        }
    }
}

/// At most this many redirects are followed for one picture.
pub const MAX_REDIRECTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum MediaFailure {
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    #[error("article {article_id}: a picture cannot be used: {}", gazette_contract::join_errors(std::slice::from_ref(.error)))]
    Unusable {
        article_id: String,
        reason: &'static str,
        error: FieldError,
        notice: Box<Outbound>,
    },
    #[error("a picture's server did not answer usefully ({url}): {error}")]
    Unavailable { url: String, error: FetchError },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot encode an event: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("processing a picture crashed: {0}")]
    Crashed(String),
}

impl Failure for MediaFailure {
    fn disposition(&self) -> Disposition {
        let reason = match self {
            Self::Unavailable { .. } => return Disposition::Retry,
            Self::Store(e) if e.is_transient() => return Disposition::Retry,
            Self::Malformed(_) => "malformed-event",
            Self::Unusable { reason, .. } => reason,
            Self::Store(_) => "store-refused",
            Self::Encode(_) => "encode",
            Self::Crashed(_) => "handler-panicked",
        };
        Disposition::DeadLetter { reason }
    }

    fn notices(&self) -> Vec<Outbound> {
        match self {
            Self::Unusable { notice, .. } => vec![notice.as_ref().clone()],
            _ => Vec::new(),
        }
    }
}

/// The fetcher could not be built.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct MediaBuildError(#[from] FetcherError);

#[derive(Debug, Clone)]
pub struct MediaStage {
    stores: Stores,
    fetcher: ImageFetcher,
    pool: CpuPool,
    settings: std::sync::Arc<MediaSettings>,
    schemas: Schemas,
}

/// One picture an article names, and where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wanted {
    src: String,
    /// The field an editor fixes when it cannot be used.
    pointer: &'static str,
    /// For the cover: where its social crop centres.
    social: Option<FocalPoint>,
}

impl MediaStage {
    pub fn new(
        stores: Stores,
        settings: MediaSettings,
        schemas: Schemas,
    ) -> Result<Self, MediaBuildError> {
        let fetcher = ImageFetcher::new(
            settings.allowed.clone(),
            FetchLimits {
                max_bytes: Limits::DEFAULT.max_bytes,
                timeout: settings.fetch_timeout,
                max_redirects: MAX_REDIRECTS,
            },
        )?;
        Ok(Self {
            stores,
            fetcher,
            pool: CpuPool::new(settings.threads),
            settings: std::sync::Arc::new(settings),
            schemas,
        })
    }

    async fn picture(
        &self,
        wanted: &Wanted,
        event: &Envelope<ValidatedArticle>,
    ) -> Result<StoredImage, MediaFailure> {
        let article = &event.data.article;
        let unusable = |reason: &'static str, message: String| {
            let error = FieldError::new(wanted.pointer, format!("{}: {message}", wanted.src));
            match rejection(
                &article.id,
                Some(article.revision),
                event.correlation(),
                std::slice::from_ref(&error),
                SOURCE,
            ) {
                Ok(notice) => MediaFailure::Unusable {
                    article_id: article.id.clone(),
                    reason,
                    error,
                    notice: Box::new(notice),
                },
                Err(e) => MediaFailure::Encode(e),
            }
        };
        let _held = self.pool.hold().await.map_err(MediaFailure::Crashed)?;
        let bytes = match self.fetcher.get(&wanted.src).await {
            Ok(bytes) => bytes,
            Err(error) if error.is_transient() => {
                return Err(MediaFailure::Unavailable {
                    url: wanted.src.clone(),
                    error,
                });
            }
            Err(error) => return Err(unusable(fetch_reason(&error), error.to_string())),
        };
        let shop = stored::Workshop {
            stores: &self.stores,
            pool: &self.pool,
            variants: &self.settings.variants,
        };
        match stored::store_picture(shop, wanted, bytes).await? {
            Ok(image) => Ok(image),
            Err(error) => Err(unusable(media_reason(&error), error.to_string())),
        }
    }
}

fn fetch_reason(error: &FetchError) -> &'static str {
    match error {
        FetchError::Blocked { .. } => "image-forbidden-address",
        FetchError::TooLarge { .. } => "image-too-large",
        _ => "image-unavailable",
    }
}

fn media_reason(error: &MediaError) -> &'static str {
    match error {
        MediaError::TooManyPixels { .. } | MediaError::TooLong { .. } => "image-too-many-pixels",
        MediaError::TooLarge { .. } => "image-too-large",
        _ => "image-unusable",
    }
}

/// Where the cover's social crop centres: its focal point, or the middle.
fn cover_focal(cover: &gazette_contract::CoverImage) -> FocalPoint {
    cover
        .focal_point
        .map_or(FocalPoint::CENTRE, |f| FocalPoint { x: f.x, y: f.y })
}

/// Whether `validated` names a picture for this stage to store: if not,
/// validate hands it straight to render ([`VALIDATED_WITHOUT_PICTURES`]),
/// and render refuses such a hand-off that names one after all.
///
/// [`VALIDATED_WITHOUT_PICTURES`]: gazette_contract::VALIDATED_WITHOUT_PICTURES
pub(crate) fn names_pictures(validated: &ValidatedArticle) -> bool {
    !wanted(validated).is_empty()
}

/// The pictures of `validated`, the cover first, each source once.
fn wanted(validated: &ValidatedArticle) -> Vec<Wanted> {
    let mut wanted: Vec<Wanted> = Vec::new();
    if let Some(cover) = &validated.article.cover_image {
        wanted.push(Wanted {
            src: cover.src.clone(),
            pointer: "/data/cover_image/src",
            social: Some(cover_focal(cover)),
        });
    }
    for tag in img_tags(&validated.body_html) {
        let Some(src) = tag.src else { continue };
        if !wanted.iter().any(|w| w.src == src) {
            wanted.push(Wanted {
                src,
                pointer: "/data/body/content",
                social: None,
            });
        }
    }
    wanted
}

impl Handler for MediaStage {
    type Error = MediaFailure;

    async fn handle(&self, message: &Inbound) -> Result<Vec<Outbound>, MediaFailure> {
        let mut event: Envelope<ValidatedArticle> =
            decode_event(&self.schemas, EventType::Validated, message)?;
        let mut images = Vec::new();
        for wanted in wanted(&event.data) {
            images.push(self.picture(&wanted, &event).await?);
        }
        let article_id = event.data.article.id.clone();
        let revision = event.data.article.revision;
        info!(%article_id, revision, pictures = images.len(), "pictures stored");
        event.data.images = images;
        let correlation = event.correlation().to_owned();
        let illustrated = Envelope::new(
            EventType::Illustrated,
            event_id(&article_id, revision, EventType::Illustrated),
            SOURCE,
            &article_id,
            Some(&correlation),
            event.data,
        );
        Ok(vec![encode_event(EventType::Illustrated, &illustrated)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gazette_contract::{Article, CoverImage};

    #[test]
    fn the_cover_comes_first_and_each_source_once() {
        let article: Article = serde_json::from_str(include_str!(
            "../../../../examples/ntl-2022-06-23-hoi-nghi-14.json"
        ))
        .unwrap();
        let cover = "https://cms.example.vn/a.jpg";
        let validated = ValidatedArticle {
            article: Article {
                cover_image: Some(CoverImage {
                    src: cover.to_owned(),
                    alt: "Cầu".to_owned(),
                    decorative: false,
                    caption: None,
                    credit: None,
                    focal_point: None,
                }),
                ..article
            },
            slug: "x".to_owned(),
            body_html: format!(
                r#"<p><img src="https://cms.example.vn/b.png" alt=""><img src="{cover}" alt="again"><img src="https://cms.example.vn/b.png" alt=""></p>"#
            ),
            images: Vec::new(),
        };
        let found = wanted(&validated);
        let sources: Vec<(&str, &str)> =
            found.iter().map(|w| (w.src.as_str(), w.pointer)).collect();
        assert_eq!(
            sources,
            [
                (cover, "/data/cover_image/src"),
                ("https://cms.example.vn/b.png", "/data/body/content")
            ]
        );
        assert_eq!(found[0].social, Some(FocalPoint::CENTRE));
        assert_eq!(found[1].social, None);
    }
}
