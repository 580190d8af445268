//! Hover: what the name under the cursor is, in Markdown. A field shows
//! its declaration and aliases, a let its condition, a team its members
//! and weights, a lookup its source and row count, a rule a lead that
//! reaches it or the rules that shadow it, a keyword what it does.
//! Any other declared kind shows its declaration as written.

use std::fmt::Write as _;

use super::keywords;
use super::project::Project;
use crate::analysis::lead_to_json;
use crate::check::program::{Program, RuleId};
use crate::diagnostics::Code;
use crate::source::{FileId, Span};
use crate::syntax::locate::{self, Kind, Occurrence};

/// Lines of a declaration shown at most.
const SHOWN_LINES: usize = 20;

/// The hover text at `offset` of `file`, and the span it is about.
pub fn hover(project: &Project, file: FileId, offset: usize) -> Option<(String, Span)> {
    if let Some(occurrence) = locate::at(&project.occurrences, file, offset) {
        return Some((describe(project, occurrence), occurrence.span));
    }
    let text = &project.partial.sources.get(file)?.text;
    let (keyword, range) = locate::keyword_at(text, offset, &keywords::names())?;
    let doc = keywords::doc(keyword)?;
    Some((format!("`{keyword}`: {doc}"), Span::new(file, range.start, range.end)))
}

/// The declaring occurrence of the symbol `o` names, when the project has one.
pub fn declaration<'p>(project: &'p Project, o: &'p Occurrence) -> Option<&'p Occurrence> {
    if o.declares {
        return Some(o);
    }
    let declared = |exact: bool| {
        project.occurrences.iter().find(|d| {
            d.declares
                && d.kind == o.kind
                && if exact { d.name == o.name } else { d.name.eq_ignore_ascii_case(&o.name) }
        })
    };
    // Enum values and alias spellings match ignoring case, as leads do.
    declared(true).or_else(|| matches!(o.kind, Kind::Value { .. }).then(|| declared(false)).flatten())
}

fn describe(project: &Project, o: &Occurrence) -> String {
    let decl = declaration(project, o);
    let program = project.partial.program.as_ref();
    // Tables share the lookups' namespace (and kind); say which it is.
    let is_table = o.kind == Kind::Lookup && program.is_some_and(|p| p.tables.iter().any(|t| t.name == o.name));
    let what = if is_table { "table" } else { o.kind.describe() };
    let mut out = format!("**{what}** `{}`\n\n", o.name);
    match (&o.kind, program) {
        (Kind::Rule, _) => rule(project, o, &mut out),
        (Kind::Team, Some(program)) => team(program, &o.name, &mut out),
        (Kind::Strategy, _) => out.push_str(keywords::strategy_doc(&o.name).unwrap_or("not a distribution strategy")),
        (Kind::File, _) => file(project, o, &mut out),
        _ => {}
    }
    if !matches!(o.kind, Kind::Rule | Kind::Strategy | Kind::File | Kind::Team) || program.is_none() {
        match decl {
            Some(decl) => code(project, decl.extent, &mut out),
            None if o.kind != Kind::Strategy => out.push_str("not declared in this project\n"),
            None => {}
        }
    }
    match (&o.kind, program) {
        (Kind::Field, Some(program)) => aliases(program, &o.name, &mut out),
        (Kind::Value { field }, Some(program)) => value(program, field, &o.name, &mut out),
        (Kind::Lookup, Some(program)) => {
            if let Some(lookup) = program.lookups.iter().find(|l| l.name == o.name) {
                let _ = writeln!(out, "\n{} rows", lookup.entries.len());
            } else if let Some(table) = program.tables.iter().find(|t| t.name == o.name) {
                let columns: Vec<String> = table
                    .columns
                    .iter()
                    .map(|c| format!("`{}` ({})", c.name, crate::check::type_name(&program.schema, c.ty)))
                    .collect();
                let _ = writeln!(
                    out,
                    "\n{} rows, keyed by `{}`; columns {}",
                    table.rows.len(),
                    table.key,
                    columns.join(", ")
                );
            }
        }
        _ => {}
    }
    out.trim_end().to_string()
}

