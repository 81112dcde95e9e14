//! The stage table: every stage Gazette runs, what it consumes, how it retries, what it keeps in hand, what it needs opened, and how it is built.
//!
//! `gazette up`, `gazette worker`, `topology`, `dlq`, `submit`, the deploy
//! checks, the bench and the tests all read [`STAGES`]. Adding a stage is
//! one entry here plus the stage's own files.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use gazette_broker::{BrokerSettings, Exchange, Floors, RetryClass, StageSpec};
use gazette_contract::{Schemas, VALIDATED_WITHOUT_PICTURES};
use gazette_email::Mailer;
use gazette_render::Renderer;
use gazette_subscribers::{Registry, Subscribers};
use gazette_webhooks::WebhookClient;

use crate::index::{IndexFailure, IndexSettings, IndexStage, MAX_BATCH};
use crate::launch::Launch;
use crate::media::{MediaBuildError, MediaSettings, MediaStage};
use crate::notify::{DELIVER_CONCURRENCY, DeliverSettings, DeliverStage, NotifyStage};
use crate::publish::{PublishSettings, PublishStage};
use crate::render::{RenderStage, SiteSettings};
use crate::validate::ValidateStage;
use crate::{NOTIFICATION_DUE, Stores};

/// Which part of Gazette a stage belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// validate → media → render → publish: an article's way from upstream to the site.
    Pipeline,
    /// Keeps listings, feeds and the sitemap current.
    Site,
    /// Tells subscribers.
    Notifier,
}

/// What a stage needs opened before it is built. The process opens the
/// union of its stages' needs, and nothing else, so that a validate worker
/// never needs the store's credentials.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    pub renderer: bool,
    pub stores: bool,
    pub registry: bool,
    pub subscribers: bool,
    /// The webhook client and the mailer.
    pub senders: bool,
}

impl Needs {
    pub const NOTHING: Self = Self {
        renderer: false,
        stores: false,
        registry: false,
        subscribers: false,
        senders: false,
    };

    #[must_use]
    pub fn union(self, other: Self) -> Self {
        Self {
            renderer: self.renderer || other.renderer,
            stores: self.stores || other.stores,
            registry: self.registry || other.registry,
            subscribers: self.subscribers || other.subscribers,
            senders: self.senders || other.senders,
        }
    }
}

/// Everything stages are built from; the parts a process's stages do not
/// need are `None`.
#[derive(Debug, Clone)]
pub struct Resources {
    pub broker: BrokerSettings,
    pub schemas: Schemas,
    pub site: SiteSettings,
    pub publish: PublishSettings,
    /// The indexer's batching and timers.
    pub index: IndexSettings,
    /// Where pictures may be fetched from, and how they are processed.
    pub media: MediaSettings,
    /// The deliver stage's settings; its `max_attempts` is replaced by its
    /// retry policy's, which the broker's delay queues follow.
    pub deliver: DeliverSettings,
    pub renderer: Option<Arc<Renderer>>,
    pub stores: Option<Stores>,
    pub registry: Option<Registry>,
    pub subscribers: Option<Subscribers>,
    pub webhooks: Option<WebhookClient>,
    pub mailer: Option<Mailer>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(
        "stage {stage} needs {what}, which this process did not open (a bug in the stage table)"
    )]
    NotOpened {
        stage: &'static str,
        what: &'static str,
    },
    #[error("the indexer cannot write the theme's files; check the store settings")]
    Index(#[source] IndexFailure),
    #[error("the media stage cannot start")]
    Media(#[source] MediaBuildError),
}

type Building<'a> = Pin<Box<dyn Future<Output = Result<Launch, BuildError>> + Send + 'a>>;

/// One stage: its place in the broker, its part, its needs and its builder.
#[derive(Debug, Clone, Copy)]
pub struct Stage {
    pub spec: StageSpec,
    /// One line for `gazette worker --help`.
    pub about: &'static str,
    pub part: Part,
    /// Stages that `gazette worker <this>` also runs, so that one process
    /// (and one deployment) is a complete part: `notify` runs `deliver`.
    pub companions: &'static [&'static str],
    pub needs: Needs,
    build: for<'a> fn(StageSpec, &'a Resources) -> Building<'a>,
}

