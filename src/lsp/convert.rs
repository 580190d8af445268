//! Between route's values and the protocol's: spans and UTF-16 ranges,
//! paths and URIs, diagnostics and fixes.

use std::path::{Path, PathBuf};

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location, NumberOrString, Position, Range,
    TextEdit, Url,
};

use crate::diagnostics::{Code, Diagnostic, Fix, Severity};
use crate::source::{SourceMap, Span};

/// The path of a `file:` URI, normalised as the checker normalises paths.
pub fn path_of(uri: &Url) -> Option<PathBuf> {
    let path = uri.to_file_path().ok()?;
    Some(crate::check::overlay::normalise(&path))
}

/// The `file:` URI of a path.
pub fn uri_of(path: &Path) -> Option<Url> {
    Url::from_file_path(path).ok()
}

/// The protocol range of a span.
pub fn range(sources: &SourceMap, span: Span) -> Range {
    let Some(file) = sources.get(span.file) else { return Range::default() };
    let position = |byte: u32| {
        let (line, character) = file.utf16_position(byte as usize);
        Position { line, character }
    };
    Range { start: position(span.start), end: position(span.end) }
}

/// The location of a span (`None` when its file has no URI).
pub fn location(sources: &SourceMap, span: Span) -> Option<Location> {
    let file = sources.get(span.file)?;
    Some(Location { uri: uri_of(&file.path)?, range: range(sources, span) })
}

/// A route diagnostic as the protocol's: the message with its primary
/// label, notes and help; every secondary label as related information.
pub fn diagnostic(sources: &SourceMap, d: &Diagnostic) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if let Some(primary) = d.labels.first().filter(|l| !l.message.is_empty()) {
        message.push_str(&format!("\n{}", primary.message));
    }
    for note in &d.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    if let Some(example) = &d.example {
        message.push_str(&format!("\nexample: {example}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .skip(1)
        .filter_map(|label| {
            let location = location(sources, label.span)?;
            Some(DiagnosticRelatedInformation { location, message: label.message.clone() })
        })
        .collect();
    lsp_types::Diagnostic {
        range: range(sources, d.span()),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Note => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        source: Some("route".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: tags(d.code),
        ..lsp_types::Diagnostic::default()
    }
}

/// Code that does nothing is faded by editors.
fn tags(code: Code) -> Option<Vec<DiagnosticTag>> {
    match code {
        Code::UnreachableRule
        | Code::RuleAfterOtherwise
        | Code::UnusedTeam
        | Code::UnusedLet
        | Code::UnusedLookup
        | Code::UnusedAlias => Some(vec![DiagnosticTag::UNNECESSARY]),
        _ => None,
    }
}

/// A fix as a text edit.
pub fn edit(sources: &SourceMap, fix: &Fix) -> TextEdit {
    TextEdit { range: range(sources, fix.span), new_text: fix.replacement.clone() }
}

/// Whether two ranges share a position (touching counts).
pub fn touches(a: &Range, b: &Range) -> bool {
    a.start <= b.end && b.start <= a.end
}
