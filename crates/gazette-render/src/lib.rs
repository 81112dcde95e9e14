//! Gazette's only door to Handlebars: the theme's templates, registered once in strict mode, rendered per page.

mod page;
mod theme;

pub use page::{ArticlePage, Block, Card, Chrome, HomePage, ListingPage, NotFoundPage};
pub use theme::{RenderError, Renderer, Theme, ThemeAsset};
