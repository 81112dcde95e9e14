//! Latency percentiles and the histogram behind the latency chart.

use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    pub samples: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Nearest-rank percentiles: each figure is a latency some article really had.
pub fn percentiles(latencies: &[Duration]) -> Percentiles {
    let mut sorted: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    sorted.sort_by(f64::total_cmp);
    let rank = |p: f64| -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let index = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[index.clamp(1, sorted.len()) - 1]
    };
    Percentiles {
        samples: sorted.len(),
        p50_ms: rank(50.0),
        p90_ms: rank(90.0),
        p99_ms: rank(99.0),
        max_ms: sorted.last().copied().unwrap_or(0.0),
    }
}

/// One bar of the latency histogram: `[from_ms, from_ms + width_ms)`.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub from_ms: f64,
    pub width_ms: f64,
    pub count: usize,
}

/// About `bars` equal buckets from 0 to the largest latency, in whole milliseconds.
pub fn histogram(latencies: &[Duration], bars: usize) -> Vec<Bucket> {
    let max_ms = latencies
        .iter()
        .map(|d| d.as_secs_f64() * 1e3)
        .fold(0.0, f64::max);
    let width_ms = (max_ms / bars.max(1) as f64).ceil().max(1.0);
    let count = (max_ms / width_ms).floor() as usize + 1;
    let mut buckets: Vec<Bucket> = (0..count)
        .map(|i| Bucket {
            from_ms: i as f64 * width_ms,
            width_ms,
            count: 0,
        })
        .collect();
    for latency in latencies {
        let i = (latency.as_secs_f64() * 1e3 / width_ms).floor() as usize;
        if let Some(bucket) = buckets.get_mut(i.min(count - 1)) {
            bucket.count += 1;
        }
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let latencies = ms(&(1..=100).collect::<Vec<_>>());
        let p = percentiles(&latencies);
        assert_eq!(
            (p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms),
            (50.0, 90.0, 99.0, 100.0)
        );
        assert_eq!(percentiles(&ms(&[7])).p99_ms, 7.0);
        assert_eq!(percentiles(&[]).samples, 0);
    }

    #[test]
    fn every_latency_lands_in_one_bucket() {
        let latencies = ms(&[0, 3, 9, 10, 55, 120]);
        let buckets = histogram(&latencies, 10);
        assert_eq!(buckets.iter().map(|b| b.count).sum::<usize>(), 6);
        assert_eq!(buckets[0].width_ms, 12.0);
        assert_eq!(buckets.last().map(|b| b.count), Some(1));
    }
}
