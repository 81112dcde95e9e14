//! The cluster fault run: the fault suite's ledger on a three-node RabbitMQ cluster and a three-node Garage, losing a node of each mid-run.
//!
//! Gazette is given every RabbitMQ node (a comma-separated
//! `GAZETTE_AMQP_URL`) and node 0's S3 endpoint, as it would be given a
//! load balancer's address in front of Garage. While the workload goes
//! through and workers are killed as in the fault suite:
//! - at 15 % of articles published, the RabbitMQ node leading the first
//!   stage's work queue gets SIGKILL; at 35 %, and at least 5 s later, it
//!   is started again;
//! - at 50 %, Garage node 1 gets SIGKILL, so every write must find two of
//!   three replicas; at 75 %, and at least 5 s later, it is started again.
//!
//! The ledger's verdict is the fault suite's: nothing lost, no object or
//! event twice, no stale overwrite. The figures printed are the throughput
//! before, the dip after each kill, and how long the pipeline took to get
//! back to its pace, all by the `time` each announcement carries; beside
//! them, the longest the harness's own queue went without one, which
//! counts the time events waited in the broker after the stage sent them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly and prints its figures"
)]

use std::fmt;
use std::time::{Duration, Instant};

use crate::faults::{Fault, run};
use crate::support::ledger::Ledger;
use crate::support::{TestEnv, needs, pipeline_stages};

/// The scheduled outages: each track's kill, by the share of articles
/// published, then its restart once a later share is published and the
/// node has been gone at least [`LEAST_OUTAGE`]. A restart the run did not
/// reach happens at its end, before the ledger is read.
const TRACKS: [Track; 2] = [
    Track {
        kill: (0.15, Step::KillBroker),
        restart: (0.35, Step::RestartBroker),
    },
    Track {
        kill: (0.50, Step::KillStore),
        restart: (0.75, Step::RestartStore),
    },
];

/// The least time a killed node stays down.
const LEAST_OUTAGE: Duration = Duration::from_secs(5);

struct Track {
    kill: (f64, Step),
    restart: (f64, Step),
}

/// The Garage node killed: not node 0, whose S3 endpoint Gazette is given.
const STORE_NODE: usize = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    KillBroker,
    RestartBroker,
    KillStore,
    RestartStore,
}

/// The outages' state and the publication curve they are judged on.
pub(crate) struct NodeOutages {
    started: Instant,
    /// The same moment by the clock the events carry.
    started_at: chrono::DateTime<chrono::Utc>,
    broker_node: Option<usize>,
    /// The harness's looks: (time since start, articles it had seen
    /// announced by then). The rates are not taken from these: an event
    /// can wait between the publish stage and the harness's queue.
    looks: Vec<(Duration, usize)>,
    /// When each step happened.
    happened: Vec<(Step, Duration)>,
}

impl NodeOutages {
    pub(crate) fn new(env: &TestEnv) -> Self {
        for (queue, members) in work_queue_members(env) {
            assert_eq!(
                members.len(),
                3,
                "{queue} has a member on every node: {members:?}"
            );
        }
        Self {
            started: Instant::now(),
            started_at: chrono::Utc::now(),
            broker_node: None,
            looks: Vec::new(),
            happened: Vec::new(),
        }
    }

    /// Takes each track's next step once its time has come.
    pub(crate) fn advance(&mut self, env: &mut TestEnv, announced: usize, expected: usize) {
        let now = self.started.elapsed();
        self.looks.push((now, announced));
        let reached = |share: f64| announced as f64 >= share * expected as f64;
        for track in &TRACKS {
            let (share, kill) = track.kill;
            match self.when(kill) {
                None if reached(share) => self.take(env, kill),
                Some(killed) => {
                    let (share, restart) = track.restart;
                    if self.when(restart).is_none()
                        && reached(share)
                        && now >= killed + LEAST_OUTAGE
                    {
                        self.take(env, restart);
                    }
                }
                None => {}
            }
        }
    }

    fn when(&self, wanted: Step) -> Option<Duration> {
        self.happened
            .iter()
            .find(|(step, _)| *step == wanted)
            .map(|(_, at)| *at)
    }

