//! `gazette` processes started by tests, stopped with SIGTERM when the test is done.
//!
//! The process handling is the bench's ([`GazetteProcess`]); a test's
//! worker adds only what a test needs: failing loudly, and printing the
//! worker's log when the test panics.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gazette_testkit::process::GazetteProcess;

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gazette"))
}

pub struct Worker(GazetteProcess);

impl Worker {
    pub fn spawn(args: &[&str], env: &[(String, String)], log: &Path) -> Self {
        // Named after its log, so a failing test says which file it prints.
        let name = log.display().to_string();
        Self(GazetteProcess::spawn(&binary(), &name, args, env, log).expect("start gazette"))
    }

    pub fn log(&self) -> String {
        self.0.log()
    }

    /// SIGKILL: no chance to finish anything (fault tests).
    pub fn kill(&mut self) {
        self.0.kill();
    }

    /// SIGTERM, then wait: the graceful path operators use.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        self.0.terminate().expect("the worker's exit status")
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- log of {} ----\n{}", self.0.name, self.log());
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
