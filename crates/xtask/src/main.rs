//! `cargo xtask`: the project's automation, in Rust so that it runs wherever cargo does.
//!
//! - `cargo xtask bench [--smoke] [--out DIR] [--articles N] [--rate R] [--prefetch P]
//!   [--concurrency C]` builds `gazette` in release
//!   mode, runs the benchmark (see the `gazette-bench` crate) and writes
//!   `DIR/benchmarks.{json,md}` and the charts (DIR defaults to `docs/`).
//! - `cargo xtask profile [--articles N]` counts the instructions the hot
//!   path spends per article under valgrind's callgrind.
//! - `cargo xtask site [--articles N] [--index-site N]` times
//!   `gazette rebuild` against Hugo on the same articles, measures what one
//!   new article costs the indexer, and writes `docs/site-benchmark.{json,md}`.
//! - `cargo xtask views [--rate N] [--seconds S]` offers view-counter
//!   beacons to the API at a fixed rate and writes
//!   `docs/views-benchmark.{json,md}`.
//! - `cargo xtask media [--rounds N]` times the media stage's picture work
//!   against sharp (libvips) on the same photos and writes
//!   `docs/media-benchmark.{json,md}`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use gazette_bench::{BenchPlan, report};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Gazette's project automation")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Measure throughput, latency and memory against the broker's and the store's ceilings.
    Bench {
        /// A run of seconds that exercises every part (what the tests run).
        #[arg(long)]
        smoke: bool,
        /// Where the report goes.
        #[arg(long, default_value = "docs")]
        out: PathBuf,
        /// Articles per throughput run.
        #[arg(long)]
        articles: Option<usize>,
        /// Articles per second offered in the latency runs (the targets are
        /// set at 100). On a machine whose pipeline cannot carry 100, a
        /// lower rate measures the tail at the same share of its capacity.
        #[arg(long, value_parser = positive_rate)]
        rate: Option<f64>,
        /// `GAZETTE_PREFETCH` for every worker and the null pipeline
        /// (default: Gazette's own default).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        prefetch: Option<u16>,
        /// `GAZETTE_CONCURRENCY` for every worker and the null pipeline
        /// (default: Gazette's own default).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        concurrency: Option<u16>,
    },
    /// Count instructions per article on the hot path with callgrind.
    Profile {
        #[arg(long, default_value_t = 200)]
        articles: usize,
    },
    /// Time `gazette rebuild` against Hugo, and the indexer's cost per new article.
    Site {
        /// Articles both builders get.
        #[arg(long, default_value_t = 10_000)]
        articles: usize,
        /// Size of the site the indexer's cost is measured in.
        #[arg(long, default_value_t = 100_000)]
        index_site: usize,
        /// Timed builds of each; the median counts.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[arg(long, default_value = "docs")]
        out: PathBuf,
        /// Leave the rebuilt site here (to serve it and try its search page).
        #[arg(long)]
        keep: Option<PathBuf>,
    },
    /// Time picture processing against sharp on the same photos, and the peak memory of a 24 MP one.
    Media {
        /// Times each photo is processed by each side.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long, default_value = "docs")]
        out: PathBuf,
    },
    /// Process one picture and print the peak RSS before and after, in KiB (used by `media`).
    #[command(hide = true)]
    MediaRss { file: PathBuf },
    /// Offer view-counter beacons at a fixed rate to the API and measure their latency.
    Views {
        /// Beacons offered per second.
        #[arg(long, default_value_t = 2_000)]
        rate: u32,
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        #[arg(long, default_value = "docs")]
        out: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let root = repo_root();
    match Cli::parse().task {
        Task::Bench {
            smoke,
            out,
            articles,
            rate,
            prefetch,
            concurrency,
        } => {
            let binary = build(&root, "release", "gazette", "gazette")?;
            let mut plan = if smoke {
                BenchPlan::smoke(binary, &root)
            } else {
                BenchPlan::full(binary, &root)
            };
            plan.build = "release".to_owned();
            plan.python_peer = Some(gazette_bench::peer::PythonPeer::ensure(&root)?);
            if let Some(articles) = articles {
                plan.articles = articles;
                plan.command = format!("{} --articles {articles}", plan.command);
            }
            if let Some(rate) = rate {
                plan.latency_per_second = rate;
                plan.command = format!("{} --rate {rate}", plan.command);
            }
            if let Some(prefetch) = prefetch {
                plan.prefetch = prefetch;
                plan.command = format!("{} --prefetch {prefetch}", plan.command);
            }
            if let Some(concurrency) = concurrency {
                plan.concurrency = usize::from(concurrency);
                plan.command = format!("{} --concurrency {concurrency}", plan.command);
            }
            let runtime = tokio::runtime::Runtime::new()?;
            let report = runtime.block_on(gazette_bench::run(&plan))?;
            let out = root.join(out);
            report.write(&out)?;
            eprintln!("{}", report_summary(&report));
            eprintln!("wrote {}", out.join(report::MARKDOWN_FILE).display());
            Ok(())
        }
        Task::Profile { articles } => profile(&root, articles),
        Task::Site {
            articles,
            index_site,
            runs,
            out,
            keep,
        } => site(&root, articles, index_site, runs, &root.join(out), keep),
        Task::Views { rate, seconds, out } => views(&root, rate, seconds, &root.join(out)),
        Task::Media { rounds, out } => media(&root, rounds, &root.join(out)),
        Task::MediaRss { file } => {
            // The parent `cargo xtask media` reads this line.
            use std::io::Write as _;
            writeln!(
                std::io::stdout(),
                "{}",
                gazette_bench::media::print_peak_rss(&file)?
            )?;
            Ok(())
        }
    }
}

