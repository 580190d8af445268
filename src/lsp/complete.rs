//! Completion, from the words before the cursor: strategies after `via`,
//! teams after `-> team` and `fallback`, lookups after `rep` and `in`,
//! enum values after `FIELD ==` and inside `FIELD in [...]`, fields in
//! `sticky(...)` and `LOOKUP[...]`, a table's columns after
//! `TABLE[KEY].`, target keywords after `->`; anywhere
//! else fields, lets and keywords. It works from the partial program, so
//! completion goes on while the file has errors.

use lsp_types::{CompletionItem, CompletionItemKind};

use super::keywords;
use super::project::{enum_of, Project};
use crate::check::program::Program;
use crate::syntax::locate::Kind;

/// What the cursor is completing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Context {
    Strategy,
    Team,
    Lookup,
    Target,
    Field,
    /// Columns of this table, after `TABLE[KEY].`.
    Columns(String),
    /// Values of this field (quoted); `in` also offers lookups.
    Values {
        field: String,
        lookups: bool,
    },
    Anything,
}

/// The completions at the end of `before` (the text from the line's start
/// to the cursor).
pub fn complete(project: &Project, before: &str) -> Vec<CompletionItem> {
    let Some(program) = project.partial.program.as_ref() else {
        return keywords::KEYWORDS.iter().map(|(k, doc)| item(k, CompletionItemKind::KEYWORD, doc)).collect();
    };
    match context(before) {
        Context::Strategy => {
            keywords::STRATEGIES.iter().map(|(name, doc)| item(name, CompletionItemKind::ENUM_MEMBER, doc)).collect()
        }
        Context::Team => teams(program),
        Context::Lookup => lookups(program),
        Context::Target => ["team", "rep", "queue"]
            .iter()
            .map(|k| item(k, CompletionItemKind::KEYWORD, keywords::doc(k).unwrap_or("")))
            .collect(),
        Context::Field => fields(program),
        Context::Columns(table) => columns(program, &table),
        Context::Values { field, lookups: with_lookups } => {
            let mut out = values(program, &field);
            if with_lookups {
                out.extend(lookups(program));
            }
            out
        }
        Context::Anything => {
            let mut out = fields(program);
            out.extend(lets(project));
            out.extend(keywords::KEYWORDS.iter().map(|(k, doc)| item(k, CompletionItemKind::KEYWORD, doc)));
            out
        }
    }
}

/// Reads the context from the words before the cursor.
fn context(before: &str) -> Context {
    // The word being typed does not count.
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let stem = before.trim_end_matches(is_word);
    // Inside an unfinished string: what comes before its quote decides.
    let stem = match stem.strip_suffix('"') {
        Some(s) => s,
        None => stem,
    };
    let trimmed = stem.trim_end();
    let words: Vec<&str> = trimmed.split(|c: char| c.is_whitespace()).filter(|w| !w.is_empty()).collect();
    let last = words.last().copied().unwrap_or("");
    let previous = words.len().checked_sub(2).and_then(|i| words.get(i)).copied().unwrap_or("");
    if let Some(table) = column_of(trimmed) {
        return Context::Columns(table);
    }
    if trimmed.ends_with("sticky(") || (trimmed.ends_with('[') && !trimmed.ends_with(" [") && !last.ends_with("in[")) {
        return Context::Field;
    }
    if let Some(field) = open_list(trimmed) {
        return Context::Values { field, lookups: false };
    }
    match (previous, last) {
        (_, "via") => Context::Strategy,
        ("->" | "fallback", "team") | (_, "fallback") => Context::Team,
        (_, "rep") => Context::Lookup,
        (_, "->") => Context::Target,
        (field, "==" | "!=") => Context::Values { field: field.to_string(), lookups: false },
        (field, "in") => Context::Values { field: field.trim_end_matches("not").trim().to_string(), lookups: true },
        _ => Context::Anything,
    }
}

/// `accounts[account].` : the table whose column comes next.
fn column_of(text: &str) -> Option<String> {
    let indexed = text.strip_suffix('.')?.strip_suffix(']')?;
    let head = indexed.get(..indexed.rfind('[')?)?;
    let table = head.rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next()?;
    (!table.is_empty()).then(|| table.to_string())
}

