//! The view counter ("Lượt xem") behind the subscription API: a beacon records a reader's visit, a GET gives the count, and counts reach the registry in batches.
//!
//! | method | path | answer |
//! |---|---|---|
//! | POST | `/views/{article_id}` | 204; counted unless it is a bot, a prefetch, or the same reader within [`DEDUPE_WINDOW`]; 429 past the client's rate |
//! | GET | `/views/{article_id}` | `{"article_id", "views"}`, cacheable for [`COUNT_MAX_AGE`] |
//!
//! Pages stay static: the theme's deferred `views.js` sends the beacon and
//! fills in the count, and a page with scripts blocked reads the same
//! without it.
//!
//! Choices, each for a reason:
//! - **Who a reader is**: a keyed hash of the peer address, the user agent
//!   and the article, kept in memory for the window and never stored or
//!   logged, so no cookie and no personal data. Behind a proxy or CDN the
//!   peer is the proxy; put the API where the reader's address arrives.
//!   Several API replicas each keep their own window.
//! - **Bots** are known by their user agent (and an empty one); prefetches
//!   and prerenders by `Sec-Purpose`/`Purpose`/`X-Moz`. Neither counts.
//! - **Batches**: views add up in memory and reach the database every
//!   [`FLUSH_EVERY`] in one transaction, and once more at shutdown, so a
//!   burst of readers costs a handful of statements, not one per view.
//!   Only live articles count (the registry checks).
//! - **Rate**: each client address gets [`RATE_PER_SECOND`] beacons a
//!   second with bursts of [`BURST`]; beyond that 429.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gazette_subscribers::Registry;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// A reader's visits to one article within this long count once.
pub const DEDUPE_WINDOW: Duration = Duration::from_secs(30 * 60);
/// How often counted views reach the database.
pub const FLUSH_EVERY: Duration = Duration::from_secs(2);
/// How long a browser or CDN may keep a count.
pub const COUNT_MAX_AGE: u32 = 30;
pub const RATE_PER_SECOND: f64 = 2.0;
pub const BURST: f64 = 20.0;
/// Readers remembered for dedupe and clients for the rate, at most: past
/// it the oldest half is forgotten, so memory stays bounded under a flood.
const REMEMBERED: usize = 1_000_000;

/// User agents that are not readers (lower case, matched anywhere).
const BOTS: [&str; 14] = [
    "bot",
    "crawl",
    "spider",
    "slurp",
    "facebookexternalhit",
    "headless",
    "preview",
    "lighthouse",
    "curl",
    "wget",
    "python-",
    "httpclient",
    "okhttp",
    "go-http-client",
];

#[derive(Debug)]
pub struct Views {
    registry: Registry,
    keys: RandomState,
    /// Views counted since the last flush, per article.
    pending: Mutex<HashMap<String, u64>>,
    /// When each (reader, article) was last counted.
    seen: Mutex<HashMap<u64, Instant>>,
    /// Each client's token bucket: tokens left, when last filled.
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    /// Held by a flush while its views are neither pending nor stored, so
    /// that a count never reads the database before the flush commits and
    /// the pending views after it took them (and answers 0 for a view it
    /// has just accepted).
    flushing: tokio::sync::RwLock<()>,
}

/// What a beacon came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beacon {
    Counted,
    Repeat,
    Bot,
    Prefetch,
    TooFast,
    NotAnArticle,
}

impl Views {
    pub fn new(registry: Registry) -> Arc<Self> {
        Arc::new(Self {
            registry,
            keys: RandomState::new(),
            pending: Mutex::default(),
            seen: Mutex::default(),
            buckets: Mutex::default(),
            flushing: tokio::sync::RwLock::new(()),
        })
    }

    /// Judges one beacon and counts it if it is a reader's first visit.
    pub fn record(&self, client: IpAddr, headers: &HeaderMap, article_id: &str) -> Beacon {
        if !is_article_id(article_id) {
            return Beacon::NotAnArticle;
        }
        if !self.allow(client, Instant::now()) {
            return Beacon::TooFast;
        }
        let agent = text(headers, header::USER_AGENT).to_ascii_lowercase();
        if agent.trim().is_empty() || BOTS.iter().any(|bot| agent.contains(bot)) {
            return Beacon::Bot;
        }
        if is_prefetch(headers) {
            return Beacon::Prefetch;
        }
        let reader = self.keys.hash_one((client, agent.as_str(), article_id));
        let now = Instant::now();
        {
            let mut seen = lock(&self.seen);
            if seen
                .get(&reader)
                .is_some_and(|at| now.duration_since(*at) < DEDUPE_WINDOW)
            {
                return Beacon::Repeat;
            }
            if seen.len() >= REMEMBERED {
                seen.retain(|_, at| now.duration_since(*at) < DEDUPE_WINDOW);
                forget_oldest_half(&mut seen, |at| *at);
            }
            seen.insert(reader, now);
        }
        *lock(&self.pending)
            .entry(article_id.to_owned())
            .or_default() += 1;
        Beacon::Counted
    }

