//! Edits the server offers: formatting through `route fmt`, and a quick
//! fix for every structured suggestion of a diagnostic (the edits
//! `route check --fix` applies).

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, Position, Range, TextEdit, Url, WorkspaceEdit};

use super::convert;
use super::project::Project;
use crate::format::{format_source, FormatError};
use crate::source::FileId;

/// The whole document replaced by its canonical layout; no edit when it
/// is already formatted.
///
/// # Errors
/// When the file has syntax errors (the formatter refuses it).
pub fn format(text: &str) -> Result<Vec<TextEdit>, String> {
    match format_source(text) {
        Ok(formatted) if formatted == text => Ok(Vec::new()),
        Ok(formatted) => Ok(vec![TextEdit { range: whole(text), new_text: formatted }]),
        Err(FormatError::Syntax(_)) => Err("the file has syntax errors: `route fmt` formats files that parse".into()),
        Err(FormatError::Internal(why)) => Err(format!("`route fmt` refused: {why}")),
    }
}

/// The range of the whole text.
fn whole(text: &str) -> Range {
    let lines = text.split('\n').count().saturating_sub(1);
    let last = text.rsplit('\n').next().unwrap_or("");
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let end = Position { line: clamp(lines), character: clamp(last.encode_utf16().count()) };
    Range { start: Position::default(), end }
}

/// A quick fix for each fix of each diagnostic of `file` whose range
/// touches `range`.
pub fn code_actions(project: &Project, file: FileId, uri: &Url, range: &Range) -> Vec<CodeActionOrCommand> {
    let sources = &project.partial.sources;
    let mut out = Vec::new();
    for d in project.partial.diagnostics.0.iter().filter(|d| d.span().file == file && !d.fixes.is_empty()) {
        let diagnostic = convert::diagnostic(sources, d);
        if !convert::touches(&diagnostic.range, range) {
            continue;
        }
        for fix in &d.fixes {
            let Some(target) = sources.get(fix.span.file).and_then(|f| convert::uri_of(&f.path)) else { continue };
            let target = if fix.span.file == file { uri.clone() } else { target };
            let changes = HashMap::from([(target, vec![convert::edit(sources, fix)])]);
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.message.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() }),
                is_preferred: Some(d.fixes.len() == 1),
                ..CodeAction::default()
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_range_ends_after_the_last_character_in_utf16() {
        let end = whole("a\nb🚀").end;
        assert_eq!((end.line, end.character), (1, 3));
        let end = whole("a\n").end;
        assert_eq!((end.line, end.character), (1, 0));
    }
}
