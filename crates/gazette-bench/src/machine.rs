//! What the whole machine did over a run: CPU busy, stolen by the hypervisor and waiting on disk (`/proc/stat`), and the disks' writes, discards and flushes (`/proc/diskstats`).
//!
//! Why: a latency run whose every percentile is higher than its
//! neighbours' points outside any one stage. The host may not have run a
//! vCPU that was ready ("steal"); the disk may have been slow to write,
//! discard or flush, and every hop's confirm waits for RabbitMQ's log; or
//! the machine was simply busier. These counters, beside each part's CPU
//! (`paced_runs.rs`), say which of those moved, so the report can name a
//! cause instead of guessing one.

use serde::Serialize;

use crate::processes::TICKS_PER_SECOND;

/// One reading of the machine-wide counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct MachineCounters {
    /// user, nice, system, irq and softirq: time a CPU ran something.
    busy_ticks: u64,
    iowait_ticks: u64,
    steal_ticks: u64,
    /// Summed over whole disks (not partitions, loop or RAM devices).
    disk: DiskCounters,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct DiskCounters {
    writes: u64,
    write_ms: u64,
    /// Blocks the file system tells the device it no longer needs; with
    /// the `discard` mount option, every file deleted or truncated (a
    /// broker's old log, a database's checkpointed journal) sends them.
    /// Zero on kernels older than 4.18.
    discards: u64,
    discard_ms: u64,
    /// Cache flushes (what an `fsync` asks of a device with a write-back
    /// cache); zero on kernels older than 5.5, which do not report them.
    flushes: u64,
    flush_ms: u64,
}

/// The difference between two readings, per second of the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MachineUsage {
    /// Cores' worth of time spent running anything.
    pub busy_cores: f64,
    /// Cores' worth of time a vCPU was ready but the host ran something else.
    pub stolen_cores: f64,
    /// Cores' worth of idle time with a disk request outstanding.
    pub iowait_cores: f64,
    pub disk_writes_per_second: f64,
    pub mean_write_ms: Option<f64>,
    pub disk_discards_per_second: f64,
    pub mean_discard_ms: Option<f64>,
    pub disk_flushes_per_second: f64,
    pub mean_flush_ms: Option<f64>,
}

/// What the machine and the parts sharing it used during one latency run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunConditions {
    /// `None` where `/proc` could not be read.
    pub machine: Option<MachineUsage>,
    /// CPU milliseconds per article offered: every stage worker together,
    /// RabbitMQ and Garage (`None` when the process was not found).
    pub stages_cpu_ms_per_article: f64,
    pub broker_cpu_ms_per_article: Option<f64>,
    pub store_cpu_ms_per_article: Option<f64>,
}

impl MachineCounters {
    /// `None` where `/proc` is not Linux's.
    pub(crate) fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let diskstats = std::fs::read_to_string("/proc/diskstats").unwrap_or_default();
        let mut counters = parse_stat(&stat)?;
        counters.disk = parse_diskstats(&diskstats, |name| {
            std::path::Path::new("/sys/block").join(name).exists()
        });
        Some(counters)
    }

    /// What happened between `before` and this reading, `seconds` apart.
    pub(crate) fn since(&self, before: &Self, seconds: f64) -> MachineUsage {
        let seconds = seconds.max(f64::EPSILON);
        let cores =
            |now: u64, then: u64| now.saturating_sub(then) as f64 / TICKS_PER_SECOND / seconds;
        let rate = |now: u64, then: u64| now.saturating_sub(then) as f64 / seconds;
        let mean = |ms: (u64, u64), count: (u64, u64)| {
            let count = count.0.saturating_sub(count.1);
            (count > 0).then(|| ms.0.saturating_sub(ms.1) as f64 / count as f64)
        };
        let (now, then) = (&self.disk, &before.disk);
        MachineUsage {
            busy_cores: cores(self.busy_ticks, before.busy_ticks),
            stolen_cores: cores(self.steal_ticks, before.steal_ticks),
            iowait_cores: cores(self.iowait_ticks, before.iowait_ticks),
            disk_writes_per_second: rate(now.writes, then.writes),
            mean_write_ms: mean((now.write_ms, then.write_ms), (now.writes, then.writes)),
            disk_discards_per_second: rate(now.discards, then.discards),
            mean_discard_ms: mean(
                (now.discard_ms, then.discard_ms),
                (now.discards, then.discards),
            ),
            disk_flushes_per_second: rate(now.flushes, then.flushes),
            mean_flush_ms: mean((now.flush_ms, then.flush_ms), (now.flushes, then.flushes)),
        }
    }
}

