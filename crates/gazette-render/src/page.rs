//! The view models the theme's templates see. Plain data: every field is always present.
//!
//! Strict mode turns a name a template uses but its model lacks into an
//! error at render time, so theme typos fail loudly instead of printing
//! nothing. Optional links are empty strings, which `{{#if}}` treats as absent.

use serde::Serialize;

use crate::SocialImage;

/// What every page's layout and `<head>` use.
#[derive(Debug, Clone, Serialize)]
pub struct Chrome<'a> {
    pub lang: &'a str,
    pub site_name: &'a str,
    pub home_href: &'a str,
    /// Absolute; empty when no public URL is configured.
    pub canonical_url: &'a str,
    /// The `<title>`, before " | site name".
    pub title: &'a str,
    pub description: &'a str,
    /// The feeds offered in `<head>`: the category's on its pages, the site's elsewhere.
    pub rss_href: &'a str,
    pub atom_href: &'a str,
    /// Search engines must not index this page (the 404 page).
    pub noindex: bool,
    /// OpenGraph's `og:locale`, such as `vi_VN`.
    pub locale: &'a str,
    /// OpenGraph's `og:type`: `article` on article pages, `website` elsewhere.
    pub og_type: &'a str,
    /// The picture share previews show; none gives a `summary` card.
    pub image: Option<&'a SocialImage>,
    /// `article:*` OpenGraph properties, on article pages only.
    pub article_meta: Option<&'a ArticleMeta>,
    /// JSON-LD, already made safe for a `<script>` element by
    /// [`crate::script_safe`]; the theme inserts it unescaped. Empty for none.
    pub structured_data: &'a str,
    /// The site's categories in the header, in the operator's order.
    pub nav: &'a [NavItem],
    /// Whether the header offers the site's search (`GAZETTE_SEARCH`).
    pub search: bool,
}

/// A category the operator lists in the header (`GAZETTE_SITE_SECTIONS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub slug: String,
    pub name: String,
}

/// One category in the header's navigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NavItem {
    pub name: String,
    pub href: String,
    /// `aria-current`'s value: `page` on the category's own front page,
    /// `true` on its other pages and its articles, empty elsewhere.
    pub current: &'static str,
}

impl NavItem {
    /// The navigation as seen from a page of `current_slug`'s category
    /// (`None` elsewhere); `own_page` when that page is the category's front.
    pub fn marked(sections: &[Section], current_slug: Option<&str>, own_page: bool) -> Vec<Self> {
        sections
            .iter()
            .map(|section| Self {
                name: section.name.clone(),
                href: format!("/{}/", section.slug),
                current: match (current_slug == Some(section.slug.as_str()), own_page) {
                    (true, true) => "page",
                    (true, false) => "true",
                    (false, _) => "",
                },
            })
            .collect()
    }
}

/// OpenGraph's `article:*` properties.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleMeta {
    /// RFC 3339.
    pub published_time: String,
    pub modified_time: String,
    pub section: String,
    pub tags: Vec<String>,
}

/// `article.hbs`.
#[derive(Debug, Clone, Serialize)]
pub struct ArticlePage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome<'a>,
    pub category_name: &'a str,
    pub category_href: &'a str,
    /// RFC 3339, for `<time datetime>`.
    pub published_iso: &'a str,
    /// RFC 3339: when this revision was edited; the publication time when
    /// the CMS did not say.
    pub modified_iso: &'a str,
    /// As the portal shows it: "23/06/2022 | 15:04".
    pub published_display: &'a str,
    pub lead: &'a str,
    pub author: &'a str,
    pub tags: &'a [TagLink],
    /// Already sanitised by the validate stage, its pictures then made
    /// `<picture>` by the theme's own partial; the only field the theme
    /// inserts unescaped.
    pub body_html: &'a str,
    /// The cover above the body.
    pub cover: Option<&'a crate::Figure>,
    /// Where the view counter's script counts this visit and reads the
    /// count (`<api>/views/<id>`); empty for no counter.
    pub views_url: &'a str,
}

/// A tag on an article page: its name, and its page (empty for a tag
/// whose name has no letter or digit, which has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagLink {
    pub name: String,
    pub href: String,
}

/// One article in a list (`partials/card.hbs`).
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub title: String,
    pub href: String,
    pub published_iso: String,
    pub published_display: String,
    pub lead: String,
    pub category_name: String,
    pub category_href: String,
    /// The cover, small.
    pub picture: Option<crate::Picture>,
}

/// `listing.hbs`: a category's front page or one of its numbered pages.
#[derive(Debug, Clone, Serialize)]
pub struct ListingPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome<'a>,
    pub heading: &'a str,
    /// "Trang 3" on numbered pages; empty on the front page.
    pub page_label: &'a str,
    pub cards: &'a [Card],
    pub newer_href: &'a str,
    pub older_href: &'a str,
}

/// One category's block on the home page.
#[derive(Debug, Clone, Serialize)]
pub struct Block {
    pub name: String,
    pub href: String,
    pub cards: Vec<Card>,
}

/// `home.hbs`.
#[derive(Debug, Clone, Serialize)]
pub struct HomePage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome<'a>,
    pub latest: &'a [Card],
    pub blocks: &'a [Block],
    /// The "most read" block, most read first; empty hides it.
    pub most_read: &'a [RankedCard],
}

/// An article of the "most read" block and its view count as the portal
/// writes numbers ("1.234").
#[derive(Debug, Clone, Serialize)]
pub struct RankedCard {
    #[serde(flatten)]
    pub card: Card,
    pub views: String,
}

/// `search.hbs`: the form and the results its script fills in.
#[derive(Debug, Clone, Serialize)]
pub struct SearchPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome<'a>,
}

/// `404.hbs`.
#[derive(Debug, Clone, Serialize)]
pub struct NotFoundPage<'a> {
    #[serde(flatten)]
    pub chrome: Chrome<'a>,
}
