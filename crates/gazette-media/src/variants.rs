//! An image's variants: every width up to its own in WebP and JPEG, resized in linear light, the social card's crop, and its dominant colour.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;

use crate::decode::{Pixels, decode};
use crate::{Limits, MediaError, VariantSettings, image_id, inspect};

/// Social cards (Open Graph, Twitter's large card) are 1200×630.
pub const SOCIAL_SIZE: (u32, u32) = (1200, 630);

/// The point of a picture that a crop keeps, in fractions of its width and
/// height from the top left (0.5, 0.5 is the centre).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FocalPoint {
    pub x: f64,
    pub y: f64,
}

impl FocalPoint {
    pub const CENTRE: Self = Self { x: 0.5, y: 0.5 };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VariantFormat {
    Jpeg,
    WebP,
}

impl VariantFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::WebP => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::WebP => "image/webp",
        }
    }
}

/// One encoded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub format: VariantFormat,
    pub bytes: Vec<u8>,
}

/// Everything made from one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// [`image_id`]: its bytes and the settings.
    pub id: String,
    /// Upright: after EXIF orientation.
    pub width: u32,
    pub height: u32,
    /// `#rrggbb`, the mean colour in linear light: a placeholder while
    /// the picture loads.
    pub colour: String,
    /// Every width in both formats, smallest first; WebP is left out
    /// altogether when it came out larger than the JPEG.
    pub variants: Vec<Variant>,
    /// The 1200×630 crop around the focal point, when one was asked for.
    pub social: Option<Variant>,
}

impl Processed {
    /// Whether the WebP variants were kept.
    pub fn has_webp(&self) -> bool {
        self.variants
            .iter()
            .any(|v| v.format == VariantFormat::WebP)
    }
}

/// Decodes `bytes` and makes every variant, and the social crop around
/// `social` when given. The only allocation the size of the original is
/// the decoded picture and its linear-light copy; every other buffer is
/// the size of a variant.
pub fn process(
    bytes: &[u8],
    limits: &Limits,
    settings: &VariantSettings,
    social: Option<FocalPoint>,
) -> Result<Processed, MediaError> {
    let inspected = inspect(bytes, limits)?;
    let Pixels { image, has_alpha } = decode(bytes, &inspected, limits)?;
    let (width, height) = (image.width(), image.height());
    let linear = to_linear(image, has_alpha)?;
    let mut resizer = Resizer::new();
    let mut variants = Vec::new();
    let widths = settings.widths_for(width);
    // Largest first, each smaller width from the one before: sharper than
    // one jump from the original and far cheaper for a large photo.
    let mut previous: Option<Image<'static>> = None;
    for &target in widths.iter().rev() {
        let target_height = scaled_height(width, height, target);
        let source = previous.as_ref().unwrap_or(&linear);
        let resized = resize(&mut resizer, source, target, target_height, None)?;
        let srgb = from_linear(&resized)?;
        let jpeg = encode_jpeg(&srgb, has_alpha, settings.jpeg_quality)?;
        let webp = encode_webp(&srgb, has_alpha, settings.webp_quality)?;
        variants.push((target, target_height, jpeg, webp));
        previous = Some(resized);
    }
    let smallest = previous;
    variants.reverse();
    let webp_total: usize = variants.iter().map(|v| v.3.len()).sum();
    let jpeg_total: usize = variants.iter().map(|v| v.2.len()).sum();
    let keep_webp = webp_total < jpeg_total;
    let variants = variants
        .into_iter()
        .flat_map(|(width, height, jpeg, webp)| {
            let webp = keep_webp.then_some(Variant {
                width,
                height,
                format: VariantFormat::WebP,
                bytes: webp,
            });
            webp.into_iter().chain(std::iter::once(Variant {
                width,
                height,
                format: VariantFormat::Jpeg,
                bytes: jpeg,
            }))
        })
        .collect();
    let colour = mean_colour(&mut resizer, smallest.as_ref().unwrap_or(&linear))?;
    let social = match social {
        Some(focal) => Some(social_crop(
            &mut resizer,
            &linear,
            has_alpha,
            focal,
            settings,
        )?),
        None => None,
    };
    Ok(Processed {
        id: image_id(bytes, settings),
        width,
        height,
        colour,
        variants,
        social,
    })
}

