//! Escaping for the XML the site writes (feeds, sitemaps).

/// Text or attribute content: HTML's escaping, which XML accepts, after
/// dropping the characters XML 1.0 forbids. Validate already removes them
/// from new articles; this keeps a feed parseable whatever was stored
/// before, since one U+FFFE would break every feed listing its article.
pub(crate) fn escape(text: &str) -> String {
    gazette_text::escape_html(&gazette_text::printable(text, gazette_text::Lines::Multi))
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_drops_forbidden_controls() {
        assert_eq!(
            super::escape("Tin <b> & \"x\"\u{1}"),
            "Tin &lt;b&gt; &amp; &quot;x&quot;"
        );
        assert_eq!(super::escape("Hội nghị"), "Hội nghị");
        assert_eq!(super::escape("a\u{FFFE}b\u{FFFF}c\u{202E}"), "abc");
    }
}
