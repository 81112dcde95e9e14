//! The operator's window into a process: `/metrics`, `/healthz` and `/readyz` on `GAZETTE_HTTP_ADDR`, with the subscription API and the view counter beside them where the process opens the database.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use gazette_broker::Readiness;
use gazette_store::Store;
use gazette_subscribers::Subscribers;

use crate::api::{self, Api};
use crate::views::{self, Views};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;
use tracing::info;

/// Latency buckets for every `*_seconds` histogram: a page renders in
/// milliseconds, an S3 request can take seconds.
const SECONDS_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// `/readyz` answers within a probe's usual timeout even when the store hangs.
const STORE_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What `/readyz` looks at.
#[derive(Debug, Default)]
pub struct Probes {
    pub stages: Vec<(&'static str, Readiness)>,
    pub store: Option<Store>,
    pub subscribers: Option<Subscribers>,
}

/// Installs the Prometheus recorder and serves the endpoints until `shutdown`.
/// With `api`, the subscription API is served beside them. A busy address
/// is reported at once; the returned task ends with the server's own
/// error, which the caller must not drop.
pub async fn serve(
    addr: SocketAddr,
    probes: Probes,
    api: Option<(Api, Arc<Views>)>,
    shutdown: CancellationToken,
) -> Result<tokio::task::JoinHandle<Result<()>>> {
    let metrics = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS_BUCKETS)
        .context("invalid histogram buckets")?
        .install_recorder()
        .context("a metrics recorder is already installed")?;
    metrics::describe_gauge!(
        "gazette_build_info",
        "Always 1; its labels name the version and commit this process runs."
    );
    metrics::gauge!(
        "gazette_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
        "commit" => env!("GAZETTE_COMMIT"),
    )
    .set(1.0);
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("GAZETTE_HTTP_ADDR={addr} cannot be bound; choose a free address")
    })?;
    let mut app = Router::new()
        .route("/metrics", get(render_metrics))
        .with_state(metrics)
        .merge(Router::new().route("/healthz", get(|| async { "ok\n" })))
        .merge(
            Router::new()
                .route("/readyz", get(ready))
                .with_state(Arc::new(probes)),
        );
    if let Some((api, views)) = api {
        app = app.merge(api::router(api)).merge(views::router(views));
        info!(%addr, "serving the subscription API and the view counter");
    }
    info!(%addr, "serving /metrics, /healthz and /readyz");
    Ok(tokio::spawn(async move {
        // The view counter knows a client by its address.
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .context("the HTTP server for /metrics, /healthz and /readyz stopped")
    }))
}

async fn render_metrics(State(metrics): State<PrometheusHandle>) -> String {
    metrics.render()
}

/// `None` when `check` succeeds in time; else the problem, named after `what`.
async fn answers<E: std::fmt::Display>(
    what: &str,
    check: impl Future<Output = Result<(), E>>,
) -> Option<String> {
    match tokio::time::timeout(STORE_PROBE_TIMEOUT, check).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("{what}: {e}")),
        Err(_) => Some(format!("{what}: no answer within {STORE_PROBE_TIMEOUT:?}")),
    }
}

/// Ready when every stage is consuming and the store answers; otherwise
/// 503 with one line per problem, so `kubectl describe` says why.
async fn ready(State(probes): State<Arc<Probes>>) -> (StatusCode, String) {
    let mut problems: Vec<String> = probes
        .stages
        .iter()
        .filter(|(_, readiness)| !readiness.is_ready())
        .map(|(stage, _)| format!("stage {stage} is not connected to RabbitMQ"))
        .collect();
    if let Some(store) = &probes.store {
        problems.extend(answers("store", store.check()).await);
    }
    if let Some(subscribers) = &probes.subscribers {
        problems.extend(answers("database", subscribers.check()).await);
    }
    if problems.is_empty() {
        (StatusCode::OK, "ready\n".to_owned())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, problems.join("\n") + "\n")
    }
}
