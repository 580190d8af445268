//! Renders diagnostics for people with codespan-reporting: source snippets,
//! labels (possibly in several files), notes and help.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, LabelStyle};
use codespan_reporting::term::{self, termcolor::WriteColor};

use super::{Diagnostic, Diagnostics, Severity};
use crate::source::{FileId, SourceMap};

/// Writes every diagnostic, then a one-line summary.
pub fn render(
    out: &mut dyn WriteColor,
    sources: &SourceMap,
    diagnostics: &Diagnostics,
) -> Result<(), codespan_reporting::files::Error> {
    let config = term::Config::default();
    for diagnostic in &diagnostics.0 {
        term::emit(out, &config, sources, &to_codespan(diagnostic))?;
    }
    Ok(())
}

/// Renders to a plain string without colour (snapshots, library users).
pub fn render_to_string(sources: &SourceMap, diagnostics: &Diagnostics) -> String {
    let mut buffer = term::termcolor::NoColor::new(Vec::new());
    if render(&mut buffer, sources, diagnostics).is_err() {
        return String::from("error: a diagnostic points outside its file\n");
    }
    String::from_utf8_lossy(&buffer.into_inner()).into_owned()
}

fn to_codespan(diagnostic: &Diagnostic) -> CsDiagnostic<FileId> {
    let base = match diagnostic.severity {
        Severity::Error => CsDiagnostic::error(),
        Severity::Warning => CsDiagnostic::warning(),
        Severity::Note => CsDiagnostic::note(),
    };
    let labels = diagnostic
        .labels
        .iter()
        .map(|label| {
            let style = if label.primary { LabelStyle::Primary } else { LabelStyle::Secondary };
            CsLabel::new(style, label.span.file, label.span.range()).with_message(label.message.clone())
        })
        .collect();
    let mut notes = diagnostic.notes.clone();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    if let Some(example) = &diagnostic.example {
        notes.push(format!("example lead: {example}"));
    }
    base.with_code(diagnostic.code.as_str())
        .with_message(diagnostic.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}
