//! Pictures as pure work, and Gazette's only door to the image codecs and the resizer: bytes in, stripped, oriented sRGB variants out.
//!
//! Nothing here does I/O or trusts what the bytes claim to be: the format
//! is sniffed from the bytes (`decode.rs`), the dimensions are read from the
//! header and judged before a single pixel is allocated, and every output
//! is encoded afresh from pixels, so no metadata of the original (EXIF GPS,
//! comments, ICC profiles) can reach a reader. Resizing happens in linear
//! light (`variants.rs`): averaging sRGB values darkens fine detail.
//!
//! The work is CPU-bound and synchronous; callers run it on a bounded pool
//! of their own, never on async workers.

mod decode;
#[cfg(any(test, feature = "samples"))]
pub mod samples;
mod variants;

pub use decode::{Inspected, SourceFormat, inspect};
pub use variants::{
    FocalPoint, Processed, SOCIAL_SIZE, Variant, VariantFormat, process, social_size,
};

use sha2::{Digest, Sha256};

/// What the media stage accepts. Checked in this order: bytes while
/// fetching, then the header's dimensions, before any pixel is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes one image may have as fetched.
    pub max_bytes: usize,
    /// The most pixels (width × height) one image may have.
    pub max_pixels: u64,
    /// The longest side one image may have.
    pub max_side: u32,
}

impl Limits {
    /// 20 MiB, 50 megapixels (a 24 MP camera's photo with room to spare),
    /// 16,384 pixels a side: what `schemas/article.v1.json` documents.
    pub const DEFAULT: Self = Self {
        max_bytes: 20 * 1024 * 1024,
        max_pixels: 50_000_000,
        max_side: 16_384,
    };
}

/// Which variants each image gets. Part of every variant's key, so a
/// change here gives new keys and never rewrites an immutable object.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantSettings {
    /// Widths to produce, each only where the image is at least that wide.
    pub widths: Vec<u32>,
    pub jpeg_quality: u8,
    pub webp_quality: u8,
}

impl Default for VariantSettings {
    fn default() -> Self {
        Self {
            widths: vec![320, 640, 960, 1280, 1920],
            jpeg_quality: 80,
            webp_quality: 78,
        }
    }
}

impl VariantSettings {
    /// The settings as text, hashed into every image's id. Bump the
    /// leading version when the encoding changes in a way the numbers do
    /// not show (a new resize filter, say).
    pub fn fingerprint(&self) -> String {
        let widths: Vec<String> = self.widths.iter().map(u32::to_string).collect();
        format!(
            "v1;w={};jq={};wq={}",
            widths.join(","),
            self.jpeg_quality,
            self.webp_quality
        )
    }

    /// The widths an image `width` pixels wide gets: every configured width
    /// up to its own, never upscaled; an image narrower than the smallest
    /// gets its own width alone.
    pub fn widths_for(&self, width: u32) -> Vec<u32> {
        let mut widths: Vec<u32> = self
            .widths
            .iter()
            .copied()
            .filter(|w| *w <= width && *w > 0)
            .collect();
        widths.sort_unstable();
        widths.dedup();
        if widths.is_empty() {
            widths.push(width);
        }
        widths
    }
}

/// An image's id: SHA-256 of its bytes' digest and the variant settings,
/// so the same photo under the same settings always lands under the same
/// keys, whichever article or URL brought it.
pub fn image_id(bytes: &[u8], settings: &VariantSettings) -> String {
    image_id_of(&original_digest(bytes), settings)
}

/// SHA-256 of a picture's bytes as fetched: names the original kept in
/// the archive.
pub fn original_digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The id the picture with this [`original_digest`] has under `settings`:
/// a rebuild tells from it, without the bytes, whether the stored
/// variants were made under other settings.
pub fn image_id_of(digest: &str, settings: &VariantSettings) -> String {
    let mut hash = Sha256::new();
    hash.update(settings.fingerprint().as_bytes());
    hash.update([0]);
    hash.update(digest.as_bytes());
    hex::encode(hash.finalize())
}

/// Why an image cannot be used. Every variant is permanent: the same bytes
/// fail the same way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("is not an image ({looks_like}); only JPEG, PNG, WebP and GIF are accepted")]
    NotAnImage { looks_like: &'static str },
    #[error(
        "is an SVG; Gazette does not rasterise vector images, which can carry scripts: export it as PNG or JPEG"
    )]
    Svg,
    #[error("is {0}, which Gazette does not accept; only JPEG, PNG, WebP and GIF are")]
    Unsupported(String),
    #[error("is {width}×{height} pixels, more than the {limit} allowed")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("is {width}×{height} pixels; no side may pass {limit}")]
    TooLong { width: u32, height: u32, limit: u32 },
    #[error("is {bytes} bytes, more than the {limit} allowed")]
    TooLarge { bytes: usize, limit: usize },
    #[error("cannot be decoded: {0}")]
    Undecodable(String),
    #[error("cannot be encoded: {0}")]
    Encode(String),
}

impl MediaError {
    /// A short, stable reason for metrics and dead-letter headers.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotAnImage { .. } => "not-an-image",
            Self::Svg => "svg",
            Self::Unsupported(_) => "unsupported-format",
            Self::TooManyPixels { .. } | Self::TooLong { .. } => "too-many-pixels",
            Self::TooLarge { .. } => "too-large",
            Self::Undecodable(_) => "undecodable",
            Self::Encode(_) => "encode",
        }
    }
}

#[cfg(test)]
mod tests;
