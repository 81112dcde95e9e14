//! GETting an article's pictures from the CMS under the webhook client's guard: the address policy in the resolver and on the peer, every redirect judged again, and bounded bytes, time and hops.
//!
//! An article names the URLs, so a URL is as untrusted as a subscriber's
//! endpoint: it could name the metadata service, or a public host that
//! redirects to `127.0.0.1`. Redirects are therefore followed here, one at
//! a time, each new URL checked as the first was; the client itself
//! follows none.

use std::sync::Arc;
use std::time::Duration;

use crate::AddressPolicy;
use crate::client::{blocked_by_guard, error_chain, guarded_http, refuses_literal};
use crate::endpoint_url;

/// How much one picture may cost to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// Reading stops past this many bytes.
    pub max_bytes: usize,
    /// From the first connect to the last byte, redirects included.
    pub timeout: Duration,
    pub max_redirects: usize,
}

/// Why a picture was not fetched. [`FetchError::is_transient`] says which
/// may be tried again later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("is not an http:// or https:// URL with a host and without credentials")]
    BadUrl,
    #[error(
        "leads to {host}, which only has addresses Gazette may not fetch from (loopback, private, link-local or metadata); an operator can allow a range with GAZETTE_MEDIA_ALLOW_CIDRS"
    )]
    Blocked { host: String },
    #[error("answered HTTP {status}")]
    Status { status: u16 },
    #[error("redirects more than {limit} times")]
    TooManyRedirects { limit: usize },
    #[error("redirects without a usable Location")]
    BadRedirect,
    #[error("is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("did not arrive within {0:?}")]
    Timeout(Duration),
    #[error("cannot be reached: {0}")]
    Unreachable(String),
}

impl FetchError {
    /// A server that is down, slow or overloaded may answer later; every
    /// other answer is the same next time.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Status { status } => *status >= 500 || matches!(status, 408 | 425 | 429),
            Self::Timeout(_) | Self::Unreachable(_) => true,
            _ => false,
        }
    }
}

/// Whether `text` is a URL the fetcher would try: http or https, a host,
/// no credentials. Checked when an article is validated.
pub fn is_fetchable_url(text: &str) -> bool {
    fetchable(text).is_some()
}

/// The webhook endpoints' rule, which pictures share.
fn fetchable(text: &str) -> Option<url::Url> {
    endpoint_url(text).ok()
}

/// Fetches pictures; cheap to clone, one connection pool.
#[derive(Debug, Clone)]
pub struct ImageFetcher {
    http: reqwest::Client,
    policy: Arc<AddressPolicy>,
    limits: FetchLimits,
}

/// The fetcher could not be built (TLS roots missing on this machine).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the picture fetcher's HTTP client: {0}")]
pub struct FetcherError(String);

impl ImageFetcher {
    pub fn new(policy: AddressPolicy, limits: FetchLimits) -> Result<Self, FetcherError> {
        let policy = Arc::new(policy);
        // Redirects are followed by hand in `follow`, each judged again.
        let http = guarded_http(
            &policy,
            limits.timeout,
            concat!("Gazette-Media/", env!("CARGO_PKG_VERSION")),
        )
        .map_err(FetcherError)?;
        Ok(Self {
            http,
            policy,
            limits,
        })
    }

