//! The media crate's rules, on pictures made by `samples.rs`.

use image::{DynamicImage, ImageFormat, RgbImage};

use crate::samples::{
    GPS_MARKER, encode, jpeg, jpeg_with_exif, metadata_blocks, photo, pixel_at, png_bomb,
    png_with_alpha,
};
use crate::{FocalPoint, Limits, MediaError, VariantFormat, VariantSettings, inspect, process};

fn run(bytes: &[u8]) -> Result<crate::Processed, MediaError> {
    process(bytes, &Limits::DEFAULT, &VariantSettings::default(), None)
}

#[test]
fn an_exif_rotated_photo_comes_out_upright_and_without_any_metadata() {
    // Stored 1000×500, left half red; orientation 6 turns it clockwise, so
    // upright it is 500×1000 with the red half on top.
    let bytes = jpeg_with_exif(&photo(1000, 500, 1), 90);
    assert!(bytes.windows(GPS_MARKER.len()).any(|w| w == GPS_MARKER));
    let processed = run(&bytes).unwrap();
    assert_eq!((processed.width, processed.height), (500, 1000));
    let widths: Vec<(u32, VariantFormat)> = processed
        .variants
        .iter()
        .map(|v| (v.width, v.format))
        .collect();
    assert_eq!(
        widths,
        [(320, VariantFormat::WebP), (320, VariantFormat::Jpeg)],
        "only the widths up to its own"
    );
    for variant in &processed.variants {
        assert!(
            metadata_blocks(&variant.bytes).is_empty(),
            "{:?}",
            metadata_blocks(&variant.bytes)
        );
        assert!(
            !variant
                .bytes
                .windows(GPS_MARKER.len())
                .any(|w| w == GPS_MARKER)
        );
        assert!(!variant.bytes.windows(4).any(|w| w == b"Exif"));
        let ((w, h), top) = pixel_at(&variant.bytes, 160, 20).unwrap();
        assert_eq!((w, h), (variant.width, variant.height));
        assert_eq!(h, 640);
        let (_, bottom) = pixel_at(&variant.bytes, 160, 620).unwrap();
        assert!(top[0] > top[2] + 60, "top is the red half: {top:?}");
        assert!(
            bottom[2] > bottom[0] + 60,
            "bottom is the blue half: {bottom:?}"
        );
    }
}

#[test]
fn every_width_up_to_its_own_in_both_formats_never_upscaled() {
    let processed = run(&jpeg(&photo(1500, 1000, 2), 92)).unwrap();
    let mut jpeg_widths = Vec::new();
    let mut webp_widths = Vec::new();
    for v in &processed.variants {
        let ((w, h), _) = pixel_at(&v.bytes, 0, 0).unwrap();
        assert_eq!((w, h), (v.width, v.height));
        assert_eq!(h, (v.width * 1000 + 750) / 1500);
        match v.format {
            VariantFormat::Jpeg => jpeg_widths.push(v.width),
            VariantFormat::WebP => webp_widths.push(v.width),
        }
    }
    assert_eq!(jpeg_widths, [320, 640, 960, 1280]);
    assert_eq!(webp_widths, jpeg_widths);
    let small = run(&jpeg(&photo(200, 150, 3), 90)).unwrap();
    assert_eq!(
        (small.variants[0].width, small.variants[0].height),
        (200, 150)
    );
}

#[test]
fn webp_is_smaller_than_the_jpeg_it_stands_beside_or_left_out() {
    let processed = run(&jpeg(&photo(1400, 900, 4), 92)).unwrap();
    assert!(processed.has_webp());
    for pair in processed.variants.chunks(2) {
        let (webp, jpeg) = (&pair[0], &pair[1]);
        assert_eq!(
            (webp.format, jpeg.format),
            (VariantFormat::WebP, VariantFormat::Jpeg)
        );
        assert_eq!(webp.width, jpeg.width);
    }
    let webp: usize = processed
        .variants
        .iter()
        .filter(|v| v.format == VariantFormat::WebP)
        .map(|v| v.bytes.len())
        .sum();
    let jpeg: usize = processed
        .variants
        .iter()
        .filter(|v| v.format == VariantFormat::Jpeg)
        .map(|v| v.bytes.len())
        .sum();
    assert!(webp < jpeg, "{webp} against {jpeg}");
}

