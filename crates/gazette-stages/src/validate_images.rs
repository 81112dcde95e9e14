//! validate's rules for pictures: the cover's text cleaned and its alt required, and every body image a fetchable URL with an alt, twenty at most.

use gazette_contract::{Article, FieldError, MAX_IMAGES_PER_ARTICLE};
use gazette_text::{Lines, img_tags, nfc, printable};
use gazette_webhooks::is_fetchable_url;

/// Cleans the cover's text as any other field, and lists what is wrong
/// with the article's pictures: the cover's and the body's (`body_html`,
/// sanitised) together.
pub(crate) fn check_images(article: &mut Article, body_html: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    if let Some(cover) = &mut article.cover_image {
        cover.src = cover.src.trim().to_owned();
        cover.alt = printable(&nfc(&cover.alt), Lines::Single).trim().to_owned();
        for text in [&mut cover.caption, &mut cover.credit] {
            if let Some(value) = text {
                *value = printable(&nfc(value), Lines::Multi).trim().to_owned();
            }
            if text.as_deref().is_some_and(str::is_empty) {
                *text = None;
            }
        }
        if cover.decorative {
            cover.alt.clear();
        } else if cover.alt.is_empty() {
            errors.push(FieldError::new(
                "/data/cover_image/alt",
                "must say what the picture shows (or set decorative: true for one that adds nothing)",
            ));
        }
        if !is_fetchable_url(&cover.src) {
            errors.push(FieldError::new(
                "/data/cover_image/src",
                format!("{:?} is not an http(s) URL Gazette can fetch", cover.src),
            ));
        }
        sources.push(cover.src.clone());
    }
    for tag in img_tags(body_html) {
        let Some(src) = tag.src.filter(|s| !s.trim().is_empty()) else {
            errors.push(FieldError::new(
                "/data/body/content",
                "has an image without a usable src; only http(s) URLs are fetched",
            ));
            continue;
        };
        if !is_fetchable_url(&src) {
            errors.push(FieldError::new(
                "/data/body/content",
                format!("image {src:?} is not an absolute http(s) URL Gazette can fetch"),
            ));
        } else if tag.alt.is_none() {
            errors.push(FieldError::new(
                "/data/body/content",
                format!("image {src} needs an alt attribute saying what it shows (alt=\"\" for a decorative one)"),
            ));
        }
        if !sources.contains(&src) {
            sources.push(src);
        }
    }
    if sources.len() > MAX_IMAGES_PER_ARTICLE {
        errors.push(FieldError::new(
            "/data/body/content",
            format!(
                "uses {} pictures with the cover; an article may carry at most {MAX_IMAGES_PER_ARTICLE}",
                sources.len()
            ),
        ));
    }
    errors
}
