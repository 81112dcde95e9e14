//! One delivery's fate: handled and forwarded, delayed for a retry, or dead-lettered, each confirmed before the ack.

use std::sync::Arc;

use lapin::BasicProperties;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicNackOptions};
use lapin::types::{AMQPValue, FieldTable};
use rand::Rng;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, error, info_span, warn};

use std::time::Instant;

use crate::connect::BROKER_ANSWER_TIMEOUT;
use crate::telemetry::{self, Ending};
use crate::trace::{TRACEPARENT, TraceContext};
use crate::{
    BrokerError, BrokerSettings, Disposition, Exchange, Failure, Handler, Inbound, Outbound,
    Publisher, Routed, StageSpec, headers,
};

/// Dead-letter detail headers are for people; a full 100 kB error is not.
const MAX_DETAIL_CHARS: usize = 1000;

/// What the loop decided for one delivery.
enum Verdict {
    Forward(Vec<Outbound>),
    Retry {
        detail: String,
        at_least: Option<std::time::Duration>,
    },
    Defer {
        wait: std::time::Duration,
    },
    DeadLetter {
        reason: &'static str,
        detail: String,
        notices: Vec<Outbound>,
    },
}

/// Everything one message task needs; cheap clones of the session's parts.
pub(crate) struct Job {
    pub(crate) settings: Arc<BrokerSettings>,
    pub(crate) stage: StageSpec,
    pub(crate) publisher: Publisher,
    /// Cancelled when a publish fails, so the session is rebuilt.
    pub(crate) broken: CancellationToken,
}

impl Job {
    pub(crate) async fn process<H: Handler>(&self, handler: &H, mut delivery: Delivery) {
        // The body moves into the handler's view; retry and dead-letter
        // copies are published from there.
        let inbound = Inbound::for_stage(
            &mut delivery,
            self.publisher.topology(),
            self.stage.name,
            self.settings.max_message_bytes,
        );
        let trace = inbound
            .headers
            .get(TRACEPARENT)
            .and_then(|header| TraceContext::parse(header))
            .unwrap_or_else(TraceContext::new_root);
        let span = info_span!(
            "message",
            stage = self.stage.name,
            trace_id = %trace.trace_id(),
            message_id = inbound.message_id.as_deref().unwrap_or(""),
            correlation_id = inbound.correlation_id.as_deref().unwrap_or(""),
            attempt = inbound.attempt,
        );
        trace.adopt(&span);
        let outputs_trace = trace.for_outputs(&span);
        async {
            let started = Instant::now();
            telemetry::record_consumed(self.stage.name);
            let verdict = self.judge(handler, &inbound).await;
            let ending = match &verdict {
                Verdict::Forward(_) => Ending::Succeeded,
                Verdict::Retry { .. } if inbound.attempt >= self.retry_policy().max_attempts => {
                    Ending::GaveUp
                }
                Verdict::Retry { .. } | Verdict::Defer { .. } => Ending::Retried,
                Verdict::DeadLetter { .. } => Ending::Rejected,
            };
            let settled = self
                .settle(verdict, &delivery, &inbound, outputs_trace)
                .await;
            // A message that could not be handed on goes back to the queue: a retry, in effect.
            let ending = if settled.is_ok() {
                ending
            } else {
                Ending::Retried
            };
            telemetry::record_ending(self.stage.name, ending, started.elapsed());
            match settled {
                Ok(()) => {
                    let acking = delivery.acker.ack(BasicAckOptions::default());
                    match tokio::time::timeout(BROKER_ANSWER_TIMEOUT, acking).await {
                        Ok(Ok(_)) => {}
                        // The outputs are confirmed and idempotent; a redelivery repeats them harmlessly.
                        Ok(Err(e)) => {
                            warn!(error = %e, "ack failed; the message will be redelivered")
                        }
                        Err(_) => warn!("ack not answered; the message will be redelivered"),
                    }
                }
                Err(e) => {
                    error!(error = %e, "could not hand the message on; returning it to the queue");
                    let requeue = BasicNackOptions {
                        requeue: true,
                        ..BasicNackOptions::default()
                    };
                    // If even this fails, closing the session hands the delivery back.
                    let _ =
                        tokio::time::timeout(BROKER_ANSWER_TIMEOUT, delivery.acker.nack(requeue))
                            .await;
                    self.broken.cancel();
                }
            }
        }
        .instrument(span)
        .await;
    }

    fn retry_policy(&self) -> &crate::RetryPolicy {
        self.settings.retry_for(&self.stage)
    }

