//! Where everything lives: article pages and the site's own pages in the public store, the indexer's state and the revision copies in the private archive, and the rule that gives each article a key of its own.

use gazette_text::{SlugRule, slugify_with};

/// A site's or an API's base URL, kept ending in exactly one `/`: the one
/// place a path is joined to a base, so no URL gets `//` or loses its slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn new(base: &str) -> Self {
        Self(format!("{}/", base.trim_end_matches('/')))
    }

    /// `path` (a store key, or a path with its query) under this base.
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.0, path.trim_start_matches('/'))
    }

    /// The base itself, ending in `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The sitemap, or the index of its shards past 50,000 URLs.
pub const SITEMAP_KEY: &str = "sitemap.xml";

/// Everything the indexer keeps for itself, in the archive.
pub const STATE_PREFIX: &str = "_gazette/index/";

/// Where an article's validated copy of one revision is kept, in the archive.
pub fn revision_key(article_id: &str, revision: u64, extension: &str) -> String {
    format!("articles/{article_id}/{revision}.{extension}")
}

/// Where a picture's variants live in the public store: `media/<id>/`,
/// named by its content and the variant settings, never rewritten.
pub fn media_key(image_id: &str, width: u32, extension: &str) -> String {
    format!("media/{image_id}/{width}.{extension}")
}

/// The cover's social card crop around a focal point, in thousandths of
/// the width and height: one picture can be the cover of two articles
/// that centre it differently.
pub fn social_key(image_id: &str, x: f64, y: f64) -> String {
    let thousandths = |f: f64| (f.clamp(0.0, 1.0) * 1000.0).round() as u32;
    format!(
        "media/{image_id}/social-{}-{}.jpg",
        thousandths(x),
        thousandths(y)
    )
}

/// A picture as fetched, in the archive, by the SHA-256 of its bytes: what
/// a rebuild makes new variants from when the variant settings change.
pub fn media_original_key(digest: &str) -> String {
    format!("_gazette/media/originals/{digest}")
}

/// How variants are cached: their key changes whenever their bytes could.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The media stage's record of a processed picture, in the archive; written
/// after its variants, so its presence means they are all stored.
pub fn media_record_key(image_id: &str) -> String {
    format!("_gazette/media/{image_id}.json")
}

/// Top-level names Gazette writes or may write in the public store. A
/// category slug equal to one of them would put articles among them.
pub const RESERVED_CATEGORIES: &[&str] = &[
    "articles", "assets", "atom", "feed", "feeds", "index", "media", "page", "pages", "robots",
    "rss", "pagefind", "search", "sitemap", "sitemaps", "static", "tag", "tags",
];

/// Names inside a category folder that are the category's own pages and
/// feeds, never an article's: `index.html`, `page/`, `rss.xml`, ...
pub const RESERVED_SLUGS: &[&str] = &["404", "atom", "feed", "index", "page", "rss", "sitemap"];

/// Whether a category slug would collide with a name Gazette writes.
pub fn is_reserved_category(slug: &str) -> bool {
    RESERVED_CATEGORIES.contains(&slug)
}

/// The keys an article may take for its page, best first:
/// `<category>/<slug>.html`, then the slug with a suffix from the article
/// id (`-` and 6, then 12, hex digits of its SHA-256), so that two
/// articles whose titles fold to one slug (a weekly notice, "Hà Nội" and
/// "Hà Nối", two long titles sharing their first 80 characters) each get a
/// readable key of their own, the same on every worker. A reserved slug
/// (`index`, `rss`, ...) never gets the plain key.
pub fn page_key_candidates(category: &str, slug: &str, article_id: &str) -> Vec<String> {
    let digest = id_digest(article_id);
    let mut candidates = Vec::with_capacity(3);
    if !RESERVED_SLUGS.contains(&slug) {
        candidates.push(format!("{category}/{slug}.html"));
    }
    for length in [6, 12] {
        candidates.push(format!("{category}/{slug}-{}.html", &digest[..length]));
    }
    candidates
}

/// The keys an article's page may have, for the registry to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageKeys {
    /// Keys the title gave under an older slug rule: the article keeps one
    /// of these if it already owns it, and never claims one anew. So a
    /// revision with an unchanged title stays where it was published, and
    /// only new articles and retitles move to the current rule.
    pub kept: Vec<String>,
    /// [`page_key_candidates`] for the current rule's slug, best first.
    pub claimable: Vec<String>,
}

