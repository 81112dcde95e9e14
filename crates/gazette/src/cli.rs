//! The command line's shape: every subcommand, flag and help text, the version line with its commit, and help that reads the same under `-h` and `--help`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Arg, ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::stage_arg::StageArg;
use crate::{dlq, lookup, schedule, subscribers};

/// `0.1.0 (<commit>)`: which build is answering, for a bug report.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("GAZETTE_COMMIT"), ")");

/// The command line, parsed; clap's own message and exit code when it
/// cannot be.
pub fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// The whole command tree, every help flag showing the full text. clap's
/// `-h` shows only each doc comment's first paragraph, so the two flags
/// told a person different things; now both show everything.
pub fn command() -> clap::Command {
    full_help_everywhere(Cli::command())
}

/// The man page, in roff. It names the release, not the commit, so that
/// the copy kept in docs/gazette.1 changes only when the command line does.
pub fn manpage() -> std::io::Result<Vec<u8>> {
    let mut roff = Vec::new();
    clap_mangen::Man::new(command().version(env!("CARGO_PKG_VERSION"))).render(&mut roff)?;
    Ok(roff)
}

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(), "gazette", &mut script);
    script
}

fn full_help_everywhere(command: clap::Command) -> clap::Command {
    command
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .help("Print help")
                .action(ArgAction::HelpLong),
        )
        .mut_subcommands(full_help_everywhere)
}

/// Gazette: an event-driven publishing pipeline for news portals.
///
/// Settings come from GAZETTE_* and AWS_* environment variables (see README.md).
#[derive(Debug, Parser)]
#[command(version = VERSION, about)]
pub struct Cli {
    /// A TOML file of settings; GAZETTE_* variables override it.
    #[arg(long, global = true, env = "GAZETTE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other
    /// than `up` and `worker` print only warnings without it; GAZETTE_LOG
    /// or RUST_LOG, when set, decide instead.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish article files (the JSON of article.submitted's data) as article.submitted events.
    Submit {
        /// Article JSON files (the article itself, not a CloudEvents
        /// envelope); `-` reads one from standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Wait until each article is published, scheduled (dated in the future) or rejected, and print where it went.
        #[arg(long)]
        wait: bool,
        /// How long --wait waits for each article (`30s`, `10m`).
        #[arg(long, default_value = "60s", value_parser = lookup::duration_arg)]
        timeout: Duration,
    },
    /// Run every stage in this process.
    Up {
        /// Also serve the store over HTTP on this address (`127.0.0.1:8000`), to preview the site.
        #[arg(long, value_name = "ADDR")]
        serve: Option<std::net::SocketAddr>,
    },
    /// Render every article page and every listing, feed and sitemap again
    /// from the registry and the archive (after a theme change, or to
    /// rebuild the index). Refused while an indexer runs; an indexer started
    /// meanwhile stands by until the rebuild is done.
    Rebuild {
        /// Parallel tasks, at least 1; defaults to the number of CPUs.
        #[arg(long, value_parser = lookup::count_arg::<usize>)]
        jobs: Option<usize>,
        /// Write the site even when the registry records no article (a
        /// new site); without it an empty registry is refused as a likely
        /// wrong GAZETTE_DATABASE_URL.
        #[arg(long)]
        allow_empty: bool,
        /// Do not hold the indexer's queue, and so need no broker: only for
        /// a store no indexer writes (a copy, a benchmark's site).
        #[arg(long)]
        without_broker: bool,
        /// Leave the search index to the indexer, which rebuilds it when
        /// it starts or next flushes, instead of building it now (for 10,000
        /// articles, most of the rebuild's time).
        #[arg(long)]
        without_search: bool,
    },
    /// Once, after upgrading a site published before the archive existed:
    /// move revision copies and index state out of the public store into
    /// GAZETTE_ARCHIVE, and record every article in the registry.
    Migrate,
    /// Run one stage; start more copies to scale it.
    Worker {
        /// The stage to run.
        #[arg(value_enum)]
        stage: StageArg,
    },
    /// Check the configuration: print it with secrets masked, and reach the broker and the store.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the namespace's exchanges, queues and bindings as RabbitMQ definitions JSON.
    Topology {
        /// The virtual host to put in the definitions.
        #[arg(long, default_value = "/")]
        vhost: String,
    },
    /// Manage the notifier's subscribers: webhook endpoints and email addresses.
    Subscribers {
        #[command(subcommand)]
        command: subscribers::SubscribersCommand,
    },
    /// Scheduled publishing: what is held until its publication time.
    Schedule {
        #[command(subcommand)]
        command: schedule::ScheduleCommand,
    },
    /// Inspect, replay or purge dead letters.
    Dlq {
        #[command(subcommand)]
        command: dlq::DlqCommand,
    },
    /// Print a shell's completion script for gazette to standard output
    /// (`gazette completions bash > /etc/bash_completion.d/gazette`).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print gazette's man page (roff) to standard output
    /// (`gazette manpage > gazette.1`); docs/gazette.1 is this, kept fresh by a test.
    Manpage,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration; exit non-zero if anything is wrong or unreachable.
    Check {
        /// Print one JSON object, `{"settings": {...}, "checks": {...}}` (docs/cli-json.md).
        #[arg(long)]
        json: bool,
    },
    /// Print every setting Gazette reads: variable, file key, default, meaning, and whether it is a secret.
    Settings,
}

