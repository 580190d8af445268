//! Coercion of raw input (CSV text, JSON scalars) into typed [`Value`]s, by
//! the rules of LANGUAGE.md §3.
//!
//! Text is trimmed first. Then the empty string, and any text equal to a
//! schema `missing` marker, is absent — except for a list field, where it is
//! the empty list. Numbers are plain (`5000`, `-3`; floats also `12.5`,
//! `1e9`); `nan` and `inf` are not numbers. Booleans are
//! `true/false/yes/no/1/0` in any case. Enum values resolve
//! case-insensitively and through aliases. A list cell is `;`-separated; each
//! element is trimmed and coerced, and empty elements (and markers) are
//! skipped. Dates and datetimes are ISO 8601, or the field's `format`
//! first (see [`crate::schema::dates`]); list elements are ISO 8601.
//!
//! With `numbers: lenient` in the schema, int and float text that is not a
//! plain number is also read as exports write numbers (`1,234`,
//! `$5,000.00`, `5000.0` for an int; see [`LenientNumber`]); an int's
//! fraction must still be zero.
//!
//! JSON scalars of the field's own type are taken as they are; any other
//! scalar is coerced from its text as a CSV cell would be (CRMs export
//! `"5000"` strings and numeric zip codes), except that an int field also
//! accepts a JSON float with a zero fraction (`5000.0`) up to 2^53 in
//! magnitude (beyond, the float may be rounded already: it is out of range)
//! and a list field takes only an array or a (`;`-separated) string. JSON
//! numbers are parsed exactly (serde_json's `float_roundtrip`), so a number
//! reads the same from JSON as from a CSV cell.

use super::messages;
use crate::eval::LeadError;
use crate::schema::dates::{self, TimeKind};
use crate::schema::{ElementType, EnumId, Field, FieldId, FieldType, Numbers, Schema, StrValue, Value};
use crate::strmap::StrMap;

/// Why one field of one lead could not be coerced. The reader turns it into
/// a [`LeadError`] by adding the field and where the record was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The offending input text (trimmed), when there is one.
    pub value: Option<String>,
    /// What is wrong, in words (lowercase, user input in backticks).
    pub message: String,
}

impl FieldError {
    // Cold: the paths that lead here (every error) are laid out away from
    // the coercion of well-formed values.
    #[cold]
    #[inline(never)]
    fn new(value: impl Into<String>, message: String) -> FieldError {
        FieldError { value: Some(value.into()), message }
    }

    /// The lead-level error for this field at this record.
    pub fn into_lead_error(self, field: Option<&Field>, record: u64, line: u64) -> LeadError {
        let message = match field {
            Some(field) => messages::about_field(&field.name, &self.message),
            None => self.message,
        };
        LeadError { field: field.map(|f| f.name.clone()), value: self.value, message, record, line }
    }
}

/// A JSON scalar other than a string or null.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum JsonScalar {
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

impl JsonScalar {
    /// The scalar as text, the way a CSV cell would hold it.
    pub(crate) fn text(self) -> String {
        match self {
            JsonScalar::I64(i) => i.to_string(),
            JsonScalar::U64(u) => u.to_string(),
            // As serde_json writes it (`1e30`, `5000.0`): close to the input.
            JsonScalar::F64(f) => serde_json::Number::from_f64(f).map_or_else(|| f.to_string(), |n| n.to_string()),
            JsonScalar::Bool(b) => b.to_string(),
        }
    }
}

/// Whether a field holds one value or a list of them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    Scalar(ElementType),
    List(ElementType),
}

impl Shape {
    pub(crate) fn of(ty: FieldType) -> Shape {
        match ty {
            FieldType::String => Shape::Scalar(ElementType::String),
            FieldType::Int => Shape::Scalar(ElementType::Int),
            FieldType::Float => Shape::Scalar(ElementType::Float),
            FieldType::Bool => Shape::Scalar(ElementType::Bool),
            FieldType::Enum(id) => Shape::Scalar(ElementType::Enum(id)),
            FieldType::List(element) => Shape::List(element),
            FieldType::Date => Shape::Scalar(ElementType::Date),
            FieldType::DateTime => Shape::Scalar(ElementType::DateTime),
        }
    }
}

