//! The validate stage: schema, then rules; NFC, slug, safe body; `article.validated` or `article.rejected`.

use gazette_broker::{Disposition, Failure, Handler, Inbound, Outbound};
use gazette_contract::{
    Article, BodyFormat, Envelope, EventType, FieldError, JsonLimitError, MAX_JSON_DEPTH, Schemas,
    ValidatedArticle, check_json_depth, event_id,
};
use gazette_text::{BodySanitizer, nfc, slugify};
use serde::Deserialize as _;
use serde_json::Value;
use tracing::info;

use crate::encode_event;
use crate::rejection::{join_errors, rejection_notice};

const SOURCE: &str = "/gazette/validate";

/// Why a submission did not pass. Every variant is permanent: the same bytes
/// will fail the same way, so none is retried.
#[derive(Debug, thiserror::Error)]
pub enum ValidateFailure {
    #[error("submission refused unread: {0}")]
    TooDeep(#[from] JsonLimitError),
    #[error("submission is not UTF-8: invalid byte at offset {offset}")]
    NotUtf8 { offset: usize },
    #[error("submission is not JSON: {0}")]
    NotJson(String),
    #[error("submission without a readable article id breaks the schema: {}", join_errors(.errors))]
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
}

impl Failure for ValidateFailure {
    fn disposition(&self) -> Disposition {
        let reason = match self {
            Self::TooDeep(_) => "too-deep",
            Self::NotUtf8 { .. } => "invalid-utf8",
            Self::NotJson(_) => "invalid-json",
            Self::Unidentified { .. } => "schema",
            Self::Rejected { reason, .. } => reason,
            Self::Encode(_) => "encode",
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

/// Compiled schemas and the sanitizer, built once per process.
#[derive(Debug)]
pub struct ValidateStage {
    schemas: Schemas,
    sanitizer: BodySanitizer,
}

impl ValidateStage {
    pub fn new(schemas: Schemas) -> Self {
        Self {
            schemas,
            sanitizer: BodySanitizer::default(),
        }
    }

    /// The whole judgement, without the broker: the validated article, or
    /// every error found.
    pub fn validate(&self, bytes: &[u8]) -> Result<Envelope<ValidatedArticle>, ValidateFailure> {
        check_json_depth(bytes, MAX_JSON_DEPTH)?;
        let text = std::str::from_utf8(bytes).map_err(|e| ValidateFailure::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        let document: Value =
            serde_json::from_str(text).map_err(|e| ValidateFailure::NotJson(e.to_string()))?;

        if let Err(errors) = self.schemas.check(EventType::Submitted, &document) {
            return Err(self.reject(&document, "schema", errors));
        }
        let submission: Envelope<Article> = match Envelope::<Article>::deserialize(&document) {
            Ok(submission) => submission,
            Err(e) => {
                return Err(self.reject(
                    &document,
                    "schema",
                    vec![FieldError::new("/data", e.to_string())],
                ));
            }
        };
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

    /// Normalises the article and checks what a schema cannot express.
    fn apply_rules(&self, mut article: Article) -> (ValidatedArticle, Vec<FieldError>) {
        let mut errors = Vec::new();
        for field in [
            &mut article.title,
            &mut article.author,
            &mut article.lead,
            &mut article.category.name,
            &mut article.body.content,
        ] {
            *field = nfc(field);
        }
        for tag in &mut article.tags {
            *tag = nfc(tag);
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
        let slug = slugify(&article.title);
        if slug.is_empty() && !article.title.trim().is_empty() {
            errors.push(FieldError::new(
                "/data/title",
                "has no letters or digits to build the page's URL from",
            ));
        }
        let body_html = match article.body.format {
            BodyFormat::Html => self.sanitizer.html(&article.body.content),
            BodyFormat::Markdown => self.sanitizer.markdown(&article.body.content),
        };
        if !has_visible_text(&body_html) {
            errors.push(FieldError::new(
                "/data/body/content",
                "is empty once unsafe HTML is removed",
            ));
        }
        (
            ValidatedArticle {
                article,
                slug,
                body_html,
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
        let validated = self.validate(&message.body)?;
        info!(article_id = %validated.subject, revision = validated.data.article.revision, slug = %validated.data.slug, "validated");
        Ok(vec![encode_event(EventType::Validated, &validated)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_ignores_tags_and_space() {
        assert!(!has_visible_text("<p> </p>\n<br>"));
        assert!(has_visible_text("<p>Chào</p>"));
    }
}
