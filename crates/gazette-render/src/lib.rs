//! Gazette's only door to Handlebars: the theme's templates, registered once in strict mode, rendered per page, and the structured data pages carry.

mod page;
mod picture;
mod structured_data;
mod theme;

pub use page::{
    ArticleMeta, ArticlePage, Block, Card, Chrome, HomePage, ListingPage, NavItem, NotFoundPage,
    RankedCard, SearchPage, Section, TagLink,
};
pub use picture::{ARTICLE_SIZES, CARD_SIZES, Figure, Picture, PictureFiles, media_path};
pub use structured_data::{
    NewsArticleFacts, Publisher, SocialImage, listing_json_ld, news_article_json_ld, og_locale,
    script_safe,
};
pub use theme::{LOGO, MANIFEST_ICONS, RenderError, Renderer, Theme, ThemeAsset};
