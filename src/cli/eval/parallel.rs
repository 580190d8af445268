//! `route eval --jobs N`: reading and matching on N threads, distribution
//! in input order on this one.
//!
//! Matching is pure, distribution is stateful (architecture.md): so a
//! framing thread cuts the input into numbered batches of records (the
//! sequential part of reading: line ends, CSV quoting, record numbers) and
//! puts them on one queue for N workers, each of which takes the next
//! batch when it is free, coerces it and matches every lead against the
//! DAG; the main thread takes the batches back as they are done, puts them
//! back in their numbered order, and distributes and writes them. (Framing
//! on the main thread too made it the bottleneck: it did more than half
//! the work of a two-worker run. Dealing the batches to the workers in
//! turn made every thread wait for whichever worker the scheduler had set
//! aside.) Whatever N, every lead is coerced by the same code and
//! distributed in the same order from the same state, so the output, the
//! state and the summary are the same bytes (tested for N = 1, 2, 4, 7).
//!
//! Memory stays bounded: at most [`IN_FLIGHT`] batches of [`BATCH`] records
//! per worker, and one more each, exist at once; the framer reuses them.

use std::collections::BTreeMap;

use crossbeam_channel::{bounded, Receiver, Sender};

use super::Failure;
use crate::check::program::RuleId;
use crate::eval::derive::Moment;
use crate::eval::Compiled;
use crate::io::{Batch, Cook, InputRecord, LeadReader};

/// Records per batch: enough that a batch's trip through the channels
/// (about a microsecond) is small beside its work (about half a
/// millisecond), few enough that a worker's batches stay in its cache.
pub(super) const BATCH: usize = 1024;

/// Batches per worker that may be read ahead of the main thread. With the
/// framer, the workers and the main thread sharing the cores, two left the
/// threads waiting on each other; four was about 8% faster at `--jobs 2`
/// on two cores (docs/performance.md).
const IN_FLIGHT: usize = 4;

/// What the main thread does with each record and the rule it matched.
/// The record then goes back to the framer and on to a worker, to be
/// written over by a later one: its buffers (the id's text, the values)
/// are reused rather than freed, as freeing every record on the main
/// thread cost it a fifth of its time. A sink that takes the id should
/// give its buffer back.
pub(super) type Sink<'a> = dyn FnMut(&mut InputRecord, Option<RuleId>) -> Result<(), Failure> + 'a;

/// A batch on its way back to the main thread: its number (the order it
/// was dealt in), the emptied batch (for reuse), the records and the rule
/// each matched.
type Done = (usize, Batch, Vec<InputRecord>, Vec<Option<RuleId>>);

/// Work for a worker: a batch's number, the batch to cook, and a spent
/// batch's records to write it over.
type Work = (usize, Batch, Vec<InputRecord>);

/// A spent batch on its way back to the framer, with its records.
type Spare = (Batch, Vec<InputRecord>);

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
    let circulating = jobs * IN_FLIGHT + jobs;
    std::thread::scope(|scope| {
        let (to_workers, work) = bounded::<Work>(circulating);
        let (to_main, done) = bounded::<Done>(circulating);
        for mut cook in cooks {
            let (work, to_main) = (work.clone(), to_main.clone());
            scope.spawn(move || work_on(&mut cook, (compiled, moment), &work, &to_main));
        }
        drop((work, to_main));
        let (give_back, spares) = bounded::<Spare>(circulating);
        let framer = scope.spawn(move || frame(reader, &to_workers, &spares, circulating));
        // `done` (and so the channels) is dropped when this returns, which
        // ends the workers and the framer, also after an error.
        let taken = collect(&done, &give_back, tick, sink)?;
        match framer.join() {
            Ok(dealt) if dealt == taken => Ok(()),
            // A batch was dealt and never came back: its worker panicked.
            _ => Err(Failure::Worker),
        }
    })
}

/// A worker: takes the next batch from the shared queue (whichever worker
/// is free takes it, so one held up by the scheduler holds nobody else
/// up), writes its records over the spent ones that came with it,
/// matches every lead, and hands back the batch numbered as it was dealt.
fn work_on(
    cook: &mut Cook<'_>,
    (compiled, moment): (&Compiled, &Moment),
    work: &Receiver<Work>,
    to_main: &Sender<Done>,
) {
    while let Ok((number, mut batch, mut records)) = work.recv() {
        cook.cook(&mut batch, &mut records);
        let rules = records.iter_mut().map(|record| match_record(compiled, record, moment)).collect();
        if to_main.send((number, batch, records, rules)).is_err() {
            return;
        }
    }
}

/// The framing thread: cuts the input into batches, numbers them and puts
/// them on the workers' queue, each with a spent batch given back by the
/// main thread (its buffers reused). At most `circulating` batches exist:
/// past that, it waits for one to come back, which bounds memory however
/// far one worker falls behind. Returns how many batches it dealt; the
/// queue closes when it returns, which ends the workers once it is empty.
fn frame(reader: &mut LeadReader<'_>, workers: &Sender<Work>, spares: &Receiver<Spare>, circulating: usize) -> usize {
    let mut dealt = 0;
    loop {
        let spare = match spares.try_recv() {
            Ok(spare) => spare,
            Err(_) if dealt < circulating => Spare::default(),
            Err(_) => match spares.recv() {
                Ok(spare) => spare,
                // The main thread has stopped.
                Err(_) => break,
            },
        };
        let (mut batch, spent) = spare;
        if !reader.next_batch(&mut batch, BATCH) || workers.send((dealt, batch, spent)).is_err() {
            break;
        }
        dealt += 1;
    }
    dealt
}

/// The main thread's loop: takes the batches back as the workers finish
/// them, puts them back in the order they were dealt (holding the few that
/// come early), routes each record through `sink`, and gives the spent
/// batches back to the framer. Returns how many batches it took: the
/// queue runs dry when the framer has stopped dealing.
fn collect(
    done: &Receiver<Done>,
    give_back: &Sender<Spare>,
    tick: &mut dyn FnMut(u64),
    sink: &mut Sink<'_>,
) -> Result<usize, Failure> {
    let mut next = 0usize;
    let mut routed = 0u64;
    let mut early: BTreeMap<usize, Done> = BTreeMap::new();
    while let Ok(finished) = done.recv() {
        early.insert(finished.0, finished);
        while let Some((_, batch, mut records, rules)) = early.remove(&next) {
            next += 1;
            routed += records.len() as u64;
            for (record, rule) in records.iter_mut().zip(rules) {
                sink(record, rule)?;
            }
            // The framer may have stopped; the batch is then simply dropped.
            let _ = give_back.send((batch, records));
            tick(routed);
        }
    }
    tick(routed);
    Ok(next)
}
