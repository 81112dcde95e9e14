//! Publishing one rendered revision: copies to the archive, held until its time when it is dated in the future, else the registry's verdict, the page and its redirects, the check that nothing overtook it, and the announcement.

use bytes::Bytes;
use chrono::Utc;
use gazette_broker::{Inbound, Outbound};
use gazette_contract::{
    Article, Envelope, EventType, Published, Rendered, Scheduled, ValidatedArticle, event_id,
};
use gazette_subscribers::{Advance, Hold};
use tracing::{info, warn};

use super::context::{PublishContext, SOURCE};
use super::failure::PublishFailure;
use super::pictures::follow_pictures;
use crate::pages::sha256_hex;
use crate::{decode_event, encode_event, off_reactor_on};

/// Puts `article.rendered`'s revision live if the registry says it is the
/// newest, and says so as `article.published` or `article.updated`; a
/// revision dated in the future is held instead (`article.scheduled`),
/// and its scheduler puts it live at its time ([`go_live`] either way).
pub(super) async fn publish(
    context: &PublishContext,
    message: &Inbound,
) -> Result<Vec<Outbound>, PublishFailure> {
    // A page of half a megabyte checked against its schema is CPU work.
    let event: Envelope<Rendered> = timed(
        "decode",
        off_reactor_on(&context.schemas, message, |schemas, message| {
            decode_event(schemas, EventType::Rendered, message)
        }),
    )
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
    let html = Bytes::from(html.into_bytes());
    let json = Bytes::from(serde_json::to_vec_pretty(&validated).map_err(PublishFailure::Encode)?);
    // The copies first: whatever the registry names must be readable, and
    // a held revision is published from them.
    timed(
        "copies",
        context
            .objects(&article.id)
            .put_copies(article.revision, json, html.clone()),
    )
    .await?;
    if article.published_at > Utc::now() {
        match context
            .registry
            .hold_until(
                &article.id,
                article.revision,
                &key,
                article.published_at,
                &correlation,
            )
            .await?
        {
            Hold::Held => return scheduled(article, &correlation),
            // Its scheduler was first (a clock ahead of ours): carry on as
            // a redelivery of a live revision, which announces it again.
            Hold::Live => {}
            Hold::Stale { newest } => {
                info!(article_id = %article.id, revision = article.revision, newest, "a newer revision is live or held; this one is not scheduled");
                return Ok(Vec::new());
            }
            Hold::Withdrawn { through } => {
                info!(article_id = %article.id, revision = article.revision, through, "this revision was withdrawn; not scheduled");
                return Ok(Vec::new());
            }
        }
    }
    let retried = message.redelivered || message.attempt > 1;
    go_live(context, &validated, key, html, &correlation, retried).await
}

/// `article.scheduled`: the embargo is accepted.
fn scheduled(article: &Article, correlation: &str) -> Result<Vec<Outbound>, PublishFailure> {
    info!(article_id = %article.id, revision = article.revision, published_at = %article.published_at, "scheduled; nothing of it is public until then");
    let event = Envelope::new(
        EventType::Scheduled,
        event_id(&article.id, article.revision, EventType::Scheduled),
        SOURCE,
        &article.id,
        Some(correlation),
        Scheduled {
            article_id: article.id.clone(),
            revision: article.revision,
            published_at: article.published_at,
        },
    );
    Ok(vec![
        encode_event(EventType::Scheduled, &event).map_err(PublishFailure::Encode)?,
    ])
}

/// The revision's page at `key`, if the registry makes it the newest, and
/// its announcement. Its copies are in the archive already. `retried`: an
/// earlier attempt may have written this page before it died.
pub(super) async fn go_live(
    context: &PublishContext,
    validated: &ValidatedArticle,
    key: String,
    html: Bytes,
    correlation: &str,
    retried: bool,
) -> Result<Vec<Outbound>, PublishFailure> {
    let article = &validated.article;
    let objects = context.objects(&article.id);
    let sha256 = sha256_hex(&html);
    // Kept with the advance, so the indexer lists the article without
    // reading its archive copy back (`listing.rs`).
    let listing = crate::listing::Listing::of(validated)
        .to_json()
        .map_err(PublishFailure::Encode)?;
    let advanced = timed(
        "advance",
        context
            .registry
            .advance_listed(&article.id, article.revision, &key, Some(&listing)),
    )
    .await?;
    let (first, redirects) = match advanced {
        Advance::Newest { first, redirects } => (first, redirects),
        Advance::Stale(newest) => {
            // Never written, unless an earlier attempt of this very
            // message wrote it before dying: then put it right.
            if retried {
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
    timed(
        "page",
        objects.put_page(&key, article.revision, html, &sha256),
    )
    .await?;
    objects.put_redirects(&redirects, &key).await?;
    if !timed(
        "converge",
        objects.converge(&context.registry, article.revision, &key),
    )
    .await?
    {
        // Superseded or withdrawn while we worked: "published" for this
        // revision would tell subscribers something no longer true.
        warn!(article_id = %article.id, revision = article.revision, "overtaken while publishing; the page shows what the registry says, not announcing this revision");
        return Ok(Vec::new());
    }
    timed(
        "pictures",
        follow_pictures(context, &article.id, Some(validated)),
    )
    .await?;

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
        Some(correlation),
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

/// Runs one step of publishing, recording its time in
/// `gazette_publish_step_seconds{step}`: the stage's slow deliveries are
/// found by the step they spent their time in.
async fn timed<T>(step: &'static str, work: impl Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let output = work.await;
    metrics::histogram!("gazette_publish_step_seconds", "step" => step)
        .record(started.elapsed().as_secs_f64());
    output
}
