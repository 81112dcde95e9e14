//! `gazette up` and `gazette worker STAGE`: open what the chosen stages of the stage table need, build them, and run their broker loops and the servers in one `JoinSet`.

use std::sync::Arc;

use anyhow::{Context, Result};
use gazette_broker::Readiness;
use gazette_contract::Schemas;
use gazette_email::Mailer;
use gazette_render::{Renderer, Theme};
use gazette_stages::{DeliverSettings, Needs, Resources, Stage, Stores};
use gazette_store::Store;
use gazette_subscribers::{Registry, Subscribers};
use gazette_webhooks::WebhookClient;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::api::{self, Api};
use crate::config::Config;
use crate::http::{self, Probes};

/// Every stage in the table, in one process. With `preview`, the store is
/// also served over HTTP there.
pub async fn up(config: &Config, preview: Option<std::net::SocketAddr>) -> Result<()> {
    let stages: Vec<&'static Stage> = gazette_stages::STAGES.iter().collect();
    run(config, &stages, preview).await
}

/// One stage and its companions (`gazette worker notify` is the whole notifier).
pub async fn worker(config: &Config, stage: &'static Stage) -> Result<()> {
    run(config, &stage.with_companions(), None).await
}

async fn run(
    config: &Config,
    stages: &[&'static Stage],
    preview: Option<std::net::SocketAddr>,
) -> Result<()> {
    let shutdown = CancellationToken::new();
    // Installed before any slow start-up step: a SIGTERM that arrived while
    // the stores were being opened would otherwise kill the process with
    // the signal's default action, an unclean exit an orchestrator reports.
    tokio::spawn(cancel_on_signal(stop_signals()?, shutdown.clone()));

    // Every stage is built before anything consumes: a broken theme or an
    // unreachable store stops the process before it takes a message.
    let needs = stages
        .iter()
        .fold(Needs::default(), |needs, stage| needs.union(stage.needs));
    let building = async {
        let resources = open_resources(config, needs).await?;
        let mut launches = Vec::with_capacity(stages.len());
        for stage in stages {
            let launch = stage
                .build(&resources)
                .await
                .with_context(|| format!("stage {} cannot start", stage.name()))?;
            launches.push((launch, Readiness::default()));
        }
        anyhow::Ok((resources, launches))
    };
    // Stopped while starting: nothing was taken, so there is nothing to finish.
    let (resources, launches) = tokio::select! {
        () = shutdown.cancelled() => {
            info!("stopped before consuming");
            return Ok(());
        }
        built = building => built?,
    };

    let mut running = JoinSet::new();
    if let Some(addr) = config.http_addr {
        let probes = Probes {
            stages: launches
                .iter()
                .map(|(launch, ready)| (launch.name(), ready.clone()))
                .collect(),
            store: resources.stores.as_ref().map(|stores| stores.site.clone()),
            subscribers: resources.subscribers.clone(),
        };
        let api = match resources.subscribers.clone() {
            Some(subscribers) => {
                let registry = match &resources.registry {
                    Some(registry) => registry.clone(),
                    None => open_registry(config).await?,
                };
                let views = crate::views::Views::new(registry);
                let flusher = Arc::clone(&views).run_flusher(shutdown.clone());
                running.spawn(async move {
                    flusher.await;
                    anyhow::Ok(())
                });
                let api = Api {
                    subscribers,
                    mailer: resources.mailer.clone(),
                    settings: api::ApiSettings::from_config(config),
                };
                Some((api, views))
            }
            None => None,
        };
        // The server's own error ends the process like a stage's would.
        let server = http::serve(addr, probes, api, shutdown.clone()).await?;
        running.spawn(async move { server.await.context("the HTTP server panicked")? });
    } else if resources.subscribers.is_some() {
        tracing::warn!("GAZETTE_HTTP_ADDR is unset: the subscription API is not served");
    }

    if let (Some(addr), Some(stores)) = (preview, &resources.stores) {
        let server = crate::preview::serve(addr, stores.site.clone(), shutdown.clone()).await?;
        running.spawn(async move { server.await.context("the preview server panicked")? });
    }

    for (launch, readiness) in launches {
        let name = launch.name();
        let loop_ = launch.run(config.broker.clone(), readiness, shutdown.clone());
        running.spawn(async move {
            loop_.await.with_context(|| {
                format!("stage {name} stopped; check GAZETTE_AMQP_URL and that RabbitMQ is running")
            })
        });
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

/// Opens what `needs` asks for, and nothing else.
async fn open_resources(config: &Config, needs: Needs) -> Result<Resources> {
    let schemas = Schemas::load().context("the built-in schemas do not compile")?;
    let notifier = &config.notifier;
    let subscribers = match needs.subscribers {
        true => Some(open_subscribers(config).await?),
        false => None,
    };
    let webhooks = match needs.senders {
        true => Some(
            WebhookClient::new(notifier.webhook_policy.clone(), notifier.webhook_timeout)
                .context("cannot send webhooks from this machine")?,
        ),
        false => None,
    };
    // The subscription API, served beside any stage that opens the
    // database, mails confirmations; deliver mails notifications.
    let mailer = match needs.senders || needs.subscribers {
        true => open_mailer(config)?,
        false => None,
    };
    Ok(Resources {
        broker: config.broker.clone(),
        schemas,
        site: config.site.clone(),
        publish: config.publish.clone(),
        index: config.index.clone(),
        media: config.media.clone(),
        deliver: DeliverSettings {
            site_name: config.site.name.clone(),
            time_zone: config.site.time_zone,
            api_url: notifier.api_url.clone(),
            max_attempts: config.broker.slow_retry.max_attempts,
            // One attempt takes at most the webhook timeout (or SMTP's 20 s);
            // the lease outlives it so no second worker starts meanwhile.
            lease: (notifier.webhook_timeout * 3).max(std::time::Duration::from_secs(60)),
            clock_factor: notifier.clock_factor,
        },
        renderer: match needs.renderer {
            true => Some(Arc::new(load_renderer(config)?)),
            false => None,
        },
        stores: match needs.stores {
            true => Some(open_stores(config).await?),
            false => None,
        },
        registry: match needs.registry {
            true => Some(open_registry(config).await?),
            false => None,
        },
        subscribers,
        webhooks,
        mailer,
    })
}

/// `gazette config check`: the effective settings, then proof that the
/// broker, the store and the theme can be used.
pub async fn check(config: &Config, json: bool) -> Result<()> {
    // Each check's verdict, in order; printed as they come in text, or
    // gathered into one object with the settings for --json.
    let mut checks: Vec<(&str, String)> = Vec::new();
    let mut report = |what: &'static str, verdict: String| {
        if !json {
            say!("{what}: {verdict}");
        }
        checks.push((what, verdict));
    };
    if !json {
        say!("{}", config.describe().trim_end());
    }
    gazette_broker::probe(&config.broker)
        .await
        .context("check GAZETTE_AMQP_URL and that RabbitMQ is running")?;
    report("broker", "reachable".to_owned());
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
            true => report(what, format!("{} reachable", store.describe())),
            false => report(
                what,
                format!(
                    "{} does not exist yet; the first worker creates it",
                    store.describe()
                ),
            ),
        }
    }
    load_renderer(config)?;
    report("theme", "compiles".to_owned());
    let database = &config.notifier.database_url;
    let exists = gazette_subscribers::probe(database)
        .await
        .context("GAZETTE_DATABASE_URL cannot be used; check that the database is running and the URL is right")?;
    match exists {
        true => report("database", format!("{database} answers")),
        false => report(
            "database",
            format!("{database} does not exist yet; the first worker creates it"),
        ),
    }
    if open_mailer(config)?.is_some() {
        report(
            "mail",
            "GAZETTE_SMTP_URL parses (the server is contacted when a mail goes out)".to_owned(),
        );
    }
    if json {
        let settings: serde_json::Map<String, serde_json::Value> = config
            .effective_settings()
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value.into()))
            .collect();
        let checks: serde_json::Map<String, serde_json::Value> = checks
            .into_iter()
            .map(|(what, verdict)| (what.to_owned(), verdict.into()))
            .collect();
        say!(
            "{}",
            serde_json::json!({"settings": settings, "checks": checks})
        );
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

/// SIGTERM (orchestrators) and SIGINT (a person at a terminal), registered
/// with the operating system when this returns, not when first awaited.
fn stop_signals() -> Result<[Signal; 2]> {
    let register = |kind: SignalKind, name: &str| {
        signal(kind).with_context(|| format!("cannot listen for {name}"))
    };
    Ok([
        register(SignalKind::terminate(), "SIGTERM")?,
        register(SignalKind::interrupt(), "SIGINT")?,
    ])
}

/// Either signal means: stop taking messages, finish what is in hand, exit.
async fn cancel_on_signal(signals: [Signal; 2], shutdown: CancellationToken) {
    let [mut terminate, mut interrupt] = signals;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    info!("shutdown requested; finishing messages in hand");
    shutdown.cancel();
}