#[test]
fn alpha_survives_in_webp_and_becomes_white_in_jpeg() {
    let processed = run(&png_with_alpha(700, 400)).unwrap();
    let webp = processed
        .variants
        .iter()
        .find(|v| v.format == VariantFormat::WebP)
        .unwrap();
    let jpeg = processed
        .variants
        .iter()
        .find(|v| v.format == VariantFormat::Jpeg)
        .unwrap();
    let (_, corner) = pixel_at(&webp.bytes, 1, 1).unwrap();
    assert_eq!(corner[3], 0, "the clear ground stays clear");
    let (_, corner) = pixel_at(&jpeg.bytes, 1, 1).unwrap();
    assert!(corner[..3].iter().all(|c| *c > 245), "{corner:?}");
    let (_, centre) = pixel_at(&jpeg.bytes, 160, 91).unwrap();
    assert!(centre[2] > 180 && centre[0] < 60, "{centre:?}");
}

#[test]
fn a_bomb_is_refused_from_its_header() {
    let bomb = png_bomb(60_000, 60_000);
    assert!(bomb.len() < 200);
    assert!(matches!(
        inspect(&bomb, &Limits::DEFAULT),
        Err(MediaError::TooLong { .. })
    ));
    let wide = png_bomb(10_000, 10_000);
    assert!(matches!(
        run(&wide),
        Err(MediaError::TooManyPixels { width: 10_000, .. })
    ));
}

#[test]
fn what_is_not_a_usable_picture_says_what_it_is() {
    let html = b"<!DOCTYPE html><html><body>Not found</body></html>";
    assert_eq!(
        run(html),
        Err(MediaError::NotAnImage {
            looks_like: "an HTML page"
        })
    );
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    assert_eq!(run(svg), Err(MediaError::Svg));
    assert_eq!(
        run(b""),
        Err(MediaError::NotAnImage {
            looks_like: "empty"
        })
    );
    let mut tiff = b"II*\0".to_vec();
    tiff.resize(64, 0);
    assert_eq!(run(&tiff), Err(MediaError::Unsupported("Tiff".to_owned())));
    let tight = Limits {
        max_bytes: 10,
        ..Limits::DEFAULT
    };
    assert!(matches!(
        inspect(&tiff, &tight),
        Err(MediaError::TooLarge {
            bytes: 64,
            limit: 10
        })
    ));
}

#[test]
fn a_cut_off_file_is_refused_in_every_format() {
    let whole = jpeg(&photo(600, 400, 5), 90);
    let cut = &whole[..whole.len() * 2 / 3];
    assert!(
        matches!(run(cut), Err(MediaError::Undecodable(_))),
        "{:?}",
        run(cut).map(|p| p.width)
    );
    let png = encode(
        &DynamicImage::ImageRgb8(photo(300, 200, 6)),
        ImageFormat::Png,
    );
    let cut = &png[..png.len() / 2];
    assert!(matches!(run(cut), Err(MediaError::Undecodable(_))));
}

#[test]
fn gif_and_webp_sources_are_accepted() {
    for format in [ImageFormat::Gif, ImageFormat::WebP, ImageFormat::Png] {
        let bytes = encode(&DynamicImage::ImageRgb8(photo(400, 300, 7)), format);
        let processed = run(&bytes).unwrap();
        assert_eq!(
            (processed.width, processed.height),
            (400, 300),
            "{format:?}"
        );
        assert!(processed.variants.iter().any(|v| v.width == 320));
    }
}

