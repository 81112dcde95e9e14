//! Pictures made on the spot for tests and the benchmark: photos, EXIF with GPS, alpha, bombs, cut-off files, and readers for what the outputs carry.
//!
//! Compiled for this crate's tests and behind the `samples` feature, which
//! only the test kit and the bench turn on: they make their pictures
//! through here, so the codecs keep one door.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};

/// A photo-like picture: smooth light, texture and grain, so encoders
/// meet what a camera gives rather than flat colour. The left half leans
/// red and the right half blue, so an orientation can be checked.
pub fn photo(width: u32, height: u32, seed: u32) -> RgbImage {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    RgbImage::from_fn(width, height, |x, y| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let grain = (state >> 24) as i32 % 24 - 12;
        let fx = f64::from(x) / f64::from(width.max(1));
        let fy = f64::from(y) / f64::from(height.max(1));
        let texture = ((fx * 40.0).sin() * (fy * 25.0).cos() * 30.0) as i32;
        let light = (fy * 90.0) as i32;
        let (r, b) = if fx < 0.5 { (200, 40) } else { (40, 200) };
        let channel = |base: i32| (base + texture + grain - light / 2).clamp(0, 255) as u8;
        image::Rgb([channel(r), channel(110), channel(b)])
    })
}

/// `picture` as a JPEG.
pub fn jpeg(picture: &RgbImage, quality: u8) -> Vec<u8> {
    jpeg_with_app1(picture, quality, None)
}

/// `picture` as a JPEG whose EXIF says it must be turned (orientation 6:
/// rotate 90° clockwise to view) and where it was taken (GPS 21°1'30"N).
pub fn jpeg_with_exif(picture: &RgbImage, quality: u8) -> Vec<u8> {
    jpeg_with_app1(picture, quality, Some(exif_orientation_6_with_gps()))
}

fn jpeg_with_app1(picture: &RgbImage, quality: u8, app1: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    if let Some(app1) = app1 {
        // Fails only for a segment over 64 KiB, which this one is not.
        let _ = encoder.add_app_segment(1, app1);
    }
    let (w, h) = (picture.width() as u16, picture.height() as u16);
    let _ = encoder.encode(picture.as_raw(), w, h, jpeg_encoder::ColorType::Rgb);
    out
}

/// The GPS latitude's degrees, as the EXIF block spells them: what a test
/// looks for in outputs.
pub const GPS_MARKER: &[u8] = b"GazetteGPSMarker";

fn exif_orientation_6_with_gps() -> Vec<u8> {
    let mut tiff: Vec<u8> = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut e = tag.to_le_bytes().to_vec();
        e.extend(kind.to_le_bytes());
        e.extend(count.to_le_bytes());
        e.extend(value.to_le_bytes());
        e
    };
    // IFD0 at 8: orientation, the GPS IFD and a description, 3 entries.
    let ifd0_len = 2 + 3 * 12 + 4;
    let gps_at = 8 + ifd0_len;
    let gps_len = 2 + 2 * 12 + 4;
    let latitude_at = gps_at + gps_len;
    let marker_at = latitude_at + 24;
    tiff.extend(3u16.to_le_bytes());
    tiff.extend(entry(0x0112, 3, 1, 6));
    tiff.extend(entry(
        0x010E,
        2,
        GPS_MARKER.len() as u32 + 1,
        marker_at as u32,
    ));
    tiff.extend(entry(0x8825, 4, 1, gps_at as u32));
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(entry(0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")));
    tiff.extend(entry(0x0002, 5, 3, latitude_at as u32));
    tiff.extend(0u32.to_le_bytes());
    for (numerator, denominator) in [(21u32, 1u32), (1, 1), (30, 1)] {
        tiff.extend(numerator.to_le_bytes());
        tiff.extend(denominator.to_le_bytes());
    }
    tiff.extend(GPS_MARKER);
    tiff.push(0);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    app1
}

/// A PNG with real transparency: an opaque disc on a clear ground.
pub fn png_with_alpha(width: u32, height: u32) -> Vec<u8> {
    let (cx, cy, r) = (
        width as f64 / 2.0,
        height as f64 / 2.0,
        width.min(height) as f64 / 3.0,
    );
    let picture = RgbaImage::from_fn(width, height, |x, y| {
        let d = ((f64::from(x) - cx).powi(2) + (f64::from(y) - cy).powi(2)).sqrt();
        if d < r {
            image::Rgba([20, 120, 220, 255])
        } else {
            image::Rgba([0, 0, 0, 0])
        }
    });
    encode(&DynamicImage::ImageRgba8(picture), ImageFormat::Png)
}

/// `picture` in `format` (PNG, GIF or WebP lossless, as image writes them).
pub fn encode(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let _ = picture.write_to(&mut out, format);
    out.into_inner()
}

/// A decompression bomb: a valid small PNG whose header claims
/// `width`×`height` pixels.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut png = encode(
        &DynamicImage::ImageRgb8(RgbImage::new(8, 8)),
        ImageFormat::Png,
    );
    // IHDR's data starts after the signature (8), length (4) and type (4).
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// What metadata a JPEG or WebP output carries: the names of its APPn
/// segments or RIFF chunks other than the picture itself.
pub fn metadata_blocks(bytes: &[u8]) -> Vec<String> {
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        let mut found = Vec::new();
        let mut at = 12;
        while at + 8 <= bytes.len() {
            let name = String::from_utf8_lossy(&bytes[at..at + 4]).into_owned();
            let len =
                u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]])
                    as usize;
            if !matches!(name.as_str(), "VP8 " | "VP8L" | "VP8X" | "ALPH") {
                found.push(name);
            }
            at += 8 + len + (len & 1);
        }
        return found;
    }
    let mut found = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        // APP0 (JFIF) says only the pixel density; every other APPn and
        // COM carries metadata.
        if (0xE1..=0xEF).contains(&marker) || marker == 0xFE {
            found.push(format!("APP{:X}", marker.wrapping_sub(0xE0)));
        }
        at += 2 + len;
    }
    found
}

/// Decodes any output for checking: its size and the pixel at (x, y).
pub fn pixel_at(bytes: &[u8], x: u32, y: u32) -> Option<((u32, u32), [u8; 4])> {
    let picture = image::load_from_memory(bytes).ok()?.into_rgba8();
    let size = picture.dimensions();
    let pixel = picture.get_pixel_checked(x, y)?.0;
    Some((size, pixel))
}
