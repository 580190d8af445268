//! Test files against the project: lead keys are schema fields, values
//! literals of their types (aliases apply), expectations name the
//! project's rules, teams and queues; `roster` and `now` load.
//!
//! Codes are those of `route check` where the mistake is the same
//! (`E0107` unknown field, `E0202` wrong type, `E0203` enum value), so a
//! user meets one vocabulary.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use super::ast::{
    CaseDecl, ExpectDecl, ExpectWhat, LeadDecl, LeadValue, Literal, LiteralValue, TestDecl, TestFile, Text,
};
use super::{Case, Expectation, Expected, Group, Names, Test};
use crate::check::Program;
use crate::diagnostics::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::eval::roster::parse_now;
use crate::eval::Roster;
use crate::schema::{Field, FieldType, Schema};
use crate::source::{SourceMap, Span};

/// What a test file is checked against.
#[derive(Debug)]
pub struct Project<'p> {
    /// The checked program.
    pub program: &'p Program,
    /// Its rule, team and queue names.
    pub names: Names,
    /// The project directory (canonical): rosters must be inside it.
    pub dir: PathBuf,
}

/// One group per test of `file` (each test has its own distribution state);
/// tests with errors are left out and their errors added to `diagnostics`.
pub fn test_file(
    project: &Project<'_>,
    sources: &SourceMap,
    path: &Path,
    file: &TestFile,
    diagnostics: &mut Diagnostics,
) -> Vec<Group> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut groups = Vec::new();
    for decl in &file.tests {
        let before = diagnostics.0.len();
        let roster = decl.roster.as_ref().and_then(|r| roster(project, dir, r, diagnostics));
        let now = decl.now.as_ref().and_then(|text| match parse_now(&text.value) {
            Ok(now) => Some(now),
            Err(message) => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::TestNow,
                        text.span,
                        format!("the test's `now` `{}` is not an instant", text.value),
                    )
                    .label(message)
                    .help("write e.g. `now \"2026-11-25T10:00:00Z\"` or `now \"2026-11-25T10:00[Europe/Berlin]\"`"),
                );
                None
            }
        });
        let mut test = test(project, sources, decl, diagnostics);
        if diagnostics.0.len() == before {
            let now = now.unwrap_or_else(jiff::Timestamp::now);
            for case in &mut test.cases {
                if let Ok(lead) = &mut case.lead {
                    project.program.derive(lead, now);
                }
            }
            groups.push(Group { roster: roster.unwrap_or_default(), now, tests: vec![test] });
        }
    }
    groups
}

fn test(project: &Project<'_>, sources: &SourceMap, decl: &TestDecl, diagnostics: &mut Diagnostics) -> Test {
    let (line, _) = sources.start_of(decl.span);
    let location = format!("{}:{line}", sources.name(decl.span.file));
    let cases = decl.cases.iter().enumerate().map(|(i, case)| self::case(project, case, i + 1, diagnostics)).collect();
    Test { name: decl.name.clone(), location, cases }
}

fn case(project: &Project<'_>, decl: &CaseDecl, position: usize, diagnostics: &mut Diagnostics) -> Case {
    let expects: Vec<Expectation> = decl.expects.iter().filter_map(|e| expectation(project, e, diagnostics)).collect();
    let allows_invalid = expects.iter().any(Expectation::allows_invalid);
    let schema = &project.program.schema;
    let before = diagnostics.0.len();
    let json = lead_json(schema, &decl.lead, allows_invalid, diagnostics);
    let record = crate::io::single_lead(schema, &json.to_string());
    if let Err(error) = &record.lead {
        // A value already reported (wrong type, unknown field) says enough.
        if !allows_invalid && diagnostics.0.len() == before {
            diagnostics.push(
                Diagnostic::new(Code::InvalidTestLead, decl.lead.span, format!("this lead is invalid: {}", error.message))
                    .label(match &error.field {
                        Some(field) => format!("`{field}` is not valid"),
                        None => "not a valid lead".to_string(),
                    })
                    .help("give every required field a value of its type, or write `expect invalid FIELD` to test that the lead is refused"),
            );
        }
    }
    let id = record.id.unwrap_or_else(|| format!("lead {position}"));
    Case { id, lead: record.lead, expects }
}

