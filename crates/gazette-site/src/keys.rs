//! Where the site's pages and the indexer's state live in the store.

/// Everything the indexer keeps for itself. Public like the rest of the
/// bucket (it holds nothing the pages do not show), but no page links to it.
pub const STATE_PREFIX: &str = "_gazette/index/";
pub const SITE_STATE_KEY: &str = "_gazette/index/site.json";

pub fn record_key(article_id: &str) -> String {
    format!("{STATE_PREFIX}articles/{article_id}.json")
}

pub fn category_state_prefix(category: &str) -> String {
    format!("{STATE_PREFIX}categories/{category}/")
}

/// The state of page `number` (1-based) of `category`.
pub fn page_state_key(category: &str, number: u64) -> String {
    format!("{}{number}.json", category_state_prefix(category))
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
