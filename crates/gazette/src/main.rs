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

/// jemalloc rather than glibc's malloc. The stages allocate and free
/// message-sized buffers (8 to 40 KB) across threads all day; in the bench's
/// profile (`perf record` over the paced runs) glibc's allocator took 10 to
/// 13 % of each worker's CPU, `_int_malloc` and `malloc_consolidate` leading.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod api;
mod cli;
mod config;
mod config_file;
mod describe;
mod dlq;
mod http;
mod lookup;
mod media_config;
mod migrate;
mod notifier_config;
mod preview;
mod rebuild;
mod run;
mod schedule;
mod settings;
mod stage_arg;
mod store_config;
mod submit;
mod subscribers;
mod telemetry;
mod topology;
mod views;

use std::process::ExitCode;

use crate::cli::{Command, ConfigCommand};
use crate::config::Config;

/// Tokio's own variable for its async threads, which it reads when the
/// program does not choose: an operator may still set it.
const TOKIO_THREADS: &str = "TOKIO_WORKER_THREADS";

/// The async threads of a `gazette worker`. One stage's async side is I/O
/// (the broker, the store, the database): its CPU work (checking,
/// Markdown, rendering, decoding big events) runs on the blocking pool, so
/// one thread keeps up; a second did not measurably help in the bench
/// (docs/performance.md), and copies of the process are how a stage scales.
const WORKER_ASYNC_THREADS: usize = 1;

/// How many async threads to ask tokio for; `None` leaves its default,
/// one per core. `TOKIO_WORKER_THREADS` is read here rather than by tokio,
/// which panics on a value it cannot use.
fn async_threads(
    is_worker: bool,
    tokio_threads: Option<std::ffi::OsString>,
) -> Result<Option<usize>, String> {
    match tokio_threads {
        Some(value) => match value.to_str().map(str::trim).map(str::parse::<usize>) {
            Some(Ok(threads)) if threads > 0 => Ok(Some(threads)),
            _ => Err(format!(
                "{TOKIO_THREADS} is {value:?}, not a number of threads of at least 1; \
                 set it to a whole number or unset it"
            )),
        },
        None if is_worker => Ok(Some(WORKER_ASYNC_THREADS)),
        None => Ok(None),
    }
}

fn main() -> ExitCode {
    // The indexer's search builds run this binary as a child. The command is
    // not part of the command line people use (help, completions, man page),
    // so it is answered before the command line is parsed.
    if std::env::args_os().nth(1).as_deref() == Some(config::SEARCH_INDEX_COMMAND.as_ref()) {
        return match gazette_stages::serve_search_child() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&anyhow::Error::new(e).context("cannot build the search index")),
        };
    }
    let cli = cli::parse();
    // These two print what the command line is, and need no settings.
    match cli.command {
        Command::Completions { shell } => return print_all(&cli::completions(shell)),
        Command::Manpage => {
            return match cli::manpage() {
                Ok(roff) => print_all(&roff),
                Err(e) => fail(&anyhow::Error::new(e).context("cannot write the man page")),
            };
        }
        _ => {}
    }
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
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    let is_worker = matches!(cli.command, Command::Worker { .. });
    match async_threads(is_worker, std::env::var_os(TOKIO_THREADS)) {
        Ok(Some(threads)) => {
            runtime.worker_threads(threads);
        }
        Ok(None) => {}
        Err(e) => return fail(&anyhow::anyhow!(e)),
    }
    let runtime = match runtime.enable_all().build() {
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
            Command::Rebuild {
                jobs,
                allow_empty,
                without_broker,
                without_search,
            } => {
                let options = gazette_stages::RebuildOptions {
                    when_empty: match allow_empty {
                        true => gazette_stages::WhenEmpty::Allow,
                        false => gazette_stages::WhenEmpty::Refuse,
                    },
                    search: match without_search {
                        true => gazette_stages::SearchIndex::Leave,
                        false => gazette_stages::SearchIndex::Build,
                    },
                    variants: config.media.variants.clone(),
                };
                rebuild::run(&config, jobs, options, !without_broker).await
            }
            Command::Migrate => migrate::run(&config).await,
            Command::Dlq { command } => dlq::run(&config, command).await,
            Command::Schedule { command } => schedule::run(&config, command).await,
            Command::Subscribers { command } => subscribers::run(&config, command).await,
            Command::Topology { vhost } => topology::print(&config, &vhost),
            Command::Config {
                command: ConfigCommand::Check { json },
            } => run::check(&config, json).await,
            Command::Config {
                command: ConfigCommand::Settings,
            } => {
                settings::print();
                Ok(())
            }
            // Answered above, before the settings load.
            Command::Completions { .. } | Command::Manpage => Ok(()),
        }
    });
    drop(runtime);
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// `bytes` to stdout; a reader who stops early (`| head`) is no failure.
fn print_all(bytes: &[u8]) -> ExitCode {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(&anyhow::Error::new(e).context("cannot write to standard output")),
    }
}

/// One line for a person: the error and its causes, no backtrace.
fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("gazette: {error:#}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_runs_one_async_thread_and_up_keeps_tokios_default() {
        assert_eq!(async_threads(true, None), Ok(Some(1)));
        assert_eq!(async_threads(false, None), Ok(None));
    }

    #[test]
    fn tokio_worker_threads_overrides_either_command() {
        assert_eq!(async_threads(true, Some("3".into())), Ok(Some(3)));
        assert_eq!(async_threads(false, Some(" 2 ".into())), Ok(Some(2)));
    }

    #[test]
    fn an_unusable_thread_count_is_one_sentence_not_a_panic() {
        for value in ["0", "-1", "two", "", "1.5"] {
            let refused = async_threads(true, Some(value.into()));
            let message = refused.expect_err(value);
            assert!(message.starts_with("TOKIO_WORKER_THREADS is"), "{message}");
            assert!(message.contains("at least 1"), "{message}");
        }
    }
}
