//! Realistic Vietnamese articles for the bench: the example article's paragraphs reshuffled to 4–8 KB across the portal's categories.

use anyhow::Context;
use gazette_contract::{EventType, event_id};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// How many categories generated articles take in turn.
pub const CATEGORY_COUNT: usize = CATEGORIES.len();

const CATEGORIES: [(&str, &str); 5] = [
    (
        "tin-tuc-hoat-dong-cua-quan-uy",
        "Tin tức hoạt động của Quận ủy",
    ),
    ("kinh-te-xa-hoi", "Kinh tế - Xã hội"),
    ("van-hoa-the-thao", "Văn hóa - Thể thao"),
    ("quoc-phong-an-ninh", "Quốc phòng - An ninh"),
    ("thong-bao", "Thông báo"),
];

const TOPICS: [&str; 6] = [
    "Hội nghị Ban chấp hành Đảng bộ quận",
    "Đối thoại với doanh nghiệp về cải cách hành chính",
    "Ra quân chiến dịch vệ sinh môi trường",
    "Trao học bổng cho học sinh vượt khó",
    "Kiểm tra công tác phòng cháy, chữa cháy",
    "Giải bóng đá thiếu niên nhi đồng",
];

/// Body sizes the generator aims for, in bytes of UTF-8 text.
pub const BODY_BYTES: std::ops::RangeInclusive<usize> = 4 * 1024..=8 * 1024;

/// One `article.submitted` message, ready to publish.
#[derive(Debug, Clone)]
pub struct Submission {
    pub article_id: String,
    pub message_id: String,
    pub body: Vec<u8>,
}

/// Makes articles from the example article's text, deterministically for a seed.
#[derive(Debug)]
pub struct ArticleFactory {
    example: Value,
    /// The example's date: article n is dated n minutes after it.
    published_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    paragraphs: Vec<String>,
    rng: StdRng,
}

impl ArticleFactory {
    pub fn from_example(example_json: &[u8], seed: u64) -> anyhow::Result<Self> {
        let example: Value =
            serde_json::from_slice(example_json).context("reading the example article")?;
        let paragraphs: Vec<String> = example["body"]["content"]
            .as_str()
            .context("the example article has no body.content")?
            .split("\n\n")
            .map(str::to_owned)
            .collect();
        let published_at = example["published_at"]
            .as_str()
            .and_then(|date| chrono::DateTime::parse_from_rfc3339(date).ok());
        Ok(Self {
            example,
            published_at,
            paragraphs,
            rng: StdRng::seed_from_u64(seed),
        })
    }

    /// The `n`th article of run `run`: ids differ between runs, so no run
    /// sees another's revisions in the store.
    pub fn article(&mut self, run: &str, n: usize) -> Submission {
        let article_id = format!("bench-{run}-{n:06}");
        let (slug, name) = CATEGORIES[n % CATEGORIES.len()];
        let topic = TOPICS[self.rng.random_range(0..TOPICS.len())];
        let mut data = self.example.clone();
        data["id"] = json!(article_id);
        // The run is in the title: the page key comes from the title, and
        // two articles on one key would be refused as a conflict.
        data["title"] = json!(format!("{topic} (đợt {run}, bài số {n})"));
        data["category"] = json!({"slug": slug, "name": name});
        // A minute apart, in the order submitted, all in the past: listings
        // put the newest first, so article n is newer than article n - 1.
        if let Some(published) = self.published_at {
            let minutes = i64::try_from(n).unwrap_or(i64::MAX);
            data["published_at"] =
                json!((published + chrono::Duration::minutes(minutes)).to_rfc3339());
        }
        data["body"]["content"] = json!(self.body());
        let message_id = event_id(&article_id, 1, EventType::Submitted);
        let body = gazette_testkit::events::Event::submitted(&data)
            .id(&message_id)
            .source("/gazette-bench")
            .to_bytes();
        Submission {
            article_id,
            message_id,
            body,
        }
    }

    /// Articles `0..count` of run `run`.
    pub fn batch(&mut self, run: &str, count: usize) -> Vec<Submission> {
        (0..count).map(|n| self.article(run, n)).collect()
    }

    /// Paragraphs in a fresh order until the body reaches a size drawn from [`BODY_BYTES`].
    fn body(&mut self) -> String {
        let target = self.rng.random_range(BODY_BYTES);
        let mut order: Vec<usize> = (0..self.paragraphs.len()).collect();
        let mut body = String::new();
        while body.len() < target {
            order.shuffle(&mut self.rng);
            for &i in &order {
                if body.len() >= target {
                    break;
                }
                if !body.is_empty() {
                    body.push_str("\n\n");
                }
                body.push_str(&self.paragraphs[i]);
            }
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factory() -> ArticleFactory {
        let example = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/ntl-2022-06-23-hoi-nghi-14.json"
        ))
        .unwrap();
        ArticleFactory::from_example(&example, 7).unwrap()
    }

    #[test]
    fn bodies_are_the_size_of_real_articles_and_categories_vary() {
        let mut factory = factory();
        let mut categories = std::collections::BTreeSet::new();
        for n in 0..50 {
            let submission = factory.article("t", n);
            let envelope: Value = serde_json::from_slice(&submission.body).unwrap();
            let body = envelope["data"]["body"]["content"].as_str().unwrap();
            // A paragraph may overshoot the target by its own length.
            assert!(
                (BODY_BYTES.start()..=&(BODY_BYTES.end() + 2048)).contains(&&body.len()),
                "{}",
                body.len()
            );
            assert!(body.contains("Đảng bộ"), "Vietnamese text survives");
            categories.insert(envelope["data"]["category"]["slug"].to_string());
            assert_eq!(envelope["id"], submission.message_id);
        }
        assert_eq!(categories.len(), CATEGORIES.len());
    }

    #[test]
    fn the_same_seed_makes_the_same_articles() {
        let (mut a, mut b) = (factory(), factory());
        assert_eq!(a.article("x", 3).body, b.article("x", 3).body);
    }
}
