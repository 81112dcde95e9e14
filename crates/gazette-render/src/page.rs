//! The view model a theme's article template sees. Plain data: every field is always present.

use serde::Serialize;

/// Everything `article.hbs` may use. Strict mode turns a name the template
/// uses but this struct lacks into an error at render time, so theme typos
/// fail loudly instead of printing nothing.
#[derive(Debug, Clone, Serialize)]
pub struct ArticlePage<'a> {
    pub lang: &'a str,
    pub site_name: &'a str,
    pub home_href: &'a str,
    pub canonical_url: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub category_name: &'a str,
    pub category_href: &'a str,
    /// RFC 3339, for `<time datetime>`.
    pub published_iso: &'a str,
    /// As the portal shows it: "23/06/2022 | 15:04".
    pub published_display: &'a str,
    pub lead: &'a str,
    pub author: &'a str,
    pub tags: &'a [String],
    /// Already sanitised by the validate stage; the only field the theme
    /// inserts unescaped.
    pub body_html: &'a str,
}
