//! `gazette submit`: article files in, confirmed `article.submitted` events out; optionally wait for the verdict.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use gazette_broker::{
    BrokerError, Exchange, Inbound, Publisher, Routed, TRACEPARENT, Tap, TraceContext,
    ensure_topology,
};
use gazette_contract::{
    Envelope, EventType, Published, Rejected, Scheduled, content_event_id, event_id,
};
use gazette_stages::{all_specs, encode_event};
use serde_json::Value;

const SOURCE: &str = "/gazette/submit";

pub async fn submit(
    config: &crate::config::Config,
    files: &[impl AsRef<Path>],
    wait: Option<Duration>,
) -> Result<()> {
    let settings = &config.broker;
    // So that a submission made before any worker ever ran waits in its
    // queue, and so do the events it leads to: every stage's queue, the
    // indexer's and the notifier's included, or an article published
    // before the indexer first started would never be listed. A
    // least-privilege upstream user (deploy/rabbitmq) may not declare; then
    // the topology must already exist, and the mandatory flag reports it if
    // it does not.
    match ensure_topology(settings, &all_specs()).await {
        Ok(()) => {}
        Err(e @ BrokerError::Connect { .. }) => {
            return Err(anyhow::Error::new(e)
                .context("check GAZETTE_AMQP_URL and that RabbitMQ is running"));
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not declare the topology; submitting to what exists")
        }
    }
    let mut tap = match wait {
        Some(_) => Some(
            Tap::bind(
                settings,
                Exchange::Events,
                &[
                    EventType::Published.as_str(),
                    EventType::Updated.as_str(),
                    EventType::Scheduled.as_str(),
                    EventType::Rejected.as_str(),
                ],
            )
            .await
            .context("cannot listen for results")?,
        ),
        None => None,
    };
    let publisher = Publisher::connect(settings, "submit")
        .await
        .context("check GAZETTE_AMQP_URL")?;
    let mut failures = 0;
    for file in files {
        let file = file.as_ref();
        let outcome = async {
            let event = read_submission(file)?;
            let trace_id = publish(&publisher, &event).await?;
            say!(
                "submitted {} as event {} (article {}, trace {trace_id})",
                shown(file),
                event.id,
                event.subject
            );
            if let (Some(tap), Some(within)) = (tap.as_mut(), wait) {
                await_verdict(tap, &event.id, within).await?;
            }
            Ok::<_, anyhow::Error>(())
        }
        .await;
        if let Err(e) = outcome {
            eprintln!("gazette: {}: {e:#}", shown(file));
            failures += 1;
        }
    }
    publisher.close().await;
    if let Some(tap) = tap {
        tap.close().await;
    }
    if failures > 0 {
        bail!(
            "{failures} of {} files were not submitted or not published",
            files.len()
        );
    }
    Ok(())
}

/// The name that stands for standard input among the files.
const STDIN: &str = "-";

fn shown(file: &Path) -> String {
    if file.as_os_str() == STDIN {
        "standard input".to_owned()
    } else {
        file.display().to_string()
    }
}

/// The file's JSON wrapped in an `article.submitted` envelope. The article
/// itself is judged by the validate stage, exactly as for any other producer.
fn read_submission(file: &Path) -> Result<Envelope<Value>> {
    let bytes = if file.as_os_str() == STDIN {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .context("cannot read standard input")?;
        bytes
    } else {
        std::fs::read(file).context("cannot read the file")?
    };
    article_from(&bytes)
}

/// The article in `bytes`, refused in one sentence when it is wrapped in a
/// CloudEvents envelope already: submitting it would wrap it twice, and the
/// validate stage would answer with a schema error for every field.
fn article_from(bytes: &[u8]) -> Result<Envelope<Value>> {
    let article: Value = serde_json::from_slice(bytes).context("the file is not JSON")?;
    if article.get("specversion").is_some() && article.get("data").is_some() {
        bail!(
            "this is a CloudEvents envelope (it has `specversion` and `data`); `gazette submit` takes the article itself: submit the value of its `data`"
        );
    }
    let article_id = article.get("id").and_then(Value::as_str).map(str::to_owned);
    let revision = article.get("revision").and_then(Value::as_u64);
    let id = match (&article_id, revision) {
        (Some(article_id), Some(revision)) => event_id(article_id, revision, EventType::Submitted),
        _ => content_event_id(bytes, EventType::Submitted),
    };
    let subject = article_id.unwrap_or_else(|| "unidentified".to_owned());
    Ok(Envelope::new(
        EventType::Submitted,
        id,
        SOURCE,
        &subject,
        None,
        article,
    ))
}

