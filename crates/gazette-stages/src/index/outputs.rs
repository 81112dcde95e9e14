//! The derived pages as objects to write: listings, the home page, feeds, the sitemap and the 404 page.

use bytes::Bytes;
use gazette_render::{
    Block, Card, Chrome, HomePage, ListingPage, NavItem, RankedCard, RenderError, Renderer,
    listing_json_ld,
};
use gazette_site::{
    BLOCK_LEN, BaseUrl, CategoryState, Entry, FEED_LEN, Feed, HOME_LATEST, MostRead,
    NEWS_SITEMAP_KEY, NewsState, PAGE_SIZE, PageState, Publication, SiteState, Slot, atom,
    category_front_key, category_page_key, news_sitemap, rss, tag_of_listing,
};
use gazette_store::{Precondition, PutObject};
use gazette_text::portal_datetime;

use crate::SiteSettings;
use crate::pages::PAGE_CONTENT_TYPE;
use crate::render::{PublicAddresses, category_feed_hrefs, publisher};

/// Derived pages change with every batch: caches may keep them a minute.
const DERIVED_CACHE_CONTROL: &str = "public, max-age=60, must-revalidate";
/// Fonts change with the theme, rarely: a week, then revalidate.
const ASSET_CACHE_CONTROL: &str = "public, max-age=604800";
const RSS_CONTENT_TYPE: &str = "application/rss+xml; charset=utf-8";
const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";
const XML_CONTENT_TYPE: &str = "application/xml; charset=utf-8";
pub(super) const SITE_LANGUAGE: &str = "vi";
/// OpenGraph's spelling of the site's language and territory (a test holds it to [`SITE_LANGUAGE`]).
const SITE_LOCALE: &str = "vi_VN";

/// A tag page listing fewer live articles than this carries `noindex`. A
/// page of one or two links is what search engines call thin content: it
/// competes with the articles themselves in results and spends the site's
/// crawl budget. Three is where a tag starts to gather a topic rather than
/// repeat one article's keywords; the page is still there for readers.
pub(crate) const TAG_INDEX_MIN: u64 = 3;

/// Whether the listing is a tag's with too few articles to be indexed.
fn thin(listing: &str, state: &CategoryState) -> bool {
    tag_of_listing(listing).is_some() && state.live < TAG_INDEX_MIN
}

/// A listing's heading: the category's name, or "Từ khóa: <tag>".
fn listing_title(listing: &str, state: &CategoryState) -> String {
    match tag_of_listing(listing) {
        Some(_) => format!("Từ khóa: {}", state.name),
        None => state.name.clone(),
    }
}

/// Where a listing page sits: its address, number, articles and neighbours.
struct ListingPlace<'a> {
    canonical: String,
    /// `None` on the front page.
    number: Option<u64>,
    /// Newest first.
    slots: &'a mut dyn Iterator<Item = &'a Slot>,
    newer: String,
    older: String,
}

