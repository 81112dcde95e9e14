//! The integration suites, one module each, in one test binary: built and linked once.
//!
//! They talk to the real RabbitMQ, Garage, PostgreSQL, SMTP server, Chromium
//! and Hugo that `scripts/test` starts or installs. Tests whose names start
//! with `fault_` stop or restart those shared services, so `scripts/test`
//! runs them on their own, one at a time, after the rest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

mod support;

mod asyncapi;
mod bench;
mod broken_input;
mod browser;
mod cli;
mod cluster_faults;
mod compressed;
mod config;
mod deploy;
mod dlq;
mod faults;
mod kubernetes;
mod listing;
mod media;
mod media_hop;
mod media_page;
mod notify;
mod operating;
mod operations;
mod permissions;
mod pipeline;
mod preview;
mod scaling;
mod schedule;
mod search;
mod site;
mod site_upgrade;
mod slugs;
mod store;
mod subscriptions;
mod tap;
mod terminal;
mod tidy;
mod traces;
mod trust;
mod views;
