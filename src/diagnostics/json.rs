//! The `--format json` serialisation of LANGUAGE.md §9: one object with every
//! diagnostic (1-based lines and columns) and the error and warning counts.

use serde::Serialize;

use super::{Diagnostic, Diagnostics, Severity};
use crate::source::SourceMap;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Every diagnostic, sorted by position.
    pub diagnostics: Vec<JsonDiagnostic>,
    /// How many errors.
    pub errors: usize,
    /// How many warnings.
    pub warnings: usize,
}

/// One diagnostic with resolved positions.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    /// `error`, `warning` or `note`.
    pub severity: &'static str,
    /// Stable code.
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// The primary label's file.
    pub file: String,
    /// Start line (1-based).
    pub line: usize,
    /// Start column (1-based, in characters).
    pub column: usize,
    /// End line.
    pub end_line: usize,
    /// End column (exclusive).
    pub end_column: usize,
    /// Every label, primary first.
    pub labels: Vec<JsonLabel>,
    /// Extra facts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Advice.
    pub help: Option<String>,
    /// A concrete example lead (coverage gaps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<serde_json::Value>,
}

/// One label with its position.
#[derive(Debug, Serialize)]
pub struct JsonLabel {
    /// The label's file.
    pub file: String,
    /// Line (1-based).
    pub line: usize,
    /// Column (1-based).
    pub column: usize,
    /// What it says.
    pub message: String,
}

/// Builds the report.
pub fn report(sources: &SourceMap, diagnostics: &Diagnostics) -> Report {
    Report {
        diagnostics: diagnostics.0.iter().map(|d| convert(sources, d)).collect(),
        errors: diagnostics.count(Severity::Error),
        warnings: diagnostics.count(Severity::Warning),
    }
}

fn convert(sources: &SourceMap, diagnostic: &Diagnostic) -> JsonDiagnostic {
    let span = diagnostic.span();
    let (line, column) = sources.start_of(span);
    let (end_line, end_column) = sources.end_of(span);
    JsonDiagnostic {
        severity: diagnostic.severity.as_str(),
        code: diagnostic.code.as_str(),
        message: diagnostic.message.clone(),
        file: sources.name(span.file).to_string(),
        line,
        column,
        end_line,
        end_column,
        labels: diagnostic
            .labels
            .iter()
            .map(|label| {
                let (line, column) = sources.start_of(label.span);
                JsonLabel {
                    file: sources.name(label.span.file).to_string(),
                    line,
                    column,
                    message: label.message.clone(),
                }
            })
            .collect(),
        notes: diagnostic.notes.clone(),
        help: diagnostic.help.clone(),
        example: diagnostic.example.clone(),
    }
}
