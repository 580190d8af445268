//! The lead schema as the checker resolved it, and lead values.
//!
//! A [`Schema`] is the contract with the CRM export: which fields exist, their
//! types, which input column each reads, which placeholders mean "absent",
//! and how enum spellings map (case-insensitively, through `alias`). A
//! [`Lead`] is one input record coerced to that contract: a row of typed
//! [`Value`]s indexed by [`FieldId`], so evaluation never looks up a name.
//!
//! Input fields come first (`FieldId` 0..n, read from the input); after them
//! come **derived fields** (n..), one per distinct value the rules compute
//! from a lead (`accounts[account].sector`, `domain(email)`, a score), each
//! with its [`Derivation`]. Readers fill the input fields only;
//! [`crate::check::Program::derive`] fills the rest before matching, so the
//! compiler, the DAG and every test treat a derived value as a field.

use rustc_hash::FxHashMap;

use crate::check::program::Derivation;
use crate::source::Span;

pub mod dates;

use dates::TimeKind;

/// Index of a field in [`Schema::fields`] and in [`Lead::values`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub u32);

impl FieldId {
    /// As an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of an enum in [`Schema::enums`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnumId(pub u32);

/// The type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// Text.
    String,
    /// 64-bit integer.
    Int,
    /// 64-bit float.
    Float,
    /// Boolean.
    Bool,
    /// One of a fixed set of strings.
    Enum(EnumId),
    /// A list of scalars (`;`-separated in CSV, an array in JSON).
    List(ElementType),
    /// A calendar date, held as days since 1970-01-01 (see [`dates`]).
    Date,
    /// An instant, held as milliseconds since 1970-01-01T00:00:00Z.
    DateTime,
}

impl FieldType {
    /// Whether a date or datetime, and which.
    pub fn time_kind(self) -> Option<TimeKind> {
        match self {
            FieldType::Date | FieldType::List(ElementType::Date) => Some(TimeKind::Date),
            FieldType::DateTime | FieldType::List(ElementType::DateTime) => Some(TimeKind::DateTime),
            _ => None,
        }
    }

    /// Whether values are [`Value::Int`]s: ints, and dates and datetimes,
    /// which compare, compile and analyse as ints.
    pub fn is_integral(self) -> bool {
        matches!(self, FieldType::Int | FieldType::Date | FieldType::DateTime)
    }
}

/// The element type of a list field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElementType {
    /// Text.
    String,
    /// 64-bit integer.
    Int,
    /// 64-bit float.
    Float,
    /// Boolean.
    Bool,
    /// Enum values.
    Enum(EnumId),
    /// Dates (ISO 8601 in a list).
    Date,
    /// Datetimes (ISO 8601 in a list).
    DateTime,
}

impl ElementType {
    /// The scalar field type of one element.
    pub fn as_field_type(self) -> FieldType {
        match self {
            ElementType::String => FieldType::String,
            ElementType::Int => FieldType::Int,
            ElementType::Float => FieldType::Float,
            ElementType::Bool => FieldType::Bool,
            ElementType::Enum(id) => FieldType::Enum(id),
            ElementType::Date => FieldType::Date,
            ElementType::DateTime => FieldType::DateTime,
        }
    }
}

/// One schema field.
#[derive(Debug, Clone)]
pub struct Field {
    /// The name rules use.
    pub name: String,
    /// The input column (CSV header) or JSON key it is read from.
    pub column: String,
    /// Its type.
    pub ty: FieldType,
    /// Whether it may be absent.
    pub optional: bool,
    /// The strftime-style input format of a date or datetime field
    /// (`format "%m/%d/%Y"`), tried before ISO 8601.
    pub format: Option<String>,
    /// Where it was declared.
    pub span: Span,
}

impl Field {
    /// A field read from the column of its own name, with no input format,
    /// declared nowhere: for schemas built in code (tests, benchmarks).
    pub fn named(name: &str, ty: FieldType, optional: bool) -> Field {
        Field { name: name.to_string(), column: name.to_string(), ty, optional, format: None, span: Span::default() }
    }
}

/// An enum's values and every accepted spelling.
#[derive(Debug, Clone, Default)]
pub struct EnumType {
    /// Canonical values, in declaration order.
    pub values: Vec<String>,
    /// Lowercased spelling (values and aliases) to value index.
    spellings: FxHashMap<String, u32>,
}

