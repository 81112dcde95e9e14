//! PUTs to an S3-compatible endpoint without the SDK's per-request machinery: signed with the SDK's own SigV4 signer, sent over one hyper pool.
//!
//! Why: every page and copy Gazette publishes is a PUT, and the SDK's
//! orchestrator (interceptors, endpoint rules, type-erased config bags, a
//! fresh look at the environment) cost 190 to 320 µs of CPU per 19 KB PUT
//! in the client, against 90 to 125 µs for the same request signed and
//! sent here (`performance.md`, the section on PUTs without the SDK's
//! orchestrator). At three PUTs per article that was a quarter of the
//! publish stage's CPU.
//!
//! Used only with a custom endpoint (`AWS_ENDPOINT_URL`: Garage, MinIO),
//! where addressing is path-style and the URL is the endpoint, the bucket
//! and the key. Against AWS itself the SDK keeps every request: its
//! endpoint rules (regions, FIPS, dual-stack, virtual-hosted buckets) are
//! not repeated here. Everything but PutObject also stays with the SDK.
//!
//! What the SDK did and this does too: SigV4 over the payload's SHA-256,
//! session tokens, the same limits (5 s to connect, 20 s an attempt, 60 s
//! in all), three attempts with jittered exponential back-off on 5xx, 429
//! and transport failures, and the same classification of what comes back.
//! What it leaves out: the SDK's extra CRC32 header, which Garage and
//! MinIO do not require; the signed SHA-256 covers the body.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_s3::config::{Credentials, ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue, IF_MATCH, IF_NONE_MATCH};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::{Precondition, PutObject, StoreError};

/// The limits of every S3 request, the SDK's and this path's alike.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
pub(crate) const OPERATION_TIMEOUT: Duration = Duration::from_secs(60);
const ATTEMPTS: u32 = 3;
/// The SDK's standard retry: a random share of 1 s, doubling, at most 20 s.
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// Credentials this close to their expiry are fetched again.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(300);
/// An error document is a few hundred bytes; more than this is not read.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

#[derive(Debug)]
pub(crate) struct DirectPut {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// `http://host:port/bucket`, with no trailing slash.
    bucket_url: String,
    region: String,
    credentials: SharedCredentialsProvider,
    /// The provider's last answer, reused until close to its expiry: the
    /// SDK caches identities the same way, and a provider may be a network
    /// call (instance metadata, STS).
    cached: Mutex<Option<Credentials>>,
}

/// What one attempt came to.
enum Attempt {
    Done,
    /// Worth another attempt (transport failure, 5xx, 429).
    Retry(StoreError),
    Final(StoreError),
}

impl DirectPut {
    /// `None` when no TLS configuration can be built from the system's
    /// roots; the SDK then makes the PUTs as well.
    pub(crate) fn new(
        endpoint: &str,
        bucket: &str,
        region: &str,
        credentials: SharedCredentialsProvider,
    ) -> Option<Self> {
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        // A request leaves in two writes, head and body. With Nagle's
        // algorithm the body waits for the head's ACK, which the server
        // delays by up to 40 ms: the first bench of this path doubled the
        // publish stage's mean time that way. The SDK's client sets it too.
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|error| tracing::debug!(%error, "no TLS roots; the SDK makes the PUTs"))
            .ok()?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Some(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            bucket_url: format!("{}/{bucket}", endpoint.trim_end_matches('/')),
            region: region.to_owned(),
            credentials,
            cached: Mutex::new(None),
        })
    }

    pub(crate) async fn put(&self, object: PutObject, target: String) -> Result<(), StoreError> {
        let deadline = Instant::now() + OPERATION_TIMEOUT;
        let mut attempt = 1;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let outcome = match tokio::time::timeout(
                ATTEMPT_TIMEOUT.min(remaining),
                self.attempt(&object, &target),
            )
            .await
            {
                Ok(outcome) => outcome,
                Err(_) => Attempt::Retry(unavailable(
                    &target,
                    format!("no answer within {:?}", ATTEMPT_TIMEOUT.min(remaining)),
                )),
            };
            let error = match outcome {
                Attempt::Done => return Ok(()),
                Attempt::Final(error) => return Err(error),
                Attempt::Retry(error) => error,
            };
            let pause = backoff(attempt, rand::random::<f64>());
            if attempt >= ATTEMPTS || Instant::now() + pause >= deadline {
                return Err(error);
            }
            tracing::debug!(%error, attempt, ?pause, "PUT failed; trying again");
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, object: &PutObject, target: &str) -> Attempt {
        let request = match self.signed_request(object, target).await {
            Ok(request) => request,
            Err(attempt) => return attempt,
        };
        let response = match self.client.request(request).await {
            Ok(response) => response,
            Err(error) => return Attempt::Retry(unavailable(target, error_chain(&error))),
        };
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), ERROR_BODY_LIMIT)
            .collect()
            .await
            .map(|collected| collected.to_bytes());
        if (200..300).contains(&status) {
            return Attempt::Done;
        }
        let detail = match &body {
            Ok(body) => error_detail(body),
            Err(error) => format!("HTTP {status}, and its body could not be read: {error}"),
        };
        match status {
            // 412: the condition failed; 409: a concurrent conditional write is in progress.
            409 | 412 => Attempt::Final(StoreError::Conflict {
                target: target.to_owned(),
            }),
            400..=499 if status != 429 => Attempt::Final(StoreError::Refused {
                operation: "put",
                target: target.to_owned(),
                status,
                detail,
            }),
            _ => Attempt::Retry(unavailable(target, format!("HTTP {status}: {detail}"))),
        }
    }

    async fn signed_request(
        &self,
        object: &PutObject,
        target: &str,
    ) -> Result<http::Request<Full<Bytes>>, Attempt> {
        let refused = |detail: String| {
            Attempt::Final(StoreError::Refused {
                operation: "put",
                target: target.to_owned(),
                status: 400,
                detail,
            })
        };
        let mut builder =
            http::Request::put(format!("{}/{}", self.bucket_url, encode_key(&object.key)))
                .header(CONTENT_TYPE, object.content_type)
                .header(CACHE_CONTROL, object.cache_control);
        match &object.precondition {
            Precondition::None => {}
            Precondition::Absent => builder = builder.header(IF_NONE_MATCH, "*"),
            Precondition::Unchanged(etag) => builder = builder.header(IF_MATCH, etag.as_str()),
        }
        for (name, value) in &object.metadata {
            let header = HeaderName::try_from(format!("x-amz-meta-{name}"));
            let value = HeaderValue::from_str(value);
            match (header, value) {
                (Ok(header), Ok(value)) => builder = builder.header(header, value),
                _ => {
                    return Err(refused(format!(
                        "metadata {name:?} is not a valid HTTP header name and value"
                    )));
                }
            }
        }
        let mut request = builder
            .body(Full::new(object.body.clone()))
            .map_err(|error| refused(format!("not a valid request: {error}")))?;

        let credentials = self
            .credentials()
            .await
            .map_err(|detail| Attempt::Retry(unavailable(target, detail)))?;
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        // S3 signs the path as sent, once encoded, and not normalised.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|error| refused(format!("cannot be signed: {error}")))?
            .into();
        let uri = request.uri().to_string();
        let headers = request
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
        let signable = SignableRequest::new(
            "PUT",
            uri.as_str(),
            headers,
            SignableBody::Bytes(&object.body),
        )
        .map_err(|error| refused(format!("cannot be signed: {error}")))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|error| refused(format!("cannot be signed: {error}")))?
            .into_parts();
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }

    async fn credentials(&self) -> Result<Credentials, String> {
        let fresh = |credentials: &Credentials| {
            credentials
                .expiry()
                .is_none_or(|expiry| SystemTime::now() + CREDENTIALS_MARGIN < expiry)
        };
        if let Ok(cached) = self.cached.lock()
            && let Some(credentials) = cached.as_ref().filter(|c| fresh(c))
        {
            return Ok(credentials.clone());
        }
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|error| format!("no credentials: {}", error_chain(&error)))?;
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some(credentials.clone());
        }
        Ok(credentials)
    }
}

