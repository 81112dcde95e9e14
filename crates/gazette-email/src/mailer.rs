//! The SMTP transport: one pooled connection setup from `GAZETTE_SMTP_URL`, and which failures are worth retrying.

use std::time::Duration;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::Mail;

/// SMTP conversations longer than this count as a failed attempt.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The URL is not repeated: it may hold a password, and the caller knows which setting it came from.
    #[error("not an SMTP URL such as smtp://127.0.0.1:25 or smtps://user:password@mail.example.vn")]
    Url,
    #[error("{0:?} is not a mail address such as \"Gazette <tin@example.vn>\"")]
    Address(String),
    #[error("the mail could not be built: {0}")]
    Build(String),
    /// The server or the network failed now; later may work.
    #[error("the mail server did not take the mail: {0}")]
    Transient(String),
    /// The server refused for good (no such mailbox, policy).
    #[error("the mail server refused the mail: {0}")]
    Refused(String),
}

impl MailError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// Sends mail through one SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    // The transport holds the SMTP credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer(from {})", self.from)
    }
}

impl Mailer {
    /// `smtp://host:port` (plain, for a local relay), `smtp://…?tls=required`
    /// (STARTTLS) or `smtps://user:password@host` (TLS), from `from`.
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailError::Address(from.to_owned()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|_| MailError::Url)?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self { transport, from })
    }

    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = build(&self.from, mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Refused(e.to_string())),
            Err(e) => Err(MailError::Transient(e.to_string())),
        }
    }

    /// The message exactly as it goes on the wire, for tests and previews.
    pub fn render(&self, mail: &Mail) -> Result<Vec<u8>, MailError> {
        Ok(build(&self.from, mail)?.formatted())
    }
}

fn build(from: &Mailbox, mail: &Mail) -> Result<Message, MailError> {
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|_| MailError::Address(mail.to.clone()))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.as_str());
    if let Some(link) = &mail.list_unsubscribe {
        // RFC 8058 one-click: mail clients POST to the link themselves.
        builder = builder
            .header(ListUnsubscribe(format!("<{}>", strip_controls(link))))
            .header(ListUnsubscribePost);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(mail.html.clone()),
                ),
        )
        .map_err(|e| MailError::Build(e.to_string()))
}

fn strip_controls(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ArticleNotice, notification};

    #[test]
    fn the_wire_form_has_one_click_unsubscribe_and_no_injected_header() {
        let mailer = Mailer::new("smtp://127.0.0.1:2525", "Gazette <tin@example.vn>")
            .unwrap_or_else(|e| panic!("{e}"));
        let article = ArticleNotice {
            site_name: "Quận Ninh Kiều",
            title: "Tin\r\nBcc: victim@example.com",
            category: "Tin tức",
            url: "https://example.vn/a",
            published: "23/06/2022 15:04",
        };
        let mail = notification(
            "dan@example.vn",
            &article,
            "https://example.vn/unsubscribe?token=t",
        );
        let wire = String::from_utf8(mailer.render(&mail).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            wire.contains("List-Unsubscribe: <https://example.vn/unsubscribe?token=t>\r\n"),
            "{wire}"
        );
        assert!(wire.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        assert!(wire.contains("multipart/alternative"));
        assert!(
            !wire
                .lines()
                .any(|line| line.to_ascii_lowercase().starts_with("bcc:")),
            "{wire}"
        );
    }

    #[test]
    fn a_recipient_with_a_line_break_is_refused() {
        let mailer = Mailer::new("smtp://127.0.0.1:2525", "tin@example.vn")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut mail = crate::confirmation("dan@example.vn", "Quận", "https://example.vn/c");
        mail.to = "dan@example.vn\r\nBcc: victim@example.com".to_owned();
        assert!(matches!(mailer.render(&mail), Err(MailError::Address(_))));
        assert!(Mailer::new("http://x", "tin@example.vn").is_err());
    }
}