impl EnumType {
    /// An enum of the given values; each matches itself case-insensitively.
    pub fn new(values: Vec<String>) -> EnumType {
        let mut spellings = FxHashMap::default();
        for (i, value) in values.iter().enumerate() {
            spellings.entry(value.to_lowercase()).or_insert(u32::try_from(i).unwrap_or(u32::MAX));
        }
        EnumType { values, spellings }
    }

    /// Adds an alias spelling; returns the index it already mapped to when
    /// that differs (a conflict).
    pub fn add_alias(&mut self, spelling: &str, value: u32) -> Option<u32> {
        let previous = *self.spellings.entry(spelling.to_lowercase()).or_insert(value);
        (previous != value).then_some(previous)
    }

    /// The value a spelling means (case-insensitive, aliases included).
    pub fn resolve(&self, spelling: &str) -> Option<u32> {
        if let Some(&index) = self.spellings.get(spelling) {
            return Some(index);
        }
        self.spellings.get(&spelling.to_lowercase()).copied()
    }

    /// The canonical text of a value.
    pub fn name(&self, index: u32) -> &str {
        self.values.get(index as usize).map_or("", String::as_str)
    }
}

/// The resolved schema.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Fields in declaration order; [`FieldId`] indexes this.
    pub fields: Vec<Field>,
    /// Enum types; [`EnumId`] indexes this.
    pub enums: Vec<EnumType>,
    /// Input values that mean "absent" (compared after trimming, exactly).
    pub missing: Vec<String>,
    /// The field named `id`, which names leads in output.
    pub id_field: Option<FieldId>,
    /// How each derived field is computed: `derived[i]` is field
    /// `fields.len() - derived.len() + i`. Derived fields come after every
    /// input field, and after every field they are computed from.
    pub derived: Vec<Derivation>,
    /// How input numbers are read (`numbers: lenient` in the schema).
    pub numbers: Numbers,
}

/// How int and float input text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Numbers {
    /// Plain numbers only (`5000`, `-3`, `12.5`, `1e9`).
    #[default]
    Strict,
    /// Also numbers as exports write them: `1,234`, `$5,000.00`, and
    /// `5000.0` for an int (`numbers: lenient`).
    Lenient,
}

impl Schema {
    /// The field with the given name.
    pub fn field_by_name(&self, name: &str) -> Option<FieldId> {
        self.fields.iter().position(|f| f.name == name).and_then(|i| u32::try_from(i).ok()).map(FieldId)
    }

    /// The field behind an id.
    #[expect(
        clippy::indexing_slicing,
        reason = "INVARIANT: ids are positions in this schema's append-only vectors, issued by the checker (or the diff's joint schema) that built it"
    )]
    pub fn field(&self, id: FieldId) -> &Field {
        &self.fields[id.index()]
    }

    /// The enum behind an id.
    #[expect(
        clippy::indexing_slicing,
        reason = "INVARIANT: ids are positions in this schema's append-only vectors, issued by the checker (or the diff's joint schema) that built it"
    )]
    pub fn enum_type(&self, id: EnumId) -> &EnumType {
        &self.enums[id.0 as usize]
    }

    /// The fields read from the input (every field but the derived ones).
    pub fn input_fields(&self) -> &[Field] {
        self.fields.get(..self.input_count()).unwrap_or_default()
    }

    /// How many fields are read from the input.
    pub fn input_count(&self) -> usize {
        self.fields.len().saturating_sub(self.derived.len())
    }

    /// How a field is derived; `None` for an input field.
    pub fn derivation(&self, id: FieldId) -> Option<&Derivation> {
        id.index().checked_sub(self.input_count()).and_then(|i| self.derived.get(i))
    }

    /// Whether an input value is a declared placeholder for "absent".
    #[inline]
    pub fn is_missing_marker(&self, value: &str) -> bool {
        self.missing.iter().any(|m| m == value)
    }
}

/// The text of a string value: up to 24 bytes held in the value itself
/// (country codes, states, ids, most company names), longer text on the
/// heap. Reading a lead then allocates nothing for most of its strings,
/// and matching reads a short string from the cache line it already has
/// (its own allocation was the costliest load of matching in memory).
pub type StrValue = compact_str::CompactString;

