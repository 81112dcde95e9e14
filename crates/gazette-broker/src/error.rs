//! Broker errors, worded for the operator who has to act on them.

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("cannot connect to RabbitMQ at {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("RabbitMQ refused the topology of namespace {namespace:?}: {detail}")]
    Topology { namespace: String, detail: String },
    #[error("RabbitMQ did not confirm the message to {exchange}/{routing_key}: {detail}")]
    Publish {
        exchange: String,
        routing_key: String,
        detail: String,
    },
    #[error("RabbitMQ channel failed while {doing}: {detail}")]
    Channel { doing: &'static str, detail: String },
    #[error("the consumer on {queue} was cancelled or its stream ended")]
    ConsumerEnded { queue: String },
    #[error(
        "{consumers} {stage} worker(s) consume {queue}; stop `gazette worker {stage}` and `gazette up` in this namespace first"
    )]
    StageBusy {
        stage: &'static str,
        queue: String,
        consumers: u32,
    },
    #[error("stage {stage} has more than one active consumer, so no process can hold it alone")]
    NotLockable { stage: &'static str },
}

impl BrokerError {
    pub(crate) fn channel(doing: &'static str, error: &lapin::Error) -> Self {
        Self::Channel {
            doing,
            detail: error.to_string(),
        }
    }
}