    async fn judge<H: Handler>(&self, handler: &H, inbound: &Inbound) -> Verdict {
        let limit = self.settings.max_message_bytes;
        if let Some(fault) = &inbound.body_fault {
            return Verdict::DeadLetter {
                reason: fault.reason(),
                detail: fault.to_string(),
                notices: Vec::new(),
            };
        }
        if inbound.body.len() > limit {
            return Verdict::DeadLetter {
                reason: "oversized",
                detail: format!(
                    "message is {} bytes; the limit is {limit} bytes",
                    inbound.body.len()
                ),
                notices: Vec::new(),
            };
        }
        let timeout = self.settings.handler_timeout;
        match tokio::time::timeout(timeout, handler.handle(inbound)).await {
            Ok(Ok(events)) => Verdict::Forward(events),
            Ok(Err(failure)) => match failure.disposition() {
                Disposition::Retry => Verdict::Retry {
                    detail: failure.to_string(),
                    at_least: None,
                },
                Disposition::RetryAfter(wait) => Verdict::Retry {
                    detail: failure.to_string(),
                    at_least: Some(wait),
                },
                Disposition::Defer(wait) => Verdict::Defer { wait },
                Disposition::DeadLetter { reason } => Verdict::DeadLetter {
                    reason,
                    detail: failure.to_string(),
                    notices: failure.notices(),
                },
            },
            Err(_) => Verdict::Retry {
                detail: format!("handler did not finish within {timeout:?}"),
                at_least: None,
            },
        }
    }

    async fn settle(
        &self,
        verdict: Verdict,
        delivery: &Delivery,
        inbound: &Inbound,
        trace: TraceContext,
    ) -> Result<(), BrokerError> {
        match verdict {
            Verdict::Forward(events) => self.forward(events, trace).await,
            Verdict::Retry { detail, at_least } => {
                let next_attempt = inbound.attempt.saturating_add(1);
                if next_attempt > self.retry_policy().max_attempts {
                    let detail = format!(
                        "gave up after {} attempts; last error: {detail}",
                        inbound.attempt
                    );
                    return self
                        .dead_letter(delivery, inbound, "retries-exhausted", &detail)
                        .await;
                }
                self.retry_later(delivery, inbound, next_attempt, &detail, at_least)
                    .await
            }
            Verdict::Defer { wait } => self.defer(delivery, inbound, wait).await,
            Verdict::DeadLetter {
                reason,
                detail,
                notices,
            } => {
                self.forward(notices, trace).await?;
                self.dead_letter(delivery, inbound, reason, &detail).await
            }
        }
    }

