//! The subscription API (axum), served beside `/metrics` by the process that runs the notifier: webhook endpoints for systems (behind a bearer token), email with double opt-in for residents, unsubscribe by token.
//!
//! | method | path | who |
//! |---|---|---|
//! | POST | `/webhooks` `{url, categories?}` → 201 with the `whsec_` secret, shown once | operator token |
//! | GET | `/webhooks` | operator token |
//! | DELETE | `/webhooks/{id}` | operator token |
//! | POST | `/webhooks/{id}/rotate` → the new secret; the old one signs beside it for a day | operator token |
//! | POST | `/subscriptions/email` `{email, categories?}` → 202, a confirmation mail | anyone |
//! | GET | `/subscriptions/confirm?token=` → a page with a button | the link in that mail |
//! | POST | `/subscriptions/confirm?token=` → confirmed | that button (a mail scanner's GET confirms nothing) |
//! | GET, POST | `/unsubscribe?token=` | the link in every mail; GET shows a button, POST (also RFC 8058 one-click) unsubscribes |
//!
//! The view counter's `/views/{article_id}` is served beside it (`views.rs`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use gazette_email::{Mailer, confirmation, normalize_address};
use gazette_subscribers::{Channel, EmailRequest, Subscribers, Subscription, WebhookAdded};
use gazette_text::escape_html;
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::{error, info};

use crate::config::{ApiToken, Config};

/// How long a rotated-out secret keeps signing beside the new one.
const ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 3600);
/// One confirmation mail per address per this long, however often the
/// public form is sent.
pub const CONFIRMATION_RESEND_AFTER: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub token: Option<ApiToken>,
    pub site_name: String,
    pub api_url: gazette_site::BaseUrl,
}

impl ApiSettings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            token: config.notifier.api_token.clone(),
            site_name: config.site.name.clone(),
            api_url: gazette_site::BaseUrl::new(&config.notifier.api_url),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Api {
    pub subscribers: Subscribers,
    pub mailer: Option<Mailer>,
    pub settings: ApiSettings,
}

pub fn router(api: Api) -> Router {
    Router::new()
        .route("/webhooks", post(create_webhook).get(list_webhooks))
        .route("/webhooks/{id}", delete(delete_webhook))
        .route("/webhooks/{id}/rotate", post(rotate_webhook))
        .route("/subscriptions/email", post(request_email))
        .route(
            "/subscriptions/confirm",
            get(confirm_page).post(confirm_email),
        )
        .route("/unsubscribe", get(unsubscribe_page).post(unsubscribe))
        .with_state(Arc::new(api))
}

/// A failure as the API reports it: a status and one sentence.
struct Problem(StatusCode, String);

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<gazette_subscribers::DatabaseError> for Problem {
    fn from(e: gazette_subscribers::DatabaseError) -> Self {
        error!(error = %e, "subscription API: database failed");
        Self(
            StatusCode::SERVICE_UNAVAILABLE,
            "the subscriptions database is unavailable; try again shortly".to_owned(),
        )
    }
}

impl From<JsonRejection> for Problem {
    fn from(e: JsonRejection) -> Self {
        Self(StatusCode::BAD_REQUEST, e.body_text())
    }
}

