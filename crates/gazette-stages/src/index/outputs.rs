//! The derived pages as objects to write: listings, the home page, feeds, the sitemap and the 404 page.

use bytes::Bytes;
use gazette_render::{
    Block, Card, Chrome, HomePage, ListingPage, NotFoundPage, RenderError, Renderer,
};
use gazette_site::{
    BLOCK_LEN, BaseUrl, CategoryState, FEED_LEN, Feed, HOME_LATEST, PAGE_SIZE, PageState,
    SiteState, Slot, atom, category_front_key, category_page_key, rss,
};
use gazette_store::{Precondition, PutObject};
use gazette_text::portal_datetime;

use crate::SiteSettings;
use crate::pages::PAGE_CONTENT_TYPE;
use crate::render::category_feed_hrefs;

/// Derived pages change with every batch: caches may keep them a minute.
const DERIVED_CACHE_CONTROL: &str = "public, max-age=60, must-revalidate";
/// Fonts change with the theme, rarely: a week, then revalidate.
const ASSET_CACHE_CONTROL: &str = "public, max-age=604800";
const RSS_CONTENT_TYPE: &str = "application/rss+xml; charset=utf-8";
const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";
const XML_CONTENT_TYPE: &str = "application/xml; charset=utf-8";
const SITE_LANGUAGE: &str = "vi";
pub(crate) const NOT_FOUND_KEY: &str = "404.html";

/// Everything the derived pages share: the theme, the site, its absolute base URL.
#[derive(Debug)]
pub(crate) struct Outputs<'a> {
    pub(crate) renderer: &'a Renderer,
    pub(crate) site: &'a SiteSettings,
    /// Absolute, ending in `/`: the public URL, or the store's own.
    pub(crate) base_url: &'a str,
}

pub(crate) fn object(key: String, body: String, content_type: &'static str) -> PutObject {
    PutObject {
        key,
        body: Bytes::from(body.into_bytes()),
        content_type,
        cache_control: DERIVED_CACHE_CONTROL,
        metadata: Default::default(),
        precondition: Precondition::None,
    }
}

