//! The validate stage, the one door for upstream events: submissions become `article.validated` and withdrawals `withdrawal.validated`, or `article.rejected`.
//!
//! Nothing else consumes `<ns>.events` for upstream's sake: whatever an
//! upstream system sends is judged here, by its schema and Gazette's rules,
//! before any stage that writes the site acts on it. An article that names
//! pictures goes to the media stage; one that names none goes straight to
//! render under [`VALIDATED_WITHOUT_PICTURES`], one broker hop shorter.

use gazette_broker::{Disposition, Failure, Handler, Inbound, Outbound};
use gazette_contract::{
    Article, BodyFormat, DocumentError, Envelope, EventType, FieldError, MAX_BODY_HTML_BYTES,
    Schemas, VALIDATED_WITHOUT_PICTURES, ValidatedArticle, Withdrawal, content_event_id, event_id,
    parse_document, read_event,
};
use gazette_site::is_reserved_category;
use gazette_text::{BodySanitizer, Lines, nfc, printable, slugify};
use serde_json::Value;
use tracing::info;

use std::sync::Arc;

use crate::media::names_pictures;
use crate::rejection::rejection_notice;
use images::check_images;

#[path = "validate_images.rs"]
mod images;
use crate::{encode_event, off_reactor_on};
use gazette_contract::join_errors;

const SOURCE: &str = "/gazette/validate";

/// Why a submission did not pass. Every variant is permanent: the same bytes
/// will fail the same way, so none is retried.
#[derive(Debug, thiserror::Error)]
pub enum ValidateFailure {
    #[error("event refused: {0}")]
    Unreadable(DocumentError),
    #[error("no upstream event is routed as {0:?}")]
    UnexpectedRoutingKey(String),
    #[error("event without a readable article id breaks the schema: {}", join_errors(.errors))]
    Unidentified { errors: Vec<FieldError> },
    #[error("article {article_id} rejected ({reason}): {}", join_errors(.errors))]
    Rejected {
        article_id: String,
        reason: &'static str,
        errors: Vec<FieldError>,
        notice: Box<Outbound>,
    },
    #[error("cannot encode an event: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("validating this event crashed: {0}")]
    Crashed(String),
}

impl Failure for ValidateFailure {
    fn disposition(&self) -> Disposition {
        let reason = match self {
            Self::Unreadable(e) => e.reason(),
            Self::UnexpectedRoutingKey(_) => "unexpected-routing-key",
            Self::Unidentified { .. } => "schema",
            Self::Rejected { reason, .. } => reason,
            Self::Encode(_) => "encode",
            // The same bytes would crash it again.
            Self::Crashed(_) => "handler-panicked",
        };
        Disposition::DeadLetter { reason }
    }

    fn notices(&self) -> Vec<Outbound> {
        match self {
            Self::Rejected { notice, .. } => vec![notice.as_ref().clone()],
            _ => Vec::new(),
        }
    }
}

/// Compiled schemas and the sanitizer, built once per process; clones
/// share them.
#[derive(Debug, Clone)]
pub struct ValidateStage {
    schemas: Schemas,
    sanitizer: Arc<BodySanitizer>,
}

impl ValidateStage {
    pub fn new(schemas: Schemas) -> Self {
        Self {
            schemas,
            sanitizer: Arc::new(BodySanitizer::default()),
        }
    }

    /// The judgement and its event, off the reactor: sanitising a large
    /// body is CPU work.
    fn judge(&self, routing_key: &str, body: &[u8]) -> Result<Outbound, ValidateFailure> {
        match EventType::parse(routing_key) {
            Some(EventType::Submitted) => {
                let validated = self.validate(body)?;
                let pictures = names_pictures(&validated.data);
                info!(article_id = %validated.subject, revision = validated.data.article.revision, slug = %validated.data.slug, pictures, "validated");
                let mut handed_on = encode_event(EventType::Validated, &validated)?;
                if !pictures {
                    handed_on.routing_key = VALIDATED_WITHOUT_PICTURES.to_owned();
                }
                Ok(handed_on)
            }
            Some(EventType::Withdrawn) => {
                let withdrawal = self.validate_withdrawal(body)?;
                info!(article_id = %withdrawal.subject, "withdrawal validated");
                Ok(encode_event(EventType::WithdrawalValidated, &withdrawal)?)
            }
            _ => Err(ValidateFailure::UnexpectedRoutingKey(
                routing_key.to_owned(),
            )),
        }
    }

