//! One article's journey is one trace: spans from every stage reach an OTLP/HTTP collector under the submission's trace id.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::collections::BTreeMap;

use crate::support::needs;
use crate::support::{PATIENCE, TestEnv, Worker, example_article_path};
use gazette_broker::{Exchange, Outbound, Publisher, TRACEPARENT, ensure_topology};
use gazette_contract::{CONTENT_TYPE, EventType};
use gazette_stages::{Part, specs_of};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const TRACE_ID: [u8; 16] = [
    0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36,
];

/// A minimal OTLP/HTTP receiver: answers every POST with 200 and hands its body over.
async fn collector() -> (String, mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut chunk = [0u8; 8192];
                // Read the head, then exactly Content-Length bytes of body.
                let (head_end, length) = loop {
                    let n = stream.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&chunk[..n]);
                    if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&request[..end]).to_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                };
                while request.len() < head_end + length {
                    let n = stream.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&chunk[..n]);
                }
                let path = String::from_utf8_lossy(&request)
                    .split(' ')
                    .nth(1)
                    .unwrap_or("")
                    .to_owned();
                let _ = sender.send((path, request[head_end..].to_vec()));
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await;
            });
        }
    });
    (endpoint, receiver)
}

fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stage_exports_spans_under_the_submissions_trace() {
    needs!(RabbitMq, Garage);
    let (endpoint, mut exports) = collector().await;
    let mut env = TestEnv::start("otlp").await;
    env.extra_env
        .push(("GAZETTE_OTLP_ENDPOINT".to_owned(), endpoint));
    ensure_topology(&env.settings, &specs_of(Part::Pipeline))
        .await
        .unwrap();
    let mut events = env.tap(&[EventType::Published.as_str()]).await;
    let mut up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));

    let article: serde_json::Value =
        serde_json::from_slice(&std::fs::read(example_article_path()).unwrap()).unwrap();
    let body = gazette_testkit::events::Event::submitted(&article)
        .id("traced-1")
        .source("/test")
        .to_bytes();
    let publisher = Publisher::connect(&env.settings, "test").await.unwrap();
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    publisher
        .publish(&Outbound {
            exchange: Exchange::Events,
            routing_key: EventType::Submitted.as_str().to_owned(),
            body,
            message_id: "traced-1".to_owned(),
            correlation_id: None,
            content_type: CONTENT_TYPE,
            content_encoding: None,
            headers: BTreeMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]),
        })
        .await
        .unwrap();
    assert!(
        events.next(PATIENCE).await.unwrap().is_some(),
        "the article was published"
    );

    // Stopping flushes the batch exporter.
    assert!(up.terminate().success());
    let mut spans_in_trace = 0;
    while let Ok(Some((path, body))) =
        tokio::time::timeout(std::time::Duration::from_secs(5), exports.recv()).await
    {
        assert_eq!(path, "/v1/traces");
        spans_in_trace += occurrences(&body, &TRACE_ID);
    }
    // One span per stage at least: validate, render and publish each handled a message of this trace.
    assert!(
        spans_in_trace >= 3,
        "the collector saw {spans_in_trace} spans of the submission's trace"
    );
    publisher.close().await;
    events.close().await;
    env.teardown().await;
}