fn scaled_height(width: u32, height: u32, target: u32) -> u32 {
    let scaled = (u64::from(height) * u64::from(target) + u64::from(width) / 2) / u64::from(width);
    u32::try_from(scaled.max(1)).unwrap_or(u32::MAX)
}

fn failed(e: impl std::fmt::Display) -> MediaError {
    MediaError::Encode(e.to_string())
}

/// The sRGB ⇄ linear tables, built once per process rather than twice per
/// variant (the 16-bit direction is 65,536 `powf`s).
static SRGB: std::sync::LazyLock<fast_image_resize::PixelComponentMapper> =
    std::sync::LazyLock::new(fast_image_resize::create_srgb_mapper);

/// sRGB bytes to 16-bit linear light (alpha, where present, is not a colour and stays as it is).
fn to_linear(image: DynamicImage, has_alpha: bool) -> Result<Image<'static>, MediaError> {
    let (width, height) = (image.width(), image.height());
    let (bytes, from, to) = match has_alpha {
        true => (
            image.into_rgba8().into_raw(),
            PixelType::U8x4,
            PixelType::U16x4,
        ),
        false => (
            image.into_rgb8().into_raw(),
            PixelType::U8x3,
            PixelType::U16x3,
        ),
    };
    let source = Image::from_vec_u8(width, height, bytes, from).map_err(failed)?;
    let mut linear = Image::new(width, height, to);
    SRGB.forward_map(&source, &mut linear).map_err(failed)?;
    Ok(linear)
}

fn from_linear(linear: &Image<'_>) -> Result<Image<'static>, MediaError> {
    let to = match linear.pixel_type() {
        PixelType::U16x4 => PixelType::U8x4,
        _ => PixelType::U8x3,
    };
    let mut srgb = Image::new(linear.width(), linear.height(), to);
    SRGB.backward_map(linear, &mut srgb).map_err(failed)?;
    Ok(srgb)
}

/// `crop` is `(left, top, width, height)` in the source's pixels.
fn resize(
    resizer: &mut Resizer,
    source: &Image<'_>,
    width: u32,
    height: u32,
    crop: Option<(f64, f64, f64, f64)>,
) -> Result<Image<'static>, MediaError> {
    let mut target = Image::new(width, height, source.pixel_type());
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if let Some((left, top, w, h)) = crop {
        options = options.crop(left, top, w, h);
    }
    resizer
        .resize(source, &mut target, &options)
        .map_err(failed)?;
    Ok(target)
}

/// RGB for the JPEG: with alpha, composited over white, the page's background.
fn opaque_rgb(srgb: &Image<'_>, has_alpha: bool) -> Vec<u8> {
    if !has_alpha {
        return srgb.buffer().to_vec();
    }
    srgb.buffer()
        .chunks_exact(4)
        .flat_map(|p| {
            let alpha = u16::from(p[3]);
            let over_white =
                |c: u8| ((u16::from(c) * alpha + 255 * (255 - alpha) + 127) / 255) as u8;
            [over_white(p[0]), over_white(p[1]), over_white(p[2])]
        })
        .collect()
}

fn encode_jpeg(srgb: &Image<'_>, has_alpha: bool, quality: u8) -> Result<Vec<u8>, MediaError> {
    let rgb = opaque_rgb(srgb, has_alpha);
    let (width, height) = (side16(srgb.width())?, side16(srgb.height())?);
    let mut out = Vec::with_capacity(rgb.len() / 8);
    let encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    // Not `set_optimized_huffman_tables`: jpeg-encoder 0.7.1's optimised
    // tables decode as solid green in zune-jpeg, so the 5 % it would save
    // is not worth a picture some decoder shows wrong.
    encoder
        .encode(&rgb, width, height, jpeg_encoder::ColorType::Rgb)
        .map_err(failed)?;
    Ok(out)
}

