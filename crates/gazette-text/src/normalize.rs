//! Unicode NFC normalisation.
//!
//! Vietnamese can be typed precomposed ("ế", one code point) or decomposed
//! ("e" + circumflex + acute). Both look the same and compare different, so
//! every text field is brought to NFC before it is stored, slugged or shown.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// `text` in NFC. Most CMS output already is, so that case costs no allocation of note.
pub fn nfc(text: &str) -> String {
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => text.to_owned(),
        IsNormalized::No | IsNormalized::Maybe => text.nfc().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposed_vietnamese_becomes_precomposed() {
        let decomposed = "Ho\u{0302}\u{0323}i nghi\u{0323}";
        assert_eq!(nfc(decomposed), "Hội nghị");
        assert_eq!(nfc("Hội nghị").len(), "Hội nghị".len());
    }
}
