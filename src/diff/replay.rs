//! The change measured on real leads (`--leads`): every record read and
//! routed under both versions (the `io` readers, `eval::Router`), side by
//! side; a transition table of destinations; leads that become invalid or
//! valid; with a roster, assignees too, separating leads moved by the rule
//! change (their destination changed) from leads whose rotation shifted
//! (same destination, another rep, because the rotation sequence changed).

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::Serialize;

use crate::check::Program;
use crate::compile::{compile, Budget};
use crate::eval::decision::{Decision, Reason, TargetKind};
use crate::eval::{Roster, Router};
use crate::io::{self, InputFormat, InputRecord, ReadError};

/// Lead ids kept per row of a table.
const EXAMPLES: usize = 3;

/// One row of the transition table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// The old destination.
    pub from: String,
    /// The new destination.
    pub to: String,
    /// Leads that make this move.
    pub count: u64,
    /// Their share of all leads read (0 to 1).
    pub share: f64,
    /// Up to three of their ids.
    pub leads: Vec<String>,
}

/// A count and up to three lead ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// How many.
    pub count: u64,
    /// Up to three of their ids.
    pub leads: Vec<String>,
}

impl Sample {
    fn add(&mut self, id: &str) {
        self.count += 1;
        if self.leads.len() < EXAMPLES {
            self.leads.push(id.to_string());
        }
    }
}

/// Assignee changes, with a roster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Assignees {
    /// Leads whose assignee changed, in all.
    pub changed: u64,
    /// Of those, leads whose destination changed (moved by the rule change).
    pub moved: Sample,
    /// Of those, leads with the same destination and another assignee
    /// (the rotation shifted).
    pub rotation_shifted: Sample,
}

/// The change measured on a lead file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Measured {
    /// Records read.
    pub leads: u64,
    /// Leads valid under both versions, or invalid under both, whose
    /// destination changed.
    pub changed: u64,
    /// Destination moves, largest first.
    pub transitions: Vec<Transition>,
    /// Leads valid before and invalid after.
    pub became_invalid: Sample,
    /// Leads invalid before and valid after.
    pub became_valid: Sample,
    /// With a roster: assignee changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignees: Option<Assignees>,
}

impl Measured {
    /// Whether any lead changed destination, validity, or (with a roster)
    /// assignee.
    pub fn changes_anything(&self) -> bool {
        self.changed > 0
            || self.became_invalid.count > 0
            || self.became_valid.count > 0
            || self.assignees.as_ref().is_some_and(|a| a.changed > 0)
    }
}

/// The leads to replay.
pub struct Leads<'a> {
    /// The whole input (read once, parsed under each version).
    pub bytes: &'a [u8],
    /// Its format.
    pub format: InputFormat,
    /// The roster, when assignees are compared.
    pub roster: Option<&'a Roster>,
    /// The instant eligibility is judged at.
    pub now: jiff::Timestamp,
}

/// Routes every lead under both versions and compares.
///
/// # Errors
/// When the input cannot be read under one of the versions (e.g. a CSV
/// header lacks a column a version requires).
pub fn replay(old: &Program, new: &Program, leads: &Leads<'_>) -> Result<Measured, ReadError> {
    let no_roster = Roster::default();
    let roster = leads.roster.unwrap_or(&no_roster);
    let (old_dag, new_dag) = (compile(old, Budget::for_program(old)), compile(new, Budget::for_program(new)));
    let mut old_router = Router::new(old, &old_dag, roster, leads.now, 0);
    let mut new_router = Router::new(new, &new_dag, roster, leads.now, 0);
    let input = |bytes| -> Box<dyn BufRead + Send + '_> { Box::new(bytes) };
    let mut old_reader = io::leads(&old.schema, input(leads.bytes), leads.format)?;
    let mut new_reader = io::leads(&new.schema, input(leads.bytes), leads.format)?;
    let mut tally = Tally::new(leads.roster.is_some());
    while let (Some(a), Some(b)) = (old_reader.next(), new_reader.next()) {
        let before = route(&mut old_router, a);
        let after = route(&mut new_router, b);
        tally.observe(&before, &after);
    }
    for reader in [&mut old_reader, &mut new_reader] {
        if let Some(error) = reader.take_error() {
            return Err(ReadError::from(error));
        }
    }
    Ok(tally.finish())
}

fn route(router: &mut Router<'_>, record: InputRecord) -> Decision {
    let id = record.id.unwrap_or_else(|| record.record.to_string());
    match record.lead {
        Ok(mut lead) => {
            router.derive(&mut lead);
            router.route(id, &lead)
        }
        Err(error) => router.route_invalid(id, error),
    }
}

/// Where a decision sent the lead (for an invalid lead: where `on
/// invalid` sent it).
fn destination(d: &Decision) -> String {
    let target = target(d);
    if d.reason == Reason::Invalid {
        return format!("invalid, {target}");
    }
    target
}

fn target(d: &Decision) -> String {
    match d.target {
        Some(TargetKind::Team) => format!("team {}", d.team.as_deref().unwrap_or("?")),
        Some(TargetKind::Queue) => format!("queue {}", d.queue.as_deref().unwrap_or("?")),
        Some(TargetKind::Rep) => format!("rep {}", d.assignee.as_deref().unwrap_or("?")),
        None => "nowhere".to_string(),
    }
}

struct Tally {
    leads: u64,
    changed: u64,
    moves: BTreeMap<(String, String), Sample>,
    became_invalid: Sample,
    became_valid: Sample,
    assignees: Option<Assignees>,
}

impl Tally {
    fn new(assignees: bool) -> Tally {
        Tally {
            leads: 0,
            changed: 0,
            moves: BTreeMap::new(),
            became_invalid: Sample::default(),
            became_valid: Sample::default(),
            assignees: assignees.then(Assignees::default),
        }
    }

    fn observe(&mut self, before: &Decision, after: &Decision) {
        self.leads += 1;
        let id = after.lead.as_str();
        let (was_valid, is_valid) = (before.reason != Reason::Invalid, after.reason != Reason::Invalid);
        let (from, to) = (destination(before), destination(after));
        match (was_valid, is_valid) {
            (true, false) => self.became_invalid.add(id),
            (false, true) => self.became_valid.add(id),
            (a, b) if a == b && from != to => {
                self.changed += 1;
                self.moves.entry((from.clone(), to.clone())).or_default().add(id);
            }
            _ => {}
        }
        if let Some(assignees) = self.assignees.as_mut() {
            if before.assignee != after.assignee {
                assignees.changed += 1;
                if from == to {
                    assignees.rotation_shifted.add(id);
                } else {
                    assignees.moved.add(id);
                }
            }
        }
    }

    fn finish(self) -> Measured {
        let total = self.leads.max(1) as f64;
        let mut transitions: Vec<Transition> = self
            .moves
            .into_iter()
            .map(|((from, to), sample)| Transition {
                from,
                to,
                count: sample.count,
                share: sample.count as f64 / total,
                leads: sample.leads,
            })
            .collect();
        transitions.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to))));
        Measured {
            leads: self.leads,
            changed: self.changed,
            transitions,
            became_invalid: self.became_invalid,
            became_valid: self.became_valid,
            assignees: self.assignees,
        }
    }
}
