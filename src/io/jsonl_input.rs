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
//! A line that is a flat object of plain values (most are) is read first
//! by [`flat`], a quote-to-quote walk through the same visitor, which
//! declines anything else to serde_json; a property test holds the two
//! readers together.
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
                let bytes = self.lines.bytes().get(start..).unwrap_or_default();
                parse_object_into(&mut self.parser, &mut shared.coercer, bytes, (record, line), out);
                true
            }
        }
    }

    /// The `keep` values of the line just read (see [`kept_values`]).
    pub(crate) fn kept_of_last(&self, keep: &[String]) -> Vec<Option<String>> {
        let bytes = self.lines.bytes();
        kept_values(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes), keep)
    }

    /// The next record framed: a line's bytes copied to the end of
    /// `bytes`; `None` at the end of the input.
    pub(crate) fn next_framed(&mut self, shared: &mut Shared<'s>, bytes: &mut Vec<u8>) -> Option<Framed> {
        Some(match self.next_item(shared)? {
            Item::Ready(record) => Framed::Ready(Box::new(record)),
            Item::Line { record, line, start } => {
                let at = bytes.len();
                bytes.extend_from_slice(self.lines.bytes().get(start..).unwrap_or_default());
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
            let bytes = self.lines.bytes();
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
    /// The flat reader's index of the line's quotes (its buffer reused).
    quotes: flat::Quotes,
    claims: Claims,
}

/// Which fields the object being read gave, and why a value is invalid:
/// apart from the keys' [`ColumnMap`], so that the flat reader's visitor
/// borrows these while the reader looks its keys up.
struct Claims {
    /// Per field: how well the key it was read from matched (a better match
    /// later in the object replaces a worse one; otherwise the first wins).
    matched: Vec<Match>,
    /// Per field: why its value is invalid.
    errors: Vec<Option<FieldError>>,
    /// Whether `errors` may hold one (it is emptied only then: nearly
    /// every line has none).
    dirty: bool,
    id_field: Option<FieldId>,
    /// How many input fields the object gave, of `inputs`.
    given: usize,
    inputs: usize,
    /// The fields that may not be absent, in field order.
    required: Vec<FieldId>,
}

impl<'s> ObjectParser<'s> {
    pub(crate) fn new(schema: &'s Schema) -> ObjectParser<'s> {
        ObjectParser {
            columns: ColumnMap::new(schema),
            quotes: flat::Quotes::default(),
            claims: Claims {
                matched: vec![Match::None; schema.fields.len()],
                errors: vec![None; schema.fields.len()],
                dirty: false,
                id_field: schema.id_field,
                given: 0,
                inputs: schema.input_count(),
                required: (0u32..).zip(&schema.fields).filter(|(_, f)| !f.optional).map(|(i, _)| FieldId(i)).collect(),
            },
        }
    }

    /// Reads a flat object of plain values (see [`flat`]) without
    /// serde_json's deserializer: each key looked up and each value coerced
    /// as the seeds do, through the same visitor. `false` for any other
    /// text, with the parser started again for serde_json to read it,
    /// errors and all (the values it wrote are written over or emptied
    /// then; `id` is the caller's to let go of). `id` comes holding the
    /// last record's id, whose buffer the id is written into; it is `None`
    /// after a line without one.
    fn read_flat(
        &mut self,
        coercer: &mut Coercer<'s>,
        line: &[u8],
        values: &mut [Value],
        id: &mut Option<String>,
    ) -> bool {
        let claims = &mut self.claims;
        let read = flat::pairs(line, &mut self.quotes, &mut self.columns, |key, value| {
            let Some((field, want_id)) = claims.claim(key) else { return true };
            // A plain string (an enum value, a country code) straight into
            // its field, as `ValueSeed::visit_str` would put it. Done here,
            // not in the seed: through the seed it cost 2.1% more
            // instructions of a JSONL run (1.317 G against 1.290 G per
            // 100k leads).
            // Likewise a number in its plain spelling (an int, a short
            // decimal), without a serde_json deserializer for each.
            let plain = match value {
                // The id's text too, into the buffer the last record's id
                // left (`id`), as `ValueSeed::visit_str` reads it: through
                // the seed it was a new string a lead.
                flat::Value::Str(text) => {
                    let plain = claims.store_plain(values, field, |slot| coercer.plain_cell_into(field, text, slot));
                    if plain && want_id {
                        id_into(coercer.schema(), text, id);
                    }
                    plain
                }
                flat::Value::Number { text, integral } if !want_id => {
                    claims.store_plain(values, field, |slot| coercer.plain_number_into(field, text, integral, slot))
                }
                // A bool field's `true` or `false`, and a `null` (absent,
                // whatever the field, as `ValueSeed::visit_unit` reads it:
                // a required field is missed after the line), likewise:
                // two or three a lead of an export, through the seed they
                // cost 3.6% of reading one (docs/performance.md).
                flat::Value::Bool(b) if !want_id => {
                    claims.store_plain(values, field, |slot| coercer.plain_bool_into(field, b, slot))
                }
                flat::Value::Null => {
                    if want_id {
                        *id = None;
                    }
                    claims.store(values, field, Ok(Value::Absent));
                    true
                }
                _ => false,
            };
            if plain {
                return true;
            }
            let seed = ValueSeed { coercer: &mut *coercer, field, want_id };
            let read = match value {
                flat::Value::Str(text) => seed.visit_str::<serde_json::Error>(text),
                flat::Value::Bool(b) => seed.visit_bool::<serde_json::Error>(b),
                flat::Value::Null => seed.visit_unit::<serde_json::Error>(),
                // serde_json's own reading of the number, so that it is
                // the same value (an int, or a float rounded as it rounds).
                flat::Value::Number { text, .. } => {
                    let mut de = serde_json::Deserializer::from_str(text);
                    seed.deserialize(&mut de).and_then(|read| de.end().map(|()| read))
                }
            };
            match read {
                Ok(read) => {
                    claims.store(values, field, read.value);
                    if want_id {
                        *id = read.id;
                    }
                    true
                }
                Err(_) => false,
            }
        });
        if !read {
            self.claims.start();
        } else if !self.claims.claimed(self.claims.id_field) {
            // The last record's id is still there.
            *id = None;
        }
        read
    }
}

impl Claims {
    /// Readies the claims for a new object (or for serde_json to read the
    /// same one again). The record's values are left as the last lead
    /// left them: each field the object gives is written over its slot,
    /// reusing the string it holds, and the others are emptied at the end
    /// ([`Claims::empty_unclaimed`]), as the CSV reader does.
    fn start(&mut self) {
        self.matched.fill(Match::None);
        self.given = 0;
        if std::mem::take(&mut self.dirty) {
            self.errors.fill(None);
        }
    }

    /// Empties the slot of every field the object did not give: it still
    /// holds the last lead's value. Most objects give every input field,
    /// and then only the derived fields' slots are left.
    fn empty_unclaimed(&self, values: &mut [Value]) {
        let from = if self.given == self.inputs { self.inputs } else { 0 };
        for (value, matched) in values.iter_mut().zip(&self.matched).skip(from) {
            if *matched == Match::None {
                value.overwrite(Value::Absent);
            }
        }
    }

    /// The first problem of the object's values in field order: a value
    /// that could not be read, or a required field left absent. Without
    /// an error (nearly every object), only the required fields are
    /// looked at.
    fn problem(&self, coercer: &Coercer<'_>, values: &[Value]) -> Option<(FieldId, FieldError)> {
        let missing = |field: FieldId| coercer.present(field, Value::Absent).err().map(|error| (field, error));
        if !self.dirty {
            let absent = |field: &&FieldId| matches!(values.get(field.index()), Some(Value::Absent));
            return self.required.iter().find(absent).and_then(|&field| missing(field));
        }
        (0u32..).zip(values.iter().zip(&self.errors)).find_map(|(index, (value, error))| {
            let field = FieldId(index);
            match (error, value) {
                (Some(error), _) => Some((field, error.clone())),
                (None, Value::Absent) => missing(field),
                (None, _) => None,
            }
        })
    }

    /// The field a key's value is read into (and whether it is the id),
    /// when the key names one and matches it better than any key before;
    /// `None` when the value is to be skipped.
    fn claim(&mut self, key: Option<(FieldId, Match)>) -> Option<(FieldId, bool)> {
        let (field, quality) = key?;
        let matched = self.matched.get_mut(field.index())?;
        if quality <= *matched {
            return None;
        }
        self.given += usize::from(*matched == Match::None);
        *matched = quality;
        Some((field, self.id_field == Some(field)))
    }

    /// A claimed field's value, or why it is invalid.
    fn store(&mut self, values: &mut [Value], field: FieldId, read: Result<Value, FieldError>) {
        let (Some(value), Some(error)) = (values.get_mut(field.index()), self.errors.get_mut(field.index())) else {
            return;
        };
        match read {
            Ok(v) => {
                value.overwrite(v);
                *error = None;
            }
            Err(e) => {
                value.overwrite(Value::Absent);
                *error = Some(e);
                self.dirty = true;
            }
        }
    }

    /// A claimed field's value written in place by `read`, when it reads
    /// one (see [`Coercer::plain_cell_into`]); whether it did.
    #[inline(always)]
    fn store_plain(&mut self, values: &mut [Value], field: FieldId, read: impl FnOnce(&mut Value) -> bool) -> bool {
        let (Some(value), Some(error)) = (values.get_mut(field.index()), self.errors.get_mut(field.index())) else {
            return false;
        };
        if !read(value) {
            return false;
        }
        *error = None;
        true
    }

    /// Whether the object read so far gave `field` a value.
    fn claimed(&self, field: Option<FieldId>) -> bool {
        field.and_then(|f| self.matched.get(f.index())).is_some_and(|m| *m != Match::None)
    }
}

/// The id field's string `raw`, trimmed, into `id`, reusing the buffer it
/// holds; `None` when it is blank or a missing marker.
fn id_into(schema: &Schema, raw: &str, id: &mut Option<String>) {
    let text = super::coerce::trim(raw);
    if text.is_empty() || schema.is_missing_marker(text) {
        *id = None;
        return;
    }
    let buffer = id.get_or_insert_with(String::new);
    buffer.clear();
    buffer.push_str(text);
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
    parse_object_with(parser, coercer, bytes, (record, line), out, true);
}

/// [`parse_object_into`], trying the flat reader first when `flat`
/// (`false` in the test that holds the two readers together).
fn parse_object_with<'s>(
    parser: &mut ObjectParser<'s>,
    coercer: &mut Coercer<'s>,
    bytes: &[u8],
    (record, line): (u64, u64),
    out: &mut InputRecord,
    flat: bool,
) {
    let schema = coercer.schema();
    let mut values = super::read::reuse_values(&mut out.lead, parser.claims.matched.len());
    out.kept.clear();
    parser.claims.start();
    // The last record's id buffer, for the flat reader to write the id
    // over (see `ObjectParser::read_flat`).
    let mut id = out.id.take();
    let mut found = None;

    // Most lines are flat objects of plain values, read without serde_json's
    // deserializer (its string scanning alone was a sixth of reading them).
    // For the others, a line checked as UTF-8 once spares serde_json
    // checking every string in it (a tenth of reading JSONL); a line that is
    // not valid UTF-8 is read as bytes, and serde_json says where it goes
    // wrong.
    let read = if flat && parser.read_flat(coercer, bytes, &mut values, &mut id) {
        Ok(())
    } else {
        id = None;
        let seed = ObjectSeed {
            parser: &mut *parser,
            coercer: &mut *coercer,
            values: &mut values,
            id: &mut id,
            found: &mut found,
        };
        match std::str::from_utf8(bytes) {
            Ok(text) => read_object(serde_json::Deserializer::from_str(text), seed),
            Err(_) => read_object(serde_json::Deserializer::from_slice(bytes), seed),
        }
    };
    if let Err(error) = read {
        let message = match found {
            Some(found) => messages::not_object(found),
            None => messages::invalid_json(&error),
        };
        *out = Shared::unreadable(record, line, id, message);
        return;
    }
    parser.claims.empty_unclaimed(&mut values);
    if let Some((field, error)) = parser.claims.problem(coercer, &values) {
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
            let Some((field, want_id)) = parser.claims.claim(key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let read = map.next_value_seed(ValueSeed { coercer: &mut *coercer, field, want_id })?;
            parser.claims.store(values, field, read.value);
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
        let mut id = None;
        if self.want_id {
            id_into(self.coercer.schema(), v, &mut id);
        }
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
            None => Ok(Value::List(items.into())),
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

/// The flat objects most JSONL leads are, read without serde_json's
/// deserializer: `{"key": value, ...}` whose values are strings, numbers,
/// `true`, `false` or `null`, on a line with no backslash and no control
/// character (so no escape, and every `"` opens or closes a string). One
/// pass sixty-four bytes a step makes sure of that, notes where every quote
/// is and whether the line is ASCII ([`Quotes`]); the object is then
/// walked, each string from its opening quote to the next one noted. It
/// accepts nothing serde_json rejects; anything else (an escape, a tab, a
/// nested list or object, a syntax error, bytes that are not UTF-8) is
/// declined and left to serde_json.
mod flat {
    use super::super::read::{ColumnMap, Resolved};
    use super::super::sixteen;

    /// A value of a flat object.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub(super) enum Value<'a> {
        /// A string's text.
        Str(&'a str),
        /// A number's text, in JSON's number syntax, and whether it is
        /// an integer's (no fraction, no exponent).
        Number {
            text: &'a str,
            integral: bool,
        },
        Bool(bool),
        Null,
    }

    /// Calls `each` with every key (resolved by `columns`) and value of
    /// `bytes` in order, when they are a flat object (spaces around its
    /// parts, and a line end after it, allowed); `false` when they are
    /// not, or when `each` says stop (`false`). `quotes` is the index of
    /// the last line, written over (its buffer is reused).
    pub(super) fn pairs<'a>(
        bytes: &'a [u8],
        quotes: &mut Quotes,
        columns: &mut ColumnMap<'_>,
        mut each: impl FnMut(Resolved, Value<'a>) -> bool,
    ) -> bool {
        let mut line = bytes;
        while let [rest @ .., b'\n' | b'\r'] = line {
            line = rest;
        }
        let Some(text) = quotes.index(line) else { return false };
        let mut scan = Scan { text, at: 0, quotes };
        if !scan.token(b'{') {
            return false;
        }
        if !scan.token(b'}') {
            let mut position = 0;
            loop {
                let Some(key) = scan.key(columns, position) else { return false };
                position += 1;
                if !scan.token(b':') {
                    return false;
                }
                let Some(value) = scan.value() else { return false };
                if !each(key, value) {
                    return false;
                }
                match scan.byte() {
                    Some(b',') => scan.at += 1,
                    Some(b'}') => {
                        scan.at += 1;
                        break;
                    }
                    _ => return false,
                }
            }
        }
        scan.byte().is_none()
    }

    /// Where the quotes of a line are, one bit a byte (bit `i % 64` of
    /// word `i / 64`), so that each string's closing quote is found by the
    /// next bit set rather than by scanning its bytes again: finding each
    /// string's end with a scan of its own, and checking the line's UTF-8
    /// in a pass of its own, were a ninth of reading a JSONL lead.
    #[derive(Debug, Default)]
    pub(super) struct Quotes {
        words: Vec<u64>,
    }

    impl Quotes {
        /// Notes the quotes of `line`, and gives it as text; `None` when it
        /// holds a backslash or a control character (then a quote may be
        /// escaped, and the line is not for this reader), or is not UTF-8.
        /// The same pass ([`sixteen`], four chunks a step) also finds
        /// whether the line is ASCII, which spares checking its UTF-8.
        fn index<'a>(&mut self, line: &'a [u8]) -> Option<&'a str> {
            self.words.clear();
            let mut wide = false;
            let (blocks, tail) = line.as_chunks::<64>();
            let mut last = [b'a'; 64];
            if let Some(start) = last.get_mut(..tail.len()) {
                start.copy_from_slice(tail);
            }
            // The last few bytes padded with a byte none of the tests
            // looks for, as `sixteen::each_chunk` pads: its visitor, made
            // generic over the chunk's size and called here, cost 1% of
            // reading a JSONL lead (790.6 M instructions per 100k leads
            // against 781.7 M).
            for block in blocks.iter().chain([&last]) {
                let marks = Marks::of(block);
                if marks.refused {
                    return None;
                }
                wide |= marks.wide;
                self.words.push(marks.quotes);
            }
            if wide {
                return std::str::from_utf8(line).ok();
            }
            debug_assert!(line.is_ascii());
            // SAFETY: no byte of `line` is 0x80 or above (`sixteen::wide`
            // saw every one of them), and ASCII bytes are UTF-8.
            Some(unsafe { std::str::from_utf8_unchecked(line) })
        }

        /// Where the first quote after `at` is, if any.
        fn after(&self, at: usize) -> Option<usize> {
            let from = at + 1;
            let mut word = from / 64;
            let mut bits = self.words.get(word)? & (u64::MAX << (from % 64));
            while bits == 0 {
                word += 1;
                bits = *self.words.get(word)?;
            }
            Some(word * 64 + bits.trailing_zeros() as usize)
        }
    }

    /// What the flat reader needs of sixteen-byte chunks, four at a time:
    /// a word of the quote index a step (a word a chunk, shifted into place
    /// and pushed one at a time, cost more than it saved).
    struct Marks {
        /// Where the quotes are, one bit a byte.
        quotes: u64,
        /// Whether a byte is 0x80 or above.
        wide: bool,
        /// Whether a byte is a backslash or a control character.
        refused: bool,
    }

    impl Marks {
        #[inline(always)]
        fn of(block: &[u8; 64]) -> Marks {
            let mut marks = Marks { quotes: 0, wide: false, refused: false };
            for (shift, chunk) in (0..).step_by(16).zip(block.as_chunks::<16>().0) {
                marks.refused |= sixteen::escapes(chunk);
                marks.wide |= sixteen::wide(chunk) != 0;
                marks.quotes |= u64::from(sixteen::matches(chunk, b'"')) << shift;
            }
            marks
        }
    }

    struct Scan<'a, 'q> {
        text: &'a str,
        at: usize,
        /// The quotes of `text`.
        quotes: &'q Quotes,
    }

    impl<'a> Scan<'a, '_> {
        fn peek(&self) -> Option<u8> {
            self.text.as_bytes().get(self.at).copied()
        }

        fn eat(&mut self, byte: u8) -> bool {
            let ate = self.peek() == Some(byte);
            self.at += usize::from(ate);
            ate
        }

        /// The byte here, or after the spaces here (the only white space
        /// a line without control characters has): lines seldom have any
        /// between an object's parts, so a space costs a test only where
        /// another byte was looked for.
        #[inline(always)]
        fn byte(&mut self) -> Option<u8> {
            match self.peek()? {
                b' ' => {
                    while self.peek() == Some(b' ') {
                        self.at += 1;
                    }
                    self.peek()
                }
                byte => Some(byte),
            }
        }

        /// `byte` here or after spaces, gone past.
        #[inline(always)]
        fn token(&mut self, byte: u8) -> bool {
            let found = self.byte() == Some(byte);
            self.at += usize::from(found);
            found
        }

        /// The key that starts here, at `position` of its object, resolved:
        /// most lines spell the key the last line had there, which is told
        /// by comparing the text after the opening quote with it and its
        /// closing quote, without looking for the string's end (see
        /// [`ColumnMap::remembered`]); any other key is read to its end and
        /// looked up.
        #[inline(always)]
        fn key(&mut self, columns: &mut ColumnMap<'_>, position: usize) -> Option<Resolved> {
            if self.byte() != Some(b'"') {
                return None;
            }
            let rest = self.text.as_bytes().get(self.at + 1..).unwrap_or_default();
            if let Some((found, len)) = columns.remembered(position, rest) {
                self.at += 1 + len;
                return Some(found);
            }
            // SAFETY: `byte` saw the quote here.
            let key = unsafe { self.quoted() }?;
            Some(columns.lookup_and_remember(position, key))
        }

        /// A string value. Out of line, where a key's [`Scan::quoted`] is
        /// inlined into [`Scan::key`]: the compiler's own choice moved with
        /// unrelated changes, and this was the fastest of the three it
        /// made when b83246f pinned it (902 M instructions per 100k JSONL
        /// leads, against 937 M with both out of line, 959 M both inlined).
        ///
        /// # Safety
        ///
        /// As for [`Scan::quoted`]: the byte here is a quote.
        #[inline(never)]
        unsafe fn string(&mut self) -> Option<&'a str> {
            // SAFETY: the caller's contract.
            unsafe { self.quoted() }
        }

        /// The string whose opening quote is here: up to the next quote.
        ///
        /// # Safety
        ///
        /// The byte here is a quote. (Its callers have just seen it; seeing
        /// it again here, as this once did, cost 1.3% of routing a JSONL
        /// lead, 695.0 M against 704.2 M instructions per 100k, as the
        /// compiler laid the walk out anew.)
        #[inline(always)]
        unsafe fn quoted(&mut self) -> Option<&'a str> {
            let open = self.at;
            debug_assert_eq!(self.peek(), Some(b'"'));
            let close = self.quotes.after(open)?;
            debug_assert_eq!(self.text.as_bytes().get(close), Some(&b'"'));
            self.at = close + 1;
            // SAFETY: the bytes at `open` and `close` are quotes (the
            // caller's contract and the index of the text's quotes), so
            // `open < close < len`, and both `open + 1` and `close` are
            // character boundaries: a quote is a whole character.
            // (`str::get` tested both again: 3% of reading a JSONL lead.)
            Some(unsafe { self.text.get_unchecked(open + 1..close) })
        }

        fn value(&mut self) -> Option<Value<'a>> {
            match self.byte()? {
                // SAFETY: `byte` saw the quote here.
                b'"' => unsafe { self.string() }.map(Value::Str),
                b't' => self.word("true").then_some(Value::Bool(true)),
                b'f' => self.word("false").then_some(Value::Bool(false)),
                b'n' => self.word("null").then_some(Value::Null),
                b'-' | b'0'..=b'9' => self.number(),
                _ => None,
            }
        }

        fn word(&mut self, word: &str) -> bool {
            let found = self.text.get(self.at..).is_some_and(|rest| rest.starts_with(word));
            self.at += if found { word.len() } else { 0 };
            found
        }

        /// JSON's number syntax: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        fn number(&mut self) -> Option<Value<'a>> {
            let start = self.at;
            self.eat(b'-');
            match self.peek()? {
                b'0' => self.at += 1,
                b'1'..=b'9' => self.digits(),
                _ => return None,
            }
            // Most numbers end here, told by one look at the next byte
            // (an integer's is looked at once, not once for each part that
            // may follow).
            let integral = !matches!(self.peek(), Some(b'.' | b'e' | b'E'));
            if !integral {
                self.fraction_and_exponent()?;
            }
            // SAFETY: the byte at `start` is a `-` or a digit, and the one
            // before `self.at` a digit (the matches above saw them), so
            // both ends are character boundaries within the text.
            let text = unsafe { self.text.get_unchecked(start..self.at) };
            Some(Value::Number { text, integral })
        }

        /// The rest of a number after its integer part: `(. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        fn fraction_and_exponent(&mut self) -> Option<()> {
            if self.eat(b'.') {
                self.some_digits()?;
            }
            if self.eat(b'e') || self.eat(b'E') {
                if !self.eat(b'+') {
                    self.eat(b'-');
                }
                self.some_digits()?;
            }
            Some(())
        }

        fn digits(&mut self) {
            let rest = self.text.as_bytes().get(self.at..).unwrap_or_default();
            self.at += rest.iter().take_while(|b| b.is_ascii_digit()).count();
        }

        fn some_digits(&mut self) -> Option<()> {
            let start = self.at;
            self.digits();
            (self.at > start).then_some(())
        }
    }

    #[cfg(test)]
    mod tests {
        use proptest::prelude::*;

        /// Lines of bytes: most refuse nothing, the rest one byte or a
        /// few; some not ASCII (and of those, some not UTF-8).
        fn line() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop_oneof![
                40 => (0x20u8..0x7f).prop_map(|b| vec![b]),
                4 => Just(vec![b'"']),
                1 => Just("é".as_bytes().to_vec()),
                1 => (0x80u8..=0xff).prop_map(|b| vec![b]),
                1 => prop::sample::select(vec![b'\\', b'\t', 0x00, 0x1f]).prop_map(|b| vec![b]),
            ];
            proptest::collection::vec(piece, 0..150).prop_map(|pieces| pieces.concat())
        }

        proptest! {
            /// Sixteen bytes at a time, and the last few padded, any
            /// backslash or control character is seen, the text given
            /// exactly when it is UTF-8, and the first quote after every
            /// byte found, across the index's words; an index made before
            /// for another line leaves nothing behind.
            #[test]
            fn quotes_and_refused_bytes_are_found_where_the_bytes_say(before in line(), bytes in line()) {
                let mut quotes = super::Quotes::default();
                let _ = quotes.index(&before);
                let refused = bytes.iter().any(|&b| b == b'\\' || b < 0x20);
                let text = quotes.index(&bytes);
                let expected = if refused { None } else { std::str::from_utf8(&bytes).ok() };
                prop_assert_eq!(text, expected);
                if text.is_some() {
                    for at in 0..bytes.len() {
                        let next = bytes.iter().skip(at + 1).position(|&b| b == b'"').map(|i| at + 1 + i);
                        prop_assert_eq!(quotes.after(at), next, "after {}", at);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::schema::{EnumId, EnumType, Field, FieldType};

    fn schema() -> Schema {
        let field = Field::named;
        Schema {
            fields: vec![
                field("id", FieldType::String, false),
                field("n", FieldType::Int, true),
                field("x", FieldType::Float, true),
                field("flag", FieldType::Bool, true),
                field("region", FieldType::Enum(EnumId(0)), false),
                field("name", FieldType::String, true),
                field("tags", FieldType::List(ElementType::Enum(EnumId(0))), true),
            ],
            enums: vec![EnumType::new(["NA", "EMEA"].map(String::from).to_vec())],
            missing: vec!["-".to_string()],
            id_field: Some(FieldId(0)),
            ..Schema::default()
        }
    }

    /// Keys the schema knows (in other cases too: a later exact key wins
    /// over an earlier one that only matched ignoring case), one it does
    /// not.
    fn key() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "id",
            "n",
            "x",
            "flag",
            "region",
            "name",
            "tags",
            "ID",
            "Region",
            " n",
            "other",
            // Longer than a remembered key's window, and differing last.
            "annual_revenue_in_usd",
            "annual_revenue_in_usx",
            // A quote in a key, escaped (serde_json reads it and the key
            // is remembered) and not (the line is not JSON).
            "n\\\"x",
            "n\"x",
        ])
        .prop_map(String::from)
    }

    /// Values flat and not: strings plain and escaped, numbers good and
    /// bad, literals, lists, objects, things that are not JSON.
    fn value() -> impl Strategy<Value = String> {
        let text = prop::sample::select(vec![
            "NA",
            "emea",
            "EU",
            "",
            " - ",
            "L1",
            "x\\\"y",
            "tab\there",
            "é",
            "12",
            "true",
            "Longer Than Twenty-Four Bytes, Inc.",
        ]);
        prop_oneof![
            text.prop_map(|t| format!("\"{t}\"")),
            number(),
            prop::sample::select(vec![
                "0",
                "-0",
                "12",
                "-7",
                "3.5",
                "1e3",
                "1E-2",
                "01",
                "1.",
                "-",
                "1e999",
                "18446744073709551616",
                "9223372036854775808",
                "true",
                "false",
                "null",
                "tru",
                "nul",
                "[\"NA\"]",
                "[]",
                "{}",
                "{\"a\":1}",
                "x",
            ])
            .prop_map(String::from),
        ]
    }

    /// JSON numbers of every length: the short ones are read without
    /// serde_json.
    fn number() -> impl Strategy<Value = String> {
        "-?(0|[1-9][0-9]{0,19})(\\.[0-9]{1,17})?([eE][-+]?[0-9]{1,3})?"
    }

    /// Objects (with spaces here and there), and a few lines that are not.
    /// Half the objects start with a good id and region, so that many are
    /// valid leads, whose values the next line is read over.
    fn line() -> impl Strategy<Value = String> {
        let pairs = prop::collection::vec((key(), value(), prop::sample::select(vec!["", " "])), 0..7);
        let ends = prop::sample::select(vec!["", " ", "\n", "\r\n", ",", " x"]);
        let object = (any::<bool>(), pairs, ends).prop_map(|(valid, pairs, end)| {
            let start =
                if valid { [r#""id":"L1""#, r#""region":"NA""#].map(String::from).to_vec() } else { Vec::new() };
            let rest = pairs.iter().map(|(k, v, sp)| format!("{sp}\"{k}\"{sp}:{sp}{v}{sp}"));
            let inner: Vec<String> = start.into_iter().chain(rest).collect();
            format!("{{{}}}{end}", inner.join(","))
        });
        prop_oneof![8 => object, 1 => Just("[1]".to_string()), 1 => Just("\"a\"".to_string())]
    }

    fn read(line: &str, flat: bool) -> InputRecord {
        read_after(None, line, flat)
    }

    /// `line` read into the record `before` was read into first, as a
    /// reader reuses its records (the id's buffer among them).
    fn read_after(before: Option<&str>, line: &str, flat: bool) -> InputRecord {
        let schema = schema();
        let mut parser = ObjectParser::new(&schema);
        let mut coercer = Coercer::new(&schema);
        let mut out = InputRecord::empty();
        for line in before.into_iter().chain([line]) {
            parse_object_with(&mut parser, &mut coercer, line.as_bytes(), (1, 1), &mut out, flat);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The flat reader gives what serde_json's reading gives, for
        /// every line: it reads the flat objects and declines the rest.
        /// Nothing of the line read before into the same record (its id and
        /// the values whose slots are reused, a field this line lacks
        /// above all) is left in it, by either reader.
        #[test]
        fn flat_objects_read_as_serde_json_reads_them(before in line(), line in line()) {
            let alone = read(&line, false);
            prop_assert_eq!(read(&line, true), alone.clone(), "{}", line);
            for flat in [true, false] {
                prop_assert_eq!(read_after(Some(&before), &line, flat), alone.clone(), "{} after {}", line, before);
            }
        }

        /// Numbers in int and float fields of an otherwise valid lead (which
        /// the lines above seldom are) read as serde_json reads them, to the
        /// bit.
        #[test]
        fn flat_numbers_read_as_serde_json_reads_them(n in number(), x in number()) {
            let line = format!(r#"{{"id":"a","region":"NA","n":{n},"x":{x}}}"#);
            prop_assert_eq!(to_the_bit(&read(&line, true)), to_the_bit(&read(&line, false)), "{}", line);
        }
    }

    /// A record's values with each float as its bits (`-0.0` and `0.0`
    /// are equal floats, not equal bits), or its error.
    fn to_the_bit(record: &InputRecord) -> Vec<String> {
        match &record.lead {
            Ok(lead) => lead
                .values
                .iter()
                .map(|value| match value {
                    Value::Float(f) => format!("Float({:#x})", f.to_bits()),
                    value => format!("{value:?}"),
                })
                .collect(),
            Err(error) => vec![error.message.clone()],
        }
    }

    /// Negative zero, in an int field and a float one, as serde_json reads
    /// it (it reads `-0` as the float -0.0).
    #[test]
    fn negative_zero_reads_as_serde_json_reads_it() {
        for (n, x) in [("-0", "-0"), ("0", "-0.0"), ("-0", "-0.5"), ("0", "0")] {
            let line = format!(r#"{{"id":"a","region":"NA","n":{n},"x":{x}}}"#);
            assert_eq!(to_the_bit(&read(&line, true)), to_the_bit(&read(&line, false)), "{line}");
        }
        let zero = read(r#"{"id":"a","region":"NA","x":-0}"#, true);
        assert!(to_the_bit(&zero).contains(&format!("Float({:#x})", (-0.0f64).to_bits())));
    }

    /// Cases the generator reaches rarely: a key matched ignoring case
    /// with a bad value, then the exact key with a good one.
    #[test]
    fn a_later_exact_key_replaces_an_earlier_bad_value() {
        for line in [
            r#"{"id":"a","Region":"EU","region":"NA"}"#,
            r#"{"id":"a","region":"NA","Region":"EU"}"#,
            r#"{"ID":"-","id":"b","region":"EMEA","n":5}"#,
        ] {
            assert_eq!(read(line, true), read(line, false), "{line}");
        }
        assert!(read(r#"{"id":"a","Region":"EU","region":"NA"}"#, true).lead.is_ok());
    }

    #[test]
    fn a_flat_object_is_read_by_the_flat_reader() {
        let schema = schema();
        let mut columns = ColumnMap::new(&schema);
        let mut seen = Vec::new();
        let mut quotes = flat::Quotes::default();
        let number = |text| flat::Value::Number { text, integral: true };
        // Spaces anywhere JSON allows them between the parts; keys read
        // to their end the first time and as remembered after.
        for text in [
            r#"{"id": "L1","n":-12, "flag":true,"x":null,"region":"NA"}"#,
            r#" { "id" : "L1" , "n" : -12 , "flag" : true , "x" : null , "region" : "NA" } "#,
            r#"{"id":"L1","n":-12,"flag":true,"x":null,"region":"NA"}"#,
        ] {
            seen.clear();
            assert!(flat::pairs(text.as_bytes(), &mut quotes, &mut columns, |key, value| {
                seen.push((key, value));
                true
            }));
            assert_eq!(seen.len(), 5, "{text}");
            assert_eq!(seen.first(), Some(&(Some((FieldId(0), Match::Exact)), flat::Value::Str("L1"))), "{text}");
            assert_eq!(seen.get(1), Some(&(Some((FieldId(1), Match::Exact)), number("-12"))), "{text}");
            assert_eq!(seen.get(4), Some(&(Some((FieldId(4), Match::Exact)), flat::Value::Str("NA"))), "{text}");
        }
        assert!(flat::pairs(b"{ }\r\n", &mut quotes, &mut columns, |_, _| false));
        for declined in [
            r#"{"id":"a\"b"}"#,
            "{\"id\":\"a\tb\"}",
            r#"{"tags":["NA"]}"#,
            r#"{"n":01}"#,
            r#"{"n":1,}"#,
            r#"{"n":1} x"#,
            r#"{"id""#,
            r#"{"id"#,
        ] {
            assert!(!flat::pairs(declined.as_bytes(), &mut quotes, &mut columns, |_, _| true), "{declined}");
        }
    }

    /// A lead's problem is its first field, in field order, whose value
    /// is invalid or that is required and left absent (not given, null,
    /// blank or a missing marker), by both readers.
    #[test]
    fn the_first_required_field_left_absent_or_invalid_is_the_leads_problem() {
        for (line, field, message) in [
            (r#"{"region":"NA"}"#, "id", "missing required field `id`"),
            (r#"{"id":"L1"}"#, "region", "missing required field `region`"),
            (r#"{"id":null,"region":"NA"}"#, "id", "missing required field `id`"),
            (r#"{"id":"-","region":"EMEA"}"#, "id", "missing required field `id`"),
            (r#"{"region":null,"id":" "}"#, "id", "missing required field `id`"),
            (r#"{"n":"x","region":"NA"}"#, "id", "missing required field `id`"),
            (r#"{"id":"L1","n":"x"}"#, "n", "field `n`: value `x` is not an integer"),
        ] {
            for flat in [true, false] {
                let error = read(line, flat).lead.err();
                let got = error.as_ref().map(|e| (e.field.as_deref(), e.message.as_str()));
                assert_eq!(got, Some((Some(field), message)), "{line}, flat {flat}");
            }
        }
        assert!(read(r#"{"id":"L1","region":"NA"}"#, true).lead.is_ok());
    }

    /// A number is told integral only without a fraction or an exponent.
    #[test]
    fn a_number_is_integral_without_fraction_or_exponent() {
        let schema = schema();
        let mut columns = ColumnMap::new(&schema);
        let mut quotes = flat::Quotes::default();
        for (text, integral) in
            [("0", true), ("-7", true), ("120", true), ("1.5", false), ("1e3", false), ("2E-1", false)]
        {
            let line = format!(r#"{{"n":{text}}}"#);
            let mut seen = None;
            assert!(flat::pairs(line.as_bytes(), &mut quotes, &mut columns, |_, value| {
                seen = Some(value);
                true
            }));
            assert_eq!(seen, Some(flat::Value::Number { text, integral }), "{line}");
        }
    }
}
