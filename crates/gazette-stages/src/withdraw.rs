//! Withdrawals: `withdrawal.validated` (an upstream `article.withdrawn` that passed validate) becomes a tombstone, a deleted page and `article.unpublished`.
//!
//! A withdrawn page is deleted rather than replaced by a notice. The store's
//! website endpoint then answers 404 (with the theme's 404 page), which is
//! what a search engine must see to drop the URL; a 200 notice would be a
//! soft 404 that lingers in results. The indexer removes the article from
//! listings, feeds and the sitemap when it hears `article.unpublished`.
//!
//! The tombstone, `articles/<id>/withdrawn.json`, records the newest
//! revision stored at the time. Every publish checks it after writing its
//! page, so a revision already on its way when the withdrawal came cannot
//! bring the page back; a later revision (higher than the tombstone's)
//! publishes the article again.

use gazette_broker::{Inbound, Outbound};
use gazette_contract::{
    Envelope, EventType, FieldError, Unpublished, ValidatedArticle, Withdrawal, event_id,
};
use gazette_store::{Precondition, PutObject, Store, StoreError};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::publish::{PublishStage, SOURCE};
use crate::rejection::rejection;
use crate::revisions::{Revisions, stored_revision};
use crate::{PublishFailure, decode_event, encode_event, page_key, revision_key};

/// What `articles/<id>/withdrawn.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// Every revision up to this one is withdrawn.
    pub revision: u64,
    pub reason: String,
}

pub fn tombstone_key(article_id: &str) -> String {
    format!("articles/{article_id}/withdrawn.json")
}

/// The article's tombstone, if it was ever withdrawn.
pub async fn tombstone(store: &Store, article_id: &str) -> Result<Option<Tombstone>, StoreError> {
    let key = tombstone_key(article_id);
    let Some(bytes) = store.get(&key).await? else {
        return Ok(None);
    };
    // Gazette wrote it; unreadable means someone else did, and the article
    // stays withdrawn rather than silently coming back.
    Ok(Some(serde_json::from_slice(&bytes).unwrap_or(Tombstone {
        revision: u64::MAX,
        reason: format!("unreadable tombstone at {key}"),
    })))
}

impl PublishStage {
    pub(crate) async fn withdraw(
        &self,
        message: &Inbound,
    ) -> Result<Vec<Outbound>, PublishFailure> {
        let event: Envelope<Withdrawal> =
            decode_event(self.schemas(), EventType::WithdrawalValidated, message)?;
        // The upstream event's id, which the CMS knows this withdrawal by.
        let submission_id = event.correlation().to_owned();
        let Withdrawal { id, reason } = event.data;
        let store = self.store();
        let revisions = Revisions::new(store, &id, self.settings().page_cache_control);
        let Some(newest) = revisions.newest().await? else {
            let errors = vec![FieldError::new(
                "/data/id",
                "no article with this id has been published",
            )];
            let notice = rejection(&id, None, &submission_id, &errors, SOURCE)
                .map_err(PublishFailure::Encode)?;
            return Err(PublishFailure::Refused {
                article_id: id,
                reason: "unknown-article",
                errors,
                notice: Box::new(notice),
            });
        };
        let tombstone = Tombstone {
            revision: newest,
            reason: reason.clone(),
        };
        let body = serde_json::to_vec_pretty(&tombstone).map_err(PublishFailure::Encode)?;
        // The tombstone first: from here on, any publish of these revisions
        // deletes its own page after writing it.
        store
            .put(PutObject {
                key: tombstone_key(&id),
                body: body.into(),
                content_type: "application/json",
                cache_control: "no-cache",
                metadata: Default::default(),
                precondition: Precondition::None,
            })
            .await?;
        let json = store
            .get(&revision_key(&id, newest, "json"))
            .await?
            .ok_or_else(|| StoreError::Conflict {
                target: revision_key(&id, newest, "json"),
            })?;
        let newest_article: ValidatedArticle =
            serde_json::from_slice(&json).map_err(PublishFailure::CorruptCopy)?;
        let article = newest_article.article;
        let key = page_key(&article.category.slug, &newest_article.slug);
        self.delete_page_through(&id, &key, newest).await?;
        info!(article_id = %id, revision = newest, %key, %reason, "withdrawn; page deleted");
        let unpublished = Envelope::new(
            EventType::Unpublished,
            event_id(&id, newest, EventType::Unpublished),
            SOURCE,
            &id,
            Some(&submission_id),
            Unpublished {
                article_id: id.clone(),
                revision: newest,
                reason,
                category: article.category,
                url: self.public_url(&key),
                key,
            },
        );
        Ok(vec![
            encode_event(EventType::Unpublished, &unpublished).map_err(PublishFailure::Encode)?,
        ])
    }

    /// Deletes the page at `key` if it shows this article at `through` or
    /// older; a newer revision's page (published again) stays.
    pub(crate) async fn delete_page_through(
        &self,
        article_id: &str,
        key: &str,
        through: u64,
    ) -> Result<(), StoreError> {
        let Some(head) = self.store().head(key).await? else {
            return Ok(());
        };
        let owner = head.metadata.get("article-id").map(String::as_str);
        let shown = stored_revision(&head.metadata).unwrap_or(0);
        if owner == Some(article_id) && shown <= through {
            self.store().delete(key).await?;
        }
        Ok(())
    }
}
