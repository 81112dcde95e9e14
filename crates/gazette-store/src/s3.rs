//! The S3 backend, configured the way every AWS tool is: from the standard `AWS_*` variables.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::meta::region::RegionProviderChain;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use crate::s3_put::{ATTEMPT_TIMEOUT, CONNECT_TIMEOUT, DirectPut, OPERATION_TIMEOUT, error_chain};
use crate::{ObjectHead, Precondition, PutObject, StoreError};

/// S3-compatible servers (Garage, MinIO) sign with a region name of their
/// own; without `AWS_REGION` this is what the SDK is told.
const FALLBACK_REGION: &str = "us-east-1";

/// Explicit connection details, for tools and tests that must not depend on
/// the process environment. The secret never appears in `Debug` output.
#[derive(Clone)]
pub struct S3Access {
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Access")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    /// PutObject without the SDK, where there is a custom endpoint (`s3_put.rs`).
    direct_put: Option<Arc<DirectPut>>,
    bucket: String,
    endpoint: Option<String>,
    region: String,
}

impl S3Store {
    /// Reads `AWS_ENDPOINT_URL`, `AWS_REGION`, credentials, and the checksum
    /// settings (`AWS_REQUEST_CHECKSUM_CALCULATION`,
    /// `AWS_RESPONSE_CHECKSUM_VALIDATION`) from the environment. With a
    /// custom endpoint, addressing is path-style: S3-compatible servers
    /// rarely have wildcard DNS for virtual-hosted buckets.
    pub(crate) async fn connect(bucket: &str, access: Option<&S3Access>) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        loader = match access {
            Some(access) => loader
                .endpoint_url(&access.endpoint)
                .region(Region::new(access.region.clone()))
                .credentials_provider(Credentials::new(
                    &access.access_key_id,
                    &access.secret_access_key,
                    None,
                    None,
                    "gazette",
                )),
            None => loader.region(
                RegionProviderChain::default_provider().or_else(Region::new(FALLBACK_REGION)),
            ),
        };
        let shared = loader
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            )
            .load()
            .await;
        let endpoint = shared.endpoint_url().map(str::to_owned);
        let region = shared
            .region()
            .map_or(FALLBACK_REGION.to_owned(), ToString::to_string);
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(endpoint.is_some())
            .build();
        let direct_put = endpoint
            .as_deref()
            .zip(shared.credentials_provider())
            .and_then(|(endpoint, credentials)| {
                DirectPut::new(endpoint, bucket, &region, credentials)
            })
            .map(Arc::new);
        Self {
            client: Client::from_conf(config),
            direct_put,
            bucket: bucket.to_owned(),
            endpoint,
            region,
        }
    }

    pub(crate) async fn check(&self) -> Result<(), StoreError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(drop)
            .map_err(|e| match classify("reach bucket", self.describe(), e) {
                StoreError::Refused {
                    operation,
                    target,
                    status: 404,
                    ..
                } => StoreError::Refused {
                    operation,
                    target,
                    status: 404,
                    detail: "the bucket does not exist; create it or fix the bucket name"
                        .to_owned(),
                },
                StoreError::Refused {
                    operation,
                    target,
                    status: 403,
                    detail,
                } => StoreError::Refused {
                    operation,
                    target,
                    status: 403,
                    detail: format!(
                        "the credentials are not allowed to use this bucket ({detail})"
                    ),
                },
                other => other,
            })
    }

    pub(crate) async fn put_redirect(&self, key: &str, location: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("text/html; charset=utf-8")
            .cache_control(crate::REDIRECT_CACHE_CONTROL)
            .website_redirect_location(location)
            .body(ByteStream::from(bytes::Bytes::new()))
            .send()
            .await
            .map(drop)
            .map_err(|e| classify("put", self.target(key), e))
    }

    pub(crate) async fn put(&self, object: PutObject) -> Result<(), StoreError> {
        let target = self.target(&object.key);
        if let Some(direct) = &self.direct_put {
            return direct.put(object, target).await;
        }
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&object.key)
            .content_type(object.content_type)
            .cache_control(object.cache_control)
            .body(ByteStream::from(object.body));
        for (name, value) in object.metadata {
            request = request.metadata(name, value);
        }
        request = match object.precondition {
            Precondition::None => request,
            Precondition::Absent => request.if_none_match("*"),
            Precondition::Unchanged(etag) => request.if_match(etag),
        };
        request
            .send()
            .await
            .map(drop)
            .map_err(|e| match classify("put", target, e) {
                // 412: the condition failed; 409: a concurrent conditional write is in progress.
                StoreError::Refused {
                    target,
                    status: 409 | 412,
                    ..
                } => StoreError::Conflict { target },
                other => other,
            })
    }

    pub(crate) async fn head(&self, key: &str) -> Result<Option<ObjectHead>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ObjectHead {
                etag: out.e_tag().map(str::to_owned),
                redirect: out.website_redirect_location().map(str::to_owned),
                content_type: out.content_type().map(str::to_owned),
                cache_control: out.cache_control().map(str::to_owned),
                metadata: out
                    .metadata()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_else(BTreeMap::new),
            })),
            Err(SdkError::ServiceError(e)) if e.err().is_not_found() => Ok(None),
            Err(e) => Err(classify("head", self.target(key), e)),
        }
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let target = self.target(key);
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let bytes = out
                    .body
                    .collect()
                    .await
                    .map_err(|e| StoreError::Unavailable {
                        operation: "read body of",
                        target,
                        detail: e.to_string(),
                    })?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() => Ok(None),
            Err(e) => Err(classify("get", target, e)),
        }
    }

    /// S3 answers 204 whether or not the key existed, so deleting is idempotent.
    pub(crate) async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("delete", self.target(key), e))
    }

    pub(crate) async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("list", self.target(prefix), e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        Ok(keys)
    }

    pub(crate) fn locator(&self, key: &str) -> String {
        match &self.endpoint {
            Some(endpoint) => format!("{}/{}/{key}", endpoint.trim_end_matches('/'), self.bucket),
            None => format!(
                "https://{}.s3.{}.amazonaws.com/{key}",
                self.bucket, self.region
            ),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match &self.endpoint {
            Some(endpoint) => format!("s3://{} at {endpoint}", self.bucket),
            None => format!("s3://{} in {}", self.bucket, self.region),
        }
    }

    fn target(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

/// 5xx, 429, timeouts and connection failures are worth retrying; other
/// answers (403, 404 on the bucket, 400) will not change by themselves.
fn classify<E, R>(operation: &'static str, target: String, error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HasStatus,
{
    let status = error.raw_response().map(HasStatus::status_code);
    let detail = match &error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            format!(
                "{}: {}",
                e.code().unwrap_or("error"),
                e.message().unwrap_or("no message")
            )
        }
        other => error_chain(other),
    };
    match status {
        Some(status) if status != 429 && (400..500).contains(&status) => StoreError::Refused {
            operation,
            target,
            status,
            detail,
        },
        _ => StoreError::Unavailable {
            operation,
            target,
            detail,
        },
    }
}

/// Lets [`classify`] read the HTTP status of whatever raw response type the SDK hands back.
trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}
