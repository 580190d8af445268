//! Reading: route's readers parse and coerce leads from bytes already in
//! memory, no routing — the floor under `route eval` end to end.
//! Workloads and environment: `benches/common/mod.rs`.
//!
//! Groups: `read_csv/100k`, `read_jsonl/100k` (throughput in leads).
#![allow(clippy::unwrap_used, reason = "benchmark harness on generated workloads: failing loudly is right")]

mod common;

use std::hint::black_box;
use std::io::{BufRead, Cursor};
use std::time::Duration;

use criterion::{Criterion, Throughput};
use route::io::{leads, InputFormat};

use common::{head_bytes, label, leads_wanted, load_program, Workloads};

fn benches(c: &mut Criterion, work: &Workloads) {
    // Every rule set has the same schema: the first one's serves.
    let Some((_, path)) = work.rules.first() else {
        eprintln!("bench: no rule sets selected (ROUTE_BENCH_RULES), nothing to measure");
        return;
    };
    let program = load_program(path);
    let csv = head_bytes(&work.csv, leads_wanted(), true);
    let jsonl = head_bytes(&work.jsonl, leads_wanted(), false);
    for (name, (bytes, records), format) in
        [("read_csv", csv, InputFormat::Csv), ("read_jsonl", jsonl, InputFormat::Jsonl)]
    {
        let mut group = c.benchmark_group(name);
        group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
        group.throughput(Throughput::Elements(records as u64));
        group.bench_function(label(records), |b| {
            b.iter(|| {
                let input: Box<dyn BufRead + Send + '_> = Box::new(Cursor::new(black_box(bytes.as_slice())));
                leads(&program.schema, input, format).unwrap().filter(|r| r.lead.is_ok()).count()
            });
        });
        group.finish();
    }
}

fn main() {
    common::run(benches);
}
