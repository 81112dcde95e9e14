//! The directory backend: the embedded default, so the pipeline runs on a machine with no S3 server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use crate::{ObjectHead, Precondition, PutObject, StoreError};

/// Metadata lives beside the tree, not in it, so the directory can be
/// served as a website as it is.
const META_DIR: &str = ".gazette-meta";

/// The metadata entry that plays the ETag: a version token that changes
/// with every write. Not a hash of the body: compare-and-swap needs only
/// "changed since you looked", and hashing every page cost a quarter of the
/// hot path's instructions (docs/performance.md).
const ETAG: &str = "etag";
/// The sidecar entries that are the object's properties, not user metadata.
const CONTENT_TYPE: &str = "content-type";
const CACHE_CONTROL: &str = "cache-control";
/// Where a redirect object sends readers; S3 calls it the website redirect location.
const REDIRECT: &str = "website-redirect-location";

/// Keys hash onto this many write locks: writes of one key are serialised,
/// writes of different keys mostly run side by side (a rebuild writes
/// tens of thousands).
const WRITE_LOCKS: usize = 64;

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
    /// Make check-then-write atomic for conditional puts, and keep a body
    /// and its metadata together. They only cover this process: the
    /// directory store is for one machine's preview, development and
    /// rebuilds; several writers on shared storage want S3.
    writes: Arc<[Mutex<()>; WRITE_LOCKS]>,
}

