//! Errors that only follow from another error: left out, and causes first.
//!
//! A declaration that failed to parse, or an import that could not be read,
//! makes every later use of the names it would have declared "unknown".
//! Those errors are noise with wrong help ("declare it"): they are dropped,
//! and the error that caused them says how many uses it hides.

use std::collections::BTreeSet;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::{FailedDecl, Module};

/// Drops the unknown-name errors that a failed declaration or import
/// explains, notes them on their cause, and moves causes (syntax and import
/// errors) before everything else. Call after sorting.
pub fn suppress(modules: &[(FileId, Module)], sources: &SourceMap, diagnostics: &mut Diagnostics) {
    let failed: Vec<&FailedDecl> = modules.iter().flat_map(|(_, m)| &m.failed).collect();
    let import_failed = diagnostics.0.iter().position(|d| d.code == Code::ImportNotFound);
    let mut hidden_by_import = BTreeSet::new();
    let mut hidden_by_decl: Vec<usize> = vec![0; failed.len()];
    diagnostics.0.retain(|d| {
        let Some(keyword) = declaring_keyword(d.code) else {
            return true;
        };
        let name = sources.snippet(d.span());
        if let Some(i) = failed.iter().position(|f| f.keyword == keyword && f.name.as_deref().is_none_or(|n| n == name))
        {
            if let Some(count) = hidden_by_decl.get_mut(i) {
                *count += 1;
            }
            return false;
        }
        if import_failed.is_some() {
            hidden_by_import.insert(name.to_string());
            return false;
        }
        true
    });
    for (decl, count) in failed.iter().zip(hidden_by_decl) {
        if count > 0 {
            note_on_cause(diagnostics, decl, count);
        }
    }
    if let Some(first) = diagnostics.0.iter_mut().find(|d| d.code == Code::ImportNotFound) {
        if !hidden_by_import.is_empty() {
            let names: Vec<String> = hidden_by_import.iter().take(8).map(|n| format!("`{n}`")).collect();
            let more = if hidden_by_import.len() > 8 { ", ..." } else { "" };
            first.notes.push(format!(
                "{} names used in the project are declared nowhere that could be read ({}{more}); they may be declared \
                 in the file that failed to import, so they are not reported separately",
                hidden_by_import.len(),
                names.join(", ")
            ));
        }
    }
    // Causes first: a reader fixes the syntax and the imports before anything else.
    diagnostics.0.sort_by_key(|d| !is_cause(d.code));
}

/// The declaration keyword an unknown-name error is about.
fn declaring_keyword(code: Code) -> Option<&'static str> {
    match code {
        Code::UnknownTeam => Some("team"),
        Code::UnknownName => Some("let"),
        Code::UnknownLookup => Some("lookup"),
        _ => None,
    }
}

fn is_cause(code: Code) -> bool {
    matches!(
        code,
        Code::Syntax
            | Code::TooDeep
            | Code::InvalidNumber
            | Code::UnterminatedString
            | Code::FileTooLarge
            | Code::UnclosedBracket
            | Code::ImportNotFound
    )
}

/// "`big` is used 3 times ..." on the syntax error of the failed declaration.
fn note_on_cause(diagnostics: &mut Diagnostics, decl: &FailedDecl, count: usize) {
    let cause = diagnostics.0.iter_mut().find(|d: &&mut Diagnostic| {
        let span = d.span();
        span.file == decl.span.file && decl.span.start <= span.start && span.start <= decl.span.end
    });
    if let Some(cause) = cause {
        let what = match &decl.name {
            Some(name) => format!("`{name}`"),
            None => format!("this `{}`", decl.keyword),
        };
        let uses = if count == 1 { "1 use".to_string() } else { format!("{count} uses") };
        let verb = if count == 1 { "is" } else { "are" };
        cause
            .notes
            .push(format!("{uses} of {what} elsewhere {verb} not reported as unknown until this declaration parses"));
    }
}
