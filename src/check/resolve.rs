//! Declarations: the schema, aliases, teams and lookups, resolved into the
//! tables the rest of the checker and the program use.

use rustc_hash::FxHashMap;

use super::program::{Lookup, LookupId, Member, Team};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Written};
use crate::schema::{ElementType, EnumId, EnumType, Field, FieldId, FieldType, Numbers, Schema};
use crate::source::Span;
use crate::syntax::ast::{self, Ident, Item, LiteralValue, Module, ScalarType, TypeExpr};

/// Every top-level declaration of the project, by kind.
#[derive(Default)]
pub struct Declarations<'a> {
    /// Schemas (exactly one is expected).
    pub schemas: Vec<&'a ast::SchemaDecl>,
    /// Alias blocks.
    pub aliases: Vec<&'a ast::AliasDecl>,
    /// Teams.
    pub teams: Vec<&'a ast::TeamDecl>,
    /// Lets.
    pub lets: Vec<&'a ast::LetDecl>,
    /// Lookups.
    pub lookups: Vec<&'a ast::LookupDecl>,
    /// Rules of the entry file.
    pub rules: Vec<&'a ast::Rule>,
    /// `on invalid` rules of the entry file.
    pub on_invalid: Vec<&'a ast::OnInvalidDecl>,
    /// Tables.
    pub tables: Vec<&'a ast::TableDecl>,
    /// Scores.
    pub scores: Vec<&'a ast::ScoreDecl>,
}

/// Sorts the items of every module; rules outside the entry file are errors.
pub fn collect<'a>(modules: &'a [(crate::source::FileId, Module)], diagnostics: &mut Diagnostics) -> Declarations<'a> {
    let mut decls = Declarations::default();
    for (index, (_, module)) in modules.iter().enumerate() {
        let is_entry = index == 0;
        for item in &module.items {
            match item {
                Item::Schema(s) => decls.schemas.push(s),
                Item::Alias(a) => decls.aliases.push(a),
                Item::Team(t) => decls.teams.push(t),
                Item::Let(l) => decls.lets.push(l),
                Item::Lookup(l) => decls.lookups.push(l),
                Item::Import(_) => {}
                Item::Table(t) => decls.tables.push(t),
                Item::Score(sc) => decls.scores.push(sc),
                Item::Rule(r) if is_entry => decls.rules.push(r),
                Item::OnInvalid(o) if is_entry => decls.on_invalid.push(o),
                Item::Rule(ast::Rule { span, .. }) | Item::OnInvalid(ast::OnInvalidDecl { span, .. }) => {
                    diagnostics.push(
                        Diagnostic::new(Code::RuleInImport, *span, "rules belong in the entry file")
                            .label("rule in an imported file")
                            .help("imported files hold declarations (schema, aliases, teams, lets, lookups); move this rule to the entry file so rule order is the order on one page"),
                    )
                }
            }
        }
    }
    decls
}

/// Reports every name declared twice in one namespace, naming both places.
pub fn report_duplicates<'n>(kind: &str, names: impl IntoIterator<Item = &'n Ident>, diagnostics: &mut Diagnostics) {
    let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
    for name in names {
        if let Some(first) = seen.get(name.name.as_str()) {
            diagnostics.push(
                Diagnostic::new(Code::Duplicate, name.span, format!("{kind} `{}` is declared twice", name.name))
                    .label("declared again here")
                    .with_label(*first, "first declared here")
                    .help("rename one of them or remove the duplicate"),
            );
        } else {
            seen.insert(name.name.as_str(), name.span);
        }
    }
}

