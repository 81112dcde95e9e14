//! The render stage: the registry gives the article its page key, the theme makes the page, `article.rendered` goes out.
//!
//! The key is claimed here because the page names its own URL (canonical
//! link, breadcrumbs): it must be known before rendering. A revision the
//! registry already knows to be stale or withdrawn is not rendered at all.

use gazette_broker::{Disposition, Failure, Handler, Inbound, Outbound};
use gazette_contract::{
    Envelope, EventType, Rendered, Schemas, VALIDATED_WITHOUT_PICTURES, ValidatedArticle, event_id,
};
use gazette_render::{
    ArticleMeta, ArticlePage, Chrome, LOGO, NavItem, NewsArticleFacts, Publisher, RenderError,
    Renderer, Section, TagLink, news_article_json_ld, og_locale,
};
use gazette_text::{BodySanitizer, portal_datetime};
use tracing::info;

use crate::wire::MalformedEvent;
use gazette_contract::FieldError;
use gazette_site::{BaseUrl, PageKeys, tag_listing, tag_slug};
use gazette_subscribers::{DatabaseError, KeyClaim, Registry};

use crate::media::names_pictures;
use crate::rejection::rejection;
use pictures::{body_with_pictures, cover_figure, social_image};

#[path = "render_pictures.rs"]
pub(crate) mod pictures;
use crate::{decode_event, encode_event, off_reactor, off_reactor_on};

const SOURCE: &str = "/gazette/render";
/// Search engines show about this much of a description.
const DESCRIPTION_CHARS: usize = 160;

#[derive(Debug, thiserror::Error)]
pub enum RenderFailure {
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    #[error("the theme cannot render this article: {0}")]
    Theme(#[from] RenderError),
    #[error("cannot encode an event: {0}")]
    Encode(serde_json::Error),
    #[error("rendering this article crashed: {0}")]
    Crashed(String),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("article {article_id}: every key its title can have belongs to other articles")]
    NoKey {
        article_id: String,
        notice: Box<Outbound>,
    },
}

impl Failure for RenderFailure {
    fn disposition(&self) -> Disposition {
        // A template that fails for this article fails every time.
        let reason = match self {
            Self::Database(_) => return Disposition::Retry,
            Self::Malformed(_) => "malformed-event",
            Self::Theme(_) => "render-failed",
            Self::Encode(_) => "encode",
            Self::Crashed(_) => "handler-panicked",
            Self::NoKey { .. } => "no-free-key",
        };
        Disposition::DeadLetter { reason }
    }

    fn notices(&self) -> Vec<Outbound> {
        match self {
            Self::NoKey { notice, .. } => vec![notice.as_ref().clone()],
            _ => Vec::new(),
        }
    }
}

/// A category's RSS and Atom feeds, as links from its pages.
pub fn category_feed_hrefs(category_slug: &str) -> (String, String) {
    (
        format!("/{category_slug}/rss.xml"),
        format!("/{category_slug}/atom.xml"),
    )
}

/// What every page of the site shares.
#[derive(Debug, Clone)]
pub struct SiteSettings {
    pub name: String,
    /// Public base URL of the site (`https://quan.example.vn/`), for
    /// canonical links and the `url` of `article.published`.
    pub public_url: Option<String>,
    pub time_zone: chrono_tz::Tz,
    /// The categories every page's header lists, in the operator's order.
    pub sections: Vec<Section>,
    /// The public base URL of Gazette's API, where article pages' view
    /// counter records visits and reads counts; `None` for no counter.
    pub views_api: Option<String>,
    /// Whether the site has search: the header's search box, `/search/`
    /// and the index the indexer builds for it.
    pub search: bool,
}

/// The site's addresses structured data gives, when it has a public URL.
#[derive(Debug, Clone)]
pub(crate) struct PublicAddresses {
    base: BaseUrl,
    logo: String,
}

impl PublicAddresses {
    pub(crate) fn of(site: &SiteSettings) -> Option<Self> {
        let base = BaseUrl::new(site.public_url.as_deref()?);
        let logo = base.join(LOGO.0);
        Some(Self { base, logo })
    }

    pub(crate) fn join(&self, path: &str) -> String {
        self.base.join(path)
    }
}

/// The site as publisher in structured data: its name, and its address
/// and logo where it has a public one.
pub(crate) fn publisher<'a>(
    site: &'a SiteSettings,
    addresses: Option<&'a PublicAddresses>,
) -> Publisher<'a> {
    Publisher {
        name: &site.name,
        url: addresses.map(|a| a.base.as_str()),
        logo: addresses.map(|a| (a.logo.as_str(), LOGO.1)),
    }
}

