//! `gazette up --serve ADDR`: the store served over HTTP, so an editor sees the site as readers will, without a web server or a bucket website.
//!
//! Read-only and for previews: every request is one `Store::get`, which
//! refuses keys with `..`, empty or control characters, so a request cannot
//! leave the store. `/` and paths ending in `/` mean their `index.html`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use gazette_store::{Store, StoreError};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Starts serving `store` on `addr` until `shutdown`.
pub async fn serve(addr: SocketAddr, store: Store, shutdown: CancellationToken) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("--serve {addr} cannot be bound; choose a free address"))?;
    let app = Router::new().fallback(page).with_state(Arc::new(store));
    info!(%addr, "previewing the site at http://{addr}/");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
    });
    Ok(())
}

async fn page(State(store): State<Arc<Store>>, uri: Uri) -> Response {
    let Some(key) = key_for(uri.path()) else {
        return not_found();
    };
    match store.get(&key).await {
        Ok(Some(body)) => ([(header::CONTENT_TYPE, content_type(&key))], body).into_response(),
        Ok(None) => not_found(),
        // A key the store refuses (`..`, control characters) is simply not there.
        Err(StoreError::InvalidKey(_)) => not_found(),
        Err(e) => {
            warn!(%key, error = %e, "preview: the store failed");
            (StatusCode::BAD_GATEWAY, format!("the store failed: {e}\n")).into_response()
        }
    }
}

/// The store key a URL path names: percent-decoded, `index.html` for folders.
fn key_for(path: &str) -> Option<String> {
    let decoded = percent_decode(path.trim_start_matches('/'))?;
    if decoded.is_empty() || decoded.ends_with('/') {
        Some(format!("{decoded}index.html"))
    } else {
        Some(decoded)
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(key: &str) -> &'static str {
    match key.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Không tìm thấy trang</title></head><body><main><h1>Không tìm thấy trang</h1></main></body></html>",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_keys_and_folders_name_their_index() {
        assert_eq!(key_for("/").as_deref(), Some("index.html"));
        assert_eq!(key_for("/tin-tuc/").as_deref(), Some("tin-tuc/index.html"));
        assert_eq!(
            key_for("/tin-tuc/h%E1%BB%99i-ngh%E1%BB%8B.html").as_deref(),
            Some("tin-tuc/hội-nghị.html")
        );
        assert_eq!(key_for("/bad%zz"), None);
        assert_eq!(content_type("a/b.html"), "text/html; charset=utf-8");
    }
}
