//! The portal's date line: "23/06/2022 | 15:04", in Vietnam's time zone.

use chrono::{DateTime, TimeZone};
use chrono_tz::Tz;

/// Readers of a Vietnamese district portal read local time, whatever offset the CMS sent.
pub const PORTAL_TIME_ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// `at` shown as the portal shows dates: `dd/mm/yyyy | HH:MM` in `zone`.
pub fn portal_datetime<Z: TimeZone>(at: &DateTime<Z>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%d/%m/%Y | %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_local_time_whatever_the_offset() {
        let at = DateTime::parse_from_rfc3339("2022-06-23T15:04:00+07:00").ok();
        let utc = DateTime::parse_from_rfc3339("2022-06-23T08:04:00Z").ok();
        assert_eq!(
            at.map(|d| portal_datetime(&d, PORTAL_TIME_ZONE)).as_deref(),
            Some("23/06/2022 | 15:04")
        );
        assert_eq!(
            utc.map(|d| portal_datetime(&d, PORTAL_TIME_ZONE))
                .as_deref(),
            Some("23/06/2022 | 15:04")
        );
    }
}
