//! The schema files in `schemas/`, compiled once and applied at run time.
//!
//! The files are compiled into the binary with `include_str!` from the
//! repository's `schemas/` folder: the validator judges with the very files
//! that are published as the contract, never with a hand-written copy, and a
//! deployed binary does not depend on a folder beside it.

use std::collections::HashMap;
use std::sync::Arc;

use jsonschema::{Draft, Registry, Resource, Validator};
use serde_json::Value;

use crate::{EventType, FieldError};

/// `(file name, contents)` of every schema in `schemas/`.
pub const SCHEMA_FILES: [(&str, &str); 14] = [
    (
        "cloudevent.v1.json",
        include_str!("../../../schemas/cloudevent.v1.json"),
    ),
    (
        "article.v1.json",
        include_str!("../../../schemas/article.v1.json"),
    ),
    (
        "article.submitted.v1.json",
        include_str!("../../../schemas/article.submitted.v1.json"),
    ),
    (
        "article.rejected.v1.json",
        include_str!("../../../schemas/article.rejected.v1.json"),
    ),
    (
        "article.published.v1.json",
        include_str!("../../../schemas/article.published.v1.json"),
    ),
    (
        "article.validated.v1.json",
        include_str!("../../../schemas/article.validated.v1.json"),
    ),
    (
        "article.rendered.v1.json",
        include_str!("../../../schemas/article.rendered.v1.json"),
    ),
    (
        "article.updated.v1.json",
        include_str!("../../../schemas/article.updated.v1.json"),
    ),
    (
        "article.withdrawn.v1.json",
        include_str!("../../../schemas/article.withdrawn.v1.json"),
    ),
    (
        "article.unpublished.v1.json",
        include_str!("../../../schemas/article.unpublished.v1.json"),
    ),
    (
        "withdrawal.validated.v1.json",
        include_str!("../../../schemas/withdrawal.validated.v1.json"),
    ),
    (
        "article.scheduled.v1.json",
        include_str!("../../../schemas/article.scheduled.v1.json"),
    ),
    (
        "article.illustrated.v1.json",
        include_str!("../../../schemas/article.illustrated.v1.json"),
    ),
    (
        WEBHOOK_SCHEMA_FILE,
        include_str!("../../../schemas/webhook.article.published.v1.json"),
    ),
];

/// The body of the notifier's webhooks, for endpoint owners.
pub const WEBHOOK_SCHEMA_FILE: &str = "webhook.article.published.v1.json";

const BASE_URI: &str = "https://gazette.invalid/schemas/";

/// A schema file that does not compile. Only a broken build can produce
/// this; tests compile every file.
#[derive(Debug, thiserror::Error)]
#[error("schema {file} is broken: {reason}")]
pub struct SchemaError {
    pub file: &'static str,
    pub reason: String,
}

/// One compiled validator per event type. Build once at start; validating is
/// then allocation-light and thread-safe, and clones share the validators.
#[derive(Debug, Clone)]
pub struct Schemas {
    compiled: Arc<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    validators: HashMap<EventType, Validator>,
    webhook: Validator,
}

impl Schemas {
    pub fn load() -> Result<Self, SchemaError> {
        let mut documents = Vec::with_capacity(SCHEMA_FILES.len());
        for (file, text) in SCHEMA_FILES {
            let value: Value = serde_json::from_str(text).map_err(|e| SchemaError {
                file,
                reason: e.to_string(),
            })?;
            documents.push((file, value));
        }

        let mut registry = Registry::new();
        for (file, value) in &documents {
            registry = registry
                .add(
                    format!("{BASE_URI}{file}"),
                    Resource::from_contents(value.clone()),
                )
                .map_err(|e| SchemaError {
                    file,
                    reason: e.to_string(),
                })?;
        }
        let registry = registry.prepare().map_err(|e| SchemaError {
            file: "schemas/",
            reason: e.to_string(),
        })?;

        let compile = |file: &'static str| {
            let Some((_, schema)) = documents.iter().find(|(name, _)| *name == file) else {
                return Err(SchemaError {
                    file,
                    reason: "file is missing".to_owned(),
                });
            };
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_registry(&registry)
                .with_base_uri(format!("{BASE_URI}{file}"))
                .should_validate_formats(true)
                .build(schema)
                .map_err(|e| SchemaError {
                    file,
                    reason: e.to_string(),
                })
        };
        let mut validators = HashMap::new();
        for event_type in EventType::ALL {
            validators.insert(event_type, compile(event_type.schema_file())?);
        }
        let webhook = compile(WEBHOOK_SCHEMA_FILE)?;
        Ok(Self {
            compiled: Arc::new(Compiled {
                validators,
                webhook,
            }),
        })
    }

    /// Every way a webhook body breaks `schemas/webhook.article.published.v1.json`.
    pub fn check_webhook(&self, body: &Value) -> Result<(), Vec<FieldError>> {
        errors_of(&self.compiled.webhook, body)
    }

    /// Every way `event` breaks the schema of `event_type`, as pointers into
    /// `event` and messages that do not echo the offending value (a 100 kB
    /// body has no place in an error message).
    pub fn check(&self, event_type: EventType, event: &Value) -> Result<(), Vec<FieldError>> {
        let Some(validator) = self.compiled.validators.get(&event_type) else {
            return Err(vec![FieldError::new(
                "",
                format!("no schema for {event_type}"),
            )]);
        };
        errors_of(validator, event)
    }
}

fn errors_of(validator: &Validator, document: &Value) -> Result<(), Vec<FieldError>> {
    let errors: Vec<FieldError> = validator
        .iter_errors(document)
        .map(|e| FieldError::new(e.instance_path().as_str(), e.masked().to_string()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
