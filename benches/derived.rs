//! Derived values: workloads whose rules test values computed from the lead
//! before it is matched — date tests relative to the routing instant and
//! table columns — beside the plain 100-rule workload in the same run, so
//! that their figures read as a ratio. Workloads and environment:
//! `benches/common/mod.rs`.
//!
//! Workloads (all on the 100-rule set and the first `ROUTE_BENCH_LEADS`
//! leads of the CSV):
//! - `plain`: the rules and leads as generated;
//! - `dates`: `scripts/gen_dates.py` — a dozen date rules first
//!   (`before`/`after`, ranges, `within`, working hours), the same leads with
//!   an ISO 8601 `created_at` and a `%m/%d/%Y` `last_activity`;
//! - `tables`: a table of [`TABLE_ROWS`] accounts keyed by `account_id`
//!   (written with its rules to the scratch directory under `/tmp`) and a
//!   dozen rules on `accounts[account_id].COLUMN` first, among them
//!   `rep accounts[account_id].owner` and a `within` on a date column; the
//!   plain leads.
//!
//! Groups, each with the functions its workload has (throughput in leads):
//! - `read_csv` (`plain`, `dates`): reading and coercing from bytes in
//!   memory — the dates' cost of parsing two date columns;
//! - `derive_and_match`: `Program::derive` then `Dag::route` over leads
//!   already read (nothing to derive for `plain`);
//! - `end_to_end_csv`: [`common::eval`], `route eval` minus the files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark harness on generated workloads, not user input: failing loudly is the right thing"
)]

mod common;

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::{BufRead, Cursor};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput};
use route::check::Program;
use route::compile::{compile, Dag};
use route::eval::Roster;
use route::io::{leads, InputFormat};
use route::schema::Lead;

use common::{budget, eval, head_bytes, leads_wanted, load_program, now, read_leads, Workloads};

/// Rows of the accounts table: every other account id from the first
/// (`A0001001`, `A0001003`, ... `A0010999`), about a quarter of the 21,953
/// accounts of the first 100,000 generated leads.
const TABLE_ROWS: usize = 5_000;

/// The tables workload's table declaration and rules, put before the
/// generated rules.
const TABLE_RULES: &str = r#"# Table rules (benches/derived.rs)
table accounts from "accounts.csv" key account_id {
  tier: "gold" | "silver" | "bronze"
  owner: string
  seats: int
  arr: float
  renewal: date
  strategic: bool
  segment: string?
}

when accounts[account_id].tier == "gold" and accounts[account_id].strategic -> rep accounts[account_id].owner else fallback t0
when accounts[account_id].renewal within 30 days and accounts[account_id].arr > 500_000.0 -> rep accounts[account_id].owner else fallback t0
when accounts[account_id].tier == "silver" and region == "EMEA" and accounts[account_id].seats >= 500 -> team t1
when accounts[account_id].seats > 2_000 and employees < 100 -> team t2
when accounts[account_id].owner ends_with "b@acme.io" and score >= 70 -> team t3
when accounts[account_id].renewal before 2026-01-01 and accounts[account_id].tier == "bronze" and score < 30 -> team t4
when accounts[account_id].arr >= 1_000_000.0 and product == "security" -> team t5
when accounts[account_id].tier in ["gold", "silver"] and industry == "finance" -> team t6
when accounts[account_id].segment == "public" and region == "NA" -> team t7
when is_customer and not (account_id in accounts) and score >= 90 -> team t8
when accounts[account_id].segment starts_with "mid" and accounts[account_id].seats < 50 -> team t9
when accounts[account_id].renewal >= 2026-12-01 and accounts[account_id].renewal <= 2026-12-31 and employees > 1_000 -> team t10
"#;

/// The accounts table: deterministic, its cells drawn from a hash of the
/// row number.
fn accounts_csv() -> String {
    let mut csv = String::from("account_id,tier,owner,seats,arr,renewal,strategic,segment\n");
    for row in 0..TABLE_ROWS {
        let h = mix(row as u64);
        let tier = ["gold", "silver", "bronze", "bronze"][(h % 4) as usize];
        let owner = format!("rep{}{}@acme.io", (h >> 8) % 32, if (h >> 13).is_multiple_of(3) { 'b' } else { 'a' });
        let seats = 1 + (h >> 16) % 5_000;
        let arr = ((h >> 28) % 300_000_000) as f64 / 100.0;
        // Renewals from 200 days before the routing instant (2026-11-25) to
        // 200 days after it.
        let renewal =
            jiff::civil::date(2026, 11, 25).checked_add(jiff::Span::new().days((h >> 40) as i64 % 401 - 200)).unwrap();
        let strategic = (h >> 50).is_multiple_of(5);
        let segment = ["", "public", "mid-market", "mid-enterprise", "smb"][((h >> 54) % 5) as usize];
        let id = 1_001 + 2 * row;
        writeln!(csv, "A{id:07},{tier},{owner},{seats},{arr:.2},{renewal},{strategic},{segment}").unwrap();
    }
    csv
}

