//! A lead's values classed by the kind of their field: the tables the
//! filter finds a lead's rows (or classes) in, one list per kind (enum,
//! bool, string, number), so that each field is classed with its kind's
//! code only and no field pays a dispatch on the kind of another.
//!
//! `R` is what a class's entry is: a row's words themselves or where it
//! starts ([`super::flat`]), or the class's number beside its slot (the
//! tree's [`super::LeadClasses`]).

use super::classes::{Classes, Cuts};
use super::Slot;
use crate::schema::{FieldId, Lead, Value};
use crate::strmap::StrMap;

/// A field of enum type: the row of each value, by its index.
#[derive(Debug, Clone)]
struct EnumField<R> {
    field: FieldId,
    rows: Box<[R]>,
    absent: R,
}

/// A boolean field: the rows of `false` and `true`.
#[derive(Debug, Clone)]
struct BoolField<R> {
    field: FieldId,
    no: R,
    yes: R,
    absent: R,
}

/// A string field: the row of each literal the rules name, and of every
/// other string.
#[derive(Debug, Clone)]
struct StrField<R> {
    field: FieldId,
    row_of: StrMap<R>,
    other: R,
    absent: R,
}

/// A number field: the row of each interval between the rules' cut
/// points.
#[derive(Debug, Clone)]
struct NumberField<R> {
    field: FieldId,
    cuts: Cuts,
    /// An int field: a float value is of another type there.
    integer: bool,
    rows: Box<[R]>,
    absent: R,
}

/// The fields one leaf ANDs, by kind, each class holding its entry as an
/// `R`.
#[derive(Debug, Clone)]
pub(super) struct Fields<R> {
    enums: Box<[EnumField<R>]>,
    bools: Box<[BoolField<R>]>,
    strs: Box<[StrField<R>]>,
    numbers: Box<[NumberField<R>]>,
}

impl<R: Copy> Fields<R> {
    /// The tables of `slots`' fields, each class's entry as `row` makes
    /// it from the slot's place in `slots` and the class (the last class
    /// is absent: [`Classes::count`]); `None` if `row` has none.
    pub(super) fn new(slots: &[&Slot], mut row: impl FnMut(usize, u32) -> Option<R>) -> Option<Fields<R>> {
        let (mut enums, mut bools, mut strs, mut numbers) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (k, f) in slots.iter().enumerate() {
            let count = u32::try_from(f.classes.count()).ok()?;
            let rows = (0..count).map(|class| row(k, class)).collect::<Option<Vec<R>>>()?;
            let (&absent, by_class) = rows.split_last()?;
            match &f.classes {
                Classes::Enum(_) => enums.push(EnumField { field: f.field, rows: by_class.into(), absent }),
                Classes::Bool => {
                    let &[no, yes] = by_class else { return None };
                    bools.push(BoolField { field: f.field, no, yes, absent });
                }
                Classes::Str { class_of, .. } => {
                    let (&other, literals) = by_class.split_last()?;
                    let row_of = class_of.map_values(|class| literals.get(class as usize).copied().unwrap_or(other));
                    strs.push(StrField { field: f.field, row_of, other, absent });
                }
                Classes::Interval { cuts, integer } => numbers.push(NumberField {
                    field: f.field,
                    cuts: Cuts::new(cuts),
                    integer: *integer,
                    rows: by_class.into(),
                    absent,
                }),
            }
        }
        Some(Fields { enums: enums.into(), bools: bools.into(), strs: strs.into(), numbers: numbers.into() })
    }

    /// Calls `visit` with the lead's row of each field; `None` when a
    /// value cannot be classed (of another type, NaN) or `visit` says so.
    #[inline(always)]
    pub(super) fn each_row(&self, lead: &Lead, mut visit: impl FnMut(R) -> Option<()>) -> Option<()> {
        for f in self.enums.iter() {
            visit(match lead.get(f.field) {
                Value::Enum(i) => f.rows.get(*i as usize).copied()?,
                Value::Absent => f.absent,
                _ => return None,
            })?;
        }
        for f in self.bools.iter() {
            visit(match lead.get(f.field) {
                Value::Bool(true) => f.yes,
                Value::Bool(false) => f.no,
                Value::Absent => f.absent,
                _ => return None,
            })?;
        }
        for f in self.strs.iter() {
            visit(match lead.get(f.field) {
                Value::Str(s) => f.row_of.get(s).unwrap_or(f.other),
                Value::Absent => f.absent,
                _ => return None,
            })?;
        }
        for f in self.numbers.iter() {
            let x = match lead.get(f.field) {
                Value::Int(i) => *i as f64,
                Value::Float(x) if !f.integer && !x.is_nan() => *x,
                Value::Absent => {
                    visit(f.absent)?;
                    continue;
                }
                _ => return None,
            };
            visit(f.rows.get(f.cuts.at_or_below(x)).copied()?)?;
        }
        Some(())
    }

    /// Words its tables take, a row being `row_words` of them.
    pub(super) fn size(&self, row_words: usize) -> usize {
        let rows = self.enums.iter().map(|f| f.rows.len() + 1).sum::<usize>()
            + self.bools.len() * 3
            + self.strs.iter().map(|f| 2 * f.row_of.len() + 2).sum::<usize>()
            + self.numbers.iter().map(|f| f.rows.len() + 1).sum::<usize>();
        let cuts = self.numbers.iter().map(|f| f.cuts.len()).sum::<usize>();
        rows * row_words + cuts
    }
}
