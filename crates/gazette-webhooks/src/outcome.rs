//! What an endpoint's answer means for the delivery, and when the next attempt is due.
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

/// Delays between attempts: over hours, as the Standard Webhooks
/// recommendation has it, so an endpoint that is down for an afternoon
/// still gets everything.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    delays: Vec<Duration>,
}

impl Default for Schedule {
    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h: seven attempts over about 17.6 hours.
    fn default() -> Self {
        Self {
            delays: [5, 300, 1800, 7200, 18_000, 36_000]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
        }
    }
}

impl Schedule {
    /// The default schedule with every delay divided by `factor`, so that
    /// tests (and a staging setup) can run hours of retries in seconds.
    pub fn compressed(factor: u32) -> Self {
        let factor = factor.max(1);
        Self {
            delays: Self::default()
                .delays
                .into_iter()
                // Delay queues count whole milliseconds.
                .map(|delay| {
                    let millis = (delay / factor).as_millis().max(1);
                    Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
                })
                .collect(),
        }
    }

    /// The wait before attempt `attempt + 1`, after attempt `attempt`
    /// (1 for the first) failed with `outcome`; `None` once the attempts are used up.
    pub fn next_delay(&self, attempt: u32, outcome: Outcome) -> Option<Duration> {
        let Outcome::Retry { at_least } = outcome else {
            return None;
        };
        let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
        let scheduled = *self.delays.get(index)?;
        Some(at_least.map_or(scheduled, |asked| asked.max(scheduled)))
    }

    /// The waits between attempts, in order.
    pub fn delays(&self) -> &[Duration] {
        &self.delays
    }

    /// Attempts in all, the first included.
    pub fn attempts(&self) -> usize {
        self.delays.len() + 1
    }
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

    #[test]
    fn the_schedule_runs_over_hours_and_ends() {
        let schedule = Schedule::default();
        let failed = Outcome::Retry { at_least: None };
        assert_eq!(schedule.next_delay(1, failed), Some(Duration::from_secs(5)));
        assert_eq!(
            schedule.next_delay(6, failed),
            Some(Duration::from_secs(36_000))
        );
        assert_eq!(schedule.next_delay(7, failed), None);
        assert_eq!(schedule.attempts(), 7);
        assert_eq!(schedule.next_delay(1, Outcome::Delivered), None);
        // The endpoint's wait wins when it is longer, the schedule's when it is.
        let asked = |s| Outcome::Retry {
            at_least: Some(Duration::from_secs(s)),
        };
        assert_eq!(
            schedule.next_delay(1, asked(60)),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            schedule.next_delay(2, asked(60)),
            Some(Duration::from_secs(300))
        );
    }

    #[test]
    fn a_compressed_schedule_keeps_its_shape() {
        let fast = Schedule::compressed(3600);
        let failed = Outcome::Retry { at_least: None };
        assert_eq!(
            fast.next_delay(2, failed),
            // 300 s / 3600, in the whole milliseconds a delay queue counts.
            Some(Duration::from_millis(83))
        );
        assert_eq!(fast.next_delay(6, failed), Some(Duration::from_secs(10)));
        assert_eq!(fast.attempts(), Schedule::default().attempts());
    }
}