    /// Publishes `events`, each stamped with `trace` (the handling span's context).
    async fn forward(&self, events: Vec<Outbound>, trace: TraceContext) -> Result<(), BrokerError> {
        for mut event in events {
            event
                .headers
                .entry(TRACEPARENT.to_owned())
                .or_insert_with(|| trace.header());
            let event = &event;
            if event.exchange == Exchange::Events {
                // Offered to whoever subscribes; nobody may yet.
                self.publisher.offer(event).await?;
                continue;
            }
            match self.publisher.publish(event).await? {
                Routed::Queued => {}
                // An internal hand-off with no queue means the topology was
                // deleted under us; the reconnect declares it again.
                Routed::Unrouted => {
                    return Err(BrokerError::Publish {
                        exchange: self.publisher.topology().exchange(Exchange::Internal),
                        routing_key: event.routing_key.clone(),
                        detail: "no queue is bound for it".to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    async fn retry_later(
        &self,
        delivery: &Delivery,
        inbound: &Inbound,
        next_attempt: u32,
        detail: &str,
        at_least: Option<std::time::Duration>,
    ) -> Result<(), BrokerError> {
        let base = self.retry_policy().delay_covering(next_attempt, at_least);
        // Jitter spreads a burst of failures so they do not all return at
        // once, but never below what the failure asked for (nor past the
        // queue's own TTL, which is `base`).
        let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let base_ms = millis(base);
        let floor_ms = at_least.map_or(0, millis).min(base_ms);
        let jittered_ms = (base_ms.saturating_mul(rand::rng().random_range(80..=100)) / 100)
            .max(floor_ms)
            .max(1);
        let queue = self.publisher.topology().retry_queue(self.stage.name, base);
        let mut headers = copied_headers(delivery, inbound);
        headers.insert(
            headers::ATTEMPT.into(),
            AMQPValue::LongString(next_attempt.to_string().into()),
        );
        headers.insert(
            headers::DETAIL.into(),
            AMQPValue::LongString(truncate(detail).into()),
        );
        let history = append_history(&headers, next_attempt - 1, detail);
        headers.insert(
            headers::HISTORY.into(),
            AMQPValue::LongString(history.into()),
        );
        let properties = copy_properties(delivery, inbound, headers)
            .with_expiration(jittered_ms.to_string().into());
        warn!(error = %detail, next_attempt, delay_ms = jittered_ms, "transient failure; retrying later");
        self.publish_required("", &queue, &inbound.body, properties)
            .await
    }

    /// Back into the shortest delay queue that covers `wait`, untouched:
    /// same headers, same attempt.
    async fn defer(
        &self,
        delivery: &Delivery,
        inbound: &Inbound,
        wait: std::time::Duration,
    ) -> Result<(), BrokerError> {
        let delay = self.retry_policy().delay_covering(2, Some(wait));
        let queue = self
            .publisher
            .topology()
            .retry_queue(self.stage.name, delay);
        let expiration = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX).max(1);
        let properties = copy_properties(delivery, inbound, copied_headers(delivery, inbound))
            .with_expiration(expiration.to_string().into());
        debug!(
            delay_ms = expiration,
            "no room for this message now; deferred"
        );
        self.publish_required("", &queue, &inbound.body, properties)
            .await
    }

    async fn dead_letter(
        &self,
        delivery: &Delivery,
        inbound: &Inbound,
        reason: &str,
        detail: &str,
    ) -> Result<(), BrokerError> {
        let mut headers = copied_headers(delivery, inbound);
        for (name, value) in [
            (headers::STAGE, self.stage.name.to_owned()),
            (headers::REASON, reason.to_owned()),
            (headers::DETAIL, truncate(detail)),
            (headers::ATTEMPT, inbound.attempt.to_string()),
            (headers::ROUTING_KEY, inbound.routing_key.clone()),
        ] {
            headers.insert(name.into(), AMQPValue::LongString(value.into()));
        }
        warn!(reason, error = %detail, "dead-lettered");
        let properties = copy_properties(delivery, inbound, headers);
        let dlx = self.publisher.topology().dead_letter_exchange();
        self.publish_required(&dlx, self.stage.name, &inbound.body, properties)
            .await
    }

    async fn publish_required(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<(), BrokerError> {
        match self
            .publisher
            .publish_raw(exchange, routing_key, body, properties)
            .await?
        {
            Routed::Queued => Ok(()),
            Routed::Unrouted => Err(BrokerError::Publish {
                exchange: exchange.to_owned(),
                routing_key: routing_key.to_owned(),
                detail: "no queue is bound for it".to_owned(),
            }),
        }
    }
}

/// The original's headers, with the routing key and attempt this loop
/// trusted (the delay queue's own key would otherwise replace the key).
/// Both are written over whatever the headers said: a producer's copy of
/// them must not come back trusted from our own delay queue.
fn copied_headers(delivery: &Delivery, inbound: &Inbound) -> FieldTable {
    let mut headers = delivery.properties.headers().clone().unwrap_or_default();
    headers.insert(
        headers::ROUTING_KEY.into(),
        AMQPValue::LongString(inbound.routing_key.as_str().into()),
    );
    headers.insert(
        headers::ATTEMPT.into(),
        AMQPValue::LongString(inbound.attempt.to_string().into()),
    );
    headers
}

/// The original's identity travels with its retry and dead-letter copies.
/// Their body is the one the stage saw, so its content-encoding goes with
/// it: a decoded body travels plain from here on.
fn copy_properties(delivery: &Delivery, inbound: &Inbound, headers: FieldTable) -> BasicProperties {
    let original = &delivery.properties;
    let mut properties = BasicProperties::default().with_headers(headers);
    if let Some(v) = original.content_type() {
        properties = properties.with_content_type(v.clone());
    }
    if let Some(v) = &inbound.content_encoding {
        properties = properties.with_content_encoding(v.as_str().into());
    }
    if let Some(v) = original.message_id() {
        properties = properties.with_message_id(v.clone());
    }
    if let Some(v) = original.correlation_id() {
        properties = properties.with_correlation_id(v.clone());
    }
    properties
}

/// The failures so far, one line per attempt, newest last; older lines are
/// dropped once the header would pass a few kilobytes.
fn append_history(headers: &FieldTable, attempt: u32, detail: &str) -> String {
    let mut lines: Vec<String> = match headers.inner().get(headers::HISTORY) {
        Some(AMQPValue::LongString(previous)) => String::from_utf8_lossy(previous.as_bytes())
            .lines()
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    lines.push(format!(
        "attempt {attempt}: {}",
        truncate(detail).replace('\n', " ")
    ));
    while lines.len() > 1 && lines.iter().map(String::len).sum::<usize>() > 4 * MAX_DETAIL_CHARS {
        lines.remove(0);
    }
    lines.join("\n")
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_keeps_one_line_per_attempt() {
        let mut headers = FieldTable::default();
        let first = append_history(&headers, 1, "store unavailable");
        headers.insert(
            headers::HISTORY.into(),
            AMQPValue::LongString(first.as_str().into()),
        );
        let second = append_history(&headers, 2, "timed\nout");
        assert_eq!(second, "attempt 1: store unavailable\nattempt 2: timed out");
    }

    #[test]
    fn details_are_cut_on_a_character_boundary() {
        let long = "ệ".repeat(MAX_DETAIL_CHARS + 5);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_DETAIL_CHARS + 1);
        assert_eq!(truncate("ngắn"), "ngắn");
    }
}
