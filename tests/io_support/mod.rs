//! Shared helpers for the io tests: schemas built by hand and a readable
//! printer for input records.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::Cursor;

use route::io::{self, InputFormat, InputRecord};
use route::schema::{ElementType, EnumId, EnumType, Field, FieldId, FieldType, Schema, Value};
use route::source::{FileId, Span};

pub fn field(name: &str, column: &str, ty: FieldType, optional: bool) -> Field {
    Field {
        name: name.to_string(),
        column: column.to_string(),
        ty,
        optional,
        format: None,
        span: Span::new(FileId(0), 0, 0),
    }
}

pub fn region_enum() -> EnumType {
    let mut region = EnumType::new(["NA", "EMEA", "APAC", "LATAM"].map(String::from).to_vec());
    for spelling in ["Europe", "EU", "E.M.E.A."] {
        region.add_alias(spelling, 1);
    }
    for spelling in ["North America", "AMER"] {
        region.add_alias(spelling, 0);
    }
    region
}

/// The §3 schema, trimmed to one field of each kind.
pub fn lead_schema() -> Schema {
    let region = FieldType::Enum(EnumId(0));
    Schema {
        fields: vec![
            field("id", "id", FieldType::String, false),
            field("email", "email", FieldType::String, false),
            field("region", "region", region, false),
            field("state", "state", FieldType::String, true),
            field("employees", "employees", FieldType::Int, false),
            field("annual_revenue", "Annual Revenue", FieldType::Float, true),
            field("is_customer", "is_customer", FieldType::Bool, false),
            field("interests", "interests", FieldType::List(ElementType::String), false),
            field("markets", "markets", FieldType::List(ElementType::Enum(EnumId(0))), true),
        ],
        enums: vec![region_enum()],
        missing: ["Select", "N/A", "-"].map(String::from).to_vec(),
        id_field: Some(FieldId(0)),
        derived: Vec::new(),
        numbers: Default::default(),
    }
}

/// A schema for the X Education export (trailing comma, CRLF, `Select`).
pub fn x_education_schema() -> Schema {
    let source =
        EnumType::new(["google", "direct traffic", "olark chat", "organic search", "other"].map(String::from).to_vec());
    Schema {
        fields: vec![
            field("id", "Prospect ID", FieldType::String, false),
            field("source", "Lead Source", FieldType::Enum(EnumId(0)), true),
            field("visits", "TotalVisits", FieldType::Float, true),
            field("converted", "Converted", FieldType::Bool, false),
            field("city", "City", FieldType::String, true),
            field("last_activity", "Last Notable Activity", FieldType::String, true),
        ],
        enums: vec![source],
        missing: vec!["Select".to_string()],
        id_field: Some(FieldId(0)),
        derived: Vec::new(),
        numbers: Default::default(),
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/io/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn read(schema: &Schema, bytes: &[u8], format: InputFormat) -> Vec<InputRecord> {
    io::leads(schema, Box::new(Cursor::new(bytes.to_vec())), format).unwrap().collect()
}

pub fn read_fixture(schema: &Schema, name: &str) -> Vec<InputRecord> {
    let format = io::format_for_path(std::path::Path::new(name)).unwrap();
    read(schema, &fixture(name), format)
}

/// One line per record: number, line, id, then the lead's present fields or
/// its error.
pub fn render(schema: &Schema, records: &[InputRecord]) -> String {
    let mut out = String::new();
    for r in records {
        let _ = write!(out, "#{} line {} id={}: ", r.record, r.line, r.id.as_deref().unwrap_or("-"));
        match &r.lead {
            Ok(lead) => {
                out.push_str("ok");
                for (field, value) in schema.fields.iter().zip(&lead.values) {
                    if *value != Value::Absent {
                        let _ = write!(out, " {}={}", field.name, show(schema, field.ty, value));
                    }
                }
            }
            Err(e) => {
                assert_eq!(e.record, r.record, "error record number");
                assert_eq!(e.line, r.line, "error line");
                let _ = write!(out, "INVALID");
                if let Some(f) = &e.field {
                    let _ = write!(out, " field={f}");
                }
                if let Some(v) = &e.value {
                    let _ = write!(out, " value={v:?}");
                }
                let _ = write!(out, " | {}", e.message);
            }
        }
        out.push('\n');
    }
    out
}

pub fn show(schema: &Schema, ty: FieldType, value: &Value) -> String {
    match (ty, value) {
        (_, Value::Absent) => "ABSENT".to_string(),
        (_, Value::Str(s)) => format!("{s:?}"),
        (_, Value::Int(i)) => i.to_string(),
        (_, Value::Float(f)) => format!("{f:?}"),
        (_, Value::Bool(b)) => b.to_string(),
        (FieldType::Enum(id) | FieldType::List(ElementType::Enum(id)), Value::Enum(i)) => {
            schema.enums[id.0 as usize].name(*i).to_string()
        }
        (_, Value::Enum(i)) => format!("enum#{i}"),
        (FieldType::List(element), Value::List(items)) => {
            let items: Vec<String> = items.iter().map(|v| show(schema, element.as_field_type(), v)).collect();
            format!("[{}]", items.join(", "))
        }
        (_, Value::List(_)) => "list?".to_string(),
    }
}
