//! The JSON Lines lead reader.
//!
//! The input is read one line at a time ([`Lines`]: ends at `\n`, `\r\n` or
//! a lone `\r`, at most [`MAX_LINE_BYTES`] kept), so a broken or overlong
//! line is one invalid lead and the next line is read as usual (serde_json's
//! `StreamDeserializer` would stop at the first error). Blank lines are not
//! records but are counted as lines.
//!
//! Each line is parsed by a `DeserializeSeed` that walks the object once:
//! each key is looked up in a [`ColumnMap`] built once per input, a known
//! key's value is coerced straight into its field's [`Value`], and unknown
//! keys are skipped with `IgnoredAny`, so no `serde_json::Value` is built.
//!
//! INVARIANT: the seeds descend at most three levels (object, list, element);
//! anything deeper is skipped with `IgnoredAny`, which serde_json does
//! without recursion. So nesting depth cannot overflow the stack (and
//! serde_json's recursion limit would turn it into an error if it could).

use std::fmt;
use std::io::BufRead;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::coerce::{Coercer, FieldError, JsonScalar, Shape};
use super::lines::{Lines, MAX_LINE_BYTES};
use super::messages;
use super::read::{ColumnMap, Framed, InputRecord, Match, Shared};
use crate::schema::{ElementType, FieldId, Lead, Schema, Value};

/// Reads JSONL leads; see the module docs.
pub(crate) struct JsonlSource<'s> {
    lines: Lines<'s>,
    parser: ObjectParser<'s>,
    done: bool,
}

impl<'s> JsonlSource<'s> {
    pub(crate) fn new(schema: &'s Schema, input: Box<dyn BufRead + Send + 's>) -> JsonlSource<'s> {
        JsonlSource { lines: Lines::new(input, MAX_LINE_BYTES), parser: ObjectParser::new(schema), done: false }
    }

    /// The next record written over `out` (its buffers reused); `false` at
    /// the end of the input.
    pub(crate) fn next_record_into(&mut self, shared: &mut Shared<'s>, out: &mut InputRecord) -> bool {
        match self.next_item(shared) {
            None => false,
            Some(Item::Ready(record)) => {
                *out = record;
                true
            }
            Some(Item::Line { record, line, start }) => {
                let bytes = self.lines.buf.get(start..).unwrap_or_default();
                parse_object_into(&mut self.parser, &mut shared.coercer, bytes, (record, line), out);
                true
            }
        }
    }

    /// The `keep` values of the line just read (see [`kept_values`]).
    pub(crate) fn kept_of_last(&self, keep: &[String]) -> Vec<Option<String>> {
        let bytes = self.lines.buf.as_slice();
        kept_values(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes), keep)
    }

    /// The next record framed: a line's bytes copied to the end of
    /// `bytes`; `None` at the end of the input.
    pub(crate) fn next_framed(&mut self, shared: &mut Shared<'s>, bytes: &mut Vec<u8>) -> Option<Framed> {
        Some(match self.next_item(shared)? {
            Item::Ready(record) => Framed::Ready(record),
            Item::Line { record, line, start } => {
                let at = bytes.len();
                bytes.extend_from_slice(self.lines.buf.get(start..).unwrap_or_default());
                Framed::Line { record, line, bytes: (at, bytes.len()) }
            }
        })
    }

    /// The next record: ready when it cannot be parsed, else a line (from
    /// byte `start` of the line buffer), numbered, to be parsed.
    fn next_item(&mut self, shared: &mut Shared<'s>) -> Option<Item> {
        if self.done {
            return None;
        }
        loop {
            let line = self.lines.line + 1;
            match self.lines.next_line() {
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Ok(Some(true)) => {
                    return Some(Item::Ready(shared.invalid(line, None, messages::line_too_long(MAX_LINE_BYTES))));
                }
                Ok(Some(false)) => {}
                Err(error) => {
                    self.done = true;
                    return Some(Item::Ready(shared.failed(line, error)));
                }
            }
            let bytes = self.lines.buf.as_slice();
            let start = if line == 1 && bytes.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
            if is_blank(bytes.get(start..).unwrap_or_default()) {
                continue;
            }
            return Some(Item::Line { record: shared.next_record(), line, start });
        }
    }
}

