//! Coverage: which reachable rules no test reached, each with the
//! analysis's witness lead printed as a test ready to paste.

use rustc_hash::FxHashSet;
use serde::Serialize;

use crate::analysis::{lead_to_json, Analysis};
use crate::check::Program;
use crate::format::quote;
use crate::schema::{ElementType, FieldType, Lead, Schema, Value};

/// Rules reached by the tests, out of the reachable ones.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Rules the analysis did not prove unreachable.
    pub reachable: usize,
    /// Of those, rules some test lead matched.
    pub covered: usize,
    /// The reachable rules no test reached, in rule order.
    pub uncovered: Vec<Uncovered>,
}

/// A reachable rule no test reached.
#[derive(Debug, Clone, Serialize)]
pub struct Uncovered {
    /// The rule's id (label, else `line:N`).
    pub rule: String,
    /// Its line.
    pub line: u32,
    /// A lead that reaches it, as `route eval --lead` reads it (none when
    /// the analysis could not decide the rule).
    pub lead: Option<serde_json::Value>,
    /// The same lead as a test to paste into a `.test.route` file.
    pub test: Option<String>,
}

impl Coverage {
    /// The share of reachable rules covered, in percent (100 when there
    /// are none).
    pub fn percent(&self) -> f64 {
        if self.reachable == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.reachable as f64
        }
    }
}

/// Coverage of `program` by the rules in `reached`. Rules the analysis
/// proved unreachable count neither way: no test could reach them.
pub fn coverage(program: &Program, analysis: &Analysis, reached: &FxHashSet<String>) -> Coverage {
    let mut out = Coverage { reachable: 0, covered: 0, uncovered: Vec::new() };
    for (i, rule) in program.rules.iter().enumerate() {
        if analysis.unreachable.iter().any(|r| r.index() == i) {
            continue;
        }
        out.reachable += 1;
        if reached.contains(&rule.name) {
            out.covered += 1;
            continue;
        }
        let witness = analysis.witnesses.iter().find(|w| w.rule.index() == i);
        out.uncovered.push(Uncovered {
            rule: rule.name.clone(),
            line: rule.line,
            lead: witness.map(|w| lead_to_json(&program.schema, &w.lead)),
            test: witness.map(|w| test_text(&program.schema, &rule.name, &w.lead)),
        });
    }
    out
}

/// A test reaching `rule` with `lead`, in the test-file syntax.
fn test_text(schema: &Schema, rule: &str, lead: &Lead) -> String {
    let entries: Vec<String> = schema
        .fields
        .iter()
        .zip(&lead.values)
        .filter(|(_, value)| !matches!(value, Value::Absent))
        .map(|(field, value)| format!("{}: {}", field.name, literal(schema, field.ty, value)))
        .collect();
    let name = if is_ident(rule) { rule.to_string() } else { quote(rule) };
    format!(
        "test {} {{\n  lead {{ {} }}\n  expect rule {name}\n}}",
        quote(&format!("reaches {rule}")),
        entries.join(", ")
    )
}

fn literal(schema: &Schema, ty: FieldType, value: &Value) -> String {
    match value {
        Value::Absent => "\"\"".to_string(),
        Value::Str(s) => quote(s),
        Value::Int(i) => i.to_string(),
        // `{:?}` keeps a fraction or exponent, so the literal stays a float.
        Value::Float(f) => format!("{f:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Enum(i) => {
            let id = match ty {
                FieldType::Enum(id) | FieldType::List(ElementType::Enum(id)) => Some(id),
                _ => None,
            };
            quote(id.and_then(|id| schema.enums.get(id.0 as usize)).map_or("", |e| e.name(*i)))
        }
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|item| literal(schema, ty, item)).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

fn is_ident(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(text, "lead" | "expect" | "test" | "roster" | "now")
}
