//! `article.rejected`: the machine-readable answer to an upstream event that breaks the contract.

use gazette_broker::Outbound;
use gazette_contract::{Envelope, EventType, FieldError, Rejected, rejection_id};
use serde_json::Value;

use crate::encode_event;

/// The `article.rejected` notice for `document`, an upstream event, with the
/// article id it names; `None` when no usable id can be read (nobody to tell).
pub(crate) fn rejection_notice(
    document: &Value,
    errors: &[FieldError],
    source: &str,
) -> Option<(String, Result<Outbound, serde_json::Error>)> {
    let article_id = document
        .pointer("/data/id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty() && id.chars().count() <= 128)?;
    let submission_id = document
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .unwrap_or("unknown")
        .to_owned();
    let revision = document.pointer("/data/revision").and_then(Value::as_u64);
    Some((
        article_id.to_owned(),
        rejection(article_id, revision, &submission_id, errors, source),
    ))
}

/// The `article.rejected` notice telling the producer of `submission_id`
/// why what it sent about `article_id` was refused.
pub(crate) fn rejection(
    article_id: &str,
    revision: Option<u64>,
    submission_id: &str,
    errors: &[FieldError],
    source: &str,
) -> Result<Outbound, serde_json::Error> {
    let rejected = Envelope::new(
        EventType::Rejected,
        rejection_id(submission_id),
        source,
        article_id,
        Some(submission_id),
        Rejected {
            article_id: article_id.to_owned(),
            revision,
            submission_id: submission_id.to_owned(),
            errors: errors.to_vec(),
        },
    );
    encode_event(EventType::Rejected, &rejected)
}
