//! Diagnostics as plain data; rendering is a separate step per format.
//!
//! Every stage produces [`Diagnostic`] values; nothing formats text before the
//! edge. [`human`] renders with codespan-reporting (labels may point into
//! several files), [`json`] serialises the same data as LANGUAGE.md §9 asks.

pub mod codes;
pub mod fix;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

pub use codes::Code;

use crate::source::Span;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Extra information attached to the analysis (e.g. overlaps).
    Note,
    /// The project still routes, but something is likely wrong.
    Warning,
    /// The project cannot be compiled.
    Error,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A message attached to a span.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// What the label points at.
    pub span: Span,
    /// What it says there (may be empty).
    pub message: String,
    /// The primary label is the diagnostic's location.
    pub primary: bool,
}

/// One finding about the user's project.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Error, warning or note.
    pub severity: Severity,
    /// Stable code (`E0101`, `W0301`, ...).
    pub code: Code,
    /// One lowercase line, user input in backticks.
    pub message: String,
    /// The first label is primary; others add context, possibly in other files.
    pub labels: Vec<Label>,
    /// Extra facts.
    pub notes: Vec<String>,
    /// Advice ("did you mean `region`?").
    pub help: Option<String>,
    /// A concrete lead illustrating the finding (coverage gaps).
    pub example: Option<serde_json::Value>,
    /// Edits that resolve the finding (every "did you mean" has one):
    /// what `route check --fix` applies and the editor offers.
    pub fixes: Vec<Fix>,
}

/// A machine-applicable edit, like ruff's `Fix`: replace the text under
/// `span` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// The text replaced.
    pub span: Span,
    /// What replaces it, exactly as it is written in the file (a string
    /// literal with its quotes).
    pub replacement: String,
    /// What the edit does, in words ("replace with `region`").
    pub message: String,
}

/// How a suggested name is written where it replaces the wrong one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// A bare name (`region`).
    Name,
    /// A string literal, quotes and escapes included (`"EMEA"`).
    Str,
}

impl Diagnostic {
    /// A diagnostic of the code's own severity pointing at `span`.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: code.severity(),
            code,
            message: message.into(),
            labels: vec![Label { span, message: String::new(), primary: true }],
            notes: Vec::new(),
            help: None,
            example: None,
            fixes: Vec::new(),
        }
    }

    /// Sets the primary label's text.
    pub fn label(mut self, message: impl Into<String>) -> Diagnostic {
        if let Some(primary) = self.labels.first_mut() {
            primary.message = message.into();
        }
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: false });
        self
    }

    /// Sets the help text.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the help text when there is one.
    pub fn maybe_help(mut self, help: Option<String>) -> Diagnostic {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Sets the help text unless a suggestion already set one.
    pub fn help_if_none(mut self, help: impl FnOnce() -> String) -> Diagnostic {
        if self.help.is_none() {
            self.help = Some(help());
        }
        self
    }

    /// "Did you mean" for `wrong`, written at `span`: when a candidate is
    /// close, the help names it and a [`Fix`] replaces `span` with it.
    pub fn suggest<'a>(
        mut self,
        span: Span,
        wrong: &str,
        candidates: impl IntoIterator<Item = &'a str>,
        written: Written,
    ) -> Diagnostic {
        if let Some(best) = closest(wrong, candidates) {
            self.help = Some(format!("did you mean `{best}`?"));
            let replacement = match written {
                Written::Name => best.to_string(),
                Written::Str => crate::format::quote(best),
            };
            self.fixes.push(Fix { span, message: format!("replace with `{best}`"), replacement });
        }
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// The primary span.
    pub fn span(&self) -> Span {
        self.labels.iter().find(|l| l.primary).or(self.labels.first()).map(|l| l.span).unwrap_or_default()
    }
}

/// Diagnostics of a run, errors and warnings together.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Whether any is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// How many have the given severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.0.iter().filter(|d| d.severity == severity).count()
    }

    /// Sorts by file and position, errors before warnings at the same place.
    pub fn sort(&mut self) {
        self.0.sort_by_key(|d| {
            let span = d.span();
            (span.file, span.start, std::cmp::Reverse(d.severity), d.code)
        });
    }

    /// Appends all of another set.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// "Did you mean" for a misspelt name: see [`closest`].
pub fn did_you_mean<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(wrong, candidates).map(|best| format!("did you mean `{best}`?"))
}

/// The name meant by a misspelt one: a case-insensitive exact match first,
/// then the closest name by edit distance within a third of the length.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(same) = candidates.iter().find(|c| c.eq_ignore_ascii_case(wrong)) {
        return Some(same);
    }
    let threshold = (wrong.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(wrong, c), *c))
        .filter(|(distance, _)| *distance <= threshold)
        .min()
        .map(|(_, best)| best)
}
