//! The directory backend: the embedded default, so the pipeline runs on a machine with no S3 server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{ObjectHead, PutObject, StoreError};

/// Metadata lives beside the tree, not in it, so the directory can be
/// served as a website as it is.
const META_DIR: &str = ".gazette-meta";

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub(crate) async fn check(&self) -> Result<(), StoreError> {
        tokio::fs::create_dir_all(&self.root)
            .await
            .map_err(|source| self.io("create directory", "", source))
    }

    pub(crate) async fn put(&self, object: PutObject) -> Result<(), StoreError> {
        let path = self.root.join(&object.key);
        let meta_path = self.meta_path(&object.key);
        let mut meta = object.metadata;
        meta.insert("content-type".to_owned(), object.content_type.to_owned());
        meta.insert("cache-control".to_owned(), object.cache_control.to_owned());
        let meta_json = serde_json::to_vec(&meta)
            .map_err(|e| self.io("encode metadata of", &object.key, std::io::Error::other(e)))?;
        // Body first, metadata last: a crash in between leaves metadata that
        // describes the previous body, which the next (redelivered) write repairs.
        write_atomically(&path, &object.body)
            .await
            .map_err(|source| self.io("write", &object.key, source))?;
        write_atomically(&meta_path, &meta_json)
            .await
            .map_err(|source| self.io("write metadata of", &object.key, source))
    }

    pub(crate) async fn head(&self, key: &str) -> Result<Option<ObjectHead>, StoreError> {
        if !tokio::fs::try_exists(self.root.join(key))
            .await
            .map_err(|source| self.io("stat", key, source))?
        {
            return Ok(None);
        }
        let metadata = match tokio::fs::read(self.meta_path(key)).await {
            Ok(bytes) => {
                serde_json::from_slice::<BTreeMap<String, String>>(&bytes).unwrap_or_default()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => return Err(self.io("read metadata of", key, source)),
        };
        Ok(Some(ObjectHead { metadata }))
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match tokio::fs::read(self.root.join(key)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(self.io("read", key, source)),
        }
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

/// Tells apart the temporary files of concurrent writes of one key in one process.
static TEMP_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Readers of the directory (a web server, a rebuild) never see half a file.
async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = path
        .parent()
        .ok_or_else(|| std::io::Error::other("key has no parent"))?;
    tokio::fs::create_dir_all(parent).await?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sequence = TEMP_SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let temp = parent.join(format!(
        ".{file_name}.{}-{sequence}.tmp",
        std::process::id()
    ));
    tokio::fs::write(&temp, bytes).await?;
    tokio::fs::rename(&temp, path).await
}
