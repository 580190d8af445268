//! `route fmt`: prints a parsed file in the canonical layout of
//! `docs/style.md`, keeping its comments and blank-line groups.
//!
//! Meaning-preserving by construction and by check: before returning, the
//! formatter parses its own output and requires the AST to be equal up to
//! spans (see `syntax/eq.rs`) and every comment to be kept; otherwise it
//! refuses ([`FormatError::Internal`]) and nothing is written. A file with
//! syntax errors is refused with its diagnostics.
//!
//! [`condition`] and [`rule_head`] print AST parts canonically (literals
//! from their values), for tools comparing versions such as `route diff`.

mod layout;
mod printer;
mod text;

pub use layout::WIDTH;
pub use text::quote;

use crate::diagnostics::Diagnostics;
use crate::source::FileId;
use crate::syntax::ast::{Expr, Rule, RuleKind};

/// Why a file was not formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The file does not parse: its diagnostics.
    Syntax(Diagnostics),
    /// The formatter's output would not mean the same (a bug in route).
    Internal(String),
}

/// Formats the text of one `.route` file.
pub fn format_source(source: &str) -> Result<String, FormatError> {
    let (module, diagnostics) = crate::syntax::parse(FileId(0), source);
    if diagnostics.has_errors() {
        return Err(FormatError::Syntax(diagnostics));
    }
    let mut printer = printer::Printer::new(source, &module.trivia);
    printer.module(&module);
    let formatted = layout::render(&printer.lines);
    let formatted = if module.items.is_empty() && printer.lines.is_empty() { String::new() } else { formatted };
    verify(&module, printer.comments, &formatted)?;
    Ok(formatted)
}

/// The formatter's own guard: the output parses, to the same AST, with the
/// same comments.
fn verify(before: &crate::syntax::ast::Module, emitted: usize, formatted: &str) -> Result<(), FormatError> {
    let (after, diagnostics) = crate::syntax::parse(FileId(0), formatted);
    if diagnostics.has_errors() {
        return Err(FormatError::Internal("the formatted text does not parse".into()));
    }
    if after != *before {
        return Err(FormatError::Internal("the formatted text parses to different declarations".into()));
    }
    if emitted != before.trivia.comments.len() || after.trivia.comments.len() != before.trivia.comments.len() {
        return Err(FormatError::Internal(format!(
            "the formatted text has {} comments, the file {}",
            after.trivia.comments.len(),
            before.trivia.comments.len()
        )));
    }
    Ok(())
}

/// A condition on one line, canonically: literals printed from their
/// values, so two conditions print alike exactly when they are equal up to
/// spans.
pub fn condition(expr: &Expr) -> String {
    text::Text { source: None }.expr(expr)
}

/// A rule's first line, canonically: `label: when CONDITION -> ACTION`,
/// `when CONDITION { ... }` or `otherwise -> ACTION`.
pub fn rule_head(rule: &Rule) -> String {
    let t = text::Text { source: None };
    let label = rule.label.as_ref().map_or(String::new(), |l| format!("{}: ", l.name));
    match &rule.kind {
        RuleKind::When { condition, action } => format!("{label}when {} -> {}", t.expr(condition), t.action(action)),
        RuleKind::Block { condition, .. } => format!("{label}when {} {{ ... }}", t.expr(condition)),
        RuleKind::Otherwise { action } => format!("{label}otherwise -> {}", t.action(action)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_that_means_something_else_is_refused() {
        let (before, _) = crate::syntax::parse(FileId(0), "let a = x\n");
        assert!(verify(&before, 0, "let a = x\n").is_ok());
        for wrong in ["let a = y\n", "let a = not not x\n", "let a = (x\n"] {
            assert!(matches!(verify(&before, 0, wrong), Err(FormatError::Internal(_))), "{wrong}");
        }
        let (commented, _) = crate::syntax::parse(FileId(0), "# why\nlet a = x\n");
        assert!(matches!(verify(&commented, 0, "let a = x\n"), Err(FormatError::Internal(_))));
    }
}
