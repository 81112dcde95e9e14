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

/// The one spelling Gazette stores and compares for an address: trimmed
/// and lower-cased whole, or `None` when it is not one address.
///
/// Domains are case-insensitive by the standard. Local parts may be
/// case-sensitive by RFC 5321, but no large mail provider treats them so,
/// and `Dan@` and `dan@` reach the same person in practice. Comparing them
/// apart would let one person's mailbox be signed up (and rate-limited) as
/// many, so Gazette treats the whole address case-insensitively.
pub fn normalize_address(text: &str) -> Option<String> {
    let trimmed = text.trim();
    is_address(trimmed).then(|| trimmed.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_one_spelling_whatever_the_case() {
        assert_eq!(
            normalize_address("  Dan.Nguyen@Example.VN "),
            Some("dan.nguyen@example.vn".to_owned())
        );
        assert_eq!(
            normalize_address("DAN@EXAMPLE.VN"),
            normalize_address("dan@example.vn")
        );
        assert_eq!(normalize_address("dan@example.vn\r\nBcc: x@y.z"), None);
        assert_eq!(normalize_address("not an address"), None);
        assert_eq!(normalize_address("a@b@c"), None);
    }
}
