//! What search engines read from a page: schema.org JSON-LD (`NewsArticle`, `BreadcrumbList`), made safe to sit inside a `<script>` element.
//!
//! The JSON is built as data and serialised, never pasted together from
//! strings, and every `<`, `>` and `&` in it is written as a `\u` escape:
//! an article titled `</script><script>…` stays a JSON string and cannot
//! close the element (the escapes are the same characters to a JSON
//! parser, so the data reads back unchanged).
//!
//! Every URL in the data is absolute, since a crawler reads the block
//! without the page's base. A site without a public URL
//! (`GAZETTE_PUBLIC_URL` unset) has no address to give, so its pages carry
//! the properties that need none and leave out `url`, `mainEntityOfPage`,
//! the publisher's logo and the breadcrumbs; Google's Article
//! documentation marks all of them recommended, none required.

use serde_json::{Value, json};

/// A picture a page offers to share previews and search results.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SocialImage {
    /// Absolute.
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

/// The publisher: the site itself.
#[derive(Debug, Clone, Copy)]
pub struct Publisher<'a> {
    pub name: &'a str,
    /// The site's public base URL, ending in `/`, when it has one.
    pub url: Option<&'a str>,
    /// The theme's logo, absolute, square, with its side in pixels.
    pub logo: Option<(&'a str, u32)>,
}

/// The facts about one article that its structured data states.
#[derive(Debug, Clone, Copy)]
pub struct NewsArticleFacts<'a> {
    pub headline: &'a str,
    pub description: &'a str,
    /// Absolute; `None` when the site has no public URL.
    pub url: Option<&'a str>,
    /// RFC 3339, with the offset the article was given in.
    pub date_published: &'a str,
    pub date_modified: &'a str,
    pub author: &'a str,
    pub section: &'a str,
    /// The category's front page, absolute, for the breadcrumbs.
    pub section_url: Option<&'a str>,
    /// BCP 47, as the article declares it (`vi`).
    pub language: &'a str,
    pub keywords: &'a [String],
    pub image: Option<&'a SocialImage>,
    pub publisher: Publisher<'a>,
}

/// The page's JSON-LD: the article, then Home › Category breadcrumbs
/// where URLs can be given. Ready to be inserted unescaped between
/// `<script type="application/ld+json">` and `</script>`.
pub fn news_article_json_ld(facts: &NewsArticleFacts<'_>) -> String {
    let mut graph = vec![news_article(facts)];
    if let (Some(home), Some(section)) = (facts.publisher.url, facts.section_url) {
        graph.push(breadcrumbs(&[
            (facts.publisher.name, Some(home)),
            (facts.section, Some(section)),
        ]));
    }
    script_safe(&Value::Array(graph))
}

/// A listing's JSON-LD: only its breadcrumbs (Home › Category), or
/// nothing (an empty string) without a public URL.
pub fn listing_json_ld(publisher: &Publisher<'_>, section: &str, section_url: &str) -> String {
    match publisher.url {
        Some(home) => script_safe(&breadcrumbs(&[
            (publisher.name, Some(home)),
            (section, Some(section_url)),
        ])),
        None => String::new(),
    }
}

fn news_article(facts: &NewsArticleFacts<'_>) -> Value {
    let mut article = json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": facts.headline,
        "description": facts.description,
        "datePublished": facts.date_published,
        "dateModified": facts.date_modified,
        "author": [{ "@type": "Person", "name": facts.author }],
        "publisher": organization(&facts.publisher),
        "articleSection": facts.section,
        "inLanguage": facts.language,
        "isAccessibleForFree": true,
    });
    let Value::Object(fields) = &mut article else {
        return article;
    };
    if !facts.keywords.is_empty() {
        fields.insert("keywords".to_owned(), json!(facts.keywords));
    }
    if let Some(url) = facts.url {
        fields.insert("url".to_owned(), json!(url));
        fields.insert(
            "mainEntityOfPage".to_owned(),
            json!({ "@type": "WebPage", "@id": url }),
        );
    }
    if let Some(image) = facts.image {
        fields.insert("image".to_owned(), image_object(image));
    }
    article
}

