//! Loading a theme folder (or the built-in default) and rendering with it.

use std::path::{Path, PathBuf};

use handlebars::Handlebars;

use crate::{ArticlePage, HomePage, ListingPage, NotFoundPage, Picture, SearchPage};

/// A template: its registered name, its path inside a theme folder, and
/// the built-in default's text (compiled in from `themes/default/`, so that
/// a lone binary renders pages; `Theme::from_dir` swaps in another folder).
struct TemplateFile {
    name: &'static str,
    path: &'static str,
    default: &'static str,
}

macro_rules! templates {
    ($($name:literal => $path:literal),* $(,)?) => {
        [$(TemplateFile {
            name: $name,
            path: $path,
            default: include_str!(concat!("../../../themes/default/", $path)),
        }),*]
    };
}

/// Referenced by name from templates (`{{> head}}`); `layout` wraps pages
/// as a partial block.
const PARTIALS: [TemplateFile; 8] = templates![
    "layout" => "layout.hbs",
    "head" => "partials/head.hbs",
    "site-header" => "partials/site-header.hbs",
    "site-footer" => "partials/site-footer.hbs",
    "article-meta" => "partials/article-meta.hbs",
    "card" => "partials/card.hbs",
    "pagination" => "partials/pagination.hbs",
    "picture" => "partials/picture.hbs",
];
/// One per page type.
const PAGES: [TemplateFile; 5] = templates![
    "article" => "article.hbs",
    "listing" => "listing.hbs",
    "home" => "home.hbs",
    "not-found" => "404.hbs",
    "search" => "search.hbs",
];

/// Static files the theme ships, written to the store under the same path
/// (`assets/...`, and `favicon.ico` at the root): Noto Sans in the Latin and Vietnamese subsets, so that
/// stacked diacritics (ệ, ậ, ổ) never fall back to another face, whatever
/// fonts the reader's device has.
macro_rules! assets {
    ($($path:literal => $content_type:literal),* $(,)?) => {
        [$(Asset {
            path: $path,
            content_type: $content_type,
            default: include_bytes!(concat!("../../../themes/default/", $path)),
        }),*]
    };
}

struct Asset {
    path: &'static str,
    content_type: &'static str,
    default: &'static [u8],
}

const ASSETS: [Asset; 11] = assets![
    "assets/fonts/noto-sans-latin-400-normal.woff2" => "font/woff2",
    "assets/fonts/noto-sans-latin-700-normal.woff2" => "font/woff2",
    "assets/fonts/noto-sans-vietnamese-400-normal.woff2" => "font/woff2",
    "assets/fonts/noto-sans-vietnamese-700-normal.woff2" => "font/woff2",
    "assets/fonts/OFL.txt" => "text/plain; charset=utf-8",
    // The site's icon: the tab's favicon (at the root, where browsers ask
    // for it unprompted), the web app manifest's icons, and the publisher
    // logo in structured data (512 px, square, as Google asks).
    "favicon.ico" => "image/x-icon",
    "assets/icons/icon-180.png" => "image/png",
    "assets/icons/icon-192.png" => "image/png",
    "assets/icons/icon-512.png" => "image/png",
    // The view counter's beacon and count, deferred (`partials/article-meta.hbs`).
    "assets/views.js" => "text/javascript; charset=utf-8",
    // The search page's queries against the static index (`search.hbs`).
    "assets/search.js" => "text/javascript; charset=utf-8",
];

/// The theme's square logo, and its side in pixels: the publisher logo in
/// structured data and the largest icon of the web app manifest.
pub const LOGO: (&str, u32) = ("assets/icons/icon-512.png", 512);
/// The web app manifest's icons: path and side.
pub const MANIFEST_ICONS: [(&str, u32); 2] = [
    ("assets/icons/icon-192.png", 192),
    ("assets/icons/icon-512.png", 512),
];

/// One of the theme's static files, as it goes into the store.
#[derive(Debug, Clone)]
pub struct ThemeAsset {
    /// Also the store key and the URL path.
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("theme file {path} cannot be read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("theme template {name} does not compile: {reason}")]
    Template { name: String, reason: String },
    /// The article cannot be rendered with this theme (strict mode found a
    /// missing value, a helper failed). Retrying will not help.
    #[error("rendering {template} failed: {reason}")]
    Render {
        template: &'static str,
        reason: String,
    },
}

/// A theme's template sources, before registration, and its static files.
#[derive(Debug, Clone)]
pub struct Theme {
    files: Vec<(String, String)>,
    assets: Vec<ThemeAsset>,
}

impl Theme {
    pub fn built_in() -> Self {
        Self {
            files: PARTIALS
                .iter()
                .chain(PAGES.iter())
                .map(|t| (t.path.to_owned(), t.default.to_owned()))
                .collect(),
            assets: ASSETS
                .iter()
                .map(|a| ThemeAsset {
                    path: a.path,
                    content_type: a.content_type,
                    bytes: a.default.to_vec(),
                })
                .collect(),
        }
    }

    /// Reads every template the renderer needs from `dir`, which has the
    /// same layout as `themes/default/`.
    pub fn from_dir(dir: &Path) -> Result<Self, RenderError> {
        let mut files = Vec::new();
        for TemplateFile { path: relative, .. } in PARTIALS.iter().chain(PAGES.iter()) {
            let path = dir.join(relative);
            let text = std::fs::read_to_string(&path).map_err(|source| RenderError::Read {
                path: path.clone(),
                source,
            })?;
            files.push(((*relative).to_owned(), text));
        }
        // A theme folder may ship its own fonts; those it lacks are the default's.
        let mut assets = Vec::new();
        for asset in &ASSETS {
            let bytes =
                std::fs::read(dir.join(asset.path)).unwrap_or_else(|_| asset.default.to_vec());
            assets.push(ThemeAsset {
                path: asset.path,
                content_type: asset.content_type,
                bytes,
            });
        }
        Ok(Self { files, assets })
    }

