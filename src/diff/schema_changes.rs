//! Schema changes, listed before anything else: fields added, removed,
//! retyped, made optional or required, read from another column; enum
//! values added or removed; alias spellings added or removed; missing
//! markers changed. Each says what it does to existing leads.

use serde::Serialize;

use super::joint::same_type;
use crate::check::program::Program;
use crate::schema::{ElementType, Field, FieldType, Schema};

/// The kinds of schema change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaChangeKind {
    /// A new field.
    FieldAdded,
    /// A field dropped.
    FieldRemoved,
    /// A field's type changed.
    FieldRetyped,
    /// A required field became optional.
    FieldOptional,
    /// An optional field became required.
    FieldRequired,
    /// A field reads another input column.
    ColumnChanged,
    /// An enum value added.
    ValueAdded,
    /// An enum value removed.
    ValueRemoved,
    /// An alias spelling added.
    AliasAdded,
    /// An alias spelling removed (or now meaning another value).
    AliasRemoved,
    /// The missing-value markers changed.
    MissingChanged,
}

/// One schema change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaChange {
    /// The change.
    pub kind: SchemaChangeKind,
    /// The field (empty for the missing markers).
    pub field: String,
    /// What changed, in words.
    pub change: String,
    /// What it does to existing leads.
    pub effect: String,
}

/// The type as written in a schema.
pub(crate) fn type_name(schema: &Schema, ty: FieldType) -> String {
    let scalar = |ty: FieldType| match ty {
        FieldType::String => "string".to_string(),
        FieldType::Int => "int".to_string(),
        FieldType::Float => "float".to_string(),
        FieldType::Bool => "bool".to_string(),
        FieldType::Enum(id) => {
            let values = schema.enums.get(id.0 as usize).map(|e| e.values.join(", ")).unwrap_or_default();
            format!("enum {{ {values} }}")
        }
        FieldType::List(_) => "list".to_string(),
        FieldType::Date => "date".to_string(),
        FieldType::DateTime => "datetime".to_string(),
    };
    match ty {
        FieldType::List(element) => format!("list<{}>", scalar(element.as_field_type())),
        other => scalar(other),
    }
}

fn enum_values(schema: &Schema, ty: FieldType) -> Option<&[String]> {
    let id = match ty {
        FieldType::Enum(id) | FieldType::List(ElementType::Enum(id)) => id,
        _ => return None,
    };
    schema.enums.get(id.0 as usize).map(|e| e.values.as_slice())
}

/// Every schema change from `old` to `new`.
pub(crate) fn changes(old: &Program, new: &Program) -> Vec<SchemaChange> {
    let (os, ns) = (&old.schema, &new.schema);
    let mut out = Vec::new();
    for field in &os.fields {
        match ns.field_by_name(&field.name) {
            None => out.push(removed(os, field)),
            Some(id) => out.extend(field_changes(os, field, ns, ns.field(id))),
        }
    }
    for field in ns.fields.iter().filter(|f| os.field_by_name(&f.name).is_none()) {
        let effect = if field.optional {
            "none: existing leads leave it absent".to_string()
        } else {
            format!("leads without `{}` become invalid", field.name)
        };
        out.push(change(
            SchemaChangeKind::FieldAdded,
            field,
            format!("`{}: {}{}` added", field.name, type_name(ns, field.ty), if field.optional { "?" } else { "" }),
            effect,
        ));
    }
    out.extend(alias_changes(old, new));
    if os.missing != ns.missing {
        out.push(SchemaChange {
            kind: SchemaChangeKind::MissingChanged,
            field: String::new(),
            change: format!("missing markers [{}] became [{}]", quoted(&os.missing), quoted(&ns.missing)),
            effect: "values that are markers in one version and not the other are read differently".to_string(),
        });
    }
    out
}

fn quoted(items: &[String]) -> String {
    items.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
}