    /// The picture's bytes, or why not; `url` is never logged with its query.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        match tokio::time::timeout(self.limits.timeout, self.follow(url)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout(self.limits.timeout)),
        }
    }

    async fn follow(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let mut current = fetchable(url).ok_or(FetchError::BadUrl)?;
        for _hop in 0..=self.limits.max_redirects {
            let host = current.host_str().unwrap_or_default().to_owned();
            if refuses_literal(&self.policy, &host) {
                return Err(FetchError::Blocked { host });
            }
            let response = match self.http.get(current.clone()).send().await {
                Ok(response) => response,
                Err(e) if blocked_by_guard(&e) => return Err(FetchError::Blocked { host }),
                Err(e) if e.is_timeout() => return Err(FetchError::Timeout(self.limits.timeout)),
                Err(e) => return Err(FetchError::Unreachable(error_chain(&e.without_url()))),
            };
            if let Some(peer) = response.remote_addr() {
                if !self.policy.permits(peer.ip()) {
                    return Err(FetchError::Blocked { host });
                }
            }
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .ok_or(FetchError::BadRedirect)?;
                let next = current
                    .join(location)
                    .map_err(|_| FetchError::BadRedirect)?;
                current = fetchable(next.as_str()).ok_or(FetchError::BadRedirect)?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    status: status.as_u16(),
                });
            }
            return self.read(response).await;
        }
        Err(FetchError::TooManyRedirects {
            limit: self.limits.max_redirects,
        })
    }

    /// The body, refused as soon as it passes the limit: a server's
    /// Content-Length is a claim, so the count is of bytes received.
    async fn read(&self, mut response: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        let limit = self.limits.max_bytes;
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(FetchError::TooLarge { limit });
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(FetchError::TooLarge { limit });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) if e.is_timeout() => return Err(FetchError::Timeout(self.limits.timeout)),
                Err(e) => return Err(FetchError::Unreachable(error_chain(&e.without_url()))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_are_fetchable() {
        assert!(is_fetchable_url("https://cms.example.vn/anh/cau.jpg?w=1"));
        assert!(is_fetchable_url("HTTP://cms.example.vn/a.png"));
        for bad in [
            "/anh/cau.jpg",
            "ftp://cms/a.jpg",
            "https://user:pw@cms/a.jpg",
            "data:image/png;base64,AAAA",
            "javascript:alert(1)",
            "https://",
        ] {
            assert!(!is_fetchable_url(bad), "{bad}");
        }
    }

    #[test]
    fn only_a_server_that_may_answer_later_is_transient() {
        for transient in [
            FetchError::Status { status: 503 },
            FetchError::Status { status: 429 },
            FetchError::Timeout(Duration::from_secs(1)),
            FetchError::Unreachable("refused".into()),
        ] {
            assert!(transient.is_transient(), "{transient}");
        }
        for lasting in [
            FetchError::Status { status: 404 },
            FetchError::Status { status: 403 },
            FetchError::Blocked {
                host: "127.0.0.1".into(),
            },
            FetchError::TooLarge { limit: 1 },
            FetchError::TooManyRedirects { limit: 5 },
            FetchError::BadUrl,
        ] {
            assert!(!lasting.is_transient(), "{lasting}");
        }
    }

    /// A loopback server answering every request with `answer`, forever.
    async fn answering(answer: &'static [u8]) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 1024];
                    let _ = stream.read(&mut request).await;
                    let _ = stream.write_all(answer).await;
                    // Bodies past the headers: as much as the reader takes.
                    let chunk = vec![b'x'; 64 * 1024];
                    while stream.write_all(&chunk).await.is_ok() {}
                });
            }
        });
        addr
    }

    fn fetcher(allowed: &str, max_bytes: usize, seconds: u64) -> ImageFetcher {
        let limits = FetchLimits {
            max_bytes,
            timeout: Duration::from_secs(seconds),
            max_redirects: 3,
        };
        ImageFetcher::new(AddressPolicy::with_allowed(allowed).unwrap(), limits).unwrap()
    }

    #[tokio::test]
    async fn a_body_past_the_limit_is_refused_while_it_arrives() {
        let addr = answering(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n").await;
        let got = fetcher("127.0.0.0/8", 256 * 1024, 10)
            .get(&format!("http://{addr}/a.jpg"))
            .await;
        assert_eq!(got, Err(FetchError::TooLarge { limit: 256 * 1024 }));
    }

    #[tokio::test]
    async fn a_redirect_loop_stops_at_the_limit_and_loopback_is_refused_unless_allowed() {
        let addr =
            answering(b"HTTP/1.1 302 Found\r\nLocation: /again.jpg\r\nContent-Length: 0\r\n\r\n")
                .await;
        let url = format!("http://{addr}/a.jpg");
        assert_eq!(
            fetcher("127.0.0.0/8", 1024, 10).get(&url).await,
            Err(FetchError::TooManyRedirects { limit: 3 })
        );
        assert_eq!(
            fetcher("", 1024, 10).get(&url).await,
            Err(FetchError::Blocked {
                host: "127.0.0.1".to_owned()
            })
        );
        let by_name = format!("http://localhost:{}/a.jpg", addr.port());
        assert_eq!(
            fetcher("", 1024, 10).get(&by_name).await,
            Err(FetchError::Blocked {
                host: "localhost".to_owned()
            })
        );
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out_as_transient() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepted and held open, never answered.
        let _held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                open.push(stream);
            }
        });
        let got = fetcher("127.0.0.0/8", 1024, 1)
            .get(&format!("http://{addr}/a.jpg"))
            .await;
        assert!(
            matches!(&got, Err(e @ FetchError::Timeout(_)) if e.is_transient()),
            "{got:?}"
        );
    }
}
