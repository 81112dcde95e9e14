//! The CloudEvents 1.0 envelope (structured JSON mode) that wraps every Gazette event.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// AMQP `content-type` of every Gazette message: a structured-mode CloudEvent.
pub const CONTENT_TYPE: &str = "application/cloudevents+json";

/// Every event type on the wire. The string form is both the CloudEvents
/// `type` and the AMQP routing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Submitted,
    Rejected,
    Published,
    Validated,
    Rendered,
    Updated,
    Withdrawn,
    Unpublished,
    /// validate → publish: an upstream withdrawal that passed validation.
    WithdrawalValidated,
    /// A revision dated in the future is held until its time.
    Scheduled,
    /// media → render: the validated article with its pictures stored.
    Illustrated,
}

impl EventType {
    pub const ALL: [EventType; 11] = [
        Self::Submitted,
        Self::Rejected,
        Self::Published,
        Self::Validated,
        Self::Rendered,
        Self::Updated,
        Self::Withdrawn,
        Self::Unpublished,
        Self::WithdrawalValidated,
        Self::Scheduled,
        Self::Illustrated,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "article.submitted",
            Self::Rejected => "article.rejected",
            Self::Published => "article.published",
            Self::Validated => "article.validated",
            Self::Rendered => "article.rendered",
            Self::Updated => "article.updated",
            Self::Withdrawn => "article.withdrawn",
            Self::Unpublished => "article.unpublished",
            Self::WithdrawalValidated => "withdrawal.validated",
            Self::Scheduled => "article.scheduled",
            Self::Illustrated => "article.illustrated",
        }
    }

    /// Public events go to `<namespace>.events` for anyone to bind to;
    /// internal ones go to `<namespace>.internal`, between stages only.
    pub const fn is_public(self) -> bool {
        !matches!(
            self,
            Self::Validated | Self::Illustrated | Self::Rendered | Self::WithdrawalValidated
        )
    }

    /// The schema file in `schemas/` that describes this event.
    pub const fn schema_file(self) -> &'static str {
        match self {
            Self::Submitted => "article.submitted.v1.json",
            Self::Rejected => "article.rejected.v1.json",
            Self::Published => "article.published.v1.json",
            Self::Validated => "article.validated.v1.json",
            Self::Rendered => "article.rendered.v1.json",
            Self::Updated => "article.updated.v1.json",
            Self::Withdrawn => "article.withdrawn.v1.json",
            Self::Unpublished => "article.unpublished.v1.json",
            Self::WithdrawalValidated => "withdrawal.validated.v1.json",
            Self::Scheduled => "article.scheduled.v1.json",
            Self::Illustrated => "article.illustrated.v1.json",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CloudEvent carrying `data` of type `T`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub specversion: String,
    pub id: String,
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub time: DateTime<Utc>,
    /// Always the article id.
    pub subject: String,
    pub datacontenttype: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataschema: Option<String>,
    /// The id of the submission this event descends from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlationid: Option<String>,
    pub data: T,
}

impl<T> Envelope<T> {
    /// A new event. `id` should come from [`crate::event_id`] so that
    /// repeating the same step yields the same id.
    pub fn new(
        event_type: EventType,
        id: String,
        source: &str,
        subject: &str,
        correlation_id: Option<&str>,
        data: T,
    ) -> Self {
        Self {
            specversion: "1.0".to_owned(),
            id,
            source: source.to_owned(),
            event_type: event_type.as_str().to_owned(),
            time: Utc::now(),
            subject: subject.to_owned(),
            datacontenttype: "application/json".to_owned(),
            dataschema: Some(format!(
                "https://gazette.invalid/schemas/{}",
                event_type.schema_file()
            )),
            correlationid: correlation_id.map(str::to_owned),
            data,
        }
    }

    /// The correlation id to hand on: this event's own, or its id if it
    /// starts a journey.
    pub fn correlation(&self) -> &str {
        self.correlationid.as_deref().unwrap_or(&self.id)
    }
}
