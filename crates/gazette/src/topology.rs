//! `gazette topology`: the namespace's exchanges, queues and bindings as RabbitMQ definitions JSON.
//!
//! Operators who do not let workers declare (least privilege) load this into
//! the broker (`rabbitmqctl import_definitions`, or the management API);
//! `deploy/rabbitmq/definitions.json` is this output plus users and
//! permissions, and a test keeps the two equal.

use anyhow::Result;
use gazette_broker::{Argument, plan};
use gazette_stages::all_specs;
use serde_json::{Map, Value, json};

use crate::config::Config;

pub fn definitions(config: &Config, vhost: &str) -> Value {
    let plan = plan(&config.broker, &all_specs());
    let exchanges: Vec<Value> = plan
        .exchanges
        .iter()
        .map(|e| json!({"name": e.name, "vhost": vhost, "type": e.kind, "durable": true, "auto_delete": false, "internal": false, "arguments": {}}))
        .collect();
    let queues: Vec<Value> = plan
        .queues
        .iter()
        .map(|q| {
            let arguments: Map<String, Value> = q
                .arguments
                .iter()
                .map(|(name, value)| {
                    let value = match value {
                        Argument::Text(text) => json!(text),
                        Argument::Int(n) => json!(n),
                        Argument::Long(n) => json!(n),
                        Argument::Bool(b) => json!(b),
                    };
                    ((*name).to_owned(), value)
                })
                .collect();
            json!({"name": q.name, "vhost": vhost, "durable": true, "auto_delete": false, "arguments": arguments})
        })
        .collect();
    let bindings: Vec<Value> = plan
        .bindings
        .iter()
        .map(|b| json!({"source": b.exchange, "vhost": vhost, "destination": b.queue, "destination_type": "queue", "routing_key": b.routing_key, "arguments": {}}))
        .collect();
    json!({"exchanges": exchanges, "queues": queues, "bindings": bindings})
}

pub fn print(config: &Config, vhost: &str) -> Result<()> {
    say!(
        "{}",
        serde_json::to_string_pretty(&definitions(config, vhost))?
    );
    Ok(())
}