fn organization(publisher: &Publisher<'_>) -> Value {
    let mut organization = json!({ "@type": "Organization", "name": publisher.name });
    if let Value::Object(fields) = &mut organization {
        if let Some(url) = publisher.url {
            fields.insert("url".to_owned(), json!(url));
        }
        if let Some((logo, side)) = publisher.logo {
            fields.insert(
                "logo".to_owned(),
                json!({ "@type": "ImageObject", "url": logo, "width": side, "height": side }),
            );
        }
    }
    organization
}

fn image_object(image: &SocialImage) -> Value {
    json!([{
        "@type": "ImageObject",
        "url": image.url,
        "width": image.width,
        "height": image.height,
        "caption": image.alt,
    }])
}

/// `BreadcrumbList` from the trail, outermost first. The last crumb is the
/// page the reader is on; Google accepts it without an `item`.
fn breadcrumbs(trail: &[(&str, Option<&str>)]) -> Value {
    let items: Vec<Value> = trail
        .iter()
        .enumerate()
        .map(|(index, (name, url))| {
            let mut item = json!({ "@type": "ListItem", "position": index + 1, "name": name });
            if let (Value::Object(fields), Some(url)) = (&mut item, url) {
                fields.insert("item".to_owned(), json!(url));
            }
            item
        })
        .collect();
    json!({
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": items,
    })
}

/// JSON that can sit between `<script>` and `</script>`: `<`, `>` and `&`
/// (and the two line separators old JavaScript parsers choke on) are
/// written as `\u` escapes. They can only occur inside JSON strings, where
/// the escape means the same character.
pub fn script_safe(value: &Value) -> String {
    let json = value.to_string();
    let mut safe = String::with_capacity(json.len());
    for character in json.chars() {
        match character {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            '\u{2028}' => safe.push_str("\\u2028"),
            '\u{2029}' => safe.push_str("\\u2029"),
            other => safe.push(other),
        }
    }
    safe
}