/// Resolves the one schema; `None` when there is none.
pub fn schema(decls: &Declarations<'_>, report_missing: bool, diagnostics: &mut Diagnostics) -> Option<Schema> {
    let Some(first) = decls.schemas.first() else {
        if !report_missing {
            return None;
        }
        let entry_start = Span::new(crate::source::FileId(0), 0, 0);
        diagnostics.push(
            Diagnostic::new(Code::NoSchema, entry_start, "the project has no schema")
                .label("expected `schema lead { ... }` in this file or one it imports")
                .help("declare the lead fields: schema lead { id: string  region: \"NA\" | \"EMEA\" }"),
        );
        return None;
    };
    for extra in decls.schemas.iter().skip(1) {
        diagnostics.push(
            Diagnostic::new(Code::SecondSchema, extra.name.span, "a project has exactly one schema")
                .label("second schema")
                .with_label(first.name.span, "first schema")
                .help("merge the fields into one schema"),
        );
    }
    let numbers = match &first.numbers {
        Some(numbers) if numbers.lenient => Numbers::Lenient,
        _ => Numbers::Strict,
    };
    let missing = first.missing.iter().map(|m| m.value.trim().to_string()).collect();
    let mut schema = Schema { missing, numbers, ..Schema::default() };
    let mut names: FxHashMap<&str, Span> = FxHashMap::default();
    let mut columns: FxHashMap<String, Span> = FxHashMap::default();
    for field in &first.fields {
        if let Some(previous) = names.insert(&field.name.name, field.name.span) {
            diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateField,
                    field.name.span,
                    format!("field `{}` is declared twice", field.name.name),
                )
                .label("declared again here")
                .with_label(previous, "first declared here"),
            );
            continue;
        }
        let column = field.from.as_ref().map_or_else(|| field.name.name.clone(), |f| f.value.trim().to_string());
        let column_span = field.from.as_ref().map_or(field.name.span, |f| f.span);
        if let Some(previous) = columns.insert(column.clone(), column_span) {
            diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateField,
                    column_span,
                    format!("input column `{column}` is read by two fields"),
                )
                .label("read again here")
                .with_label(previous, "first read here")
                .help("each input column maps to one field"),
            );
        }
        let ty = field_type(&field.ty, &mut schema.enums);
        let format = field.format.as_ref().and_then(|format| time_format(field, ty, format, diagnostics));
        schema.fields.push(Field {
            name: field.name.name.clone(),
            column,
            ty,
            optional: field.optional,
            format,
            span: field.name.span,
        });
    }
    schema.id_field = schema.field_by_name("id");
    Some(schema)
}

/// The field type a type expression declares (enums added to `enums`).
pub fn field_type(ty: &TypeExpr, enums: &mut Vec<EnumType>) -> FieldType {
    match ty {
        TypeExpr::Scalar(scalar, _) => scalar_type(*scalar),
        TypeExpr::Enum(values, _) => FieldType::Enum(new_enum(values, enums)),
        TypeExpr::List(element, _) => FieldType::List(match element.as_ref() {
            TypeExpr::Enum(values, _) => ElementType::Enum(new_enum(values, enums)),
            TypeExpr::Scalar(ScalarType::Int, _) => ElementType::Int,
            TypeExpr::Scalar(ScalarType::Float, _) => ElementType::Float,
            TypeExpr::Scalar(ScalarType::Bool, _) => ElementType::Bool,
            TypeExpr::Scalar(ScalarType::Date, _) => ElementType::Date,
            TypeExpr::Scalar(ScalarType::DateTime, _) => ElementType::DateTime,
            _ => ElementType::String,
        }),
    }
}

fn scalar_type(scalar: ScalarType) -> FieldType {
    match scalar {
        ScalarType::String => FieldType::String,
        ScalarType::Int => FieldType::Int,
        ScalarType::Float => FieldType::Float,
        ScalarType::Bool => FieldType::Bool,
        ScalarType::Date => FieldType::Date,
        ScalarType::DateTime => FieldType::DateTime,
    }
}

/// A date or datetime field's (or table column's) `format`, checked (known directives, a whole
/// date); `None` after reporting why it cannot be used.
pub(crate) fn time_format(
    field: &ast::FieldDecl,
    ty: FieldType,
    format: &ast::StrLit,
    diagnostics: &mut Diagnostics,
) -> Option<String> {
    use crate::schema::dates::{check_format, FormatError};
    if !matches!(ty, FieldType::Date | FieldType::DateTime) {
        diagnostics.push(
            Diagnostic::new(
                Code::FormatNotTime,
                format.span,
                format!("field `{}` is not a date or datetime, so it takes no `format`", field.name.name),
            )
            .label("only date and datetime fields have an input format")
            .with_label(field.ty.span(), "declared here")
            .help("declare the field `date` or `datetime`, or remove the `format`"),
        );
        return None;
    }
    match check_format(&format.value) {
        Ok(()) => Some(format.value.clone()),
        Err(error) => {
            let label = match error {
                FormatError::Invalid(why) => why,
                FormatError::Incomplete => "does not give a year, a month and a day".to_string(),
            };
            diagnostics.push(
                Diagnostic::new(
                    Code::BadTimeFormat,
                    format.span,
                    format!("`{}` cannot read the dates of field `{}`", format.value, field.name.name),
                )
                .label(label)
                .help(
                    "write a strftime-style format with %Y (or %y), %m and %d, e.g. \"%m/%d/%Y\" or \"%d.%m.%Y %H:%M\"",
                ),
            );
            None
        }
    }
}

fn new_enum(values: &[ast::StrLit], enums: &mut Vec<EnumType>) -> EnumId {
    enums.push(EnumType::new(values.iter().map(|v| v.value.clone()).collect()));
    EnumId(u32::try_from(enums.len() - 1).unwrap_or(u32::MAX))
}

