//! Reading an event off the wire without trusting it: structure first, then the schema, then the Rust type, then the envelope's own claims.

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
/// unique, in one pass: the walk that looks for a repeated key also builds
/// the document, so a message is tokenized once, not once to read it and
/// again to check it.
pub fn parse_document(bytes: &[u8]) -> Result<Value, DocumentError> {
    check_json_depth(bytes, MAX_JSON_DEPTH)?;
    let text = utf8(bytes)?;
    let mut path = Vec::new();
    let mut found = None;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = Walk {
        path: &mut path,
        found: &mut found,
    }
    .deserialize(&mut deserializer)
    .and_then(|document| deserializer.end().map(|()| document));
    match (read, found) {
        (_, Some(pointer)) => Err(DocumentError::DuplicateKey { pointer }),
        (Ok(document), None) => Ok(document),
        (Err(e), None) => Err(DocumentError::NotJson(e.to_string())),
    }
}

/// `bytes` as text. Vietnamese puts an accented letter every few bytes,
/// which keeps the standard library's check off its ASCII fast path; the
/// SIMD check counts about a twelfth of its instructions on the hot path
/// (docs/performance.md). Only a body that fails is read again, for the
/// offset its error names.
fn utf8(bytes: &[u8]) -> Result<&str, DocumentError> {
    simdutf8::basic::from_utf8(bytes).or_else(|_| {
        std::str::from_utf8(bytes).map_err(|e| DocumentError::NotUtf8 {
            offset: e.valid_up_to(),
        })
    })
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

/// Builds a document as `serde_json::Value`'s own visitor does, keeping
/// the path to where it is, and stops at the first key an object already
/// had (where `Value` would keep the last and say nothing).
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
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }
    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }
    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }
    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }
    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut items: A) -> Result<Value, A::Error> {
        let mut array = Vec::with_capacity(items.size_hint().unwrap_or(0));
        for index in 0usize.. {
            self.path.push(index.to_string());
            let item = items.next_element_seed(self.child())?;
            self.path.pop();
            match item {
                Some(item) => array.push(item),
                None => break,
            }
        }
        Ok(Value::Array(array))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut entries: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            if object.contains_key(&key) {
                self.path.push(key);
                *self.found = Some(pointer(self.path));
                return Err(de::Error::custom("duplicate key"));
            }
            self.path.push(key);
            let value = entries.next_value_seed(self.child())?;
            if let Some(key) = self.path.pop() {
                object.insert(key, value);
            }
        }
        Ok(Value::Object(object))
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
        assert!(parse_document(br#"{"a":1,"b":{"c":[1,{"d":1}]}}"#).is_ok());
        for (text, at) in [
            (r#"{"a":1,"a":2}"#, "/a"),
            (r#"{"data":{"id":"x","title":"t","id":"y"}}"#, "/data/id"),
            (r#"{"a":[{},{"k/x":1,"k/x":2}]}"#, "/a/1/k~1x"),
            (r#"{"a~b":{"c":null,"c":null}}"#, "/a~0b/c"),
            // Escapes decode first: these two keys are the same string.
            (r#"{"type":"a","typ\u0065":"b"}"#, "/type"),
            // Found where it stands, even if the document breaks later.
            (r#"{"a":1,"a":2,"#, "/a"),
        ] {
            assert_eq!(
                parse_document(text.as_bytes()).err(),
                Some(DocumentError::DuplicateKey {
                    pointer: at.to_owned()
                }),
                "{text}"
            );
        }
        // The same key in sibling objects is not a duplicate.
        assert!(parse_document(br#"[{"a":1},{"a":1}]"#).is_ok());
    }

    #[test]
    fn the_one_pass_builds_the_document_serde_json_would() {
        for text in [
            r#"{"id":"a-1","n":-12,"big":18446744073709551615,"f":1.5e-3,"z":-0.0,"t":true,"nil":null}"#,
            r#"[[],{},"",[{"nested":[1,2,{"deep":"đ\u00e2\n\"q\""}]}]]"#,
            r#"  {"title":"Ngày đăng 23/06/2022 | 15:04","body":"(NTL) \ud83d\ude00"}  "#,
            "3",
            r#""alone""#,
        ] {
            let expected: Value = serde_json::from_str(text).expect("a valid test document");
            assert_eq!(parse_document(text.as_bytes()), Ok(expected), "{text}");
        }
    }

    #[test]
    fn broken_json_is_not_json_whatever_the_walk_saw_first() {
        for text in [
            r#"{"a":1"#,
            r#"{"a":1} x"#,
            r#"{"a":tru}"#,
            "",
            r#"{"a":1,,"a":2}"#,
        ] {
            assert!(
                matches!(
                    parse_document(text.as_bytes()),
                    Err(DocumentError::NotJson(_))
                ),
                "{text}"
            );
        }
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

    #[test]
    fn malformed_utf8_is_refused_wherever_it_sits_with_the_offset_it_starts_at() {
        // Long enough that the SIMD check reads it in many blocks.
        let valid = format!(
            r#"{{"tiêu_đề":"{}","#,
            "Phường Đức Giang, quận Long Biên. ".repeat(200)
        );
        let broken: [&[u8]; 8] = [
            b"\xff",
            b"\xc0\xaf",         // an overlong '/'
            b"\xe0\x80\xaf",     // an overlong '/', three bytes
            b"\xed\xa0\x80",     // a UTF-16 surrogate
            b"\xf4\x90\x80\x80", // past U+10FFFF
            b"\xe1\xbb",         // 'ờ' cut short
            b"\x80",             // a continuation byte alone
            b"\xc3\x28",         // a lead byte without its continuation
        ];
        for bad in broken {
            for at in [0, 1, 63, 64, valid.len()] {
                let mut bytes = valid.as_bytes()[..at].to_vec();
                // Never split a character of the valid part.
                while std::str::from_utf8(&bytes).is_err() {
                    bytes.pop();
                }
                let offset = bytes.len();
                bytes.extend_from_slice(bad);
                bytes.extend_from_slice(b"\"}");
                assert!(
                    matches!(parse_document(&bytes), Err(DocumentError::NotUtf8 { offset: o }) if o == offset),
                    "{bad:?} at {offset}"
                );
            }
        }
        let whole = format!("{valid}\"x\":1}}");
        assert!(parse_document(whole.as_bytes()).is_ok());
    }
}
