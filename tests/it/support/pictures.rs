//! The loopback image server the media tests fetch from: pictures made by `gazette_media::samples`, served on 127.0.0.2 with the wrong Content-Type on purpose, a redirect to 127.0.0.1, a server down at first, and a count of what was asked.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gazette_media::samples::{jpeg, jpeg_with_exif, photo, png_bomb, png_with_alpha};
use serde_json::{Value, json};

use super::cms;

/// What the image server answers, by path, and how often each was asked.
#[derive(Clone)]
pub struct Pictures {
    files: Arc<BTreeMap<&'static str, (&'static str, Vec<u8>)>>,
    pub asked: Arc<Mutex<BTreeMap<String, usize>>>,
    /// Where `/redirect-to-loopback` sends the fetcher.
    loopback: SocketAddr,
}

async fn serve_picture(State(pictures): State<Pictures>, Path(name): Path<String>) -> Response {
    let asked = {
        let mut asked = pictures.asked.lock().unwrap();
        let count = asked.entry(name.clone()).or_default();
        *count += 1;
        *count
    };
    // Down the first time it is asked: a transient failure, retried.
    if name == "flaky.jpg" && asked == 1 {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if name == "redirect-to-loopback.jpg" {
        let target = format!("http://{}/pictures/exif.jpg", pictures.loopback);
        return (StatusCode::FOUND, [(header::LOCATION, target)]).into_response();
    }
    match pictures.files.get(name.as_str()) {
        Some((content_type, bytes)) => {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
            (headers, bytes.clone()).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves the pictures on 127.0.0.2, the one address the media stage is
/// allowed; 127.0.0.1, where the redirect points, stays forbidden.
pub async fn image_server() -> (SocketAddr, Pictures) {
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>"#;
    let whole = jpeg(&photo(900, 600, 11), 90);
    let files: BTreeMap<&'static str, (&'static str, Vec<u8>)> = [
        ("flaky.jpg", ("image/jpeg", jpeg(&photo(700, 500, 3), 85))),
        // Stored 1600×1000, orientation 6: upright it is 1000×1600.
        (
            "exif.jpg",
            ("image/jpeg", jpeg_with_exif(&photo(1600, 1000, 1), 90)),
        ),
        // The server's type is wrong on purpose: the bytes decide.
        (
            "alpha.png",
            ("application/octet-stream", png_with_alpha(800, 600)),
        ),
        ("large.jpg", ("image/jpeg", jpeg(&photo(4000, 3000, 2), 88))),
        ("bomb.png", ("image/png", png_bomb(60_000, 60_000))),
        (
            "truncated.jpg",
            ("image/jpeg", whole[..whole.len() / 2].to_vec()),
        ),
        (
            "page.jpg",
            (
                "image/jpeg",
                "<!DOCTYPE html><html><body>Trang không tồn tại</body></html>"
                    .as_bytes()
                    .to_vec(),
            ),
        ),
        ("script.svg", ("image/svg+xml", svg.to_vec())),
    ]
    .into_iter()
    .collect();
    let loopback = SocketAddr::from(([127, 0, 0, 1], addr.port()));
    let pictures = Pictures {
        files: Arc::new(files),
        asked: Arc::default(),
        loopback,
    };
    let app = Router::new()
        .route("/pictures/{name}", axum::routing::get(serve_picture))
        .with_state(pictures.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, pictures)
}

pub fn with_cover(id: &str, title: &str, cover: &str, body: &str) -> Value {
    let mut article = cms::article(id, 1, title);
    article["cover_image"] = json!({
        "src": cover, "alt": "Toàn cảnh hội nghị", "caption": "Hội nghị lần thứ 14.",
        "credit": "Ảnh: Thanh Hải", "focal_point": {"x": 0.5, "y": 0.2}
    });
    article["body"] = json!({"format": "markdown", "content": body});
    article
}
