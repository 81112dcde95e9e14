//! Pure text handling for Vietnamese articles: NFC, slugs, body sanitising, and the portal's date line.

mod body;
mod date;
mod normalize;
mod slug;

pub use body::BodySanitizer;
pub use date::{PORTAL_TIME_ZONE, portal_datetime};
pub use normalize::nfc;
pub use slug::{MAX_SLUG_CHARS, slugify};