/// `region in ["NA", ` : the field of the unclosed list the cursor is in.
fn open_list(text: &str) -> Option<String> {
    let open = text.rfind('[')?;
    if text.get(open..)?.contains(']') {
        return None;
    }
    let head = text.get(..open)?.trim_end().strip_suffix("in")?.trim_end();
    let head = head.strip_suffix("not").map_or(head, str::trim_end);
    let field = head.rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next()?;
    (!field.is_empty()).then(|| field.to_string())
}

fn item(label: &str, kind: CompletionItemKind, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: (!detail.is_empty()).then(|| detail.to_string()),
        ..CompletionItem::default()
    }
}

/// The input fields, then the scores (usable as ints); derived values
/// other than scores have no name a rule can write.
fn fields(program: &Program) -> Vec<CompletionItem> {
    let schema = &program.schema;
    let scores = program.scores.iter().map(|s| item(&s.name, CompletionItemKind::FIELD, "score: int"));
    schema
        .input_fields()
        .iter()
        .map(|f| {
            let optional = if f.optional { "optional " } else { "" };
            let ty = match enum_of(schema, &f.name) {
                Some(e) => e.values.iter().map(|v| crate::format::quote(v)).collect::<Vec<_>>().join(" | "),
                None => format!("{:?}", f.ty).to_lowercase(),
            };
            item(&f.name, CompletionItemKind::FIELD, &format!("{optional}field: {ty}"))
        })
        .chain(scores)
        .collect()
}

fn columns(program: &Program, table: &str) -> Vec<CompletionItem> {
    let Some(table) = program.tables.iter().find(|t| t.name == table) else { return Vec::new() };
    table
        .columns
        .iter()
        .map(|c| {
            let ty = crate::check::type_name(&program.schema, c.ty);
            item(&c.name, CompletionItemKind::FIELD, &format!("column of `{}`: {ty}", table.name))
        })
        .collect()
}

fn values(program: &Program, field: &str) -> Vec<CompletionItem> {
    let Some(values) = enum_of(&program.schema, field) else { return Vec::new() };
    values
        .values
        .iter()
        .map(|v| {
            let mut completion = item(&crate::format::quote(v), CompletionItemKind::ENUM_MEMBER, "");
            completion.detail = Some(format!("value of `{field}`"));
            completion
        })
        .collect()
}

fn teams(program: &Program) -> Vec<CompletionItem> {
    program
        .teams
        .iter()
        .map(|t| item(&t.name, CompletionItemKind::CLASS, &format!("team of {} members", t.members.len())))
        .collect()
}

fn lookups(program: &Program) -> Vec<CompletionItem> {
    program
        .lookups
        .iter()
        .map(|l| item(&l.name, CompletionItemKind::STRUCT, &format!("lookup of {} rows", l.entries.len())))
        .chain(program.tables.iter().map(|t| {
            item(&t.name, CompletionItemKind::STRUCT, &format!("table of {} rows, keyed by `{}`", t.rows.len(), t.key))
        }))
        .collect()
}

fn lets(project: &Project) -> Vec<CompletionItem> {
    project
        .occurrences
        .iter()
        .filter(|o| o.declares && o.kind == Kind::Let)
        .map(|o| item(&o.name, CompletionItemKind::VARIABLE, project.partial.sources.snippet(o.extent)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_before_the_cursor_say_what_is_completed() {
        let values = |field: &str, lookups| Context::Values { field: field.into(), lookups };
        let cases = [
            ("when x -> team sales via ", Context::Strategy),
            ("when x -> team sales via wei", Context::Strategy),
            ("when x -> team ", Context::Team),
            ("  else fallback ", Context::Team),
            ("  else fallback team sa", Context::Team),
            ("when x -> rep ", Context::Lookup),
            ("when x -> ", Context::Target),
            ("when region == ", values("region", false)),
            ("when region == \"EM", values("region", false)),
            ("when region != \"", values("region", false)),
            ("when region in [\"NA\", ", values("region", false)),
            ("when region not in [", values("region", false)),
            ("when domain in ", values("domain", true)),
            ("when x -> team t via sticky(", Context::Field),
            ("when x -> rep owners[", Context::Field),
            ("when accounts[account].", Context::Columns("accounts".into())),
            ("when accounts[domain(email)].sec", Context::Columns("accounts".into())),
            ("when reg", Context::Anything),
            ("team sales", Context::Anything),
        ];
        for (before, expected) in cases {
            assert_eq!(context(before), expected, "{before:?}");
        }
    }
}