/// The enum behind a field (or a list of enums), if it is one.
pub fn enum_of(schema: &Schema, field: FieldId) -> Option<EnumId> {
    match schema.field(field).ty {
        FieldType::Enum(id) | FieldType::List(ElementType::Enum(id)) => Some(id),
        _ => None,
    }
}

/// Applies every alias block to its field's enum.
pub fn aliases(decls: &Declarations<'_>, schema: &mut Schema, diagnostics: &mut Diagnostics) {
    for alias in &decls.aliases {
        let Some(field) = schema.field_by_name(&alias.field.name) else {
            diagnostics.push(unknown_field(schema, &alias.field));
            continue;
        };
        let Some(enum_id) = enum_of(schema, field) else {
            diagnostics.push(
                Diagnostic::new(
                    Code::AliasNotEnum,
                    alias.field.span,
                    format!("`{}` is not an enum field", alias.field.name),
                )
                .label("aliases map spellings to enum values")
                .with_label(schema.field(field).span, "declared here")
                .help("declare the field as an enum (\"A\" | \"B\") to accept and clean spellings"),
            );
            continue;
        };
        // `enum_of` reads the id from this schema's own field types.
        let Some(enum_type) = schema.enums.get_mut(enum_id.0 as usize) else {
            continue;
        };
        for group in &alias.groups {
            let Some(value) = enum_type.resolve(&group.to.value) else {
                let values: Vec<&str> = enum_type.values.iter().map(String::as_str).collect();
                diagnostics.push(
                    Diagnostic::new(
                        Code::AliasTarget,
                        group.to.span,
                        format!("`{}` is not a value of `{}`", group.to.value, alias.field.name),
                    )
                    .label("not in the enum")
                    .suggest(group.to.span, &group.to.value, values.iter().copied(), Written::Str)
                    .help_if_none(|| format!("the values are {}", values.join(", "))),
                );
                continue;
            };
            for spelling in &group.from {
                if let Some(previous) = enum_type.add_alias(spelling.value.trim(), value) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::AliasConflict,
                            spelling.span,
                            format!("`{}` already means `{}`", spelling.value, enum_type.name(previous)),
                        )
                        .label(format!("cannot also mean `{}`", enum_type.name(value)))
                        .help("a spelling maps to one value; spellings match case-insensitively"),
                    );
                }
            }
        }
    }
}

/// The diagnostic for a field name the schema lacks.
pub fn unknown_field(schema: &Schema, name: &Ident) -> Diagnostic {
    Diagnostic::new(Code::UnknownField, name.span, format!("unknown field `{}`", name.name))
        .label("not in the schema")
        .suggest(name.span, &name.name, schema.input_fields().iter().map(|f| f.name.as_str()), Written::Name)
}

/// Resolves teams: weights and duplicate members.
pub fn teams(decls: &Declarations<'_>, diagnostics: &mut Diagnostics) -> Vec<Team> {
    decls
        .teams
        .iter()
        .map(|team| {
            let mut members: Vec<Member> = Vec::new();
            let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
            for member in &team.members {
                if let Some(first) = seen.insert(member.id.value.as_str(), member.id.span) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::DuplicateMember,
                            member.id.span,
                            format!("`{}` is listed twice in team `{}`", member.id.value, team.name.name),
                        )
                        .label("listed again here")
                        .with_label(first, "first listed here")
                        .help("to give a rep a bigger share, use `weight N`"),
                    );
                    continue;
                }
                members.push(Member { id: member.id.value.clone(), weight: weight(member, diagnostics) });
            }
            Team { name: team.name.name.clone(), members, span: team.name.span }
        })
        .collect()
}

fn weight(member: &ast::MemberDecl, diagnostics: &mut Diagnostics) -> u32 {
    let Some(literal) = &member.weight else { return 1 };
    match literal.value {
        LiteralValue::Int(w) if w > 0 => u32::try_from(w).unwrap_or(u32::MAX),
        _ => {
            diagnostics.push(
                Diagnostic::new(Code::BadWeight, literal.span, "a weight is a positive whole number")
                    .label("not a positive integer")
                    .help("weights are relative shares: `weight 3` gets three leads for every one of `weight 1`; remove the member to give it none"),
            );
            1
        }
    }
}

/// The id of a lookup by name.
pub fn lookup_id(lookups: &[Lookup], name: &str) -> Option<LookupId> {
    lookups.iter().position(|l| l.name == name).and_then(|i| u32::try_from(i).ok()).map(LookupId)
}
