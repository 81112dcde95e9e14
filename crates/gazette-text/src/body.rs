//! Article bodies to safe HTML: Markdown is rendered first, then everything passes ammonia.

use ammonia::Builder;
use pulldown_cmark::{Options, Parser, html};

/// Turns a submitted body into HTML that is safe to insert unescaped.
///
/// Built once per process: ammonia's builder holds its allow-lists in hash
/// sets, which are worth not rebuilding per message.
#[derive(Debug)]
pub struct BodySanitizer {
    cleaner: Builder<'static>,
}

impl Default for BodySanitizer {
    fn default() -> Self {
        let mut cleaner = Builder::default();
        cleaner
            .link_rel(Some("noopener noreferrer nofollow"))
            .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect());
        Self { cleaner }
    }
}

impl BodySanitizer {
    /// Sanitised HTML for an HTML body.
    pub fn html(&self, content: &str) -> String {
        self.cleaner.clean(content).to_string()
    }

    /// Markdown rendered to HTML, then sanitised (Markdown allows raw HTML,
    /// so the renderer's output is no safer than the input); gives up before
    /// sanitising when the rendered HTML passes `limit` bytes (`Err` with its
    /// size): a body of `>` repeated renders to a blockquote per character,
    /// and sanitising megabytes of nesting is the expensive part.
    pub fn markdown_within(&self, content: &str, limit: usize) -> Result<String, usize> {
        let rendered = markdown_html(content);
        if rendered.len() > limit {
            return Err(rendered.len());
        }
        Ok(self.html(&rendered))
    }
}

fn markdown_html(content: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut rendered = String::with_capacity(content.len() + content.len() / 8);
    html::push_html(&mut rendered, Parser::new_ext(content, options));
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed() {
        let s = BodySanitizer::default();
        let out = s.html(r#"<p onclick="x()">Chào <b>bạn</b><script>alert(1)</script></p>"#);
        assert_eq!(out, "<p>Chào <b>bạn</b></p>");
    }

    #[test]
    fn markdown_is_rendered_and_raw_html_inside_it_sanitised() {
        let s = BodySanitizer::default();
        let out = s
            .markdown_within(
                "Đoạn *một*.\n\n<img src=x onerror=alert(1)>\n\n[link](javascript:alert(1))",
                usize::MAX,
            )
            .unwrap_or_default();
        assert!(out.contains("<p>Đoạn <em>một</em>.</p>"), "{out}");
        assert!(!out.contains("onerror"), "{out}");
        assert!(!out.contains("javascript:"), "{out}");
    }

    #[test]
    fn links_get_a_safe_rel() {
        let out = BodySanitizer::default()
            .markdown_within("[x](https://example.org)", usize::MAX)
            .unwrap_or_default();
        assert!(
            out.contains(r#"rel="noopener noreferrer nofollow""#),
            "{out}"
        );
    }

    #[test]
    fn amplifying_markdown_is_refused_before_it_is_sanitised() {
        let s = BodySanitizer::default();
        let quotes = ">".repeat(20_000) + "x";
        let refused = s.markdown_within(&quotes, 100_000);
        assert!(
            matches!(refused, Err(size) if size > 100_000),
            "{refused:?}"
        );
        assert_eq!(
            s.markdown_within("**đậm**", 100),
            Ok("<p><strong>đậm</strong></p>\n".to_owned())
        );
    }
}