    /// The whole judgement of a submission, without the broker: the
    /// validated article, or every error found.
    pub fn validate(&self, bytes: &[u8]) -> Result<Envelope<ValidatedArticle>, ValidateFailure> {
        let document = self.read(bytes, EventType::Submitted)?;
        let submission: Envelope<Article> =
            read_event(&self.schemas, EventType::Submitted, &document)
                .map_err(|errors| self.reject(&document, "schema", errors))?;
        let (validated, errors) = self.apply_rules(submission.data);
        if !errors.is_empty() {
            return Err(self.reject(&document, "rules", errors));
        }
        let article_id = validated.article.id.clone();
        Ok(Envelope::new(
            EventType::Validated,
            event_id(
                &article_id,
                validated.article.revision,
                EventType::Validated,
            ),
            SOURCE,
            &article_id,
            Some(&submission.id),
            validated,
        ))
    }

    /// The judgement of a withdrawal: its schema, its subject, and a reason
    /// cleaned as any other text. Whether the article exists is publish's
    /// to say; it keeps the pages.
    pub fn validate_withdrawal(
        &self,
        bytes: &[u8],
    ) -> Result<Envelope<Withdrawal>, ValidateFailure> {
        let document = self.read(bytes, EventType::Withdrawn)?;
        let withdrawal: Envelope<Withdrawal> =
            read_event(&self.schemas, EventType::Withdrawn, &document)
                .map_err(|errors| self.reject(&document, "schema", errors))?;
        let Withdrawal { id, reason } = withdrawal.data;
        let reason = printable(&nfc(&reason), Lines::Multi).trim().to_owned();
        if reason.is_empty() {
            return Err(self.reject(
                &document,
                "rules",
                vec![FieldError::new("/data/reason", "must not be blank")],
            ));
        }
        Ok(Envelope::new(
            EventType::WithdrawalValidated,
            // One withdrawal event per upstream event: a redelivery repeats its id.
            content_event_id(withdrawal.id.as_bytes(), EventType::WithdrawalValidated),
            SOURCE,
            &id,
            Some(&withdrawal.id),
            Withdrawal {
                id: id.clone(),
                reason,
            },
        ))
    }

    /// The document, refused for its structure before any schema: unreadable
    /// bytes are dead-lettered, and duplicate keys are rejected to the CMS
    /// (the rest of the document is readable enough to say who to tell).
    fn read(&self, bytes: &[u8], event_type: EventType) -> Result<Value, ValidateFailure> {
        match parse_document(bytes) {
            Ok(document) => Ok(document),
            Err(DocumentError::DuplicateKey { pointer }) => {
                let lenient: Value = serde_json::from_slice(bytes).map_err(|e| {
                    ValidateFailure::Unreadable(DocumentError::NotJson(e.to_string()))
                })?;
                Err(self.reject(
                    &lenient,
                    "duplicate-key",
                    vec![FieldError::new(
                        pointer,
                        format!("appears twice in one object; a {event_type} event names each field once"),
                    )],
                ))
            }
            Err(e) => Err(ValidateFailure::Unreadable(e)),
        }
    }

    /// Normalises the article and checks what a schema cannot express.
    fn apply_rules(&self, mut article: Article) -> (ValidatedArticle, Vec<FieldError>) {
        let mut errors = Vec::new();
        // NFC first: a decomposed letter's marks are never removed by the
        // clean-up, and the clean-up's output stays NFC.
        for field in [
            &mut article.title,
            &mut article.author,
            &mut article.category.name,
        ] {
            *field = printable(&nfc(field), Lines::Single).trim().to_owned();
        }
        for field in [&mut article.lead, &mut article.body.content] {
            *field = printable(&nfc(field), Lines::Multi).into_owned();
        }
        for tag in &mut article.tags {
            *tag = printable(&nfc(tag), Lines::Single).trim().to_owned();
        }
        if let Some(at) = article.tags.iter().position(|tag| tag.is_empty()) {
            errors.push(FieldError::new(
                format!("/data/tags/{at}"),
                "must not be blank",
            ));
        }
        for (pointer, value) in [
            ("/data/title", &article.title),
            ("/data/author", &article.author),
            ("/data/category/name", &article.category.name),
        ] {
            if value.trim().is_empty() {
                errors.push(FieldError::new(pointer, "must not be blank"));
            }
        }
        if is_reserved_category(&article.category.slug) {
            errors.push(FieldError::new(
                "/data/category/slug",
                format!(
                    "{:?} is a name Gazette uses for its own files; choose another category slug",
                    article.category.slug
                ),
            ));
        }
        let slug = slugify(&article.title);
        if slug.is_empty() && !article.title.trim().is_empty() {
            errors.push(FieldError::new(
                "/data/title",
                "has no letters or digits to build the page's URL from",
            ));
        }
        // A small body can expand a lot (`>` repeated nests a quote per
        // character); what validate hands on must fit every later message.
        let rendered = match article.body.format {
            BodyFormat::Html => Ok(self.sanitizer.html(&article.body.content)),
            BodyFormat::Markdown => self
                .sanitizer
                .markdown_within(&article.body.content, MAX_BODY_HTML_BYTES),
        };
        let (body_html, oversized) = match rendered {
            Ok(html) if html.len() <= MAX_BODY_HTML_BYTES => (html, None),
            Ok(html) => {
                let size = html.len();
                (html, Some(size))
            }
            Err(size) => (String::new(), Some(size)),
        };
        if let Some(size) = oversized {
            errors.push(too_large(size));
        } else if !has_visible_text(&body_html) {
            errors.push(FieldError::new(
                "/data/body/content",
                "is empty once unsafe HTML is removed",
            ));
        }
        errors.extend(check_images(&mut article, &body_html));

        (
            ValidatedArticle {
                article,
                slug,
                body_html,
                images: Vec::new(),
            },
            errors,
        )
    }

