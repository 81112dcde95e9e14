//! Escaping for the XML the site writes (feeds, sitemaps).

/// Text or attribute content: HTML's escaping, which XML accepts, after
/// dropping the control characters XML 1.0 forbids (a title pasted from a
/// word processor can carry them, and one would break the whole feed).
pub(crate) fn escape(text: &str) -> String {
    let allowed: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    gazette_text::escape_html(&allowed)
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
    }
}
