//! The one piece of I/O here: POSTing a signed webhook with a bounded timeout, no redirects, no proxy, and the address policy applied to what is connected to. The only crate that imports reqwest.
//!
//! The guard sits in the client's resolver: the addresses a connection may
//! use are exactly the permitted part of the resolver's own answer, so
//! there is no separate pre-flight lookup whose answer could differ from
//! the connection's (DNS rebinding). A URL with an IP literal skips DNS
//! and is judged directly, and the peer of every answer is checked again.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::{AddressPolicy, SignedHeaders};

/// What an endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// The raw `Retry-After` header, if any.
    pub retry_after: Option<String>,
    pub peer: Option<SocketAddr>,
}

/// Why no answer came back.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// `url` as people may see it: no query, no credentials.
    #[error("{url:?} is not an http:// or https:// URL with a host")]
    BadUrl { url: String },
    #[error(
        "{host} leads only to addresses the notifier may not connect to (loopback, private, link-local or metadata); an operator can allow a range with GAZETTE_WEBHOOK_ALLOW_CIDRS"
    )]
    Blocked { host: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot reach the endpoint: {0}")]
    Unreachable(String),
}

/// The client could not be built (TLS roots missing on this machine).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the webhook HTTP client: {0}")]
pub struct ClientError(String);

/// Sends webhooks; cheap to clone, one connection pool.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    policy: Arc<AddressPolicy>,
    timeout: Duration,
}

impl WebhookClient {
    /// `timeout` bounds each request from connect to the last header.
    pub fn new(policy: AddressPolicy, timeout: Duration) -> Result<Self, ClientError> {
        let policy = Arc::new(policy);
        // A redirect is an answer, not an instruction: following it would
        // send the signed body somewhere the subscriber did not register.
        let http = guarded_http(
            &policy,
            timeout,
            concat!("Gazette-Webhooks/", env!("CARGO_PKG_VERSION")),
        )
        .map_err(ClientError)?;
        Ok(Self {
            http,
            policy,
            timeout,
        })
    }

    /// POSTs `body` to `url` with the three signature headers.
    pub async fn post(
        &self,
        url: &str,
        headers: &SignedHeaders,
        body: Vec<u8>,
    ) -> Result<Answer, SendError> {
        let parsed = endpoint_url(url)?;
        let host = parsed.host_str().unwrap_or_default().to_owned();
        if refuses_literal(&self.policy, &host) {
            return Err(SendError::Blocked { host });
        }
        let sent = self
            .http
            .post(parsed)
            .header("content-type", "application/json")
            .header("webhook-id", &headers.webhook_id)
            .header("webhook-timestamp", &headers.webhook_timestamp)
            .header("webhook-signature", &headers.webhook_signature)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if blocked_by_guard(&e) => return Err(SendError::Blocked { host }),
            Err(e) if e.is_timeout() => return Err(SendError::Timeout(self.timeout)),
            // reqwest names the URL in its errors, query and all; the query
            // is where endpoints keep their tokens.
            Err(e) => return Err(SendError::Unreachable(error_chain(&e.without_url()))),
        };
        let peer = response.remote_addr();
        if let Some(peer) = peer {
            if !self.policy.permits(peer.ip()) {
                return Err(SendError::Blocked { host });
            }
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Answer {
            status: response.status().as_u16(),
            retry_after,
            peer,
        })
    }
}

/// Checks that `text` is a URL the notifier can POST to: http or https,
/// with a host, without credentials. Used when a subscription is created, too.
pub fn endpoint_url(text: &str) -> Result<url::Url, SendError> {
    let bad = || SendError::BadUrl {
        url: gazette_secrets::endpoint_for_people(text),
    };
    let parsed = url::Url::parse(text).map_err(|_| bad())?;
    let usable = matches!(parsed.scheme(), "http" | "https")
        && parsed.host_str().is_some_and(|h| !h.is_empty())
        && parsed.username().is_empty()
        && parsed.password().is_none();
    if usable { Ok(parsed) } else { Err(bad()) }
}

/// Whether `host` is an IP literal the policy refuses: a literal skips
/// DNS, so the resolver's guard never sees it.
pub(crate) fn refuses_literal(policy: &AddressPolicy, host: &str) -> bool {
    host.trim_matches(['[', ']'])
        .parse::<IpAddr>()
        .is_ok_and(|literal| !policy.permits(literal))
}

/// A client that connects only where `policy` permits (the guard sits in
/// its resolver), follows no redirect and uses no proxy (a proxy would
/// connect on our behalf, past the guard); `timeout` bounds each request.
pub(crate) fn guarded_http(
    policy: &Arc<AddressPolicy>,
    timeout: Duration,
    user_agent: &'static str,
) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver {
            policy: Arc::clone(policy),
        }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(user_agent)
        .build()
        .map_err(|e| e.to_string())
}

/// The resolver's refusal, found again in the client's error chain.
#[derive(Debug, thiserror::Error)]
#[error("every address of {0} is refused by the webhook address policy")]
pub(crate) struct RefusedByPolicy(String);

#[derive(Debug)]
struct GuardedResolver {
    policy: Arc<AddressPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let permitted: Vec<SocketAddr> = found
                .into_iter()
                .filter(|address| policy.permits(address.ip()))
                .collect();
            if permitted.is_empty() {
                return Err(Box::new(RefusedByPolicy(host)) as Box<_>);
            }
            Ok(Box::new(permitted.into_iter()) as Addrs)
        })
    }
}

pub(crate) fn blocked_by_guard(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<RefusedByPolicy>() {
            return true;
        }
        source = current.source();
    }
    false
}

/// "error sending request: client error (Connect): tcp connect error: Connection refused": the useful part is at the end.
pub(crate) fn error_chain(error: &reqwest::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(current) = source {
        parts.push(current.to_string());
        source = current.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_with_a_host_are_endpoints() {
        assert!(endpoint_url("https://hooks.example.vn/gazette").is_ok());
        assert!(endpoint_url("http://203.0.113.7:8080/x").is_ok());
        assert!(endpoint_url("ftp://example.vn/").is_err());
        assert!(endpoint_url("https://user:pw@example.vn/").is_err());
        assert!(endpoint_url("not a url").is_err());
    }
}
