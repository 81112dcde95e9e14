//! `gazette up` and `gazette worker STAGE`: build each stage's context once, then hand it to the broker loop.

use std::sync::Arc;

use anyhow::{Context, Result};
use gazette_broker::{BrokerSettings, Handler, Readiness, StageSpec, run_stage};
use gazette_contract::Schemas;
use gazette_email::Mailer;
use gazette_render::{Renderer, Theme};
use gazette_stages::{
    DELIVER, DeliverSettings, DeliverStage, INDEX, IndexSettings, IndexStage, NOTIFY, NotifyStage,
    PUBLISH, PublishStage, RENDER, RenderStage, Stores, VALIDATE, ValidateStage,
};
use gazette_store::Store;
use gazette_subscribers::{Registry, Subscribers};
use gazette_webhooks::WebhookClient;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::Stage;
use crate::api::{self, Api};
use crate::config::Config;
use crate::http::{self, Probes};

/// Deliveries mostly wait on other people's servers; many may wait at once
/// without costing CPU, and one slow endpoint then holds one slot of many.
const DELIVER_CONCURRENCY: usize = 64;

/// With `preview`, the store is also served over HTTP there.
pub async fn up(config: &Config, preview: Option<std::net::SocketAddr>) -> Result<()> {
    run(
        config,
        &[
            Stage::Validate,
            Stage::Render,
            Stage::Publish,
            Stage::Index,
            Stage::Notify,
            Stage::Deliver,
        ],
        preview,
    )
    .await
}

/// `gazette worker notify` is the whole notifier: fan-out and deliveries.
pub async fn worker(config: &Config, stage: Stage) -> Result<()> {
    match stage {
        Stage::Notify => run(config, &[Stage::Notify, Stage::Deliver], None).await,
        stage => run(config, &[stage], None).await,
    }
}

