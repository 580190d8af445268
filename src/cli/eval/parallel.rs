//! `route eval --jobs N`: reading and matching on N threads, distribution
//! in input order on this one.
//!
//! Matching is pure, distribution is stateful (architecture.md): so a
//! framing thread cuts the input into batches of records (the sequential
//! part of reading: line ends, CSV quoting, record numbers) and deals them
//! to N workers in turn, each of which coerces its batch and matches every
//! lead against the DAG; the main thread takes the batches back in the same
//! turn, so in input order, to distribute and write them. (Framing on the
//! main thread too made it the bottleneck: it did more than half the work
//! of a two-worker run.) Whatever N, every lead is
//! coerced by the same code and distributed in the same order from the same
//! state, so the output, the state and the summary are the same bytes
//! (tested for N = 1, 2, 4, 7).
//!
//! Memory stays bounded: at most [`IN_FLIGHT`] batches of [`BATCH`] records
//! per worker are read ahead.

use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

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
/// takes them. With the framer, the workers and the main thread sharing
/// the cores, two left the threads waiting on each other; four was about
/// 8% faster at `--jobs 2` on two cores (docs/performance.md).
const IN_FLIGHT: usize = 4;

/// What the main thread does with each record and the rule it matched.
/// The record then goes back to the worker that made it, to be written over
/// by a later one: its buffers (the id's text, the values) are reused on the
/// thread that allocated them, as freeing another thread's memory cost the
/// main thread a fifth of its time. A sink that takes the id should give its
/// buffer back.
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
        let mut record = InputRecord::empty();
        while reader.next_into(&mut record) {
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
        let mut to_workers = Vec::with_capacity(jobs);
        let mut lanes = Vec::with_capacity(jobs);
        for mut cook in cooks {
            let (to_worker, work) = sync_channel::<Work>(IN_FLIGHT);
            let (to_main, done) = sync_channel::<Done>(IN_FLIGHT);
            scope.spawn(move || work_on(&mut cook, (compiled, moment), &work, &to_main));
            to_workers.push(to_worker);
            lanes.push(done);
        }
        let (give_back, spares) = channel::<Work>();
        let framer = scope.spawn(move || frame(reader, to_workers, &spares));
        // The lanes (and so the channels) are dropped when this returns,
        // which ends the workers and the framer, also after an error.
        let taken = collect(&lanes, &give_back, tick, sink)?;
        match framer.join() {
            Ok(dealt) if dealt == taken => Ok(()),
            // A batch was dealt and never came back: its worker panicked.
            _ => Err(Failure::Worker),
        }
    })
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
        // The spent records are written over: their buffers are reused
        // here, on the thread that allocated them.
        cook.cook(&mut batch, &mut records);
        let rules = records.iter_mut().map(|record| match_record(compiled, record, moment)).collect();
        if to_main.send((batch, records, rules)).is_err() {
            return;
        }
    }
}

/// The framing thread: cuts the input into batches and deals them to the
/// workers in turn, each with a spent batch given back by the main thread
/// (its buffers reused, its records freed by the worker that made them).
/// Returns how many batches it dealt; the workers' channels close when it
/// returns, which ends them once their batches are done.
fn frame(reader: &mut LeadReader<'_>, workers: Vec<SyncSender<Work>>, spares: &Receiver<Work>) -> usize {
    let mut dealt = 0;
    for worker in workers.iter().cycle() {
        let (mut batch, spent) = spares.try_recv().unwrap_or_default();
        if !reader.next_batch(&mut batch, BATCH) || worker.send((batch, spent)).is_err() {
            break;
        }
        dealt += 1;
    }
    dealt
}

/// The main thread's loop: takes the batches back from the workers in the
/// turn they were dealt, so in input order, routes each record through
/// `sink`, and gives the spent batches back to the framer. Returns how many
/// batches it took: a lane runs dry when the framer has stopped dealing.
fn collect(
    lanes: &[Receiver<Done>],
    give_back: &Sender<Work>,
    tick: &mut dyn FnMut(u64),
    sink: &mut Sink<'_>,
) -> Result<usize, Failure> {
    let mut taken = 0usize;
    let mut routed = 0u64;
    for lane in lanes.iter().cycle() {
        let Ok((batch, mut records, rules)) = lane.recv() else { break };
        taken += 1;
        routed += records.len() as u64;
        for (record, rule) in records.iter_mut().zip(rules) {
            sink(record, rule)?;
        }
        // The framer may have stopped; the batch is then simply dropped.
        let _ = give_back.send((batch, records));
        tick(routed);
    }
    tick(routed);
    Ok(taken)
}
