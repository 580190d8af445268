//! Matching in memory: `Dag::route` over leads already read, the figure
//! ARCHITECTURE.md's "matching in memory" targets (25 / 10 / 5 M leads/s at
//! 100 / 1,000 / 10,000 rules) are about; then the oracle, and the compile
//! and check times. Workloads and environment: `benches/common/mod.rs`.
//!
//! Groups:
//! - `match_in_memory/{100,1000,10000}`: `Dag::route` (the bitset filter),
//!   per lead;
//! - `walk_in_memory/{100,1000,10000}`: `Dag::walk`, the DAG alone;
//! - `reference/{100,1000}`: the slow first-match oracle on 10,000 leads;
//! - `compile/{100,1000,10000}`: checked program to the full DAG and
//!   filter (what `route check`'s analyses walk);
//! - `compile_for_routing/{100,1000,10000}`: the filter and a small DAG
//!   beside it (what `route eval` and `route serve` build);
//! - `check/10000`: parse + check of the 10,000-rule file.
//!
//! With `ROUTE_BENCH_RESULT=r{N}` it instead makes the peer harness's
//! in-memory measurement ([`peer_result`]) and prints its `RESULT` line.
//!
//! Before measuring it prints per rule set the DAG's [`Stats`], the peak
//! heap the compile took (a counting allocator) and where the leads' walks
//! end: switches passed, the share ending in a `Rules` node, how long those
//! lists are and how many candidates the filters leave to evaluate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness on generated workloads, not user input: failing loudly is the right thing"
)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use route::check::{check_file, Program};
use route::compile::{compile, compile_for_routing, Dag, Edge, Node, NodeId, Stats};
use route::eval::reference;
use route::io::InputFormat;
use route::schema::{Lead, Value};

use common::{budget, head_bytes, leads_wanted, read_leads, Workloads};

/// Leads the oracle is timed on (it is slow; the figure is per lead anyway).
const REFERENCE_LEADS: usize = 10_000;

/// The system allocator, counting the bytes live and their peak, so that
/// the bench can say how much memory a compile takes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only counters are
// added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Compiles, returning the DAG, the wall time and the peak heap above what
/// was live before.
fn measured_compile(program: &Program) -> (Dag, Duration, usize) {
    measured(|| compile(program, budget(program)))
}

/// What `build` returns, with its wall time and the peak heap it took
/// above what was live before.
fn measured<T>(build: impl FnOnce() -> T) -> (T, Duration, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let start = Instant::now();
    let built = build();
    let took = start.elapsed();
    (built, took, PEAK.load(Ordering::Relaxed).saturating_sub(before))
}

/// Where the leads' walks through a DAG end (see [`walk`]).
#[derive(Default)]
struct Walks {
    leads: usize,
    /// Switch and test nodes passed, over all leads.
    steps: usize,
    /// Leads whose walk ends in a `Rules` node.
    in_rules: usize,
    /// Candidates of the `Rules` nodes reached, over those leads.
    rules_len: usize,
    /// Candidates a scan tries there until one holds, over those leads.
    tried: usize,
    /// Leads for which this walk's answer differs from `Dag::route`'s.
    disagree: usize,
}

/// Walks `lead` down the DAG through its public view (`node`, `edges`,
/// `holds`), counting what it passes: slow (`edges` allocates), for the
/// statistics only; `Dag::route` is what is measured.
fn walk(dag: &Dag, program: &Program, lead: &Lead, walks: &mut Walks) {
    let mut id = dag.root();
    let answer = loop {
        let Some(node) = dag.node(id) else { break dag.route(lead, &program.lookups) };
        let value = match *node {
            Node::NoMatch => break None,
            Node::Match(rule) => break Some(rule),
            Node::Rules { candidates } => {
                let list = dag.candidates(candidates);
                let first = list.iter().position(|c| dag.holds(c.cond, lead, &program.lookups));
                walks.in_rules += 1;
                walks.rules_len += list.len();
                walks.tried += first.map_or(list.len(), |i| i + 1);
                break first.and_then(|i| list.get(i)).map(|c| c.rule);
            }
            Node::Test { atom, then, otherwise } => {
                walks.steps += 1;
                let holds = dag.atom(atom).is_some_and(|a| a.test.holds(lead.get(a.field()), &program.lookups));
                id = if holds { then } else { otherwise };
                continue;
            }
            Node::Enum { field, .. }
            | Node::Bool { field, .. }
            | Node::Str { field, .. }
            | Node::Interval { field, .. } => lead.get(field),
        };
        walks.steps += 1;
        match child(dag, id, value) {
            Some(next) => id = next,
            None => break dag.route(lead, &program.lookups),
        }
    };
    walks.leads += 1;
    if answer != dag.route(lead, &program.lookups) {
        walks.disagree += 1;
    }
}

