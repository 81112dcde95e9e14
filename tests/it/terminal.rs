//! Every subcommand as a person meets it at a terminal, through a pseudo-terminal: its help, its exit codes, and `rebuild`'s progress bar with logging on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::process::Command;

use rexpect::process::wait::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

use crate::support;
use crate::support::cli_schemas;
use crate::support::cms::{article, publish};
use crate::support::needs;
use crate::support::{TestEnv, Worker};

/// Long enough for a debug binary on a loaded two-core machine.
const PATIENCE_MS: u64 = 60_000;

fn at_terminal(args: &[&str], env: &[(String, String)]) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gazette"));
    command
        .args(args)
        .env_remove("GAZETTE_LOG")
        .env_remove("RUST_LOG")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    spawn_command(command, Some(PATIENCE_MS)).unwrap()
}

/// Everything the command wrote to the terminal, and its exit code.
fn finish(mut session: PtySession) -> (String, i32) {
    let shown = session.exp_eof().unwrap();
    let shown = strip_escapes(&shown).replace('\r', "");
    let code = match session.process.wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("the command did not exit: {other:?}"),
    };
    (shown, code)
}

/// The subcommands a `--help` text lists, without `help` itself.
fn listed_commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_subcommand_answers_help_at_a_terminal_and_exits_zero() {
    let mut pending = vec![Vec::<String>::new()];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let (help, code) = finish(at_terminal(&args, &[]));
        let shown = format!("gazette {}", path.join(" "));
        assert_eq!(code, 0, "{shown} --help: {help}");
        assert!(
            help.contains(&format!("Usage: {}", shown.trim_end())),
            "{shown}: {help}"
        );
        assert!(help.contains("-h, --help"), "{shown}: {help}");
        let (short, _) = finish(at_terminal(
            &[&args[..args.len() - 1], &["-h"]].concat(),
            &[],
        ));
        assert_eq!(
            short.replace('\r', ""),
            help,
            "{shown}: -h differs from --help"
        );
        for sub in listed_commands(&help) {
            let mut deeper = path.clone();
            deeper.push(sub);
            pending.push(deeper);
        }
        seen += 1;
    }
    assert!(seen >= 20, "only {seen} commands found");
}

#[test]
fn wrong_use_exits_two_and_says_what_is_wrong_in_one_line() {
    for (args, says) in [
        (&["nonsense"][..], "unrecognized subcommand 'nonsense'"),
        (&["worker", "typeset"][..], "invalid value 'typeset'"),
        (
            &["rebuild", "--jobs", "0"][..],
            "'--jobs <JOBS>': must be at least 1",
        ),
        (&["submit"][..], "required arguments were not provided"),
        (&["completions", "tcsh"][..], "invalid value 'tcsh'"),
    ] {
        let (shown, code) = finish(at_terminal(args, &[]));
        assert_eq!(code, 2, "{args:?}: {shown}");
        let first = shown.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: ") && first.contains(says),
            "{args:?}: {shown}"
        );
    }
    let (version, code) = finish(at_terminal(&["--version"], &[]));
    assert_eq!(code, 0);
    assert!(
        version.starts_with("gazette 0.") && version.contains(" ("),
        "{version}"
    );
    // Colours at a terminal, none when NO_COLOR is set.
    let mut coloured = at_terminal(&["nonsense"], &[]);
    assert!(coloured.exp_eof().unwrap().contains('\u{1b}'));
    let mut plain = at_terminal(&["nonsense"], &[("NO_COLOR".to_owned(), "1".to_owned())]);
    let plain = plain.exp_eof().unwrap();
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
    let (script, code) = finish(at_terminal(&["completions", "bash"], &[]));
    assert_eq!(code, 0);
    assert!(script.contains("_gazette()"), "{script}");
}

#[test]
fn json_at_a_terminal_is_the_same_document_as_through_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let settings = support::database_only(dir.path(), "terminal.db");
    let add = [
        "subscribers",
        "add",
        "--json",
        "--webhook",
        "https://hooks.example.vn/tty",
    ];
    let (added, code) = finish(at_terminal(&add, &settings));
    assert_eq!(code, 0, "{added}");
    cli_schemas::assert_matches("cli.subscribers-add.v1.json", added.trim());
    let (listed, code) = finish(at_terminal(&["subscribers", "list", "--json"], &settings));
    assert_eq!(code, 0, "{listed}");
    let listed = cli_schemas::assert_matches("cli.subscribers-list.v1.json", listed.trim());
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    // No colour codes or log lines in a document, even at a terminal.
    let again = at_terminal(&add, &settings).exp_eof().unwrap();
    assert!(!again.contains('\u{1b}'), "{again:?}");
    let again = cli_schemas::assert_matches("cli.subscribers-add.v1.json", again.trim());
    assert_eq!(again["existing"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_draws_its_bar_only_once_it_knows_the_length_and_logs_around_it() {
    needs!(RabbitMq, Garage);
    let env = TestEnv::start("terminal").await;
    {
        let _up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));
        publish(
            &env,
            &[
                article("tty-1", 1, "Thông báo thứ nhất"),
                article("tty-2", 1, "Thông báo thứ hai"),
                article("tty-3", 1, "Thông báo thứ ba"),
            ],
        );
    }
    let mut session = at_terminal(&["-v", "rebuild"], &env.env());
    let shown = session.exp_eof().unwrap();
    let code = match session.process.wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("rebuild did not exit: {other:?}"),
    };
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("/3 articles ("),
        "the bar was never drawn: {shown}"
    );
    assert!(
        !shown.contains("0/0"),
        "the bar was drawn before its length: {shown}"
    );
    // The rate is whole articles a second, never "(474.1836/s".
    for drawn in shown.split("articles (").skip(1) {
        let rate = drawn.split('/').next().unwrap_or_default();
        assert!(
            rate.chars().all(|c| c.is_ascii_digit()),
            "rate {rate:?} in {shown}"
        );
    }
    // Each log line starts a line of its own: the bar is lifted off first.
    // (Logs are coloured at a terminal, so the escapes go before looking.)
    let mut log_lines = 0;
    for line in shown.split(['\r', '\n']) {
        let plain = strip_escapes(line);
        if let Some(at) = plain.find(" INFO ") {
            log_lines += 1;
            assert!(
                plain[..at].trim_start().starts_with("20"),
                "a log line drawn into the bar: {line:?}"
            );
        }
    }
    assert!(log_lines >= 2, "no INFO lines with -v: {shown}");
    assert!(shown.contains("article pages written"), "{shown}");
    assert!(shown.contains("rebuilt 3 articles"), "{shown}");
    env.teardown().await;
}

/// `text` without ANSI escape sequences (colours, cursor moves).
fn strip_escapes(text: &str) -> String {
    let mut plain = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}
