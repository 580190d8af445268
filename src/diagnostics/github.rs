//! `--format github`: GitHub Actions workflow commands, one per diagnostic,
//! so findings appear as annotations on the pull request's changed lines.
//!
//! `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=CODE::MESSAGE`
//! with the workflow-command escapes (`%`, CR, LF everywhere; `:` and `,`
//! in properties too).

use std::fmt::Write as _;

use super::{Diagnostics, Severity};
use crate::source::SourceMap;

/// Renders every diagnostic as a workflow command line.
pub fn render(sources: &SourceMap, diagnostics: &Diagnostics) -> String {
    let mut out = String::new();
    for d in &diagnostics.0 {
        let span = d.span();
        let (line, column) = sources.start_of(span);
        let (end_line, end_column) = sources.end_of(span);
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut message = d.message.clone();
        for label in d.labels.iter().filter(|l| !l.primary && !l.message.is_empty()) {
            let (l, c) = sources.start_of(label.span);
            let _ = write!(message, "\n{}:{l}:{c}: {}", sources.name(label.span.file), label.message);
        }
        for note in &d.notes {
            let _ = write!(message, "\nnote: {note}");
        }
        if let Some(help) = &d.help {
            let _ = write!(message, "\nhelp: {help}");
        }
        if let Some(example) = &d.example {
            let _ = write!(message, "\nexample lead: {example}");
        }
        let _ = writeln!(
            out,
            "::{command} file={},line={line},col={column},endLine={end_line},endColumn={end_column},title={}::{}",
            property(sources.name(span.file)),
            property(&format!("{} {}", d.code.as_str(), d.code.title())),
            data(&message)
        );
    }
    out
}

fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}
