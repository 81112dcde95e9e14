//! Secrets that never print: one type for every URL that may carry a password (AMQP, database, SMTP) and one for bare tokens.
//!
//! The one way to the clear text is `expose`, which the boundary crates call
//! when they connect. Everything else (`Debug`, `Display`, `redacted`) shows
//! the URL with its password and any secret-looking query values replaced,
//! and `<redacted>` for a URL that does not parse, since a value that does
//! not parse cannot be trusted to put its password where a parser would
//! find it (`postgres://u:pa/ss@host/db` is no URL, and all secret).

use std::fmt;

/// A URL that may hold credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

/// Query parameters whose values are secrets (`?password=`, `?sslpassword=`, `?token=`).
const SECRET_QUERY_KEYS: [&str; 5] = ["pass", "secret", "token", "key", "auth"];

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The clear text, for the one call that connects.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The scheme, whether or not the rest parses (`sqlite`, `postgres`, ...).
    pub fn scheme(&self) -> &str {
        self.0.split(':').next().unwrap_or_default()
    }

    /// For people: password and secret query values as `***`, or
    /// `<redacted>` when the URL does not parse. A comma-separated list of
    /// URLs (a cluster's nodes) is redacted URL by URL, and is `<redacted>`
    /// as a whole when any of them does not parse.
    pub fn redacted(&self) -> String {
        if self.0.contains(',') {
            let parts: Vec<String> = self
                .0
                .split(',')
                .map(|part| redact_one(part.trim()))
                .collect();
            if parts.iter().any(|part| part == REDACTED) {
                return REDACTED.to_owned();
            }
            return parts.join(",");
        }
        redact_one(&self.0)
    }
}

const REDACTED: &str = "<redacted>";

fn redact_one(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return REDACTED.to_owned();
    };
    if parsed.password().is_some() && parsed.set_password(Some("***")).is_err() {
        return REDACTED.to_owned();
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let lower = key.to_ascii_lowercase();
                let value = if SECRET_QUERY_KEYS.iter().any(|s| lower.contains(s)) {
                    "***".to_owned()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A bearer token or password with nothing to show but that it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A webhook URL as logs, dead-letter details and the ledger may show it:
/// scheme, host, port and path, never the query (where endpoints put
/// their tokens) or credentials.
pub fn endpoint_for_people(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or_default();
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{host}{port}{}", parsed.scheme(), parsed.path())
        }
        Err(_) => "<redacted>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print() {
        for (url, shown) in [
            (
                "amqp://gazette:s3cret@rabbit:5672/%2f",
                "amqp://gazette:***@rabbit:5672/%2f",
            ),
            ("postgres://u:pw@db/gazette", "postgres://u:***@db/gazette"),
            ("postgres://u:pa/ss@host/db", "<redacted>"),
            (
                "postgres://db/gazette?user=u&password=pw",
                "postgres://db/gazette?user=u&password=***",
            ),
            (
                "smtps://tin:s3cret@mail.example.vn",
                "smtps://tin:***@mail.example.vn",
            ),
            ("sqlite://gazette.db", "sqlite://gazette.db"),
            ("not a url s3cret", "<redacted>"),
            // A cluster's nodes, each redacted.
            (
                "amqp://g:s3cret@n1:5672/%2f, amqp://g:s3cret@n2:5672/%2f",
                "amqp://g:***@n1:5672/%2f,amqp://g:***@n2:5672/%2f",
            ),
            // A comma inside a password splits it into parts that do not parse.
            ("amqp://g:s3,cret@n1:5672/%2f", "<redacted>"),
            ("amqp://g:s3cret@n1:5672/%2f,s3cret", "<redacted>"),
        ] {
            let secret = SecretUrl::new(url);
            assert_eq!(secret.redacted(), shown, "{url}");
            assert_eq!(format!("{secret}"), shown);
            assert_eq!(format!("{secret:?}"), shown);
        }
        assert_eq!(
            SecretUrl::new("postgres://u:pa/ss@h/db").scheme(),
            "postgres"
        );
        assert_eq!(format!("{:?}", SecretString::new("t0ken")), "***");
    }

    #[test]
    fn endpoints_show_no_query_and_no_credentials() {
        assert_eq!(
            endpoint_for_people("https://u:p@hooks.example.vn:8443/in/abc?token=s3cret"),
            "https://hooks.example.vn:8443/in/abc"
        );
        assert_eq!(endpoint_for_people("::"), "<redacted>");
    }
}
