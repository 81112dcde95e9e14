//! Revision order in the store: an article's page only ever shows its newest revision, whatever order messages arrive in.
//!
//! Three objects per revision:
//! - `articles/<id>/<revision>.json` and `.html`: immutable copies, written
//!   before anything else; the JSON is what rebuilds read;
//! - `<category>/<slug>.html`: the page readers see, the only object that is
//!   ever overwritten.
//!
//! The page is written with a compare-and-swap where the store honours
//! conditional requests (the directory store; AWS S3, MinIO, R2). Garage 2.5
//! ignores them, so that alone would leave a race between two workers
//! holding different revisions. Every writer of an older revision therefore
//! verifies after its write: if the page shows an older revision than the
//! newest copy stored, it restores the newest copy's page, until they agree.
//! Only an older revision can leave the page behind, and its writer always
//! runs that check after writing, so the page converges on the newest
//! revision; a crash before the check leaves the message unacked, and its
//! redelivery runs it. The writer of the newest revision has nothing to
//! repair and skips the check (one request fewer on the common path).

use std::collections::BTreeMap;

use bytes::Bytes;
use gazette_contract::ValidatedArticle;
use gazette_store::{Precondition, PutObject, Store, StoreError};
use tracing::info;

use crate::{PublishFailure, page_key};

const META_ARTICLE_ID: &str = "article-id";
const META_REVISION: &str = "revision";
const META_SHA256: &str = "sha256";
/// On a page: the revision of the same article it replaced, if any. Kept on
/// the page so a redelivery reaches the same published-or-updated verdict.
const META_REPLACES: &str = "replaces";
/// Pages are HTML in UTF-8, whoever writes them.
pub(crate) const PAGE_CONTENT_TYPE: &str = "text/html; charset=utf-8";
/// Revision copies never change once written.
const COPY_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// Conditional writes that lose a race re-read and decide again this often
/// before the message goes to the retry queues.
const ATTEMPTS: usize = 5;

/// The hex SHA-256 of `bytes`, as stored in `sha256` metadata and `article.published`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// The metadata every Gazette object carries.
pub(crate) fn revision_metadata(
    article_id: &str,
    revision: u64,
    sha256: &str,
) -> BTreeMap<String, String> {
    BTreeMap::from([
        (META_ARTICLE_ID.to_owned(), article_id.to_owned()),
        (META_REVISION.to_owned(), revision.to_string()),
        (META_SHA256.to_owned(), sha256.to_owned()),
    ])
}

/// Where revision `revision` of `article_id` keeps its immutable copy.
pub fn revision_key(article_id: &str, revision: u64, extension: &str) -> String {
    format!("articles/{article_id}/{revision}.{extension}")
}

/// What writing a page replaced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PageWrite {
    /// The earlier revision of this article that was live, if any.
    pub(crate) replaced: Option<u64>,
    /// Whether that revision's page may live at another key (a new title
    /// or category), to be taken down.
    pub(crate) maybe_moved: bool,
}

/// One article's revisions in one store.
pub(crate) struct Revisions<'a> {
    store: &'a Store,
    article_id: &'a str,
    /// What a restored page is served with: the same as a freshly written one.
    page_cache_control: &'static str,
}

impl<'a> Revisions<'a> {
    pub(crate) fn new(
        store: &'a Store,
        article_id: &'a str,
        page_cache_control: &'static str,
    ) -> Self {
        Self {
            store,
            article_id,
            page_cache_control,
        }
    }

