//! Reading one setting: the lookup every part of the configuration uses, the one-sentence error for a wrong value, and durations.

use std::time::Duration;

use crate::settings::{Kind, Setting};

/// A setting that is present but wrong, worded as one sentence for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{name}={value:?} is not valid: {expected}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub expected: String,
}

pub(crate) struct Env<'a, F: Fn(&str) -> Option<String>>(pub(crate) &'a F);

/// The declaration of `name`: every lookup goes through it, so a setting's
/// kind and default are written once, in `settings.rs`.
fn declared(name: &'static str) -> Result<&'static Setting, ConfigError> {
    crate::settings::setting(name).ok_or_else(|| ConfigError {
        name,
        value: String::new(),
        expected: "a setting declared in settings.rs (this is a bug in Gazette)".to_owned(),
    })
}

/// A declaration whose kind is not the one the code reads it as.
fn misdeclared(setting: &Setting, wanted: &str) -> ConfigError {
    ConfigError {
        name: setting.var,
        value: String::new(),
        expected: format!("{wanted}, as settings.rs should declare it (this is a bug in Gazette)"),
    }
}

impl<F: Fn(&str) -> Option<String>> Env<'_, F> {
    /// A text setting with a default: its value, or the declared default.
    pub(crate) fn text(&self, name: &'static str) -> Result<String, ConfigError> {
        let setting = declared(name)?;
        match setting.kind {
            Kind::Text(default) => Ok((self.0)(name).unwrap_or_else(|| default.to_owned())),
            _ => Err(misdeclared(setting, "text with a default")),
        }
    }

    /// A setting with no fixed default: its value, if set.
    pub(crate) fn optional(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        let setting = declared(name)?;
        match setting.kind {
            Kind::Unset(_) => Ok((self.0)(name)),
            _ => Err(misdeclared(setting, "a setting without a fixed default")),
        }
    }

    pub(crate) fn invalid(&self, name: &'static str, value: &str, expected: &str) -> ConfigError {
        ConfigError {
            name,
            value: value.to_owned(),
            expected: expected.to_owned(),
        }
    }

    /// A whole number, at least the declared minimum, else the declared default.
    pub(crate) fn whole<T: TryFrom<u64>>(&self, name: &'static str) -> Result<T, ConfigError> {
        let setting = declared(name)?;
        let Kind::Whole { default, min } = setting.kind else {
            return Err(misdeclared(setting, "a whole number"));
        };
        let given = (self.0)(name);
        let wanted = match &given {
            None => Some(default),
            Some(raw) => raw.trim().parse::<u64>().ok().filter(|n| *n >= min),
        };
        let raw = given.unwrap_or_default();
        // Too large for the setting's type reads as wrong as too small.
        wanted.and_then(|n| T::try_from(n).ok()).ok_or_else(|| {
            self.invalid(
                name,
                &raw,
                &format!("expected a whole number of at least {min}"),
            )
        })
    }

    /// A duration, else the declared default.
    pub(crate) fn duration(&self, name: &'static str) -> Result<Duration, ConfigError> {
        let setting = declared(name)?;
        let Kind::Duration(default) = setting.kind else {
            return Err(misdeclared(setting, "a duration"));
        };
        let raw = (self.0)(name).unwrap_or_else(|| default.to_owned());
        parse_duration(&raw).ok_or_else(|| {
            self.invalid(
                name,
                &raw,
                "expected a duration such as 500ms, 30s, 2m or 1h",
            )
        })
    }

    /// Comma-separated items, trimmed, empty ones dropped; none when unset.
    pub(crate) fn items(&self, name: &'static str) -> Result<Vec<String>, ConfigError> {
        let setting = declared(name)?;
        let Kind::Items(_) = setting.kind else {
            return Err(misdeclared(setting, "a list of items"));
        };
        Ok((self.0)(name)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// Comma-separated durations, else the declared default.
    pub(crate) fn durations(&self, name: &'static str) -> Result<Vec<Duration>, ConfigError> {
        let setting = declared(name)?;
        let Kind::Durations(default) = setting.kind else {
            return Err(misdeclared(setting, "a list of durations"));
        };
        let raw = (self.0)(name).unwrap_or_else(|| default.to_owned());
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

/// A command-line flag's duration, in the forms the settings take, so that
/// every flag and every setting reads `30s` or `10m` alike.
pub fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text).ok_or_else(|| format!("{text:?} is not a duration such as 30s, 10m or 2h"))
}

/// A command-line count (`--jobs`, `--rate`, `--limit`): a whole number,
/// at least 1, since none of them means anything at 0. clap's message names
/// the flag: "invalid value '0' for '--jobs <JOBS>': must be at least 1".
pub fn count_arg<T>(text: &str) -> Result<T, String>
where
    T: std::str::FromStr + From<u8> + PartialOrd,
{
    match text.parse::<T>() {
        Ok(count) if count >= T::from(1) => Ok(count),
        Ok(_) => Err("must be at least 1".to_owned()),
        Err(_) => Err(format!("{text:?} is not a whole number")),
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
