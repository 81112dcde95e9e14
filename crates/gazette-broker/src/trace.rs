//! W3C Trace Context (`traceparent`) carried in AMQP headers, so one article's journey through every stage is one trace.
//!
//! The loop reads the header of each delivery (or starts a trace), logs its
//! trace id on every line of the message's span, and stamps a child context
//! on everything the message causes.

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use rand::Rng;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The AMQP header, named as in the W3C spec and the CloudEvents distributed-tracing extension.
pub const TRACEPARENT: &str = "traceparent";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    trace_id: u128,
    span_id: u64,
    sampled: bool,
}

impl TraceContext {
    /// A new trace, for a message that arrived without one.
    pub fn new_root() -> Self {
        let mut rng = rand::rng();
        Self {
            trace_id: rng.random_range(1..=u128::MAX),
            span_id: rng.random_range(1..=u64::MAX),
            sampled: true,
        }
    }

    /// `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`; anything else
    /// (including the all-zero ids the spec forbids) is ignored.
    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.trim().split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != "00"
            || parts.next().is_some()
            || trace.len() != 32
            || span.len() != 16
            || flags.len() != 2
        {
            return None;
        }
        let trace_id = u128::from_str_radix(trace, 16).ok().filter(|id| *id != 0)?;
        let span_id = u64::from_str_radix(span, 16).ok().filter(|id| *id != 0)?;
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(Self {
            trace_id,
            span_id,
            sampled: flags & 1 == 1,
        })
    }

    /// The same trace, a new span: what a message's outputs carry.
    pub fn child(&self) -> Self {
        Self {
            span_id: rand::rng().random_range(1..=u64::MAX),
            ..*self
        }
    }

    /// Makes `span` a child of this context in OpenTelemetry. A no-op
    /// unless the binary installed an OpenTelemetry layer.
    pub(crate) fn adopt(&self, span: &tracing::Span) {
        let flags = if self.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        let remote = SpanContext::new(
            TraceId::from_bytes(self.trace_id.to_be_bytes()),
            SpanId::from_bytes(self.span_id.to_be_bytes()),
            flags,
            true,
            TraceState::default(),
        );
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
    }

    /// What the outputs of the message handled in `span` carry: the span's
    /// own context when OpenTelemetry records it (so the next stage's span
    /// is its child), otherwise a fresh span id in the same trace.
    pub(crate) fn for_outputs(&self, span: &tracing::Span) -> Self {
        let context = span.context();
        let recorded = context.span().span_context().clone();
        if recorded.is_valid() && recorded.trace_id().to_bytes() == self.trace_id.to_be_bytes() {
            Self {
                span_id: u64::from_be_bytes(recorded.span_id().to_bytes()),
                ..*self
            }
        } else {
            self.child()
        }
    }

    pub fn header(&self) -> String {
        format!(
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id,
            self.span_id,
            u8::from(self.sampled)
        )
    }

    pub fn trace_id(&self) -> String {
        format!("{:032x}", self.trace_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_spec_example() {
        let example = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = TraceContext::parse(example).expect("valid");
        assert_eq!(context.header(), example);
        assert_eq!(context.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let child = context.child();
        assert_eq!(child.trace_id(), context.trace_id());
        assert_ne!(child.header(), context.header());
    }

    #[test]
    fn refuses_what_the_spec_forbids() {
        for bad in [
            "",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad}");
        }
    }
}