/// What one JSONL line became when framed.
enum Item {
    /// Unreadable (too long, an I/O error): its invalid record.
    Ready(InputRecord),
    /// A line to parse, from byte `start` of the line buffer.
    Line { record: u64, line: u64, start: usize },
}

/// Whether a line holds nothing but JSON whitespace.
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// What parsing one object needs, built once per input and reused.
pub(crate) struct ObjectParser<'s> {
    columns: ColumnMap<'s>,
    /// Per field: how well the key it was read from matched (a better match
    /// later in the object replaces a worse one; otherwise the first wins).
    matched: Vec<Match>,
    /// Per field: why its value is invalid.
    errors: Vec<Option<FieldError>>,
    /// Whether `errors` may hold one (it is emptied only then: nearly
    /// every line has none).
    dirty: bool,
    id_field: Option<FieldId>,
}

impl<'s> ObjectParser<'s> {
    pub(crate) fn new(schema: &'s Schema) -> ObjectParser<'s> {
        ObjectParser {
            columns: ColumnMap::new(schema),
            matched: vec![Match::None; schema.fields.len()],
            errors: vec![None; schema.fields.len()],
            dirty: false,
            id_field: schema.id_field,
        }
    }
}

/// Reads one whole object through `seed`: nothing but whitespace may
/// follow it.
fn read_object<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    seed: ObjectSeed<'_, '_>,
) -> Result<(), serde_json::Error> {
    seed.deserialize(&mut de).and_then(|()| de.end())
}

/// Parses one JSON object (one line, or the text of `--lead`) into record
/// number `record`.
pub(crate) fn parse_object<'s>(
    parser: &mut ObjectParser<'s>,
    coercer: &mut Coercer<'s>,
    bytes: &[u8],
    record: u64,
    line: u64,
) -> InputRecord {
    let mut out = InputRecord::empty();
    parse_object_into(parser, coercer, bytes, (record, line), &mut out);
    out
}

/// [`parse_object`] written over `out`, its values' buffer reused.
pub(crate) fn parse_object_into<'s>(
    parser: &mut ObjectParser<'s>,
    coercer: &mut Coercer<'s>,
    bytes: &[u8],
    (record, line): (u64, u64),
    out: &mut InputRecord,
) {
    let schema = coercer.schema();
    let field_count = schema.fields.len();
    let mut values = super::read::recycle_values(&mut out.lead);
    values.resize(field_count, Value::Absent);
    out.kept.clear();
    parser.matched.fill(Match::None);
    if std::mem::take(&mut parser.dirty) {
        parser.errors.fill(None);
    }
    let mut id = None;
    let mut found = None;

    let seed = ObjectSeed {
        parser: &mut *parser,
        coercer: &mut *coercer,
        values: &mut values,
        id: &mut id,
        found: &mut found,
    };
    // A line checked as UTF-8 once spares serde_json checking every string
    // in it (a tenth of reading JSONL); a line that is not valid UTF-8 is
    // read as bytes, and serde_json says where it goes wrong.
    let read = match std::str::from_utf8(bytes) {
        Ok(text) => read_object(serde_json::Deserializer::from_str(text), seed),
        Err(_) => read_object(serde_json::Deserializer::from_slice(bytes), seed),
    };
    if let Err(error) = read {
        let message = match found {
            Some(found) => messages::not_object(found),
            None => messages::invalid_json(&error),
        };
        *out = Shared::unreadable(record, line, id, message);
        return;
    }

    // The first problem in field order: a value that could not be read, or
    // a required field left absent.
    let problem = (0u32..).zip(values.iter().zip(&parser.errors)).find_map(|(index, (value, error))| {
        let field = FieldId(index);
        match (error, value) {
            (Some(error), _) => Some((field, error.clone())),
            (None, Value::Absent) => coercer.present(field, Value::Absent).err().map(|error| (field, error)),
            (None, _) => None,
        }
    });
    if let Some((field, error)) = problem {
        let error = error.into_lead_error(schema.fields.get(field.index()), record, line);
        *out = InputRecord { record, line, id, lead: Err(error), kept: Vec::new() };
        return;
    }
    (out.record, out.line, out.id, out.lead) = (record, line, id, Ok(Lead { values }));
}

