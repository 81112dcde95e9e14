//! `gazette up` and `gazette worker STAGE`: build each stage's context once, then hand it to the broker loop.

use std::sync::Arc;

use anyhow::{Context, Result};
use gazette_broker::{BrokerSettings, Handler, StageSpec, run_stage};
use gazette_contract::Schemas;
use gazette_render::{Renderer, Theme};
use gazette_stages::{PUBLISH, PublishStage, RENDER, RenderStage, VALIDATE, ValidateStage};
use gazette_store::Store;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::Stage;
use crate::config::Config;

pub async fn up(config: &Config) -> Result<()> {
    run(config, &[Stage::Validate, Stage::Render, Stage::Publish]).await
}

pub async fn worker(config: &Config, stage: Stage) -> Result<()> {
    run(config, &[stage]).await
}

async fn run(config: &Config, stages: &[Stage]) -> Result<()> {
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    let mut running = JoinSet::new();
    for stage in stages {
        match stage {
            Stage::Validate => {
                let schemas = Schemas::load().context("the built-in schemas do not compile")?;
                spawn(
                    &mut running,
                    config,
                    VALIDATE,
                    ValidateStage::new(schemas),
                    &shutdown,
                );
            }
            Stage::Render => {
                let theme = match &config.theme_dir {
                    Some(dir) => Theme::from_dir(dir)
                        .context("GAZETTE_THEME_DIR names a folder without a complete theme")?,
                    None => Theme::built_in(),
                };
                let renderer = Renderer::new(&theme)
                    .context("the theme does not compile; fix it or unset GAZETTE_THEME_DIR")?;
                spawn(
                    &mut running,
                    config,
                    RENDER,
                    RenderStage::new(renderer, config.site.clone()),
                    &shutdown,
                );
            }
            Stage::Publish => {
                let store = open_store(config).await?;
                spawn(
                    &mut running,
                    config,
                    PUBLISH,
                    PublishStage::new(store, config.publish.clone()),
                    &shutdown,
                );
            }
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
    shutdown: &CancellationToken,
) {
    let settings: BrokerSettings = config.broker.clone();
    let shutdown = shutdown.clone();
    running.spawn(async move {
        run_stage(settings, spec, Arc::new(handler), shutdown)
            .await
            .with_context(|| {
                format!(
                    "stage {} stopped; check GAZETTE_AMQP_URL and that RabbitMQ is running",
                    spec.name
                )
            })
    });
}

pub async fn open_store(config: &Config) -> Result<Store> {
    let store = Store::open(&config.store_url)
        .await
        .context("GAZETTE_STORE is not usable")?;
    store.check().await.with_context(|| {
        format!(
            "the store {} cannot be used; check GAZETTE_STORE and the AWS_* settings",
            store.describe()
        )
    })?;
    info!(store = %store.describe(), "store reachable");
    Ok(store)
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
