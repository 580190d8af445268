//! `route eval --jobs N`: reading and matching on N threads, distribution
//! in input order on this one.
//!
//! Matching is pure, distribution is stateful (architecture.md): so the
//! input is cut into numbered batches of records, each framed (the
//! sequential part of reading: line ends, CSV quoting, record numbers)
//! under a lock by the thread that then coerces it and matches every lead
//! against the DAG; N - 1 workers do that, and the main thread puts the
//! batches back in their numbered order and distributes and writes them,
//! doing a batch of its own whenever the next one in order is not done
//! yet. So N threads share N cores, and a batch's bytes stay in the cache
//! of the core that framed them. (A framing thread of its own, handing
//! batches to N workers beside the main thread, ran N + 2 threads on N
//! cores and moved every batch between cores: about 5% slower at `--jobs
//! 2`, docs/performance.md. Framing on the main thread alone made it the
//! bottleneck; dealing the batches to the workers in turn made every
//! thread wait for whichever one the scheduler had set aside.) Whatever N,
//! every lead is coerced by the same code and distributed in the same
//! order from the same state, so the output, the state and the summary
//! are the same bytes (tested for N = 1, 2, 4, 7).
//!
//! Memory stays bounded: at most [`IN_FLIGHT`] batches of [`BATCH`] records
//! per thread, and one more each, exist at once, and they are reused.

use std::collections::BTreeMap;
use std::sync::Mutex;

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

/// Records a run of [`route_alone`]: enough for each stage's code to pay
/// for loading it, few enough that the run's records stay in the cache
/// (16 and 256 were slower than 32 and 64; a divisor of [`BATCH`], so the
/// progress bar moves as often as at `--jobs 2`).
const RUN: usize = 32;

/// Batches per thread that may be read ahead of the distribution. Two left
/// the threads waiting on each other; four was about 8% faster at `--jobs
/// 2` on two cores (docs/performance.md, with a framing thread then).
const IN_FLIGHT: usize = 4;

/// Batches each thread owns: those in flight and the one it frames into.
const PER_THREAD: usize = IN_FLIGHT + 1;

/// What the main thread does with each record and the rule it matched.
/// The record then goes back, with its batch, to the thread that cooked
/// it, to be written over by a later one: its buffers (the id's text, the
/// values) are reused rather than freed, as freeing every record on the
/// main thread cost it a fifth of its time. A sink that takes the id
/// should give its buffer back.
pub(super) type Sink<'a> = dyn FnMut(&mut InputRecord, Option<RuleId>) -> Result<(), Failure> + 'a;

/// A batch on its way back to the main thread: its number (the order it
/// was dealt in), the thread that cooked it, the emptied batch (for
/// reuse), the records and the rule each matched.
struct Done {
    number: usize,
    thread: usize,
    batch: Batch,
    records: Vec<InputRecord>,
    rules: Vec<Option<RuleId>>,
}

/// A spent batch on its way back to the thread that cooked it, with its
/// records.
type Spare = (Batch, Vec<InputRecord>);

/// Each thread's spent batches: given back to it, taken by it alone.
type Spares = (Sender<Spare>, Receiver<Spare>);

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
/// and matching on `jobs` threads (on this thread alone when `jobs` is 1,
/// [`route_alone`]);
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
        return route_alone(reader, compiled, moment, tick, sink);
    }
    let cooks: Vec<Cook<'_>> = (0..jobs).map(|_| reader.cook()).collect();
    let framing = Mutex::new(Framing { reader, dealt: 0 });
    let mut works: Vec<Work<'_, '_, '_>> = cooks
        .into_iter()
        .enumerate()
        .map(|(thread, cook)| Work { cook, thread, compiled, moment, framing: &framing })
        .collect();
    let main_work = works.pop();
    std::thread::scope(|scope| {
        let (to_main, done) = bounded::<Done>(jobs * PER_THREAD);
        // Every batch that may exist, waiting to be framed into, in the
        // queue of the thread that cooks it: a thread takes one of its own
        // before it frames, so memory stays bounded however far one worker
        // falls behind, and a batch's records (their buffers written over
        // batch after batch) stay in the cache of the core that writes
        // them, where a pool shared by every thread handed one core's
        // records to the other. Dropped with this closure, so that a
        // worker waiting for a spent batch ends, also after an error.
        let spares: Vec<Spares> = (0..jobs).map(|_| bounded::<Spare>(PER_THREAD)).collect();
        for (give_back, _) in &spares {
            for _ in 0..PER_THREAD {
                let _ = give_back.send(Spare::default());
            }
        }
        // The workers are threads 0 to N - 2, in order.
        for (mut work, (_, own)) in works.into_iter().zip(&spares) {
            let (own, to_main) = (own.clone(), to_main.clone());
            scope.spawn(move || work_on(&mut work, &own, &to_main));
        }
        drop(to_main);
        let mut work = main_work;
        // `done` (and so the channels) is dropped when this returns, which
        // ends the workers, also after an error.
        let taken = collect(compiled, &done, &spares, work.as_mut(), tick, sink)?;
        // Every worker has stopped (the queue ran dry when the last one
        // let go of its sender).
        match framing.lock() {
            Ok(framing) if framing.dealt == taken => Ok(()),
            // A batch was dealt and never came back: its worker panicked.
            _ => Err(Failure::Worker),
        }
    })
}