fn change(kind: SchemaChangeKind, field: &Field, change: String, effect: String) -> SchemaChange {
    SchemaChange { kind, field: field.name.clone(), change, effect }
}

fn removed(schema: &Schema, field: &Field) -> SchemaChange {
    change(
        SchemaChangeKind::FieldRemoved,
        field,
        format!("`{}: {}{}` removed", field.name, type_name(schema, field.ty), if field.optional { "?" } else { "" }),
        format!("the `{}` column is ignored; leads are no longer checked for it", field.column),
    )
}

fn field_changes(os: &Schema, old: &Field, ns: &Schema, new: &Field) -> Vec<SchemaChange> {
    let mut out = Vec::new();
    let name = &old.name;
    if !same_type(old.ty, new.ty) {
        out.push(change(
            SchemaChangeKind::FieldRetyped,
            old,
            format!("`{name}` changed type from {} to {}", type_name(os, old.ty), type_name(ns, new.ty)),
            format!("leads whose `{name}` is not a valid {} become invalid", type_name(ns, new.ty)),
        ));
    } else if let (Some(before), Some(after)) = (enum_values(os, old.ty), enum_values(ns, new.ty)) {
        for value in after.iter().filter(|v| !before.contains(v)) {
            out.push(change(
                SchemaChangeKind::ValueAdded,
                old,
                format!("`{name}` value `{value}` added"),
                format!("leads with {name} `{value}` become valid"),
            ));
        }
        for value in before.iter().filter(|v| !after.contains(v)) {
            out.push(change(
                SchemaChangeKind::ValueRemoved,
                old,
                format!("`{name}` value `{value}` removed"),
                format!("leads with {name} `{value}` become invalid"),
            ));
        }
    }
    match (old.optional, new.optional) {
        (false, true) => out.push(change(
            SchemaChangeKind::FieldOptional,
            old,
            format!("`{name}` became optional"),
            format!("leads without `{name}` become valid"),
        )),
        (true, false) => out.push(change(
            SchemaChangeKind::FieldRequired,
            old,
            format!("`{name}` became required"),
            format!("leads without `{name}` become invalid"),
        )),
        _ => {}
    }
    if old.column != new.column {
        out.push(change(
            SchemaChangeKind::ColumnChanged,
            old,
            format!("`{name}` is read from column `{}` instead of `{}`", new.column, old.column),
            format!("inputs must name the column `{}`", new.column),
        ));
    }
    out
}

/// Alias spellings by (field name, spelling) to the value name they mean.
fn aliases(program: &Program) -> Vec<(String, String, String)> {
    let schema = &program.schema;
    let mut out: Vec<(String, String, String)> = program
        .declarations
        .aliases
        .iter()
        .filter_map(|a| {
            let field = schema.fields.get(a.field.index())?;
            let value = enum_values(schema, field.ty)?.get(a.value as usize)?;
            Some((field.name.clone(), a.spelling.clone(), value.clone()))
        })
        .collect();
    out.sort();
    out
}

fn alias_changes(old: &Program, new: &Program) -> Vec<SchemaChange> {
    let (before, after) = (aliases(old), aliases(new));
    let mut out = Vec::new();
    for (field, spelling, value) in after.iter().filter(|a| !before.contains(a)) {
        out.push(SchemaChange {
            kind: SchemaChangeKind::AliasAdded,
            field: field.clone(),
            change: format!("alias `{spelling}` for {field} `{value}` added"),
            effect: format!("leads spelling {field} `{spelling}` read as `{value}`"),
        });
    }
    for (field, spelling, value) in before.iter().filter(|a| !after.contains(a)) {
        out.push(SchemaChange {
            kind: SchemaChangeKind::AliasRemoved,
            field: field.clone(),
            change: format!("alias `{spelling}` for {field} `{value}` removed"),
            effect: format!(
                "leads spelling {field} `{spelling}` no longer read as `{value}` (invalid unless it is a value)"
            ),
        });
    }
    out
}