impl Stage {
    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    /// Builds the stage's handler from `resources`.
    pub fn build<'a>(&self, resources: &'a Resources) -> Building<'a> {
        (self.build)(self.spec, resources)
    }

    /// This stage and its companions: what `gazette worker <this>` runs.
    pub fn with_companions(&'static self) -> Vec<&'static Stage> {
        std::iter::once(self)
            .chain(self.companions.iter().filter_map(|name| stage(name)))
            .collect()
    }

    /// Whether it runs in a process of its own (and so has its own
    /// deployment and broker user), rather than beside another stage.
    pub fn is_companion(&self) -> bool {
        STAGES
            .iter()
            .any(|other| other.companions.contains(&self.spec.name))
    }
}

/// The stage called `name`.
pub fn stage(name: &str) -> Option<&'static Stage> {
    STAGES.iter().find(|s| s.spec.name == name)
}

/// The broker's view of every stage: what a namespace holds queues for.
pub fn all_specs() -> Vec<StageSpec> {
    STAGES.iter().map(|s| s.spec).collect()
}

/// The broker's view of one part's stages.
pub fn specs_of(part: Part) -> Vec<StageSpec> {
    STAGES
        .iter()
        .filter(|s| s.part == part)
        .map(|s| s.spec)
        .collect()
}

fn needed<'a, T>(
    stage: &'static str,
    what: &'static str,
    part: &'a Option<T>,
) -> Result<&'a T, BuildError> {
    part.as_ref().ok_or(BuildError::NotOpened { stage, what })
}

