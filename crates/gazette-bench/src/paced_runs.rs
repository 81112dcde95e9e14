//! The latency runs: the headline pipeline offered a steady rate, run after run, with what the machine and each part of it did in each.

use std::time::Instant;

use gazette_broker::BrokerSettings;

use crate::Bench;
use crate::broker_wal::BrokerWal;
use crate::machine::{MachineCounters, RunConditions};
use crate::pipeline::{Pipeline, paced};
use crate::processes::{Watched, watch_broker};
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
        let mut conditions = Vec::new();
        for round in 0..self.plan.latency_runs {
            let articles = self.articles(&format!("{run}-paced-{round}"), count)?;
            let wal_before = wal.current();
            let watch = RunWatch::start(pipeline, self.watch_store());
            let latencies = paced(settings, articles, self.plan.latency_per_second).await?;
            conditions.push(watch.finish(count));
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
            conditions,
            histogram: stats::histogram(&pooled, 40),
            stages: pipeline.stage_times().await,
            front_page: stats::percentiles(&[]),
        })
    }
}

/// The counters one run is measured between.
struct RunWatch {
    machine: Option<MachineCounters>,
    stages: Vec<Watched>,
    broker: Option<Watched>,
    store: Option<Watched>,
    since: Instant,
}

impl RunWatch {
    fn start(pipeline: &Pipeline, store: Option<Watched>) -> Self {
        Self {
            machine: MachineCounters::read(),
            stages: pipeline.watch(),
            broker: watch_broker("rabbitmq"),
            store,
            since: Instant::now(),
        }
    }

    fn finish(self, articles: usize) -> RunConditions {
        let seconds = self.since.elapsed().as_secs_f64();
        let machine = match (self.machine, MachineCounters::read()) {
            (Some(before), Some(after)) => Some(after.since(&before, seconds)),
            _ => None,
        };
        let per_article = |cpu_seconds: f64| cpu_seconds * 1e3 / articles.max(1) as f64;
        let cpu_of = |watched: &Option<Watched>| {
            let usage = watched.as_ref()?.usage()?;
            Some(per_article(usage.cpu_seconds))
        };
        RunConditions {
            machine,
            stages_cpu_ms_per_article: per_article(
                self.stages
                    .iter()
                    .filter_map(Watched::usage)
                    .map(|usage| usage.cpu_seconds)
                    .sum(),
            ),
            broker_cpu_ms_per_article: cpu_of(&self.broker),
            store_cpu_ms_per_article: cpu_of(&self.store),
        }
    }
}