/// The child of switch `id` that `value` takes.
fn child(dag: &Dag, id: NodeId, value: &Value) -> Option<NodeId> {
    let edges = dag.edges(id);
    let taken = edges.iter().find(|(edge, _)| match (edge, value) {
        (Edge::Absent, Value::Absent) => true,
        (Edge::Enum(i), Value::Enum(j)) => u64::from(*i) == u64::from(*j),
        (Edge::Bool(b), Value::Bool(c)) => b == c,
        (Edge::Str(s), Value::Str(t)) => *s == &**t,
        (Edge::Interval { lo, hi }, Value::Int(_) | Value::Float(_)) => {
            value.as_number().is_some_and(|x| lo.is_none_or(|lo| x >= lo) && hi.is_none_or(|hi| x < hi))
        }
        _ => false,
    });
    let other = || edges.iter().find(|(edge, _)| matches!(edge, Edge::OtherStr) && matches!(value, Value::Str(_)));
    taken.or_else(other).map(|(_, to)| *to)
}

fn print_stats(n: usize, program: &Program, dag: &Dag, took: Duration, heap: usize, leads: &[Lead]) {
    let Stats {
        nodes,
        built,
        depth,
        switches,
        intervals,
        tests,
        rules_nodes,
        rules_candidates,
        leaves,
        budget_hit,
        filters,
        filter_words,
        filter_splits,
        filter_leaves,
        filter_verified,
        filter_budget_hit,
        work,
        ..
    } = dag.stats();
    let mut walks = Walks::default();
    for lead in leads {
        walk(dag, program, lead, &mut walks);
    }
    let per_lead = |x: usize| x as f64 / walks.leads.max(1) as f64;
    eprintln!(
        "bench: rules={n} budget={}: compile {:.3} s, peak heap {:.1} MiB; nodes={nodes} built={built} depth={depth} \
         switches={switches} intervals={intervals} tests={tests} rules_nodes={rules_nodes} \
         rules_candidates={rules_candidates} leaves={leaves} budget_hit={budget_hit} work={work} \
         filters={filters} filter_words={filter_words} filter_splits={filter_splits} \
         filter_leaves={filter_leaves} filter_verified={filter_verified} filter_budget_hit={filter_budget_hit}",
        budget(program).max_nodes,
        took.as_secs_f64(),
        heap as f64 / (1024.0 * 1024.0),
    );
    eprintln!(
        "bench: rules={n} per lead: {:.2} switches passed; {:.1}% end in a Rules node, of {:.1} candidates \
         (mean) where a scan tries {:.1}{}",
        per_lead(walks.steps),
        100.0 * per_lead(walks.in_rules),
        walks.rules_len as f64 / walks.in_rules.max(1) as f64,
        walks.tried as f64 / walks.in_rules.max(1) as f64,
        if walks.disagree > 0 {
            format!("; WALK DISAGREES WITH Dag::route ON {} LEADS", walks.disagree)
        } else {
            String::new()
        }
    );
}

fn route_all(dag: &Dag, program: &Program, leads: &[Lead]) -> usize {
    leads.iter().filter(|lead| dag.route(lead, &program.lookups).is_some()).count()
}

/// The DAG walk alone, the bitset filter left aside.
fn walk_all(dag: &Dag, program: &Program, leads: &[Lead]) -> usize {
    leads.iter().filter(|lead| dag.walk(lead, &program.lookups).is_some()).count()
}