/// Coerces input for one schema. Built once per input: it holds lookup
/// tables (canonical enum spellings) and a scratch buffer so that coercing a
/// value allocates nothing beyond the value itself.
#[derive(Debug)]
pub struct Coercer<'s> {
    schema: &'s Schema,
    /// Per enum: its canonical values exactly as declared (the common case,
    /// found without lowercasing).
    canonical: Vec<StrMap<u32>>,
    /// Lowercasing buffer for case-insensitive enum lookups.
    scratch: String,
    /// Per field: how [`Coercer::plain_cell`] reads it, worked out once
    /// rather than from the schema's types for every cell.
    plain: Vec<PlainField>,
}

/// How [`Coercer::plain_cell`] reads one field's cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlainField {
    /// A present cell.
    kind: Plain,
    /// Whether a blank cell (empty or a missing marker) is simply absent,
    /// read in the same step (an optional scalar): a third of an export's
    /// rows have an empty optional cell or two, and the general path cost
    /// ten times as much for them.
    blank_is_absent: bool,
}

impl PlainField {
    fn of(field: &Field, read: bool) -> PlainField {
        let blank_is_absent = field.optional && !matches!(field.ty, FieldType::List(_));
        PlainField { kind: Plain::of(field.ty, read), blank_is_absent }
    }
}

/// How [`Coercer::plain_cell`] reads a field's plain cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plain {
    /// A string the run never reads: checked, not kept ([`Coercer::keeping`]).
    Unread,
    Str,
    Int,
    Float,
    Bool,
    /// A value of this enum (an index into `Coercer::canonical`).
    Enum(u32),
    /// A list, a date or a time: never plain.
    Never,
}

impl Plain {
    fn of(ty: FieldType, read: bool) -> Plain {
        match ty {
            FieldType::String if read => Plain::Str,
            FieldType::String => Plain::Unread,
            FieldType::Int => Plain::Int,
            FieldType::Float => Plain::Float,
            FieldType::Bool => Plain::Bool,
            FieldType::Enum(id) => Plain::Enum(id.0),
            FieldType::List(_) | FieldType::Date | FieldType::DateTime => Plain::Never,
        }
    }
}

impl<'s> Coercer<'s> {
    /// A coercer for `schema`.
    pub fn new(schema: &'s Schema) -> Coercer<'s> {
        let canonical = schema
            .enums
            .iter()
            .map(|ty| StrMap::new((0u32..).zip(&ty.values).map(|(i, value)| (value.as_str(), i))))
            .collect();
        let plain = schema.fields.iter().map(|f| PlainField::of(f, true)).collect();
        Coercer { schema, canonical, scratch: String::new(), plain }
    }

    /// Keeps only the string fields `read` marks (by [`FieldId`]; see
    /// [`crate::check::program::Program::fields_read`]). Every field is
    /// still checked (a required one present, a value of its type), but a
    /// present string nobody reads becomes the empty string, which costs no
    /// allocation, instead of a copy of the input.
    #[must_use]
    pub fn keeping(mut self, read: &[bool]) -> Coercer<'s> {
        self.plain = self
            .schema
            .fields
            .iter()
            .zip(read.iter().chain(std::iter::repeat(&true)))
            .map(|(field, &read)| PlainField::of(field, read))
            .collect();
        self
    }

