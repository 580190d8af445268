//! End to end minus the files: what `route eval` does per lead — read,
//! derive (nothing to fill on these rules), match, distribute, write a
//! JSONL decision (to `io::sink()`) — from bytes already in memory, for
//! every rule set and both input formats ([`common::eval`]).
//! Workloads and environment: `benches/common/mod.rs`. Whole-process
//! figures of `route eval` on the files are in docs/performance.md.
//!
//! Groups: `end_to_end_csv/{100,1000,10000}`, `end_to_end_jsonl/{...}`
//! (throughput in leads).
#![allow(clippy::unwrap_used, reason = "benchmark harness on generated workloads: failing loudly is right")]

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use route::compile::{compile, Dag};
use route::eval::Roster;
use route::io::InputFormat;

use common::{budget, eval, head_bytes, leads_wanted, Workloads};

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