fn benches(c: &mut Criterion, work: &Workloads) {
    let (csv, csv_leads) = head_bytes(&work.csv, leads_wanted(), true);
    let programs = work.programs();
    let Some((_, small)) = programs.first() else {
        eprintln!("bench: no rule sets selected (ROUTE_BENCH_RULES), nothing to measure");
        return;
    };
    let in_memory = read_leads(small, &csv, InputFormat::Csv);
    eprintln!("bench: {} leads in memory ({} CSV records read)", in_memory.len(), csv_leads);
    let mut dags = Vec::with_capacity(programs.len());
    for (n, program) in &programs {
        let (dag, took, heap) = measured_compile(program);
        print_stats(*n, program, &dag, took, heap, &in_memory);
        dags.push(dag);
    }

    // (a) The DAG walk alone.
    let mut group = c.benchmark_group("match_in_memory");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(in_memory.len() as u64));
    for ((n, program), dag) in programs.iter().zip(&dags) {
        group.bench_with_input(BenchmarkId::from_parameter(n), &in_memory, |b, leads| {
            b.iter(|| route_all(dag, program, black_box(leads)));
        });
    }
    group.finish();

    // (a') The DAG walk without the filter, for comparison.
    let mut group = c.benchmark_group("walk_in_memory");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(in_memory.len() as u64));
    for ((n, program), dag) in programs.iter().zip(&dags) {
        group.bench_with_input(BenchmarkId::from_parameter(n), &in_memory, |b, leads| {
            b.iter(|| walk_all(dag, program, black_box(leads)));
        });
    }
    group.finish();

    // (b) The oracle, on a prefix of the same leads.
    let few = &in_memory[..in_memory.len().min(REFERENCE_LEADS)];
    let mut group = c.benchmark_group("reference");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(few.len() as u64));
    for (n, program) in programs.iter().filter(|(n, _)| *n <= 1_000) {
        group.bench_with_input(BenchmarkId::from_parameter(n), few, |b, leads| {
            b.iter(|| leads.iter().filter(|lead| reference::first_match(program, lead).is_some()).count());
        });
    }
    group.finish();

    // (c) Compile and check times.
    let mut group = c.benchmark_group("compile");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    for (n, program) in &programs {
        group.bench_with_input(BenchmarkId::from_parameter(n), program, |b, program| {
            b.iter_batched(|| budget(program), |budget| compile(program, budget), BatchSize::SmallInput);
        });
    }
    group.finish();

    // What `route eval` builds (the filter, a small DAG beside it).
    let mut group = c.benchmark_group("compile_for_routing");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    for (n, program) in &programs {
        group.bench_with_input(BenchmarkId::from_parameter(n), program, |b, program| {
            b.iter(|| compile_for_routing(program));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("check");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    for (n, path) in work.rules.iter().filter(|(n, _)| *n == 10_000) {
        group.bench_with_input(BenchmarkId::from_parameter(n), path, |b, path| {
            b.iter(|| check_file(path).unwrap().program.is_some());
        });
    }
    group.finish();
}

/// The peer harness's in-memory measurement (`native --mode mem`), for
/// interleaved runs beside it: every lead of the CSV (`ROUTE_BENCH_LEADS`,
/// default all) read first, untimed; then `ROUTE_BENCH_REPEAT` (default 3)
/// timed passes of `Dag::route` over all of them, and the median pass as
/// the peers' `RESULT` line on stderr.
fn peer_result(rules: &str) {
    let work = Workloads::locate().unwrap();
    let n: usize = rules.trim_start_matches('r').parse().unwrap();
    let (_, path) = work.rules.iter().find(|(m, _)| *m == n).expect("ROUTE_BENCH_RULES must include the rule set");
    let program = common::load_program(path);
    let limit = std::env::var("ROUTE_BENCH_LEADS").ok().and_then(|v| v.parse().ok()).unwrap_or(usize::MAX);
    let (csv, _) = head_bytes(&work.csv, limit, true);
    let leads = read_leads(&program, &csv, InputFormat::Csv);
    drop(csv);
    let (dag, took, heap) = measured_compile(&program);
    eprintln!("compile: {:.3} s, peak heap {:.1} MiB, {:?}", took.as_secs_f64(), heap as f64 / 1048576.0, dag.stats());
    // What `route eval` and `route serve` build: the filter and a small
    // DAG beside it (the full DAG above is what the analyses walk).
    let (_, took, heap) = measured(|| compile_for_routing(&program));
    eprintln!("compile for routing: {:.3} s, peak heap {:.1} MiB", took.as_secs_f64(), heap as f64 / 1048576.0);
    // `ROUTE_BENCH_WALK=1`: time the DAG walk alone instead.
    let walk = std::env::var_os("ROUTE_BENCH_WALK").is_some();
    let repeat = std::env::var("ROUTE_BENCH_REPEAT").ok().and_then(|v| v.parse().ok()).unwrap_or(3usize);
    let mut secs: Vec<f64> = (0..repeat.max(1))
        .map(|_| {
            let start = Instant::now();
            if walk {
                black_box(walk_all(&dag, &program, black_box(&leads)));
            } else {
                black_box(route_all(&dag, &program, black_box(&leads)));
            }
            start.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    let median = secs[secs.len() / 2];
    let rate = leads.len() as f64 / median;
    eprintln!(
        "RESULT tool={} mode=mem format=csv rules={n} leads={} secs={median:.6} leads_per_sec={rate:.1} ns_per_lead={:.2}",
        if walk { "route-walk" } else { "route" },
        leads.len(),
        1e9 / rate
    );
}

fn main() {
    // `ROUTE_BENCH_RESULT=r1000`: one peer-style measurement instead of
    // the criterion groups.
    match std::env::var("ROUTE_BENCH_RESULT") {
        Ok(rules) => peer_result(&rules),
        Err(_) => common::run(benches),
    }
}
