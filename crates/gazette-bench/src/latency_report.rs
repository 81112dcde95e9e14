//! The report's latency section: each paced run, what the machine and its parts did in it, the front page, and where the time went per stage.

use std::fmt::Write;

use crate::machine::RunConditions;
use crate::report::{LATENCY_CHART, Latency};

impl Latency {
    pub(crate) fn markdown(&self) -> String {
        let mut md = String::new();
        let l = &self.percentiles;
        let _ = writeln!(
            md,
            "## Latency\n\nSubmit to `article.published` at {} articles/s offered (open loop), \
             {} workers per stage, {} runs one after another:\n\n\
             | run | articles | p50 ms | p90 ms | p99 ms | max ms | broker log rollovers |\n\
             |---|---|---|---|---|---|---|",
            self.offered_per_second,
            self.workers_per_stage,
            self.runs.len()
        );
        for (n, run) in self.runs.iter().enumerate() {
            let rollovers = rollovers_cell(self.wal_rollovers.get(n).copied().flatten());
            let _ = writeln!(
                md,
                "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {rollovers} |",
                n + 1,
                run.samples,
                run.p50_ms,
                run.p90_ms,
                run.p99_ms,
                run.max_ms
            );
        }
        let rolled: Option<u64> = self.wal_rollovers.iter().copied().sum();
        let _ = writeln!(
            md,
            "| all | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} |\n\n\
             A rollover is RabbitMQ starting a new quorum write-ahead log (every \
             `raft.wal_max_size_bytes`, 512 MB by default, of all its queues' writes), \
             during which every hop's confirm waits; \"not seen\" where the broker's files \
             are not on this machine. Why it matters to the tail is in performance.md.\n\n\
             ![latency distribution]({LATENCY_CHART})\n",
            l.samples,
            l.p50_ms,
            l.p90_ms,
            l.p99_ms,
            l.max_ms,
            rollovers_cell(rolled)
        );
        md.push_str(&self.conditions_markdown());
        md.push('\n');
        let f = &self.front_page;
        let _ = writeln!(
            md,
            "Submit to **linked from its category's front page**, in one more paced run at the \
             same rate with the indexer running beside the pipeline ({} articles; the indexer's \
             coalescing window is part of it, and the front page is read every 50 ms): p50 \
             {:.0} ms, p90 {:.0} ms, p99 **{:.0} ms**, max {:.0} ms.\n",
            f.samples, f.p50_ms, f.p90_ms, f.p99_ms, f.max_ms
        );
        let _ = writeln!(
            md,
            "Handling time per stage over those runs (delivery taken to delivery acked, outputs \
             confirmed), then each step of publish and each kind of S3 request inside it:\n\n\
             | process | stage | handled | mean ms | over 50 ms |\n|---|---|---|---|---|"
        );
        for t in &self.stages {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.1} | {} |",
                t.process, t.stage, t.handled, t.mean_ms, t.over_50_ms
            );
        }
        let _ = writeln!(md);
        md
    }

    /// Each run's machine and parts, beside its p99: a run slow in every
    /// percentile shows here whether the host took the CPU (stolen), the
    /// disk was slow to flush, or a part of the machine used more of it.
    fn conditions_markdown(&self) -> String {
        let mut md = String::from(
            "What the machine did in each of those runs (`/proc/stat`, `/proc/diskstats`: \
             per second, with the mean time each disk request took), and the CPU each part \
             used per article offered:\n\n\
             | run | p99 ms | busy cores | stolen cores | iowait cores | disk writes/s | discards/s | flushes/s | stages CPU ms | RabbitMQ CPU ms | Garage CPU ms |\n\
             |---|---|---|---|---|---|---|---|---|---|---|\n",
        );
        let ms = |value: Option<f64>| value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2}"));
        let requests = |per_second: f64, mean_ms: Option<f64>| match mean_ms {
            Some(mean_ms) => format!("{per_second:.1} ({mean_ms:.2} ms)"),
            None => format!("{per_second:.1}"),
        };
        for (n, (run, conditions)) in self.runs.iter().zip(&self.conditions).enumerate() {
            let RunConditions {
                machine,
                stages_cpu_ms_per_article,
                broker_cpu_ms_per_article,
                store_cpu_ms_per_article,
            } = conditions;
            let machine_cells = machine.as_ref().map_or_else(
                || "n/a | n/a | n/a | n/a | n/a | n/a".to_owned(),
                |m| {
                    format!(
                        "{:.2} | {:.3} | {:.3} | {} | {} | {}",
                        m.busy_cores,
                        m.stolen_cores,
                        m.iowait_cores,
                        requests(m.disk_writes_per_second, m.mean_write_ms),
                        requests(m.disk_discards_per_second, m.mean_discard_ms),
                        requests(m.disk_flushes_per_second, m.mean_flush_ms),
                    )
                },
            );
            let _ = writeln!(
                md,
                "| {} | {:.1} | {machine_cells} | {stages_cpu_ms_per_article:.2} | {} | {} |",
                n + 1,
                run.p99_ms,
                ms(*broker_cpu_ms_per_article),
                ms(*store_cpu_ms_per_article),
            );
        }
        md
    }
}

/// A count of broker log rollovers as the latency table shows it.
fn rollovers_cell(count: Option<u64>) -> String {
    count.map_or_else(|| "not seen".to_owned(), |count| count.to_string())
}