/// [`route_all`] on this thread alone: a run of [`RUN`] records read, then
/// matched, then routed, run after run. Reading, matching and routing a
/// lead are each more code than the first-level caches hold: done lead by
/// lead, each stage evicted the others' code and tables for the next lead,
/// where a run keeps one stage's in the cache from lead to lead (0.93–0.95
/// of the time at 100 to 10,000 rules, docs/performance.md). The records
/// and their buffers are reused run after run.
fn route_alone(
    reader: &mut LeadReader<'_>,
    compiled: &Compiled,
    moment: &Moment,
    tick: &mut dyn FnMut(u64),
    sink: &mut Sink<'_>,
) -> Result<(), Failure> {
    let mut records: Vec<InputRecord> = (0..RUN).map(|_| InputRecord::empty()).collect();
    let mut rules = [None; RUN];
    let mut routed = 0u64;
    loop {
        let mut read = 0;
        for record in &mut records {
            if !reader.next_into(record) {
                break;
            }
            read += 1;
        }
        for (record, rule) in records.iter_mut().zip(&mut rules).take(read) {
            *rule = match_record(compiled, record, moment);
        }
        let run = records.get_mut(..read).unwrap_or_default();
        deliver_run(compiled, sink, run, rules.get(..read).unwrap_or_default())?;
        routed += read as u64;
        if read < RUN {
            break;
        }
        if routed.is_multiple_of(BATCH as u64) {
            tick(routed);
        }
    }
    tick(routed);
    Ok(())
}

/// Routes a run of matched records through `sink`, in order, their rules'
/// first loads made together first ([`Compiled::warm`]).
fn deliver_run(
    compiled: &Compiled,
    sink: &mut Sink<'_>,
    records: &mut [InputRecord],
    rules: &[Option<RuleId>],
) -> Result<(), Failure> {
    compiled.warm(rules);
    for (record, &rule) in records.iter_mut().zip(rules) {
        sink(record, rule)?;
    }
    Ok(())
}

/// The sequential part of reading, taken in turn by the threads that
/// cook: the reader and how many batches it has dealt. (Once its input is
/// done, the reader frames nothing more, however often it is asked.)
struct Framing<'r, 's> {
    reader: &'r mut LeadReader<'s>,
    dealt: usize,
}

/// What a thread needs to frame, cook and match a batch, and which
/// thread it is (the main thread last).
struct Work<'a, 'r, 's> {
    cook: Cook<'s>,
    thread: usize,
    compiled: &'a Compiled,
    moment: &'a Moment,
    framing: &'a Mutex<Framing<'r, 's>>,
}

impl Work<'_, '_, '_> {
    /// Frames the next records of the input into a spent batch under the
    /// lock (numbering the batch), then, with the lock let go, writes its
    /// records over the spent ones that came with it and matches every
    /// lead; `None` when the input is done (or a thread panicked while
    /// framing). Framing on the thread that cooks keeps a batch's bytes
    /// in that core's cache: a framing thread of its own wrote them on one
    /// core for a worker to read on the other.
    fn batch(&mut self, (mut batch, mut records): Spare) -> Option<Done> {
        let number = self.frame(&mut batch)?;
        self.cook.cook(&mut batch, &mut records);
        let rules = records.iter_mut().map(|record| match_record(self.compiled, record, self.moment)).collect();
        Some(Done { number, thread: self.thread, batch, records, rules })
    }

    /// Frames the next batch of the input into `batch` and numbers it.
    fn frame(&self, batch: &mut Batch) -> Option<usize> {
        let mut framing = self.framing.lock().ok()?;
        if !framing.reader.next_batch(batch, BATCH) {
            return None;
        }
        let number = framing.dealt;
        framing.dealt += 1;
        Some(number)
    }
}

/// A worker: takes one of its spent batches, frames, cooks and matches the
/// next one into it, and hands it to the main thread numbered as it was
/// dealt.
fn work_on(work: &mut Work<'_, '_, '_>, own: &Receiver<Spare>, to_main: &Sender<Done>) {
    while let Ok(spare) = own.recv() {
        let Some(done) = work.batch(spare) else { return };
        if to_main.send(done).is_err() {
            return;
        }
    }
}

