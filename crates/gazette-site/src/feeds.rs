//! RSS 2.0 and Atom 1.0 feeds of a list of entries, site-wide or per category.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset};

use gazette_contract::article_urn;

use crate::Slot;
use crate::xml::{escape, whole_seconds};

/// What a feed says about itself; `entries` newest first.
#[derive(Debug)]
pub struct Feed<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub language: &'a str,
    /// The HTML page the feed mirrors (absolute).
    pub page_url: &'a str,
    /// Where this feed itself is served (absolute).
    pub self_url: &'a str,
    pub entries: &'a [&'a Slot],
}

impl Feed<'_> {
    /// The newest change among the entries; a fixed instant when there are
    /// none, so that rewriting an empty feed yields the same bytes.
    fn updated(&self) -> DateTime<FixedOffset> {
        self.entries
            .iter()
            .map(|s| s.entry.updated_at)
            .max()
            .unwrap_or_default()
    }
}

/// The cover's 960-pixel JPEG, absolute: under the same base as the
/// entry's own URL, which ends in its key.
fn cover_url(entry: &crate::Entry) -> Option<String> {
    let cover = entry.cover.as_ref()?;
    let base = entry.url.strip_suffix(entry.key.as_str())?;
    Some(format!("{base}{}", cover.jpeg_key(960)))
}

pub fn rss(feed: &Feed<'_>) -> String {
    let mut xml = String::with_capacity(1024 + feed.entries.len() * 600);
    let _ = write!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n\
         <title>{}</title>\n<link>{}</link>\n<description>{}</description>\n\
         <language>{}</language>\n<lastBuildDate>{}</lastBuildDate>\n\
         <atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n",
        escape(feed.title),
        escape(feed.page_url),
        escape(feed.description),
        escape(feed.language),
        feed.updated().to_rfc2822(),
        escape(feed.self_url),
    );
    for slot in feed.entries {
        let entry = &slot.entry;
        let _ = write!(
            xml,
            "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"false\">{}</guid>\n\
             <pubDate>{}</pubDate>\n<category>{}</category>\n<description>{}</description>\n",
            escape(&entry.title),
            escape(&entry.url),
            article_urn(&entry.article_id),
            entry.published_at.to_rfc2822(),
            escape(&entry.category_name),
            escape(&entry.lead),
        );
        if let Some(url) = cover_url(entry) {
            // The size is not kept per variant; RSS asks for 0 then.
            let _ = writeln!(
                xml,
                "<enclosure url=\"{}\" length=\"0\" type=\"image/jpeg\"/>",
                escape(&url)
            );
        }
        xml.push_str("</item>\n");
    }
    xml.push_str("</channel>\n</rss>\n");
    xml
}

pub fn atom(feed: &Feed<'_>) -> String {
    let mut xml = String::with_capacity(1024 + feed.entries.len() * 700);
    let _ = write!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n\
         <id>{}</id>\n<title>{}</title>\n<subtitle>{}</subtitle>\n<updated>{}</updated>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        escape(feed.language),
        escape(feed.self_url),
        escape(feed.title),
        escape(feed.description),
        whole_seconds(feed.updated()),
        escape(feed.page_url),
        escape(feed.self_url),
    );
    for slot in feed.entries {
        let entry = &slot.entry;
        let author = if entry.author.is_empty() {
            feed.title
        } else {
            &entry.author
        };
        let _ = write!(
            xml,
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <published>{}</published>\n<updated>{}</updated>\n<author><name>{}</name></author>\n\
             <category term=\"{}\" label=\"{}\"/>\n<summary>{}</summary>\n",
            article_urn(&entry.article_id),
            escape(&entry.title),
            escape(&entry.url),
            whole_seconds(entry.published_at),
            whole_seconds(entry.updated_at),
            escape(author),
            escape(&entry.category_slug),
            escape(&entry.category_name),
            escape(&entry.lead),
        );
        if let Some(url) = cover_url(entry) {
            let _ = writeln!(
                xml,
                "<link rel=\"enclosure\" type=\"image/jpeg\" href=\"{}\"/>",
                escape(&url)
            );
        }
        xml.push_str("</entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Entry, EntryCover};

    #[test]
    fn a_cover_is_an_enclosure_in_rss_and_a_link_in_atom() {
        let at = DateTime::parse_from_rfc3339("2022-06-23T15:04:00+07:00").unwrap();
        let id = "c".repeat(64);
        let slot = Slot {
            seq: 1,
            site_seq: 1,
            entry: Entry {
                article_id: "ntl-1".to_owned(),
                revision: 1,
                title: "Hội nghị & ảnh".to_owned(),
                key: "thong-bao/hoi-nghi.html".to_owned(),
                url: "https://quan.example.vn/thong-bao/hoi-nghi.html".to_owned(),
                category_slug: "thong-bao".to_owned(),
                category_name: "Thông báo".to_owned(),
                published_at: at,
                updated_at: at,
                lead: String::new(),
                author: String::new(),
                tags: Vec::new(),
                cover: Some(EntryCover {
                    id: id.clone(),
                    width: 4000,
                    height: 3000,
                    widths: vec![320, 640, 960, 1280],
                    webp: true,
                    colour: "#000000".to_owned(),
                    alt: "Ảnh".to_owned(),
                }),
            },
        };
        let entries = [&slot];
        let feed = Feed {
            title: "Tin",
            description: "Tin",
            language: "vi",
            page_url: "https://quan.example.vn/",
            self_url: "https://quan.example.vn/rss.xml",
            entries: &entries,
        };
        let url = format!("https://quan.example.vn/media/{id}/960.jpg");
        assert!(rss(&feed).contains(&format!(
            "<enclosure url=\"{url}\" length=\"0\" type=\"image/jpeg\"/>\n</item>"
        )));
        assert!(atom(&feed).contains(&format!(
            "<link rel=\"enclosure\" type=\"image/jpeg\" href=\"{url}\"/>\n</entry>"
        )));
        let mut bare = slot.clone();
        bare.entry.cover = None;
        let entries = [&bare];
        let feed = Feed {
            entries: &entries,
            ..feed
        };
        assert!(!rss(&feed).contains("enclosure") && !atom(&feed).contains("enclosure"));
    }
}