/// Publishes the submission as the root of a new trace; returns its trace id.
async fn publish(publisher: &Publisher, event: &Envelope<Value>) -> Result<String> {
    let mut message = encode_event(EventType::Submitted, event)?;
    let trace = TraceContext::new_root();
    message
        .headers
        .insert(TRACEPARENT.to_owned(), trace.header());
    match publisher
        .publish(&message)
        .await
        .context("RabbitMQ did not confirm the submission")?
    {
        Routed::Queued => Ok(trace.trace_id()),
        Routed::Unrouted => Err(anyhow!(
            "RabbitMQ confirmed the submission but no queue is bound to article.submitted"
        )),
    }
}

async fn await_verdict(tap: &mut Tap, submission_id: &str, within: Duration) -> Result<()> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(message) = tap.next(left).await? else {
            bail!(
                "no article.published, article.updated, article.scheduled or article.rejected within {within:?}; are the workers running (gazette up)?"
            );
        };
        if message.correlation_id.as_deref() != Some(submission_id) {
            continue;
        }
        return report(&message);
    }
}

fn report(message: &Inbound) -> Result<()> {
    match message.routing_key.as_str() {
        verb @ ("article.published" | "article.updated") => {
            let event: Envelope<Published> =
                serde_json::from_slice(&message.body).context("unreadable article.published")?;
            let verb = verb.trim_start_matches("article.");
            say!(
                "{verb} revision {} of {} at {}",
                event.data.revision,
                event.data.article_id,
                event.data.url
            );
            Ok(())
        }
        // An embargo: accepted, and nothing to wait for until its time.
        "article.scheduled" => {
            let event: Envelope<Scheduled> =
                serde_json::from_slice(&message.body).context("unreadable article.scheduled")?;
            say!(
                "scheduled revision {} of {} for {}",
                event.data.revision,
                event.data.article_id,
                event.data.published_at.to_rfc3339()
            );
            Ok(())
        }
        _ => {
            let event: Envelope<Rejected> =
                serde_json::from_slice(&message.body).context("unreadable article.rejected")?;
            for error in &event.data.errors {
                say!(
                    "rejected {}: {}: {}",
                    event.data.article_id,
                    in_the_file(&error.pointer),
                    error.message
                );
            }
            bail!("article {} was rejected", event.data.article_id)
        }
    }
}

/// A rejection's pointer as the person who wrote the file sees it: the
/// article is the file, so `/data/category/name` is `/category/name`. A
/// pointer outside `data` names the envelope `submit` wrote, and says so.
fn in_the_file(pointer: &str) -> String {
    match pointer.strip_prefix("/data") {
        Some("") => "/".to_owned(),
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ if pointer.is_empty() => "the event".to_owned(),
        _ => format!("the event's {pointer}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_name_the_file_not_the_envelope() {
        assert_eq!(in_the_file("/data/category/name"), "/category/name");
        assert_eq!(in_the_file("/data"), "/");
        assert_eq!(in_the_file("/database"), "the event's /database");
        assert_eq!(in_the_file("/subject"), "the event's /subject");
        assert_eq!(in_the_file(""), "the event");
    }

    #[test]
    fn an_envelope_is_refused_in_one_sentence() {
        let envelope =
            br#"{"specversion": "1.0", "type": "article.submitted", "data": {"id": "a"}}"#;
        let error = article_from(envelope).unwrap_err().to_string();
        assert!(error.contains("CloudEvents envelope"), "{error}");
        assert_eq!(error.lines().count(), 1, "{error}");
    }

    #[test]
    fn an_article_gets_an_envelope_named_for_its_id_and_revision() {
        let event = article_from(br#"{"id": "a-1", "revision": 2, "title": "x"}"#).unwrap();
        assert_eq!(event.subject, "a-1");
        assert_eq!(event.id, event_id("a-1", 2, EventType::Submitted));
        assert_eq!(event.data["title"], "x");
    }
}