/// What differs between the derived pages' chrome.
pub(super) struct PageFacts<'a> {
    pub(super) title: &'a str,
    /// Kept out of search: the 404 page, the search page, and thin tag pages.
    pub(super) noindex: bool,
    pub(super) canonical_url: &'a str,
    pub(super) feeds: &'a (String, String),
    pub(super) nav: &'a [NavItem],
    pub(super) structured_data: &'a str,
}

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
    pub(super) fn absolute(&self, key: &str) -> String {
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
        self.card_of(&slot.entry)
    }

    fn card_of(&self, entry: &Entry) -> Card {
        Card {
            title: entry.title.clone(),
            href: format!("/{}", entry.key),
            published_iso: entry.published_at.to_rfc3339(),
            published_display: portal_datetime(&entry.published_at, self.site.time_zone),
            lead: entry.lead.clone(),
            category_name: entry.category_name.clone(),
            category_href: format!("/{}/", entry.category_slug),
            picture: entry.cover.as_ref().map(|cover| {
                let files = gazette_render::PictureFiles {
                    id: &cover.id,
                    width: cover.width,
                    height: cover.height,
                    widths: &cover.widths,
                    webp: cover.webp,
                    colour: &cover.colour,
                };
                // A card's picture is a thumbnail beside its title: the
                // title says what it is, so it is decorative there.
                gazette_render::Picture::small(&files, 640, "", gazette_render::CARD_SIZES)
            }),
        }
    }

    /// The navigation as seen from a page of `category` (`None`: not a
    /// category's page); `front` on the category's own front page.
    pub(super) fn nav(&self, category: Option<&str>, front: bool) -> Vec<NavItem> {
        NavItem::marked(&self.site.sections, category, front)
    }

    /// A listing's breadcrumbs (Home › Category), empty without a public URL.
    fn breadcrumbs(&self, slug: &str, name: &str) -> String {
        let addresses = PublicAddresses::of(self.site);
        let section_url = self.canonical(&format!("{slug}/"));
        listing_json_ld(
            &publisher(self.site, addresses.as_ref()),
            name,
            &section_url,
        )
    }

    pub(super) fn chrome<'b>(&'b self, page: PageFacts<'b>) -> Chrome<'b> {
        Chrome {
            lang: SITE_LANGUAGE,
            site_name: &self.site.name,
            home_href: "/",
            canonical_url: page.canonical_url,
            title: page.title,
            description: page.title,
            rss_href: &page.feeds.0,
            atom_href: &page.feeds.1,
            noindex: page.noindex,
            locale: SITE_LOCALE,
            og_type: "website",
            image: None,
            article_meta: None,
            structured_data: page.structured_data,
            nav: page.nav,
            search: self.site.search,
        }
    }

    /// `/<category>/` (or `/tag/<slug>/`): its newest articles, with a way
    /// into the numbered pages.
    pub(crate) fn category_front(
        &self,
        slug: &str,
        category: &CategoryState,
    ) -> Result<PutObject, RenderError> {
        let key = category_front_key(slug);
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
        let html = self.listing(
            slug,
            category,
            ListingPlace {
                canonical: self.canonical(&format!("{slug}/")),
                number: None,
                slots: &mut category.latest.iter(),
                newer: String::new(),
                older,
            },
        )?;
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
        let html = self.listing(
            slug,
            category,
            ListingPlace {
                canonical: self.canonical(&key),
                number: Some(number),
                slots: &mut page.slots.values().rev(),
                newer,
                older,
            },
        )?;
        Ok(object(key, html, PAGE_CONTENT_TYPE))
    }

    /// A category's or tag's listing page: its front (`number` none) or a numbered page.
    fn listing(
        &self,
        slug: &str,
        category: &CategoryState,
        place: ListingPlace<'_>,
    ) -> Result<String, RenderError> {
        let cards: Vec<Card> = place.slots.map(|s| self.card(s)).collect();
        let heading = listing_title(slug, category);
        let label = place
            .number
            .map(|n| format!("Trang {n}"))
            .unwrap_or_default();
        let title = match place.number {
            Some(_) => format!("{heading} · {label}"),
            None => heading.clone(),
        };
        let feeds = category_feed_hrefs(slug);
        let nav = self.nav(Some(slug), place.number.is_none());
        let breadcrumbs = self.breadcrumbs(slug, &heading);
        self.renderer.render_listing(&ListingPage {
            chrome: self.chrome(PageFacts {
                title: &title,
                noindex: thin(slug, category),
                canonical_url: &place.canonical,
                feeds: &feeds,
                nav: &nav,
                structured_data: &breadcrumbs,
            }),
            heading: &heading,
            page_label: &label,
            cards: &cards,
            newer_href: &place.newer,
            older_href: &place.older,
        })
    }

    /// The category's RSS and Atom feeds.
    pub(crate) fn category_feeds(&self, slug: &str, category: &CategoryState) -> [PutObject; 2] {
        let entries: Vec<&Slot> = category.latest.iter().take(FEED_LEN).collect();
        let page_url = self.absolute(&format!("{slug}/"));
        let title = listing_title(slug, category);
        let description = match tag_of_listing(slug) {
            Some(_) => format!(
                "Tin mới với từ khóa {} trên {}",
                category.name, self.site.name
            ),
            None => format!("Tin mới của mục {} trên {}", category.name, self.site.name),
        };
        self.feeds(
            &format!("{slug}/"),
            &title,
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
    pub(crate) fn home(
        &self,
        site: &SiteState,
        most_read: &MostRead,
    ) -> Result<PutObject, RenderError> {
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
        let most_read: Vec<RankedCard> = most_read
            .entries
            .iter()
            .map(|ranked| RankedCard {
                card: self.card_of(&ranked.entry),
                views: gazette_text::grouped_number(ranked.views),
            })
            .collect();
        let canonical = self.canonical("");
        let feeds = ("/rss.xml".to_owned(), "/atom.xml".to_owned());
        let nav = self.nav(None, false);
        let html = self.renderer.render_home(&HomePage {
            chrome: self.chrome(PageFacts {
                title: "Trang chủ",
                noindex: false,
                canonical_url: &canonical,
                feeds: &feeds,
                nav: &nav,
                structured_data: "",
            }),
            latest: &latest,
            blocks: &blocks,
            most_read: &most_read,
        })?;
        Ok(object("index.html".to_owned(), html, PAGE_CONTENT_TYPE))
    }

    /// The 404 page, the search page (when the site has search),
    /// `robots.txt`, the web app manifest and the theme's static files:
    /// written when the indexer starts and by every rebuild, so a theme or
    /// site-name change reaches the store. [`Outputs::retired_pages`] are
    /// deleted beside them.
    pub(crate) fn fixed_pages(&self) -> Result<Vec<PutObject>, RenderError> {
        let mut objects = vec![self.not_found()?, self.robots_txt(), self.manifest()];
        if self.site.search {
            objects.push(self.search_page()?);
        }
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

    /// `sitemap-news.xml` as it stands at `now`.
    pub(crate) fn news_sitemap(
        &self,
        news: &NewsState,
        now: chrono::DateTime<chrono::Utc>,
    ) -> PutObject {
        let publication = Publication {
            name: &self.site.name,
            language: SITE_LANGUAGE,
        };
        object(
            NEWS_SITEMAP_KEY.to_owned(),
            news_sitemap(news, publication, now),
            XML_CONTENT_TYPE,
        )
    }

    pub(crate) fn sitemap(&self, key: String, xml: String) -> PutObject {
        object(key, xml, XML_CONTENT_TYPE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listings_locale_is_the_one_their_language_gives() {
        assert_eq!(gazette_render::og_locale(SITE_LANGUAGE), SITE_LOCALE);
    }
}
