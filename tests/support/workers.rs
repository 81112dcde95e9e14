//! `gazette` processes started by tests, stopped with SIGTERM when the test is done.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gazette"))
}

pub struct Worker {
    child: Child,
    log: PathBuf,
}

impl Worker {
    pub fn spawn(args: &[&str], env: &[(String, String)], log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("worker log");
        let child = Command::new(binary())
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::from(file.try_clone().expect("log handle")))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("start gazette");
        Self {
            child,
            log: log.to_owned(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no chance to finish anything (fault tests).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait: the graceful path operators use.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().expect("wait for worker")
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- log of {} ----\n{}", self.log.display(), self.log());
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            self.terminate();
        }
    }
}

pub fn run(args: &[&str], env: &[(String, String)]) -> (bool, String, String) {
    let out = Command::new(binary())
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .output()
        .expect("run gazette");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
