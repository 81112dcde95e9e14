//! The notifier's webhook side for tests: a receiver that records what it gets and answers as scripted, a hung endpoint, and `article.published` events to feed the notifier.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, FixedOffset};
use gazette_broker::{BrokerSettings, Publisher};
use gazette_contract::{Category, Envelope, EventType, Published, event_id};
use gazette_stages::encode_event;
use tokio::sync::watch;

use super::PATIENCE;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub at: Instant,
    pub webhook_id: String,
    pub webhook_timestamp: String,
    pub webhook_signature: String,
    pub body: Vec<u8>,
}

impl Received {
    pub fn signed_headers(&self) -> gazette_webhooks::SignedHeaders {
        gazette_webhooks::SignedHeaders {
            webhook_id: self.webhook_id.clone(),
            webhook_timestamp: self.webhook_timestamp.clone(),
            webhook_signature: self.webhook_signature.clone(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a webhook body is JSON")
    }
}

/// What the endpoint at `/{name}` answers, in turn; the last answer repeats.
#[derive(Debug, Clone)]
pub struct Script(pub VecDeque<(u16, Vec<(&'static str, String)>)>);

impl Script {
    pub fn always(status: u16) -> Self {
        Self(VecDeque::from([(status, Vec::new())]))
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    scripts: std::collections::HashMap<String, Script>,
}

/// An HTTP server on loopback that answers webhooks as scripted.
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    changed: watch::Receiver<usize>,
}

impl Receiver {
    pub async fn start() -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (notify, changed) = watch::channel(0usize);
        let app = Router::new()
            .route("/{name}", post(answer))
            .with_state((Arc::clone(&shared), Arc::new(notify)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            addr,
            shared,
            changed,
        }
    }

    pub fn script(&self, name: &str, script: Script) {
        self.shared
            .lock()
            .unwrap()
            .scripts
            .insert(name.to_owned(), script);
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    pub fn received(&self, name: &str) -> Vec<Received> {
        let path = format!("/{name}");
        let shared = self.shared.lock().unwrap();
        shared
            .received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Waits until `/{name}` has received `count` requests.
    pub async fn wait_for(&mut self, name: &str, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let got = self.received(name);
            if got.len() >= count {
                return got;
            }
            tokio::time::timeout_at(deadline, self.changed.changed())
                .await
                .unwrap_or_else(|_| panic!("/{name} received {} of {count} requests", got.len()))
                .expect("the receiver runs");
        }
    }
}

/// What the receiver's handlers share: the requests so far, and a bell rung on each.
type ReceiverState = (Arc<Mutex<Shared>>, Arc<watch::Sender<usize>>);

async fn answer(
    State((shared, notify)): State<ReceiverState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (status, extra) = {
        let mut shared = shared.lock().unwrap();
        shared.received.push(Received {
            path: format!("/{name}"),
            at: Instant::now(),
            webhook_id: header("webhook-id"),
            webhook_timestamp: header("webhook-timestamp"),
            webhook_signature: header("webhook-signature"),
            body: body.to_vec(),
        });
        let script = shared
            .scripts
            .entry(name)
            .or_insert_with(|| Script::always(204));
        match script.0.len() {
            0 => (204, Vec::new()),
            1 => script.0[0].clone(),
            _ => script.0.pop_front().unwrap_or((204, Vec::new())),
        }
    };
    notify.send_modify(|n| *n += 1);
    let mut response = StatusCode::from_u16(status).unwrap().into_response();
    for (name, value) in extra {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_str(&value).unwrap());
    }
    response
}

/// A TCP port that takes connections and never answers: a hung endpoint.
/// Counts connections the client gave up on (closed by the other side).
pub struct Hung {
    pub addr: SocketAddr,
    pub accepted: Arc<std::sync::atomic::AtomicUsize>,
    pub abandoned: Arc<std::sync::atomic::AtomicUsize>,
}

impl Hung {
    pub async fn start() -> Self {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let abandoned = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&abandoned);
        let accepting = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                accepting.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    // Read and ignore until the client hangs up.
                    while matches!(socket.read(&mut buffer).await, Ok(n) if n > 0) {}
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                });
            }
        });
        Self {
            addr,
            accepted,
            abandoned,
        }
    }
}

/// `article.published` for `article_id` revision `revision` in `category`.
pub fn published(
    article_id: &str,
    revision: u64,
    category: &str,
    title: &str,
) -> Envelope<Published> {
    let published_at: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2022-06-23T15:04:00+07:00").unwrap();
    Envelope::new(
        EventType::Published,
        event_id(article_id, revision, EventType::Published),
        "/gazette/publish",
        article_id,
        None,
        Published {
            article_id: article_id.to_owned(),
            revision,
            title: title.to_owned(),
            category: Category {
                slug: category.to_owned(),
                name: "Tin tức - Sự kiện".to_owned(),
            },
            key: format!("{category}/{article_id}.html"),
            url: format!("https://ninhkieu.example.vn/{category}/{article_id}.html"),
            sha256: "0".repeat(64),
            published_at,
        },
    )
}

/// Publishes events to the namespace's public exchange, confirmed.
pub async fn publish(settings: &BrokerSettings, events: &[&Envelope<Published>]) {
    let publisher = Publisher::connect(settings, "test").await.expect("connect");
    for event in events {
        let message = encode_event(EventType::Published, event).expect("encode");
        publisher.publish(&message).await.expect("published");
    }
    publisher.close().await;
}

/// `gazette subscribers ARGS` in `env`; its stdout, or a panic with its stderr.
pub fn subscribers(env: &[(String, String)], args: &[&str]) -> String {
    let mut all = vec!["subscribers"];
    all.extend_from_slice(args);
    let (ok, stdout, stderr) = super::workers::run(&all, env);
    assert!(ok, "gazette subscribers {args:?} failed: {stderr}");
    stdout
}

/// Adds a webhook with the CLI: (subscription id, secret).
pub fn add_webhook(
    env: &[(String, String)],
    url: &str,
    categories: &[&str],
) -> (String, gazette_webhooks::Secret) {
    let mut args = vec!["add", "--json", "--webhook", url];
    for category in categories {
        args.extend(["--category", category]);
    }
    let out = subscribers(env, &args);
    let described: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    let secret = described["secret"]
        .as_str()
        .expect("a new webhook's secret");
    (
        described["id"].as_str().unwrap().to_owned(),
        gazette_webhooks::Secret::parse(secret).expect("a whsec_ secret"),
    )
}