impl PageKeys {
    /// The keys for an article titled `title` whose slug under the current
    /// rule is `slug` (the validate stage's, carried in the event).
    pub fn for_title(category: &str, title: &str, slug: &str, article_id: &str) -> Self {
        let kept = SlugRule::older()
            .map(|rule| slugify_with(rule, title))
            .filter(|older| !older.is_empty() && older != slug)
            .flat_map(|older| page_key_candidates(category, &older, article_id))
            .collect();
        Self {
            kept,
            claimable: page_key_candidates(category, slug, article_id),
        }
    }

    /// Keys whose slug is already decided, as a migration reads it from
    /// the archive: nothing older to keep.
    pub fn for_slug(category: &str, slug: &str, article_id: &str) -> Self {
        Self {
            kept: Vec::new(),
            claimable: page_key_candidates(category, slug, article_id),
        }
    }
}

/// Hex SHA-256 of the article id; the suffix rule's source.
fn id_digest(article_id: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(article_id.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
pub const SITE_STATE_KEY: &str = "_gazette/index/site.json";

/// The home page's "most read" block as last rendered (`MostRead`).
pub const MOST_READ_KEY: &str = "_gazette/index/most-read.json";

/// How many objects the search documents are spread over: a build of the
/// search index folds the flushes' journals into them and reads them all.
pub const SEARCH_SHARDS: u16 = 256;

/// The search documents' shard holding `article_id`.
pub fn search_shard_of(article_id: &str) -> u16 {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(article_id.as_bytes());
    u16::from(digest[0]) % SEARCH_SHARDS
}

/// `_gazette/index/search/<n>.json`: one shard of the search documents, by article id.
pub fn search_shard_key(shard: u16) -> String {
    format!("{STATE_PREFIX}search/{shard}.json")
}

/// `_gazette/index/search/journal/<n>.json`: what the flush that counted
/// `search_seq` up to `n` changed in search, for the search builder to fold
/// into the shards. Zero-padded, so that a listing sorts them in order.
pub fn search_journal_key(search_seq: u64) -> String {
    format!("{STATE_PREFIX}search/journal/{search_seq:020}.json")
}

/// What the search index in the public site was built from, and its files.
pub const SEARCH_MANIFEST_KEY: &str = "_gazette/index/search.json";

/// Where versions before the registry kept the indexer's record of an
/// article, `<this><id>.json`; an indexer copies them once and then
/// keeps them in the registry (`gazette-stages`, `index/records.rs`).
pub const LEGACY_RECORD_PREFIX: &str = "_gazette/index/articles/";

pub fn category_state_prefix(category: &str) -> String {
    format!("{STATE_PREFIX}categories/{category}/")
}

/// The state of page `number` (1-based) of `category`.
pub fn page_state_key(category: &str, number: u64) -> String {
    format!("{}{number}.json", category_state_prefix(category))
}

/// Where tags' listings live: `tag/<slug>/`, beside the categories. A
/// category can never be called `tag` (it is reserved), so a listing whose
/// name has a `/` is a tag's, and every category function (front page,
/// numbered pages, feeds, page state) serves tags through their listing name.
pub const TAG_FOLDER: &str = "tag";

/// The listing name of the tag `slug`: `tag/<slug>`.
pub fn tag_listing(slug: &str) -> String {
    format!("{TAG_FOLDER}/{slug}")
}

/// The tag's slug when `listing` is a tag's listing name.
pub fn tag_of_listing(listing: &str) -> Option<&str> {
    listing
        .strip_prefix(TAG_FOLDER)
        .and_then(|rest| rest.strip_prefix('/'))
}

/// The tag's own state (name, counter, newest articles): one object per
/// tag, so the site state stays the same size however many tags there are.
pub fn tag_state_key(slug: &str) -> String {
    format!("{STATE_PREFIX}tags/{slug}.json")
}

/// A tag's slug: Vietnamese folded, the rest transliterated. Pinned to one
/// rule rather than the current one, since a tag page has no registry
/// entry to keep its old address if the rule changed. Empty for a tag with
/// no letter or digit, which then has no page.
pub fn tag_slug(tag: &str) -> String {
    gazette_text::slugify_with(gazette_text::SlugRule::Transliterated, tag)
}

/// The state of sitemap shard `number` (1-based).
pub fn shard_state_key(number: u64) -> String {
    format!("{STATE_PREFIX}sitemap/{number}.json")
}

/// The category's front page: its newest articles. Served at `/<category>/`.
pub fn category_front_key(category: &str) -> String {
    format!("{category}/index.html")
}

/// Numbered page `number` (1-based, counted from the oldest) of `category`.
pub fn category_page_key(category: &str, number: u64) -> String {
    format!("{category}/page/{number}.html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_fold_to_one_slug_however_they_are_typed() {
        let decomposed = "Đa\u{300}ng bo\u{323}\u{302}";
        for spelling in ["Đảng bộ", "đảng bộ", "ĐẢNG BỘ", decomposed, "  Đảng   bộ! "]
        {
            assert_eq!(tag_slug(spelling), "dang-bo", "{spelling:?}");
        }
        // U+00D0 from old VNI and TCVN3 conversions keeps its letter.
        assert_eq!(tag_slug("\u{d0}ảng bộ"), "dang-bo");
        assert_eq!(tag_slug("COVID-19"), "covid-19");
        assert_eq!(tag_slug("Tp. Hồ Chí Minh"), "tp-ho-chi-minh");
        for pageless in ["!!!", "🎉", " ", "—"] {
            assert_eq!(tag_slug(pageless), "", "{pageless:?}");
        }
        assert_eq!(tag_listing("dang-bo"), "tag/dang-bo");
        assert_eq!(tag_of_listing("tag/dang-bo"), Some("dang-bo"));
        assert_eq!(tag_of_listing("tin-tuc"), None);
        assert_eq!(tag_of_listing("tagged"), None);
    }

    #[test]
    fn paths_join_a_base_with_one_slash() {
        for base in ["https://a.vn", "https://a.vn/", "https://a.vn//"] {
            let base = BaseUrl::new(base);
            assert_eq!(base.join("b/c.html"), "https://a.vn/b/c.html");
            assert_eq!(base.join("/b/c.html"), "https://a.vn/b/c.html");
            assert_eq!(base.as_str(), "https://a.vn/");
        }
        assert_eq!(
            BaseUrl::new("http://h:8080/api").join("unsubscribe?token=x"),
            "http://h:8080/api/unsubscribe?token=x"
        );
    }

    #[test]
    fn an_older_rules_keys_are_kept_only_where_the_rules_differ() {
        let title = "\u{00D0}ảng bộ quận";
        let keys = PageKeys::for_title("tin-tuc", title, &gazette_text::slugify(title), "a1");
        assert_eq!(keys.claimable[0], "tin-tuc/dang-bo-quan.html");
        assert_eq!(keys.kept[0], "tin-tuc/ang-bo-quan.html");
        assert!(
            keys.kept
                .iter()
                .all(|key| key.starts_with("tin-tuc/ang-bo-quan"))
        );
        assert_eq!(keys.kept.len(), 3);

        let plain = "Đảng bộ quận";
        let keys = PageKeys::for_title("tin-tuc", plain, &gazette_text::slugify(plain), "a1");
        assert!(keys.kept.is_empty(), "{keys:?}");

        // A title the older rule could not spell had no page to keep.
        let cyrillic = "Москва";
        let keys = PageKeys::for_title("tin-tuc", cyrillic, &gazette_text::slugify(cyrillic), "a1");
        assert!(keys.kept.is_empty(), "{keys:?}");
        assert_eq!(keys.claimable[0], "tin-tuc/moskva.html");
    }

    #[test]
    fn colliding_slugs_get_distinct_readable_keys_from_the_id() {
        let a = page_key_candidates("thong-bao", "lich-cat-nuoc", "ntl-2022-06-23");
        let b = page_key_candidates("thong-bao", "lich-cat-nuoc", "ntl-2022-06-30");
        assert_eq!(a[0], "thong-bao/lich-cat-nuoc.html");
        assert_eq!(a[0], b[0]);
        assert_ne!(a[1], b[1]);
        assert!(a[1].starts_with("thong-bao/lich-cat-nuoc-"), "{}", a[1]);
        assert_eq!(
            a[1].len(),
            "thong-bao/lich-cat-nuoc-".len() + 6 + ".html".len()
        );
        // The same article always gets the same candidates.
        assert_eq!(
            a,
            page_key_candidates("thong-bao", "lich-cat-nuoc", "ntl-2022-06-23")
        );
    }

    #[test]
    fn reserved_names_are_never_an_articles_plain_key() {
        for slug in ["index", "rss", "page", "atom"] {
            let candidates = page_key_candidates("tin-tuc", slug, "x");
            assert!(
                candidates
                    .iter()
                    .all(|k| *k != format!("tin-tuc/{slug}.html")),
                "{candidates:?}"
            );
            assert_eq!(candidates.len(), 2);
        }
        assert!(is_reserved_category("articles"));
        assert!(is_reserved_category("assets"));
        assert!(is_reserved_category("sitemaps"));
        assert!(!is_reserved_category("tin-tuc"));
    }
}