fn unavailable(target: &str, detail: String) -> StoreError {
    StoreError::Unavailable {
        operation: "put",
        target: target.to_owned(),
        detail,
    }
}

/// The pause before attempt `attempt + 1`, for `share` in `[0, 1)`.
fn backoff(attempt: u32, share: f64) -> Duration {
    let ceiling = INITIAL_BACKOFF
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
        .min(MAX_BACKOFF);
    ceiling.mul_f64(share.clamp(0.0, 1.0))
}

/// A key as a URL path: every byte but the unreserved ones and `/`
/// percent-encoded, which is how S3 reads and signs it.
fn encode_key(key: &str) -> String {
    let mut path = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            path.push(char::from(byte));
        } else {
            path.push_str(&format!("%{byte:02X}"));
        }
    }
    path
}

/// `Code: Message` from an S3 error document, as the SDK reports it.
fn error_detail(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].to_owned())
    };
    format!(
        "{}: {}",
        element("Code").unwrap_or_else(|| "error".to_owned()),
        element("Message").unwrap_or_else(|| "no message".to_owned())
    )
}

/// An error and its causes on one line, for a store error's detail.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_encoded_as_s3_signs_them() {
        assert_eq!(
            encode_key("tin-tuc/2022/a_b.~x.html"),
            "tin-tuc/2022/a_b.~x.html"
        );
        assert_eq!(encode_key("a b+c%d"), "a%20b%2Bc%25d");
        assert_eq!(
            encode_key("đường?x=1#y"),
            "%C4%91%C6%B0%E1%BB%9Dng%3Fx%3D1%23y"
        );
        assert_eq!(
            encode_key("a&b=c;d:e@f$g,h"),
            "a%26b%3Dc%3Bd%3Ae%40f%24g%2Ch"
        );
    }

    #[test]
    fn backoff_doubles_within_its_ceiling() {
        assert_eq!(backoff(1, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(2, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(3, 0.5), Duration::from_secs(2));
        assert_eq!(backoff(40, 1.0), MAX_BACKOFF);
        assert_eq!(backoff(0, 1.0), Duration::from_secs(1));
        assert_eq!(
            backoff(2, 7.0),
            Duration::from_secs(2),
            "a share above one is one"
        );
        assert_eq!(backoff(2, -1.0), Duration::ZERO);
    }

    #[test]
    fn error_documents_give_code_and_message() {
        let document = b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Forbidden: no key</Message><Resource>/b/k</Resource></Error>";
        assert_eq!(error_detail(document), "AccessDenied: Forbidden: no key");
        assert_eq!(error_detail(b""), "error: no message");
        assert_eq!(error_detail(b"<Code>Half"), "error: no message");
        assert_eq!(error_detail(&[0xff, 0xfe]), "error: no message");
    }
}
