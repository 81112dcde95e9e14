//! The topology as data: what `declare` creates, and what `deploy/rabbitmq/definitions.json` must match.

use std::collections::{BTreeMap, BTreeSet};

use crate::{BrokerSettings, Exchange, StageSpec, Topology};

/// A queue argument's value, typed as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Argument {
    Text(String),
    /// AMQP `long` (32-bit).
    Int(i32),
    /// AMQP `long long` (64-bit).
    Long(i64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangePlan {
    pub name: String,
    /// `topic` or `direct`; every exchange is durable.
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePlan {
    pub name: String,
    /// Every queue is durable.
    pub arguments: BTreeMap<&'static str, Argument>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingPlan {
    pub exchange: String,
    pub queue: String,
    pub routing_key: String,
}

/// Everything one namespace declares for the given stages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopologyPlan {
    pub exchanges: Vec<ExchangePlan>,
    pub queues: Vec<QueuePlan>,
    pub bindings: Vec<BindingPlan>,
}

/// The exchanges, and per stage its work queue (quorum, delivery limit,
/// at-least-once dead-lettering), its dead-letter queue, and one delay
/// queue per retry delay.
pub fn plan(settings: &BrokerSettings, stages: &[StageSpec]) -> TopologyPlan {
    let topology = Topology::new(&settings.namespace);
    let dlx = topology.dead_letter_exchange();
    let mut plan = TopologyPlan {
        exchanges: vec![
            ExchangePlan {
                name: topology.exchange(Exchange::Events),
                kind: "topic",
            },
            ExchangePlan {
                name: topology.exchange(Exchange::Internal),
                kind: "topic",
            },
            ExchangePlan {
                name: dlx.clone(),
                kind: "direct",
            },
        ],
        ..TopologyPlan::default()
    };
    for stage in stages {
        let delays: BTreeSet<_> = settings.retry_for(stage).delays.iter().copied().collect();
        let work = topology.work_queue(stage.name);
        let mut work_arguments = dead_lettering_quorum_queue(&dlx, stage.name);
        work_arguments.insert(
            "x-delivery-limit",
            Argument::Int(i32::try_from(settings.delivery_limit).unwrap_or(i32::MAX)),
        );
        if stage.single_active_consumer {
            work_arguments.insert("x-single-active-consumer", Argument::Bool(true));
        }
        plan.queues.push(QueuePlan {
            name: work.clone(),
            arguments: work_arguments,
        });
        for (exchange, routing_key) in stage.consumes {
            plan.bindings.push(BindingPlan {
                exchange: topology.exchange(*exchange),
                queue: work.clone(),
                routing_key: (*routing_key).to_owned(),
            });
        }

        let dead = topology.dead_queue(stage.name);
        // No delivery limit: `gazette dlq list` takes letters and gives them
        // back, which RabbitMQ counts as deliveries, and a dead queue has
        // nowhere to send a letter past its limit. RabbitMQ 3.x sets none
        // by default; for 4.x, see "Dead letters" in README.md. (Adding the
        // argument here would make every existing dead queue refuse the
        // redeclaration, and the upgraded workers refuse to start.)
        plan.queues.push(QueuePlan {
            name: dead.clone(),
            arguments: quorum(),
        });
        plan.bindings.push(BindingPlan {
            exchange: dlx.clone(),
            queue: dead,
            routing_key: stage.name.to_owned(),
        });

        // Messages sit in a delay queue for its TTL, then expire through the
        // default exchange back into the work queue. Per-message expirations
        // (jitter) are at most the TTL, so one queue per delay keeps the head
        // from blocking the rest.
        for delay in &delays {
            let mut arguments = dead_lettering_quorum_queue("", &work);
            arguments.insert(
                "x-message-ttl",
                Argument::Long(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)),
            );
            plan.queues.push(QueuePlan {
                name: topology.retry_queue(stage.name, *delay),
                arguments,
            });
        }
    }
    plan
}

fn quorum() -> BTreeMap<&'static str, Argument> {
    BTreeMap::from([("x-queue-type", Argument::Text("quorum".to_owned()))])
}

/// A quorum queue whose dead letters go to `exchange` with `routing_key`,
/// at least once: the broker keeps a message until the target confirms it,
/// which RabbitMQ only allows together with reject-publish overflow.
fn dead_lettering_quorum_queue(
    exchange: &str,
    routing_key: &str,
) -> BTreeMap<&'static str, Argument> {
    let mut arguments = quorum();
    for (name, value) in [
        ("x-dead-letter-exchange", exchange),
        ("x-dead-letter-routing-key", routing_key),
        ("x-dead-letter-strategy", "at-least-once"),
        ("x-overflow", "reject-publish"),
    ] {
        arguments.insert(name, Argument::Text(value.to_owned()));
    }
    arguments
}