    /// A token from `client`'s bucket, if it has one.
    fn allow(&self, client: IpAddr, now: Instant) -> bool {
        let mut buckets = lock(&self.buckets);
        if buckets.len() >= REMEMBERED && !buckets.contains_key(&client) {
            forget_oldest_half(&mut buckets, |(_, at)| *at);
        }
        let (tokens, filled) = buckets.entry(client).or_insert((BURST, now));
        let refill = now.duration_since(*filled).as_secs_f64() * RATE_PER_SECOND;
        *tokens = (*tokens + refill).min(BURST);
        *filled = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The stored count plus what this process has not flushed yet.
    pub async fn count(&self, article_id: &str) -> Result<u64, gazette_subscribers::DatabaseError> {
        let _consistent = self.flushing.read().await;
        let stored = self.registry.views(article_id).await?;
        let pending = lock(&self.pending).get(article_id).copied().unwrap_or(0);
        Ok(stored + pending)
    }

    /// Writes what was counted since the last flush; on failure keeps it
    /// for the next one.
    pub async fn flush(&self) -> Result<(), gazette_subscribers::DatabaseError> {
        let _flushing = self.flushing.write().await;
        let batch: Vec<(String, u64)> = std::mem::take(&mut *lock(&self.pending))
            .into_iter()
            .collect();
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.registry.add_views(&batch).await {
            let mut pending = lock(&self.pending);
            for (article_id, views) in batch {
                *pending.entry(article_id).or_default() += views;
            }
            return Err(e);
        }
        Ok(())
    }

    /// Flushes every [`FLUSH_EVERY`] until `shutdown`, then once more.
    pub async fn run_flusher(self: Arc<Self>, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let stopping = tokio::select! {
                () = shutdown.cancelled() => true,
                _ = tick.tick() => false,
            };
            if let Err(e) = self.flush().await {
                warn!(error = %e, "views could not be written; they are kept for the next try");
            }
            if stopping {
                return;
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these leaves plain counts behind: usable.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn forget_oldest_half<K: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    at: impl Fn(&V) -> Instant,
) {
    let mut times: Vec<Instant> = map.values().map(&at).collect();
    times.sort_unstable();
    if let Some(cut) = times.get(times.len() / 2).copied() {
        map.retain(|_, value| at(value) > cut);
    }
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// Chromium's `Sec-Purpose: prefetch` (and `prefetch;prerender`), the
/// older `Purpose: prefetch`, Firefox's `X-Moz: prefetch`.
fn is_prefetch(headers: &HeaderMap) -> bool {
    ["sec-purpose", "purpose", "x-purpose", "x-moz"]
        .iter()
        .filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .any(|value| {
            let value = value.to_ascii_lowercase();
            value.contains("prefetch") || value.contains("prerender") || value.contains("preview")
        })
}

/// The article schema's ids: `^[a-z0-9][a-z0-9._-]*$`, at most 128.
fn is_article_id(id: &str) -> bool {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    id.len() <= 128
        && id.starts_with(allowed)
        && id
            .chars()
            .all(|c| allowed(c) || matches!(c, '.' | '_' | '-'))
}

pub fn router(views: Arc<Views>) -> Router {
    Router::new()
        .route("/views/{article_id}", get(count).post(beacon))
        .with_state(views)
}

fn cors(mut response: Response) -> Response {
    // Pages live on the site's host, the API on its own: the count is
    // public, so any page may read it.
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

async fn beacon(
    State(views): State<Arc<Views>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(article_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let status = match views.record(peer.ip(), &headers, &article_id) {
        Beacon::TooFast => StatusCode::TOO_MANY_REQUESTS,
        Beacon::NotAnArticle => StatusCode::NOT_FOUND,
        // A bot or a repeat is told nothing it could learn from.
        Beacon::Counted | Beacon::Repeat | Beacon::Bot | Beacon::Prefetch => StatusCode::NO_CONTENT,
    };
    cors(status.into_response())
}

async fn count(State(views): State<Arc<Views>>, Path(article_id): Path<String>) -> Response {
    if !is_article_id(&article_id) {
        return cors(StatusCode::NOT_FOUND.into_response());
    }
    match views.count(&article_id).await {
        Ok(n) => {
            let mut response =
                axum::Json(json!({"article_id": article_id, "views": n})).into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_str(&format!("public, max-age={COUNT_MAX_AGE}"))
                    .unwrap_or(HeaderValue::from_static("no-store")),
            );
            cors(response)
        }
        Err(e) => {
            warn!(error = %e, "a view count could not be read");
            cors(StatusCode::SERVICE_UNAVAILABLE.into_response())
        }
    }
}
