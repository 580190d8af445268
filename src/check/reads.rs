//! Which fields routing reads: what a reader must keep of a lead.
//!
//! `route eval` coerces every input field (a bad value makes the lead
//! invalid whether or not a rule reads it), but a string or list no rule
//! reads need not be kept: copying the lead's email address and company name
//! into memory only to drop them was a fifth of reading a CRM export
//! (docs/performance.md). This walks every place a checked program takes a
//! value from a lead, closed over derivations: a rule's or a score's
//! condition, a split's key, a sticky strategy's key, a lookup's or a table
//! column's key, the source of `domain()`/`lower()`/`within`. The id field
//! is read apart, by the reader itself.

use super::program::{Action, Cond, Derivation, Program, Strategy, Target};
use crate::schema::FieldId;

impl Program {
    /// Per field of the schema (input and derived, by [`FieldId`]): whether
    /// routing a lead (matching, derivations, distribution, `--explain`
    /// traces and `--scores`) can read its value.
    pub fn fields_read(&self) -> Vec<bool> {
        let mut read = vec![false; self.schema.fields.len()];
        let mut mark = |field: FieldId| {
            if let Some(slot) = read.get_mut(field.index()) {
                *slot = true;
            }
        };
        for rule in &self.rules {
            cond_fields(&rule.condition, &mut mark);
        }
        for action in self.actions() {
            action_fields(action, &mut mark);
        }
        for score in &self.scores {
            mark(score.field);
            score.terms.iter().for_each(|term| cond_fields(&term.condition, &mut mark));
        }
        // Derived fields come after every field they are computed from, so
        // one pass from the last back closes the set.
        let input = self.schema.input_count();
        for (offset, derivation) in self.schema.derived.iter().enumerate().rev() {
            if read.get(input + offset).copied().unwrap_or(false) {
                derivation_sources(derivation, &mut |field| {
                    if let Some(slot) = read.get_mut(field.index()) {
                        *slot = true;
                    }
                });
            }
        }
        read
    }
}

/// Calls `mark` on every field a condition tests.
fn cond_fields(cond: &Cond, mark: &mut dyn FnMut(FieldId)) {
    match cond {
        Cond::True => {}
        Cond::All(parts) | Cond::Any(parts) => parts.iter().for_each(|part| cond_fields(part, mark)),
        Cond::Not(inner) => cond_fields(inner, mark),
        Cond::Test(test) => mark(test.field),
    }
}

/// Calls `mark` on every field an action reads to place a lead: split
/// keys, sticky keys, lookup keys and rep fields, in every arm, fallback
/// and second owner.
fn action_fields(action: &Action, mark: &mut dyn FnMut(FieldId)) {
    for target in std::iter::once(&action.target).chain(&action.fallbacks) {
        if let Target::Split(split) = target {
            mark(split.field);
            split.arms.iter().for_each(|arm| action_fields(&arm.action, mark));
        }
    }
    action.for_each_target(&mut |target| match target {
        Target::Team { strategy: Strategy::Sticky(field), .. } => mark(*field),
        Target::RepLookup { key, .. } => mark(*key),
        Target::RepField(field) => mark(*field),
        Target::Team { .. } | Target::Rep(_) | Target::Queue(_) | Target::Split(_) => {}
    });
}

/// Calls `mark` on every field a derivation is computed from (a score's
/// terms are marked with the score).
fn derivation_sources(derivation: &Derivation, mark: &mut dyn FnMut(FieldId)) {
    match derivation {
        Derivation::Column { key, .. } => mark(*key),
        Derivation::Domain(field) | Derivation::Lower(field) | Derivation::Within { field, .. } => mark(*field),
        Derivation::Score(_) | Derivation::Hours(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::check::check_source;

    /// The names of the fields `fields_read` marks, input and derived.
    fn read_names(source: &str) -> Vec<String> {
        let checked = check_source("t.route", Path::new("t.route"), source.to_string());
        let Some(program) = checked.program else { panic!("{:?}", checked.diagnostics) };
        let read = program.fields_read();
        program.schema.fields.iter().zip(read).filter(|(_, read)| *read).map(|(f, _)| f.name.clone()).collect()
    }

    #[test]
    fn every_way_of_reading_a_field_is_found_and_nothing_else() {
        let names = read_names(
            r#"
schema lead {
  id: string
  email: string
  company: string
  account_id: string?
  region: "NA" | "EMEA"
  notes: string?
  employees: int
}
team a = ["a@x.io", "b@x.io"]
team b = ["c@x.io"]
score fit {
  10 when domain(email) == "x.io"
}
when region == "NA" -> team a via sticky(company)
when fit > 5 -> team b
otherwise -> split test by account_id { 50% team a; 50% team b }
"#,
        );
        let inputs: Vec<&str> = names.iter().map(String::as_str).filter(|n| !n.contains('(') && *n != "fit").collect();
        // `id` and `notes` and `employees` are read by no rule; `email` only
        // through `domain()` in a score.
        assert_eq!(inputs, ["email", "company", "account_id", "region"], "{names:?}");
        assert!(names.len() > inputs.len(), "the derived fields are marked too: {names:?}");
    }

    /// A key read only by a rep target's table column (`rep T[key].col`):
    /// the derived column is read, so its key is.
    #[test]
    #[allow(clippy::unwrap_used, reason = "tests may fail loudly")]
    fn a_table_column_target_reads_its_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("owners.csv"), "account,owner\nA1,ana@x.io\n").unwrap();
        let source = r#"
schema lead {
  id: string
  account: string?
  company: string?
}
table owners from "owners.csv" key account {
  owner: string
}
team a = ["a@x.io"]
otherwise -> rep owners[account].owner else fallback a
"#;
        let path = dir.path().join("routing.route");
        std::fs::write(&path, source).unwrap();
        let checked = crate::check::check_file(&path).unwrap();
        let Some(program) = checked.program else { panic!("{:?}", checked.diagnostics) };
        let read = program.fields_read();
        let input: Vec<&str> = program
            .schema
            .input_fields()
            .iter()
            .zip(&read)
            .filter(|(_, read)| **read)
            .map(|(f, _)| f.name.as_str())
            .collect();
        assert_eq!(input, ["account"]);
    }
}
