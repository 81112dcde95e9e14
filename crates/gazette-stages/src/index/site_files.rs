//! The site-wide files crawlers and browsers ask for by name: `robots.txt` and the web app manifest.

use gazette_render::MANIFEST_ICONS;
use gazette_site::{NEWS_SITEMAP_KEY, SITEMAP_KEY};
use gazette_store::PutObject;

use super::outputs::{Outputs, SITE_LANGUAGE, object};

const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";
const MANIFEST_CONTENT_TYPE: &str = "application/manifest+json";
const ROBOTS_KEY: &str = "robots.txt";
const MANIFEST_KEY: &str = "manifest.webmanifest";

impl Outputs<'_> {
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
