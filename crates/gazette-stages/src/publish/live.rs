//! Publishing one rendered revision: copies to the archive, the registry's verdict, the page and its redirects, the check that nothing overtook it, and the announcement.

use bytes::Bytes;
use gazette_broker::{Inbound, Outbound};
use gazette_contract::{Envelope, EventType, Published, Rendered, event_id};
use gazette_subscribers::Advance;
use tracing::{info, warn};

use super::context::{PublishContext, SOURCE};
use super::failure::PublishFailure;
use crate::pages::sha256_hex;
use crate::{decode_event, encode_event, off_reactor};

/// Puts `article.rendered`'s revision live if the registry says it is the
/// newest, and says so as `article.published` or `article.updated`.
pub(super) async fn publish(
    context: &PublishContext,
    message: &Inbound,
) -> Result<Vec<Outbound>, PublishFailure> {
    // A page of half a megabyte checked against its schema is CPU work.
    let (schemas, copy) = (context.schemas.clone(), message.clone());
    let event: Envelope<Rendered> =
        off_reactor(move || decode_event(&schemas, EventType::Rendered, &copy))
            .await
            .map_err(PublishFailure::Crashed)??;
    let correlation = event.correlation().to_owned();
    // Taken apart, not copied: the page and the article are the bulk of the message.
    let Rendered {
        validated,
        key,
        html,
    } = event.data;
    let article = &validated.article;
    let objects = context.objects(&article.id);
    let html = Bytes::from(html.into_bytes());
    let json = Bytes::from(serde_json::to_vec_pretty(&validated).map_err(PublishFailure::Encode)?);
    let sha256 = sha256_hex(&html);
    // The copies first: whatever the registry names must be readable.
    objects
        .put_copies(article.revision, json, html.clone())
        .await?;
    let (first, redirects) = match context
        .registry
        .advance(&article.id, article.revision, &key)
        .await?
    {
        Advance::Newest { first, redirects } => (first, redirects),
        Advance::Stale(newest) => {
            // Never written, unless an earlier attempt of this very
            // message wrote it before dying: then put it right.
            if message.redelivered || message.attempt > 1 {
                objects
                    .converge(&context.registry, article.revision, &key)
                    .await?;
            }
            info!(article_id = %article.id, revision = article.revision, newest = newest.revision, "a newer revision is recorded; this one is not published");
            return Ok(Vec::new());
        }
        Advance::Withdrawn { through } => {
            info!(article_id = %article.id, revision = article.revision, through, "this revision was withdrawn; not published");
            return Ok(Vec::new());
        }
        Advance::NotOwner { key } => {
            return Err(PublishFailure::ForeignKey {
                article_id: article.id.clone(),
                key,
            });
        }
    };
    objects
        .put_page(&key, article.revision, html, &sha256)
        .await?;
    objects.put_redirects(&redirects, &key).await?;
    if !objects
        .converge(&context.registry, article.revision, &key)
        .await?
    {
        // Superseded or withdrawn while we worked: "published" for this
        // revision would tell subscribers something no longer true.
        warn!(article_id = %article.id, revision = article.revision, "overtaken while publishing; the page shows what the registry says, not announcing this revision");
        return Ok(Vec::new());
    }

    let url = context.public_url(&key);
    let lifecycle = if first {
        EventType::Published
    } else {
        EventType::Updated
    };
    info!(article_id = %article.id, revision = article.revision, %key, %url, event = %lifecycle, redirects = redirects.len(), "published");
    let published = Envelope::new(
        lifecycle,
        // One id for the revision going live, whichever type announces it.
        event_id(&article.id, article.revision, EventType::Published),
        SOURCE,
        &article.id,
        Some(&correlation),
        Published {
            article_id: article.id.clone(),
            revision: article.revision,
            title: article.title.clone(),
            category: article.category.clone(),
            key,
            url,
            sha256,
            published_at: article.published_at,
        },
    );
    Ok(vec![
        encode_event(lifecycle, &published).map_err(PublishFailure::Encode)?,
    ])
}