fn side16(side: u32) -> Result<u16, MediaError> {
    u16::try_from(side)
        .map_err(|_| MediaError::Encode(format!("{side} pixels is too wide for JPEG")))
}

fn encode_webp(srgb: &Image<'_>, has_alpha: bool, quality: u8) -> Result<Vec<u8>, MediaError> {
    let layout = match has_alpha {
        true => webp::PixelLayout::Rgba,
        false => webp::PixelLayout::Rgb,
    };
    let encoder = webp::Encoder::new(srgb.buffer(), layout, srgb.width(), srgb.height());
    let mut config = webp::WebPConfig::new()
        .map_err(|()| MediaError::Encode("libwebp refused its defaults".to_owned()))?;
    config.quality = f32::from(quality);
    config.alpha_compression = 1;
    let encoded = encoder
        .encode_advanced(&config)
        .map_err(|e| MediaError::Encode(format!("libwebp: {e:?}")))?;
    Ok(encoded.to_vec())
}

/// The mean in linear light, as `#rrggbb`.
fn mean_colour(resizer: &mut Resizer, linear: &Image<'_>) -> Result<String, MediaError> {
    let mut one = Image::new(1, 1, linear.pixel_type());
    resizer
        .resize(
            linear,
            &mut one,
            &ResizeOptions::new()
                .resize_alg(ResizeAlg::Convolution(FilterType::Box))
                .use_alpha(false),
        )
        .map_err(failed)?;
    let srgb = from_linear(&one)?;
    let p = srgb.buffer();
    Ok(format!("#{:02x}{:02x}{:02x}", p[0], p[1], p[2]))
}

/// The size of the social crop of an upright `width`×`height` picture:
/// 1200×630, or the largest window of that shape the picture holds.
pub fn social_size(width: u32, height: u32) -> (u32, u32) {
    let (crop_w, _) = social_window(f64::from(width), f64::from(height));
    let out_w = (crop_w.floor() as u32).clamp(1, SOCIAL_SIZE.0);
    (out_w, scaled_height(SOCIAL_SIZE.0, SOCIAL_SIZE.1, out_w))
}

/// The largest window of the social card's shape a `width`×`height` picture holds.
fn social_window(width: f64, height: f64) -> (f64, f64) {
    let aspect = f64::from(SOCIAL_SIZE.0) / f64::from(SOCIAL_SIZE.1);
    if width / height > aspect {
        (height * aspect, height)
    } else {
        (width, width / aspect)
    }
}

/// The largest 1200:630 window that fits, centred on the focal point as
/// far as the edges allow, scaled down to 1200×630 (never up: a smaller
/// picture gives a smaller card of the same shape).
fn social_crop(
    resizer: &mut Resizer,
    linear: &Image<'_>,
    has_alpha: bool,
    focal: FocalPoint,
    settings: &VariantSettings,
) -> Result<Variant, MediaError> {
    let (width, height) = (f64::from(linear.width()), f64::from(linear.height()));
    let (crop_w, crop_h) = social_window(width, height);
    let centre = |focal: f64, side: f64, window: f64| {
        (focal.clamp(0.0, 1.0) * side - window / 2.0).clamp(0.0, side - window)
    };
    let left = centre(focal.x, width, crop_w);
    let top = centre(focal.y, height, crop_h);
    let (out_w, out_h) = social_size(linear.width(), linear.height());
    let resized = resize(
        resizer,
        linear,
        out_w,
        out_h,
        Some((left, top, crop_w, crop_h)),
    )?;
    let srgb = from_linear(&resized)?;
    Ok(Variant {
        width: out_w,
        height: out_h,
        format: VariantFormat::Jpeg,
        bytes: encode_jpeg(&srgb, has_alpha, settings.jpeg_quality)?,
    })
}