/// Every stage, in the order an article meets them.
pub static STAGES: [Stage; 7] = [
    Stage {
        spec: StageSpec {
            name: "validate",
            // The one stage that consumes upstream's events: everything
            // upstream sends is judged here before any stage that writes
            // the site sees it.
            consumes: &[
                (Exchange::Events, "article.submitted"),
                (Exchange::Events, "article.withdrawn"),
            ],
            single_active_consumer: false,
            retired: &[],
            retry: RetryClass::Common,
            floors: Floors::NONE,
        },
        about: "Checks upstream's submissions and withdrawals and hands them on, or rejects them",
        part: Part::Pipeline,
        companions: &[],
        needs: Needs { ..Needs::NOTHING },
        build: |spec, r| {
            Box::pin(async move { Ok(Launch::new(spec, ValidateStage::new(r.schemas.clone()))) })
        },
    },
    Stage {
        spec: StageSpec {
            name: "media",
            consumes: &[(Exchange::Internal, "article.validated")],
            single_active_consumer: false,
            retired: &[],
            retry: RetryClass::Common,
            floors: Floors::NONE,
        },
        about: "Fetches each article's pictures and stores their resized variants, or rejects the article",
        part: Part::Pipeline,
        companions: &[],
        needs: Needs {
            stores: true,
            ..Needs::NOTHING
        },
        build: |spec, r| {
            Box::pin(async move {
                let stores = needed("media", "the stores", &r.stores)?;
                let stage = MediaStage::new(stores.clone(), r.media.clone(), r.schemas.clone())
                    .map_err(BuildError::Media)?;
                Ok(Launch::new(spec, stage))
            })
        },
    },
    Stage {
        spec: StageSpec {
            name: "render",
            // Media's hand-off, and validate's of an article that names no
            // pictures, which media would only pass on.
            consumes: &[
                (Exchange::Internal, "article.illustrated"),
                (Exchange::Internal, VALIDATED_WITHOUT_PICTURES),
            ],
            single_active_consumer: false,
            // Before the media stage, render took validate's hand-off
            // directly; left bound, articles would skip their pictures.
            retired: &[(Exchange::Internal, "article.validated")],
            retry: RetryClass::Common,
            floors: Floors::NONE,
        },
        about: "Claims each article's page address and renders its page",
        part: Part::Pipeline,
        companions: &[],
        needs: Needs {
            renderer: true,
            registry: true,
            ..Needs::NOTHING
        },
        build: |spec, r| {
            Box::pin(async move {
                let renderer = needed("render", "the theme", &r.renderer)?;
                let registry = needed("render", "the article registry", &r.registry)?;
                Ok(Launch::new(
                    spec,
                    RenderStage::new(
                        Arc::clone(renderer),
                        r.site.clone(),
                        r.schemas.clone(),
                        registry.clone(),
                    ),
                ))
            })
        },
    },
    Stage {
        spec: StageSpec {
            name: "publish",
            // Publish also carries out withdrawals: both write and delete
            // the same pages. It consumes only hand-offs from other stages.
            consumes: &[
                (Exchange::Internal, "article.rendered"),
                (Exchange::Internal, "withdrawal.validated"),
            ],
            single_active_consumer: false,
            // Before withdrawals went through validate, publish read them
            // from upstream's exchange; left bound, every withdrawal would
            // also reach publish unvalidated.
            retired: &[(Exchange::Events, "article.withdrawn")],
            retry: RetryClass::Common,
            floors: Floors::NONE,
        },
        about: "Records each revision, writes the archive and the page, and announces it; holds revisions dated in the future and publishes them at their time",
        part: Part::Pipeline,
        companions: &[],
        needs: Needs {
            stores: true,
            registry: true,
            ..Needs::NOTHING
        },
        build: |spec, r| {
            Box::pin(async move {
                let stores = needed("publish", "the stores", &r.stores)?;
                let registry = needed("publish", "the article registry", &r.registry)?;
                let stage = PublishStage::new(
                    stores.clone(),
                    registry.clone(),
                    r.publish.clone(),
                    r.schemas.clone(),
                );
                let scheduler = stage.scheduler();
                Ok(Launch::with_sidecar(spec, stage, scheduler))
            })
        },
    },
    Stage {
        spec: StageSpec {
            name: "index",
            consumes: &[
                (Exchange::Events, "article.published"),
                (Exchange::Events, "article.updated"),
                (Exchange::Events, "article.unpublished"),
            ],
            // The site state is read, changed and written whole: one
            // consumer at a time, the other replicas stand by.
            single_active_consumer: true,
            retired: &[],
            retry: RetryClass::Common,
            // A whole burst in hand at once is what lets the indexer flush it as one.
            floors: Floors {
                prefetch: MAX_BATCH,
                concurrency: MAX_BATCH as usize,
            },
        },
        about: "Keeps listings, the home page, feeds and the sitemap current (replicas stand by)",
        part: Part::Site,
        companions: &[],
        needs: Needs {
            renderer: true,
            stores: true,
            // The view counts, for the home page's "most read" block.
            registry: true,
            ..Needs::NOTHING
        },
        build: |spec, r| {
            Box::pin(async move {
                let stores = needed("index", "the stores", &r.stores)?;
                let renderer = needed("index", "the theme", &r.renderer)?;
                let registry = needed("index", "the article registry", &r.registry)?;
                let handler = IndexStage::start(
                    stores.clone(),
                    Arc::clone(renderer),
                    r.site.clone(),
                    r.index.clone(),
                    r.schemas.clone(),
                    registry.clone(),
                )
                .await
                .map_err(BuildError::Index)?;
                Ok(Launch::new(spec, handler))
            })
        },
    },
    Stage {
        spec: StageSpec {
            name: "notify",
            consumes: &[
                (Exchange::Events, "article.published"),
                (Exchange::Events, "article.updated"),
            ],
            single_active_consumer: false,
            retired: &[],
            retry: RetryClass::Common,
            floors: Floors::NONE,
        },
        about: "The notifier: fans each publication out to its subscribers, and delivers",
        part: Part::Notifier,
        companions: &["deliver"],
        needs: Needs {
            subscribers: true,
            ..Needs::NOTHING
        },
        build: |spec, r| {
            Box::pin(async move {
                let subscribers = needed("notify", "the subscriptions database", &r.subscribers)?;
                Ok(Launch::new(
                    spec,
                    NotifyStage::new(subscribers.clone(), r.schemas.clone()),
                ))
            })
        },
    },
    Stage {
        spec: StageSpec {
            name: "deliver",
            consumes: &[(Exchange::Internal, NOTIFICATION_DUE)],
            single_active_consumer: false,
            retired: &[],
            // Other people's servers may be down for an afternoon.
            retry: RetryClass::Slow,
            // Deliveries mostly wait on other people's servers: many may
            // wait at once without costing CPU, and one slow endpoint then
            // holds a few slots of many.
            floors: Floors {
                prefetch: 2 * DELIVER_CONCURRENCY,
                concurrency: DELIVER_CONCURRENCY as usize,
            },
        },
        about: "Only the notifier's deliveries, to scale them apart from the fan-out",
        part: Part::Notifier,
        companions: &[],
        needs: Needs {
            subscribers: true,
            senders: true,
            ..Needs::NOTHING
        },
        build: |spec, r| {
            Box::pin(async move {
                let subscribers = needed("deliver", "the subscriptions database", &r.subscribers)?;
                let webhooks = needed("deliver", "the webhook client", &r.webhooks)?;
                let settings = DeliverSettings {
                    max_attempts: r.broker.retry_for(&spec).max_attempts,
                    ..r.deliver.clone()
                };
                Ok(Launch::new(
                    spec,
                    DeliverStage::new(
                        subscribers.clone(),
                        webhooks.clone(),
                        r.mailer.clone(),
                        settings,
                        r.schemas.clone(),
                    ),
                ))
            })
        },
    },
];

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
