//! Structural limits checked on raw bytes before any JSON parser builds a tree.

/// Gazette's events are at most a few levels deep; 32 leaves room for
/// extensions while refusing "billion brackets" payloads before serde_json
/// recurses into them.
pub const MAX_JSON_DEPTH: usize = 32;

/// The most sanitised body HTML validate hands on. `article.rendered`
/// carries it twice (alone and inside the page) beside the source, and
/// must stay under the broker loop's 2 MiB message limit.
pub const MAX_BODY_HTML_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("JSON nests deeper than {limit} levels (at byte {offset})")]
pub struct JsonLimitError {
    pub limit: usize,
    pub offset: usize,
}

/// Scans `bytes` once, counting `[`/`{` nesting outside strings. It does not
/// validate JSON; it only refuses documents that are too deep to parse safely.
pub fn check_json_depth(bytes: &[u8], limit: usize) -> Result<(), JsonLimitError> {
    let mut depth = 0usize;
    let mut offset = 0;
    while let Some(&b) = bytes.get(offset) {
        match b {
            b'"' => match string_end(bytes, offset + 1) {
                Some(after) => {
                    offset = after;
                    continue;
                }
                // An unterminated string holds no more brackets; the JSON
                // parser says what is wrong with it.
                None => return Ok(()),
            },
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Err(JsonLimitError { limit, offset });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        offset += 1;
    }
    Ok(())
}

/// The offset just past the `"` that closes a string whose contents start
/// at `from`, or `None` if it never closes. Most of an event's bytes are
/// inside strings (a page is one), so this jumps from quote or backslash to
/// the next rather than looking at every byte.
fn string_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let rest = bytes.get(from..)?;
        let at = memchr::memchr2(b'"', b'\\', rest)?;
        match rest.get(at) {
            // The escaped byte, whatever it is, cannot close the string.
            Some(b'\\') => from += at + 2,
            _ => return Some(from + at + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_deep_nesting_but_not_brackets_inside_strings() {
        let deep = "[".repeat(40) + &"]".repeat(40);
        assert_eq!(
            check_json_depth(deep.as_bytes(), 32),
            Err(JsonLimitError {
                limit: 32,
                offset: 32
            })
        );
        let in_string = format!("{{\"a\": \"{}\\\"{}\"}}", "[".repeat(100), "{".repeat(100));
        assert_eq!(check_json_depth(in_string.as_bytes(), 32), Ok(()));
        assert_eq!(check_json_depth(br#"{"a":[{"b":[1]}]}"#, 4), Ok(()));
        assert!(check_json_depth(br#"{"a":[{"b":[1]}]}"#, 3).is_err());
    }

    /// The byte-at-a-time scan the skipping one replaced, kept as the
    /// reference it must agree with.
    fn reference(bytes: &[u8], limit: usize) -> Result<(), JsonLimitError> {
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        for (offset, &b) in bytes.iter().enumerate() {
            if in_string {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > limit {
                        return Err(JsonLimitError { limit, offset });
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        Ok(())
    }

    #[test]
    fn skipping_strings_agrees_with_reading_every_byte() {
        for text in [
            r#"["\\", [[["#,
            r#"["\\\"[[[", [[["#,
            r#"{"a": "ends in a backslash \"#,
            r#"{"a": "never closes [[[[[["#,
            r#""""""[[[["#,
            r#"[[["đ\u0111\"[\\"]]]"#,
            "",
        ] {
            for limit in 0..5 {
                assert_eq!(
                    check_json_depth(text.as_bytes(), limit),
                    reference(text.as_bytes(), limit),
                    "{text} at {limit}"
                );
            }
        }
        // Every string of up to eight bytes from the characters that matter.
        let alphabet = [b'[', b'{', b']', b'"', b'\\', b'a'];
        let mut text = Vec::new();
        for length in 0..=8u32 {
            for mut n in 0..alphabet.len().pow(length) {
                text.clear();
                for _ in 0..length {
                    text.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                for limit in [0, 1, 2] {
                    assert_eq!(
                        check_json_depth(&text, limit),
                        reference(&text, limit),
                        "{:?} at {limit}",
                        String::from_utf8_lossy(&text)
                    );
                }
            }
        }
    }
}
