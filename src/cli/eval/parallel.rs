//! `route eval --jobs N`: reading and matching on N threads, distribution
//! in input order on this one.
//!
//! Matching is pure, distribution is stateful (architecture.md): so the
//! main thread frames the input into batches of records (the sequential
//! part of reading: line ends, CSV quoting, record numbers), hands them to
//! N workers in turn, each of which coerces its batch and matches every
//! lead against the DAG, and takes the batches back in the same turn, so in
//! input order, to distribute and write them. Whatever N, every lead is
//! coerced by the same code and distributed in the same order from the same
//! state, so the output, the state and the summary are the same bytes
//! (tested for N = 1, 2, 4, 7).
//!
//! Memory stays bounded: at most [`IN_FLIGHT`] batches of [`BATCH`] records
//! per worker are read ahead.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use super::Failure;
use crate::check::program::RuleId;
use crate::eval::derive::Moment;
use crate::eval::Compiled;
use crate::io::{Batch, Cook, InputRecord, LeadReader};

/// Records per batch: enough that a batch's trip through the channels
/// (about a microsecond) is small beside its work (about half a
/// millisecond), few enough that a worker's batches stay in its cache.
pub(super) const BATCH: usize = 1024;

/// Batches each worker may have waiting or done before the main thread
/// takes them: one being worked on, one waiting, so a worker never idles
/// while the main thread distributes.
const IN_FLIGHT: usize = 2;

/// What the main thread does with each record and the rule it matched. It
/// may take what it keeps (the id); the rest (the lead's values) goes back
/// to the worker that made it, to be freed there: freeing another thread's
/// memory cost the main thread a fifth of its time.
pub(super) type Sink<'a> = dyn FnMut(&mut InputRecord, Option<RuleId>) -> Result<(), Failure> + 'a;

/// A batch on its way back to the main thread: the emptied batch (for
/// reuse), the records and the rule each matched.
type Done = (Batch, Vec<InputRecord>, Vec<Option<RuleId>>);

/// Work for a worker: a batch to cook, and a spent batch's records to free.
type Work = (Batch, Vec<InputRecord>);

/// The rule a record's lead matches (`None` for an invalid lead, or when no
/// rule matches), after filling in its derived values (table columns,
/// scores, dates relative to `now`): both are pure, so both run on the
/// workers.
pub(super) fn match_record(compiled: &Compiled, record: &mut InputRecord, moment: &Moment) -> Option<RuleId> {
    let lead = record.lead.as_mut().ok()?;
    compiled.program.derive_at(lead, moment);
    compiled.dag.route(lead, &compiled.program.lookups)
}

/// Routes every record of `reader` through `sink` in input order, reading
/// and matching on `jobs` threads (on this thread alone when `jobs` is 1);
/// `tick` is told how many records were routed so far, now and then.
/// Stops at the first error of `sink`.
pub(super) fn route_all(
    reader: &mut LeadReader<'_>,
    compiled: &Compiled,
    moment: &Moment,
    jobs: usize,
    tick: &mut dyn FnMut(u64),
    sink: &mut Sink<'_>,
) -> Result<(), Failure> {
    if jobs <= 1 {
        let mut routed = 0u64;
        for mut record in reader.by_ref() {
            let rule = match_record(compiled, &mut record, moment);
            sink(&mut record, rule)?;
            routed += 1;
            if routed.is_multiple_of(BATCH as u64) {
                tick(routed);
            }
        }
        tick(routed);
        return Ok(());
    }
    let cooks: Vec<Cook<'_>> = (0..jobs).map(|_| reader.cook()).collect();
    std::thread::scope(|scope| {
        let mut lanes = Vec::with_capacity(jobs);
        for mut cook in cooks {
            let (to_worker, work) = sync_channel::<Work>(IN_FLIGHT);
            let (to_main, done) = sync_channel::<Done>(IN_FLIGHT);
            scope.spawn(move || work_on(&mut cook, (compiled, moment), &work, &to_main));
            lanes.push(Lane { to_worker, done });
        }
        // The lanes (and so the channels) are dropped when this returns,
        // which ends the workers, also after an error.
        distribute(reader, &lanes, tick, sink)
    })
}

/// A worker's two channels, as the main thread holds them.
struct Lane {
    to_worker: SyncSender<Work>,
    done: Receiver<Done>,
}

/// A worker: frees the spent records it is given back, coerces and
/// matches each batch, and hands back the records, their rules and the
/// emptied batch (for reuse).
fn work_on(
    cook: &mut Cook<'_>,
    (compiled, moment): (&Compiled, &Moment),
    work: &Receiver<Work>,
    to_main: &SyncSender<Done>,
) {
    while let Ok((mut batch, mut records)) = work.recv() {
        records.clear();
        cook.cook(&mut batch, &mut records);
        let rules = records.iter_mut().map(|record| match_record(compiled, record, moment)).collect();
        if to_main.send((batch, records, rules)).is_err() {
            return;
        }
    }
}

/// The main thread's loop: keeps every worker supplied with batches, in
/// turn, and takes their results back in the same turn.
fn distribute(
    reader: &mut LeadReader<'_>,
    lanes: &[Lane],
    tick: &mut dyn FnMut(u64),
    sink: &mut Sink<'_>,
) -> Result<(), Failure> {
    let mut sent = 0usize;
    let mut taken = 0usize;
    let mut spare: Vec<Work> = Vec::new();
    let mut ended = false;
    let mut routed = 0u64;
    loop {
        while !ended && sent - taken < lanes.len() * IN_FLIGHT {
            let (mut batch, spent) = spare.pop().unwrap_or_default();
            if !reader.next_batch(&mut batch, BATCH) {
                ended = true;
                break;
            }
            let Some(lane) = lanes.get(sent % lanes.len()) else { break };
            if lane.to_worker.send((batch, spent)).is_err() {
                // A worker that is gone panicked: nothing more comes back.
                ended = true;
                break;
            }
            sent += 1;
        }
        if taken == sent {
            tick(routed);
            return Ok(());
        }
        let Some(lane) = lanes.get(taken % lanes.len()) else { return Ok(()) };
        let Ok((batch, mut records, rules)) = lane.done.recv() else {
            return Err(Failure::Worker);
        };
        taken += 1;
        routed += records.len() as u64;
        for (record, rule) in records.iter_mut().zip(rules) {
            sink(record, rule)?;
        }
        spare.push((batch, records));
        tick(routed);
    }
}