    fn source(&self, relative: &str) -> &str {
        self.files
            .iter()
            .find(|(path, _)| path == relative)
            .map_or("", |(_, text)| text.as_str())
    }
}

/// Templates compiled once at start; `render_article` is then cheap and
/// can be shared across tasks.
#[derive(Debug)]
pub struct Renderer {
    registry: Handlebars<'static>,
    assets: Vec<ThemeAsset>,
}

impl Renderer {
    pub fn new(theme: &Theme) -> Result<Self, RenderError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        for TemplateFile { name, path, .. } in PARTIALS {
            registry
                .register_partial(name, theme.source(path))
                .map_err(|e| RenderError::Template {
                    name: name.to_owned(),
                    reason: e.to_string(),
                })?;
        }
        for TemplateFile { name, path, .. } in PAGES {
            registry
                .register_template_string(name, theme.source(path))
                .map_err(|e| RenderError::Template {
                    name: name.to_owned(),
                    reason: e.to_string(),
                })?;
        }
        Ok(Self {
            registry,
            assets: theme.assets.clone(),
        })
    }

    /// The theme's static files, to be written to the store beside the pages.
    pub fn assets(&self) -> &[ThemeAsset] {
        &self.assets
    }

    pub fn render_article(&self, page: &ArticlePage<'_>) -> Result<String, RenderError> {
        self.render("article", page)
    }

    pub fn render_listing(&self, page: &ListingPage<'_>) -> Result<String, RenderError> {
        self.render("listing", page)
    }

    pub fn render_home(&self, page: &HomePage<'_>) -> Result<String, RenderError> {
        self.render("home", page)
    }

    pub fn render_not_found(&self, page: &NotFoundPage<'_>) -> Result<String, RenderError> {
        self.render("not-found", page)
    }

    pub fn render_search(&self, page: &SearchPage<'_>) -> Result<String, RenderError> {
        self.render("search", page)
    }

    /// One picture's markup, for a picture inside an article's body.
    pub fn render_picture(&self, picture: &Picture) -> Result<String, RenderError> {
        self.render("picture", picture)
    }

    fn render(
        &self,
        template: &'static str,
        page: &impl serde::Serialize,
    ) -> Result<String, RenderError> {
        self.registry
            .render(template, page)
            .map_err(|e| RenderError::Render {
                template,
                reason: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page<'a>(tags: &'a [crate::TagLink]) -> ArticlePage<'a> {
        ArticlePage {
            chrome: crate::Chrome {
                lang: "vi",
                site_name: "Quận <Nam Từ Liêm>",
                home_href: "/",
                canonical_url: "",
                title: "Hội nghị \"lần\" thứ 14 <b>",
                description: "Mô tả",
                rss_href: "/tin-tuc/rss.xml",
                atom_href: "/tin-tuc/atom.xml",
                noindex: false,
                locale: "vi_VN",
                og_type: "article",
                image: None,
                article_meta: None,
                structured_data: "",
                nav: &[],
                search: true,
            },
            category_name: "Tin tức",
            category_href: "/tin-tuc/",
            published_iso: "2022-06-23T15:04:00+07:00",
            modified_iso: "2022-06-23T15:04:00+07:00",
            published_display: "23/06/2022 | 15:04",
            lead: "(NTL) Sáng ngày 23/6 & <i>chiều</i>",
            author: "Thanh Hải",
            tags,
            body_html: "<p>Đoạn <em>một</em></p>",
            cover: None,
            views_url: "",
        }
    }

    #[test]
    fn escapes_everything_but_the_body() {
        let renderer = Renderer::new(&Theme::built_in()).map_err(|e| e.to_string());
        let tags = vec![
            crate::TagLink {
                name: "hội nghị".to_owned(),
                href: "/tag/hoi-nghi/".to_owned(),
            },
            crate::TagLink {
                name: "<!>".to_owned(),
                href: String::new(),
            },
        ];
        let html = renderer.and_then(|r| r.render_article(&page(&tags)).map_err(|e| e.to_string()));
        let html = html.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            html.starts_with("<!DOCTYPE html>\n<html lang=\"vi\">"),
            "{html}"
        );
        assert!(
            html.contains("<h1>Hội nghị &quot;lần&quot; thứ 14 &lt;b&gt;</h1>"),
            "{html}"
        );
        assert!(
            html.contains("(NTL) Sáng ngày 23/6 &amp; &lt;i&gt;chiều&lt;/i&gt;"),
            "{html}"
        );
        assert!(html.contains("<p>Đoạn <em>một</em></p>"), "{html}");
        assert!(
            html.contains(
                "Ngày đăng <time datetime=\"2022-06-23T15:04:00+07:00\">23/06/2022 | 15:04</time>"
            ),
            "{html}"
        );
        assert!(html.contains("Quận &lt;Nam Từ Liêm&gt;"), "{html}");
        assert!(
            html.contains(r#"<li><a href="/tag/hoi-nghi/" rel="tag">hội nghị</a></li>"#),
            "{html}"
        );
        assert!(html.contains("<li>&lt;!&gt;</li>"), "{html}");
    }

    #[test]
    fn strict_mode_refuses_a_theme_that_uses_an_unknown_name() {
        let mut theme = Theme::built_in();
        for (path, text) in &mut theme.files {
            if path == "article.hbs" {
                text.push_str("{{no_such_field}}");
            }
        }
        let renderer = Renderer::new(&theme).unwrap_or_else(|e| panic!("{e}"));
        let err = renderer
            .render_article(&page(&[]))
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("no_such_field")));
    }
}