fn media(root: &Path, rounds: usize, out: &Path) -> anyhow::Result<()> {
    let sharp = Command::new(root.join("scripts/ensure-sharp"))
        .output()
        .context("scripts/ensure-sharp")?;
    if !sharp.status.success() {
        bail!(
            "scripts/ensure-sharp failed: {}",
            String::from_utf8_lossy(&sharp.stderr)
        );
    }
    let dir = tempfile::tempdir()?;
    let plan = gazette_bench::media::MediaPlan {
        sharp_dir: PathBuf::from(String::from_utf8(sharp.stdout)?.trim()),
        peer_script: root.join("crates/gazette-bench/peers/sharp.mjs"),
        rounds,
        rss_command: vec![
            std::env::current_exe()?.display().to_string(),
            "media-rss".to_owned(),
        ],
        command: format!("cargo xtask media --rounds {rounds}"),
    };
    let report = gazette_bench::media::measure_media(&plan, dir.path())?;
    std::fs::write(
        out.join("media-benchmark.json"),
        serde_json::to_vec_pretty(&report)?,
    )?;
    std::fs::write(out.join("media-benchmark.md"), report.markdown())?;
    eprintln!("{}", report.markdown());
    Ok(())
}

fn views(root: &Path, rate: u32, seconds: u32, out: &Path) -> anyhow::Result<()> {
    let plan = gazette_bench::views::ViewsPlan {
        binary: build(root, "release", "gazette", "gazette")?,
        amqp_url: std::env::var("GAZETTE_AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()),
        per_second: rate,
        seconds,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(gazette_bench::views::measure_views(&plan))?;
    std::fs::write(
        out.join("views-benchmark.json"),
        serde_json::to_vec_pretty(&report)?,
    )?;
    std::fs::write(out.join("views-benchmark.md"), report.markdown())?;
    eprintln!(
        "{} beacons/s offered for {} s: {} answered, {} refused, {} failed; p50 {:.2} ms, p99 {:.2} ms (target ≤ 20 ms); {} counted",
        report.offered_per_second,
        report.seconds,
        report.answered_204,
        report.refused_429,
        report.failed,
        report.p50_ms,
        report.p99_ms,
        report.counted,
    );
    Ok(())
}

fn site(
    root: &Path,
    articles: usize,
    index_site: usize,
    runs: usize,
    out: &Path,
    keep: Option<PathBuf>,
) -> anyhow::Result<()> {
    let plan = gazette_bench::site::SitePlan {
        gazette_binary: build(root, "release", "gazette", "gazette")?,
        hugo_binary: PathBuf::from("hugo"),
        example_article: root.join("examples/ntl-2022-06-23-hoi-nghi-14.json"),
        amqp_url: std::env::var("GAZETTE_AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()),
        articles,
        runs,
        index_site_articles: index_site,
        keep,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(gazette_bench::site::run(&plan))?;
    let command =
        format!("cargo xtask site --articles {articles} --index-site {index_site} --runs {runs}");
    std::fs::write(
        out.join("site-benchmark.json"),
        serde_json::to_vec_pretty(&report)?,
    )?;
    std::fs::write(
        out.join("site-benchmark.md"),
        gazette_bench::site::markdown(&report, &command),
    )?;
    eprintln!(
        "gazette rebuild {:.2} s, hugo {:.2} s on {} articles: Gazette {:.2}× Hugo's speed",
        report.gazette_median, report.hugo_median, report.articles, report.ratio,
    );
    for article in &report.index.new_articles {
        eprintln!(
            "a new article in a {}-article site (opens a page: {}): {} objects written, {} files, {} bytes",
            report.index.site_articles,
            article.opens_a_page,
            article.objects_written,
            article.files_changed,
            article.bytes_written,
        );
    }
    Ok(())
}

fn report_summary(report: &report::Report) -> String {
    let mut lines = vec![format!(
        "throughput {:.1} articles/s ({} workers per stage); ratio {:.2} (bound by the {})",
        report.headline.articles_per_second,
        report.headline.workers_per_stage,
        report.ceilings.ratio,
        report.ceilings.binding
    )];
    for target in &report.targets {
        let met = if target.met { "met" } else { "MISSED" };
        lines.push(format!(
            "{}: {} (goal {}) {met}",
            target.name, target.measured, target.goal
        ));
    }
    lines.join("\n")
}

/// Runs the hot-path driver under callgrind and prints instructions per article.
fn profile(root: &Path, articles: usize) -> anyhow::Result<()> {
    // Release code as shipped: callgrind names functions from the symbol table.
    let driver = build(root, "release", "gazette-bench", "hotpath")?;
    let out = std::env::temp_dir().join(format!("gazette-callgrind-{}.out", std::process::id()));
    let mut instructions = Vec::new();
    // Twice: once with one article, once with N, so start-up cost cancels out.
    for count in [1, articles + 1] {
        let status = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(&driver)
            .arg(root.join("examples/ntl-2022-06-23-hoi-nghi-14.json"))
            .arg(count.to_string())
            .status()
            .context("running valgrind (Debian package `valgrind`)")?;
        if !status.success() {
            bail!("callgrind failed: {status}");
        }
        instructions.push(total_instructions(&out)?);
    }
    let per_article = instructions[1].saturating_sub(instructions[0]) / articles.max(1) as u64;
    eprintln!(
        "hot path: {per_article} instructions per article (validate, render, encode), \
         {} for start-up; profile in {}",
        instructions[0],
        out.display()
    );
    Ok(())
}

fn total_instructions(callgrind_out: &Path) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(callgrind_out)?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("totals: ")
                .or_else(|| line.strip_prefix("summary: "))
        })
        .and_then(|n| n.trim().parse().ok())
        .context("callgrind's output has no totals line")
}

/// `cargo build --profile PROFILE -p PACKAGE --bin BIN`; returns the binary's path.
fn build(root: &Path, profile: &str, package: &str, bin: &str) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--locked",
            "--profile",
            profile,
            "-p",
            package,
            "--bin",
            bin,
        ])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building {bin} failed");
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let dir = if profile == "dev" { "debug" } else { profile };
    Ok(target.join(dir).join(bin))
}

