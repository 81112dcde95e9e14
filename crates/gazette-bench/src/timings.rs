//! Where the time went, read from the workers' `/metrics`: each stage's handling time, each step of publish, the indexer's flushes and the S3 requests inside them.

use serde::Serialize;

/// One process's handling time for one stage, from its `/metrics`: the
/// time from taking a delivery to acking it, outputs confirmed.
#[derive(Debug, Clone, Serialize)]
pub struct StageTime {
    pub process: String,
    pub stage: String,
    pub handled: u64,
    pub mean_ms: f64,
    /// Deliveries that took longer than 50 ms.
    pub over_50_ms: u64,
}

const PROCESSING: &str = "gazette_message_processing_seconds";

/// The histograms read out of each worker, with the label that names a
/// row and the row's prefix: whole deliveries per stage, then the publish
/// stage's steps, the indexer's flushes, and the S3 requests inside them.
const TIMED: [(&str, &str, &str); 4] = [
    (PROCESSING, "stage", ""),
    ("gazette_publish_step_seconds", "step", "publish step: "),
    ("gazette_index_flush_seconds", "part", "index flush: "),
    ("gazette_s3_request_duration_seconds", "operation", "S3 "),
];

/// Reads the timing histograms out of Prometheus text.
pub(crate) fn parse_stage_times(process: &str, metrics: &str) -> Vec<StageTime> {
    let mut times: Vec<StageTime> = Vec::new();
    for (metric, label_name, prefix) in TIMED {
        let mut sums = Vec::new();
        let mut within_50_ms = Vec::new();
        for line in metrics.lines() {
            let Some(rest) = line.strip_prefix(metric) else {
                continue;
            };
            let Some((series, value)) = rest.rsplit_once(' ') else {
                continue;
            };
            let Ok(value) = value.parse::<f64>() else {
                continue;
            };
            let Some(name) = label(series, label_name) else {
                continue;
            };
            let i = entry(&mut times, process, &format!("{prefix}{name}"));
            if series.starts_with("_count") {
                times[i].handled = value as u64;
            } else if series.starts_with("_sum") {
                sums.push((i, value));
            } else if label(series, "le") == Some("0.05") {
                within_50_ms.push((i, value as u64));
            }
        }
        for (i, sum) in sums {
            times[i].mean_ms = sum * 1e3 / times[i].handled.max(1) as f64;
        }
        for (i, within) in within_50_ms {
            times[i].over_50_ms = times[i].handled.saturating_sub(within);
        }
    }
    times
}

/// The index of `stage`'s entry in `times`, added if new.
fn entry(times: &mut Vec<StageTime>, process: &str, stage: &str) -> usize {
    if let Some(i) = times.iter().position(|t| t.stage == stage) {
        return i;
    }
    times.push(StageTime {
        process: process.to_owned(),
        stage: stage.to_owned(),
        handled: 0,
        mean_ms: 0.0,
        over_50_ms: 0,
    });
    times.len() - 1
}

fn label<'a>(series: &'a str, name: &str) -> Option<&'a str> {
    let start = series.find(&format!("{name}=\""))? + name.len() + 2;
    let rest = &series[start..];
    Some(&rest[..rest.find('"')?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processing_times_are_read_per_stage() {
        let metrics = "\
gazette_message_processing_seconds_bucket{stage=\"publish\",le=\"0.025\"} 90
gazette_message_processing_seconds_bucket{stage=\"publish\",le=\"0.05\"} 97
gazette_message_processing_seconds_bucket{stage=\"publish\",le=\"+Inf\"} 100
gazette_message_processing_seconds_sum{stage=\"publish\"} 2.5
gazette_message_processing_seconds_count{stage=\"publish\"} 100
gazette_messages_consumed_total{stage=\"publish\"} 100
";
        let times = parse_stage_times("publish-0", metrics);
        assert_eq!(times.len(), 1);
        assert_eq!((times[0].handled, times[0].over_50_ms), (100, 3));
        assert!((times[0].mean_ms - 25.0).abs() < 1e-9);
    }

    #[test]
    fn publish_steps_and_store_requests_are_rows_of_their_own() {
        let metrics = "\
gazette_message_processing_seconds_count{stage=\"publish\"} 10
gazette_publish_step_seconds_bucket{step=\"advance\",le=\"0.05\"} 8
gazette_publish_step_seconds_sum{step=\"advance\"} 0.2
gazette_publish_step_seconds_count{step=\"advance\"} 10
gazette_s3_request_duration_seconds_bucket{operation=\"put\",le=\"0.05\"} 30
gazette_s3_request_duration_seconds_sum{operation=\"put\"} 0.3
gazette_s3_request_duration_seconds_count{operation=\"put\"} 30
";
        let times = parse_stage_times("publish-0", metrics);
        let stages: Vec<&str> = times.iter().map(|t| t.stage.as_str()).collect();
        assert_eq!(stages, ["publish", "publish step: advance", "S3 put"]);
        assert_eq!((times[1].handled, times[1].over_50_ms), (10, 2));
        assert!((times[1].mean_ms - 20.0).abs() < 1e-9);
        assert_eq!((times[2].handled, times[2].over_50_ms), (30, 0));
    }
}