fn expectation(project: &Project<'_>, decl: &ExpectDecl, diagnostics: &mut Diagnostics) -> Option<Expectation> {
    let schema = &project.program.schema;
    let expected = match &decl.what {
        ExpectWhat::Rule(name) => Expected::Rule(name.value.clone()),
        ExpectWhat::Team(name) => Expected::Team(name.value.clone()),
        ExpectWhat::Queue(name) => Expected::Queue(name.value.clone()),
        ExpectWhat::Assignee(id) => Expected::Assignee(id.value.clone()),
        ExpectWhat::Secondary(id) => Expected::Secondary(id.value.clone()),
        ExpectWhat::Reason(reason) => Expected::Reason(*reason),
        ExpectWhat::Invalid(None) => Expected::Invalid(None),
        ExpectWhat::Invalid(Some(field)) => match schema.field_by_name(&field.value) {
            Some(_) => Expected::Invalid(Some(field.value.clone())),
            None => {
                diagnostics.push(unknown_field(schema, field));
                return None;
            }
        },
    };
    let span = match &decl.what {
        ExpectWhat::Rule(t) | ExpectWhat::Team(t) | ExpectWhat::Queue(t) => t.span,
        _ => decl.span,
    };
    if let Err(error) = project.names.check(&expected, span) {
        diagnostics.push(*error);
        return None;
    }
    Some(Expectation { negated: decl.negated, expected })
}

fn unknown_field(schema: &Schema, field: &Text) -> Diagnostic {
    Diagnostic::new(Code::UnknownField, field.span, format!("the schema has no field `{}`", field.value))
        .label("unknown field")
        .maybe_help(did_you_mean(&field.value, schema.input_fields().iter().map(|f| f.name.as_str())))
}

/// The lead as the JSON object `route eval --lead` reads (keys are input
/// columns), so that coercion, aliases and required fields work exactly
/// as in `route eval`. Type mistakes are errors unless the test expects an
/// invalid lead; then the value goes through as written and the reader
/// decides.
fn lead_json(schema: &Schema, lead: &LeadDecl, allows_invalid: bool, diagnostics: &mut Diagnostics) -> Json {
    let mut object = Map::new();
    let mut seen: Vec<(&str, Span)> = Vec::new();
    for entry in &lead.entries {
        // A test lead gives input fields: derived values are computed.
        let input = schema.field_by_name(&entry.field.value).filter(|&id| schema.derivation(id).is_none());
        let Some(field) = input.and_then(|id| schema.fields.get(id.index())) else {
            diagnostics.push(unknown_field(schema, &entry.field));
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(name, _)| *name == field.name) {
            diagnostics.push(
                Diagnostic::new(Code::DuplicateLeadField, entry.field.span, format!("`{}` is given twice", field.name))
                    .label("given again here")
                    .with_label(*first, "first given here")
                    .help("keep one value per field"),
            );
            continue;
        }
        seen.push((&field.name, entry.field.span));
        if !allows_invalid {
            if let Err(error) = check_value(schema, field, &entry.value) {
                diagnostics.push(*error);
            }
        }
        object.insert(field.column.clone(), to_json(&entry.value));
    }
    Json::Object(object)
}

/// `E0202`/`E0203` when a value is not one of the field's type.
fn check_value(schema: &Schema, field: &Field, value: &LeadValue) -> Result<(), Box<Diagnostic>> {
    match (field.ty, value) {
        (FieldType::List(element), LeadValue::List { items, .. }) => {
            items.iter().try_for_each(|item| check_scalar(schema, (field, true), element.as_field_type(), item))
        }
        (FieldType::List(_), LeadValue::One(literal)) => {
            Err(wrong_type((field, false), field.ty, kind(&literal.value), literal.span))
        }
        (ty, LeadValue::List { span, .. }) => Err(wrong_type((field, false), ty, "a list", *span)),
        (ty, LeadValue::One(literal)) => check_scalar(schema, (field, false), ty, literal),
    }
}

