//! Routing a lead allocates nothing once a run is under way (issue 11:
//! "per-lead work must not allocate on the hot path"): `route eval` on the
//! acme example, with its roster and account table, counted by an
//! allocator that counts on the routing thread (`--jobs 1`), for the
//! example's valid leads and for four times as many, read from CSV and
//! from JSONL. The leads added cost the difference, which must be all but
//! nothing per lead. And the other side of reusing a lead's slots: a value
//! written over one that owned memory frees it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::thread::LocalKey;

/// Counts the allocations (and reallocations) and the frees of threads
/// that ask it to, each thread in its own counters: the tests run side by
/// side, and one must not count the other's.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static FREES: Cell<u64> = const { Cell::new(0) };
}

/// One more in `counter`, when this thread counts.
fn count(counter: &'static LocalKey<Cell<u64>>) {
    if COUNTING.with(Cell::get) {
        counter.with(|n| n.set(n.get() + 1));
    }
}

/// What `counter` has counted on this thread while `run` ran.
fn counted<T>(counter: &'static LocalKey<Cell<u64>>, run: impl FnOnce() -> T) -> (u64, T) {
    let before = counter.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    let result = run();
    COUNTING.with(|c| c.set(false));
    (counter.with(Cell::get) - before, result)
}

// SAFETY: every call is passed on unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(&ALLOCATIONS);
        // SAFETY: the caller's guarantees are the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(&FREES);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(&ALLOCATIONS);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations on this thread while `route eval` routes `leads` (a CSV or
/// JSONL file) through the acme example with its roster, to a file.
fn allocations_routing(leads: &Path, out: &Path) -> u64 {
    let acme = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme");
    let args = [
        "route".into(),
        "eval".into(),
        acme.clone().into_os_string(),
        "--leads".into(),
        leads.into(),
        "--roster".into(),
        acme.join("roster.json").into_os_string(),
        "--now".into(),
        "2026-11-25T10:00:00Z".into(),
        "--jobs".into(),
        "1".into(),
        "-o".into(),
        out.into(),
    ];
    let (allocations, exit) = counted(&ALLOCATIONS, || route::cli::main_with(args));
    assert_eq!(exit, std::process::ExitCode::SUCCESS);
    allocations
}

/// The acme example's leads file `name` without its invalid leads (whose
/// error messages are made per lead, as they should be): its header line
/// (a CSV's) and its lines of valid leads.
fn valid_leads(dir: &Path, name: &str, header: bool) -> (Option<String>, Vec<String>) {
    let acme = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme");
    let example = std::fs::read_to_string(acme.join(name)).unwrap();
    let out = dir.join("all.jsonl");
    // Also the run that makes what is made once per process (the interned
    // names), before the two runs compared.
    allocations_routing(&acme.join(name), &out);
    let invalid: Vec<u64> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|decision| decision["reason"] == "invalid")
        .map(|decision| decision["error"]["line"].as_u64().unwrap())
        .collect();
    assert!(!invalid.is_empty(), "the example has invalid leads: the filter must find them");
    let mut lines = example.lines().map(str::to_string);
    let header = if header { lines.next() } else { None };
    let first = if header.is_some() { 2 } else { 1 };
    let rows = lines.zip(first..).filter(|(_, number)| !invalid.contains(number)).map(|(row, _)| row).collect();
    (header, rows)
}

/// How many of the example's valid leads the comparison routes: a multiple
/// of both the run `route eval --jobs 1` reads ahead (32 records) and the
/// batch `--jobs N` deals (1,024).
const LEADS: usize = 1024;

/// Routing the valid leads of the example's `name` four times over costs
/// next to no allocation more than routing them once.
fn more_leads_allocate_nothing_more(name: &str, header: bool) {
    let dir = tempfile::tempdir().unwrap();
    let (header, mut rows) = valid_leads(dir.path(), name, header);
    // `--jobs 1` reads leads a run at a time into records it reuses, each
    // record's buffers growing until they hold the longest value that
    // record has been given (a few allocations each, once). With a
    // multiple of the run's length, every copy of the leads gives each
    // lead to the same record as the first copy: the copies added then
    // show what routing a lead allocates, not how long the records took
    // to grow.
    assert!(rows.len() >= LEADS, "the example has {} valid leads, fewer than {LEADS}", rows.len());
    rows.truncate(LEADS);
    let few = dir.path().join(format!("few-{name}"));
    let many = dir.path().join(format!("many-{name}"));
    let header = header.map(|h| format!("{h}\n")).unwrap_or_default();
    let rows = format!("{}\n", rows.join("\n"));
    std::fs::write(&few, format!("{header}{rows}")).unwrap();
    std::fs::write(&many, format!("{header}{}", rows.repeat(4))).unwrap();
    let added = 3 * rows.lines().count() as u64;
    let out = dir.path().join("decisions.jsonl");
    let for_few = allocations_routing(&few, &out);
    let for_many = allocations_routing(&many, &out);
    let per_lead = for_many.saturating_sub(for_few) as f64 / added as f64;
    assert!(
        per_lead < 0.01,
        "{name}: {for_few} allocations for the example's valid leads, {for_many} for four times as many: \
         {per_lead:.3} a lead"
    );
}

#[test]
fn routing_more_csv_leads_allocates_nothing_more() {
    more_leads_allocate_nothing_more("leads.csv", true);
}

#[test]
fn routing_more_jsonl_leads_allocates_nothing_more() {
    more_leads_allocate_nothing_more("leads.jsonl", false);
}

/// `Value::overwrite` drops the old value only when it may own memory and
/// forgets it otherwise (the drop call cost 5% of routing a CSV lead): a
/// string on the heap or a list written over must be freed all the same,
/// or every lead would leak its long cells.
#[test]
fn a_value_written_over_frees_the_memory_it_owned() {
    use route::schema::{StrValue, Value};
    let long = || Value::Str(StrValue::from("a string longer than twenty-four bytes"));
    let cases = [
        (long(), 1),
        (Value::List(vec![Value::Int(1), Value::Str(StrValue::from("x"))].into_boxed_slice()), 1),
        (Value::List(vec![long(), long()].into_boxed_slice()), 3),
        (Value::Str(StrValue::from("DE")), 0),
        (Value::Int(7), 0),
        (Value::Absent, 0),
    ];
    for (old, frees) in cases {
        let shown = format!("{old:?}");
        let mut slot = old;
        let (freed, ()) = counted(&FREES, || slot.overwrite(Value::Enum(2)));
        assert_eq!(freed, frees, "{shown} written over");
        assert_eq!(slot, Value::Enum(2));
    }
}
