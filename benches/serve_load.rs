//! A small load generator for `route serve` (docs/performance.md, "route
//! serve"): keep-alive HTTP/1.1 connections over loopback, an open-loop
//! schedule at a fixed rate (latency is measured from when each request
//! was due, so a stalled server cannot hide its queue), bounded in
//! connections and time.
//!
//! ```text
//! cargo bench --bench serve_load -- URL LEADS.jsonl RATE SECONDS [CONNECTIONS]
//! ```
//!
//! Each lead is sent with a fresh id (`B<n>`), so every request is a new
//! assignment, never an idempotent replay.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a benchmark tool may fail loudly")]

use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.len() < 4 {
        eprintln!("usage: serve_load URL LEADS.jsonl RATE SECONDS [CONNECTIONS]");
        std::process::exit(2);
    }
    let url = format!("{}/v1/route", args[0].trim_end_matches('/'));
    let leads: Vec<serde_json::Map<String, serde_json::Value>> =
        std::fs::read_to_string(&args[1]).unwrap().lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let rate: f64 = args[2].parse().unwrap();
    let seconds: f64 = args[3].parse().unwrap();
    let connections: usize = args.get(4).map_or(32, |c| c.parse().unwrap()).clamp(1, 256);
    let total = (rate * seconds) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate);
    // The leads are shared, not copied per connection, and the schedule
    // starts only when every connection's thread is ready: copying 100,000
    // leads 32 times took longer than the run and made every request late.
    let leads = std::sync::Arc::new(leads);
    let ready = std::sync::Arc::new(std::sync::Barrier::new(connections + 1));
    let (start_tx, start_rx) = std::sync::mpsc::channel::<Instant>();
    let start_rx = std::sync::Arc::new(std::sync::Mutex::new(start_rx));
    let threads: Vec<_> = (0..connections)
        .map(|c| {
            let (url, leads) = (url.clone(), std::sync::Arc::clone(&leads));
            let (ready, start_rx) = (std::sync::Arc::clone(&ready), std::sync::Arc::clone(&start_rx));
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(10)))
                    .build()
                    .into();
                ready.wait();
                let start = start_rx.lock().unwrap().recv().unwrap();
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                for n in (c..total).step_by(connections) {
                    let due = start + interval * u32::try_from(n).unwrap();
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let mut lead = leads[n % leads.len()].clone();
                    lead.insert("id".into(), serde_json::Value::String(format!("B{n}")));
                    let body = serde_json::Value::Object(lead).to_string();
                    let response = agent.post(&url).header("content-type", "application/json").send(&body);
                    match response {
                        Ok(mut r) if r.status() == 200 => {
                            let _ = r.body_mut().read_to_string();
                        }
                        _ => errors += 1,
                    }
                    latencies.push(due.elapsed());
                }
                (latencies, errors)
            })
        })
        .collect();
    ready.wait();
    let start = Instant::now() + Duration::from_millis(50);
    for _ in 0..connections {
        start_tx.send(start).unwrap();
    }
    let mut latencies = Vec::with_capacity(total);
    let mut errors = 0;
    for thread in threads {
        let (l, e) = thread.join().unwrap();
        latencies.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
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
