//! Store errors, classified so that callers can tell "try again later" from "this will never work".

#[derive(Debug, thiserror::Error)]
pub enum StoreUrlError {
    #[error("{0:?} is not a store URL; use s3://BUCKET or file:///ABSOLUTE/DIR")]
    Malformed(String),
    #[error("store scheme {0:?} is not supported; use s3://BUCKET or file:///ABSOLUTE/DIR")]
    UnknownScheme(String),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or answered 5xx/429/timeout: worth retrying.
    #[error("{operation} {target} failed, the store is unavailable: {detail}")]
    Unavailable {
        operation: &'static str,
        target: String,
        detail: String,
    },
    /// The store refused the request (4xx: credentials, missing bucket, policy).
    #[error("{operation} {target} was refused by the store (HTTP {status}): {detail}")]
    Refused {
        operation: &'static str,
        target: String,
        status: u16,
        detail: String,
    },
    #[error("{operation} {target} failed: {source}")]
    Io {
        operation: &'static str,
        target: String,
        #[source]
        source: std::io::Error,
    },
    /// A conditional write lost a race: the object changed since it was read.
    #[error("{target} changed since it was read; the write was not made")]
    Conflict { target: String },
    #[error("object key {0:?} is not allowed (empty, absolute, or with . or .. parts)")]
    InvalidKey(String),
}

impl StoreError {
    /// Whether the same request may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unavailable { .. } | Self::Conflict { .. } => true,
            // A full disk or a remounted volume heals; a permission error is
            // an operator's to fix, but retrying it costs nothing and loses nothing.
            Self::Io { .. } => true,
            Self::Refused { .. } | Self::InvalidKey(_) => false,
        }
    }
}