    /// The schema coerced to.
    pub fn schema(&self) -> &'s Schema {
        self.schema
    }

    /// One CSV cell (or any raw text) for `field`, every rule applied: trim,
    /// absent/empty list, markers, the type, and whether the field is required.
    ///
    /// # Errors
    /// When the text is not a value of the field's type, or the field is
    /// required and the text means absent.
    #[inline]
    pub fn cell(&mut self, field: FieldId, raw: &str) -> Result<Value, FieldError> {
        match self.plain_cell(field, raw) {
            Some(value) => Ok(value),
            None => self.any_cell(field, raw),
        }
    }

    /// A JSON string for `field` (see [`Coercer::text`]): plain values in
    /// one step, as [`Coercer::cell`] reads them.
    ///
    /// # Errors
    /// As [`Coercer::text`].
    #[inline]
    pub(crate) fn json_text(&mut self, field: FieldId, raw: &str) -> Result<Value, FieldError> {
        match self.plain_cell(field, raw) {
            Some(value) => Ok(value),
            None => self.text(field, raw),
        }
    }

    /// [`Coercer::cell`] by the general path, every rule in its place.
    fn any_cell(&mut self, field: FieldId, raw: &str) -> Result<Value, FieldError> {
        match self.text(field, raw)? {
            Value::Absent => self.present(field, Value::Absent),
            value => Ok(value),
        }
    }

    /// The cells most of an export holds, read in one step: a present
    /// scalar in its plain spelling (a string, a plain int or float, an
    /// enum value spelt as declared, `true`/`false`), or a blank optional
    /// scalar (absent). `None` for anything else (a blank required field or
    /// list, a list, a date, an alias, a bad value),
    /// which [`Coercer::any_cell`] reads; where this gives a value, that
    /// gives the same (a property test holds the two together). Going
    /// through the general path's layers for every cell was a fifth of
    /// reading a CSV export.
    #[inline(always)]
    pub(crate) fn plain_cell(&self, field: FieldId, raw: &str) -> Option<Value> {
        let mut value = Value::Absent;
        self.plain_cell_into(field, raw, &mut value).then_some(value)
    }

    /// [`Coercer::plain_cell`] written over `slot`; whether it was plain.
    /// Each type writes its own value where it is built, in place: pushing
    /// it onto a vector instead built the value in a stack temporary with
    /// two 8-byte stores and copied it with one 16-byte load, which the
    /// store buffer cannot forward; that stall was 6% of a CSV run's time
    /// (perf: 40% of this loop's samples on the instruction after the load).
    /// Text goes into the string `slot` holds (the same field of the last
    /// lead read into it), so a string longer than fits inline allocates
    /// only when it is longer than any before it.
    #[inline(always)]
    pub(crate) fn plain_cell_into(&self, field: FieldId, raw: &str, slot: &mut Value) -> bool {
        let Some(&plain) = self.plain.get(field.index()) else { return false };
        let text = trim(raw);
        if text.is_empty() || self.schema.is_missing_marker(text) {
            if plain.blank_is_absent {
                slot.overwrite(Value::Absent);
            }
            return plain.blank_is_absent;
        }
        match plain.kind {
            Plain::Unread => match slot {
                Value::Str(held) => held.clear(),
                _ => slot.overwrite(Value::Str(StrValue::default())),
            },
            Plain::Str => match slot {
                Value::Str(held) => {
                    held.clear();
                    held.push_str(text);
                }
                _ => slot.overwrite(Value::Str(StrValue::from(text))),
            },
            Plain::Int => match text.parse() {
                Ok(n) => slot.set_int(n),
                Err(_) => return false,
            },
            Plain::Float => match plain_float(text) {
                Some(f) => slot.set_float(f),
                None => return false,
            },
            Plain::Bool => match parse_bool(text) {
                Some(b) => slot.set_bool(b),
                None => return false,
            },
            Plain::Enum(id) => match self.canonical.get(id as usize).and_then(|spellings| spellings.get(text)) {
                Some(e) => slot.set_enum(e),
                None => return false,
            },
            Plain::Never => return false,
        }
        true
    }

    /// A JSON number (its text, in JSON's syntax, `integral` when it has
    /// neither fraction nor exponent: the reader saw which) for an int or
    /// float field written over `slot`, when it is plainly one: an integer in
    /// range for an int, a decimal of at most 15 digits (see
    /// [`short_decimal`]) for a float; whether it was. Each value is the one
    /// serde_json's reading gives, `-0` included (a property test of the
    /// JSONL reader holds the two together, to the bit).
    #[inline(always)]
    pub(crate) fn plain_number_into(&self, field: FieldId, number: &str, integral: bool, slot: &mut Value) -> bool {
        match self.plain.get(field.index()).map(|f| f.kind) {
            Some(Plain::Int) if integral => match number.parse() {
                Ok(n) => slot.set_int(n),
                Err(_) => return false,
            },
            Some(Plain::Float) => match short_decimal(number) {
                Some(f) => slot.set_float(f),
                None => return false,
            },
            _ => return false,
        }
        true
    }

    /// A JSON `true` or `false` written over `slot` when `field` is a bool
    /// (the value [`Coercer::json_scalar`] gives it); whether it is one.
    #[inline(always)]
    pub(crate) fn plain_bool_into(&self, field: FieldId, b: bool, slot: &mut Value) -> bool {
        let is_bool = self.plain.get(field.index()).is_some_and(|f| f.kind == Plain::Bool);
        if is_bool {
            slot.set_bool(b);
        }
        is_bool
    }

    /// Whether `field` is a string the run never reads ([`Coercer::keeping`]).
    fn is_unread(&self, field: FieldId) -> bool {
        self.plain.get(field.index()).is_some_and(|f| f.kind == Plain::Unread)
    }

    /// Checks that a required field is not absent.
    ///
    /// # Errors
    /// `missing required field` when `value` is absent and the field required.
    pub fn present(&self, field: FieldId, value: Value) -> Result<Value, FieldError> {
        match self.schema.fields.get(field.index()) {
            Some(f) if !f.optional && matches!(value, Value::Absent) => {
                Err(FieldError { value: None, message: messages::missing_required(&f.name) })
            }
            _ => Ok(value),
        }
    }

    /// Text for `field` (a CSV cell or a JSON string), without the required
    /// check.
    #[inline]
    pub(crate) fn text(&mut self, field: FieldId, raw: &str) -> Result<Value, FieldError> {
        let Some(f) = self.schema.fields.get(field.index()) else { return Ok(Value::Absent) };
        let text = trim(raw);
        let means_absent = text.is_empty() || self.schema.is_missing_marker(text);
        match Shape::of(f.ty) {
            Shape::Scalar(_) if means_absent => Ok(Value::Absent),
            Shape::Scalar(_) if self.is_unread(field) => Ok(Value::Str(StrValue::default())),
            Shape::Scalar(ty) => self.scalar_text(ty, text, f.format.as_deref()),
            Shape::List(_) if means_absent => Ok(Value::List(Box::default())),
            Shape::List(ty) => {
                let mut items = Vec::new();
                for element in text.split(';') {
                    if let Some(value) = self.element_text(ty, element)? {
                        items.push(value);
                    }
                }
                Ok(Value::List(items.into()))
            }
        }
    }

    /// One list element from text; `None` when it is to be skipped (empty
    /// or a missing marker).
    pub(crate) fn element_text(&mut self, ty: ElementType, raw: &str) -> Result<Option<Value>, FieldError> {
        let text = trim(raw);
        if text.is_empty() || self.schema.is_missing_marker(text) {
            return Ok(None);
        }
        self.scalar_text(ty, text, None).map(Some)
    }

    /// A JSON number or bool for `field`, without the required check.
    pub(crate) fn json_scalar(&mut self, field: FieldId, value: JsonScalar) -> Result<Value, FieldError> {
        let Some(f) = self.schema.fields.get(field.index()) else { return Ok(Value::Absent) };
        match Shape::of(f.ty) {
            Shape::Scalar(ty) => self.scalar_json(ty, value),
            Shape::List(_) => {
                let text = value.text();
                let message = messages::expected_list(&format!("`{}`", messages::shown(&text)));
                Err(FieldError::new(text, message))
            }
        }
    }

    /// A JSON number or bool as a list element of type `ty`.
    pub(crate) fn scalar_json(&mut self, ty: ElementType, value: JsonScalar) -> Result<Value, FieldError> {
        match (ty, value) {
            (ElementType::Int, JsonScalar::I64(i)) => Ok(Value::Int(i)),
            (ElementType::Int, JsonScalar::U64(u)) => match i64::try_from(u) {
                Ok(i) => Ok(Value::Int(i)),
                Err(_) => {
                    let text = value.text();
                    Err(FieldError::new(text.clone(), messages::integer_out_of_range(&text)))
                }
            },
            (ElementType::Int, JsonScalar::F64(f)) => {
                // Beyond 2^53 a float may already be rounded (an integer
                // literal below i64::MIN arrives as one), so only smaller
                // whole floats are taken: the cast is then exact.
                const EXACT: f64 = 9_007_199_254_740_992.0;
                if f.fract() == 0.0 && (-EXACT..=EXACT).contains(&f) {
                    Ok(Value::Int(f as i64))
                } else if f.fract() == 0.0 {
                    let text = value.text();
                    Err(FieldError::new(text.clone(), messages::integer_out_of_range(&text)))
                } else {
                    let text = value.text();
                    Err(FieldError::new(text.clone(), messages::not_integer(&text)))
                }
            }
            (ElementType::Float, JsonScalar::I64(i)) => Ok(Value::Float(i as f64)),
            (ElementType::Float, JsonScalar::U64(u)) => Ok(Value::Float(u as f64)),
            (ElementType::Float, JsonScalar::F64(f)) if f.is_finite() => Ok(Value::Float(f)),
            (ElementType::Bool, JsonScalar::Bool(b)) => Ok(Value::Bool(b)),
            _ => {
                let text = value.text();
                self.scalar_text(ty, &text, None)
            }
        }
    }

    /// Trimmed, non-empty, non-marker text as a scalar of type `ty`
    /// (`format`: a date or datetime field's input format).
    #[inline]
    fn scalar_text(&mut self, ty: ElementType, text: &str, format: Option<&str>) -> Result<Value, FieldError> {
        match ty {
            ElementType::String => Ok(Value::Str(StrValue::from(text))),
            ElementType::Int => parse_int(text).or_else(|error| self.lenient_int(text, error)).map(Value::Int),
            ElementType::Float => parse_float(text).or_else(|error| self.lenient_float(text, error)).map(Value::Float),
            ElementType::Bool => match parse_bool(text) {
                Some(b) => Ok(Value::Bool(b)),
                None => Err(FieldError::new(text, messages::not_bool(text))),
            },
            ElementType::Enum(id) => match self.resolve_enum(id, text) {
                Some(index) => Ok(Value::Enum(index)),
                None => {
                    let message = match self.schema.enums.get(id.0 as usize) {
                        Some(enum_type) => messages::not_in_enum(text, enum_type),
                        None => messages::not_in_enum(text, &crate::schema::EnumType::default()),
                    };
                    Err(FieldError::new(text, message))
                }
            },
            ElementType::Date | ElementType::DateTime => {
                let kind = if ty == ElementType::Date { TimeKind::Date } else { TimeKind::DateTime };
                match dates::read(kind, format, text) {
                    Some(value) => Ok(Value::Int(value)),
                    None => Err(FieldError::new(text, messages::not_a_date(kind, format, text))),
                }
            }
        }
    }

    /// With `numbers: lenient`, an int written as an export writes it
    /// (`1,234`, `$5,000`, `5000.0`); else (or when it is not one) `error`.
    /// A fraction must be zero: `1.5` is never taken for an int.
    fn lenient_int(&self, text: &str, error: FieldError) -> Result<i64, FieldError> {
        if self.schema.numbers != Numbers::Lenient {
            return Err(error);
        }
        let Some(plain) = LenientNumber::parse(text) else { return Err(error) };
        if plain.fraction.bytes().any(|b| b != b'0') {
            return Err(FieldError::new(text, messages::not_whole(text)));
        }
        parse_int(&plain.integer()).map_err(|_| FieldError::new(text, messages::integer_out_of_range(text)))
    }

    /// With `numbers: lenient`, a float written as an export writes it
    /// (`1,234.5`, `$5,000.00`); else (or when it is not one) `error`.
    fn lenient_float(&self, text: &str, error: FieldError) -> Result<f64, FieldError> {
        if self.schema.numbers != Numbers::Lenient {
            return Err(error);
        }
        let Some(plain) = LenientNumber::parse(text) else { return Err(error) };
        parse_float(&plain.decimal()).map_err(|_| FieldError::new(text, messages::number_out_of_range(text)))
    }

    /// The enum value `text` means: its canonical spelling first (no
    /// allocation), then case-insensitively and through aliases.
    fn resolve_enum(&mut self, id: EnumId, text: &str) -> Option<u32> {
        let index = id.0 as usize;
        if let Some(value) = self.canonical.get(index).and_then(|map| map.get(text)) {
            return Some(value);
        }
        let enum_type = self.schema.enums.get(index)?;
        self.scratch.clear();
        if text.is_ascii() {
            self.scratch.extend(text.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            self.scratch.push_str(&text.to_lowercase());
        }
        enum_type.resolve(&self.scratch)
    }
}