/// splitmix64's finaliser.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Writes the tables workload's rules and table into the scratch
/// directory and returns the rules' path.
fn tables_workload(work: &Workloads, base: &Path) -> Result<PathBuf, String> {
    let text = std::fs::read_to_string(base).map_err(|e| e.to_string())?;
    let at = text.find("\nwhen ").ok_or("the 100-rule set has no `when` rule")? + 1;
    let dir = work.scratch()?;
    std::fs::write(dir.join("accounts.csv"), accounts_csv()).map_err(|e| e.to_string())?;
    let rules = dir.join("r100_tables.route");
    std::fs::write(&rules, format!("{}{TABLE_RULES}\n{}", &text[..at], &text[at..])).map_err(|e| e.to_string())?;
    Ok(rules)
}

/// One workload: its program, DAG, CSV bytes and leads read from them.
struct Workload {
    name: &'static str,
    program: Program,
    dag: Dag,
    csv: Vec<u8>,
    records: usize,
    leads: Vec<Lead>,
}

impl Workload {
    fn load(name: &'static str, rules: &Path, leads_path: &Path, base_rules: usize) -> Workload {
        let program = load_program(rules);
        let dag = compile(&program, budget(&program));
        let (csv, records) = head_bytes(leads_path, leads_wanted(), true);
        let leads = read_leads(&program, &csv, InputFormat::Csv);
        // How many leads the rules put before the generated ones take: a
        // derived workload whose rules never hold would measure little.
        let added = program.rules.len().saturating_sub(base_rules);
        let mut derived = leads.clone();
        let first = derived
            .iter_mut()
            .filter_map(|lead| {
                program.derive(lead, now());
                dag.route(lead, &program.lookups)
            })
            .filter(|rule| (rule.0 as usize) < added)
            .count();
        eprintln!(
            "bench: {name}: {} rules ({added} before the generated ones, taking {first} of {} leads); {:?}",
            program.rules.len(),
            leads.len(),
            dag.stats()
        );
        Workload { name, program, dag, csv, records, leads }
    }
}

fn measure(c: &mut Criterion, w: &Workload, read: bool) {
    let Workload { name, program, dag, csv, records, leads: in_memory } = w;
    let mut group = c.benchmark_group(*name);
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(*records as u64));
    if read {
        group.bench_function("read_csv", |b| {
            b.iter(|| {
                let input: Box<dyn BufRead + Send + '_> = Box::new(Cursor::new(black_box(csv.as_slice())));
                leads(&program.schema, input, InputFormat::Csv).unwrap().filter(|r| r.lead.is_ok()).count()
            });
        });
    }
    group.throughput(Throughput::Elements(in_memory.len() as u64));
    group.bench_function("derive_and_match", |b| {
        // The copy is made, and dropped, outside the timing.
        b.iter_batched_ref(
            || in_memory.clone(),
            |leads| {
                let now = now();
                leads
                    .iter_mut()
                    .filter_map(|lead| {
                        program.derive(lead, now);
                        dag.route(lead, &program.lookups)
                    })
                    .count()
            },
            BatchSize::LargeInput,
        );
    });
    group.throughput(Throughput::Elements(*records as u64));
    let roster = Roster::default();
    group.bench_function("end_to_end_csv", |b| {
        b.iter(|| eval(program, dag, &roster, black_box(csv), InputFormat::Csv));
    });
    group.finish();
}

fn benches(c: &mut Criterion, work: &Workloads) {
    let Some((_, base)) = work.rules.iter().find(|(n, _)| *n == 100) else {
        eprintln!("bench: the 100-rule set is not selected (ROUTE_BENCH_RULES), nothing to measure");
        return;
    };
    let plain = Workload::load("plain", base, &work.csv, usize::MAX);
    let base_rules = plain.program.rules.len();
    measure(c, &plain, true);
    match work.dates() {
        Ok((rules, csv)) => measure(c, &Workload::load("dates", &rules, &csv, base_rules), true),
        Err(why) => eprintln!("bench: no dates workload: {why}"),
    }
    match tables_workload(work, base) {
        Ok(rules) => measure(c, &Workload::load("tables", &rules, &work.csv, base_rules), false),
        Err(why) => eprintln!("bench: no tables workload: {why}"),
    }
}

fn main() {
    common::run(benches);
}
