//! The site-wide pages and files asked for by name: the 404 page, the search page, `robots.txt` and the web app manifest.

use gazette_render::{MANIFEST_ICONS, NotFoundPage, RenderError, SearchPage};
use gazette_site::{NEWS_SITEMAP_KEY, SITEMAP_KEY};
use gazette_store::PutObject;

use super::outputs::{Outputs, PageFacts, SITE_LANGUAGE, object};
use crate::pages::PAGE_CONTENT_TYPE;

/// What the website endpoint answers for a missing page.
const NOT_FOUND_KEY: &str = "404.html";
/// The search page, served at `/search/`.
const SEARCH_PAGE_KEY: &str = "search/index.html";

const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";
const MANIFEST_CONTENT_TYPE: &str = "application/manifest+json";
const ROBOTS_KEY: &str = "robots.txt";
const MANIFEST_KEY: &str = "manifest.webmanifest";

impl Outputs<'_> {
    /// What the website endpoint answers for a missing or withdrawn page.
    pub(super) fn not_found(&self) -> Result<PutObject, RenderError> {
        let feeds = ("/rss.xml".to_owned(), "/atom.xml".to_owned());
        let nav = self.nav(None, false);
        let chrome = self.chrome(PageFacts {
            title: "Không tìm thấy trang",
            noindex: true,
            canonical_url: "",
            feeds: &feeds,
            nav: &nav,
            structured_data: "",
        });
        let html = self.renderer.render_not_found(&NotFoundPage { chrome })?;
        Ok(object(NOT_FOUND_KEY.to_owned(), html, PAGE_CONTENT_TYPE))
    }

    /// `/search/`: the page that queries the static search index. Kept
    /// out of search engines: a results page is no page of its own.
    pub(super) fn search_page(&self) -> Result<PutObject, RenderError> {
        let feeds = ("/rss.xml".to_owned(), "/atom.xml".to_owned());
        let nav = self.nav(None, false);
        let chrome = self.chrome(PageFacts {
            title: "Tìm kiếm",
            noindex: true,
            canonical_url: "",
            feeds: &feeds,
            nav: &nav,
            structured_data: "",
        });
        let html = self.renderer.render_search(&SearchPage { chrome })?;
        Ok(object(SEARCH_PAGE_KEY.to_owned(), html, PAGE_CONTENT_TYPE))
    }

    /// `robots.txt`: everything may be crawled, and the sitemaps are here.
    pub(super) fn robots_txt(&self) -> PutObject {
        let sitemap = self.absolute(SITEMAP_KEY);
        let news = self.absolute(NEWS_SITEMAP_KEY);
        let body = format!("User-agent: *\nAllow: /\n\nSitemap: {sitemap}\nSitemap: {news}\n");
        object(ROBOTS_KEY.to_owned(), body, TEXT_CONTENT_TYPE)
    }

    /// The web app manifest: the site's name and the theme's icons, so a
    /// reader who adds the site to a phone's home screen gets both.
    pub(super) fn manifest(&self) -> PutObject {
        let icons: Vec<serde_json::Value> = MANIFEST_ICONS
            .iter()
            .map(|(path, side)| {
                serde_json::json!({
                    "src": format!("/{path}"),
                    "sizes": format!("{side}x{side}"),
                    "type": "image/png",
                })
            })
            .collect();
        let manifest = serde_json::json!({
            "name": self.site.name,
            "short_name": self.site.name,
            "lang": SITE_LANGUAGE,
            "start_url": "/",
            "scope": "/",
            "display": "minimal-ui",
            "background_color": "#ffffff",
            "theme_color": "#a4161a",
            "icons": icons,
        });
        object(
            MANIFEST_KEY.to_owned(),
            manifest.to_string(),
            MANIFEST_CONTENT_TYPE,
        )
    }
}
