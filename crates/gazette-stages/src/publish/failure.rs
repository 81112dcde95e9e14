//! Why a publish or a withdrawal failed, and what that means for the message: retry, or dead-letter with a reason (and, for a refused withdrawal, a notice to the CMS).

use gazette_broker::{Disposition, Failure, Outbound};
use gazette_contract::{FieldError, join_errors};
use gazette_store::StoreError;
use gazette_subscribers::DatabaseError;

use crate::pages::PagesError;
use crate::wire::MalformedEvent;

#[derive(Debug, thiserror::Error)]
pub enum PublishFailure {
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    #[error("a stored revision copy cannot be read: {0}")]
    CorruptCopy(serde_json::Error),
    #[error(
        "article {article_id} does not own page {key}; only the render stage's claim makes a key an article's"
    )]
    ForeignKey { article_id: String, key: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("{0}")]
    Pages(String),
    #[error("cannot encode: {0}")]
    Encode(serde_json::Error),
    #[error("reading this message crashed: {0}")]
    Crashed(String),
    #[error("withdrawal of {article_id} refused ({reason}): {}", join_errors(.errors))]
    Refused {
        article_id: String,
        reason: &'static str,
        errors: Vec<FieldError>,
        notice: Box<Outbound>,
    },
}

impl From<PagesError> for PublishFailure {
    fn from(e: PagesError) -> Self {
        match e {
            PagesError::Store(e) => Self::Store(e),
            PagesError::Database(e) => Self::Database(e),
            other => Self::Pages(other.to_string()),
        }
    }
}

impl Failure for PublishFailure {
    fn disposition(&self) -> Disposition {
        match self {
            Self::Store(e) if e.is_transient() => Disposition::Retry,
            Self::Database(_) => Disposition::Retry,
            Self::Store(_) => Disposition::DeadLetter {
                reason: "store-refused",
            },
            Self::Malformed(_) => Disposition::DeadLetter {
                reason: "malformed-event",
            },
            Self::ForeignKey { .. } => Disposition::DeadLetter {
                reason: "foreign-key",
            },
            Self::CorruptCopy(_) | Self::Pages(_) => Disposition::DeadLetter {
                reason: "corrupt-copy",
            },
            Self::Encode(_) => Disposition::DeadLetter { reason: "encode" },
            Self::Crashed(_) => Disposition::DeadLetter {
                reason: "handler-panicked",
            },
            Self::Refused { reason, .. } => Disposition::DeadLetter { reason },
        }
    }

    fn notices(&self) -> Vec<Outbound> {
        match self {
            Self::Refused { notice, .. } => vec![notice.as_ref().clone()],
            _ => Vec::new(),
        }
    }
}