/// The text of each `keep` key of one JSON object line, as `--keep` copies
/// it: a string's content, a number, boolean, array or object as its JSON
/// text, `None` for null or a missing key (and for every key of a line
/// that is not an object). Keys match exactly, else ignoring case; the
/// first of duplicate keys wins.
pub(crate) fn kept_values(bytes: &[u8], keep: &[String]) -> Vec<Option<String>> {
    let Ok(Pairs(pairs)) = serde_json::from_slice::<Pairs<'_>>(bytes) else { return vec![None; keep.len()] };
    let find = |wanted: &String| {
        let wanted = wanted.trim();
        let exact = pairs.iter().find(|(key, _)| key.trim() == wanted);
        let (_, raw) =
            exact.or_else(|| pairs.iter().find(|(key, _)| key.trim().to_lowercase() == wanted.to_lowercase()))?;
        let text = raw.get();
        match serde_json::from_str::<Option<String>>(text) {
            Ok(string) => string,
            Err(_) => Some(text.to_string()),
        }
    };
    keep.iter().map(find).collect()
}

/// An object's keys and raw values, in order, duplicates kept.
struct Pairs<'a>(Vec<(std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue)>);

impl<'de> serde::Deserialize<'de> for Pairs<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PairsVisitor)
    }
}

struct PairsVisitor;

impl<'de> Visitor<'de> for PairsVisitor {
    type Value = Pairs<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs<'de>, A::Error> {
        let mut pairs = Vec::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            pairs.push((key, map.next_value()?));
        }
        Ok(Pairs(pairs))
    }
}

