//! docs/operating.md run as written: its `sh` blocks, in order, in one shell, against the real broker, Garage and SQLite, so the operators' guide cannot drift from the program.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::time::Duration;

use crate::support::needs;
use crate::support::{TestEnv, free_local_addr, repo_root};

/// The sections an operator's first hour needs, in the guide's order.
const SECTIONS: [&str; 8] = [
    "## Start",
    "## Scale",
    "## Watch",
    "## Replay dead letters",
    "## Rotate a webhook's secret",
    "## Migrate",
    "## Rebuild",
    "## Upgrade",
];

/// The guide's `sh` blocks, in order.
fn shell_blocks(guide: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in guide.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an sh block is never closed");
    blocks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operating_guide_runs_as_written() {
    needs!(RabbitMq, Garage);
    let guide = std::fs::read_to_string(repo_root().join("docs/operating.md")).unwrap();
    let mut at = 0;
    for section in SECTIONS {
        let found = guide[at..]
            .find(section)
            .unwrap_or_else(|| panic!("docs/operating.md has no {section:?} after the one before"));
        at += found;
    }
    let blocks = shell_blocks(&guide);
    assert!(blocks.len() >= SECTIONS.len(), "{} sh blocks", blocks.len());

    let env = TestEnv::start("operating").await;
    // The guide's metrics port, moved to one nobody else on this machine holds.
    let metrics = free_local_addr();
    let script = blocks
        .concat()
        .replace("127.0.0.1:9464", &metrics.to_string());
    let binaries = std::path::Path::new(env!("CARGO_BIN_EXE_gazette"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        binaries.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = tokio::process::Command::new("bash")
        .arg("-c")
        // Whatever the guide left running is stopped however the script ends.
        .arg(format!(
            "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}"
        ))
        .envs(env.env())
        .env("PATH", path)
        .current_dir(repo_root())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("the guide ran for ten minutes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the guide stopped ({}):\n{stdout}\n---- stderr ----\n{stderr}",
        out.status
    );
    for said in [
        "store:",
        "published revision 1 of ntl-2022-06-23-hoi-nghi-14 at ",
        "ready",
        "gazette_messages_succeeded_total",
        "stage\tmessage_id\treason",
        "secret: whsec_",
        "moved 0 private objects",
        "rebuilt 1 articles",
        "updated revision 2 of ntl-2022-06-23-hoi-nghi-14 at ",
    ] {
        assert!(
            stdout.contains(said),
            "the guide never printed {said:?}:\n{stdout}"
        );
    }
    env.teardown().await;
}
