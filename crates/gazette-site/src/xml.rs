//! Escaping for the XML the site writes (feeds, sitemaps).

/// Text or attribute content; also drops the control characters XML 1.0 forbids.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_drops_forbidden_controls() {
        assert_eq!(super::escape("Tin <b> & \"x\"\u{1}"), "Tin &lt;b&gt; &amp; &quot;x&quot;");
        assert_eq!(super::escape("Hội nghị"), "Hội nghị");
    }
}
