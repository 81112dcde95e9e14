//! The optional configuration file: typed TOML whose keys are the `GAZETTE_*` variables' names, lower-case and without the prefix.
//!
//! Layering is "file, then environment": a variable that is set wins over
//! the file. Unknown keys are errors, so a typo cannot silently fall back to
//! a default.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use crate::settings::{SETTINGS, Setting, Shape};

#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("the configuration file {path} cannot be read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// The file's settings, as the variables would spell their values.
#[derive(Debug, Default)]
pub struct ConfigFile {
    values: BTreeMap<String, String>,
}

impl ConfigFile {
    pub fn read(path: &Path) -> Result<Self, ConfigFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|reason| ConfigFileError::Invalid {
            path: path.to_owned(),
            reason,
        })
    }

    /// Every key must be a declared setting's (`settings.rs`), with a value
    /// of its shape.
    fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))?;
        let mut values = BTreeMap::new();
        for (key, value) in table {
            let Some(setting) = SETTINGS.iter().find(|s| s.file_key() == key) else {
                let known: Vec<String> = SETTINGS.iter().map(Setting::file_key).collect();
                return Err(format!(
                    "unknown field `{key}`, expected one of {}",
                    known.join(", ")
                ));
            };
            let text = match (setting.shape(), value) {
                (Shape::Text, toml::Value::String(text)) => text,
                (Shape::Whole, toml::Value::Integer(n)) => n.to_string(),
                (Shape::List, toml::Value::Array(items)) => items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        format!("invalid type for `{key}`: expected an array of strings")
                    })?
                    .join(","),
                (shape, other) => {
                    return Err(format!(
                        "invalid type for `{key}`: expected {}, found {}",
                        match shape {
                            Shape::Text => "a string",
                            Shape::Whole => "a whole number",
                            Shape::List => "an array of strings",
                        },
                        other.type_str()
                    ));
                }
            };
            values.insert(setting.var.to_owned(), text);
        }
        Ok(Self { values })
    }

    /// The file's value for the variable `name`, as the variable would spell it.
    pub fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_keys_map_to_variables() {
        let file = ConfigFile::parse(
            "namespace = \"quan\"\nprefetch = 32\nretry_delays = [\"1s\", \"10s\"]\n",
        )
        .unwrap_or_default();
        assert_eq!(file.get("GAZETTE_NAMESPACE").as_deref(), Some("quan"));
        assert_eq!(file.get("GAZETTE_PREFETCH").as_deref(), Some("32"));
        assert_eq!(file.get("GAZETTE_RETRY_DELAYS").as_deref(), Some("1s,10s"));
        assert_eq!(file.get("GAZETTE_STORE"), None);
    }

    #[test]
    fn the_file_accepts_every_setting_the_environment_does() {
        for setting in SETTINGS {
            let value = match setting.shape() {
                Shape::Text => "\"x\"".to_owned(),
                Shape::Whole => "3".to_owned(),
                Shape::List => "[\"1s\"]".to_owned(),
            };
            let file = ConfigFile::parse(&format!("{} = {value}\n", setting.file_key()))
                .unwrap_or_else(|e| panic!("{}: {e}", setting.var));
            assert!(file.get(setting.var).is_some(), "{}", setting.var);
        }
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_refused() {
        let typo = ConfigFile::parse("prefech = 32\n")
            .err()
            .unwrap_or_default();
        assert!(typo.contains("unknown field `prefech`"), "{typo}");
        let wrong = ConfigFile::parse("prefetch = \"lots\"\n")
            .err()
            .unwrap_or_default();
        assert!(wrong.contains("invalid type"), "{wrong}");
    }
}
