//! Standard Webhooks for Gazette's notifier, as pure logic: secrets and signatures, what an answer means, when to retry, where the notifier may connect; and, as the one reqwest importer, the guarded fetch of an article's pictures.
//!
//! The rules are pure and tested against the specification's own vectors;
//! the one piece of I/O, [`WebhookClient`] (`client.rs`), sends a signed
//! request with the [`AddressPolicy`] applied to the addresses it connects
//! to. The notifier stage schedules retries through broker delay queues,
//! on the broker's slow retry policy.

mod address;
mod client;
mod fetch;
mod outcome;
mod signature;

pub use address::{AddressPolicy, AllowListError};
pub use client::{Answer, ClientError, SendError, WebhookClient, endpoint_url};
pub use fetch::{FetchError, FetchLimits, FetcherError, ImageFetcher, is_fetchable_url};
pub use outcome::{Outcome, classify};
pub use signature::{Secret, SecretError, SignedHeaders, sign, verify, webhook_id};

/// The body every webhook carries: `{"type", "timestamp", "data"}`, the
/// Standard Webhooks payload shape. `timestamp` is RFC 3339.
pub fn payload(event_type: &str, timestamp: &str, data: &serde_json::Value) -> Vec<u8> {
    serde_json::json!({ "type": event_type, "timestamp": timestamp, "data": data })
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_has_the_specs_three_fields() {
        let data = serde_json::json!({"article_id": "ntl-2022-06-23-hoi-nghi-14", "title": "Hội nghị lần thứ 14"});
        let body = payload("article.published", "2022-06-23T08:04:01Z", &data);
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed["type"], "article.published");
        assert_eq!(parsed["timestamp"], "2022-06-23T08:04:01Z");
        assert_eq!(parsed["data"], data);
        assert_eq!(parsed.as_object().map(|o| o.len()), Some(3));
    }
}