async fn run(
    config: &Config,
    stages: &[Stage],
    preview: Option<std::net::SocketAddr>,
) -> Result<()> {
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    let wanted = |stage: Stage| stages.contains(&stage);

    // Every context is built before anything consumes: a broken theme or an
    // unreachable store stops the process before it takes a message.
    let schemas = Schemas::load().context("the built-in schemas do not compile")?;
    let validate = match wanted(Stage::Validate) {
        true => Some(ValidateStage::new(schemas.clone())),
        false => None,
    };
    let registry = match wanted(Stage::Render) || wanted(Stage::Publish) {
        true => Some(open_registry(config).await?),
        false => None,
    };
    let render = match (wanted(Stage::Render), &registry) {
        (true, Some(registry)) => Some(RenderStage::new(
            load_renderer(config)?,
            config.site.clone(),
            schemas.clone(),
            registry.clone(),
        )),
        _ => None,
    };
    let store = match wanted(Stage::Publish) || wanted(Stage::Index) {
        true => Some(open_stores(config).await?),
        false => None,
    };
    let index = match (wanted(Stage::Index), &store) {
        (true, Some(store)) => Some(
            IndexStage::start(
                store.clone(),
                Arc::new(load_renderer(config)?),
                config.site.clone(),
                IndexSettings::default(),
                schemas.clone(),
            )
            .await
            .context("the indexer cannot write the theme's files; check the store settings")?,
        ),
        _ => None,
    };
    let subscribers = match wanted(Stage::Notify) || wanted(Stage::Deliver) {
        true => Some(open_subscribers(config).await?),
        false => None,
    };
    let mailer = match &subscribers {
        Some(_) => open_mailer(config)?,
        None => None,
    };

    let readiness: Vec<(Stage, Readiness)> =
        stages.iter().map(|s| (*s, Readiness::default())).collect();
    let ready = |stage: Stage| {
        readiness
            .iter()
            .find(|(s, _)| *s == stage)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    let mut running = JoinSet::new();
    if let Some(addr) = config.http_addr {
        let probes = Probes {
            stages: readiness
                .iter()
                .map(|(stage, r)| (stage.name(), r.clone()))
                .collect(),
            store: store.as_ref().map(|stores| stores.site.clone()),
            subscribers: subscribers.clone(),
        };
        let api = subscribers.clone().map(|subscribers| Api {
            subscribers,
            mailer: mailer.clone(),
            settings: api::ApiSettings::from_config(config),
        });
        // The server's own error ends the process like a stage's would.
        let server = http::serve(addr, probes, api, shutdown.clone()).await?;
        running.spawn(async move { server.await.context("the HTTP server panicked")? });
    } else if subscribers.is_some() {
        tracing::warn!("GAZETTE_HTTP_ADDR is unset: the subscription API is not served");
    }

    if let (Some(addr), Some(store)) = (preview, &store) {
        let server = crate::preview::serve(addr, store.site.clone(), shutdown.clone()).await?;
        running.spawn(async move { server.await.context("the preview server panicked")? });
    }

    if let Some(handler) = validate {
        spawn(
            &mut running,
            config,
            VALIDATE,
            handler,
            ready(Stage::Validate),
            &shutdown,
        );
    }
    if let Some(handler) = render {
        spawn(
            &mut running,
            config,
            RENDER,
            handler,
            ready(Stage::Render),
            &shutdown,
        );
    }
    if let Some(handler) = index {
        spawn(
            &mut running,
            config,
            INDEX,
            handler,
            ready(Stage::Index),
            &shutdown,
        );
    }
    if let (true, Some(store), Some(registry)) = (wanted(Stage::Publish), store, registry) {
        let handler = PublishStage::new(store, registry, config.publish.clone(), schemas.clone());
        spawn(
            &mut running,
            config,
            PUBLISH,
            handler,
            ready(Stage::Publish),
            &shutdown,
        );
    }
    if let Some(subscribers) = &subscribers {
        if wanted(Stage::Notify) {
            let handler = NotifyStage::new(subscribers.clone(), schemas.clone());
            spawn(
                &mut running,
                config,
                NOTIFY,
                handler,
                ready(Stage::Notify),
                &shutdown,
            );
        }
        if wanted(Stage::Deliver) {
            let handler =
                deliver_stage(config, subscribers.clone(), mailer.clone(), schemas.clone())?;
            spawn(
                &mut running,
                config,
                DELIVER,
                handler,
                ready(Stage::Deliver),
                &shutdown,
            );
        }
    }
    // The first stage to fail stops the others: a half-running `gazette up` hides problems.
    let mut first_error = None;
    while let Some(joined) = running.join_next().await {
        let outcome = joined.context("a stage panicked").and_then(|r| r);
        if let Err(e) = outcome {
            shutdown.cancel();
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => {
            info!("stopped");
            Ok(())
        }
    }
}

fn spawn<H: Handler>(
    running: &mut JoinSet<Result<()>>,
    config: &Config,
    spec: StageSpec,
    handler: H,
    readiness: Readiness,
    shutdown: &CancellationToken,
) {
    let mut settings: BrokerSettings = config.broker.clone();
    if spec.name == DELIVER.name {
        settings.concurrency = settings.concurrency.max(DELIVER_CONCURRENCY);
        settings.prefetch = settings.prefetch.max(2 * DELIVER_CONCURRENCY as u16);
    }
    if spec.name == INDEX.name {
        // A whole burst in hand at once is what lets the indexer flush it as one.
        let batch = IndexSettings::default().max_batch;
        settings.concurrency = settings.concurrency.max(batch);
        settings.prefetch = settings
            .prefetch
            .max(u16::try_from(batch).unwrap_or(u16::MAX));
    }
    let shutdown = shutdown.clone();
    running.spawn(async move {
        run_stage(settings, spec, Arc::new(handler), readiness, shutdown)
            .await
            .with_context(|| {
                format!(
                    "stage {} stopped; check GAZETTE_AMQP_URL and that RabbitMQ is running",
                    spec.name
                )
            })
    });
}

/// `gazette config check`: the effective settings, then proof that the
/// broker, the store and the theme can be used.
pub async fn check(config: &Config) -> Result<()> {
    say!("{}", config.describe().trim_end());
    gazette_broker::probe(&config.broker)
        .await
        .context("check GAZETTE_AMQP_URL and that RabbitMQ is running")?;
    say!("broker: reachable");
    // Looks, and creates nothing: no directory, no database file.
    let archive = config.archive().map_err(anyhow::Error::msg)?;
    for (setting, url, what) in [
        ("GAZETTE_STORE", config.store_url.as_str(), "store"),
        ("GAZETTE_ARCHIVE", archive, "archive"),
    ] {
        let store = Store::open(url)
            .await
            .with_context(|| format!("{setting} is not usable"))?;
        let exists = store.probe().await.with_context(|| {
            format!("{setting} cannot be used; check it and the AWS_* settings")
        })?;
        match exists {
            true => say!("{what}: {} reachable", store.describe()),
            false => say!(
                "{what}: {} does not exist yet; the first worker creates it",
                store.describe()
            ),
        }
    }
    load_renderer(config)?;
    say!("theme: compiles");
    let database = &config.notifier.database_url;
    let exists = gazette_subscribers::probe(database)
        .await
        .context("GAZETTE_DATABASE_URL cannot be used; check that the database is running and the URL is right")?;
    match exists {
        true => say!("database: {database} answers"),
        false => say!("database: {database} does not exist yet; the first worker creates it"),
    }
    if open_mailer(config)?.is_some() {
        say!("mail: GAZETTE_SMTP_URL parses (the server is contacted when a mail goes out)");
    }
    Ok(())
}

pub fn load_renderer(config: &Config) -> Result<Renderer> {
    let theme = match &config.theme_dir {
        Some(dir) => Theme::from_dir(dir)
            .context("GAZETTE_THEME_DIR names a folder without a complete theme")?,
        None => Theme::built_in(),
    };
    Renderer::new(&theme).context("the theme does not compile; fix it or unset GAZETTE_THEME_DIR")
}

fn deliver_stage(
    config: &Config,
    subscribers: Subscribers,
    mailer: Option<Mailer>,
    schemas: Schemas,
) -> Result<DeliverStage> {
    let notifier = &config.notifier;
    let webhooks = WebhookClient::new(notifier.webhook_policy.clone(), notifier.webhook_timeout)
        .context("cannot send webhooks from this machine")?;
    let settings = DeliverSettings {
        site_name: config.site.name.clone(),
        time_zone: config.site.time_zone,
        api_url: notifier.api_url.clone(),
        max_attempts: config.broker.retry_for(DELIVER.name).max_attempts,
        // One attempt takes at most the webhook timeout (or SMTP's 20 s);
        // the lease outlives it so no second worker starts meanwhile.
        lease: (notifier.webhook_timeout * 3).max(std::time::Duration::from_secs(60)),
        clock_factor: notifier.clock_factor,
    };
    Ok(DeliverStage::new(
        subscribers,
        webhooks,
        mailer,
        settings,
        schemas,
    ))
}

pub async fn open_subscribers(config: &Config) -> Result<Subscribers> {
    let url = &config.notifier.database_url;
    let subscribers = Subscribers::open(url).await.with_context(|| {
        "GAZETTE_DATABASE_URL cannot be used; check that the database is running and the URL is right".to_owned()
    })?;
    info!(database = %subscribers.describe(), "subscriptions database ready");
    Ok(subscribers)
}

pub fn open_mailer(config: &Config) -> Result<Option<Mailer>> {
    let notifier = &config.notifier;
    let Some(smtp) = &notifier.smtp_url else {
        return Ok(None);
    };
    Mailer::new(smtp.expose(), &notifier.mail_from)
        .map(Some)
        .context("GAZETTE_SMTP_URL or GAZETTE_MAIL_FROM is not usable")
}

/// The public site store and the private archive, both reachable.
pub async fn open_stores(config: &Config) -> Result<Stores> {
    let archive = config.archive().map_err(anyhow::Error::msg)?;
    Ok(Stores {
        site: open_store(&config.store_url, "GAZETTE_STORE").await?,
        archive: open_store(archive, "GAZETTE_ARCHIVE").await?,
    })
}

async fn open_store(url: &str, setting: &str) -> Result<Store> {
    let store = Store::open(url)
        .await
        .with_context(|| format!("{setting} is not usable"))?;
    store.check().await.with_context(|| {
        format!(
            "the store {} cannot be used; check {setting} and the AWS_* settings",
            store.describe()
        )
    })?;
    info!(store = %store.describe(), setting, "store reachable");
    Ok(store)
}

pub async fn open_registry(config: &Config) -> Result<Registry> {
    let url = &config.notifier.database_url;
    let registry = Registry::open(url).await.with_context(|| {
        "GAZETTE_DATABASE_URL cannot be used for the article registry; check that the database is running and the URL is right".to_owned()
    })?;
    info!(database = %registry.describe(), "article registry ready");
    Ok(registry)
}

/// SIGTERM (orchestrators) and SIGINT (a person at a terminal) both mean:
/// stop taking messages, finish what is in hand, exit.
async fn cancel_on_signal(shutdown: CancellationToken) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    info!("shutdown requested; finishing messages in hand");
    shutdown.cancel();
}