/// Walks the top-level object of one record.
struct ObjectSeed<'a, 's> {
    parser: &'a mut ObjectParser<'s>,
    coercer: &'a mut Coercer<'s>,
    values: &'a mut [Value],
    id: &'a mut Option<String>,
    /// Set when the record is valid JSON but not an object: what it is.
    found: &'a mut Option<&'static str>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl ObjectSeed<'_, '_> {
    fn not_an_object<E: serde::de::Error>(self, found: &'static str) -> Result<(), E> {
        *self.found = Some(found);
        Err(E::custom(messages::not_object(found)))
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ObjectSeed { parser, coercer, values, id, .. } = self;
        let mut position = 0;
        while let Some(key) = map.next_key_seed(KeySeed { columns: &mut parser.columns, position })? {
            position += 1;
            let Some((field, quality)) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let slot = (
                parser.matched.get_mut(field.index()),
                values.get_mut(field.index()),
                parser.errors.get_mut(field.index()),
            );
            let (Some(matched), Some(value), Some(error)) = slot else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if quality <= *matched {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            *matched = quality;
            let want_id = parser.id_field == Some(field);
            let read = map.next_value_seed(ValueSeed { coercer: &mut *coercer, field, want_id })?;
            match read.value {
                Ok(v) => {
                    *value = v;
                    *error = None;
                }
                Err(e) => {
                    *value = Value::Absent;
                    *error = Some(e);
                    parser.dirty = true;
                }
            }
            if want_id {
                *id = read.id;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<(), A::Error> {
        self.not_an_object("an array")
    }

    fn visit_str<E: serde::de::Error>(self, _v: &str) -> Result<(), E> {
        self.not_an_object("a string")
    }

    fn visit_i64<E: serde::de::Error>(self, _v: i64) -> Result<(), E> {
        self.not_an_object("a number")
    }

    fn visit_u64<E: serde::de::Error>(self, _v: u64) -> Result<(), E> {
        self.not_an_object("a number")
    }

    fn visit_f64<E: serde::de::Error>(self, _v: f64) -> Result<(), E> {
        self.not_an_object("a number")
    }

    fn visit_bool<E: serde::de::Error>(self, _v: bool) -> Result<(), E> {
        self.not_an_object("a boolean")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.not_an_object("null")
    }
}

/// Resolves one key to the field it reads, without allocating.
struct KeySeed<'a, 's> {
    columns: &'a mut ColumnMap<'s>,
    /// The key's position in its object.
    position: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = Option<(FieldId, Match)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = Option<(FieldId, Match)>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a key")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.columns.lookup_at(self.position, key))
    }
}

/// One field's value, coerced, and its text when it is the id field.
struct Read {
    value: Result<Value, FieldError>,
    id: Option<String>,
}

/// Coerces one value into its field.
struct ValueSeed<'a, 's> {
    coercer: &'a mut Coercer<'s>,
    field: FieldId,
    want_id: bool,
}

impl ValueSeed<'_, '_> {
    fn scalar(self, scalar: JsonScalar) -> Read {
        let id = self.want_id.then(|| scalar.text());
        Read { value: self.coercer.json_scalar(self.field, scalar), id }
    }

    fn shape(&self) -> Option<Shape> {
        self.coercer.schema().fields.get(self.field.index()).map(|f| Shape::of(f.ty))
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Read;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Read, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Read;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Read, E> {
        Ok(Read { value: Ok(Value::Absent), id: None })
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Read, E> {
        self.visit_unit()
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Read, E> {
        Ok(self.scalar(JsonScalar::Bool(v)))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Read, E> {
        Ok(self.scalar(JsonScalar::I64(v)))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Read, E> {
        Ok(self.scalar(JsonScalar::U64(v)))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Read, E> {
        Ok(self.scalar(JsonScalar::F64(v)))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Read, E> {
        let id = if self.want_id {
            let text = super::coerce::trim(v);
            let schema = self.coercer.schema();
            (!text.is_empty() && !schema.is_missing_marker(text)).then(|| text.to_string())
        } else {
            None
        };
        Ok(Read { value: self.coercer.json_text(self.field, v), id })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Read, A::Error> {
        let Some(Shape::List(ty)) = self.shape() else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            let error = FieldError { value: None, message: messages::expected_single("a list") };
            return Ok(Read { value: Err(error), id: None });
        };
        let coercer = self.coercer;
        let mut items = Vec::new();
        let mut first_error = None;
        while let Some(item) = seq.next_element_seed(ElementSeed { coercer: &mut *coercer, ty })? {
            match item {
                Ok(Some(value)) => items.push(value),
                Ok(None) => {}
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        let value = match first_error {
            Some(error) => Err(error),
            None => Ok(Value::List(items)),
        };
        Ok(Read { value, id: None })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        let message = match self.shape() {
            Some(Shape::List(_)) => messages::expected_list("an object"),
            _ => messages::expected_single("an object"),
        };
        Ok(Read { value: Err(FieldError { value: None, message }), id: None })
    }
}

/// Coerces one list element; `Ok(None)` skips it (null, empty, a marker).
struct ElementSeed<'a, 's> {
    coercer: &'a mut Coercer<'s>,
    ty: ElementType,
}

type Element = Result<Option<Value>, FieldError>;

impl<'de> DeserializeSeed<'de> for ElementSeed<'_, '_> {
    type Value = Element;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Element, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_, '_> {
    type Value = Element;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a list element")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Element, E> {
        Ok(Ok(None))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Element, E> {
        Ok(Ok(None))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Element, E> {
        Ok(self.coercer.scalar_json(self.ty, JsonScalar::Bool(v)).map(Some))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Element, E> {
        Ok(self.coercer.scalar_json(self.ty, JsonScalar::I64(v)).map(Some))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Element, E> {
        Ok(self.coercer.scalar_json(self.ty, JsonScalar::U64(v)).map(Some))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Element, E> {
        Ok(self.coercer.scalar_json(self.ty, JsonScalar::F64(v)).map(Some))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Element, E> {
        Ok(self.coercer.element_text(self.ty, v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err(FieldError { value: None, message: messages::nested_in_list("a list") }))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Element, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Err(FieldError { value: None, message: messages::nested_in_list("an object") }))
    }
}