/// A scalar literal of `ty` (`element`: it is an element of a list field).
fn check_scalar(
    schema: &Schema,
    (field, element): (&Field, bool),
    ty: FieldType,
    literal: &Literal,
) -> Result<(), Box<Diagnostic>> {
    match (ty, &literal.value) {
        (FieldType::String, LiteralValue::Str(_))
        | (FieldType::Int, LiteralValue::Int(_))
        | (FieldType::Float, LiteralValue::Int(_) | LiteralValue::Float(_))
        | (FieldType::Bool, LiteralValue::Bool(_))
        // A date as text (`"2026-11-25"`) or unquoted; the lead reader
        // checks it like any input.
        | (FieldType::Date | FieldType::DateTime, LiteralValue::Str(_) | LiteralValue::Date(_) | LiteralValue::DateTime(_)) => Ok(()),
        (FieldType::Enum(id), LiteralValue::Str(text)) => {
            let Some(values) = schema.enums.get(id.0 as usize) else { return Ok(()) };
            if values.resolve(text.trim()).is_some() {
                return Ok(());
            }
            let help = did_you_mean(text, values.values.iter().map(String::as_str))
                .unwrap_or_else(|| format!("the values are {}", super::list(&values.values)));
            let message = format!("`{text}` is not a value of `{}`", field.name);
            Err(Box::new(
                Diagnostic::new(Code::UnknownEnumValue, literal.span, message)
                    .label("not in the enum")
                    .with_label(field.span, "the field is declared here")
                    .help(help),
            ))
        }
        _ => Err(wrong_type((field, element), ty, kind(&literal.value), literal.span)),
    }
}

fn wrong_type((field, element): (&Field, bool), ty: FieldType, found: &str, span: Span) -> Box<Diagnostic> {
    let wanted = match ty {
        FieldType::String => "a string",
        FieldType::Int => "an int",
        FieldType::Float => "a float",
        FieldType::Bool => "a bool",
        FieldType::Enum(_) => "an enum (a string)",
        FieldType::List(_) => "a list",
        FieldType::Date => "a date",
        FieldType::DateTime => "a datetime",
    };
    let subject = if element { format!("each element of `{}`", field.name) } else { format!("`{}`", field.name) };
    Box::new(
        Diagnostic::new(Code::LiteralType, span, format!("{subject} is {wanted}, but this is {found}"))
            .label(format!("expected {wanted}"))
            .with_label(field.span, "the field is declared here"),
    )
}

fn kind(value: &LiteralValue) -> &'static str {
    match value {
        LiteralValue::Str(_) => "a string",
        LiteralValue::Int(_) => "an int",
        LiteralValue::Float(_) => "a float",
        LiteralValue::Bool(_) => "a bool",
        LiteralValue::Date(_) => "a date",
        LiteralValue::DateTime(_) => "a datetime",
    }
}

fn to_json(value: &LeadValue) -> Json {
    let scalar = |literal: &Literal| match &literal.value {
        LiteralValue::Str(s) => Json::String(s.clone()),
        LiteralValue::Int(i) => Json::from(*i),
        LiteralValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        LiteralValue::Bool(b) => Json::Bool(*b),
        LiteralValue::Date(t) | LiteralValue::DateTime(t) => Json::String(t.text.to_string()),
    };
    match value {
        LeadValue::One(literal) => scalar(literal),
        LeadValue::List { items, .. } => Json::Array(items.iter().map(scalar).collect()),
    }
}

/// Loads `roster "file"`: relative to the test file, inside the project.
fn roster(project: &Project<'_>, dir: &Path, text: &Text, diagnostics: &mut Diagnostics) -> Option<Roster> {
    let fail = |label: String, help: &str| {
        Diagnostic::new(Code::TestRoster, text.span, format!("cannot use the roster `{}`", text.value))
            .label(label)
            .help(help.to_string())
    };
    let path = dir.join(&text.value);
    let inside = path.canonicalize().map(|p| p.starts_with(&project.dir));
    let problem = match inside {
        Err(error) => fail(format!("cannot read it: {error}"), "the path is relative to the test file"),
        Ok(false) => fail(
            "outside the project directory".to_string(),
            "tests may only read files inside the project, so a suite runs the same on every machine",
        ),
        Ok(true) => {
            let read = std::fs::read_to_string(&path).map_err(|e| format!("cannot read it: {e}"));
            match read.and_then(|t| Roster::from_json(&t).map_err(|problems| roster_problems(&problems))) {
                Ok(roster) => return Some(roster),
                Err(message) => fail(message, "see docs/cli.md#the-roster for the format"),
            }
        }
    };
    diagnostics.push(problem);
    None
}

fn roster_problems(problems: &[crate::eval::roster::RosterProblem]) -> String {
    let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
    format!("not a valid roster: {}", all.join("; "))
}
