//! A stored picture as the theme shows it: `<picture>` with a WebP and a JPEG `srcset`, the size it takes before it loads, and its caption.

use serde::Serialize;

/// One picture for `partials/picture.hbs`. Paths are the site's own
/// (`/media/<id>/<width>.jpg`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Picture {
    /// Empty when the picture has no WebP variants.
    pub webp_srcset: String,
    pub srcset: String,
    /// The fallback for browsers without `srcset`.
    pub src: String,
    pub sizes: String,
    /// The picture's own proportions, so the page lays it out before it
    /// loads (no layout shift).
    pub width: u32,
    pub height: u32,
    pub alt: String,
    /// The cover loads at once and first; every other picture waits until
    /// it is near the screen.
    pub eager: bool,
    /// `#rrggbb`, shown while it loads.
    pub colour: String,
}

/// Where a picture's variants are, without the contract's types.
#[derive(Debug, Clone, Copy)]
pub struct PictureFiles<'a> {
    pub id: &'a str,
    pub width: u32,
    pub height: u32,
    /// Smallest first.
    pub widths: &'a [u32],
    pub webp: bool,
    pub colour: &'a str,
}

/// How wide pictures show: the article column is 44rem at most.
pub const ARTICLE_SIZES: &str = "(min-width: 46rem) 44rem, 100vw";
/// Listing cards show the cover small beside the title.
pub const CARD_SIZES: &str = "8rem";

impl Picture {
    /// The picture in every stored width, shown `sizes` wide.
    pub fn new(files: &PictureFiles<'_>, alt: &str, sizes: &str, eager: bool) -> Self {
        Self::with_widths(files, files.widths, alt, sizes, eager)
    }

    /// Only its widths up to `most`, for places that never show it large.
    pub fn small(files: &PictureFiles<'_>, most: u32, alt: &str, sizes: &str) -> Self {
        let widths: Vec<u32> = files
            .widths
            .iter()
            .copied()
            .filter(|w| *w <= most)
            .collect();
        let widths = if widths.is_empty() {
            &files.widths[..files.widths.len().min(1)]
        } else {
            &widths[..]
        };
        Self::with_widths(files, widths, alt, sizes, false)
    }

    fn with_widths(
        files: &PictureFiles<'_>,
        widths: &[u32],
        alt: &str,
        sizes: &str,
        eager: bool,
    ) -> Self {
        let srcset = |extension: &str| {
            widths
                .iter()
                .map(|w| format!("{} {w}w", media_path(files.id, *w, extension)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        // The fallback: the largest of those up to 960, a column's width on most screens.
        let fallback = widths
            .iter()
            .copied()
            .rfind(|w| *w <= 960)
            .or_else(|| widths.first().copied())
            .unwrap_or(files.width);
        Self {
            webp_srcset: if files.webp {
                srcset("webp")
            } else {
                String::new()
            },
            srcset: srcset("jpg"),
            src: media_path(files.id, fallback, "jpg"),
            sizes: sizes.to_owned(),
            width: files.width,
            height: files.height,
            alt: alt.to_owned(),
            eager,
            colour: files.colour.to_owned(),
        }
    }
}

/// The site path of one variant, as `gazette_site::media_key` stores it.
pub fn media_path(id: &str, width: u32, extension: &str) -> String {
    format!("/media/{id}/{width}.{extension}")
}

/// The cover above an article: its picture, caption and credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub picture: Picture,
    pub caption: String,
    pub credit: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_width_in_both_formats_and_a_middle_fallback() {
        let files = PictureFiles {
            id: "ab",
            width: 4000,
            height: 3000,
            widths: &[320, 640, 960, 1280, 1920],
            webp: true,
            colour: "#102030",
        };
        let p = Picture::new(&files, "Cầu", ARTICLE_SIZES, true);
        assert_eq!(
            p.srcset,
            "/media/ab/320.jpg 320w, /media/ab/640.jpg 640w, /media/ab/960.jpg 960w, /media/ab/1280.jpg 1280w, /media/ab/1920.jpg 1920w"
        );
        assert!(p.webp_srcset.starts_with("/media/ab/320.webp 320w"));
        assert_eq!(p.src, "/media/ab/960.jpg");
        let small = Picture::small(
            &PictureFiles {
                webp: false,
                ..files
            },
            640,
            "",
            CARD_SIZES,
        );
        assert_eq!(
            small.srcset,
            "/media/ab/320.jpg 320w, /media/ab/640.jpg 640w"
        );
        assert_eq!(small.webp_srcset, "");
        assert_eq!(small.src, "/media/ab/640.jpg");
        let tiny = Picture::small(
            &PictureFiles {
                widths: &[200],
                width: 200,
                height: 100,
                ..files
            },
            640,
            "",
            CARD_SIZES,
        );
        assert_eq!(tiny.src, "/media/ab/200.jpg");
    }
}
