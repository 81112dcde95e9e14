//! Endpoint secrets (`whsec_…`) and the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers of the Standard Webhooks spec.
//!
//! The signed content is `{webhook-id}.{webhook-timestamp}.{body}`, the MAC
//! is HMAC-SHA256 keyed with the secret's bytes, and the header carries
//! `v1,{base64}` once per active secret, separated by spaces, so an
//! endpoint rotating its secret accepts either during the overlap.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "whsec_";
/// 24 random bytes: the spec asks for 24 to 64.
const GENERATED_BYTES: usize = 24;

/// A secret string that is not `whsec_` followed by base64.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("a webhook secret starts with \"whsec_\"")]
    MissingPrefix,
    #[error("a webhook secret is whsec_ followed by base64: {0}")]
    NotBase64(String),
    #[error("a webhook secret holds 24 to 64 bytes; this one holds {0}")]
    WrongLength(usize),
}

/// One endpoint's signing key. Shown to its owner once, at creation, as
/// [`Secret::reveal`]; its `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// A fresh random secret.
    pub fn generate() -> Self {
        Self((0..GENERATED_BYTES).map(|_| rand::random::<u8>()).collect())
    }

    /// Parses `whsec_<base64>`.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text
            .trim()
            .strip_prefix(PREFIX)
            .ok_or(SecretError::MissingPrefix)?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|e| SecretError::NotBase64(e.to_string()))?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(SecretError::WrongLength(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// The secret as its owner pastes it into their verifier.
    pub fn reveal(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// `v1,<base64 of HMAC-SHA256(id.timestamp.body)>`.
    fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // Any key length is valid for HMAC; this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            unreachable!("HMAC accepts keys of every length")
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(whsec_***)")
    }
}

/// The three headers of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub webhook_id: String,
    pub webhook_timestamp: String,
    pub webhook_signature: String,
}

/// Signs `body` as message `id` sent at `timestamp` (Unix seconds) with
/// every secret in `secrets`: the current one, and during a rotation the
/// previous one as well.
pub fn sign(secrets: &[Secret], id: &str, timestamp: i64, body: &[u8]) -> SignedHeaders {
    let signatures: Vec<String> = secrets
        .iter()
        .map(|secret| secret.sign(id, timestamp, body))
        .collect();
    SignedHeaders {
        webhook_id: id.to_owned(),
        webhook_timestamp: timestamp.to_string(),
        webhook_signature: signatures.join(" "),
    }
}

/// Whether any `v1` signature in a `webhook-signature` header matches
/// `secret`: what a receiver does, and what the tests' receiver does.
pub fn verify(secret: &Secret, headers: &SignedHeaders, body: &[u8]) -> bool {
    let Ok(timestamp) = headers.webhook_timestamp.parse::<i64>() else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&secret.0) else {
        return false;
    };
    mac.update(format!("{}.{timestamp}.", headers.webhook_id).as_bytes());
    mac.update(body);
    headers
        .webhook_signature
        .split(' ')
        .filter_map(|signature| signature.strip_prefix("v1,"))
        .filter_map(|encoded| STANDARD.decode(encoded).ok())
        // verify_slice compares in constant time.
        .any(|candidate| mac.clone().verify_slice(&candidate).is_ok())
}

/// The `webhook-id` of event `event_id`: the same on every retry, so a
/// receiver can drop a duplicate.
pub fn webhook_id(event_id: &str) -> String {
    format!("msg_{event_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The known-answer vector of the Standard Webhooks specification.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1_614_265_330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn the_specs_known_answer_vector() {
        let secret = Secret::parse(SPEC_SECRET).unwrap();
        let headers = sign(
            std::slice::from_ref(&secret),
            SPEC_ID,
            SPEC_TIMESTAMP,
            SPEC_BODY,
        );
        assert_eq!(headers.webhook_signature, SPEC_SIGNATURE);
        assert_eq!(headers.webhook_timestamp, "1614265330");
        assert!(verify(&secret, &headers, SPEC_BODY));
        assert!(!verify(&secret, &headers, br#"{"test": 2432232315}"#));
    }

    #[test]
    fn a_rotation_sends_both_signatures_and_either_secret_verifies() {
        let (old, new) = (Secret::generate(), Secret::generate());
        let headers = sign(&[new.clone(), old.clone()], "msg_1", 1_700_000_000, b"{}");
        assert_eq!(headers.webhook_signature.split(' ').count(), 2);
        assert!(verify(&old, &headers, b"{}") && verify(&new, &headers, b"{}"));
        assert!(!verify(&Secret::generate(), &headers, b"{}"));
    }

    #[test]
    fn secrets_round_trip_and_are_never_printed() {
        let secret = Secret::generate();
        let shown = secret.reveal();
        assert!(shown.starts_with("whsec_"));
        assert_eq!(Secret::parse(&shown).unwrap(), secret);
        assert!(!format!("{secret:?}").contains(&shown[6..]));
        assert_eq!(Secret::parse("MfKQ9r8G"), Err(SecretError::MissingPrefix));
        assert!(matches!(
            Secret::parse("whsec_%%%"),
            Err(SecretError::NotBase64(_))
        ));
        assert_eq!(
            Secret::parse("whsec_AAAA"),
            Err(SecretError::WrongLength(3))
        );
    }

    #[test]
    fn the_webhook_id_follows_the_event_across_retries() {
        assert_eq!(webhook_id("0d6b5b8e"), webhook_id("0d6b5b8e"));
        assert_ne!(webhook_id("0d6b5b8e"), webhook_id("0d6b5b8f"));
    }
}
