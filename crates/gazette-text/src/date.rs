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

/// The year of a date line [`portal_datetime`] wrote, as written there
/// (`2022` of "23/06/2022 | 15:04"): the year a reader sees, in the
/// portal's zone. `None` for a line it did not write.
pub fn portal_year(date_line: &str) -> Option<&str> {
    let (date, _time) = date_line.split_once(" | ")?;
    let mut fields = date.split('/');
    let (day, month, year) = (fields.next()?, fields.next()?, fields.next()?);
    let digits =
        |field: &str, len: usize| field.len() == len && field.bytes().all(|b| b.is_ascii_digit());
    match fields.next().is_none() && digits(day, 2) && digits(month, 2) && digits(year, 4) {
        true => Some(year),
        false => None,
    }
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

    #[test]
    fn the_year_is_read_back_as_the_reader_sees_it() {
        // New Year's Eve in UTC is already the new year in Vietnam.
        for (at, year) in [
            ("2022-06-23T15:04:00+07:00", "2022"),
            ("2021-12-31T17:30:00Z", "2022"),
            ("2021-12-31T16:59:00Z", "2021"),
            ("0999-01-01T12:00:00Z", "0999"),
        ] {
            let line =
                DateTime::parse_from_rfc3339(at).map(|d| portal_datetime(&d, PORTAL_TIME_ZONE));
            assert_eq!(
                line.as_deref().ok().and_then(portal_year),
                Some(year),
                "{at}"
            );
        }
    }

    #[test]
    fn a_line_it_did_not_write_has_no_year() {
        for line in [
            "",
            "23/06/2022",
            "2022-06-23 | 15:04",
            "23/06/22 | 15:04",
            "23/06/2022/01 | 15:04",
            "23/06/２０２２ | 15:04",
            "aa/06/2022 | 15:04",
            "23/06/../. | 15:04",
        ] {
            assert_eq!(portal_year(line), None, "{line:?}");
        }
    }
}