/// `str::trim` (Unicode whitespace), with a fast path for the usual case of
/// ASCII at both ends. (A first test for a visible ASCII character at both
/// ends, inline or with the rest out of line, cost the CSV reader 6–8 M
/// instructions per 100k leads as the compiler laid the cell loop out
/// anew: not kept.)
pub(crate) fn trim(raw: &str) -> &str {
    let text = raw.trim_ascii();
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if !first.is_ascii() || !last.is_ascii() => text.trim(),
        _ => text,
    }
}

/// A plain integer: optional sign and digits only (`5,000`, `5.0` and `1e3`
/// are not integers).
fn parse_int(text: &str) -> Result<i64, FieldError> {
    text.parse::<i64>().map_err(|_| not_an_int(text))
}

/// Why `text` is not a plain integer.
#[cold]
fn not_an_int(text: &str) -> FieldError {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let message = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        messages::integer_out_of_range(text)
    } else {
        messages::not_integer(text)
    };
    FieldError::new(text, message)
}

/// A plain decimal number, with an optional exponent; never `nan` or `inf`.
fn parse_float(text: &str) -> Result<f64, FieldError> {
    match plain_float(text) {
        Some(f) => Ok(f),
        None if is_plain_number(text) && text.parse::<f64>().is_ok() => {
            Err(FieldError::new(text, messages::number_out_of_range(text)))
        }
        None => Err(FieldError::new(text, messages::not_number(text))),
    }
}