fn authorize(api: &Api, headers: &HeaderMap) -> Result<(), Problem> {
    let Some(expected) = &api.settings.token else {
        return Err(Problem(
            StatusCode::FORBIDDEN,
            "managing webhooks over HTTP is switched off; set GAZETTE_API_TOKEN on the notifier"
                .to_owned(),
        ));
    };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if constant_time_eq(given.as_bytes(), expected.expose().as_bytes()) {
        Ok(())
    } else {
        Err(Problem(
            StatusCode::UNAUTHORIZED,
            "send the operator token as `Authorization: Bearer <GAZETTE_API_TOKEN>`".to_owned(),
        ))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Category slugs as the pipeline makes them: lowercase ASCII, digits, hyphens.
pub fn check_categories(categories: &[String]) -> Result<(), String> {
    match categories.iter().find(|slug| {
        slug.is_empty()
            || slug.len() > 80
            || !slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }) {
        Some(bad) => Err(format!(
            "{bad:?} is not a category slug such as tin-tuc-su-kien"
        )),
        None => Ok(()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWebhook {
    url: String,
    #[serde(default)]
    categories: Vec<String>,
}

async fn create_webhook(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    body: Result<Json<NewWebhook>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    authorize(&api, &headers)?;
    let Json(request) = body?;
    gazette_webhooks::endpoint_url(&request.url)
        .map_err(|e| Problem(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    check_categories(&request.categories)
        .map_err(|e| Problem(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    match api
        .subscribers
        .add_webhook(&request.url, &request.categories)
        .await?
    {
        WebhookAdded::New(subscription, secret) => {
            info!(subscription = %subscription.id, "webhook endpoint added");
            let mut body = describe(&subscription);
            body["secret"] = json!(secret.reveal());
            Ok((StatusCode::CREATED, Json(body)))
        }
        // The existing one, without its secret: that was shown once.
        WebhookAdded::Exists(subscription) => {
            Ok((StatusCode::CONFLICT, Json(describe(&subscription))))
        }
    }
}

async fn list_webhooks(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
) -> Result<Json<Value>, Problem> {
    authorize(&api, &headers)?;
    let webhooks: Vec<Value> = api
        .subscribers
        .list()
        .await?
        .iter()
        .filter(|s| matches!(s.channel, Channel::Webhook { .. }))
        .map(describe)
        .collect();
    Ok(Json(json!(webhooks)))
}

async fn delete_webhook(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    authorize(&api, &headers)?;
    match api.subscribers.get(&id).await? {
        Some(s) if matches!(s.channel, Channel::Webhook { .. }) => {
            api.subscribers.remove(&id).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(Problem(StatusCode::NOT_FOUND, format!("no webhook {id}"))),
    }
}

async fn rotate_webhook(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    authorize(&api, &headers)?;
    match api.subscribers.rotate_secret(&id, ROTATION_OVERLAP).await? {
        Some(secret) => Ok(Json(json!({
            "id": id,
            "secret": secret.reveal(),
            "previous_secret_valid_for_seconds": ROTATION_OVERLAP.as_secs(),
        }))),
        None => Err(Problem(StatusCode::NOT_FOUND, format!("no webhook {id}"))),
    }
}

/// The public view of a subscription; never the secret, never a token.
pub fn describe(subscription: &Subscription) -> Value {
    json!({
        "id": subscription.id,
        "kind": subscription.channel.kind(),
        "target": subscription.channel.target(),
        "categories": subscription.categories,
        "status": subscription.status.to_string(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEmailSubscription {
    email: String,
    #[serde(default)]
    categories: Vec<String>,
}

async fn request_email(
    State(api): State<Arc<Api>>,
    body: Result<Json<NewEmailSubscription>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let Json(request) = body?;
    let Some(normalized) = normalize_address(&request.email) else {
        return Err(Problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{:?} is not a mail address", request.email.trim()),
        ));
    };
    let email = normalized.as_str();
    check_categories(&request.categories)
        .map_err(|e| Problem(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let Some(mailer) = &api.mailer else {
        return Err(Problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "email subscriptions are off: the notifier has no GAZETTE_SMTP_URL".to_owned(),
        ));
    };
    // The same answer whether or not the address was known: the API does
    // not tell strangers who is subscribed.
    let accepted = (
        StatusCode::ACCEPTED,
        Json(json!({ "status": "confirmation-sent" })),
    );
    let EmailRequest::Confirm(new) = api
        .subscribers
        .request_email(email, &request.categories, CONFIRMATION_RESEND_AFTER)
        .await?
    else {
        return Ok(accepted);
    };
    let link = api.settings.api_url.join(&format!(
        "subscriptions/confirm?token={}",
        new.confirm_token
    ));
    let mail = confirmation(email, &api.settings.site_name, &link);
    mailer.send(&mail).await.map_err(|e| {
        error!(error = %e, "confirmation mail not sent");
        Problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the confirmation mail could not be sent; try again shortly".to_owned(),
        )
    })?;
    info!(subscription = %new.subscription.id, "confirmation mail sent");
    Ok(accepted)
}

#[derive(Debug, Deserialize)]
struct TokenQuery {
    token: String,
}

/// A page with a button, like unsubscribing: mail scanners follow the
/// link in the confirmation mail, and that alone must not confirm.
async fn confirm_page(Query(query): Query<TokenQuery>) -> Html<String> {
    button_page(
        "Xác nhận đăng ký",
        "Bấm nút dưới đây để xác nhận nhận thư báo bài viết mới.",
        "/subscriptions/confirm",
        &query.token,
        "Xác nhận",
    )
}

/// A page whose only action is a button that POSTs `token` to `path`.
fn button_page(title: &str, question: &str, path: &str, token: &str, button: &str) -> Html<String> {
    let action = format!("{path}?token={}", escape_html(token));
    page(
        title,
        &format!(
            "{question}</p><form method=\"post\" action=\"{action}\"><button type=\"submit\">{button}</button></form><p>"
        ),
    )
}

async fn confirm_email(
    State(api): State<Arc<Api>>,
    Query(query): Query<TokenQuery>,
) -> Result<(StatusCode, Html<String>), Problem> {
    Ok(match api.subscribers.confirm_email(&query.token).await? {
        Some(_) => (
            StatusCode::OK,
            page(
                "Đã xác nhận",
                "Đăng ký đã được xác nhận. Bạn sẽ nhận thư khi có bài viết mới.",
            ),
        ),
        None => (
            StatusCode::NOT_FOUND,
            page(
                "Liên kết không hợp lệ",
                "Liên kết xác nhận không hợp lệ hoặc đã được dùng.",
            ),
        ),
    })
}

/// A page with a button, not the unsubscription itself: mail scanners
/// follow links, and a GET must not unsubscribe anyone.
async fn unsubscribe_page(Query(query): Query<TokenQuery>) -> Html<String> {
    button_page(
        "Hủy đăng ký",
        "Bạn muốn ngừng nhận thư báo bài viết mới?",
        "/unsubscribe",
        &query.token,
        "Hủy đăng ký",
    )
}

async fn unsubscribe(
    State(api): State<Arc<Api>>,
    Query(query): Query<TokenQuery>,
) -> Result<(StatusCode, Html<String>), Problem> {
    Ok(match api.subscribers.unsubscribe(&query.token).await? {
        Some(subscription) => {
            info!(subscription = %subscription.id, "unsubscribed");
            (
                StatusCode::OK,
                page(
                    "Đã hủy đăng ký",
                    "Bạn đã hủy đăng ký và sẽ không nhận thêm thư nào.",
                ),
            )
        }
        None => (
            StatusCode::NOT_FOUND,
            page(
                "Liên kết không hợp lệ",
                "Liên kết hủy đăng ký không hợp lệ.",
            ),
        ),
    })
}

fn page(title: &str, message: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title></head><body><main><h1>{title}</h1><p>{message}</p></main></body></html>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_must_be_slugs() {
        assert!(check_categories(&["tin-tuc".to_owned(), "y-te-2".to_owned()]).is_ok());
        assert!(check_categories(&["Tin Tức".to_owned()]).is_err());
        assert!(check_categories(&[String::new()]).is_err());
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