#[derive(Debug, Clone)]
pub struct RenderStage {
    pages: std::sync::Arc<ArticlePages>,
    schemas: Schemas,
    registry: Registry,
}

impl RenderStage {
    pub fn new(
        renderer: std::sync::Arc<Renderer>,
        site: SiteSettings,
        schemas: Schemas,
        registry: Registry,
    ) -> Self {
        Self {
            pages: std::sync::Arc::new(ArticlePages::new(renderer, site)),
            schemas,
            registry,
        }
    }

    /// Rendering with the claimed key: CPU work, run off the reactor.
    fn render_event(
        &self,
        event: Envelope<ValidatedArticle>,
        key: String,
    ) -> Result<Outbound, RenderFailure> {
        let html = self.pages.render(&event.data, &key)?;
        let correlation = event.correlation().to_owned();
        let validated = event.data;
        let (article_id, revision) = (validated.article.id.clone(), validated.article.revision);
        info!(%article_id, revision, %key, bytes = html.len(), "rendered");
        // The validated article moves into the output rather than being copied.
        let rendered = Envelope::new(
            EventType::Rendered,
            event_id(&article_id, revision, EventType::Rendered),
            SOURCE,
            &article_id,
            Some(&correlation),
            Rendered {
                validated,
                key,
                html,
            },
        );
        encode_event(EventType::Rendered, &rendered).map_err(RenderFailure::Encode)
    }
}

/// An article's page from its validated copy: what the render stage does
/// to each message and `gazette rebuild` to each stored article.
#[derive(Debug)]
pub struct ArticlePages {
    renderer: std::sync::Arc<Renderer>,
    site: SiteSettings,
    /// Worked out once from the settings, not per page.
    addresses: Option<PublicAddresses>,
    /// For copies read back from storage, which are sanitised again.
    sanitizer: BodySanitizer,
}

impl ArticlePages {
    /// With a renderer other users may share (the rebuild's tasks).
    pub fn new(renderer: std::sync::Arc<Renderer>, site: SiteSettings) -> Self {
        Self {
            renderer,
            addresses: PublicAddresses::of(&site),
            site,
            sanitizer: BodySanitizer::default(),
        }
    }

    /// The page for a copy read back from storage. Its body is sanitised
    /// again rather than trusted: storage is outside the broker's checks,
    /// and ammonia leaves clean HTML as it was, so only a tampered or
    /// older copy changes. The theme stays the only unescaped source.
    pub fn render_stored(
        &self,
        mut validated: ValidatedArticle,
        key: &str,
    ) -> Result<(String, ValidatedArticle), RenderError> {
        validated.body_html = self.sanitizer.html(&validated.body_html);
        let html = self.render(&validated, key)?;
        Ok((html, validated))
    }

    /// The public URL of the page at `key`, when the site has one.
    pub fn page_url(&self, key: &str) -> Option<String> {
        self.addresses.as_ref().map(|a| a.join(key))
    }

    /// The page for `validated`, to be stored under `key`.
    pub fn render(&self, validated: &ValidatedArticle, key: &str) -> Result<String, RenderError> {
        let article = &validated.article;
        let addresses = self.addresses.as_ref();
        let canonical_url = self.page_url(key).unwrap_or_default();
        let category_href = format!("/{}/", article.category.slug);
        let (rss_href, atom_href) = category_feed_hrefs(&article.category.slug);
        let description = description(&article.lead, &article.title);
        let published_iso = article.published_at.to_rfc3339();
        let modified_iso = article.modified_at().to_rfc3339();
        let section_url = addresses.map(|a| a.join(&format!("{}/", article.category.slug)));
        let social = social_image(validated, |key| addresses.map(|a| a.join(key)));
        let cover = cover_figure(validated);
        let body_html = body_with_pictures(&self.renderer, validated)?;
        let structured_data = news_article_json_ld(&NewsArticleFacts {
            headline: &article.title,
            description: &description,
            url: addresses.map(|_| canonical_url.as_str()),
            date_published: &published_iso,
            date_modified: &modified_iso,
            author: &article.author,
            section: &article.category.name,
            section_url: section_url.as_deref(),
            language: &article.language,
            keywords: &article.tags,
            image: social.as_ref(),
            publisher: publisher(&self.site, addresses),
        });
        let article_meta = ArticleMeta {
            published_time: published_iso.clone(),
            modified_time: modified_iso.clone(),
            section: article.category.name.clone(),
            tags: article.tags.clone(),
        };
        let nav = NavItem::marked(&self.site.sections, Some(&article.category.slug), false);
        // Article ids are URL-safe by the schema (`[a-z0-9._-]`).
        let views_url = self
            .site
            .views_api
            .as_deref()
            .map(|api| BaseUrl::new(api).join(&format!("views/{}", article.id)))
            .unwrap_or_default();
        let locale = og_locale(&article.language);
        let html = self.renderer.render_article(&ArticlePage {
            chrome: Chrome {
                lang: &article.language,
                site_name: &self.site.name,
                home_href: "/",
                canonical_url: &canonical_url,
                title: &article.title,
                description: &description,
                rss_href: &rss_href,
                atom_href: &atom_href,
                noindex: false,
                locale: &locale,
                og_type: "article",
                image: social.as_ref(),
                article_meta: Some(&article_meta),
                structured_data: &structured_data,
                nav: &nav,
                search: self.site.search,
            },
            category_name: &article.category.name,
            category_href: &category_href,
            published_iso: &published_iso,
            modified_iso: &modified_iso,
            published_display: &portal_datetime(&article.published_at, self.site.time_zone),
            lead: &article.lead,
            author: &article.author,
            tags: &tag_links(&article.tags),
            body_html: &body_html,
            cover: cover.as_ref(),
            views_url: &views_url,
        })?;
        Ok(html)
    }
}