/// A plain decimal number that is finite; `None` for anything else.
fn plain_float(text: &str) -> Option<f64> {
    short_decimal(text).or_else(|| text.parse::<f64>().ok().filter(|f| f.is_finite() && is_plain_number(text)))
}

/// A decimal as exports write amounts (`-1234.5`: a sign, digits, at most
/// one point) with at most 15 digits, read without the general float
/// parser (a tenth of coercing a CSV row went there); `None` for anything
/// else. The digits as an integer (below 2^53) and the power of ten (at
/// most 10^15) are both exact doubles, so their one division is correctly
/// rounded: the value `str::parse` gives (Clinger's fast path, which it
/// takes first too, after a longer parse).
fn short_decimal(text: &str) -> Option<f64> {
    const POWERS: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    // At most 15 digits and a point.
    if digits.len() > 16 {
        return None;
    }
    let (mut mantissa, mut point) = (0u64, None);
    for (at, &byte) in digits.iter().enumerate() {
        let digit = byte.wrapping_sub(b'0');
        if digit < 10 {
            mantissa = mantissa * 10 + u64::from(digit);
        } else if byte == b'.' && point.is_none() {
            point = Some(digits.len() - at - 1);
        } else {
            return None;
        }
    }
    let count = digits.len() - usize::from(point.is_some());
    if count == 0 || count > 15 {
        return None;
    }
    let magnitude = mantissa as f64 / POWERS.get(point.unwrap_or(0))?;
    Some(if negative { -magnitude } else { magnitude })
}

