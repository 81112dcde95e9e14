//! render's part in pictures: the cover's figure, each body `<img>` swapped for its stored variants, and the social card the page's metadata names.

use gazette_contract::{CoverImage, StoredImage, ValidatedArticle};
use gazette_render::{
    ARTICLE_SIZES, Figure, Picture, PictureFiles, RenderError, Renderer, SocialImage,
};
use gazette_text::replace_img_tags;

pub(crate) fn files(image: &StoredImage) -> PictureFiles<'_> {
    PictureFiles {
        id: &image.id,
        width: image.width,
        height: image.height,
        widths: &image.widths,
        webp: image.webp,
        colour: &image.colour,
    }
}

/// The cover and the picture stored for it, when it was.
fn stored_cover(validated: &ValidatedArticle) -> Option<(&CoverImage, &StoredImage)> {
    let cover = validated.article.cover_image.as_ref()?;
    Some((cover, validated.image(&cover.src)?))
}

/// The cover as the page shows it, when it was stored.
pub(crate) fn cover_figure(validated: &ValidatedArticle) -> Option<Figure> {
    let (cover, image) = stored_cover(validated)?;
    Some(Figure {
        picture: Picture::new(&files(image), &cover.alt, ARTICLE_SIZES, true),
        caption: cover.caption.clone().unwrap_or_default(),
        credit: cover.credit.clone().unwrap_or_default(),
    })
}

/// The body with each picture the media stage stored as `<picture>`. An
/// `<img>` without a stored picture (a copy from before pictures were
/// processed) is left as it was.
pub(crate) fn body_with_pictures(
    renderer: &Renderer,
    validated: &ValidatedArticle,
) -> Result<String, RenderError> {
    if validated.images.is_empty() {
        return Ok(validated.body_html.clone());
    }
    let mut failed = None;
    let body = replace_img_tags(&validated.body_html, |tag| {
        let image = validated.image(tag.src.as_deref()?)?;
        let alt = tag.alt.as_deref().unwrap_or_default();
        let picture = Picture::new(&files(image), alt, ARTICLE_SIZES, false);
        match renderer.render_picture(&picture) {
            Ok(markup) => Some(markup),
            Err(e) => {
                failed.get_or_insert(e);
                None
            }
        }
    });
    match failed {
        Some(e) => Err(e),
        None => Ok(body),
    }
}

/// The cover's social crop, for `og:image` and structured data; only with
/// a public URL to make it absolute.
pub(crate) fn social_image(
    validated: &ValidatedArticle,
    absolute: impl Fn(&str) -> Option<String>,
) -> Option<SocialImage> {
    let (cover, image) = stored_cover(validated)?;
    let social = image.social.as_ref()?;
    Some(SocialImage {
        url: absolute(&social.key)?,
        width: social.width,
        height: social.height,
        alt: cover.alt.clone(),
    })
}

/// The cover as listings and feeds keep it, when it was stored.
pub(crate) fn entry_cover(validated: &ValidatedArticle) -> Option<gazette_site::EntryCover> {
    let (cover, image) = stored_cover(validated)?;
    Some(gazette_site::EntryCover {
        id: image.id.clone(),
        width: image.width,
        height: image.height,
        widths: image.widths.clone(),
        webp: image.webp,
        colour: image.colour.clone(),
        alt: cover.alt.clone(),
    })
}