impl Handler for RenderStage {
    type Error = RenderFailure;

    async fn handle(&self, message: &Inbound) -> Result<Vec<Outbound>, RenderFailure> {
        let span = tracing::Span::current();
        // Validate's hand-off of an article without pictures, or media's of
        // one whose pictures are stored; the broker's routing key says which.
        let expected = if message.routing_key == VALIDATED_WITHOUT_PICTURES {
            EventType::Validated
        } else {
            EventType::Illustrated
        };
        // A schema check of the whole message is CPU work too.
        let event: Envelope<ValidatedArticle> =
            off_reactor_on(&self.schemas, message, move |schemas, message| {
                decode_event(schemas, expected, message)
            })
            .await
            .map_err(RenderFailure::Crashed)??;
        if expected == EventType::Validated {
            refuse_unstored_pictures(&event.data)?;
        }
        let validated = &event.data;
        let article = &validated.article;
        let keys = PageKeys::for_title(
            &article.category.slug,
            &article.title,
            &validated.slug,
            &article.id,
        );
        let key = match self
            .registry
            .claim_key(&article.id, article.revision, &keys.kept, &keys.claimable)
            .await?
        {
            KeyClaim::Owned(key) => key,
            KeyClaim::Stale { newest } => {
                info!(article_id = %article.id, revision = article.revision, newest, "a newer revision is recorded; not rendering this one");
                return Ok(Vec::new());
            }
            KeyClaim::Withdrawn { through } => {
                info!(article_id = %article.id, revision = article.revision, through, "this revision was withdrawn; not rendering it");
                return Ok(Vec::new());
            }
            KeyClaim::Taken => {
                let errors = [FieldError::new(
                    "/data/title",
                    "every page address this title can have belongs to another article; change the title",
                )];
                let notice = rejection(
                    &article.id,
                    Some(article.revision),
                    event.correlation(),
                    &errors,
                    SOURCE,
                )
                .map_err(RenderFailure::Encode)?;
                return Err(RenderFailure::NoKey {
                    article_id: article.id.clone(),
                    notice: Box::new(notice),
                });
            }
        };
        let stage = self.clone();
        let rendered = off_reactor(message.body.len(), move || {
            span.in_scope(|| stage.render_event(event, key))
        })
        .await
        .map_err(RenderFailure::Crashed)??;
        Ok(vec![rendered])
    }
}

/// An article handed to render past the media stage must name no picture
/// and carry no stored ones: its pictures would be shown from wherever the
/// article says, or from variants no media stage made.
fn refuse_unstored_pictures(validated: &ValidatedArticle) -> Result<(), MalformedEvent> {
    if names_pictures(validated) || !validated.images.is_empty() {
        return Err(MalformedEvent {
            expected: EventType::Validated,
            detail: format!(
                "article {} came as {VALIDATED_WITHOUT_PICTURES} but has pictures; an article with pictures goes through the media stage",
                validated.article.id
            ),
        });
    }
    Ok(())
}

/// The article's tags, each linked to its page (`/tag/<slug>/`).
fn tag_links(tags: &[String]) -> Vec<TagLink> {
    tags.iter()
        .map(|name| {
            let slug = tag_slug(name);
            TagLink {
                name: name.clone(),
                href: match slug.is_empty() {
                    true => String::new(),
                    false => format!("/{}/", tag_listing(&slug)),
                },
            }
        })
        .collect()
}

fn description(lead: &str, title: &str) -> String {
    let source = if lead.trim().is_empty() { title } else { lead };
    match source.char_indices().nth(DESCRIPTION_CHARS) {
        Some((cut, _)) => format!("{}…", source[..cut].trim_end()),
        None => source.to_owned(),
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
