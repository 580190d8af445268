//! `--format sarif`: SARIF 2.1.0, the format code-scanning services ingest.
//! One run; the tool's rules are the diagnostic codes (with their titles,
//! documented in docs/diagnostics.md); each diagnostic is a result with its
//! region, related locations for secondary labels, and notes and help in
//! the message text. Tests validate the output against the official JSON schema.

use serde::Serialize;

use super::{Code, Diagnostic, Diagnostics, Severity};
use crate::source::{SourceMap, Span};

/// The SARIF log.
#[derive(Debug, Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
}

#[derive(Debug, Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    rules: Vec<RuleDescriptor>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDescriptor {
    id: &'static str,
    name: String,
    short_description: Text,
    default_configuration: Configuration,
}

#[derive(Debug, Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Debug, Serialize)]
struct Text {
    text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Debug, Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// Builds the SARIF log for a set of diagnostics.
pub fn log(sources: &SourceMap, diagnostics: &Diagnostics) -> Log {
    let rules: Vec<RuleDescriptor> = Code::ALL.iter().map(|code| descriptor(*code)).collect();
    let results = diagnostics.0.iter().map(|d| result(sources, d)).collect();
    Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool { driver: Driver { name: "route", version: env!("CARGO_PKG_VERSION"), rules } },
            results,
        }],
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn descriptor(code: Code) -> RuleDescriptor {
    let title = code.title();
    RuleDescriptor {
        id: code.as_str(),
        name: title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(capitalise).collect(),
        short_description: Text { text: title.to_string() },
        default_configuration: Configuration { level: level(code.severity()) },
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn result(sources: &SourceMap, d: &Diagnostic) -> SarifResult {
    let rule_index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
    let mut text = d.message.clone();
    for note in &d.notes {
        text.push_str("\nnote: ");
        text.push_str(note);
    }
    if let Some(help) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let primary_message = d.labels.iter().find(|l| l.primary).map(|l| l.message.clone()).filter(|m| !m.is_empty());
    SarifResult {
        rule_id: d.code.as_str(),
        rule_index,
        level: level(d.severity),
        message: Text { text },
        locations: vec![location(sources, d.span(), None, primary_message)],
        related_locations: d
            .labels
            .iter()
            .filter(|l| !l.primary)
            .enumerate()
            .map(|(i, l)| location(sources, l.span, Some(i), Some(l.message.clone())))
            .collect(),
        properties: d.example.as_ref().map(|example| serde_json::json!({ "example": example })),
    }
}

fn location(sources: &SourceMap, span: Span, id: Option<usize>, message: Option<String>) -> Location {
    let (start_line, start_column) = sources.start_of(span);
    let (end_line, end_column) = sources.end_of(span);
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri: sources.name(span.file).replace('\\', "/") },
            region: Region { start_line, start_column, end_line, end_column },
        },
        message: message.filter(|m| !m.is_empty()).map(|text| Text { text }),
    }
}
