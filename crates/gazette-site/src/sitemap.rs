//! `sitemap.xml`: one URL set while the site has at most [`SITEMAP_SHARD`] articles, past that an index of shards counted from the oldest.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::xml::{escape, whole_seconds};
use crate::{SITEMAP_KEY, SITEMAP_SHARD, ShardState};

const NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// One sitemap file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapObject {
    pub key: String,
    pub xml: String,
}

/// Where shard `number` is served once the sitemap is an index.
pub fn shard_key(number: u64) -> String {
    format!("sitemaps/{number}.xml")
}

/// The sitemap files that `changed` shards make stale. `all_shards` is how
/// many shards the site has (1-based numbers up to it); `site_url` is the
/// absolute base the index points into. `shards` holds at least the changed
/// ones, and every shard while there is only one.
pub fn sitemap_objects(
    all_shards: u64,
    shards: &BTreeMap<u64, ShardState>,
    changed: impl Iterator<Item = u64>,
    site_url: &str,
) -> Vec<SitemapObject> {
    let empty = ShardState::default();
    if all_shards <= 1 {
        let only = shards.get(&1).unwrap_or(&empty);
        return vec![SitemapObject {
            key: SITEMAP_KEY.to_owned(),
            xml: url_set(only),
        }];
    }
    let mut objects: Vec<SitemapObject> = changed
        .map(|number| SitemapObject {
            key: shard_key(number),
            xml: url_set(shards.get(&number).unwrap_or(&empty)),
        })
        .collect();
    // The index names every shard; it is small, so it is rewritten whenever
    // a shard changes (its lastmod) rather than tracked separately.
    let mut index = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"{NAMESPACE}\">\n"
    );
    for number in 1..=all_shards {
        let _ = writeln!(
            index,
            "<sitemap><loc>{}</loc></sitemap>",
            escape(&format!("{}{}", site_url, shard_key(number)))
        );
    }
    index.push_str("</sitemapindex>\n");
    objects.push(SitemapObject {
        key: SITEMAP_KEY.to_owned(),
        xml: index,
    });
    objects
}

fn url_set(shard: &ShardState) -> String {
    let mut xml = String::with_capacity(200 + shard.urls.len() * 160);
    let _ = write!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"{NAMESPACE}\">\n"
    );
    for url in shard.urls.values() {
        let _ = writeln!(
            xml,
            "<url><loc>{}</loc><lastmod>{}</lastmod></url>",
            escape(&url.loc),
            whole_seconds(url.lastmod)
        );
    }
    xml.push_str("</urlset>\n");
    xml
}

/// How many shards a site with `urls_ever` site sequence numbers spans.
pub fn shard_count(urls_ever: u64) -> u64 {
    urls_ever.div_ceil(SITEMAP_SHARD).max(1)
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::UrlEntry;

    fn shard(urls: &[(u64, &str)]) -> ShardState {
        let at = DateTime::parse_from_rfc3339("2022-06-23T15:04:00+07:00").unwrap_or_default();
        ShardState {
            urls: urls
                .iter()
                .map(|(seq, loc)| {
                    let url = UrlEntry {
                        article_id: (*loc).to_owned(),
                        loc: format!("https://quan.example.vn/{loc}.html"),
                        lastmod: at,
                    };
                    (*seq, url)
                })
                .collect(),
        }
    }

    #[test]
    fn one_url_set_until_the_limit_then_an_index_of_shards() {
        let shards = BTreeMap::from([(1, shard(&[(0, "a"), (1, "b&c")]))]);
        let single = sitemap_objects(
            shard_count(2),
            &shards,
            [1].into_iter(),
            "https://quan.example.vn/",
        );
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].key, "sitemap.xml");
        assert!(single[0].xml.contains("<urlset"));
        assert!(single[0].xml.contains("b&amp;c.html"));
        assert_eq!(single[0].xml.matches("<url>").count(), 2);

        assert_eq!(shard_count(SITEMAP_SHARD), 1);
        assert_eq!(shard_count(SITEMAP_SHARD + 1), 2);
        let shards = BTreeMap::from([(2, shard(&[(SITEMAP_SHARD, "z")]))]);
        let split = sitemap_objects(2, &shards, [2].into_iter(), "https://quan.example.vn/");
        let keys: Vec<&str> = split.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["sitemaps/2.xml", "sitemap.xml"]);
        assert!(split[1].xml.contains("<sitemapindex"));
        assert!(
            split[1]
                .xml
                .contains("https://quan.example.vn/sitemaps/1.xml")
        );
        assert!(
            split[1]
                .xml
                .contains("https://quan.example.vn/sitemaps/2.xml")
        );
    }
}
