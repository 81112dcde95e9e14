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
    let mut in_string = false;
    let mut escaped = false;
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
}
