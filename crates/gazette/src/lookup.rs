//! Reading one setting: the lookup every part of the configuration uses, the one-sentence error for a wrong value, and durations.

use std::time::Duration;

/// A setting that is present but wrong, worded as one sentence for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{name}={value:?} is not valid: {expected}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub expected: String,
}

pub(crate) struct Env<'a, F: Fn(&str) -> Option<String>>(pub(crate) &'a F);

impl<F: Fn(&str) -> Option<String>> Env<'_, F> {
    pub(crate) fn string(&self, name: &str, default: &str) -> String {
        (self.0)(name).unwrap_or_else(|| default.to_owned())
    }

    pub(crate) fn invalid(&self, name: &'static str, value: &str, expected: &str) -> ConfigError {
        ConfigError {
            name,
            value: value.to_owned(),
            expected: expected.to_owned(),
        }
    }

    pub(crate) fn number<T>(&self, name: &'static str, default: T, min: T) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let Some(raw) = (self.0)(name) else {
            return Ok(default);
        };
        match raw.trim().parse::<T>() {
            Ok(n) if n >= min => Ok(n),
            _ => Err(self.invalid(
                name,
                &raw,
                &format!("expected a whole number of at least {min}"),
            )),
        }
    }

    pub(crate) fn duration(
        &self,
        name: &'static str,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        let Some(raw) = (self.0)(name) else {
            return Ok(default);
        };
        parse_duration(&raw).ok_or_else(|| {
            self.invalid(
                name,
                &raw,
                "expected a duration such as 500ms, 30s, 2m or 1h",
            )
        })
    }

    pub(crate) fn durations(
        &self,
        name: &'static str,
        default: &[Duration],
    ) -> Result<Vec<Duration>, ConfigError> {
        let Some(raw) = (self.0)(name) else {
            return Ok(default.to_vec());
        };
        let parsed: Option<Vec<Duration>> =
            raw.split(',').map(|d| parse_duration(d.trim())).collect();
        match parsed {
            Some(delays) if !delays.is_empty() => Ok(delays),
            _ => Err(self.invalid(
                name,
                &raw,
                "expected comma-separated durations such as 1s,5s,30s,2m",
            )),
        }
    }
}

/// `500ms`, `30s`, `2m`, `1h`; a positive whole number with its unit.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok().filter(|n| *n > 0)?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(n.checked_mul(3600)?)),
        _ => None,
    }
}
