//! The targets, each judged on the report's figures: the ratio to the joint ceiling, the p99 of every paced run, the front-page latency, `gazette up`'s memory and the multiple of the Python peer's throughput.

use crate::BenchPlan;
use crate::peer::PeerRun;
use crate::report::{Ceilings, Latency, Target, ThroughputPoint};

pub(crate) fn judged(
    plan: &BenchPlan,
    ceilings: &Ceilings,
    latency: &Latency,
    up_rss: f64,
    headline: &ThroughputPoint,
    peer: Option<&PeerRun>,
) -> Vec<Target> {
    let p99s: Vec<String> = latency
        .runs
        .iter()
        .map(|run| format!("{:.1}", run.p99_ms))
        .collect();
    let mut targets = vec![
        Target {
            name: "throughput ÷ joint ceiling (null pipeline)".to_owned(),
            goal: "≥ 0.7".to_owned(),
            measured: format!("{:.2}", ceilings.ratio),
            met: ceilings.ratio >= 0.7,
        },
        Target {
            name: format!(
                "p99 submit → published at {} articles/s, in each of {} runs",
                plan.latency_per_second, plan.latency_runs
            ),
            goal: "≤ 50 ms every run".to_owned(),
            measured: format!("{} ms", p99s.join(", ")),
            met: !latency.runs.is_empty() && latency.runs.iter().all(|run| run.p99_ms <= 50.0),
        },
        Target {
            name: format!(
                "p99 submit → linked from its category's front page at {} articles/s",
                plan.latency_per_second
            ),
            goal: "≤ 1.5 s".to_owned(),
            measured: format!("{:.0} ms", latency.front_page.p99_ms),
            met: latency.front_page.samples > 0 && latency.front_page.p99_ms <= 1500.0,
        },
        Target {
            name: "`gazette up` peak RSS in the throughput run".to_owned(),
            goal: "≤ 150 MB".to_owned(),
            measured: format!("{up_rss:.1} MB"),
            met: up_rss <= 150.0,
        },
    ];
    if let Some(peer) = peer {
        let times = headline.articles_per_second / peer.articles_per_second;
        targets.push(Target {
            name: "throughput ÷ the Python peer's (Celery) on the same articles".to_owned(),
            goal: "≥ 3×".to_owned(),
            measured: format!(
                "{:.1} ÷ {:.1} = {times:.2}×",
                headline.articles_per_second, peer.articles_per_second
            ),
            met: times >= 3.0,
        });
    }
    targets
}
