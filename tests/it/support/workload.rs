//! The fault suite's workload: realistic articles, each sent twice, some revision 2s before their revision 1, and optional poison.

use std::collections::BTreeMap;

use gazette_contract::{EventType, event_id};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::{Value, json};

use super::example_article_path;
use super::ledger::Ledger;

const CATEGORIES: [(&str, &str); 4] = [
    (
        "tin-tuc-hoat-dong-cua-quan-uy",
        "Tin tức hoạt động của Quận ủy",
    ),
    ("kinh-te-xa-hoi", "Kinh tế - Xã hội"),
    ("van-hoa-the-thao", "Văn hóa - Thể thao"),
    ("thong-bao", "Thông báo"),
];

/// Articles per scenario: `GAZETTE_FAULT_ARTICLES`, 300 by default (the CI size).
pub fn articles() -> usize {
    std::env::var("GAZETTE_FAULT_ARTICLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300)
}

/// One submission message: its id and body, and which article revision it carries.
pub struct Message {
    pub id: String,
    pub body: Vec<u8>,
    revision_of: Option<(usize, u64)>,
}

impl Message {
    /// The index of the article it carries a revision of; `None` for poison.
    pub fn article(&self) -> Option<usize> {
        self.revision_of.map(|(article, _)| article)
    }
}

fn envelope(id: &str, data: &Value) -> Vec<u8> {
    gazette_testkit::events::Event::submitted(data)
        .id(id)
        .source("/fault-suite")
        .to_bytes()
}

/// Realistic articles (the example's 4.5 kB body), each sent twice, one in
/// ten with a retitled revision 2 sent before its revision 1; plus 1 % poison.
pub fn workload(ledger: &mut Ledger, poison: bool, count: usize, rng: &mut StdRng) -> Vec<Message> {
    let example: Value =
        serde_json::from_slice(&std::fs::read(example_article_path()).unwrap()).unwrap();
    let mut messages = Vec::new();
    for i in 0..count {
        let id = format!("fault-{i:05}");
        let (slug, name) = CATEGORIES[i % CATEGORIES.len()];
        let revisions: &[u64] = if i % 10 == 0 { &[2, 1] } else { &[1] };
        for &revision in revisions {
            let mut data = example.clone();
            data["id"] = json!(id);
            data["revision"] = json!(revision);
            // A revision sent out of order is retitled too: a late
            // revision 1 must not write its old title's page anywhere.
            data["title"] = json!(if revision == 1 {
                format!("Bài viết số {i}: Hội nghị Ban chấp hành Đảng bộ quận")
            } else {
                format!("Bài viết số {i} (đổi tên): Hội nghị Ban chấp hành Đảng bộ quận")
            });
            data["category"] = json!({"slug": slug, "name": name});
            data["lead"] = json!(format!(
                "(NTL) Bản sửa đổi lần {revision} của bài viết số {i}."
            ));
            let message_id = event_id(&id, revision, EventType::Submitted);
            ledger.record_valid(&id, revision);
            let body = envelope(&message_id, &data);
            let revision_of = Some((i, revision));
            messages.push(Message {
                id: message_id.clone(),
                body: body.clone(),
                revision_of,
            });
            messages.push(Message {
                id: message_id,
                body,
                revision_of,
            });
        }
    }
    messages.shuffle(rng);
    // The shuffle mixes duplicates in; where an article has two revisions,
    // its revision 2 copies take the earliest of its places.
    let mut places: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (at, message) in messages.iter().enumerate() {
        if let Some((article, _)) = message.revision_of {
            places.entry(article).or_default().push(at);
        }
    }
    for at in places.into_values().filter(|places| places.len() == 4) {
        let mut group: Vec<Message> = at
            .iter()
            .map(|&i| {
                std::mem::replace(
                    &mut messages[i],
                    Message {
                        id: String::new(),
                        body: Vec::new(),
                        revision_of: None,
                    },
                )
            })
            .collect();
        group.sort_by_key(|m| std::cmp::Reverse(m.revision_of.map(|(_, r)| r)));
        for (i, message) in at.into_iter().zip(group) {
            messages[i] = message;
        }
    }
    if poison {
        let count = (messages.len() / 100).max(4);
        for n in 0..count {
            let id = format!("poison-{n}");
            let (body, reason): (Vec<u8>, &str) = match n % 4 {
                0 => (b"{ not json".to_vec(), "invalid-json"),
                1 => (b"{\"id\": \"\xff\"}".to_vec(), "invalid-utf8"),
                2 => ("[".repeat(64).into_bytes(), "too-deep"),
                _ => (
                    envelope(
                        &id,
                        &json!({"id": format!("poison-article-{n}"), "revision": 1}),
                    ),
                    "schema",
                ),
            };
            ledger.poison.insert(id.clone(), reason);
            let at = rng.random_range(0..=messages.len());
            messages.insert(
                at,
                Message {
                    id,
                    body,
                    revision_of: None,
                },
            );
        }
    }
    ledger.submissions = messages.len();
    messages
}
