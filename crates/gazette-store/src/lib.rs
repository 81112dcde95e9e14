//! Gazette's only door to object storage: an S3 bucket through aws-sdk-s3, or a local directory.
//!
//! Both backends store the same keys with the same metadata, so a site
//! previewed from a directory is the site that would be uploaded.

mod error;
mod file;
mod s3;
mod s3_put;

use std::collections::BTreeMap;

pub use error::{StoreError, StoreUrlError};
use file::FileStore;
pub use s3::S3Access;
use s3::S3Store;

/// What must hold for a write to go ahead: compare-and-swap on the
/// object's ETag, so that two writers racing on one key cannot both win.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Write whatever is there.
    None,
    /// Only if there is no object under the key yet.
    Absent,
    /// Only if the object still has this ETag (as returned by [`Store::head`]).
    Unchanged(String),
}

/// One object to write.
#[derive(Debug, Clone)]
pub struct PutObject {
    pub key: String,
    /// Cheap to clone, so a conditional write can be retried without copying the page.
    pub body: bytes::Bytes,
    pub content_type: &'static str,
    pub cache_control: &'static str,
    /// User metadata (`x-amz-meta-*` on S3). Keys lower-case ASCII.
    pub metadata: BTreeMap<String, String>,
    pub precondition: Precondition,
}

/// What a store knows about an object without reading its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    pub metadata: BTreeMap<String, String>,
    pub etag: Option<String>,
    /// Where a redirect object sends readers (see [`Store::put_redirect`]).
    pub redirect: Option<String>,
    /// The stored `Content-Type` and `Cache-Control`, where the store keeps them.
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
}

/// How long browsers and caches may keep a redirect: moves are permanent,
/// but a withdrawal removes the redirect, so not for a year.
pub const REDIRECT_CACHE_CONTROL: &str = "public, max-age=3600";

/// Where the pipeline keeps pages and article JSON.
#[derive(Debug, Clone)]
pub enum Store {
    S3(S3Store),
    File(FileStore),
}

impl Store {
    /// Opens `s3://BUCKET` (configured from the standard `AWS_*` variables)
    /// or `file:///DIR`. Does not touch the network; see [`Store::check`].
    pub async fn open(url: &str) -> Result<Self, StoreUrlError> {
        Self::open_with(url, None).await
    }

    /// Like [`Store::open`], with S3 connection details given explicitly
    /// instead of read from `AWS_*` variables.
    pub async fn open_with(url: &str, access: Option<&S3Access>) -> Result<Self, StoreUrlError> {
        let parsed = url::Url::parse(url).map_err(|_| StoreUrlError::Malformed(url.to_owned()))?;
        match parsed.scheme() {
            "s3" => {
                let bucket = parsed.host_str().unwrap_or_default();
                if bucket.is_empty() || !matches!(parsed.path(), "" | "/") {
                    return Err(StoreUrlError::Malformed(url.to_owned()));
                }
                Ok(Self::S3(S3Store::connect(bucket, access).await))
            }
            "file" => {
                let dir = parsed
                    .to_file_path()
                    .map_err(|()| StoreUrlError::Malformed(url.to_owned()))?;
                Ok(Self::File(FileStore::new(dir)))
            }
            other => Err(StoreUrlError::UnknownScheme(other.to_owned())),
        }
    }

    /// Proves the store is reachable and the bucket or directory usable.
    pub async fn check(&self) -> Result<(), StoreError> {
        match self {
            Self::S3(s) => timed("head_bucket", Box::pin(s.check())).await,
            Self::File(f) => f.check().await,
        }
    }

    /// Like [`Store::check`], but changes nothing: `Ok(false)` when a
    /// directory store's folder does not exist yet (the first write
    /// creates it), for `gazette config check`.
    pub async fn probe(&self) -> Result<bool, StoreError> {
        match self {
            Self::S3(s) => timed("head_bucket", Box::pin(s.check()))
                .await
                .map(|()| true),
            Self::File(f) => f.exists().await,
        }
    }

    pub async fn put(&self, object: PutObject) -> Result<(), StoreError> {
        check_key(&object.key)?;
        match self {
            Self::S3(s) => timed("put", Box::pin(s.put(object))).await,
            Self::File(f) => f.put(object).await,
        }
    }

    /// A permanent redirect at `key` to `location` (`/<key>` or an absolute
    /// URL): on S3 a zero-byte object with `x-amz-website-redirect-location`,
    /// which a website endpoint (Garage 1.1+, AWS) answers with 301; in a
    /// directory, an empty file whose sidecar metadata holds the location,
    /// which `gazette up --serve` answers with 301.
    pub async fn put_redirect(&self, key: &str, location: &str) -> Result<(), StoreError> {
        check_key(key)?;
        match self {
            Self::S3(s) => timed("put", Box::pin(s.put_redirect(key, location))).await,
            Self::File(f) => f.put_redirect(key, location).await,
        }
    }

    /// `None` when there is no object under `key`.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectHead>, StoreError> {
        check_key(key)?;
        match self {
            Self::S3(s) => timed("head", Box::pin(s.head(key))).await,
            Self::File(f) => f.head(key).await,
        }
    }

    /// `None` when there is no object under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        check_key(key)?;
        match self {
            Self::S3(s) => timed("get", Box::pin(s.get(key))).await,
            Self::File(f) => f.get(key).await,
        }
    }

    /// Removes the object under `key`; succeeds when there was none.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        check_key(key)?;
        match self {
            Self::S3(s) => timed("delete", Box::pin(s.delete(key))).await,
            Self::File(f) => f.delete(key).await,
        }
    }

    /// Every key under `prefix` (`""` for all), in no particular order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        match self {
            Self::S3(s) => timed("list", Box::pin(s.list(prefix))).await,
            Self::File(f) => f.list(prefix).await,
        }
    }

    /// Where `key` can be fetched from, when no public site URL is configured:
    /// the S3 endpoint's path-style URL, or a `file://` URL.
    pub fn locator(&self, key: &str) -> String {
        match self {
            Self::S3(s) => s.locator(key),
            Self::File(f) => f.locator(key),
        }
    }

    /// `s3://bucket` or `file:///dir`, for logs and messages.
    pub fn describe(&self) -> String {
        match self {
            Self::S3(s) => s.describe(),
            Self::File(f) => f.describe(),
        }
    }
}

/// Runs one S3 request, recording its duration and whether it failed, for
/// `gazette_s3_request_duration_seconds` and `gazette_s3_request_errors_total`.
async fn timed<T>(
    operation: &'static str,
    request: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = std::time::Instant::now();
    let result = request.await;
    metrics::histogram!("gazette_s3_request_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
    if result.is_err() {
        metrics::counter!("gazette_s3_request_errors_total", "operation" => operation).increment(1);
    }
    result
}

/// Keys are relative, `/`-separated, and never climb out of their root: the
/// file backend maps them onto a directory.
fn check_key(key: &str) -> Result<(), StoreError> {
    let bad = key.is_empty()
        || key.len() > 1024
        || key.starts_with('/')
        || key
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        || key.contains('\\')
        || key.chars().any(char::is_control);
    if bad {
        Err(StoreError::InvalidKey(key.to_owned()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check_key;

    #[test]
    fn keys_cannot_escape_the_root() {
        assert!(check_key("tin-tuc/hoi-nghi.html").is_ok());
        for bad in ["", "/abs", "a/../b", "a//b", "..", "a\\b", "a\nb"] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
    }
}
