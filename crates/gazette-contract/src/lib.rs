//! Gazette's wire contract: the CloudEvents envelope, every event payload, and the JSON Schemas in `schemas/` that judge them.
//!
//! This crate is pure: no I/O, no broker, no store. Everything a producer or
//! consumer of Gazette events needs to agree on lives here, so that the
//! schema files and the Rust types can be tested against each other.

mod article;
mod decode;
mod envelope;
mod events;
mod ids;
mod limits;
mod schema;

pub use article::{
    Article, Body, BodyFormat, Category, CoverImage, FocalPoint, MAX_IMAGES_PER_ARTICLE,
};
pub use decode::{DocumentError, Subject, parse_document, read_event};
pub use envelope::{CONTENT_TYPE, Envelope, EventType};
pub use events::{
    FieldError, NOTIFICATION_DUE, NotificationDue, Published, Rejected, Rendered, Scheduled,
    SocialCrop, StoredImage, Unpublished, VALIDATED_WITHOUT_PICTURES, ValidatedArticle, Withdrawal,
    join_errors,
};
pub use ids::{article_urn, content_event_id, event_id, rejection_id};
pub use limits::{JsonLimitError, MAX_BODY_HTML_BYTES, MAX_JSON_DEPTH, check_json_depth};
pub use schema::{SchemaError, Schemas};