/// A stage named on the command line: one entry of the stage table, so
/// `--help` lists exactly the stages there are.
#[cfg(test)]
mod tests {
    use super::*;

    /// Every command in the tree with its path (`gazette dlq list`).
    fn every_command() -> Vec<(String, clap::Command)> {
        fn walk(path: String, command: &clap::Command, into: &mut Vec<(String, clap::Command)>) {
            into.push((path.clone(), command.clone()));
            for sub in command.get_subcommands() {
                walk(format!("{path} {}", sub.get_name()), sub, into);
            }
        }
        let mut all = Vec::new();
        let mut root = command();
        root.build();
        walk("gazette".to_owned(), &root, &mut all);
        all
    }

    #[test]
    fn the_command_line_is_well_formed() {
        command().debug_assert();
    }

    #[test]
    fn every_command_and_argument_says_what_it_is_for() {
        let mut silent = Vec::new();
        for (path, command) in every_command() {
            if path.split(' ').any(|word| word == "help") {
                continue;
            }
            if path != "gazette" && command.get_about().is_none() {
                silent.push(path.clone());
            }
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "version" && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    silent.push(format!("{path} <{id}>"));
                }
            }
        }
        assert!(silent.is_empty(), "no help text: {silent:#?}");
    }

    /// What `ARGS` prints, as clap answers a help flag.
    fn help_for(args: &[&str]) -> String {
        match command().try_get_matches_from(args) {
            Ok(_) => panic!("{args:?} printed no help"),
            Err(e) => {
                assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp, "{args:?}");
                e.to_string()
            }
        }
    }

    #[test]
    fn short_and_long_help_are_the_same_text() {
        let mut checked = 0;
        for (path, _) in every_command() {
            if path.split(' ').any(|word| word == "help") {
                continue;
            }
            let words: Vec<&str> = path.split(' ').collect();
            let short = help_for(&[&words[..], &["-h"]].concat());
            let long = help_for(&[&words[..], &["--help"]].concat());
            assert_eq!(short, long, "{path}: -h and --help differ");
            assert!(long.contains(&format!("Usage: {path}")), "{path}: {long}");
            checked += 1;
        }
        assert!(checked > 20, "only {checked} commands");
    }

    #[test]
    fn the_version_names_the_commit() {
        assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(
            VERSION.ends_with(')') && VERSION.contains(" ("),
            "{VERSION}"
        );
        assert_ne!(env!("GAZETTE_COMMIT"), "", "{VERSION}");
    }

    #[test]
    fn completions_know_every_subcommand() {
        let names: Vec<String> = command()
            .get_subcommands()
            .map(|sub| sub.get_name().to_owned())
            .collect();
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let script = String::from_utf8(completions(shell)).unwrap();
            for name in &names {
                assert!(script.contains(name.as_str()), "{shell}: no {name}");
            }
        }
    }

    /// The man page and the completion scripts, as kept in docs/ for
    /// packagers: each must be what the command line generates now.
    #[test]
    fn generated_files_in_docs_are_fresh() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/");
        let mut generated = vec![(
            "gazette.1".to_owned(),
            manpage().unwrap(),
            "manpage".to_owned(),
        )];
        for (shell, name) in [
            (clap_complete::Shell::Bash, "bash"),
            (clap_complete::Shell::Zsh, "zsh"),
            (clap_complete::Shell::Fish, "fish"),
        ] {
            generated.push((
                format!("completions/gazette.{name}"),
                completions(shell),
                format!("completions {name}"),
            ));
        }
        for (file, now, command) in generated {
            let kept = std::fs::read(format!("{docs}{file}")).unwrap_or_default();
            assert!(
                kept == now,
                "docs/{file} differs from the command line; run `cargo run -q -p gazette -- {command} > docs/{file}`"
            );
        }
    }
}