/// The aggregate `cpu` line: user nice system idle iowait irq softirq steal …;
/// idle is what is left, and not needed.
fn parse_stat(stat: &str) -> Option<MachineCounters> {
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let field = |n: usize| fields.get(n).copied().unwrap_or(0);
    Some(MachineCounters {
        busy_ticks: field(0) + field(1) + field(2) + field(5) + field(6),
        iowait_ticks: field(4),
        steal_ticks: field(7),
        disk: DiskCounters::default(),
    })
}

/// Sums the devices `is_whole_disk` accepts; loop and RAM devices are
/// skipped even when they are whole, as they never hold the broker's log.
fn parse_diskstats(diskstats: &str, is_whole_disk: impl Fn(&str) -> bool) -> DiskCounters {
    let mut sum = DiskCounters::default();
    for line in diskstats.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(name) = fields.get(2) else { continue };
        if ["loop", "ram", "zram"].iter().any(|p| name.starts_with(p)) || !is_whole_disk(name) {
            continue;
        }
        // Fields after the name, 1-based as Documentation/admin-guide/
        // iostats.rst numbers them: 5 writes completed, 8 ms writing,
        // 12 discards completed, 15 ms discarding, 16 flushes completed,
        // 17 ms flushing.
        let number = |n: usize| {
            fields
                .get(n + 2)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        sum.writes += number(5);
        sum.write_ms += number(8);
        sum.discards += number(12);
        sum.discard_ms += number(15);
        sum.flushes += number(16);
        sum.flush_ms += number(17);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str =
        "cpu  9300 10 4718 13475 488 5 128 132 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\n";
    const DISKSTATS: &str = "   7       0 loop0 9 0 0 0 9 0 0 9 0 0 0 0 0 0 0 9 9\n \
 254       0 vda 41745 7353 2524026 13524 48290 109967 6756552 95236 0 13948 111851 12633 53 1376200 2811 6499 277\n \
 254       1 vda1 1 0 0 0 70 0 0 70 0 0 0 0 0 0 0 70 70\n \
 253       0 zram0 0 0 0 0 5 0 0 5 0 0 0 0 0 0 0 5 5\n";

    #[test]
    fn the_aggregate_line_is_split_into_busy_iowait_and_steal() {
        let counters = parse_stat(STAT).unwrap();
        assert_eq!(counters.busy_ticks, 9300 + 10 + 4718 + 5 + 128);
        assert_eq!(counters.iowait_ticks, 488);
        assert_eq!(counters.steal_ticks, 132);
        assert_eq!(parse_stat("intr 1\n"), None);
        assert_eq!(parse_stat("cpu  1 x 3\n"), None);
    }

    #[test]
    fn only_whole_disks_are_summed() {
        let disk = parse_diskstats(DISKSTATS, |name| !name.ends_with('1'));
        assert_eq!(
            disk,
            DiskCounters {
                writes: 48290,
                write_ms: 95236,
                discards: 12633,
                discard_ms: 2811,
                flushes: 6499,
                flush_ms: 277,
            }
        );
        // A kernel before 4.18 has neither discard nor flush fields: it
        // reports none, and nothing breaks.
        let old = parse_diskstats(" 8 0 sda 1 0 0 0 4 0 0 12 0 0 0\n", |_| true);
        assert_eq!(
            (old.writes, old.write_ms, old.discards, old.flushes),
            (4, 12, 0, 0)
        );
    }

    #[test]
    fn usage_is_per_second_and_means_are_absent_without_requests() {
        let before = MachineCounters {
            busy_ticks: 100,
            iowait_ticks: 10,
            steal_ticks: 0,
            disk: DiskCounters {
                writes: 10,
                write_ms: 10,
                discards: 1,
                discard_ms: 100,
                flushes: 4,
                flush_ms: 4,
            },
        };
        let after = MachineCounters {
            busy_ticks: 300,
            iowait_ticks: 30,
            steal_ticks: 50,
            disk: DiskCounters {
                writes: 30,
                write_ms: 70,
                discards: 3,
                discard_ms: 500,
                ..before.disk
            },
        };
        let usage = after.since(&before, 2.0);
        assert_eq!(usage.busy_cores, 1.0);
        assert_eq!(usage.stolen_cores, 0.25);
        assert_eq!(usage.iowait_cores, 0.1);
        assert_eq!(usage.disk_writes_per_second, 10.0);
        assert_eq!(usage.mean_write_ms, Some(3.0));
        assert_eq!(usage.disk_discards_per_second, 1.0);
        assert_eq!(usage.mean_discard_ms, Some(200.0));
        assert_eq!(usage.disk_flushes_per_second, 0.0);
        assert_eq!(usage.mean_flush_ms, None);
        // A counter that went backwards (a device removed) reads as none.
        assert_eq!(before.since(&after, 1.0).busy_cores, 0.0);
    }
}