/// Only the characters of a plain decimal number (`nan`, `inf` and
/// `infinity`, which Rust parses, are not).
fn is_plain_number(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'+' | b'-' | b'.' | b'e' | b'E'))
}

/// A number as spreadsheets and CRM exports write it, taken apart:
/// an optional sign, an optional currency sign (`$`, `€`, `£`, `¥`; the
/// minus before or after it), digits grouped by thousands with commas
/// (`1,234,567`: one to three digits, then groups of exactly three) or not
/// grouped, and an optional fraction after a `.`. Nothing else: no spaces
/// inside, no exponent, no `1.234,5` (the comma is a thousands separator
/// here, never a decimal point).
#[derive(Debug, Clone, PartialEq, Eq)]
struct LenientNumber<'a> {
    negative: bool,
    /// The integer digits, commas removed.
    digits: String,
    /// The fraction's digits (empty without a fraction).
    fraction: &'a str,
}

impl<'a> LenientNumber<'a> {
    fn parse(text: &'a str) -> Option<LenientNumber<'a>> {
        let (minus, rest) = sign(text);
        let rest = rest.strip_prefix(['$', '€', '£', '¥']).unwrap_or(rest);
        let (minus_after, rest) = if minus.is_some() { (None, rest) } else { sign(rest) };
        let negative = minus.or(minus_after).unwrap_or(false);
        let (integer, fraction) = match rest.split_once('.') {
            Some((integer, fraction)) => (integer, Some(fraction)),
            None => (rest, None),
        };
        if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        let digits = thousands(integer)?;
        Some(LenientNumber { negative, digits, fraction: fraction.unwrap_or("") })
    }

    /// The integer part as plain text (`-5000`).
    fn integer(&self) -> String {
        format!("{}{}", if self.negative { "-" } else { "" }, self.digits)
    }

    /// The whole number as plain decimal text (`-5000.25`).
    fn decimal(&self) -> String {
        if self.fraction.is_empty() {
            self.integer()
        } else {
            format!("{}.{}", self.integer(), self.fraction)
        }
    }
}

/// A leading `+` or `-`: whether it was a minus (`None`: no sign), and the rest.
fn sign(text: &str) -> (Option<bool>, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (Some(true), text.get(1..).unwrap_or("")),
        Some(b'+') => (Some(false), text.get(1..).unwrap_or("")),
        _ => (None, text),
    }
}

