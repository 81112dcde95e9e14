//! A minimal HTTP/1.1 client, enough to poll a worker's `/readyz` and call the subscription API without pulling in an HTTP client.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `(status, body)` of `GET path`, or `None` if nothing listens yet or the answer is not HTTP.
pub async fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    http_request(addr, "GET", path, &[], "").await
}

/// `(status, body)` of any request; `headers` are `Name: value` lines' parts.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// Ports below Linux's default ephemeral range (32768–60999): the kernel
/// hands ephemeral ports to every outgoing connection too (each worker opens
/// several to RabbitMQ), so a port taken from there could be gone by the
/// time the process that was given it binds it. Seen in the fault suite.
const QUIET_PORTS: std::ops::Range<u16> = 20_000..32_768;

/// Ports this process has handed out. Nobody holds a port between the draw
/// and the bind of the process it was given to, so two draws could name
/// the same one: seen in the fault suite, where one of six workers given
/// the same port failed to start and the other answered its readiness.
static HANDED_OUT: std::sync::Mutex<std::collections::BTreeSet<u16>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// A loopback address nothing listens on right now and that this process
/// has not handed out before, for a process to bind.
pub fn free_local_addr() -> std::io::Result<SocketAddr> {
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..200 {
        let port = rand::random_range(QUIET_PORTS);
        if handed_out.contains(&port) {
            continue;
        }
        if let Ok(listener) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            handed_out.insert(port);
            return listener.local_addr();
        }
    }
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    handed_out.insert(addr.port());
    Ok(addr)
}

/// `count` distinct free loopback ports, for a server with several listeners.
/// Distinct because `free_local_addr` never hands out a port twice.
pub fn free_ports(count: usize) -> std::io::Result<Vec<u16>> {
    (0..count)
        .map(|_| free_local_addr().map(|addr| addr.port()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_port_is_handed_out_twice() {
        // 2,000 draws from 12,768 ports would repeat one about 150 times by chance.
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2_000 {
            let port = free_local_addr().map(|addr| addr.port());
            assert!(
                port.as_ref().is_ok_and(|port| seen.insert(*port)),
                "{port:?}"
            );
        }
    }
}
