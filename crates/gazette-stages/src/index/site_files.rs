//! The site-wide pages and files asked for by name: the 404 page, the search page, `robots.txt` and the web app manifest.

use gazette_render::{Chrome, MANIFEST_ICONS, NotFoundPage, RenderError, SearchPage};
use gazette_site::{NEWS_SITEMAP_KEY, SITEMAP_KEY};
use gazette_store::PutObject;

use super::IndexFailure;
use super::flush::put_all;
use super::outputs::{Outputs, PageFacts, SITE_LANGUAGE, object};
use crate::Stores;
use crate::pages::PAGE_CONTENT_TYPE;

/// What the website endpoint answers for a missing page.
const NOT_FOUND_KEY: &str = "404.html";
/// The search page, served at `/search/`.
const SEARCH_PAGE_KEY: &str = "search/index.html";

const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";
const MANIFEST_CONTENT_TYPE: &str = "application/manifest+json";
const ROBOTS_KEY: &str = "robots.txt";
const MANIFEST_KEY: &str = "manifest.webmanifest";

/// Writes the fixed pages and deletes the retired ones, with the public
/// search index when search is off; how many were written.
pub(crate) async fn write_fixed_pages(
    stores: &Stores,
    outputs: &Outputs<'_>,
) -> Result<usize, IndexFailure> {
    let fixed = outputs.fixed_pages()?;
    let written = fixed.len();
    put_all(&stores.site, fixed).await?;
    for key in outputs.retired_pages() {
        stores.site.delete(key).await?;
    }
    if !outputs.site.search {
        super::search::remove_index(stores).await?;
    }
    Ok(written)
}

impl Outputs<'_> {
    /// What the website endpoint answers for a missing or withdrawn page.
    pub(super) fn not_found(&self) -> Result<PutObject, RenderError> {
        self.unlisted_page(NOT_FOUND_KEY, "Không tìm thấy trang", |chrome| {
            self.renderer.render_not_found(&NotFoundPage { chrome })
        })
    }

    /// `/search/`: the page that queries the static search index. Kept
    /// out of search engines: a results page is no page of its own.
    pub(super) fn search_page(&self) -> Result<PutObject, RenderError> {
        self.unlisted_page(SEARCH_PAGE_KEY, "Tìm kiếm", |chrome| {
            self.renderer.render_search(&SearchPage { chrome })
        })
    }

    /// Fixed pages this site no longer has: the search page of a site
    /// whose search was switched off, so that no reader is sent to an
    /// index no one updates.
    pub(crate) fn retired_pages(&self) -> Vec<&'static str> {
        match self.site.search {
            true => Vec::new(),
            false => vec![SEARCH_PAGE_KEY],
        }
    }

    /// A page of the site's own that search engines leave out: no
    /// canonical address, no structured data, the site's feeds.
    fn unlisted_page(
        &self,
        key: &str,
        title: &str,
        render: impl FnOnce(Chrome<'_>) -> Result<String, RenderError>,
    ) -> Result<PutObject, RenderError> {
        let feeds = ("/rss.xml".to_owned(), "/atom.xml".to_owned());
        let nav = self.nav(None, false);
        let chrome = self.chrome(PageFacts {
            title,
            noindex: true,
            canonical_url: "",
            feeds: &feeds,
            nav: &nav,
            structured_data: "",
        });
        Ok(object(key.to_owned(), render(chrome)?, PAGE_CONTENT_TYPE))
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