    fn take(&mut self, env: &mut TestEnv, step: Step) {
        let cluster = env.rabbitmq.as_ref().expect("a cluster world");
        match step {
            Step::KillBroker => {
                let queue =
                    gazette_broker::Topology::new(&env.namespace).work_queue(pipeline_stages()[0]);
                let node = cluster.queue_leader(&queue).unwrap();
                cluster.kill(node).unwrap();
                self.broker_node = Some(node);
            }
            Step::RestartBroker => cluster.restart(self.broker_node.unwrap()).unwrap(),
            Step::KillStore => env.garage.kill_node(STORE_NODE),
            Step::RestartStore => env.garage.resume_node(STORE_NODE).unwrap(),
        }
        self.happened.push((step, self.started.elapsed()));
    }

    /// Brings both nodes back for the ledger's reading, checks the
    /// restarted RabbitMQ node holds its queue members again, and returns
    /// the figures, taken from when each article was announced by the
    /// events' own `time`.
    pub(crate) fn finish(mut self, env: &mut TestEnv, ledger: &Ledger) -> OutageReport {
        for track in &TRACKS {
            assert!(
                self.when(track.kill.1).is_some(),
                "the run ended before {:?}",
                track.kill.1
            );
            if self.when(track.restart.1).is_none() {
                self.take(env, track.restart.1);
            }
        }
        let cluster = env.rabbitmq.as_ref().expect("a cluster world");
        let node = self.broker_node.unwrap();
        cluster.wait_until_up(node).unwrap();
        for (queue, members) in work_queue_members(env) {
            assert!(
                members.iter().any(|m| m == cluster.node_name(node)),
                "the restarted node is a member of {queue} again: {members:?}"
            );
        }
        let published: Vec<(Duration, usize)> = ledger
            .announcement_times()
            .into_iter()
            .enumerate()
            .map(|(n, time)| {
                let since = (time - self.started_at).to_std().unwrap_or_default();
                (since, n + 1)
            })
            .collect();
        let at = |wanted: Step| self.when(wanted).unwrap();
        let recovery = |kill: Step, restart: Step| {
            Recovery::of(&published, &self.looks, at(kill), at(restart))
        };
        OutageReport {
            broker: recovery(Step::KillBroker, Step::RestartBroker),
            store: recovery(Step::KillStore, Step::RestartStore),
            broker_node: cluster.node_name(node).to_owned(),
            longest_wait: ledger.longest_wait.map(|(waited, at)| {
                (
                    waited.to_std().unwrap_or_default(),
                    (at - self.started_at).to_std().unwrap_or_default(),
                )
            }),
        }
    }
}

/// Each pipeline stage's work queue with the nodes holding a member of it.
fn work_queue_members(env: &TestEnv) -> Vec<(String, Vec<String>)> {
    let cluster = env.rabbitmq.as_ref().expect("a cluster world");
    let topology = gazette_broker::Topology::new(&env.namespace);
    pipeline_stages()
        .into_iter()
        .map(|stage| {
            let queue = topology.work_queue(stage);
            let members = cluster.queue_members(&queue).unwrap();
            (queue, members)
        })
        .collect()
}

pub(crate) struct OutageReport {
    broker: Recovery,
    store: Recovery,
    broker_node: String,
    /// The longest an announcement waited between the publish stage and
    /// the harness's queue, and when (since the start) it arrived.
    longest_wait: Option<(Duration, Duration)>,
}

/// How the publication rate fared around one outage.
struct Recovery {
    /// When the node was killed, since the start.
    killed_at: Duration,
    /// From the kill to the restart command (a RabbitMQ node then takes
    /// some seconds more to boot and rejoin).
    down_for: Duration,
    before_per_second: f64,
    after_per_second: f64,
    longest_silence: Duration,
    /// When, after the kill, that silence began.
    silence_began: Duration,
    /// The longest the harness itself went without looking (it runs the
    /// kills and restarts in line): a silence no longer than this may be
    /// the harness's, not the pipeline's.
    longest_blind: Duration,
    /// The longest the harness's queue went without a new announcement:
    /// what a subscriber saw, events that waited in the broker included.
    longest_unseen: Duration,
    /// From the kill until two seconds of publishing at 80 % of the pace before.
    back_to_pace: Option<Duration>,
}