    fn reject(
        &self,
        document: &Value,
        reason: &'static str,
        errors: Vec<FieldError>,
    ) -> ValidateFailure {
        match rejection_notice(document, &errors, SOURCE) {
            None => ValidateFailure::Unidentified { errors },
            Some((article_id, Ok(notice))) => ValidateFailure::Rejected {
                article_id,
                reason,
                errors,
                notice: Box::new(notice),
            },
            Some((_, Err(e))) => ValidateFailure::Encode(e),
        }
    }
}

fn too_large(size: usize) -> FieldError {
    FieldError::new(
        "/data/body/content",
        format!("becomes {size} bytes of HTML; the limit is {MAX_BODY_HTML_BYTES} bytes"),
    )
}

/// Whether sanitised HTML shows any text (tags and whitespace aside).
fn has_visible_text(html: &str) -> bool {
    let mut in_tag = false;
    html.chars().any(|c| match c {
        '<' => {
            in_tag = true;
            false
        }
        '>' => {
            in_tag = false;
            false
        }
        c => !in_tag && !c.is_whitespace(),
    })
}

impl Handler for ValidateStage {
    type Error = ValidateFailure;

    async fn handle(&self, message: &Inbound) -> Result<Vec<Outbound>, ValidateFailure> {
        let span = tracing::Span::current();
        let event = off_reactor_on(self, message, move |stage, message| {
            span.in_scope(|| stage.judge(&message.routing_key, &message.body))
        })
        .await
        .map_err(ValidateFailure::Crashed)??;
        Ok(vec![event])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example `article.submitted` with `changes` applied to its article.
    fn submission(changes: serde_json::Value) -> Vec<u8> {
        let mut event: serde_json::Value = serde_json::from_str(include_str!(
            "../../../schemas/examples/article.submitted.json"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        if let (Some(article), Some(changes)) = (event["data"].as_object_mut(), changes.as_object())
        {
            article.extend(changes.clone());
        }
        serde_json::to_vec(&event).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn only_an_article_with_pictures_is_handed_to_the_media_stage() {
        let stage = ValidateStage::new(Schemas::load().unwrap_or_else(|e| panic!("{e}")));
        let key = |changes| match stage.judge("article.submitted", &submission(changes)) {
            Ok(out) => (out.routing_key, out.exchange),
            Err(e) => panic!("{e}"),
        };
        let cover = serde_json::json!({"cover_image": {"src": "https://cms.example.vn/bia.jpg", "alt": "Bìa"}});
        let inline = serde_json::json!({"body": {"format": "markdown", "content": "Ảnh: ![Hội trường](https://cms.example.vn/a.png)"}});
        let linked = serde_json::json!({"body": {"format": "markdown", "content": "[Ảnh gốc](https://cms.example.vn/a.png)"}});
        assert_eq!(
            key(cover),
            (
                "article.validated".to_owned(),
                gazette_broker::Exchange::Internal
            )
        );
        assert_eq!(
            key(inline),
            (
                "article.validated".to_owned(),
                gazette_broker::Exchange::Internal
            )
        );
        for text_only in [serde_json::json!({}), linked] {
            assert_eq!(
                key(text_only),
                (
                    VALIDATED_WITHOUT_PICTURES.to_owned(),
                    gazette_broker::Exchange::Internal
                )
            );
        }
    }

    #[test]
    fn visible_text_ignores_tags_and_space() {
        assert!(!has_visible_text("<p> </p>\n<br>"));
        assert!(has_visible_text("<p>Chào</p>"));
    }
}
