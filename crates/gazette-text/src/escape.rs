//! HTML escaping for text that Gazette writes into markup by hand (mails, the subscription pages), outside the theme's templates.

/// `text` safe inside an element or a double- or single-quoted attribute.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped_and_vietnamese_is_left_alone() {
        assert_eq!(
            escape_html(r#"<a href="x">Tin & 'sự kiện'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tin &amp; &#39;sự kiện&#39;&lt;/a&gt;"
        );
    }
}
