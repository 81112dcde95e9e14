//! aiosmtpd as the tests' SMTP server, and Python's `email` package to read what it received.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{PATIENCE, eventually};

/// aiosmtpd on loopback, writing every mail into a maildir.
pub struct SmtpServer {
    pub addr: SocketAddr,
    pub maildir: PathBuf,
    child: Child,
}

impl SmtpServer {
    pub fn start(dir: &Path) -> Self {
        let python = std::env::var("GAZETTE_SMTPD_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let addr = super::free_local_addr();
        let maildir = dir.join("maildir");
        let child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &addr.to_string(),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts (scripts/ensure-aiosmtpd)");
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on {addr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            addr,
            maildir,
            child,
        }
    }

    /// Waits until the maildir holds `count` mails; returns them parsed, oldest first.
    pub async fn wait_for(&self, count: usize) -> Vec<serde_json::Value> {
        eventually(|| async move {
            let mails = self.mails();
            if mails.len() >= count {
                Ok(mails)
            } else {
                Err(format!("{} of {count} mails arrived", mails.len()))
            }
        })
        .await
    }

    /// Every mail so far, parsed by Python's `email` package: subject
    /// decoded, headers, and the text and HTML parts.
    pub fn mails(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.maildir.join("new"))
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort_by_key(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
        files.iter().map(|file| parse_mail(file)).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PARSE_MAIL: &str = r#"
import email, email.policy, json, sys
message = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
print(json.dumps({
    "subject": str(message["subject"]),
    "to": str(message["to"]),
    "list_unsubscribe": str(message.get("list-unsubscribe", "")),
    "list_unsubscribe_post": str(message.get("list-unsubscribe-post", "")),
    "bcc": message.get("bcc"),
    "text": parts.get("text/plain", ""),
    "html": parts.get("text/html", ""),
}))
"#;

fn parse_mail(file: &Path) -> serde_json::Value {
    let python = std::env::var("GAZETTE_SMTPD_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let out = super::stdout_of(
        Command::new(python).args(["-c", PARSE_MAIL]).arg(file),
        "python's mail parser",
    );
    serde_json::from_slice(&out).expect("JSON from the mail parser")
}
