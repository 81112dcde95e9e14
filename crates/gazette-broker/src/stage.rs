//! What the broker needs to know of a stage, as plain data: the exchanges and keys it reads, how its failures are retried, and the least it keeps in hand.

/// The exchanges stages consume from and publish to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    /// `<namespace>.events`: public events, for upstream systems and subscribers.
    Events,
    /// `<namespace>.internal`: hand-offs between stages. Bodies of 2 KiB
    /// and more travel zstd-compressed here (see `gazette_broker::body`).
    Internal,
}

/// What the broker needs to know of a stage: its name and the
/// `(exchange, routing key)` pairs it consumes, and how its loop runs.
#[derive(Debug, Clone, Copy)]
pub struct StageSpec {
    pub name: &'static str,
    pub consumes: &'static [(Exchange, &'static str)],
    /// Whether only one consumer at a time may take from the work queue
    /// (RabbitMQ's single active consumer); the other replicas stand by.
    pub single_active_consumer: bool,
    /// Bindings an earlier version declared and this one must not keep:
    /// removed at every declaration, since a binding outlives the code
    /// that made it.
    pub retired: &'static [(Exchange, &'static str)],
    /// Which retry policy its failures follow.
    pub retry: RetryClass,
    /// The least prefetch and concurrency it runs with.
    pub floors: Floors,
}

/// Lower bounds on a stage's prefetch and concurrency, for stages whose
/// design needs many messages in hand (see [`crate::BrokerSettings::for_stage`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Floors {
    pub prefetch: u16,
    pub concurrency: usize,
}

impl Floors {
    /// No floor: the operator's settings apply as they are.
    pub const NONE: Self = Self {
        prefetch: 0,
        concurrency: 0,
    };
}

/// Which of the two retry policies a stage follows; part of the stage's
/// own description, so that every tool that declares, replays or deletes
/// its delay queues agrees on their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    Common,
    Slow,
}
