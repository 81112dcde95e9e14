//! `gazette rebuild`: the whole site again from the registry and the archive, with a progress bar and a summary.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use gazette_broker::{BrokerError, StageLock};
use gazette_stages::{RebuildError, RebuildOptions, RebuildProgress, STAGES, rebuild};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::Config;
use crate::run::{load_renderer, open_registry, open_stores};

pub async fn run(
    config: &Config,
    jobs: Option<usize>,
    options: RebuildOptions,
    lock_the_indexer: bool,
) -> Result<()> {
    let locks = match lock_the_indexer {
        true => hold_the_site_writers(config).await?,
        false => Vec::new(),
    };
    let rebuilt = rebuild_holding_locks(config, jobs, options).await;
    for lock in locks {
        lock.release().await;
    }
    rebuilt
}

/// Holds the queue of every stage that writes the site alone (the
/// indexer): an indexer already running refuses the rebuild, and one
/// started meanwhile stands by until the rebuild is done.
async fn hold_the_site_writers(config: &Config) -> Result<Vec<StageLock>> {
    let mut locks = Vec::new();
    for stage in STAGES.iter().filter(|s| s.spec.single_active_consumer) {
        let refused = match StageLock::acquire(&config.broker, &stage.spec).await {
            Ok(lock) => {
                locks.push(lock);
                continue;
            }
            // Its own sentence says what to stop.
            Err(busy @ BrokerError::StageBusy { .. }) => anyhow::Error::new(busy),
            Err(other) => anyhow::Error::new(other).context(
                "the rebuild holds the indexer's queue so that no indexer writes the site meanwhile; check GAZETTE_AMQP_URL and that RabbitMQ is running",
            ),
        };
        for lock in locks {
            lock.release().await;
        }
        return Err(refused);
    }
    Ok(locks)
}

async fn rebuild_holding_locks(
    config: &Config,
    jobs: Option<usize>,
    options: RebuildOptions,
) -> Result<()> {
    let started = Instant::now();
    let stores = open_stores(config).await?;
    let registry = open_registry(config).await?;
    let renderer = Arc::new(load_renderer(config)?);
    let tasks = jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let bar = progress_bar();
    let shown = bar.clone();
    let progress = Arc::new(move |step: RebuildProgress| match step {
        // Drawn once its length is known: no "0/0" while the registry is read.
        RebuildProgress::Found { articles } => {
            shown.set_length(articles);
            shown.set_draw_target(ProgressDrawTarget::stderr());
            shown.tick();
            shown.enable_steady_tick(Duration::from_millis(200));
            crate::telemetry::log_around(&shown);
        }
        RebuildProgress::ArticleDone => shown.inc(1),
        RebuildProgress::Indexing => shown.set_message("writing listings, feeds and sitemap"),
    });
    let report = rebuild(
        &stores,
        &registry,
        renderer,
        config.site.clone(),
        tasks,
        options,
        progress,
    )
    .await;
    // Off the screen however the rebuild ended, before anything else is said.
    crate::telemetry::stop_logging_around();
    bar.finish_and_clear();
    let report = report.map_err(|error| match error {
        // Nothing was written: the sentence says all there is.
        refused @ RebuildError::NothingRecorded { .. } => anyhow::Error::new(refused),
        stopped => anyhow::Error::new(stopped).context(
            "the rebuild stopped; the site may be partly rebuilt, and running it again is safe",
        ),
    })?;
    let elapsed = started.elapsed();
    say!(
        "rebuilt {} articles and {} other files (listings, feeds, sitemap, index state, 404 page, theme assets) in {} in {:.2} s ({:.0} articles/s); {} withdrawn articles left out",
        report.articles,
        report.derived_objects,
        stores.site.describe(),
        elapsed.as_secs_f64(),
        report.articles as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
        report.withdrawn,
    );
    say!(
        "search index: {} articles in {} files, {} bytes",
        report.search.documents,
        report.search.files,
        report.search.bytes,
    );
    Ok(())
}

/// Hidden until the rebuild knows how many articles it renders, and then
/// only on a terminal (indicatif draws nothing to a pipe or a file), so logs
/// and pipes stay clean. The rate is whole articles a second.
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    let style = ProgressStyle::with_template(
        "{spinner} {msg} [{bar:40}] {pos}/{len} articles ({rate}, {eta} left)",
    )
    .map(|style| {
        style.with_key(
            "rate",
            |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{:.0}/s", state.per_sec());
            },
        )
    })
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message("rendering");
    bar
}
