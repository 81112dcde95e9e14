//! The `gazette` command: submit articles, run the pipeline's stages, in one process or one per stage.
#![allow(
    clippy::print_stdout,
    reason = "a command line tool prints its results"
)]

/// Prints a line of results to stdout, like `println!`, except that a reader
/// who stops reading (`gazette dlq list | head`) ends the process quietly
/// instead of making it panic on the broken pipe. Defined before the modules
/// so that all of them can use it.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod api;
mod config;
mod config_file;
mod describe;
mod dlq;
mod http;
mod lookup;
mod migrate;
mod notifier_config;
mod preview;
mod rebuild;
mod run;
mod settings;
mod store_config;
mod submit;
mod subscribers;
mod telemetry;
mod topology;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;

/// Gazette: an event-driven publishing pipeline for news portals.
///
/// Settings come from GAZETTE_* and AWS_* environment variables (see README.md).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML file of settings; GAZETTE_* variables override it.
    #[arg(long, global = true, env = "GAZETTE_CONFIG")]
    config: Option<PathBuf>,
    /// Say more on stderr: `-v` for INFO, `-vv` for DEBUG. Commands other
    /// than `up` and `worker` print only warnings without it; GAZETTE_LOG
    /// or RUST_LOG, when set, decide instead.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Publish article files (the JSON of article.submitted's data) as article.submitted events.
    Submit {
        /// Article JSON files (the article itself, not a CloudEvents
        /// envelope); `-` reads one from standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Wait until each article is published or rejected, and print where it went.
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
    /// rebuild the index). Does not use the broker; stop the indexer first.
    Rebuild {
        /// Parallel tasks, at least 1; defaults to the number of CPUs.
        #[arg(long, value_parser = jobs_arg)]
        jobs: Option<usize>,
        /// Write the site even when the registry records no article (a
        /// new site); without it an empty registry is refused as a likely
        /// wrong GAZETTE_DATABASE_URL.
        #[arg(long)]
        allow_empty: bool,
    },
    /// Once, after upgrading a site published before the archive existed:
    /// move revision copies and index state out of the public store into
    /// GAZETTE_ARCHIVE, and record every article in the registry.
    Migrate,
    /// Run one stage; start more copies to scale it.
    Worker {
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
    /// Inspect, replay or purge dead letters.
    Dlq {
        #[command(subcommand)]
        command: dlq::DlqCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration; exit non-zero if anything is wrong or unreachable.
    Check,
    /// Print every setting Gazette reads: variable, file key, default, meaning, and whether it is a secret.
    Settings,
}

/// A stage named on the command line: one entry of the stage table, so
/// `--help` lists exactly the stages there are.
#[derive(Debug, Clone, Copy)]
pub struct StageArg(pub &'static gazette_stages::Stage);

impl ValueEnum for StageArg {
    fn value_variants<'a>() -> &'a [Self] {
        static ARGS: std::sync::LazyLock<Vec<StageArg>> =
            std::sync::LazyLock::new(|| gazette_stages::STAGES.iter().map(StageArg).collect());
        &ARGS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.name()).help(self.0.about))
    }
}

/// `--jobs`: a count of parallel tasks, so at least one.
fn jobs_arg(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("--jobs must be at least 1".to_owned()),
        Ok(jobs) => Ok(jobs),
        Err(_) => Err(format!("{text:?} is not a whole number of tasks")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => return fail(&e),
    };
    let is_service = matches!(cli.command, Command::Up { .. } | Command::Worker { .. });
    let default_filter = telemetry::default_filter(is_service, cli.verbose);
    let telemetry = match telemetry::init(&config, &default_filter) {
        Ok(telemetry) => telemetry,
        Err(e) => return fail(&e),
    };
    let names: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .collect();
    for unknown in settings::unknown_variables(names.iter().map(String::as_str)) {
        tracing::warn!(
            variable = unknown,
            "{unknown} is not a Gazette setting and is ignored; check its spelling against README.md"
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&anyhow::Error::new(e).context("cannot start the async runtime")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Submit {
                files,
                wait,
                timeout,
            } => submit::submit(&config, &files, wait.then_some(timeout)).await,
            Command::Up { serve } => run::up(&config, serve).await,
            Command::Worker { stage } => run::worker(&config, stage.0).await,
            Command::Rebuild { jobs, allow_empty } => {
                let when_empty = match allow_empty {
                    true => gazette_stages::WhenEmpty::Allow,
                    false => gazette_stages::WhenEmpty::Refuse,
                };
                rebuild::run(&config, jobs, when_empty).await
            }
            Command::Migrate => migrate::run(&config).await,
            Command::Dlq { command } => dlq::run(&config, command).await,
            Command::Subscribers { command } => subscribers::run(&config, command).await,
            Command::Topology { vhost } => topology::print(&config, &vhost),
            Command::Config {
                command: ConfigCommand::Check,
            } => run::check(&config).await,
            Command::Config {
                command: ConfigCommand::Settings,
            } => {
                settings::print();
                Ok(())
            }
        }
    });
    drop(runtime);
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// One line for a person: the error and its causes, no backtrace.
fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("gazette: {error:#}");
    ExitCode::FAILURE
}