/// The text under `span` as a fenced block (at most [`SHOWN_LINES`] lines).
fn code(project: &Project, span: Span, out: &mut String) {
    let text = project.partial.sources.snippet(span);
    let lines: Vec<&str> = text.lines().collect();
    let _ = writeln!(out, "```route");
    for line in lines.iter().take(SHOWN_LINES) {
        let _ = writeln!(out, "{line}");
    }
    if lines.len() > SHOWN_LINES {
        let _ = writeln!(out, "# ... {} more lines", lines.len() - SHOWN_LINES);
    }
    let _ = writeln!(out, "```");
}

fn team(program: &Program, name: &str, out: &mut String) {
    let Some(team) = program.teams.iter().find(|t| t.name == name) else { return };
    let count = team.members.len();
    let _ = writeln!(out, "{count} member{}:\n", if count == 1 { "" } else { "s" });
    for member in &team.members {
        let _ = writeln!(out, "- `{}` weight {}", member.id, member.weight);
    }
}

fn aliases(program: &Program, field: &str, out: &mut String) {
    let Some(id) = program.schema.field_by_name(field) else { return };
    let spellings: Vec<String> = program
        .declarations
        .aliases
        .iter()
        .filter(|a| a.field == id)
        .map(|a| format!("`{}` → `{}`", a.spelling, enum_name(program, id, a.value)))
        .collect();
    if !spellings.is_empty() {
        let _ = writeln!(out, "\naliases: {}", spellings.join(", "));
    }
}

fn value(program: &Program, field: &str, name: &str, out: &mut String) {
    let Some(id) = program.schema.field_by_name(field) else { return };
    let alias = program.declarations.aliases.iter().find(|a| a.field == id && a.spelling.eq_ignore_ascii_case(name));
    if let Some(alias) = alias {
        let _ = writeln!(out, "\nan alias of `{}`", enum_name(program, id, alias.value));
    }
}

fn enum_name(program: &Program, field: crate::schema::FieldId, value: u32) -> String {
    let name = &program.schema.field(field).name;
    super::project::enum_of(&program.schema, name).map_or_else(|| value.to_string(), |e| e.name(value).to_string())
}

fn file(project: &Project, o: &Occurrence, out: &mut String) {
    let dir = project.partial.sources.get(o.span.file).and_then(|f| f.path.parent().map(std::path::Path::to_path_buf));
    let path = crate::check::overlay::normalise(&dir.unwrap_or_default().join(&o.name));
    let state = if path.is_file() { "" } else { " (not found)" };
    let _ = writeln!(out, "`{}`{state}", path.display());
}

/// A rule: a lead that reaches it, or why none does.
fn rule(project: &Project, o: &Occurrence, out: &mut String) {
    let Some(program) = project.partial.program.as_ref() else { return };
    let Some(index) = program.rules.iter().position(|r| r.span == o.extent) else {
        out.push_str("not checked: the rule (or the block it stands in) has errors, or it is a block\n");
        return;
    };
    let id = RuleId(u32::try_from(index).unwrap_or(u32::MAX));
    let rule = program.rule(id);
    let _ = writeln!(out, "rule `{}`, number {} in priority order\n", rule.name, index + 1);
    let Some(analysis) = &project.analysis else {
        out.push_str(if project.partial.complete().is_some() {
            "the analysis is running: hover again in a moment\n"
        } else {
            "the analysis runs once the project has no errors\n"
        });
        return;
    };
    if let Some(witness) = analysis.witnesses.iter().find(|w| w.rule == id) {
        let lead = lead_to_json(&program.schema, &witness.lead);
        let _ = writeln!(out, "a lead that reaches it:\n\n```json\n{lead}\n```");
        return;
    }
    let shadowed = project
        .partial
        .diagnostics
        .0
        .iter()
        .find(|d| matches!(d.code, Code::UnreachableRule | Code::AlwaysFalse) && d.span() == rule.span);
    if let Some(d) = shadowed {
        let _ = writeln!(out, "**never matches**: {}", d.labels.first().map_or("", |l| l.message.as_str()));
        for label in d.labels.iter().skip(1) {
            let (line, _) = project.partial.sources.start_of(label.span);
            let _ = writeln!(out, "- line {line}: {}", label.message);
        }
    } else if analysis.undecided.contains(&id) {
        out.push_str("the analysis could not decide whether a lead reaches it\n");
    } else {
        out.push_str("no lead reaches it\n");
    }
}