    /// The newest revision with a stored copy.
    pub(crate) async fn newest(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.stored().await?.into_iter().max())
    }

    /// The newest stored revision older than `revision`.
    pub(crate) async fn newest_below(&self, revision: u64) -> Result<Option<u64>, StoreError> {
        Ok(self
            .stored()
            .await?
            .into_iter()
            .filter(|r| *r < revision)
            .max())
    }

    /// Where revision `revision`'s page lives, from its stored copy.
    pub(crate) async fn page_key_of(&self, revision: u64) -> Result<String, PublishFailure> {
        let json = self
            .get_required(&revision_key(self.article_id, revision, "json"))
            .await?;
        let stored: ValidatedArticle =
            serde_json::from_slice(&json).map_err(PublishFailure::CorruptCopy)?;
        Ok(page_key(&stored.article.category.slug, &stored.slug))
    }

    async fn stored(&self) -> Result<Vec<u64>, StoreError> {
        let prefix = format!("articles/{}/", self.article_id);
        let keys = self.store.list(&prefix).await?;
        Ok(keys
            .iter()
            .filter_map(|key| {
                key.strip_prefix(&prefix)?
                    .strip_suffix(".json")?
                    .parse::<u64>()
                    .ok()
            })
            .collect())
    }

    /// The revision's immutable copies: the same bytes on every redelivery.
    /// `html_sha256` is the page's hash, which the caller already holds.
    pub(crate) async fn put_revision(
        &self,
        revision: u64,
        (html, html_sha256): (Bytes, &str),
        json: Bytes,
    ) -> Result<(), StoreError> {
        let json_sha256 = sha256_hex(&json);
        // HTML before JSON: `newest` lists the JSON, and must never name a
        // revision whose page copy is missing.
        for (extension, content_type, body, sha256) in [
            ("html", PAGE_CONTENT_TYPE, html, html_sha256),
            ("json", "application/json", json, json_sha256.as_str()),
        ] {
            self.store
                .put(PutObject {
                    key: revision_key(self.article_id, revision, extension),
                    body,
                    content_type,
                    cache_control: COPY_CACHE_CONTROL,
                    metadata: revision_metadata(self.article_id, revision, sha256),
                    precondition: Precondition::None,
                })
                .await?;
        }
        Ok(())
    }

    /// Writes the page unless the store shows a newer revision there, as a
    /// compare-and-swap where the store supports it, and says which earlier
    /// revision of this article it replaced: `article.updated` rather than
    /// `article.published`.
    ///
    /// With no page at the key, the answer is the newest older revision
    /// stored (the article was retitled or moved), and it is kept in the
    /// page's metadata, so a redelivery reaches the same verdict even after
    /// a late older revision was stored meanwhile.
    pub(crate) async fn write_page_unless_newer(
        &self,
        mut page: PutObject,
        revision: u64,
    ) -> Result<PageWrite, PublishFailure> {
        for _ in 0..ATTEMPTS {
            page.metadata.remove(META_REPLACES);
            let head = self.store.head(&page.key).await?;
            let written = match &head {
                None => PageWrite {
                    replaced: self.newest_below(revision).await?,
                    maybe_moved: true,
                },
                Some(head) => {
                    self.check_owner(&page.key, &head.metadata)?;
                    match stored_revision(&head.metadata) {
                        Some(stored) if stored > revision => return Ok(PageWrite::default()),
                        Some(stored)
                            if stored == revision
                                && head.metadata.get(META_SHA256)
                                    == page.metadata.get(META_SHA256) =>
                        {
                            // Our own page, from an earlier delivery.
                            let replaced = replaced_revision(&head.metadata);
                            return Ok(PageWrite {
                                replaced,
                                maybe_moved: replaced.is_some(),
                            });
                        }
                        Some(stored) if stored < revision => PageWrite {
                            replaced: Some(stored),
                            maybe_moved: false,
                        },
                        _ => PageWrite {
                            replaced: replaced_revision(&head.metadata),
                            maybe_moved: false,
                        },
                    }
                }
            };
            if let Some(replaced) = written.replaced {
                page.metadata
                    .insert(META_REPLACES.to_owned(), replaced.to_string());
            }
            page.precondition = match head {
                None => Precondition::Absent,
                Some(head) => head
                    .etag
                    .map_or(Precondition::None, Precondition::Unchanged),
            };
            match self.store.put(page.clone()).await {
                Err(StoreError::Conflict { .. }) => continue,
                other => return other.map(|()| written).map_err(Into::into),
            }
        }
        Err(StoreError::Conflict { target: page.key }.into())
    }

    /// Makes the page at `key` show the newest stored revision, and returns
    /// that revision. Run after every page write of revision `written`.
    pub(crate) async fn settle_page(&self, key: &str, written: u64) -> Result<u64, PublishFailure> {
        for _ in 0..ATTEMPTS {
            let Some(newest) = self.newest().await? else {
                return Err(StoreError::Conflict {
                    target: key.to_owned(),
                }
                .into());
            };
            if newest == written {
                // If an older revision's page lands over ours, its writer
                // runs this check after its write and restores ours.
                return Ok(newest);
            }
            let head = self.store.head(key).await?;
            let shown = head.as_ref().and_then(|h| stored_revision(&h.metadata));
            if shown.is_some_and(|shown| shown >= newest) {
                return Ok(newest);
            }
            // The page is behind. Restore the newest copy, if that revision
            // still lives at this key (a retitled article moved elsewhere).
            let json = self
                .get_required(&revision_key(self.article_id, newest, "json"))
                .await?;
            let newest_article: ValidatedArticle =
                serde_json::from_slice(&json).map_err(PublishFailure::CorruptCopy)?;
            if page_key(&newest_article.article.category.slug, &newest_article.slug) != key {
                return Ok(newest);
            }
            let html = self
                .get_required(&revision_key(self.article_id, newest, "html"))
                .await?;
            let sha256 = sha256_hex(&html);
            info!(
                article_id = self.article_id,
                key, shown, newest, "page showed an older revision; restoring the newest"
            );
            let restored = PutObject {
                key: key.to_owned(),
                body: Bytes::from(html),
                content_type: PAGE_CONTENT_TYPE,
                cache_control: self.page_cache_control,
                metadata: revision_metadata(self.article_id, newest, &sha256),
                precondition: head
                    .and_then(|h| h.etag)
                    .map_or(Precondition::Absent, Precondition::Unchanged),
            };
            match self.store.put(restored).await {
                Ok(()) | Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict {
            target: key.to_owned(),
        }
        .into())
    }

    fn check_owner(
        &self,
        key: &str,
        metadata: &BTreeMap<String, String>,
    ) -> Result<(), PublishFailure> {
        match metadata.get(META_ARTICLE_ID) {
            Some(owner) if owner != self.article_id => Err(PublishFailure::KeyConflict {
                key: key.to_owned(),
                owner: owner.clone(),
            }),
            _ => Ok(()),
        }
    }

    async fn get_required(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        self.store
            .get(key)
            .await?
            .ok_or_else(|| StoreError::Conflict {
                target: key.to_owned(),
            })
    }
}

/// The revision a page (or copy) shows, from its metadata.
pub(crate) fn stored_revision(metadata: &BTreeMap<String, String>) -> Option<u64> {
    metadata.get(META_REVISION).and_then(|r| r.parse().ok())
}

fn replaced_revision(metadata: &BTreeMap<String, String>) -> Option<u64> {
    metadata.get(META_REPLACES).and_then(|r| r.parse().ok())
}