/// The count at the last point at or before `t` of a curve in time order.
fn count_at(curve: &[(Duration, usize)], t: Duration) -> usize {
    match curve.partition_point(|(at, _)| *at <= t) {
        0 => 0,
        after => curve[after - 1].1,
    }
}

/// The window the rates are taken over.
const WINDOW: Duration = Duration::from_secs(2);

impl Recovery {
    /// `curve`: (time since start, articles announced by then), one point
    /// per article; `looks`: the harness's own looks, for its pauses.
    fn of(
        curve: &[(Duration, usize)],
        looks: &[(Duration, usize)],
        killed: Duration,
        restarted: Duration,
    ) -> Self {
        let published_at = |t: Duration| count_at(curve, t);
        let rate = |from: Duration, to: Duration| {
            (published_at(to) - published_at(from)) as f64 / (to - from).as_secs_f64()
        };
        let before_from = killed.saturating_sub(WINDOW);
        let before = if killed > Duration::ZERO {
            rate(before_from, killed)
        } else {
            0.0
        };
        let mut longest_silence = Duration::ZERO;
        let mut silence_began = Duration::ZERO;
        let mut longest_blind = Duration::ZERO;
        let mut longest_unseen = Duration::ZERO;
        let mut last_look = killed;
        let mut last_seen = (killed, count_at(looks, killed));
        for &(at, count) in looks.iter().filter(|(at, _)| *at > killed) {
            longest_blind = longest_blind.max(at - last_look);
            last_look = at;
            if count != last_seen.1 {
                longest_unseen = longest_unseen.max(at - last_seen.0);
                last_seen = (at, count);
            }
        }
        let mut last_change = killed;
        let mut last_count = published_at(killed);
        let mut back_to_pace = None;
        for &(at, count) in curve.iter().filter(|(at, _)| *at > killed) {
            if count != last_count {
                if at - last_change > longest_silence {
                    longest_silence = at - last_change;
                    silence_began = last_change - killed;
                }
                last_change = at;
                last_count = count;
            }
            if back_to_pace.is_none()
                && at >= killed + WINDOW
                && rate(at - WINDOW, at) >= 0.8 * before
            {
                back_to_pace = Some(at - killed);
            }
        }
        Self {
            killed_at: killed,
            down_for: restarted.saturating_sub(killed),
            before_per_second: before,
            after_per_second: rate(killed, killed + WINDOW),
            longest_silence,
            silence_began,
            longest_blind,
            longest_unseen,
            back_to_pace,
        }
    }
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at {:.1} s, down {:.1} s; {:.1} articles/s in the {} s before, {:.1} in the {} s after; longest gap between publications {:.2} s, from {:.1} s after the kill (by the events' time; as the harness's queue received them {:.2} s, and its longest pause between looks {:.2} s); ",
            self.killed_at.as_secs_f64(),
            self.down_for.as_secs_f64(),
            self.before_per_second,
            WINDOW.as_secs(),
            self.after_per_second,
            WINDOW.as_secs(),
            self.longest_silence.as_secs_f64(),
            self.silence_began.as_secs_f64(),
            self.longest_unseen.as_secs_f64(),
            self.longest_blind.as_secs_f64(),
        )?;
        match self.back_to_pace {
            Some(after) => write!(
                f,
                "back to 80 % of its pace {:.1} s after the kill",
                after.as_secs_f64()
            ),
            None => write!(f, "not back to 80 % of its pace before the run ended"),
        }
    }
}

impl fmt::Display for OutageReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  RabbitMQ node {} killed: {}",
            self.broker_node, self.broker
        )?;
        write!(f, "  Garage node {STORE_NODE} killed: {}", self.store)?;
        if let Some((waited, at)) = self.longest_wait {
            write!(
                f,
                "\n  longest an announcement waited between the publish stage and the harness's queue: {:.2} s, read {:.1} s into the run",
                waited.as_secs_f64(),
                at.as_secs_f64()
            )?;
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_cluster_nodes_lost_mid_run() {
    needs!(RabbitMq, Garage);
    run("cluster", Fault::LoseNodes, 6)
        .await
        .0
        .assert_clean("RabbitMQ and Garage nodes lost");
}
