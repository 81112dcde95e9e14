//! Withdrawals: `withdrawal.validated` (an upstream `article.withdrawn` that passed validate) is recorded in the registry, the page and every redirect to it leave the public store, and `article.unpublished` goes out.
//!
//! A withdrawn page is deleted rather than replaced by a notice. The store's
//! website endpoint then answers 404 (with the theme's 404 page), which is
//! what a search engine must see to drop the URL; a 200 notice would be a
//! soft 404 that lingers in results. The indexer removes the article from
//! listings, feeds and the sitemap when it hears `article.unpublished`.
//!
//! The registry records the withdrawal (through the newest revision, with
//! the editor's reason); the archive keeps every revision copy. A publish
//! of a withdrawn revision already in flight finds the withdrawal when it
//! re-reads the registry after writing, and takes its page down again; a
//! later revision publishes the article again at the same URL.
//!
//! A withdrawal also cancels a revision held for a later time (scheduled
//! publishing): a held revision of a live article is withdrawn with it, and
//! an article that was only ever held is withdrawn without an
//! announcement, since nothing of it was public.

use gazette_broker::{Inbound, Outbound};
use gazette_contract::{
    Envelope, EventType, FieldError, Unpublished, ValidatedArticle, Withdrawal, event_id,
};
use gazette_site::revision_key;
use gazette_subscribers::Takedown;
use tracing::info;

use super::context::{PublishContext, SOURCE};
use super::failure::PublishFailure;
use crate::rejection::rejection;
use crate::{decode_event, encode_event};

/// Records `withdrawal.validated` in the registry, takes the page and its
/// redirects down, and says so as `article.unpublished`.
pub(super) async fn withdraw(
    context: &PublishContext,
    message: &Inbound,
) -> Result<Vec<Outbound>, PublishFailure> {
    let event: Envelope<Withdrawal> =
        decode_event(&context.schemas, EventType::WithdrawalValidated, message)?;
    // The upstream event's id, which the CMS knows this withdrawal by.
    let submission_id = event.correlation().to_owned();
    let Withdrawal { id, reason } = event.data;
    let state = match context.registry.withdraw(&id, &reason).await? {
        Takedown::Live(state) => state,
        Takedown::ScheduledOnly { revision } => {
            // Nothing was ever public, so nothing is announced: an
            // `article.unpublished` would name the embargoed address.
            info!(article_id = %id, revision, %reason, "withdrawn before its scheduled time; its schedule is cancelled and nothing was public");
            return Ok(Vec::new());
        }
        Takedown::Unknown => {
            let errors = vec![FieldError::new(
                "/data/id",
                "no article with this id has been published or scheduled",
            )];
            let notice = rejection(&id, None, &submission_id, &errors, SOURCE)
                .map_err(PublishFailure::Encode)?;
            return Err(PublishFailure::Refused {
                article_id: id,
                reason: "unknown-article",
                errors,
                notice: Box::new(notice),
            });
        }
    };
    context.objects(&id).remove_public(&state).await?;
    let copy_key = revision_key(&id, state.revision, "json");
    let copy = context
        .stores
        .archive
        .get(&copy_key)
        .await?
        .ok_or_else(|| PublishFailure::Pages(format!("{copy_key} is missing from the archive")))?;
    let newest: ValidatedArticle =
        serde_json::from_slice(&copy).map_err(PublishFailure::CorruptCopy)?;
    super::pictures::follow_pictures(context, &id, None).await?;
    let key = state.page_key.clone().unwrap_or_default();
    info!(article_id = %id, revision = state.revision, %key, redirects = state.redirects.len(), %reason, "withdrawn; page and redirects deleted");
    let unpublished = Envelope::new(
        EventType::Unpublished,
        event_id(&id, state.revision, EventType::Unpublished),
        SOURCE,
        &id,
        Some(&submission_id),
        Unpublished {
            article_id: id.clone(),
            revision: state.revision,
            reason,
            category: newest.article.category,
            url: context.public_url(&key),
            key,
        },
    );
    Ok(vec![
        encode_event(EventType::Unpublished, &unpublished).map_err(PublishFailure::Encode)?,
    ])
}
