//! Vietnamese-aware URL slugs: diacritics folded, đ→d, ASCII only.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Slugs are cut at a word boundary at or below this many characters, which
/// keeps keys readable and well inside S3's 1024-byte key limit.
pub const MAX_SLUG_CHARS: usize = 80;

/// `"Hội nghị lần thứ 14"` → `"hoi-nghi-lan-thu-14"`.
///
/// Decomposes to NFD and drops the combining marks, which folds every
/// Vietnamese tone and vowel mark. `đ`/`Đ` is a letter of its own, not a `d`
/// with a mark, so it is mapped by hand. Anything else that is not an ASCII
/// letter or digit separates words. May return an empty string (a title of
/// only symbols); the caller decides what that means.
pub fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    let mut pending_dash = false;
    for c in title.nfd().filter(|c| !is_combining_mark(*c)) {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c);
        } else {
            pending_dash = true;
        }
    }
    truncate_at_word(slug, MAX_SLUG_CHARS)
}

fn truncate_at_word(slug: String, max: usize) -> String {
    if slug.len() <= max {
        return slug;
    }
    // The slug is ASCII, so byte offsets are character offsets.
    let cut = &slug[..max];
    match cut.rfind('-') {
        Some(dash) if dash > 0 => cut[..dash].to_owned(),
        _ => cut.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(slugify("Hội nghị lần thứ 14"), "hoi-nghi-lan-thu-14");
        assert_eq!(slugify("Đảng bộ quận"), "dang-bo-quan");
        assert_eq!(slugify("  Ưu tiên -- phát triển!! "), "uu-tien-phat-trien");
    }

    #[test]
    fn decomposed_input_gives_the_same_slug() {
        assert_eq!(slugify("Ho\u{0302}\u{0323}i nghi\u{0323}"), "hoi-nghi");
    }

    #[test]
    fn the_example_title() {
        assert_eq!(
            slugify(
                "Hội nghị lần thứ 14 - Ban chấp hành Đảng bộ quận khóa III, nhiệm kỳ 2020 - 2025"
            ),
            "hoi-nghi-lan-thu-14-ban-chap-hanh-dang-bo-quan-khoa-iii-nhiem-ky-2020-2025"
        );
    }

    #[test]
    fn long_titles_are_cut_at_a_word() {
        let slug = slugify(&"phát triển ".repeat(20));
        assert!(slug.len() <= MAX_SLUG_CHARS, "{slug}");
        assert!(slug.ends_with("trien"), "{slug}");
    }

    #[test]
    fn symbols_only_give_an_empty_slug() {
        assert_eq!(slugify("!!! — ???"), "");
    }
}
