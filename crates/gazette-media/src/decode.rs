//! What the bytes really are, judged before decoding; then the pixels, upright and in sRGB.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::{Limits, MediaError};

/// The formats Gazette accepts, as sniffed from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Jpeg,
    Png,
    WebP,
    /// Only the first frame is used.
    Gif,
}

/// An image's format and size, read from its header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspected {
    pub format: SourceFormat,
    /// As stored, before EXIF orientation.
    pub width: u32,
    pub height: u32,
}

/// Sniffs the format and reads the dimensions without decoding pixels, and
/// refuses what is not accepted or too big. The extension and the
/// Content-Type the server sent are never asked.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Inspected, MediaError> {
    if bytes.len() > limits.max_bytes {
        return Err(MediaError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let format = sniff(bytes)?;
    let decoder = reader(bytes, format)
        .into_decoder()
        .map_err(|e| MediaError::Undecodable(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    judge_size(width, height, limits)?;
    Ok(Inspected {
        format,
        width,
        height,
    })
}

fn judge_size(width: u32, height: u32, limits: &Limits) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::Undecodable(format!(
            "its header says {width}×{height} pixels"
        )));
    }
    if width.max(height) > limits.max_side {
        return Err(MediaError::TooLong {
            width,
            height,
            limit: limits.max_side,
        });
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

fn sniff(bytes: &[u8]) -> Result<SourceFormat, MediaError> {
    let head = &bytes[..bytes.len().min(1024)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.contains("<svg") {
        return Err(MediaError::Svg);
    }
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(SourceFormat::Jpeg),
        Ok(ImageFormat::Png) => Ok(SourceFormat::Png),
        Ok(ImageFormat::WebP) => Ok(SourceFormat::WebP),
        Ok(ImageFormat::Gif) => Ok(SourceFormat::Gif),
        Ok(other) => Err(MediaError::Unsupported(format!("{other:?}"))),
        Err(_) => Err(MediaError::NotAnImage {
            looks_like: looks_like(text),
        }),
    }
}

/// A word for the editor about what came back instead of a picture.
fn looks_like(text: &str) -> &'static str {
    if text.starts_with("<!doctype html") || text.starts_with("<html") || text.contains("<body") {
        "an HTML page"
    } else if text.starts_with('{') || text.starts_with('[') {
        "JSON"
    } else if text.starts_with("<?xml") || text.starts_with('<') {
        "markup"
    } else if text.is_empty() {
        "empty"
    } else {
        "unknown bytes"
    }
}

fn reader(bytes: &[u8], format: SourceFormat) -> ImageReader<Cursor<&[u8]>> {
    let format = match format {
        SourceFormat::Jpeg => ImageFormat::Jpeg,
        SourceFormat::Png => ImageFormat::Png,
        SourceFormat::WebP => ImageFormat::WebP,
        SourceFormat::Gif => ImageFormat::Gif,
    };
    ImageReader::with_format(Cursor::new(bytes), format)
}

/// The decoded picture: upright, sRGB, 8 bits, with alpha only where the
/// source has it.
#[derive(Debug)]
pub(crate) struct Pixels {
    pub image: DynamicImage,
    pub has_alpha: bool,
}

/// Decodes `bytes`, already [`inspect`]ed, under the same limits.
pub(crate) fn decode(
    bytes: &[u8],
    inspected: &Inspected,
    limits: &Limits,
) -> Result<Pixels, MediaError> {
    let undecodable = |e: image::ImageError| MediaError::Undecodable(e.to_string());
    if inspected.format == SourceFormat::Jpeg && !ends_like_a_jpeg(bytes) {
        // The decoder fills a cut-off scan with grey rather than failing:
        // a truncated upload would be published half grey.
        return Err(MediaError::Undecodable(
            "the file is cut off (no end-of-image marker)".to_owned(),
        ));
    }
    let mut decoder = reader(bytes, inspected.format)
        .into_decoder()
        .map_err(undecodable)?;
    let (width, height) = decoder.dimensions();
    judge_size(width, height, limits)?;
    let mut allocation = image::Limits::default();
    allocation.max_image_width = Some(limits.max_side);
    allocation.max_image_height = Some(limits.max_side);
    // RGBA at 16 bits is the most any accepted decoder allocates per pixel.
    allocation.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    decoder.set_limits(allocation).map_err(undecodable)?;
    let orientation = decoder.orientation().map_err(undecodable)?;
    // A broken profile is no reason to refuse the picture: it is then read as sRGB.
    let profile = decoder.icc_profile().ok().flatten();
    let has_alpha = decoder.color_type().has_alpha();
    let mut image = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    image.apply_orientation(orientation);
    let mut image = if has_alpha {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };
    if let Some(profile) = profile {
        to_srgb(&mut image, &profile);
    }
    Ok(Pixels { image, has_alpha })
}

/// A JPEG ends with FFD9; cameras and editors sometimes pad after it.
fn ends_like_a_jpeg(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(2).any(|pair| pair == [0xFF, 0xD9])
}

/// Converts pixels from their embedded profile to sRGB, in place. An sRGB
/// profile converts to itself; a profile moxcms cannot read is left alone.
fn to_srgb(image: &mut DynamicImage, icc: &[u8]) {
    use moxcms::{ColorProfile, Layout, TransformOptions};
    let Ok(source) = ColorProfile::new_from_slice(icc) else {
        return;
    };
    let srgb = ColorProfile::new_srgb();
    let (layout, pixels) = match image {
        DynamicImage::ImageRgb8(buffer) => (Layout::Rgb, buffer.as_mut()),
        DynamicImage::ImageRgba8(buffer) => (Layout::Rgba, buffer.as_mut()),
        _ => return,
    };
    let Ok(transform) =
        source.create_transform_8bit(layout, &srgb, layout, TransformOptions::default())
    else {
        return;
    };
    // In slices, so a 24 MP photo does not need a second full copy.
    let channels = if layout == Layout::Rgb { 3 } else { 4 };
    let slice = channels * 64 * 1024;
    let mut converted = vec![0u8; slice];
    for chunk in pixels.chunks_mut(slice) {
        let out = &mut converted[..chunk.len()];
        if transform.transform(chunk, out).is_ok() {
            chunk.copy_from_slice(out);
        }
    }
}