impl Outputs<'_> {
    fn absolute(&self, key: &str) -> String {
        BaseUrl::new(self.base_url).join(key)
    }

    fn canonical(&self, key: &str) -> String {
        self.site
            .public_url
            .as_deref()
            .map(|base| BaseUrl::new(base).join(key))
            .unwrap_or_default()
    }

    fn card(&self, slot: &Slot) -> Card {
        let entry = &slot.entry;
        Card {
            title: entry.title.clone(),
            href: format!("/{}", entry.key),
            published_iso: entry.published_at.to_rfc3339(),
            published_display: portal_datetime(&entry.published_at, self.site.time_zone),
            lead: entry.lead.clone(),
            category_name: entry.category_name.clone(),
            category_href: format!("/{}/", entry.category_slug),
        }
    }

    fn chrome<'b>(
        &'b self,
        title: &'b str,
        canonical_url: &'b str,
        feeds: &'b (String, String),
    ) -> Chrome<'b> {
        Chrome {
            lang: SITE_LANGUAGE,
            site_name: &self.site.name,
            home_href: "/",
            canonical_url,
            title,
            description: title,
            rss_href: &feeds.0,
            atom_href: &feeds.1,
            noindex: false,
        }
    }

    /// `/<category>/`: its newest articles, with a way into the numbered pages.
    pub(crate) fn category_front(
        &self,
        slug: &str,
        category: &CategoryState,
    ) -> Result<PutObject, RenderError> {
        let key = category_front_key(slug);
        let cards: Vec<Card> = category.latest.iter().map(|s| self.card(s)).collect();
        let canonical = self.canonical(&format!("{slug}/"));
        let feeds = category_feed_hrefs(slug);
        // The front shows the newest FEED_LEN; "older" leads to the numbered
        // page holding the article just before the oldest one shown.
        let older = match category.latest.last() {
            Some(oldest) if oldest.seq > 0 => {
                format!(
                    "/{}",
                    category_page_key(slug, (oldest.seq - 1) / PAGE_SIZE + 1)
                )
            }
            _ => String::new(),
        };
        let html = self.renderer.render_listing(&ListingPage {
            chrome: self.chrome(&category.name, &canonical, &feeds),
            heading: &category.name,
            page_label: "",
            cards: &cards,
            newer_href: "",
            older_href: &older,
        })?;
        Ok(object(key, html, PAGE_CONTENT_TYPE))
    }

    /// `/<category>/page/<n>.html`, counted from the oldest: its URL keeps its articles.
    pub(crate) fn category_page(
        &self,
        slug: &str,
        category: &CategoryState,
        number: u64,
        page: &PageState,
    ) -> Result<PutObject, RenderError> {
        let key = category_page_key(slug, number);
        let cards: Vec<Card> = page.slots.values().rev().map(|s| self.card(s)).collect();
        let canonical = self.canonical(&key);
        let feeds = category_feed_hrefs(slug);
        let newer = if number < category.pages() {
            format!("/{}", category_page_key(slug, number + 1))
        } else {
            format!("/{slug}/")
        };
        let older = if number > 1 {
            format!("/{}", category_page_key(slug, number - 1))
        } else {
            String::new()
        };
        let label = format!("Trang {number}");
        let title = format!("{} · {label}", category.name);
        let html = self.renderer.render_listing(&ListingPage {
            chrome: self.chrome(&title, &canonical, &feeds),
            heading: &category.name,
            page_label: &label,
            cards: &cards,
            newer_href: &newer,
            older_href: &older,
        })?;
        Ok(object(key, html, PAGE_CONTENT_TYPE))
    }

    /// The category's RSS and Atom feeds.
    pub(crate) fn category_feeds(&self, slug: &str, category: &CategoryState) -> [PutObject; 2] {
        let entries: Vec<&Slot> = category.latest.iter().take(FEED_LEN).collect();
        let page_url = self.absolute(&format!("{slug}/"));
        let description = format!("Tin mới của mục {} trên {}", category.name, self.site.name);
        self.feeds(
            &format!("{slug}/"),
            &category.name,
            &description,
            &page_url,
            &entries,
        )
    }

    /// The site's RSS and Atom feeds.
    pub(crate) fn site_feeds(&self, site: &SiteState) -> [PutObject; 2] {
        let entries = site.latest(FEED_LEN);
        let description = format!("Tin mới trên {}", self.site.name);
        self.feeds("", &self.site.name, &description, self.base_url, &entries)
    }

    fn feeds(
        &self,
        folder: &str,
        title: &str,
        description: &str,
        page_url: &str,
        entries: &[&Slot],
    ) -> [PutObject; 2] {
        let rss_key = format!("{folder}rss.xml");
        let atom_key = format!("{folder}atom.xml");
        let rss_url = self.absolute(&rss_key);
        let atom_url = self.absolute(&atom_key);
        let feed = |self_url| Feed {
            title,
            description,
            language: SITE_LANGUAGE,
            page_url,
            self_url,
            entries,
        };
        [
            object(rss_key, rss(&feed(&rss_url)), RSS_CONTENT_TYPE),
            object(atom_key, atom(&feed(&atom_url)), ATOM_CONTENT_TYPE),
        ]
    }

    /// `/`: the newest articles across categories, then a block per category.
    pub(crate) fn home(&self, site: &SiteState) -> Result<PutObject, RenderError> {
        let latest: Vec<Card> = site
            .latest(HOME_LATEST)
            .into_iter()
            .map(|s| self.card(s))
            .collect();
        let blocks: Vec<Block> = site
            .categories
            .iter()
            .filter(|(_, c)| !c.latest.is_empty())
            .map(|(slug, c)| Block {
                name: c.name.clone(),
                href: format!("/{slug}/"),
                cards: c
                    .latest
                    .iter()
                    .take(BLOCK_LEN)
                    .map(|s| self.card(s))
                    .collect(),
            })
            .collect();
        let canonical = self.canonical("");
        let feeds = ("/rss.xml".to_owned(), "/atom.xml".to_owned());
        let html = self.renderer.render_home(&HomePage {
            chrome: self.chrome("Trang chủ", &canonical, &feeds),
            latest: &latest,
            blocks: &blocks,
        })?;
        Ok(object("index.html".to_owned(), html, PAGE_CONTENT_TYPE))
    }

    /// What the website endpoint answers for a missing or withdrawn page.
    fn not_found(&self) -> Result<PutObject, RenderError> {
        let feeds = ("/rss.xml".to_owned(), "/atom.xml".to_owned());
        let mut chrome = self.chrome("Không tìm thấy trang", "", &feeds);
        chrome.noindex = true;
        let html = self.renderer.render_not_found(&NotFoundPage { chrome })?;
        Ok(object(NOT_FOUND_KEY.to_owned(), html, PAGE_CONTENT_TYPE))
    }

    /// The 404 page and the theme's static files: written when the indexer
    /// starts and by every rebuild, so a theme change reaches the store.
    pub(crate) fn fixed_pages(&self) -> Result<Vec<PutObject>, RenderError> {
        let mut objects = vec![self.not_found()?];
        for asset in self.renderer.assets() {
            objects.push(PutObject {
                key: asset.path.to_owned(),
                body: Bytes::from(asset.bytes.clone()),
                content_type: asset.content_type,
                cache_control: ASSET_CACHE_CONTROL,
                metadata: Default::default(),
                precondition: Precondition::None,
            });
        }
        Ok(objects)
    }

    pub(crate) fn sitemap(&self, key: String, xml: String) -> PutObject {
        object(key, xml, XML_CONTENT_TYPE)
    }
}
