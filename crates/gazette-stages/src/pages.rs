//! An article's objects: the revision copies kept in the archive, the page and redirects in the public store, and how a page converges on what the registry says.
//!
//! The registry decides (see `gazette-subscribers`' `registry.rs`); the
//! stores follow. Per published revision, three writes and no read:
//! - `articles/<id>/<revision>.json` and `.html` in the **archive**,
//!   before the registry hears of the revision, so that whatever the
//!   registry names can be read back (rebuilds read the JSON, repairs the
//!   HTML);
//! - the page at its key in the **public store**.
//!
//! Writes to the public store are not ordered by the registry: a worker
//! holding an older revision can advance, be overtaken, and write its page
//! after the newer one (Garage ignores conditional writes, so the store
//! cannot refuse it). Every writer therefore reads the registry again after
//! its last write ([`converge`]) and puts right what it finds behind: the
//! newest revision's page restored from the archive, a redirect where the
//! page moved away, nothing where the article was withdrawn. Only a writer
//! can leave a page behind, and each checks after writing, so the public
//! store converges on the registry; a writer that dies before its check
//! has not acked, and the redelivery checks.

use std::collections::BTreeMap;

use bytes::Bytes;
use gazette_site::revision_key;
use gazette_store::{Precondition, PutObject, StoreError};
use gazette_subscribers::{ArticleState, DatabaseError, Registry};

use crate::Stores;

const META_ARTICLE_ID: &str = "article-id";
const META_REVISION: &str = "revision";
const META_SHA256: &str = "sha256";
/// Pages are HTML in UTF-8, whoever writes them.
pub(crate) const PAGE_CONTENT_TYPE: &str = "text/html; charset=utf-8";
/// Revision copies never change once written.
const COPY_CACHE_CONTROL: &str = "private, max-age=31536000, immutable";
/// How often a writer re-reads the registry when it keeps changing under it.
const CONVERGE_ROUNDS: usize = 5;

/// The hex SHA-256 of `bytes`, as stored in `sha256` metadata and `article.published`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// The metadata every page carries.
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

/// Where a redirect to the page at `key` points: root-relative, so it
/// holds whatever host serves the site.
pub(crate) fn location_of(key: &str) -> String {
    format!("/{key}")
}

/// Why a page could not be put right.
#[derive(Debug, thiserror::Error)]
pub enum PagesError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error(
        "the registry names revision {revision} of {article_id}, but the archive has no copy of it"
    )]
    MissingCopy { article_id: String, revision: u64 },
    #[error("the registry has no record of {article_id}, which was just published")]
    Unrecorded { article_id: String },
}

/// One article's objects in the two stores.
pub(crate) struct ArticleObjects<'a> {
    pub(crate) stores: &'a Stores,
    pub(crate) article_id: &'a str,
    pub(crate) page_cache_control: &'static str,
}

impl ArticleObjects<'_> {
    /// The revision's copies in the archive, side by side.
    pub(crate) async fn put_copies(
        &self,
        revision: u64,
        json: Bytes,
        html: Bytes,
    ) -> Result<(), StoreError> {
        let copy = |extension: &str, body: Bytes, content_type: &'static str| PutObject {
            key: revision_key(self.article_id, revision, extension),
            body,
            content_type,
            cache_control: COPY_CACHE_CONTROL,
            metadata: BTreeMap::new(),
            precondition: Precondition::None,
        };
        let archive = &self.stores.archive;
        let (json, html) = tokio::join!(
            archive.put(copy("json", json, "application/json")),
            archive.put(copy("html", html, PAGE_CONTENT_TYPE)),
        );
        json.and(html)
    }

    pub(crate) async fn put_page(
        &self,
        key: &str,
        revision: u64,
        html: Bytes,
        sha256: &str,
    ) -> Result<(), StoreError> {
        self.stores
            .site
            .put(PutObject {
                key: key.to_owned(),
                body: html,
                content_type: PAGE_CONTENT_TYPE,
                cache_control: self.page_cache_control,
                metadata: revision_metadata(self.article_id, revision, sha256),
                precondition: Precondition::None,
            })
            .await
    }

    /// Every key in `redirects` answers 301 to the page at `page_key`.
    pub(crate) async fn put_redirects(
        &self,
        redirects: &[String],
        page_key: &str,
    ) -> Result<(), StoreError> {
        let location = location_of(page_key);
        for key in redirects {
            self.stores.site.put_redirect(key, &location).await?;
        }
        Ok(())
    }

    /// Takes the page and every redirect to it off the public store.
    pub(crate) async fn remove_public(&self, state: &ArticleState) -> Result<(), StoreError> {
        for key in state.page_key.iter().chain(&state.redirects) {
            self.stores.site.delete(key).await?;
        }
        Ok(())
    }

    /// After writing at `key` for `revision`, reads the registry and puts
    /// the public store right until it agrees. `true` when `revision` is
    /// still the live newest, so it may be announced.
    pub(crate) async fn converge(
        &self,
        registry: &Registry,
        revision: u64,
        key: &str,
    ) -> Result<bool, PagesError> {
        let mut acted_on = None;
        for _ in 0..CONVERGE_ROUNDS {
            let state =
                registry
                    .article(self.article_id)
                    .await?
                    .ok_or_else(|| PagesError::Unrecorded {
                        article_id: self.article_id.to_owned(),
                    })?;
            if acted_on.as_ref() == Some(&state) {
                break;
            }
            if state
                .withdrawn
                .as_ref()
                .is_some_and(|w| w.through >= revision)
            {
                // A withdrawal ran while this page was being written.
                self.remove_public(&state).await?;
                self.stores.site.delete(key).await?;
            } else if state.revision > revision {
                self.restore_newest(&state, key).await?;
            } else {
                return Ok(true);
            }
            acted_on = Some(state);
        }
        Ok(false)
    }

    /// `key` as the newest revision has it: its page again if it lives
    /// there, a redirect to its page if `key` is one of its old keys.
    async fn restore_newest(&self, newest: &ArticleState, key: &str) -> Result<(), PagesError> {
        let Some(page_key) = newest.page_key.as_deref() else {
            return Ok(());
        };
        if page_key == key {
            let html = self
                .stores
                .archive
                .get(&revision_key(self.article_id, newest.revision, "html"))
                .await?
                .ok_or_else(|| PagesError::MissingCopy {
                    article_id: self.article_id.to_owned(),
                    revision: newest.revision,
                })?;
            let sha256 = sha256_hex(&html);
            self.put_page(key, newest.revision, Bytes::from(html), &sha256)
                .await?;
        } else if newest.redirects.iter().any(|r| r == key) {
            self.stores
                .site
                .put_redirect(key, &location_of(page_key))
                .await?;
        }
        Ok(())
    }
}
