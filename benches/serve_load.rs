//! A small load generator for `route serve` (docs/performance.md, "route
//! serve"): keep-alive HTTP/1.1 connections over loopback, an open-loop
//! schedule at a fixed rate, bounded in connections and time.
//!
//! ```text
//! cargo bench --bench serve_load -- URL LEADS.jsonl RATE SECONDS [CONNECTIONS]
//! ```
//!
//! Each lead is sent with a fresh id (`B<n>`), so every request is a new
//! assignment, never an idempotent replay.
//!
//! It runs every connection on one thread (a single-threaded tokio
//! runtime), so that on a two-core machine the generator leaves a core to
//! the server: the earlier version, one OS thread per connection, spent as
//! much CPU on waking its own threads as the server spent routing.
//!
//! **What a latency is.** Request `n` is due at `start + n / RATE`. When
//! its connection is still waiting for the previous answer at that time,
//! the wait is the server's doing and is counted (latency runs from the
//! due time, so a queue in the server shows up in the percentiles instead
//! of slowing the schedule down). When the connection is idle, the request
//! goes out when the runtime's timer fires, up to a millisecond after it
//! was due; that slack is the generator's, so latency then runs from the
//! moment the request was sent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a benchmark tool may fail loudly")]

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.len() < 4 {
        eprintln!("usage: serve_load URL LEADS.jsonl RATE SECONDS [CONNECTIONS]");
        std::process::exit(2);
    }
    let address = args[0].trim_end_matches('/').trim_start_matches("http://").to_string();
    let leads = Arc::new(bodies(&std::fs::read_to_string(&args[1]).unwrap()));
    let rate: f64 = args[2].parse().unwrap();
    let seconds: f64 = args[3].parse().unwrap();
    let connections: usize = args.get(4).map_or(32, |c| c.parse().unwrap()).clamp(1, 256);
    let total = (rate * seconds) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (latencies, errors, elapsed) = runtime.block_on(async move {
        let start = Instant::now() + Duration::from_millis(50);
        let tasks: Vec<_> = (0..connections)
            .map(|c| {
                let (address, leads) = (address.clone(), Arc::clone(&leads));
                let schedule = (c..total).step_by(connections).map(move |n| (n, start + interval * n as u32));
                tokio::spawn(async move { connection(&address, &leads, schedule).await })
            })
            .collect();
        let mut latencies = Vec::with_capacity(total);
        let mut errors = 0;
        for task in tasks {
            let (l, e) = task.await.unwrap();
            latencies.extend(l);
            errors += e;
        }
        (latencies, errors, start.elapsed().as_secs_f64())
    });
    report(latencies, errors, elapsed, rate);
}

/// Each lead's JSON object without its `id` and without the opening brace,
/// ready for `{"id":"B<n>",` to be put in front.
fn bodies(jsonl: &str) -> Vec<String> {
    jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(l).ok())
        .map(|mut lead| {
            lead.remove("id");
            let text = serde_json::Value::Object(lead).to_string();
            text.strip_prefix('{').unwrap().to_string()
        })
        .collect()
}

/// One keep-alive connection sending its share of the schedule in turn;
/// its latencies and how many requests failed.
async fn connection(
    address: &str,
    leads: &[String],
    schedule: impl Iterator<Item = (usize, Instant)>,
) -> (Vec<Duration>, usize) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    let mut buffer = Vec::with_capacity(4096);
    let mut request = Vec::with_capacity(1024);
    for (n, due) in schedule {
        let idle = Instant::now() <= due;
        tokio::time::sleep_until(due).await;
        let sent = Instant::now();
        let body = format!("{{\"id\":\"B{n}\",{}", leads[n % leads.len()]);
        request.clear();
        request.extend_from_slice(
            format!(
                "POST /v1/route HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        request.extend_from_slice(body.as_bytes());
        stream.write_all(&request).await.unwrap();
        match read_response(&mut stream, &mut buffer).await {
            Some(200) => {}
            _ => errors += 1,
        }
        latencies.push(Instant::now() - if idle { sent } else { due });
    }
    (latencies, errors)
}

/// Reads one response (headers, then `content-length` bytes of body);
/// its status.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<u16> {
    buffer.clear();
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = response.parse(buffer).ok()? {
            let length: usize = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                .unwrap_or(0);
            let status = response.code?;
            while buffer.len() < head + length {
                read_more(stream, buffer).await?;
            }
            return Some(status);
        }
        read_more(stream, buffer).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await.ok()?;
    (n > 0).then(|| buffer.extend_from_slice(&chunk[..n]))
}

fn report(mut latencies: Vec<Duration>, errors: usize, elapsed: f64, rate: f64) {
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "requests {} errors {} in {:.2} s: {:.0} req/s (target {rate:.0}); latency ms p50 {:.3} p99 {:.3} p99.9 {:.3} max {:.3}",
        latencies.len(),
        errors,
        elapsed,
        latencies.len() as f64 / elapsed,
        ms(at(0.50)),
        ms(at(0.99)),
        ms(at(0.999)),
        ms(at(1.0)),
    );
}