/// The main thread's loop: puts the batches back in the order they were
/// dealt (holding the few that come early), routes each record through
/// `sink`, and gives the spent batches back. When the next batch in order
/// is not done yet, it frames, cooks and matches one itself (`work`), so
/// that `--jobs N` keeps N threads busy, not N + 1 on N cores: the
/// distribution is about a fifth of the work, and a thread more than the
/// cores had them switching, each refilling its caches. A spent batch goes
/// back to the thread that cooked it (`spares`, by thread). Returns how
/// many batches it took: the queue runs dry when every worker has stopped.
fn collect(
    compiled: &Compiled,
    done: &Receiver<Done>,
    spares: &[Spares],
    mut work: Option<&mut Work<'_, '_, '_>>,
    tick: &mut dyn FnMut(u64),
    sink: &mut Sink<'_>,
) -> Result<usize, Failure> {
    let mut next = 0usize;
    let mut routed = 0u64;
    let mut early: BTreeMap<usize, Done> = BTreeMap::new();
    loop {
        while let Some(Done { thread, batch, mut records, rules, .. }) = early.remove(&next) {
            next += 1;
            routed += records.len() as u64;
            for (run, rules) in records.chunks_mut(RUN).zip(rules.chunks(RUN)) {
                deliver_run(compiled, sink, run, rules)?;
            }
            // The workers may have stopped; the batch is then simply dropped.
            if let Some((give_back, _)) = spares.get(thread) {
                let _ = give_back.send((batch, records));
            }
            tick(routed);
        }
        // A batch a worker has finished, else one of our own while there
        // is input and a spent batch to frame it into, else wait.
        let ready = done.try_recv().ok().or_else(|| own_batch(&mut work, spares));
        let Some(finished) = ready.or_else(|| done.recv().ok()) else { break };
        early.insert(finished.number, finished);
    }
    tick(routed);
    Ok(next)
}

/// A batch the main thread frames, cooks and matches itself, when a spent
/// one is free and the input is not done (then `work` is let go). A spent
/// batch is taken only to be framed into: one taken and dropped could be
/// the one a worker waits for.
fn own_batch(work: &mut Option<&mut Work<'_, '_, '_>>, spares: &[Spares]) -> Option<Done> {
    let own = work.as_mut()?;
    let (_, own_spares) = spares.get(own.thread)?;
    let spare = own_spares.try_recv().ok()?;
    let finished = own.batch(spare);
    if finished.is_none() {
        *work = None;
    }
    finished
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests may fail loudly")]
mod tests {
    use std::time::Duration;

    use super::{route_all, Failure, PER_THREAD};
    use crate::eval::Compiled;
    use crate::io::{leads_with, InputFormat, ReadOptions};

    /// A sink that fails only once every worker has framed all the batches
    /// it owns and waits for a spent one: the run still ends, with the
    /// sink's error (the spares are let go of with the threads' scope, so a
    /// waiting worker wakes), where a spare kept past it left the run
    /// waiting for ever.
    #[test]
    fn a_sink_failing_while_the_workers_wait_for_spares_ends_the_run() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let text =
                "schema lead {\n  id: string\n  score: int\n}\nteam t = [\"a@x.io\"]\nwhen score > 1 -> team t\n";
            let checked = crate::check::check_source("r.route", std::path::Path::new("r.route"), text.to_string());
            let compiled = Compiled::new(checked.program.unwrap(), checked.sources);
            // More records than the threads' batches hold, so every worker
            // runs out of spares.
            let leads = 3 * 3 * PER_THREAD * super::BATCH;
            let csv: String =
                std::iter::once("id,score\n".to_string()).chain((0..leads).map(|i| format!("L{i},{i}\n"))).collect();
            let input = Box::new(std::io::Cursor::new(csv.into_bytes()));
            let schema = &compiled.program.schema;
            let mut reader = leads_with(schema, input, InputFormat::Csv, &ReadOptions::default()).unwrap();
            let moment = compiled.program.moment(jiff::Timestamp::UNIX_EPOCH);
            let mut sink = |_: &mut _, _| {
                std::thread::sleep(Duration::from_millis(300));
                Err(Failure::Write(std::io::Error::other("full")))
            };
            let routed = route_all(&mut reader, &compiled, &moment, 3, &mut |_| {}, &mut sink);
            let _ = done.send(matches!(routed, Err(Failure::Write(_))));
        });
        assert!(finished.recv_timeout(Duration::from_secs(60)).unwrap(), "the run ended without the sink's error");
    }
}
