//! End to end minus the files: what `route eval` does per lead — read,
//! match, distribute, write a JSONL decision (to `io::sink()`) — from
//! bytes already in memory, for every rule set and both input formats.
//! Workloads and environment: `benches/common/mod.rs`. Whole-process
//! figures of `route eval` on the files are in docs/performance.md.
//!
//! Groups: `end_to_end_csv/{100,1000,10000}`, `end_to_end_jsonl/{...}`
//! (throughput in leads).
#![allow(clippy::unwrap_used, reason = "benchmark harness on generated workloads: failing loudly is right")]

mod common;

use std::hint::black_box;
use std::io::{BufRead, Cursor, Write};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use route::check::Program;
use route::compile::{compile, Dag};
use route::eval::{Roster, Router};
use route::io::{leads, DecisionWriter, InputFormat, OutputFormat};

use common::{budget, head_bytes, leads_wanted, Workloads};

fn now() -> jiff::Timestamp {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

/// Reads, routes and writes every record of `bytes`.
fn eval(program: &Program, dag: &Dag, roster: &Roster, bytes: &[u8], format: InputFormat) {
    let mut router = Router::new(program, dag, roster, now(), 0);
    let mut writer = DecisionWriter::new(std::io::sink(), OutputFormat::Jsonl);
    let input: Box<dyn BufRead + '_> = Box::new(Cursor::new(bytes));
    for record in leads(&program.schema, input, format).unwrap() {
        let id = record.id.clone().unwrap_or_else(|| record.record.to_string());
        let decision = match record.lead {
            Ok(lead) => router.route(id, &lead),
            Err(error) => router.route_invalid(id, error),
        };
        writer.write(&decision).unwrap();
    }
    writer.finish().unwrap().flush().unwrap();
}

fn benches(c: &mut Criterion, work: &Workloads) {
    let programs = work.programs();
    let dags: Vec<Dag> = programs.iter().map(|(_, p)| compile(p, budget(p))).collect();
    let roster = Roster::default();
    let csv = head_bytes(&work.csv, leads_wanted(), true);
    let jsonl = head_bytes(&work.jsonl, leads_wanted(), false);
    for (name, (bytes, records), format) in
        [("end_to_end_csv", csv, InputFormat::Csv), ("end_to_end_jsonl", jsonl, InputFormat::Jsonl)]
    {
        let mut group = c.benchmark_group(name);
        group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
        group.throughput(Throughput::Elements(records as u64));
        for ((n, program), dag) in programs.iter().zip(&dags) {
            group.bench_function(BenchmarkId::from_parameter(n), |b| {
                b.iter(|| eval(program, dag, &roster, black_box(bytes.as_slice()), format));
            });
        }
        group.finish();
    }
}

fn main() {
    common::run(benches);
}
