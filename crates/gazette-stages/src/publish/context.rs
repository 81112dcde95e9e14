//! What publishing and withdrawing share: the stores, the registry, the settings and the schemas, and where readers find a key.

use gazette_contract::Schemas;
use gazette_site::BaseUrl;
use gazette_subscribers::Registry;

use crate::Stores;
use crate::pages::ArticleObjects;

/// The `source` of every event the publish stage emits.
pub(super) const SOURCE: &str = "/gazette/publish";

#[derive(Debug, Clone)]
pub struct PublishSettings {
    /// Public base URL of the site; without it `url` points into the store.
    pub public_url: Option<String>,
    pub page_cache_control: &'static str,
}

impl Default for PublishSettings {
    fn default() -> Self {
        // Pages change when an article is revised: let caches keep them
        // briefly, and revalidate after.
        Self {
            public_url: None,
            page_cache_control: "public, max-age=300, must-revalidate",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PublishContext {
    pub(super) stores: Stores,
    pub(super) registry: Registry,
    pub(super) settings: PublishSettings,
    /// Every internal event is checked against its schema before it is acted on.
    pub(super) schemas: Schemas,
}

impl PublishContext {
    pub(super) fn objects<'a>(&'a self, article_id: &'a str) -> ArticleObjects<'a> {
        ArticleObjects {
            stores: &self.stores,
            article_id,
            page_cache_control: self.settings.page_cache_control,
        }
    }

    /// Where readers find `key`: under the public site URL, or in the store.
    pub(super) fn public_url(&self, key: &str) -> String {
        match &self.settings.public_url {
            Some(base) => BaseUrl::new(base).join(key),
            None => self.stores.site.locator(key),
        }
    }
}
