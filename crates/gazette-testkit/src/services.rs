//! The outside services a test needs, and what happens when one is missing: a plain `cargo test` skips the test with one sentence saying why; `scripts/test`, which starts every service first, sets `GAZETTE_TEST_SERVICES=required` and a missing one fails the test.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The variable `scripts/test` sets so that no test may skip.
pub const REQUIRED_VARIABLE: &str = "GAZETTE_TEST_SERVICES";

/// Something outside the workspace that a test talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// RabbitMQ on `GAZETTE_TEST_AMQP_URL` (default 127.0.0.1:5672).
    RabbitMq,
    /// The Garage binary `scripts/ensure-garage` builds.
    Garage,
    /// PostgreSQL on 127.0.0.1:5432, as `scripts/ensure-postgres` starts it.
    Postgres,
    /// Python with aiosmtpd, the mail sink (`scripts/ensure-aiosmtpd`).
    Smtp,
    /// Node, Chromium and the browser check's modules (`scripts/ensure-browser-check`).
    Browser,
    /// Hugo, the site benchmark's yardstick (`scripts/ensure-hugo`).
    Hugo,
    /// Node and `@asyncapi/parser` (`scripts/ensure-asyncapi-parser`).
    AsyncApiParser,
    /// kubernetes-validate and `@kubernetes-models/keda` (`scripts/ensure-kubernetes-validators`).
    KubernetesValidators,
}

impl Service {
    /// Why this machine cannot offer the service, or `None` when it can.
    pub fn missing(self) -> Option<String> {
        match self {
            Self::RabbitMq => {
                let url = std::env::var("GAZETTE_TEST_AMQP_URL")
                    .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned());
                let address = host_and_port(&url, 5672);
                (!answers(&address)).then(|| {
                    format!("RabbitMQ does not answer on {address}; run scripts/ensure-rabbitmq")
                })
            }
            Self::Postgres => (!answers("127.0.0.1:5432")).then(|| {
                "PostgreSQL does not answer on 127.0.0.1:5432; run scripts/ensure-postgres"
                    .to_owned()
            }),
            Self::Garage => match crate::garage::find_binary() {
                Ok(binary) if binary.is_file() => None,
                Ok(binary) => Some(format!(
                    "there is no Garage binary at {}; run scripts/ensure-garage",
                    binary.display()
                )),
                Err(e) => Some(e.to_string()),
            },
            Self::Smtp => {
                let python =
                    std::env::var("GAZETTE_SMTPD_PYTHON").unwrap_or_else(|_| "python3".to_owned());
                (!runs(&python, &["-c", "import aiosmtpd"])).then(|| {
                    format!("{python} cannot import aiosmtpd; run scripts/ensure-aiosmtpd and set GAZETTE_SMTPD_PYTHON")
                })
            }
            Self::Browser => {
                if !runs("chromium", &["--version"]) {
                    Some("chromium is not installed; run scripts/ensure-browser-check".to_owned())
                } else if !cache("browser-check-1/node_modules/.gazette-installed").exists() {
                    Some("the browser check's node modules are not installed; run scripts/ensure-browser-check".to_owned())
                } else {
                    node_missing()
                }
            }
            Self::Hugo => (!runs("hugo", &["version"]))
                .then(|| "hugo is not installed; run scripts/ensure-hugo".to_owned()),
            Self::KubernetesValidators => {
                if cache("kubernetes-validators-1/.gazette-installed").exists() {
                    node_missing()
                } else {
                    Some("the manifest validators are not installed; run scripts/ensure-kubernetes-validators".to_owned())
                }
            }
            Self::AsyncApiParser => {
                if cache("asyncapi-parser-3.6.6").exists() {
                    node_missing()
                } else {
                    Some(
                        "@asyncapi/parser is not installed; run scripts/ensure-asyncapi-parser"
                            .to_owned(),
                    )
                }
            }
        }
    }
}

/// `None` when all of `services` are here. Otherwise the reason a test
/// needing them should be skipped, or, under `scripts/test`, a panic with
/// that reason: there a skip would hide a broken set-up.
pub fn skip_reason(services: &[Service]) -> Option<String> {
    let reasons: Vec<String> = services.iter().filter_map(|s| s.missing()).collect();
    if reasons.is_empty() {
        return None;
    }
    let reason = reasons.join("; ");
    assert!(
        std::env::var(REQUIRED_VARIABLE).as_deref() != Ok("required"),
        "{REQUIRED_VARIABLE}=required, yet {reason}"
    );
    Some(reason)
}

/// Says on the terminal that the running test is skipped and why. The test
/// harness names each test's thread after the test; `place` stands in where
/// it did not. Written to the stderr handle rather than through
/// `eprintln!`, which the harness captures and shows only for failures: a
/// skip must be seen.
pub fn announce_skip(place: &str, reason: &str) {
    use std::io::Write as _;
    let thread = std::thread::current();
    let test = thread
        .name()
        .filter(|name| *name != "main")
        .unwrap_or(place);
    let _ = writeln!(std::io::stderr(), "skipped {test}: {reason}");
}

fn node_missing() -> Option<String> {
    (!runs("node", &["--version"])).then(|| "node is not installed".to_owned())
}

fn cache(relative: &str) -> PathBuf {
    let root = std::env::var("GAZETTE_CACHE_DIR").map_or_else(
        |_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".to_owned()))
                .join(".cache/gazette")
        },
        PathBuf::from,
    );
    root.join(relative)
}

/// `HOST:PORT` of an `amqp://user:password@host:port/vhost` URL.
fn host_and_port(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    match host_port.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_ok() => host_port.to_owned(),
        _ => format!("{host_port}:{default_port}"),
    }
}

fn answers(address: &str) -> bool {
    let addresses: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default();
    addresses
        .iter()
        .any(|a| TcpStream::connect_timeout(a, Duration::from_secs(1)).is_ok())
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_broker_address_comes_from_the_url() {
        assert_eq!(
            host_and_port("amqp://guest:s3cret@10.0.0.7:5673/%2f", 5672),
            "10.0.0.7:5673"
        );
        assert_eq!(host_and_port("amqp://rabbit/%2f", 5672), "rabbit:5672");
        assert_eq!(host_and_port("amqp://u:p@[::1]:5672", 5672), "[::1]:5672");
    }

    #[test]
    fn a_port_nobody_listens_on_is_missing() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        assert!(answers(&address.to_string()));
        drop(listener);
        assert!(!answers(&address.to_string()));
    }
}
