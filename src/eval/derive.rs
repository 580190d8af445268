//! The derive step: fills a lead's derived fields (table columns,
//! `domain()`, `lower()`, scores, `within` and working-hours tests of the
//! routing instant; see [`crate::schema`]) from its input fields and `now`,
//! once per lead, before it is matched.
//!
//! Every place that matches a lead calls [`Program::derive`] first:
//! `route eval`, `route serve`, `route test`, `diff` replay, the reference
//! interpreter's callers and the analysis when it checks an example. The
//! derived fields come after the fields they are computed from, so one pass
//! in field order sees every dependency filled.

use std::fmt::Write as _;

use crate::check::program::{Derivation, Program, Table};
use crate::schema::{dates, FieldType, Lead, Schema, StrValue, Value};

/// What the derive step needs of the routing instant, worked out once per
/// instant rather than once per lead: the instant itself, and whether it
/// falls in each working-hours expression (a time-zone conversion each).
#[derive(Debug, Clone)]
pub struct Moment {
    now: jiff::Timestamp,
    /// `in_hours[i]`: whether `now` is inside `Program::hours[i]`.
    in_hours: Vec<bool>,
}

impl Program {
    /// The routing instant `now` as the derive step reads it.
    pub fn moment(&self, now: jiff::Timestamp) -> Moment {
        Moment { now, in_hours: self.hours.iter().map(|hours| hours.contains(now)).collect() }
    }

    /// Fills the derived fields of `lead` (read and coerced to this
    /// program's schema). `now` is the moment leads are judged at (for
    /// time-relative values). A lead with no derived fields is left as is.
    /// Many leads at one instant: [`Program::moment`] once, then
    /// [`Program::derive_at`].
    pub fn derive(&self, lead: &mut Lead, now: jiff::Timestamp) {
        if !self.schema.derived.is_empty() {
            self.derive_at(lead, &self.moment(now));
        }
    }

    /// [`Program::derive`] at a moment worked out beforehand.
    pub fn derive_at(&self, lead: &mut Lead, moment: &Moment) {
        let schema = &self.schema;
        if schema.derived.is_empty() {
            return;
        }
        let inputs = schema.input_count();
        lead.values.resize_with(schema.fields.len(), || Value::Absent);
        // Inline up to 24 bytes: a short key costs no allocation.
        let mut key = StrValue::default();
        for (offset, derivation) in schema.derived.iter().enumerate() {
            let value = match *derivation {
                Derivation::Column { table, key: field, column } => {
                    let table = self.tables.get(table.0 as usize);
                    match (table, table_key(schema, field, lead.get(field), &mut key)) {
                        (Some(table), true) => column_value(table, &mut key, column),
                        _ => Value::Absent,
                    }
                }
                Derivation::Domain(field) => match lead.get(field) {
                    Value::Str(text) => domain(text).map_or(Value::Absent, Value::Str),
                    _ => Value::Absent,
                },
                Derivation::Lower(field) => match lead.get(field) {
                    Value::Str(text) => Value::Str(text.to_lowercase()),
                    _ => Value::Absent,
                },
                Derivation::Score(score) => {
                    let terms = self.scores.get(score.0 as usize).map_or(&[][..], |s| s.terms.as_slice());
                    let sum = terms
                        .iter()
                        .filter(|term| term.condition.holds(lead, &self.lookups))
                        .fold(0i64, |sum, term| sum.saturating_add(term.points));
                    Value::Int(sum)
                }
                Derivation::Within { field, window } => {
                    Value::Bool(within(schema.field(field).ty, lead.get(field), window, moment.now))
                }
                Derivation::Hours(id) => Value::Bool(moment.in_hours.get(id.0 as usize).copied().unwrap_or(false)),
            };
            if let Some(slot) = lead.values.get_mut(inputs + offset) {
                *slot = value;
            }
        }
    }
}

/// `FIELD within N UNITS`: `now - window <= value <= now`, in days of the
/// UTC calendar for a date and in milliseconds for a datetime; false for
/// an absent value.
fn within(ty: FieldType, value: &Value, window: i64, now: jiff::Timestamp) -> bool {
    let Value::Int(value) = *value else { return false };
    let end = match ty {
        FieldType::Date => now.as_millisecond().div_euclid(dates::MS_PER_DAY),
        _ => now.as_millisecond(),
    };
    end.saturating_sub(window) <= value && value <= end
}

/// The value of `column` in the row keyed `key`; absent when no row has it.
fn column_value(table: &Table, key: &mut StrValue, column: Option<u32>) -> Value {
    table.row(key).map_or(Value::Absent, |row| table.cell(row, column))
}

/// `domain(text)`: what follows the last `@`, lowercased; `None` when there
/// is no `@` or nothing after it.
pub fn domain(text: &str) -> Option<StrValue> {
    let (_, after) = text.rsplit_once('@')?;
    (!after.is_empty()).then(|| StrValue::from_str_to_lowercase(after))
}

/// Writes a key field's value as table keys are written: text as is, an
/// enum value by its canonical name, an int in decimal. `false` when the
/// value is absent (or of another type: the checker allows only these).
pub fn table_key(schema: &Schema, field: crate::schema::FieldId, value: &Value, out: &mut StrValue) -> bool {
    out.clear();
    match (value, schema.field(field).ty) {
        (Value::Str(s), _) => out.push_str(s),
        (Value::Enum(e), FieldType::Enum(id)) => out.push_str(schema.enum_type(id).name(*e)),
        (Value::Int(i), _) => {
            let _ = write!(out, "{i}");
        }
        _ => return false,
    }
    true
}
