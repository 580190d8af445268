//! The routing instant in the analysis.
//!
//! `within` and working-hours tests are derived fields that depend on
//! `now`, which no lead carries. The solver treats each as a free yes/no
//! (see `derived.rs`); an example it finds is real only if some instant
//! gives those answers together with the lead's other values. This module
//! proposes the instants worth trying for one example lead: where each
//! `within` window of the lead's values begins and ends (just inside and
//! just outside), and where each working-hours schedule starts and stops
//! around them, in the schedule's zone (so daylight saving is followed).
//! The analysis keeps an example only when one of these instants routes it
//! where the solver said, so nothing unverified is shown.

use jiff::civil::{DateTime, Time};
use jiff::{SignedDuration, Timestamp};

use crate::check::program::{Derivation, Program, WorkingHours};
use crate::schema::dates::MS_PER_DAY;
use crate::schema::{FieldType, Lead, Value};

/// Whether any derived field of the program depends on the instant.
pub(crate) fn uses_now(program: &Program) -> bool {
    program.schema.derived.iter().any(Derivation::uses_now)
}

/// The instants to try for `lead`, those that give the solver's answers
/// (the lead's values of the instant-dependent fields) first.
pub(crate) fn candidates(program: &Program, lead: &Lead) -> Vec<Timestamp> {
    let mut points: Vec<i64> = vec![ANCHOR_MS];
    // The values windows are around, computed (a table column's too).
    let mut real = lead.clone();
    program.derive(&mut real, Timestamp::UNIX_EPOCH);
    for derivation in &program.schema.derived {
        if let Derivation::Within { field, window } = *derivation {
            if let Value::Int(value) = *real.get(field) {
                points.extend(window_edges(program.schema.field(field).ty, value, window));
            }
        }
    }
    let mut instants: Vec<Timestamp> = points.iter().filter_map(|&ms| Timestamp::from_millisecond(ms).ok()).collect();
    for hours in &program.hours {
        let around: Vec<Timestamp> = instants.clone();
        for t in around {
            instants.extend(schedule_edges(hours, t));
        }
    }
    instants.sort_unstable();
    instants.dedup();
    // The instants that reproduce the solver's answers come first.
    let agrees = |t: &Timestamp| {
        let mut derived = lead.clone();
        program.derive(&mut derived, *t);
        program.schema.derived.iter().enumerate().all(|(offset, d)| {
            let field = program.schema.input_count() + offset;
            !d.uses_now() || derived.values.get(field) == lead.values.get(field)
        })
    };
    let (mut first, rest): (Vec<Timestamp>, Vec<Timestamp>) = instants.into_iter().partition(agrees);
    first.extend(rest);
    first
}

/// 2026-01-05T12:00:00Z, a Monday noon: the instant tried first when the
/// lead's values suggest none.
const ANCHOR_MS: i64 = 1_767_614_400_000;

/// Instants just inside and just outside the window `[value, value +
/// window]` of `now` that makes `value within window` hold (in days of the
/// UTC calendar for a date).
fn window_edges(ty: FieldType, value: i64, window: i64) -> Vec<i64> {
    let (unit, last) = match ty {
        FieldType::Date => (MS_PER_DAY, value.saturating_add(window)),
        _ => (1, value.saturating_add(window)),
    };
    let start = |v: i64| v.saturating_mul(unit);
    vec![start(value), start(last), start(last.saturating_add(1)), start(value).saturating_sub(1)]
}

/// The starts and ends of the working ranges in the weeks around `t`, in
/// the schedule's zone.
fn schedule_edges(hours: &WorkingHours, t: Timestamp) -> Vec<Timestamp> {
    let local = t.to_zoned(hours.zone.clone());
    let days_from_monday = i64::from(local.weekday().to_monday_zero_offset());
    let Ok(monday) = local.date().checked_sub(SignedDuration::from_hours(days_from_monday * 24)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for week in -1i64..=1 {
        for &(start, end) in hours.schedule.ranges() {
            for minute in [start, end] {
                let offset = SignedDuration::from_mins(week * 7 * 24 * 60 + i64::from(minute));
                let civil: Option<DateTime> = monday.to_datetime(Time::midnight()).checked_add(offset).ok();
                if let Some(instant) = civil.and_then(|c| c.to_zoned(hours.zone.clone()).ok()) {
                    out.push(instant.timestamp());
                }
            }
        }
    }
    out
}
