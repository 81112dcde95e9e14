//! The latency runs: the headline pipeline offered a steady rate, run after run, with the broker log's rollovers counted in each.

use gazette_broker::BrokerSettings;

use crate::Bench;
use crate::broker_wal::BrokerWal;
use crate::pipeline::{Pipeline, paced};
use crate::report::Latency;
use crate::stats;

impl Bench<'_> {
    /// `plan.latency_runs` runs of `count` articles each at
    /// `plan.latency_per_second`, open loop, one after another.
    pub(crate) async fn paced_runs(
        &self,
        settings: &BrokerSettings,
        run: &str,
        count: usize,
        workers: usize,
        pipeline: &Pipeline,
    ) -> anyhow::Result<Latency> {
        let wal = BrokerWal::local();
        let (mut pooled, mut runs, mut wal_rollovers) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..self.plan.latency_runs {
            let wal_before = wal.current();
            let latencies = paced(
                settings,
                self.articles(&format!("{run}-paced-{round}"), count)?,
                self.plan.latency_per_second,
            )
            .await?;
            runs.push(stats::percentiles(&latencies));
            wal_rollovers.push(wal.rollovers_since(wal_before));
            pooled.extend(latencies);
        }
        Ok(Latency {
            offered_per_second: self.plan.latency_per_second,
            workers_per_stage: workers,
            percentiles: stats::percentiles(&pooled),
            runs,
            wal_rollovers,
            histogram: stats::histogram(&pooled, 40),
            stages: pipeline.stage_times().await,
            front_page: stats::percentiles(&[]),
        })
    }
}
