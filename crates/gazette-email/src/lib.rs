//! Email to residents: the confirmation of a subscription and the notice of a new article, in Vietnamese, with a plain-text and an HTML part, sent over SMTP. The only crate that imports lettre.
//!
//! Nothing a subscriber or an editor wrote reaches a header unchecked:
//! addresses are parsed as mailboxes, and titles lose their control
//! characters before lettre encodes the subject, so a title cannot add a
//! `Bcc:` line.

mod compose;
mod mailer;

pub use compose::{ArticleNotice, Mail, confirmation, notification};
pub use mailer::{MailError, Mailer};

/// Whether `text` is one mail address (`dan@example.vn`), nothing more.
pub fn is_address(text: &str) -> bool {
    text.parse::<lettre::Address>().is_ok() && !text.chars().any(char::is_control)
}
