//! A built stage: its broker loop ready to run, with the task beside it that some stages have (publish's scheduler).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use gazette_broker::{BrokerError, BrokerSettings, Handler, Readiness, StageSpec, run_stage};
use tokio_util::sync::CancellationToken;

/// A stage's loop, or the task beside it, as it runs.
pub(crate) type Running = Pin<Box<dyn Future<Output = Result<(), BrokerError>> + Send>>;

/// A built stage, ready to run its broker loop.
pub struct Launch {
    spec: StageSpec,
    start: Box<dyn FnOnce(BrokerSettings, Readiness, CancellationToken) -> Running + Send>,
}

impl std::fmt::Debug for Launch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Launch")
            .field("stage", &self.spec.name)
            .finish()
    }
}

impl Launch {
    pub(crate) fn new<H: Handler>(spec: StageSpec, handler: H) -> Self {
        let handler = Arc::new(handler);
        Self {
            spec,
            start: Box::new(move |settings, readiness, shutdown| {
                Box::pin(run_stage(settings, spec, handler, readiness, shutdown))
            }),
        }
    }

    /// Runs the stage's consume/ack loop until `shutdown`.
    pub fn run(
        self,
        settings: BrokerSettings,
        readiness: Readiness,
        shutdown: CancellationToken,
    ) -> impl Future<Output = Result<(), BrokerError>> + Send {
        (self.start)(settings, readiness, shutdown)
    }

    /// A stage with a task beside its loop (publish's scheduler), which
    /// stops when the loop does: a stage that fails must not be kept
    /// waiting by its companion task.
    pub(crate) fn with_sidecar<H: Handler>(
        spec: StageSpec,
        handler: H,
        sidecar: impl FnOnce(BrokerSettings, CancellationToken) -> Running + Send + 'static,
    ) -> Self {
        let handler = Arc::new(handler);
        Self {
            spec,
            start: Box::new(move |settings, readiness, shutdown| {
                Box::pin(async move {
                    let stop = shutdown.child_token();
                    let beside = tokio::spawn(sidecar(settings.clone(), stop.clone()));
                    let stage = run_stage(settings, spec, handler, readiness, shutdown).await;
                    stop.cancel();
                    let beside = beside.await.unwrap_or_else(|panicked| {
                        tracing::error!(stage = spec.name, error = %panicked, "the task beside the stage panicked");
                        Ok(())
                    });
                    stage.and(beside)
                })
            }),
        }
    }

    pub fn name(&self) -> &'static str {
        self.spec.name
    }
}
