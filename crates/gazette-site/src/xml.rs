//! Escaping for the XML the site writes (feeds, sitemaps).

/// Text or attribute content: HTML's escaping, which XML accepts, after
/// dropping the characters XML 1.0 forbids. Validate already removes them
/// from new articles; this keeps a feed parseable whatever was stored
/// before, since one U+FFFE would break every feed listing its article.
pub(crate) fn escape(text: &str) -> String {
    gazette_text::escape_html(&gazette_text::printable(text, gazette_text::Lines::Multi))
}

/// RFC 3339 to the second: feed readers and validators stumble on fractions.
pub(crate) fn whole_seconds(instant: chrono::DateTime<chrono::FixedOffset>) -> String {
    instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
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

    #[test]
    fn times_are_written_to_the_second() {
        let instant = chrono::DateTime::parse_from_rfc3339("2022-06-23T15:04:00.123456789+07:00")
            .unwrap_or_default();
        assert_eq!(super::whole_seconds(instant), "2022-06-23T15:04:00+07:00");
    }
}
