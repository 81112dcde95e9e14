//! `gazette` processes started by tests, stopped with SIGTERM when the test is done.
//!
//! The process handling is the bench's ([`GazetteProcess`]); a test's
//! worker adds only what a test needs: failing loudly, and printing the
//! worker's log when the test panics.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, Weak};

use gazette_testkit::process::GazetteProcess;

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gazette"))
}

/// Every worker a test started, by its namespace, so that the namespace's
/// teardown can stop them before deleting their queues. A worker still
/// running then sees its queue vanish, reconnects and declares its topology
/// again, and the test leaves a namespace's queues on the broker.
static RUNNING: Mutex<Vec<(String, Weak<Mutex<GazetteProcess>>)>> = Mutex::new(Vec::new());

pub struct Worker(Arc<Mutex<GazetteProcess>>);

impl Worker {
    pub fn spawn(args: &[&str], env: &[(String, String)], log: &Path) -> Self {
        // Named after its log, so a failing test says which file it prints.
        let name = log.display().to_string();
        let process =
            GazetteProcess::spawn(&binary(), &name, args, env, log).expect("start gazette");
        let process = Arc::new(Mutex::new(process));
        let namespace = env
            .iter()
            .find(|(key, _)| key == "GAZETTE_NAMESPACE")
            .map(|(_, value)| value.clone())
            .unwrap_or_default();
        let mut running = RUNNING.lock().unwrap();
        running.retain(|(_, worker)| worker.strong_count() > 0);
        running.push((namespace, Arc::downgrade(&process)));
        Self(process)
    }

    fn process(&self) -> std::sync::MutexGuard<'_, GazetteProcess> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What the worker has written so far.
    pub fn log(&self) -> String {
        self.process().log()
    }

    /// SIGKILL: no chance to finish anything (fault tests).
    pub fn kill(&mut self) {
        self.process().kill();
    }

    /// SIGTERM, then wait: the graceful path operators use.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        self.process()
            .terminate()
            .expect("the worker's exit status")
    }
}

/// Stops (SIGTERM, then waits for) every worker still running in `namespace`.
pub async fn stop_all_in(namespace: &str) {
    let alive: Vec<_> = RUNNING
        .lock()
        .unwrap()
        .iter()
        .filter(|(running_in, _)| running_in == namespace)
        .filter_map(|(_, worker)| worker.upgrade())
        .collect();
    tokio::task::spawn_blocking(move || {
        for worker in alive {
            worker
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .stop();
        }
    })
    .await
    .expect("the workers stop");
}

impl Drop for Worker {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let process = self.process();
            eprintln!("---- log of {} ----\n{}", process.name, process.log());
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