impl FileStore {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self {
            root,
            writes: Arc::new(std::array::from_fn(|_| Mutex::new(()))),
        }
    }

    fn lock_for(&self, key: &str) -> &Mutex<()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(key);
        &self.writes[usize::try_from(hash % WRITE_LOCKS as u64).unwrap_or(0)]
    }

    pub(crate) async fn exists(&self) -> Result<bool, StoreError> {
        match tokio::fs::metadata(&self.root).await {
            Ok(found) if found.is_dir() => Ok(true),
            Ok(_) => Err(self.io(
                "use as a directory",
                "",
                std::io::Error::other("it is a file"),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(self.io("stat", "", source)),
        }
    }

    pub(crate) async fn check(&self) -> Result<(), StoreError> {
        tokio::fs::create_dir_all(&self.root)
            .await
            .map_err(|source| self.io("create directory", "", source))
    }

    pub(crate) async fn put(&self, object: PutObject) -> Result<(), StoreError> {
        let _exclusive = self.lock_for(&object.key).lock().await;
        let allowed = match &object.precondition {
            Precondition::None => true,
            Precondition::Absent => self.head(&object.key).await?.is_none(),
            Precondition::Unchanged(etag) => {
                self.head(&object.key)
                    .await?
                    .and_then(|head| head.etag)
                    .as_ref()
                    == Some(etag)
            }
        };
        if !allowed {
            return Err(StoreError::Conflict {
                target: self.root.join(&object.key).display().to_string(),
            });
        }
        let path = self.root.join(&object.key);
        let meta_path = self.meta_path(&object.key);
        let mut meta = object.metadata;
        meta.insert(ETAG.to_owned(), new_version());
        meta.insert(CONTENT_TYPE.to_owned(), object.content_type.to_owned());
        meta.insert(CACHE_CONTROL.to_owned(), object.cache_control.to_owned());
        let meta_json = serde_json::to_vec(&meta)
            .map_err(|e| self.io("encode metadata of", &object.key, std::io::Error::other(e)))?;
        // Body first, metadata last: a crash in between leaves metadata that
        // describes the previous body, which the next (redelivered) write
        // repairs. Both in one trip to the blocking pool, not one per call.
        let body = object.body;
        let written = tokio::task::spawn_blocking(move || {
            write_atomically(&path, &body).map_err(|e| ("write", e))?;
            write_atomically(&meta_path, &meta_json).map_err(|e| ("write metadata of", e))
        })
        .await
        .map_err(|e| ("write", std::io::Error::other(e)))
        .and_then(|r| r);
        written.map_err(|(operation, source)| self.io(operation, &object.key, source))
    }

    /// Whether `key` is a file inside the root once symlinks are followed.
    /// A link planted in the served directory must not publish `/etc`.
    async fn inside_root(&self, key: &str) -> Result<bool, StoreError> {
        let resolved = match tokio::fs::canonicalize(self.root.join(key)).await {
            Ok(resolved) => resolved,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(source) => return Err(self.io("resolve", key, source)),
        };
        let root = tokio::fs::canonicalize(&self.root)
            .await
            .map_err(|source| self.io("resolve", "", source))?;
        if !resolved.starts_with(&root) {
            return Ok(false);
        }
        Ok(tokio::fs::metadata(&resolved)
            .await
            .is_ok_and(|found| found.is_file()))
    }

    pub(crate) async fn head(&self, key: &str) -> Result<Option<ObjectHead>, StoreError> {
        if !self.inside_root(key).await? {
            return Ok(None);
        }
        let mut metadata = match tokio::fs::read(self.meta_path(key)).await {
            Ok(bytes) => {
                serde_json::from_slice::<BTreeMap<String, String>>(&bytes).unwrap_or_default()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => return Err(self.io("read metadata of", key, source)),
        };
        let etag = metadata.remove(ETAG);
        Ok(Some(ObjectHead {
            etag,
            redirect: metadata.remove(REDIRECT),
            content_type: metadata.remove(CONTENT_TYPE),
            cache_control: metadata.remove(CACHE_CONTROL),
            metadata,
        }))
    }

    pub(crate) async fn put_redirect(&self, key: &str, location: &str) -> Result<(), StoreError> {
        self.put(PutObject {
            key: key.to_owned(),
            body: bytes::Bytes::new(),
            content_type: "text/html; charset=utf-8",
            cache_control: crate::REDIRECT_CACHE_CONTROL,
            metadata: BTreeMap::from([(REDIRECT.to_owned(), location.to_owned())]),
            precondition: Precondition::None,
        })
        .await
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if !self.inside_root(key).await? {
            return Ok(None);
        }
        match tokio::fs::read(self.root.join(key)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(self.io("read", key, source)),
        }
    }

    /// Like S3, deleting what is not there succeeds.
    pub(crate) async fn delete(&self, key: &str) -> Result<(), StoreError> {
        for path in [self.root.join(key), self.meta_path(key)] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(self.io("delete", key, source)),
            }
        }
        Ok(())
    }

    pub(crate) async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        // Only the folder the prefix names is walked, not the whole tree, and
        // in one trip to the blocking pool: a rebuild lists every article.
        let folder = prefix.rfind('/').map_or("", |cut| &prefix[..cut]);
        let (root, start, prefix) = (self.root.clone(), self.root.join(folder), prefix.to_owned());
        tokio::task::spawn_blocking(move || walk(&root, start, &prefix))
            .await
            .map_err(std::io::Error::other)
            .and_then(|walked| walked)
            .map_err(|source| self.io("list", "", source))
    }

    pub(crate) fn locator(&self, key: &str) -> String {
        url::Url::from_file_path(self.root.join(key))
            .map_or_else(|()| self.root.join(key).display().to_string(), String::from)
    }

    pub(crate) fn describe(&self) -> String {
        format!("file://{}", self.root.display())
    }

    fn meta_path(&self, key: &str) -> PathBuf {
        self.root.join(META_DIR).join(format!("{key}.json"))
    }

    fn io(&self, operation: &'static str, key: &str, source: std::io::Error) -> StoreError {
        StoreError::Io {
            operation,
            target: self.root.join(key).display().to_string(),
            source,
        }
    }
}

/// Keys under `start` (a folder inside `root`) that begin with `prefix`.
fn walk(root: &Path, start: PathBuf, prefix: &str) -> std::io::Result<Vec<String>> {
    let mut keys = Vec::new();
    let mut pending = vec![start];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name == META_DIR || name.ends_with(".tmp") {
                continue;
            }
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                let key = relative.to_string_lossy().into_owned();
                if key.starts_with(prefix) {
                    keys.push(key);
                }
            }
        }
    }
    Ok(keys)
}

/// Tells apart the temporary files of concurrent writes of one key in one process.
static TEMP_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Readers of the directory (a web server, a rebuild) never see half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = path
        .parent()
        .ok_or_else(|| std::io::Error::other("key has no parent"))?;
    std::fs::create_dir_all(parent)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sequence = TEMP_SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let temp = parent.join(format!(
        ".{file_name}.{}-{sequence}.tmp",
        std::process::id()
    ));
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, path)
}

/// Unique per write: the time, the process and a counter.
fn new_version() -> String {
    static VERSION: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{nanos:x}-{:x}-{:x}",
        std::process::id(),
        VERSION.fetch_add(1, Ordering::Relaxed)
    )
}
