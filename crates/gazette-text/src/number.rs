//! Whole numbers as the portal writes them: thousands grouped by dots, the Vietnamese way ("1.234.567").

/// `n` with its thousands grouped by dots.
pub fn grouped_number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::grouped_number;

    #[test]
    fn thousands_are_grouped_by_dots() {
        for (n, text) in [
            (0, "0"),
            (7, "7"),
            (184, "184"),
            (1_000, "1.000"),
            (12_345, "12.345"),
            (999_999, "999.999"),
            (1_234_567, "1.234.567"),
            (u64::MAX, "18.446.744.073.709.551.615"),
        ] {
            assert_eq!(grouped_number(n), text);
        }
    }
}