/// The OpenGraph locale (`vi_VN`) for a BCP 47 language tag (`vi`, `en-GB`).
pub fn og_locale(language: &str) -> String {
    let mut parts = language.split(['-', '_']);
    let primary = parts.next().unwrap_or_default().to_ascii_lowercase();
    let region = parts
        .find(|part| part.len() == 2 && part.chars().all(|c| c.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase);
    let region = region.unwrap_or_else(|| {
        // A language's main territory where it is not the language's own code.
        match primary.as_str() {
            "en" => "US",
            "vi" => "VN",
            "zh" => "CN",
            "ja" => "JP",
            "ko" => "KR",
            "km" => "KH",
            "lo" => "LA",
            other => return other.to_ascii_uppercase(),
        }
        .to_owned()
    });
    format!("{primary}_{region}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(keywords: &'a [String], image: Option<&'a SocialImage>) -> NewsArticleFacts<'a> {
        NewsArticleFacts {
            headline: "Hội nghị lần thứ 14 </script><script>alert(1)</script>",
            description: "(NTL) Sáng ngày 23/6 & chiều",
            url: Some("https://quan.example.vn/tin-tuc/hoi-nghi.html"),
            date_published: "2022-06-23T15:04:00+07:00",
            date_modified: "2022-06-24T09:00:00+07:00",
            author: "Thanh Hải",
            section: "Tin tức",
            section_url: Some("https://quan.example.vn/tin-tuc/"),
            language: "vi",
            keywords,
            image,
            publisher: Publisher {
                name: "Quận Nam Từ Liêm",
                url: Some("https://quan.example.vn/"),
                logo: Some(("https://quan.example.vn/assets/icon-512.png", 512)),
            },
        }
    }

    fn parsed(json_ld: &str) -> Vec<Value> {
        match serde_json::from_str::<Value>(json_ld) {
            Ok(Value::Array(items)) => items,
            other => panic!("not a JSON array: {other:?} from {json_ld}"),
        }
    }

    #[test]
    fn text_can_never_close_the_script_element() {
        let keywords = vec!["<!--".to_owned(), "a&b".to_owned(), "x\u{2028}y".to_owned()];
        let json_ld = news_article_json_ld(&facts(&keywords, None));
        for forbidden in ["<", ">", "&", "\u{2028}"] {
            assert!(!json_ld.contains(forbidden), "{forbidden:?} in {json_ld}");
        }
        // The escapes read back as the very same text.
        let graph = parsed(&json_ld);
        assert_eq!(
            graph[0]["headline"],
            "Hội nghị lần thứ 14 </script><script>alert(1)</script>"
        );
        assert_eq!(graph[0]["keywords"], json!(["<!--", "a&b", "x\u{2028}y"]));
    }

    #[test]
    fn a_news_article_names_what_google_asks_for() {
        let keywords = vec!["hội nghị".to_owned(), "Đảng bộ".to_owned()];
        let image = SocialImage {
            url: "https://quan.example.vn/media/ab/1200x630.jpg".to_owned(),
            width: 1200,
            height: 630,
            alt: "Quang cảnh hội nghị".to_owned(),
        };
        let graph = parsed(&news_article_json_ld(&facts(&keywords, Some(&image))));
        let article = &graph[0];
        assert_eq!(article["@context"], "https://schema.org");
        assert_eq!(article["@type"], "NewsArticle");
        assert_eq!(article["datePublished"], "2022-06-23T15:04:00+07:00");
        assert_eq!(article["dateModified"], "2022-06-24T09:00:00+07:00");
        assert_eq!(article["author"][0]["@type"], "Person");
        assert_eq!(article["author"][0]["name"], "Thanh Hải");
        assert_eq!(article["publisher"]["@type"], "Organization");
        assert_eq!(article["publisher"]["name"], "Quận Nam Từ Liêm");
        assert_eq!(article["publisher"]["logo"]["width"], 512);
        assert_eq!(article["articleSection"], "Tin tức");
        assert_eq!(article["inLanguage"], "vi");
        assert_eq!(
            article["mainEntityOfPage"]["@id"],
            "https://quan.example.vn/tin-tuc/hoi-nghi.html"
        );
        assert_eq!(article["image"][0]["width"], 1200);
        assert_eq!(article["keywords"], json!(["hội nghị", "Đảng bộ"]));

        let trail = &graph[1];
        assert_eq!(trail["@type"], "BreadcrumbList");
        let items = trail["itemListElement"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["position"], 1);
        assert_eq!(items[0]["item"], "https://quan.example.vn/");
        assert_eq!(items[1]["name"], "Tin tức");
        assert_eq!(items[1]["item"], "https://quan.example.vn/tin-tuc/");
    }

    #[test]
    fn without_a_public_url_nothing_relative_is_given_as_an_address() {
        let mut facts = facts(&[], None);
        facts.url = None;
        facts.section_url = None;
        facts.publisher = Publisher {
            name: "Gazette",
            url: None,
            logo: None,
        };
        let graph = parsed(&news_article_json_ld(&facts));
        assert_eq!(graph.len(), 1, "no breadcrumbs without addresses");
        let article = &graph[0];
        for absent in ["url", "mainEntityOfPage", "image", "keywords"] {
            assert!(article.get(absent).is_none(), "{absent} in {article}");
        }
        assert!(article["publisher"].get("logo").is_none());
        assert_eq!(
            listing_json_ld(&facts.publisher, "Tin tức", "/tin-tuc/"),
            ""
        );
    }

    #[test]
    fn locales_for_opengraph() {
        assert_eq!(og_locale("vi"), "vi_VN");
        assert_eq!(og_locale("vi-VN"), "vi_VN");
        assert_eq!(og_locale("en"), "en_US");
        assert_eq!(og_locale("en-GB"), "en_GB");
        assert_eq!(og_locale("fr"), "fr_FR");
        assert_eq!(og_locale("zh-Hant-TW"), "zh_TW");
    }
}