#[test]
fn the_social_crop_is_1200_by_630_around_the_focal_point() {
    // Red on the left, blue on the right: a focal point far right keeps blue.
    let bytes = jpeg(&photo(4000, 1000, 8), 90);
    let settings = VariantSettings::default();
    let right = process(
        &bytes,
        &Limits::DEFAULT,
        &settings,
        Some(FocalPoint { x: 0.95, y: 0.5 }),
    )
    .unwrap();
    let social = right.social.unwrap();
    let ((w, h), pixel) = pixel_at(&social.bytes, 600, 315).unwrap();
    assert_eq!((w, h, social.width, social.height), (1200, 630, 1200, 630));
    assert!(pixel[2] > pixel[0], "{pixel:?}");
    let left = process(
        &bytes,
        &Limits::DEFAULT,
        &settings,
        Some(FocalPoint { x: 0.0, y: 0.5 }),
    )
    .unwrap();
    let (_, pixel) = pixel_at(&left.social.unwrap().bytes, 600, 315).unwrap();
    assert!(pixel[0] > pixel[2], "{pixel:?}");
    let small = process(
        &jpeg(&photo(600, 600, 9), 90),
        &Limits::DEFAULT,
        &settings,
        Some(FocalPoint::CENTRE),
    )
    .unwrap();
    let social = small.social.unwrap();
    assert_eq!(
        (social.width, social.height),
        (600, 315),
        "never upscaled, same shape"
    );
}

#[test]
fn the_same_bytes_and_settings_give_the_same_files_and_id() {
    let bytes = jpeg(&photo(700, 500, 10), 90);
    let (a, b) = (run(&bytes).unwrap(), run(&bytes).unwrap());
    assert_eq!(a, b);
    assert_eq!(a.id.len(), 64);
    let other = VariantSettings {
        jpeg_quality: 70,
        ..VariantSettings::default()
    };
    let c = process(&bytes, &Limits::DEFAULT, &other, None).unwrap();
    assert_ne!(a.id, c.id, "new settings, new keys");
    assert!(a.colour.starts_with('#') && a.colour.len() == 7);
}

#[test]
fn resizing_happens_in_linear_light() {
    // Alternating black and white columns average to 50 % light, which is
    // sRGB 188, not the 128 a gamma-blind resize gives.
    let stripes = RgbImage::from_fn(640, 64, |x, _| {
        if x % 2 == 0 {
            image::Rgb([0, 0, 0])
        } else {
            image::Rgb([255, 255, 255])
        }
    });
    let bytes = encode(&DynamicImage::ImageRgb8(stripes), ImageFormat::Png);
    let processed = run(&bytes).unwrap();
    let jpeg = processed
        .variants
        .iter()
        .find(|v| v.width == 320 && v.format == VariantFormat::Jpeg)
        .unwrap();
    let (_, grey) = pixel_at(&jpeg.bytes, 160, 16).unwrap();
    assert!((180..=196).contains(&grey[0]), "{grey:?}");
}

#[test]
fn the_colour_types_cameras_and_editors_write_all_come_out_as_rgb() {
    use image::{GrayAlphaImage, GrayImage, ImageBuffer, Rgb};
    let gray = GrayImage::from_fn(500, 300, |x, y| image::Luma([((x + y) % 256) as u8]));
    let gray_alpha = GrayAlphaImage::from_fn(500, 300, |x, _| image::LumaA([90, (x % 256) as u8]));
    let deep: ImageBuffer<Rgb<u16>, Vec<u16>> =
        ImageBuffer::from_fn(500, 300, |x, _| Rgb([(x * 100) as u16, 30_000, 60_000]));
    let mut cmyk = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut cmyk, 90);
    let ink: Vec<u8> = (0..500 * 300)
        .flat_map(|i| [(i % 200) as u8, 40, 80, 10])
        .collect();
    encoder
        .encode(&ink, 500, 300, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    let mut luma_jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut luma_jpeg, 90)
        .encode(gray.as_raw(), 500, 300, jpeg_encoder::ColorType::Luma)
        .unwrap();
    for (what, bytes) in [
        (
            "grey PNG",
            encode(&DynamicImage::ImageLuma8(gray), ImageFormat::Png),
        ),
        (
            "grey and alpha PNG",
            encode(&DynamicImage::ImageLumaA8(gray_alpha), ImageFormat::Png),
        ),
        (
            "16-bit PNG",
            encode(&DynamicImage::ImageRgb16(deep), ImageFormat::Png),
        ),
        ("CMYK JPEG", cmyk),
        ("grey JPEG", luma_jpeg),
    ] {
        let processed = run(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!((processed.width, processed.height), (500, 300), "{what}");
        for v in &processed.variants {
            assert_eq!(
                pixel_at(&v.bytes, 0, 0).map(|(size, _)| size),
                Some((v.width, v.height)),
                "{what}"
            );
        }
    }
}