/// `--rate`: checked as the command line is read, so that a rate the bench
/// cannot pace is refused before the release build, not 13 minutes after.
fn positive_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a rate: give a positive number of articles per second, such as 50"
        )),
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Task, positive_rate};

    #[test]
    fn a_rate_must_be_a_positive_finite_number() {
        for refused in [
            "0", "-0", "-5", "0.0", "inf", "-inf", "NaN", "", "fifty", "1e400",
        ] {
            let error = positive_rate(refused).expect_err(refused);
            assert!(error.contains("positive number"), "{refused}: {error}");
        }
        for (given, rate) in [
            ("50", 50.0),
            ("0.5", 0.5),
            (" 100 ", 100.0),
            ("1e-3", 0.001),
        ] {
            assert_eq!(positive_rate(given), Ok(rate), "{given}");
        }
    }

    #[test]
    fn the_bench_refuses_a_bad_rate_as_it_reads_the_command_line() {
        let refused = Cli::try_parse_from(["xtask", "bench", "--rate", "0"]);
        assert!(refused.is_err());
        let read = Cli::try_parse_from(["xtask", "bench", "--rate", "25"]);
        let Ok(Cli {
            task: Task::Bench { rate, .. },
        }) = read
        else {
            panic!("bench --rate 25 was not read as the bench");
        };
        assert_eq!(rate, Some(25.0));
    }

    #[test]
    fn the_bench_refuses_no_messages_in_flight() {
        for flag in ["--prefetch", "--concurrency"] {
            for refused in ["0", "-1", "65536", "many"] {
                let read = Cli::try_parse_from(["xtask", "bench", flag, refused]);
                assert!(read.is_err(), "{flag} {refused} was accepted");
            }
        }
        let read =
            Cli::try_parse_from(["xtask", "bench", "--prefetch", "32", "--concurrency", "16"]);
        let Ok(Cli {
            task:
                Task::Bench {
                    prefetch,
                    concurrency,
                    ..
                },
        }) = read
        else {
            panic!("bench --prefetch 32 --concurrency 16 was not read as the bench");
        };
        assert_eq!((prefetch, concurrency), (Some(32), Some(16)));
    }
}
