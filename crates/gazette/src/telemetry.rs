//! Logs and traces: text or JSON lines on stderr, and spans to an OTLP collector when `GAZETTE_OTLP_ENDPOINT` is set.

use anyhow::{Context, Result};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::Config;

/// lapin logs connection failures at ERROR that Gazette already reports in
/// its own words (and recovers from); the AWS SDK is chatty at INFO; the
/// OTLP exporter's own HTTP client must not trace itself.
const QUIET_LIBRARIES: &str =
    "lapin=off,aws_config=warn,aws_smithy_runtime=warn,reqwest=warn,hyper_util=warn";

/// How much a command says on stderr when neither GAZETTE_LOG nor RUST_LOG
/// is set: a service logs its INFO lines for the operator; a one-shot
/// command a person typed stays quiet but for warnings and its result,
/// unless asked with `-v` (INFO) or `-vv` (DEBUG).
pub fn default_filter(is_service: bool, verbose: u8) -> String {
    let level = match (is_service, verbose) {
        (_, 2..) => "debug",
        (true, _) | (false, 1) => "info",
        (false, 0) => "warn",
    };
    format!("{level},{QUIET_LIBRARIES}")
}

/// The progress bar on the terminal, if one is: log lines are written
/// around it rather than through it.
static ON_SCREEN: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

/// Log lines from now on clear `bar` first and draw it again after.
pub fn log_around(bar: &indicatif::ProgressBar) {
    if let Ok(mut on_screen) = ON_SCREEN.lock() {
        *on_screen = Some(bar.clone());
    }
}

/// Log lines go straight to stderr again.
pub fn stop_logging_around() {
    if let Ok(mut on_screen) = ON_SCREEN.lock() {
        *on_screen = None;
    }
}

/// stderr, with the progress bar (if any) lifted off for each log line, so
/// a line is never drawn into the bar or the bar into a line.
struct AroundTheBar;

impl std::io::Write for AroundTheBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let bar = ON_SCREEN
            .lock()
            .ok()
            .and_then(|on_screen| on_screen.clone());
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf)),
            None => std::io::stderr().write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Keeps the span exporter alive; [`Telemetry::shutdown`] flushes it.
#[derive(Debug)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

/// Logs go to stderr; stdout is for results other programs may read.
pub fn init(config: &Config, default_filter: &str) -> Result<Telemetry> {
    let filter = EnvFilter::try_new(config.log_filter.as_deref().unwrap_or(default_filter))
        .with_context(|| {
            format!(
                "GAZETTE_LOG (or RUST_LOG)={:?} is not a valid log filter",
                config.log_filter
            )
        })?;
    let text = (!config.json_logs).then(|| {
        // Colours for a person at a terminal, unless they asked for none
        // (NO_COLOR, https://no-color.org); none in a log file.
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        tracing_subscriber::fmt::layer()
            .with_writer(|| AroundTheBar)
            .with_ansi(!no_color && std::io::IsTerminal::is_terminal(&std::io::stderr()))
    });
    let json = config.json_logs.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(|| AroundTheBar)
    });
    let provider = match &config.otlp_endpoint {
        Some(endpoint) => Some(exporter(endpoint)?),
        None => None,
    };
    let otel = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("gazette")));
    tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json)
        .with(otel)
        .init();
    Ok(Telemetry { provider })
}

/// Spans in batches over OTLP/HTTP (protobuf) to `<endpoint>/v1/traces`.
fn exporter(endpoint: &str) -> Result<SdkTracerProvider> {
    let exporter = SpanExporter::builder()
        .with_http()
        .with_endpoint(gazette_site::BaseUrl::new(endpoint).join("v1/traces"))
        .build()
        .context("GAZETTE_OTLP_ENDPOINT cannot be used for OTLP export")?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name("gazette").build())
        .build())
}

impl Telemetry {
    /// Sends the spans still buffered; call before the process exits.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            let _ = provider.shutdown();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shot_commands_are_quiet_unless_asked() {
        assert!(default_filter(false, 0).starts_with("warn,"));
        assert!(default_filter(false, 1).starts_with("info,"));
        assert!(default_filter(true, 0).starts_with("info,"));
        assert!(default_filter(true, 2).starts_with("debug,"));
        // The noisy libraries stay held down at every level.
        assert!(default_filter(false, 2).contains("lapin=off"));
    }
}
