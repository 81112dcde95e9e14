//! Vietnamese-aware URL slugs: diacritics folded, đ→d, ASCII only.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Slugs are cut at a word boundary at or below this many characters, which
/// keeps keys readable and well inside S3's 1024-byte key limit.
pub const MAX_SLUG_CHARS: usize = 80;

/// The ways a title has been turned into a slug, oldest first.
///
/// A page's address is for ever, so a rule is never changed in place: a new
/// rule is a new variant. Titles give new articles, and retitled ones, a
/// slug under [`SlugRule::CURRENT`]; an article whose title has not changed
/// keeps the page it was given under an older rule (the registry knows it
/// owns that key, and the render stage asks it first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SlugRule {
    /// Marks dropped after NFD, `đ`→`d` by hand, any other letter outside
    /// ASCII a word break: `Ðảng` (with U+00D0 ETH, as text converted from
    /// VNI and TCVN3 often has) lost its first letter, `Straße` became
    /// `stra-e`.
    Folded = 1,
    /// As [`SlugRule::Folded`], then every other letter or digit outside
    /// ASCII transliterated (`Ð`→`d`, `ß`→`ss`, `Ø`→`o`, `Ł`→`l`, `Æ`→`ae`);
    /// symbols and emoji stay word breaks.
    Transliterated = 2,
}

impl SlugRule {
    /// The rule for new articles and retitles.
    pub const CURRENT: SlugRule = SlugRule::Transliterated;
    /// Every rule, oldest first.
    pub const ALL: [SlugRule; 2] = [SlugRule::Folded, SlugRule::Transliterated];

    /// The rules before [`SlugRule::CURRENT`], newest first: the order in
    /// which an unchanged title's existing page is looked for.
    pub fn older() -> impl Iterator<Item = SlugRule> {
        Self::ALL
            .into_iter()
            .rev()
            .filter(|rule| *rule != Self::CURRENT)
    }
}

/// `"Hội nghị lần thứ 14"` → `"hoi-nghi-lan-thu-14"`, under
/// [`SlugRule::CURRENT`].
///
/// May return an empty string (a title of only symbols); the caller decides
/// what that means.
pub fn slugify(title: &str) -> String {
    slugify_with(SlugRule::CURRENT, title)
}

/// The slug `rule` gives `title`.
///
/// Decomposes to NFD and drops the combining marks, which folds every
/// Vietnamese tone and vowel mark. `đ`/`Đ` is a letter of its own, not a `d`
/// with a mark, so it is mapped by hand. What else is not an ASCII letter or
/// digit separates words, or under [`SlugRule::Transliterated`] is spelt in
/// ASCII first when it is a letter or a digit.
pub fn slugify_with(rule: SlugRule, title: &str) -> String {
    let mut words = SlugWriter::default();
    for c in title.nfd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'đ' | 'Đ' => words.push('d'),
            c if c.is_ascii() => words.push(c),
            c if rule >= SlugRule::Transliterated && c.is_alphanumeric() => {
                match deunicode::deunicode_char(c) {
                    // Some letters spell as several words ("Bei Jing ");
                    // their spaces become dashes like any other.
                    Some(ascii) => ascii.chars().for_each(|a| words.push(a)),
                    None => words.push(' '),
                }
            }
            _ => words.push(' '),
        }
    }
    truncate_at_word(words.slug, MAX_SLUG_CHARS)
}

/// Lower-case ASCII letters and digits, one dash between runs of them.
#[derive(Default)]
struct SlugWriter {
    slug: String,
    pending_dash: bool,
}

impl SlugWriter {
    fn push(&mut self, c: char) {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            if self.pending_dash && !self.slug.is_empty() {
                self.slug.push('-');
            }
            self.pending_dash = false;
            self.slug.push(c);
        } else {
            self.pending_dash = true;
        }
    }
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
#[path = "slug_tests.rs"]
mod tests;
