//! A picture's variants leave the public site when the last live article showing it is withdrawn or revised without it.
//!
//! The registry says which live article shows which picture
//! (`article_images`); whatever no live article shows any more is removed:
//! its archive record first, so a media worker meeting the photo again
//! processes it afresh instead of trusting variants about to go, then the
//! variants. A crash between the registry and the store leaves variants
//! behind (never removes one in use).

use gazette_contract::ValidatedArticle;
use gazette_site::media_record_key;
use tracing::info;

use super::context::PublishContext;
use super::failure::PublishFailure;

/// Records the pictures `validated`'s live page shows (none for a
/// withdrawal) and removes those no live article shows any more.
pub(super) async fn follow_pictures(
    context: &PublishContext,
    article_id: &str,
    validated: Option<&ValidatedArticle>,
) -> Result<(), PublishFailure> {
    let mut shown: Vec<String> = validated
        .map(|v| v.images.iter().map(|image| image.id.clone()).collect())
        .unwrap_or_default();
    shown.sort();
    shown.dedup();
    let unused = context.registry.set_images(article_id, &shown).await?;
    for image_id in unused {
        context
            .stores
            .archive
            .delete(&media_record_key(&image_id))
            .await?;
        let variants = context
            .stores
            .site
            .list(&format!("media/{image_id}/"))
            .await?;
        for key in &variants {
            context.stores.site.delete(key).await?;
        }
        info!(%article_id, %image_id, variants = variants.len(), "no live article shows this picture; its variants are removed");
    }
    Ok(())
}
