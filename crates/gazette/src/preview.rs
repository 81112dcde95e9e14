//! `gazette up --serve ADDR`: the public site store served over HTTP, as a bucket's website endpoint would, so an editor sees the site as readers will.
//!
//! Read-only and for previews. It serves the public store only (the archive
//! is another store and never reachable from here), never a dot-file (the
//! directory store's sidecar metadata lives under `.gazette-meta/`), and a
//! request cannot leave the store: `Store` refuses keys with `..`, empty
//! segments or control characters, and the directory store refuses paths
//! that resolve outside its root through a symlink. Like a website
//! endpoint, `/` and paths ending in `/` mean their `index.html`, `/cat`
//! is redirected to `/cat/` when that is a folder, redirect objects answer
//! 301, a missing page answers 404 with the theme's `404.html`, and the
//! stored Content-Type, Cache-Control and ETag go out with conditional GET.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use gazette_store::{ObjectHead, Store, StoreError};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Binds `addr` (a busy address is reported at once) and serves `store`
/// until `shutdown`. The returned task ends with the server's own error,
/// which the caller must not drop.
pub async fn serve(
    addr: SocketAddr,
    store: Store,
    shutdown: CancellationToken,
) -> Result<tokio::task::JoinHandle<Result<()>>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("--serve {addr} cannot be bound; choose a free address"))?;
    let app = Router::new().fallback(page).with_state(Arc::new(store));
    info!(%addr, "previewing the site at http://{addr}/");
    Ok(tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .context("the preview server stopped")
    }))
}

async fn page(State(store): State<Arc<Store>>, uri: Uri, request: HeaderMap) -> Response {
    match answer(&store, uri.path(), &request).await {
        Ok(response) => response,
        Err(e) => {
            // The detail (a file path, a bucket) is for the operator's log, not the reader.
            warn!(path = uri.path(), error = %e, "preview: the store failed");
            (StatusCode::BAD_GATEWAY, "the site's store did not answer\n").into_response()
        }
    }
}

async fn answer(store: &Store, path: &str, request: &HeaderMap) -> Result<Response, StoreError> {
    let Some(key) = key_for(path) else {
        return not_found(store).await;
    };
    let head = match store.head(&key).await {
        Ok(head) => head,
        Err(StoreError::InvalidKey(_)) => return not_found(store).await,
        Err(e) => return Err(e),
    };
    let Some(head) = head else {
        // `/cat` names the folder `/cat/` when it has an index, as on S3 websites.
        let folder_index = format!("{key}/index.html");
        if !key.ends_with(".html") && matches!(store.head(&folder_index).await, Ok(Some(_))) {
            return Ok(redirect(&format!("/{key}/")));
        }
        return not_found(store).await;
    };
    if let Some(location) = &head.redirect {
        return Ok(redirect(location));
    }
    let etag = head.etag.as_deref().map(quoted);
    if let (Some(current), Some(asked)) = (&etag, request.get(header::IF_NONE_MATCH))
        && asked.to_str().is_ok_and(|asked| {
            asked
                .split(',')
                .any(|tag| tag.trim() == current || tag.trim() == "*")
        })
    {
        return Ok(with_headers(
            StatusCode::NOT_MODIFIED,
            &key,
            &head,
            Some(current),
            Vec::new(),
        ));
    }
    match store.get(&key).await {
        Ok(Some(body)) => Ok(with_headers(
            StatusCode::OK,
            &key,
            &head,
            etag.as_deref(),
            body,
        )),
        Ok(None) | Err(StoreError::InvalidKey(_)) => not_found(store).await,
        Err(e) => Err(e),
    }
}

/// The store key a URL path names: percent-decoded, `index.html` for
/// folders, and nothing under a dot-name (sidecar metadata, temporary files).
fn key_for(path: &str) -> Option<String> {
    let decoded = percent_decode(path.trim_start_matches('/'))?;
    if decoded.split('/').any(|segment| segment.starts_with('.')) {
        return None;
    }
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

/// The stored type when the store kept one, else one guessed from the name.
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

fn quoted(etag: &str) -> String {
    if etag.starts_with('"') || etag.starts_with("W/") {
        etag.to_owned()
    } else {
        format!("\"{etag}\"")
    }
}

fn with_headers(
    status: StatusCode,
    key: &str,
    head: &ObjectHead,
    etag: Option<&str>,
    body: Vec<u8>,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    let stored_type = head.content_type.as_deref().unwrap_or(content_type(key));
    for (name, value) in [
        (header::CONTENT_TYPE, Some(stored_type)),
        (header::CACHE_CONTROL, head.cache_control.as_deref()),
        (header::ETAG, etag),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
    response
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "").into_response(),
    }
}

/// 404 with the theme's `404.html` from the store, as the website endpoint
/// is configured to answer; a plain page when the site has none yet.
async fn not_found(store: &Store) -> Result<Response, StoreError> {
    let body = match store.get("404.html").await? {
        Some(body) => body,
        None => "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Không tìm thấy trang</title></head><body><main><h1>Không tìm thấy trang</h1></main></body></html>".as_bytes().to_vec(),
    };
    Ok((
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response())
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

    #[test]
    fn dot_names_are_never_served() {
        for hidden in [
            "/.gazette-meta/index.html.json",
            "/tin-tuc/.gazette-meta/a.json",
            "/%2Egazette-meta/index.html.json",
            "/tin-tuc/.a.html.1-2.tmp",
        ] {
            assert_eq!(key_for(hidden), None, "{hidden}");
        }
    }

    #[test]
    fn etags_go_out_quoted_once() {
        assert_eq!(quoted("abc"), "\"abc\"");
        assert_eq!(quoted("\"abc\""), "\"abc\"");
    }
}