/// A typed value of one field of one lead. 24 bytes (a test holds it
/// there): a lead's values are read one after another by every rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Not given (empty, `null`, a missing marker, or the key/column absent).
    Absent,
    /// Text (trimmed).
    Str(StrValue),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Boolean.
    Bool(bool),
    /// Index into the field's enum values.
    Enum(u32),
    /// A list of element values (boxed, not a `Vec`, so that `Value`
    /// stays 24 bytes beside [`StrValue`]).
    List(Box<[Value]>),
}

impl Value {
    /// Writes `value` over this one. A reader writes each cell over the
    /// same field of the last lead read into its record, and a plain
    /// assignment drops the old value first through an out-of-line
    /// `drop_in_place` (about 22 instructions a cell, 5% of routing a
    /// CSV lead); here the old value is let go by [`Value::release`].
    /// (Also writing a number over a number in place, by a match on both
    /// values, brought the drop calls back: 587 M → 606 M instructions per
    /// 100k leads.)
    #[inline(always)]
    pub fn overwrite(&mut self, value: Value) {
        std::mem::replace(self, value).release();
    }

    // Writing a number, bool or enum over the slot of a field of its
    // kind, which holds one lead after lead: in place, with no old value
    // to take out and let go of (81 fewer instructions a CSV lead at 100
    // generated rules, 1.6%; docs/performance.md). One method a kind:
    // one `set(CopyValue)` matching both kinds cost 40 instructions a lead
    // more (495.5 M against 491.5 M per 100k leads), the compiler having
    // merged its call sites and matched the new value's kind at run time.

    /// Writes `n` over this value (in place over an int).
    #[inline(always)]
    pub fn set_int(&mut self, n: i64) {
        match self {
            Value::Int(held) => *held = n,
            slot => slot.overwrite(Value::Int(n)),
        }
    }

    /// Writes `f` over this value (in place over a float).
    #[inline(always)]
    pub fn set_float(&mut self, f: f64) {
        match self {
            Value::Float(held) => *held = f,
            slot => slot.overwrite(Value::Float(f)),
        }
    }

    /// Writes `b` over this value (in place over a bool).
    #[inline(always)]
    pub fn set_bool(&mut self, b: bool) {
        match self {
            Value::Bool(held) => *held = b,
            slot => slot.overwrite(Value::Bool(b)),
        }
    }

    /// Writes the enum value `e` over this value (in place over an enum).
    #[inline(always)]
    pub fn set_enum(&mut self, e: u32) {
        match self {
            Value::Enum(held) => *held = e,
            slot => slot.overwrite(Value::Enum(e)),
        }
    }

    /// Lets the value go: dropped only when it may own memory (a string
    /// on the heap or a list), forgotten without a call to its drop glue
    /// when it cannot.
    #[inline(always)]
    pub fn release(self) {
        match &self {
            Value::Absent | Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Enum(_) => std::mem::forget(self),
            Value::Str(text) if !text.is_heap_allocated() => std::mem::forget(self),
            Value::Str(_) | Value::List(_) => drop(self),
        }
    }

    /// The value as a number, for comparisons (ints widen to f64).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// One lead, coerced to the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    /// One value per schema field, indexed by [`FieldId`].
    pub values: Vec<Value>,
}

impl Lead {
    /// The value of a field.
    pub fn get(&self, field: FieldId) -> &Value {
        self.values.get(field.index()).unwrap_or(&Value::Absent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_three_words_and_short_text_lives_in_it() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
        let short = StrValue::from("Soylentanalytics, GmbH");
        assert!(!short.is_heap_allocated(), "{short} is {} bytes", short.len());
    }

    /// One value of every kind, inline and heap strings both.
    fn every_kind() -> Vec<Value> {
        vec![
            Value::Absent,
            Value::Str(StrValue::from("DE")),
            Value::Str(StrValue::from("a string longer than twenty-four bytes")),
            Value::Int(-7),
            Value::Float(2.5),
            Value::Bool(true),
            Value::Enum(3),
            Value::List(vec![Value::Int(1), Value::Str(StrValue::from("x"))].into_boxed_slice()),
        ]
    }

    #[test]
    fn overwrite_leaves_the_new_value_over_any_old_one() {
        for old in every_kind() {
            for new in every_kind() {
                let mut slot = old.clone();
                slot.overwrite(new.clone());
                assert_eq!(slot, new, "{old:?} overwritten by {new:?}");
            }
        }
    }
}
