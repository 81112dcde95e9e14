//! The processes under measurement: CPU and memory read from `/proc` for the bench's workers, RabbitMQ and Garage.

use std::time::Instant;

use serde::Serialize;

/// Linux reports CPU time in `/proc/<pid>/stat` and `/proc/stat` in USER_HZ
/// ticks, which is 100 on every architecture Linux ships (it is part of the
/// ABI, unlike HZ).
pub(crate) const TICKS_PER_SECOND: f64 = 100.0;

/// A reading of one process's counters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counters {
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
    /// The high-water mark of resident memory since the process started.
    pub peak_rss_bytes: u64,
}

/// Reads `/proc/<pid>/stat` and `/proc/<pid>/status`; `None` once the process is gone.
pub fn counters(pid: u32) -> Option<Counters> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses; fields resume after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15; `fields` starts at field 3.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kilobytes = |name: &str| -> Option<u64> {
        let line = status.lines().find(|line| line.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok()
    };
    Some(Counters {
        cpu_seconds: ticks / TICKS_PER_SECOND,
        rss_bytes: kilobytes("VmRSS:")? * 1024,
        peak_rss_bytes: kilobytes("VmHWM:")? * 1024,
    })
}

/// The machine's RabbitMQ (the first `beam.smp`), watched from now under
/// `name`. The bench did not start it, so its peak memory is not its own.
pub fn watch_broker(name: &str) -> Option<Watched> {
    find_by_name("beam.smp").map(|pid| Watched::new(name, pid, false))
}

/// The first process whose command name is `name` (e.g. RabbitMQ's `beam.smp`).
fn find_by_name(name: &str) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(entry.path().join("comm")).ok()?;
            (comm.trim() == name).then_some(pid)
        })
}

/// What one process used during a measured run.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessUsage {
    pub name: String,
    pub cpu_seconds: f64,
    /// CPU time over wall time: 1.0 is one core kept busy.
    pub cores: f64,
    pub peak_rss_mb: f64,
    /// False for processes the bench did not start (the broker): their
    /// high-water mark predates the run, so the current size is reported.
    pub peak_is_for_this_run: bool,
}

/// A process watched over a run: counters at the start, read again at the end.
#[derive(Debug)]
pub struct Watched {
    pub name: String,
    pub pid: u32,
    started_by_bench: bool,
    at_start: Counters,
    since: Instant,
}

impl Watched {
    pub fn new(name: impl Into<String>, pid: u32, started_by_bench: bool) -> Self {
        Self {
            name: name.into(),
            pid,
            started_by_bench,
            at_start: counters(pid).unwrap_or_default(),
            since: Instant::now(),
        }
    }

    pub fn usage(&self) -> Option<ProcessUsage> {
        let now = counters(self.pid)?;
        let cpu_seconds = now.cpu_seconds - self.at_start.cpu_seconds;
        let memory = if self.started_by_bench {
            now.peak_rss_bytes
        } else {
            now.rss_bytes
        };
        Some(ProcessUsage {
            name: self.name.clone(),
            cpu_seconds,
            cores: cpu_seconds / self.since.elapsed().as_secs_f64().max(f64::EPSILON),
            peak_rss_mb: memory as f64 / (1024.0 * 1024.0),
            peak_is_for_this_run: self.started_by_bench,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_counters() {
        let mine = counters(std::process::id()).unwrap();
        assert!(mine.rss_bytes > 0);
        assert!(mine.peak_rss_bytes >= mine.rss_bytes);
    }
}
