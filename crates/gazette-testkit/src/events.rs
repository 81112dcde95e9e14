//! One builder per upstream event, as a CMS would post it: a CloudEvents 1.0 envelope around `article.submitted`'s article or `article.withdrawn`'s id and reason.
//!
//! Tests that send deliberately broken events write those bytes by hand;
//! everything else is built here, so the envelope is written once.

use serde_json::{Value, json};

/// An upstream event under construction. `build` gives its JSON.
#[derive(Debug, Clone)]
pub struct Event {
    envelope: Value,
}

impl Event {
    /// `article.submitted` carrying `article`, its subject the article's id.
    pub fn submitted(article: &Value) -> Self {
        let id = article["id"].as_str().unwrap_or_default();
        Self::new(
            "article.submitted",
            &format!("sub-{id}"),
            &article["id"],
            article.clone(),
        )
    }

    /// `article.withdrawn` of article `id`, with the editor's `reason`.
    pub fn withdrawn(id: &str, reason: &str) -> Self {
        Self::new(
            "article.withdrawn",
            &format!("withdraw-{id}"),
            &json!(id),
            json!({"id": id, "reason": reason}),
        )
    }

    fn new(event_type: &str, event_id: &str, subject: &Value, data: Value) -> Self {
        Self {
            envelope: json!({
                "specversion": "1.0",
                "id": event_id,
                "source": "/cms/test",
                "type": event_type,
                "time": "2022-06-23T08:04:01Z",
                "subject": subject,
                "datacontenttype": "application/json",
                "data": data,
            }),
        }
    }

    /// The event's own id (the AMQP message id it is sent under).
    #[must_use]
    pub fn id(mut self, event_id: &str) -> Self {
        self.envelope["id"] = json!(event_id);
        self
    }

    #[must_use]
    pub fn source(mut self, source: &str) -> Self {
        self.envelope["source"] = json!(source);
        self
    }

    /// Sets (or, with `Value::Null`, removes) any other envelope attribute,
    /// such as `traceparent`.
    #[must_use]
    pub fn attribute(mut self, name: &str, value: Value) -> Self {
        match (value, self.envelope.as_object_mut()) {
            (Value::Null, Some(envelope)) => {
                envelope.remove(name);
            }
            (value, _) => self.envelope[name] = value,
        }
        self
    }

    pub fn build(self) -> Value {
        self.envelope
    }

    /// The event as the bytes sent on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.envelope.to_string().into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_every_required_attribute() {
        let article = json!({"id": "a-1", "revision": 1});
        let submitted = Event::submitted(&article).id("e-1").build();
        for attribute in [
            "specversion",
            "id",
            "source",
            "type",
            "time",
            "subject",
            "data",
        ] {
            assert!(!submitted[attribute].is_null(), "{attribute}");
        }
        assert_eq!(submitted["id"], "e-1");
        assert_eq!(submitted["subject"], "a-1");
        let withdrawn = Event::withdrawn("a-1", "sai").build();
        assert_eq!(withdrawn["type"], "article.withdrawn");
        assert_eq!(withdrawn["data"]["reason"], "sai");
        let bare = Event::withdrawn("a-1", "sai")
            .attribute("time", Value::Null)
            .build();
        assert!(bare.get("time").is_none());
    }
}
