//! The `<img>` elements of a sanitised body: found, and replaced by markup of the caller's making.
//!
//! This reads ammonia's output, not arbitrary HTML: text never holds a raw
//! `<` (it is `&lt;`), every attribute value is double-quoted, and comments
//! and scripts are gone. Inside a tag, quotes are still tracked, so an
//! `<img` spelled inside another element's `title` is never taken for one.

use std::ops::Range;

/// One `<img>` tag of a sanitised body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImgTag {
    /// Where the tag is, `<` to `>`.
    pub span: Range<usize>,
    /// `src`, unescaped; `None` when it has none.
    pub src: Option<String>,
    /// `alt`, unescaped; `None` when it has none (`Some("")` marks a
    /// decorative picture).
    pub alt: Option<String>,
    /// `title`, unescaped.
    pub title: Option<String>,
}

/// Every `<img>` tag in `html`, in order.
pub fn img_tags(html: &str) -> Vec<ImgTag> {
    let bytes = html.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = html[at..].find('<') {
        let start = at + offset;
        let end = tag_end(bytes, start);
        let tag = &html[start..end];
        if is_img(tag) {
            let attributes = attributes(&tag[4..]);
            let get = |name: &str| {
                attributes
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| unescape(v))
            };
            found.push(ImgTag {
                span: start..end,
                src: get("src"),
                alt: get("alt"),
                title: get("title"),
            });
        }
        at = end.max(start + 1);
    }
    found
}

/// `html` with each `<img>` tag for which `replace` gives markup replaced by it.
pub fn replace_img_tags(html: &str, mut replace: impl FnMut(&ImgTag) -> Option<String>) -> String {
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    for tag in img_tags(html) {
        if let Some(markup) = replace(&tag) {
            out.push_str(&html[copied..tag.span.start]);
            out.push_str(&markup);
            copied = tag.span.end;
        }
    }
    out.push_str(&html[copied..]);
    out
}

/// Byte-wise: a tag may start with any character, and slicing a string
/// inside one would panic.
fn is_img(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    bytes.len() > 4
        && bytes[1..4].eq_ignore_ascii_case(b"img")
        && (bytes[4].is_ascii_whitespace() || bytes[4] == b'>' || bytes[4] == b'/')
}

/// One past the `>` that closes the tag opened at `start`, quotes respected.
fn tag_end(bytes: &[u8], start: usize) -> usize {
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate().skip(start + 1) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return i + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// `name="value"` pairs (and bare names, with an empty value).
fn attributes(inside: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = inside.trim_end_matches('>').trim_end_matches('/');
    loop {
        rest = rest.trim_start();
        let name_end = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=')
            .unwrap_or(rest.len());
        if name_end == 0 {
            break;
        }
        let name = rest[..name_end].to_owned();
        rest = rest[name_end..].trim_start();
        let Some(after_equals) = rest.strip_prefix('=') else {
            pairs.push((name, String::new()));
            continue;
        };
        rest = after_equals.trim_start();
        let (value, remaining) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &rest[1..];
                let close = body.find(q).unwrap_or(body.len());
                (&body[..close], body.get(close + 1..).unwrap_or(""))
            }
            _ => {
                let close = rest
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(rest.len());
                (&rest[..close], &rest[close..])
            }
        };
        pairs.push((name, value.to_owned()));
        rest = remaining;
    }
    pairs
}

/// The entities html5ever writes in attribute values, and numeric ones.
fn unescape(value: &str) -> String {
    if !value.contains('&') {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|s| *s <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "nbsp" => Some('\u{a0}'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BodySanitizer;

    #[test]
    fn finds_images_in_what_ammonia_writes() {
        let s = BodySanitizer::default();
        let html = s.html(
            r#"<p title="<img src=&quot;https://evil/&quot;>">Ảnh <IMG SRC="https://cms.example/a.jpg?x=1&amp;y=2" alt="Hồ &quot;Gươm&quot;"></p><img src="/relative.png"><img alt="no source"><img src="javascript:alert(1)" alt="x">"#,
        );
        let tags = img_tags(&html);
        let sources: Vec<Option<&str>> = tags.iter().map(|t| t.src.as_deref()).collect();
        assert_eq!(
            sources,
            [
                Some("https://cms.example/a.jpg?x=1&y=2"),
                Some("/relative.png"),
                None,
                None
            ],
            "{html}"
        );
        assert_eq!(tags[0].alt.as_deref(), Some("Hồ \"Gươm\""));
        assert_eq!(tags[1].alt, None);
        assert_eq!(tags[2].alt.as_deref(), Some("no source"));
    }

    #[test]
    fn markdown_images_come_through_with_their_alt() {
        let s = BodySanitizer::default();
        let html = s
            .markdown_within("Đoạn.\n\n![Cầu Long Biên](https://cms.example/c.jpg \"Ảnh: Tuấn\")\n\n![](https://cms.example/d.png)", 1 << 20)
            .unwrap();
        let tags = img_tags(&html);
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].alt.as_deref(), Some("Cầu Long Biên"));
        assert_eq!(tags[0].title.as_deref(), Some("Ảnh: Tuấn"));
        assert_eq!(tags[1].alt.as_deref(), Some(""));
    }

    #[test]
    fn replacing_keeps_everything_else_byte_for_byte() {
        let html = r#"<p>a<img src="x.jpg" alt="1">b<img src="y.jpg" alt="2">c</p><imgx>"#;
        let out = replace_img_tags(html, |tag| {
            (tag.src.as_deref() == Some("y.jpg")).then(|| "<picture></picture>".to_owned())
        });
        assert_eq!(
            out,
            r#"<p>a<img src="x.jpg" alt="1">b<picture></picture>c</p><imgx>"#
        );
        assert_eq!(
            replace_img_tags("no tags & <b>bold</b>", |_| None),
            "no tags & <b>bold</b>"
        );
        // Never in ammonia's output, but never a panic either.
        for odd in [
            "<img",
            "<im",
            "<aả>",
            "<ả>",
            "<img src=\"ả",
            "<img src='x' alt=ả>",
        ] {
            let _ = img_tags(odd);
        }
        assert_eq!(img_tags("<img src='x' alt=ả>")[0].alt.as_deref(), Some("ả"));
    }

    #[test]
    fn entities_decode_as_html_spells_them() {
        assert_eq!(unescape("a&amp;b&#233;&#xE9;&bogus;&"), "a&béé&bogus;&");
    }
}
