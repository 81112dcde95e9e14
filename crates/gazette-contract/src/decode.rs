//! Reading an event off the wire without trusting it: structure first, then the schema, then the Rust type, then the envelope's own claims.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize as _;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::{
    Article, Envelope, EventType, FieldError, JsonLimitError, MAX_JSON_DEPTH, Published, Rendered,
    Schemas, Unpublished, ValidatedArticle, Withdrawal, check_json_depth,
};

/// Why bytes are not a JSON document Gazette will read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("refused unread: {0}")]
    TooDeep(#[from] JsonLimitError),
    #[error("not UTF-8: invalid byte at offset {offset}")]
    NotUtf8 { offset: usize },
    #[error("not JSON: {0}")]
    NotJson(String),
    /// Parsers disagree on which of two equal keys wins; Gazette does not guess.
    #[error("key {pointer} appears twice in one object")]
    DuplicateKey { pointer: String },
}

impl DocumentError {
    /// A short, stable reason code for dead letters.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TooDeep(_) => "too-deep",
            Self::NotUtf8 { .. } => "invalid-utf8",
            Self::NotJson(_) => "invalid-json",
            Self::DuplicateKey { .. } => "duplicate-key",
        }
    }
}

/// Depth on the raw bytes, then UTF-8, then JSON with every object's keys
/// unique.
pub fn parse_document(bytes: &[u8]) -> Result<Value, DocumentError> {
    check_json_depth(bytes, MAX_JSON_DEPTH)?;
    let text = std::str::from_utf8(bytes).map_err(|e| DocumentError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let document: Value =
        serde_json::from_str(text).map_err(|e| DocumentError::NotJson(e.to_string()))?;
    check_duplicate_keys(text)?;
    Ok(document)
}

/// The article an event is about, which its `subject` must name.
pub trait Subject {
    fn article_id(&self) -> &str;
}

impl Subject for Article {
    fn article_id(&self) -> &str {
        &self.id
    }
}
impl Subject for ValidatedArticle {
    fn article_id(&self) -> &str {
        &self.article.id
    }
}
impl Subject for Rendered {
    fn article_id(&self) -> &str {
        &self.validated.article.id
    }
}
impl Subject for Published {
    fn article_id(&self) -> &str {
        &self.article_id
    }
}
impl Subject for Unpublished {
    fn article_id(&self) -> &str {
        &self.article_id
    }
}
impl Subject for Withdrawal {
    fn article_id(&self) -> &str {
        &self.id
    }
}

/// `document` as an event of `expected` type: its schema (which pins
/// `type`), then the Rust type, then `subject` equal to the article's id.
/// Errors point into `document`.
pub fn read_event<T: DeserializeOwned + Subject>(
    schemas: &Schemas,
    expected: EventType,
    document: &Value,
) -> Result<Envelope<T>, Vec<FieldError>> {
    schemas.check(expected, document)?;
    let event = Envelope::<T>::deserialize(document)
        .map_err(|e| vec![FieldError::new("/data", e.to_string())])?;
    if event.subject != event.data.article_id() {
        return Err(vec![FieldError::new(
            "/subject",
            "must equal the article id in data",
        )]);
    }
    Ok(event)
}

/// The first key that appears twice in one object, as a JSON pointer.
fn check_duplicate_keys(text: &str) -> Result<(), DocumentError> {
    let mut path = Vec::new();
    let mut found = None;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    // The document already parsed, so the only error this walk can raise is
    // the one it raises itself on finding a duplicate.
    let _ = Walk {
        path: &mut path,
        found: &mut found,
    }
    .deserialize(&mut deserializer);
    match found {
        Some(pointer) => Err(DocumentError::DuplicateKey { pointer }),
        None => Ok(()),
    }
}

/// Walks a document, keeping the path to where it is, and stops at the
/// first key an object already had.
struct Walk<'a> {
    path: &'a mut Vec<String>,
    found: &'a mut Option<String>,
}

impl Walk<'_> {
    fn child(&mut self) -> Walk<'_> {
        Walk {
            path: self.path,
            found: self.found,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut items: A) -> Result<(), A::Error> {
        for index in 0usize.. {
            self.path.push(index.to_string());
            let more = items.next_element_seed(self.child())?;
            self.path.pop();
            if more.is_none() {
                break;
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut entries: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = entries.next_key::<String>()? {
            self.path.push(key);
            let is_new = self.path.last().is_some_and(|key| seen.insert(key.clone()));
            if !is_new {
                *self.found = Some(pointer(self.path));
                return Err(de::Error::custom("duplicate key"));
            }
            entries.next_value_seed(self.child())?;
            self.path.pop();
        }
        Ok(())
    }
}

/// RFC 6901: `~` and `/` inside a segment are escaped.
fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|segment| format!("/{}", segment.replace('~', "~0").replace('/', "~1")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_found_at_any_depth_and_pointed_at() {
        assert_eq!(
            check_duplicate_keys(r#"{"a":1,"b":{"c":[1,{"d":1}]}}"#),
            Ok(())
        );
        for (text, at) in [
            (r#"{"a":1,"a":2}"#, "/a"),
            (r#"{"data":{"id":"x","title":"t","id":"y"}}"#, "/data/id"),
            (r#"{"a":[{},{"k/x":1,"k/x":2}]}"#, "/a/1/k~1x"),
            // Escapes decode first: these two keys are the same string.
            (r#"{"type":"a","typ\u0065":"b"}"#, "/type"),
        ] {
            assert_eq!(
                check_duplicate_keys(text),
                Err(DocumentError::DuplicateKey {
                    pointer: at.to_owned()
                }),
                "{text}"
            );
        }
        // The same key in sibling objects is not a duplicate.
        assert_eq!(check_duplicate_keys(r#"[{"a":1},{"a":1}]"#), Ok(()));
    }

    #[test]
    fn documents_are_refused_for_structure_before_anything_reads_them() {
        assert!(matches!(
            parse_document(b"{\"a\":\xff}"),
            Err(DocumentError::NotUtf8 { offset: 5 })
        ));
        assert!(matches!(
            parse_document(b"{"),
            Err(DocumentError::NotJson(_))
        ));
        assert!(matches!(
            parse_document("[".repeat(100).as_bytes()),
            Err(DocumentError::TooDeep(_))
        ));
        assert_eq!(
            parse_document(br#"{"a":1,"a":1}"#).map_err(|e| e.reason()),
            Err("duplicate-key")
        );
    }
}