/// Digits, ungrouped or grouped by thousands with commas, without the
/// commas; `None` for anything else.
fn thousands(text: &str) -> Option<String> {
    let mut groups = text.split(',');
    let first = groups.next()?;
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    if !digits(first) || (text.contains(',') && first.len() > 3) {
        return None;
    }
    let mut out = first.to_string();
    for group in groups {
        if group.len() != 3 || !digits(group) {
            return None;
        }
        out.push_str(group);
    }
    Some(out)
}

/// `true/false/yes/no/1/0`, case-insensitive.
fn parse_bool(text: &str) -> Option<bool> {
    // The spellings exports write, without the case-insensitive search.
    match text {
        "true" => return Some(true),
        "false" => return Some(false),
        _ => {}
    }
    const SPELLINGS: [(&str, bool); 6] =
        [("true", true), ("false", false), ("yes", true), ("no", false), ("1", true), ("0", false)];
    SPELLINGS.iter().find(|(spelling, _)| spelling.eq_ignore_ascii_case(text)).map(|&(_, b)| b)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::schema::{EnumType, Field};

    fn field(name: &str, ty: FieldType, optional: bool) -> Field {
        Field::named(name, ty, optional)
    }

    /// A field of every type, required and optional, a marker, an alias.
    fn schema() -> Schema {
        let types = [
            FieldType::String,
            FieldType::Int,
            FieldType::Float,
            FieldType::Bool,
            FieldType::Enum(EnumId(0)),
            FieldType::Date,
            FieldType::List(ElementType::Int),
        ];
        let fields = types
            .iter()
            .enumerate()
            .flat_map(|(i, &ty)| [field(&format!("r{i}"), ty, false), field(&format!("o{i}"), ty, true)])
            .collect();
        let mut region = EnumType::new(vec!["NA".to_string(), "EMEA".to_string()]);
        region.add_alias("europe", 1);
        Schema { fields, enums: vec![region], missing: vec!["n/a".to_string()], ..Schema::default() }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// The one-step reading of plain cells gives what the general path
        /// gives, for every type, required or not, read or not.
        #[test]
        fn plain_cells_read_as_the_general_path_reads_them(
            raw in prop_oneof![
                prop::sample::select(vec![
                    "", " ", "n/a", "NA", "emea", "europe", "EMEA ", "true", "False", "yes", "0", "1", "-3", "+7",
                    "5000.0", "1e3", "nan", "inf", "1,234", "2026-01-31", "1;2", "12345678901234567890", "ä",
                ]).prop_map(str::to_string),
                "[ -~]{0,12}",
            ],
            field in 0u32..14,
            unread in any::<bool>(),
        ) {
            let schema = schema();
            let read: Vec<bool> = (0..14).map(|i| !(unread && i == field)).collect();
            let mut coercer = Coercer::new(&schema).keeping(&read);
            let general = coercer.any_cell(FieldId(field), &raw);
            prop_assert_eq!(coercer.cell(FieldId(field), &raw), general);
        }

        /// Short decimals read as `str::parse` reads them, to the bit.
        #[test]
        fn short_decimals_read_as_the_float_parser_reads_them(
            text in prop_oneof![
                "[-+]?[0-9]{0,16}(\\.[0-9]{0,16})?",
                "[-+]?[0-9]{0,8}\\.?[0-9]{0,8}[.eE+-]?[0-9]{0,3}",
                prop::sample::select(vec!["", ".", "-", "+.", "-0", "0.", ".5", "-.0", "1..2", "9007199254740993"])
                    .prop_map(str::to_string),
            ],
        ) {
            let parsed = text.parse::<f64>().ok();
            match short_decimal(&text) {
                Some(value) => prop_assert_eq!(Some(value.to_bits()), parsed.map(f64::to_bits)),
                // Only longer numbers (or what is no decimal) are left to the parser.
                None => prop_assert!(parsed.is_none() || text.bytes().filter(u8::is_ascii_digit).count() > 15
                    || text.contains(['e', 'E'])),
            }
        }
    }
}
