//! Subscriptions end to end: email with double opt-in against aiosmtpd, and the webhook API behind its token.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use crate::support::http_get;
use crate::support::mail::SmtpServer;
use crate::support::needs;
use crate::support::notifier::{publish, published};
use crate::support::notify_worker::Notifier;
use gazette_testkit::http::http_request;

/// The resident's form: `POST /subscriptions/email`; the answer's status.
async fn subscribe_by_mail(api: std::net::SocketAddr, address: &str) -> u16 {
    let body = serde_json::json!({ "email": address }).to_string();
    let json = [("content-type", "application/json")];
    let (status, _) = http_request(api, "POST", "/subscriptions/email", &json, &body)
        .await
        .unwrap();
    status
}

/// The address in a confirmation or unsubscribe link: `http://host:port/path?token=…`.
fn link(text: &str, path: &str) -> String {
    let start = text.find("http://").unwrap();
    let url = text[start..].split_whitespace().next().unwrap();
    let path_and_query = &url[url.find(path).unwrap()..];
    path_and_query.trim_end_matches(['>', '.']).to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_confirm_by_mail_hear_of_each_article_once_and_can_unsubscribe() {
    needs!(RabbitMq, Garage, Smtp);
    let smtp_dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(smtp_dir.path());
    let smtp_url = format!("smtp://{}", smtp.addr);
    let mut notifier = Notifier::start(
        "notify-email",
        None,
        &[
            ("GAZETTE_SMTP_URL", &smtp_url),
            ("GAZETTE_MAIL_FROM", "Ninh Kiều <tin@ninhkieu.example.vn>"),
        ],
    )
    .await;
    notifier.run().await;
    let api = notifier.addr;
    assert_eq!(subscribe_by_mail(api, "dan@example.vn").await, 202);
    let mails = smtp.wait_for(1).await;
    assert!(
        mails[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("Xác nhận đăng ký"),
        "{}",
        mails[0]
    );
    let confirm = link(mails[0]["text"].as_str().unwrap(), "/subscriptions/confirm");
    // The form sent again at once: the same answer, and no second mail to a
    // stranger's mailbox (the API sends before it answers).
    assert_eq!(subscribe_by_mail(api, "dan@example.vn").await, 202);
    assert_eq!(smtp.mails().len(), 1);
    // Nor does another spelling of the same address get past the limit.
    assert_eq!(subscribe_by_mail(api, "  Dan@EXAMPLE.vn").await, 202);
    assert_eq!(smtp.mails().len(), 1);

    // Unconfirmed: nothing is sent.
    let early = published("ntl-f", 1, "tin-tuc-su-kien", "Tin F");
    publish(&notifier.env.settings, &[&early]).await;
    notifier.wait_handled("notify", 1).await;
    assert_eq!(smtp.mails().len(), 1);

    // A mail scanner following the link sees a button and confirms nothing.
    let (status, page) = http_get(api, &confirm).await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("method=\"post\""), "{page}");
    let scanned = published("ntl-scanned", 1, "tin-tuc-su-kien", "Tin quét");
    publish(&notifier.env.settings, &[&scanned]).await;
    notifier.wait_handled("notify", 2).await;
    assert_eq!(smtp.mails().len(), 1, "a GET confirmed the subscription");
    let (status, page) = http_request(api, "POST", &confirm, &[], "").await.unwrap();
    assert_eq!(status, 200, "{page}");
    let title = "Hội nghị Ban Chấp hành Đảng bộ quận lần thứ 14\r\nBcc: victim@example.com";
    let article = published("ntl-hoi-nghi", 1, "tin-tuc-su-kien", title);
    publish(&notifier.env.settings, &[&article]).await;
    let mails = smtp.wait_for(2).await;
    let notice = &mails[1];
    assert_eq!(notice["to"], "dan@example.vn");
    assert_eq!(
        notice["bcc"],
        serde_json::Value::Null,
        "no header came from the title"
    );
    let subject = notice["subject"].as_str().unwrap();
    assert!(
        subject.contains("Hội nghị Ban Chấp hành Đảng bộ quận lần thứ 14"),
        "{subject}"
    );
    assert!(
        notice["text"]
            .as_str()
            .unwrap()
            .contains("23/06/2022 15:04")
    );
    assert!(
        notice["html"]
            .as_str()
            .unwrap()
            .contains("Hội nghị Ban Chấp hành")
    );
    assert_eq!(
        notice["list_unsubscribe_post"],
        "List-Unsubscribe=One-Click"
    );
    let unsubscribe = link(notice["list_unsubscribe"].as_str().unwrap(), "/unsubscribe");

    // A new revision of the same article does not mail the district again.
    let revised = published("ntl-hoi-nghi", 2, "tin-tuc-su-kien", "Hội nghị (cập nhật)");
    publish(&notifier.env.settings, &[&revised]).await;
    notifier.wait_handled("notify", 4).await;
    notifier.wait_handled("deliver", 1).await;

    // One-click unsubscribe, as a mail client does it.
    let (status, _) = http_request(
        api,
        "POST",
        &unsubscribe,
        &[("content-type", "application/x-www-form-urlencoded")],
        "List-Unsubscribe=One-Click",
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    publish(
        &notifier.env.settings,
        &[&published("ntl-g", 1, "tin-tuc-su-kien", "Tin G")],
    )
    .await;
    notifier.wait_handled("notify", 5).await;
    assert_eq!(
        smtp.mails().len(),
        2,
        "one confirmation and one notice, nothing else"
    );
    notifier.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_creates_lists_rotates_and_deletes_webhooks_behind_the_token() {
    needs!(RabbitMq, Garage);
    let mut notifier = Notifier::start("notify-api", None, &[]).await;
    notifier.run().await;
    let api = notifier.addr;
    let auth = ("authorization", "Bearer test-operator-token");
    let json = ("content-type", "application/json");
    let body = r#"{"url": "https://hooks.example.vn/gazette", "categories": ["tin-tuc-su-kien"]}"#;
    let (status, _) = http_request(api, "POST", "/webhooks", &[json], body)
        .await
        .unwrap();
    assert_eq!(status, 401, "no token, no webhook");
    let (status, created) = http_request(api, "POST", "/webhooks", &[json, auth], body)
        .await
        .unwrap();
    assert_eq!(status, 201, "{created}");
    let created: serde_json::Value = serde_json::from_str(&created).unwrap();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let id = created["id"].as_str().unwrap();
    // The same endpoint and categories again: 409 with the existing one, no secret.
    let (status, again) = http_request(api, "POST", "/webhooks", &[json, auth], body)
        .await
        .unwrap();
    assert_eq!(status, 409, "{again}");
    assert!(again.contains(id) && !again.contains("whsec_"), "{again}");

    let (status, listed) = http_request(api, "GET", "/webhooks", &[auth], "")
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(
        listed.contains(id) && !listed.contains("whsec_"),
        "the list never shows secrets: {listed}"
    );
    let (status, rotated) =
        http_request(api, "POST", &format!("/webhooks/{id}/rotate"), &[auth], "")
            .await
            .unwrap();
    assert_eq!(status, 200);
    assert_ne!(
        serde_json::from_str::<serde_json::Value>(&rotated).unwrap()["secret"],
        created["secret"]
    );
    let (status, _) = http_request(
        api,
        "POST",
        "/webhooks",
        &[json, auth],
        r#"{"url": "ftp://x"}"#,
    )
    .await
    .unwrap();
    assert_eq!(status, 422);
    let (status, _) = http_request(api, "DELETE", &format!("/webhooks/{id}"), &[auth], "")
        .await
        .unwrap();
    assert_eq!(status, 204);
    let (status, _) = http_request(api, "DELETE", &format!("/webhooks/{id}"), &[auth], "")
        .await
        .unwrap();
    assert_eq!(status, 404);
    notifier.stop().await;
}
