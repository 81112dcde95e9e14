//! Deterministic event ids, so that redoing a step re-emits the same id and consumers can dedupe.

use uuid::Uuid;

use crate::EventType;

/// Gazette's UUIDv5 namespace (itself `uuid5(NAMESPACE_URL, "https://gazette.invalid/events")`).
const GAZETTE_EVENTS: Uuid = Uuid::from_u128(0x6b1f_5c3e_8d2a_5f41_9b7e_3c0d_2a61_f4e8);

/// The id of the `event_type` event for revision `revision` of `article_id`.
///
/// Gazette never draws event ids at random: a worker that crashes after
/// publishing but before acking will publish again on redelivery, and the
/// repeat must carry the same id.
pub fn event_id(article_id: &str, revision: u64, event_type: EventType) -> String {
    let name = format!("{article_id}\n{revision}\n{event_type}");
    Uuid::new_v5(&GAZETTE_EVENTS, name.as_bytes()).to_string()
}

/// The id of the `article.rejected` event for one submission: stable across
/// redeliveries of that submission, distinct for a resubmission.
pub fn rejection_id(submission_id: &str) -> String {
    let name = format!("{submission_id}\n{}", EventType::Rejected);
    Uuid::new_v5(&GAZETTE_EVENTS, name.as_bytes()).to_string()
}

/// An article's permanent name in feeds (RSS `guid`, Atom `id`):
/// `urn:uuid:` of its id, so a retitled or moved article stays one entry
/// to feed readers, and no URL has to stay the same for it.
pub fn article_urn(article_id: &str) -> String {
    let name = format!("article\n{article_id}");
    format!(
        "urn:uuid:{}",
        Uuid::new_v5(&GAZETTE_EVENTS, name.as_bytes())
    )
}

/// An id for an event about content whose article id cannot be read:
/// derived from the bytes, so resending the same bytes repeats it.
pub fn content_event_id(content: &[u8], event_type: EventType) -> String {
    let mut name = content.to_vec();
    name.extend_from_slice(event_type.as_str().as_bytes());
    Uuid::new_v5(&GAZETTE_EVENTS, &name).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct_per_type_and_revision() {
        let a = event_id("a", 1, EventType::Published);
        assert_eq!(a, event_id("a", 1, EventType::Published));
        assert_ne!(a, event_id("a", 2, EventType::Published));
        assert_ne!(a, event_id("a", 1, EventType::Rendered));
        assert_ne!(a, event_id("b", 1, EventType::Published));
    }

    #[test]
    fn an_articles_urn_depends_on_its_id_alone() {
        let urn = article_urn("ntl-1");
        assert!(urn.starts_with("urn:uuid:"), "{urn}");
        assert_eq!(urn, article_urn("ntl-1"));
        assert_ne!(urn, article_urn("ntl-2"));
    }
}
