//! Pure text handling for Vietnamese articles: NFC, slugs, body sanitising, HTML escaping, and the portal's date line.

mod body;
mod date;
mod escape;
mod images;
mod normalize;
mod number;
mod printable;
mod slug;

pub use body::BodySanitizer;
pub use date::{PORTAL_TIME_ZONE, portal_datetime, portal_year};
pub use escape::escape_html;
pub use images::{ImgTag, img_tags, replace_img_tags};
pub use normalize::nfc;
pub use number::grouped_number;
pub use printable::{Lines, is_printable, printable};
pub use slug::{MAX_SLUG_CHARS, SlugRule, slugify, slugify_with};
