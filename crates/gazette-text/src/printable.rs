//! Characters that must never reach a page, a feed or a mail: controls, bidi overrides and XML's forbidden code points.
//!
//! A title pasted from a word processor or an old CMS can carry them. One
//! U+FFFE makes every feed that lists the article unparseable, and a bidi
//! override can make a title read as something else. Validate removes them
//! from every text field, so pages, feeds and mails show the same text.

/// How a field treats line breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// A title, a name, a tag: tabs and line breaks become spaces.
    Single,
    /// A lead or a body: tabs and line breaks stay.
    Multi,
}

/// Whether `c` is allowed in Gazette's text: XML 1.0's `Char` production
/// without C0/C1 controls, DEL, bidi embeddings/overrides/isolates, and
/// the Unicode noncharacters.
pub fn is_printable(c: char) -> bool {
    let code = u32::from(c);
    !(c.is_control()
        || matches!(code, 0x202A..=0x202E | 0x2066..=0x2069)
        || matches!(code, 0xFDD0..=0xFDEF)
        || code & 0xFFFE == 0xFFFE)
}

/// `text` with every character that is not [`is_printable`] removed, and,
/// for [`Lines::Single`], tabs and line breaks turned into spaces. Borrowed
/// when nothing had to change, which is nearly always.
pub fn printable(text: &str, lines: Lines) -> std::borrow::Cow<'_, str> {
    let keeps = |c: char| is_printable(c) || matches!(c, '\t' | '\n' | '\r');
    let changes =
        |c: char| !keeps(c) || (lines == Lines::Single && matches!(c, '\t' | '\n' | '\r'));
    if !text.chars().any(changes) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' if lines == Lines::Single => Some(' '),
            c if keeps(c) => Some(c),
            _ => None,
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_go_and_vietnamese_stays() {
        let dirty = "Hội\u{0}nghị\u{FFFE} lần\u{FFFF} \u{202E}14\u{202C}\u{85}\u{7F}\u{1B}\u{2067}x\u{2069}\u{FDD0}\u{1FFFF}";
        assert_eq!(printable(dirty, Lines::Single), "Hộinghị lần 14x");
        assert_eq!(
            printable("Hội nghị lần thứ 14", Lines::Single),
            "Hội nghị lần thứ 14"
        );
        assert!(matches!(
            printable("Đảng bộ quận", Lines::Single),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn line_breaks_are_spaces_in_one_line_fields_only() {
        assert_eq!(printable("a\tb\r\nc", Lines::Single), "a b  c");
        assert_eq!(printable("a\tb\r\nc\u{0}", Lines::Multi), "a\tb\r\nc");
    }

    #[test]
    fn marks_that_do_not_override_are_kept() {
        // Zero-width joiner, left-to-right mark and emoji are ordinary text.
        assert_eq!(
            printable("a\u{200D}b\u{200E}😀", Lines::Single),
            "a\u{200D}b\u{200E}😀"
        );
    }
}
