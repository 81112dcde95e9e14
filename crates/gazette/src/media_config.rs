//! The media stage's settings: which widths pictures are stored in, how many are processed at once, and where they may be fetched from.

use gazette_media::VariantSettings;
use gazette_stages::MediaSettings;
use gazette_webhooks::AddressPolicy;

use crate::lookup::{ConfigError, Env};

pub(crate) fn media_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
) -> Result<MediaSettings, ConfigError> {
    let raw_widths = env.text("GAZETTE_MEDIA_WIDTHS")?;
    let widths = parse_widths(&raw_widths).ok_or_else(|| {
        env.invalid(
            "GAZETTE_MEDIA_WIDTHS",
            &raw_widths,
            "expected comma-separated widths in pixels between 16 and 8192, such as 320,640,960,1280,1920",
        )
    })?;
    let threads = match env.optional("GAZETTE_MEDIA_THREADS")? {
        None => MediaSettings::default().threads,
        Some(raw) => raw
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=256).contains(n))
            .ok_or_else(|| {
                env.invalid(
                    "GAZETTE_MEDIA_THREADS",
                    &raw,
                    "expected a whole number from 1 to 256",
                )
            })?,
    };
    let allowed_text = env
        .optional("GAZETTE_MEDIA_ALLOW_CIDRS")?
        .unwrap_or_default();
    let allowed = AddressPolicy::with_allowed(&allowed_text).map_err(|e| {
        env.invalid(
            "GAZETTE_MEDIA_ALLOW_CIDRS",
            &allowed_text,
            &format!(
                "{:?} is not a CIDR; expected a comma-separated list such as 10.1.0.0/16,fd00::/8",
                e.entry
            ),
        )
    })?;
    Ok(MediaSettings {
        allowed,
        fetch_timeout: env.duration("GAZETTE_MEDIA_FETCH_TIMEOUT")?,
        threads,
        variants: VariantSettings {
            widths,
            ..VariantSettings::default()
        },
    })
}

fn parse_widths(text: &str) -> Option<Vec<u32>> {
    let mut widths = text
        .split(',')
        .map(|w| {
            w.trim()
                .parse::<u32>()
                .ok()
                .filter(|w| (16..=8192).contains(w))
        })
        .collect::<Option<Vec<u32>>>()?;
    widths.sort_unstable();
    widths.dedup();
    (!widths.is_empty()).then_some(widths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_sorted_whole_pixels_in_range() {
        assert_eq!(parse_widths("640, 320,640"), Some(vec![320, 640]));
        for bad in ["", "320,", "0", "9000", "320px", "-1"] {
            assert_eq!(parse_widths(bad), None, "{bad}");
        }
    }
}
