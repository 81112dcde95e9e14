//! Gazette's only door to RabbitMQ: topology, confirmed publishing, and the one consume/ack loop every stage runs.
//!
//! No lapin type crosses this crate's public API: stages see [`Inbound`],
//! [`Outbound`] and the [`Handler`]/[`Failure`] traits, and decide a
//! message's fate through [`Disposition`], never by acking themselves.

pub mod body;
#[cfg(feature = "ceiling")]
mod ceiling;
mod connect;
mod dead_letters;
mod delivery;
mod error;
mod handler;
mod message;
mod names;
mod plan;
mod publisher;
mod settings;
mod stage;
mod stage_lock;
mod tap;
mod telemetry;
mod topology;
mod trace;
mod worker;

#[cfg(feature = "ceiling")]
pub use ceiling::{RelayMeasurement, RelayPlan, RelayWork, measure_relay};
pub use connect::probe;
pub use dead_letters::{DeadLetter, DeadLetters};
pub use error::BrokerError;
pub use handler::{Disposition, Failure, Handler};
pub use message::{Inbound, Outbound};
pub use names::Topology;
pub use plan::{Argument, BindingPlan, ExchangePlan, QueuePlan, TopologyPlan, plan};
pub use publisher::{Publisher, Routed};
pub use settings::{AmqpUrl, BrokerSettings, RetryPolicy, node_urls};
pub use stage::{Exchange, Floors, RetryClass, StageSpec};
pub use stage_lock::StageLock;
pub use tap::Tap;
pub use telemetry::Readiness;
pub use topology::{delete_namespace, delete_queue, ensure_topology, queue_depth};
pub use trace::{TRACEPARENT, TraceContext};
pub use worker::run_stage;

/// Header names Gazette writes, for operators reading dead letters and for tools.
pub mod headers {
    /// The attempt this delivery is (1 for the first), carried through retry queues.
    pub const ATTEMPT: &str = "x-gazette-attempt";
    /// The stage that dead-lettered the message.
    pub const STAGE: &str = "x-gazette-stage";
    /// A short, stable reason code (`invalid-json`, `schema`, `retries-exhausted`, ...).
    pub const REASON: &str = "x-gazette-reason";
    /// The human-readable error.
    pub const DETAIL: &str = "x-gazette-detail";
    /// One line per failed attempt (`attempt N: error`), carried through
    /// retries into the dead letter.
    pub const HISTORY: &str = "x-gazette-history";
    /// How many times `gazette dlq replay` has sent the message back.
    pub const REPLAYED: &str = "x-gazette-replayed";
    /// The routing key the message had before it was dead-lettered or delayed.
    pub const ROUTING_KEY: &str = "x-gazette-routing-key";
}
