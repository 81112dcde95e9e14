//! What an endpoint's answer means for the delivery: delivered, switched off, or retried (no sooner than its `Retry-After`).
//!
//! Only a 2xx delivers. A redirect is an answer like any other failure: it
//! is not followed, because following it would send the signed body, and
//! the notifier's connection, somewhere the subscriber did not register.

use std::time::Duration;

/// The delivery's fate after one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// 410 Gone: the subscriber has switched the endpoint off; stop sending.
    Disable,
    /// Try again after the schedule's next delay, or after the endpoint's
    /// own `Retry-After` if it gave one (429, 503), whichever is later.
    Retry {
        at_least: Option<Duration>,
    },
}

/// Classifies an HTTP answer; `retry_after` is the raw header, if any.
pub fn classify(status: u16, retry_after: Option<&str>) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        410 => Outcome::Disable,
        429 | 503 => Outcome::Retry {
            at_least: retry_after.and_then(parse_retry_after),
        },
        _ => Outcome::Retry { at_least: None },
    }
}

/// The longest wait an endpoint may ask for: past it, the schedule's own
/// last delay applies, so a hostile `Retry-After` cannot park a delivery for a year.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// `Retry-After` as delay-seconds. The HTTP-date form is not honoured: it
/// depends on the two clocks agreeing, and the schedule's delay applies instead.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(LONGEST_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_2xx_delivers_and_410_disables() {
        assert_eq!(classify(200, None), Outcome::Delivered);
        assert_eq!(classify(204, None), Outcome::Delivered);
        assert_eq!(classify(410, None), Outcome::Disable);
        for failure in [301, 302, 307, 308, 400, 404, 500] {
            assert_eq!(
                classify(failure, None),
                Outcome::Retry { at_least: None },
                "{failure}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_for_429_and_503_only() {
        let asked = Outcome::Retry {
            at_least: Some(Duration::from_secs(120)),
        };
        assert_eq!(classify(429, Some("120")), asked);
        assert_eq!(classify(503, Some(" 120 ")), asked);
        assert_eq!(
            classify(500, Some("120")),
            Outcome::Retry { at_least: None }
        );
        assert_eq!(
            classify(503, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            Outcome::Retry { at_least: None }
        );
        assert_eq!(
            classify(429, Some("99999999")),
            Outcome::Retry {
                at_least: Some(LONGEST_RETRY_AFTER)
            }
        );
    }
}
