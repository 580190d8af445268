//! The reference interpreter: rules tried in order, conditions evaluated
//! directly by [`Cond::holds`].
//!
//! It is the oracle the compiled DAG is tested against (property tests
//! check that [`crate::compile::Dag::route`] agrees with [`first_match`] on
//! random rule sets and leads), and it produces the `--explain` trace, which
//! must follow the rules as written rather than the DAG's order of tests.

use crate::check::program::{Cond, Program, RuleId, Test};
use crate::eval::decision::{ScoreValue, TraceStep};
use crate::schema::{ElementType, FieldType, Lead, Schema, Value};
use crate::source::{SourceMap, Span};

/// The first rule whose condition holds for `lead`, by definition.
pub fn first_match(program: &Program, lead: &Lead) -> Option<RuleId> {
    program
        .rules
        .iter()
        .position(|rule| rule.condition.holds(lead, &program.lookups))
        .and_then(|i| u32::try_from(i).ok())
        .map(RuleId)
}

/// One step per rule tried, up to and including the one that matched: for a
/// rule that did not, the first atomic test (in evaluation order) that made
/// its condition false, as written in `sources`, and the lead's value of
/// that test's field as JSON (enum values by name, absent as `null`).
pub fn explain(program: &Program, lead: &Lead, sources: &SourceMap) -> Vec<TraceStep> {
    let lookups = &program.lookups;
    let mut steps = Vec::new();
    for rule in &program.rules {
        if rule.condition.holds(lead, lookups) {
            steps.push(TraceStep {
                rule: rule.name.clone(),
                line: rule.line,
                matched: true,
                failed: None,
                actual: None,
            });
            return steps;
        }
        let culprit = blame(&rule.condition, false, program, lead, sources);
        steps.push(TraceStep {
            rule: rule.name.clone(),
            line: rule.line,
            matched: false,
            failed: culprit.map(|(test, negated)| match negated {
                Some(inner) => negated_text(sources, inner),
                None => sources.snippet(test.span).to_string(),
            }),
            actual: culprit.map(|(test, _)| value_json(&program.schema, test, lead.get(test.field))),
        });
    }
    steps
}

/// Each score of `lead` (its derived fields filled), in declaration order;
/// with `sources`, the terms that counted, as written (`--explain`).
pub fn scores(program: &Program, lead: &Lead, sources: Option<&SourceMap>) -> Vec<ScoreValue> {
    let mut scores: Vec<&crate::check::program::Score> = program.scores.iter().collect();
    scores.sort_by_key(|s| s.span);
    scores
        .into_iter()
        .map(|score| ScoreValue {
            score: score.name.clone(),
            value: match lead.get(score.field) {
                Value::Int(value) => *value,
                _ => 0,
            },
            counted: sources.map(|sources| {
                let counted = score.terms.iter().filter(|t| t.condition.holds(lead, &program.lookups));
                counted.map(|t| sources.snippet(t.span).to_string()).collect()
            }),
        })
        .collect()
}

/// The first predicate of `rule` that is false for `lead` (in evaluation
/// order, as in [`explain`]), as written in `sources`, with the lead's
/// value of its field; `None` when the rule's condition holds. `route test`
/// uses it to say why an expected rule did not match.
pub fn first_failure(
    program: &Program,
    rule: RuleId,
    lead: &Lead,
    sources: &SourceMap,
) -> Option<(String, serde_json::Value)> {
    let rule = program.rules.get(rule.index())?;
    if rule.condition.holds(lead, &program.lookups) {
        return None;
    }
    let (test, written) = blame(&rule.condition, false, program, lead, sources)?;
    let span = written.unwrap_or(test.span);
    Some((sources.snippet(span).to_string(), value_json(&program.schema, test, lead.get(test.field))))
}

/// The atom that decided `cond` to be `value`, following short-circuit
/// evaluation order: the first false part of a false conjunction, the first
/// true part of a true disjunction, the first part otherwise; `not` flips
/// what is looked for. With it, when a written `not` stands above it, the
/// span of what the outermost such `not` applies to, so that the trace
/// shows the predicate as written, `not` included. `None` only for `True`
/// and empty junctions.
fn blame<'p>(
    cond: &'p Cond,
    value: bool,
    program: &Program,
    lead: &Lead,
    sources: &SourceMap,
) -> Option<(&'p Test, Option<Span>)> {
    match cond {
        Cond::True => None,
        Cond::Test(test) => Some((test, None)),
        Cond::Not(inner) => {
            // `!=` and `not in` are a `Not` too, but their test's text
            // already says so.
            let written = !matches!(&**inner, Cond::Test(t) if operator_negated(sources.snippet(t.span)));
            let (test, negated) = blame(inner, !value, program, lead, sources)?;
            Some((test, if written { cover(inner).or(negated) } else { negated }))
        }
        Cond::All(parts) | Cond::Any(parts) => {
            // The part whose value equals the junction's is the decisive one
            // for a false `All` and a true `Any`; otherwise every part has
            // that value and the first is taken.
            let decisive = parts.iter().find(|p| p.holds(lead, &program.lookups) == value);
            decisive.or(parts.first()).and_then(|p| blame(p, value, program, lead, sources))
        }
    }
}

/// Whether a test's text negates by its operator (`x != 5`, `x not in
/// [..]`): after the field name comes `!=` or `not`.
fn operator_negated(text: &str) -> bool {
    let rest = text.trim_start().trim_start_matches(|c: char| c.is_alphanumeric() || matches!(c, '_' | '.'));
    let rest = rest.trim_start();
    rest.starts_with("!=") || rest.strip_prefix("not").is_some_and(|r| r.starts_with(char::is_whitespace))
}

/// The span from the first to the last test of a condition.
fn cover(cond: &Cond) -> Option<Span> {
    // Iterative: conditions may be deep.
    let mut stack = vec![cond];
    let mut span: Option<Span> = None;
    while let Some(cond) = stack.pop() {
        match cond {
            Cond::True => {}
            Cond::Test(test) => span = Some(span.map_or(test.span, |s| s.to(test.span))),
            Cond::Not(inner) => stack.push(inner),
            Cond::All(parts) | Cond::Any(parts) => stack.extend(parts),
        }
    }
    span
}

/// The text of a written `not` applied to what `inner` spans: from the
/// `not` before it (across any opening parentheses) to the parentheses that
/// close those, exactly as written (`not employees > 100`, `not (a or b)`).
fn negated_text(sources: &SourceMap, inner: Span) -> String {
    let text = sources.get(inner.file).map_or("", |f| f.text.as_str());
    let (start, end) = (inner.start as usize, inner.end as usize);
    let mut before = text.get(..start).unwrap_or("");
    let mut opened = 0;
    while let Some(rest) = before.trim_end().strip_suffix('(') {
        before = rest;
        opened += 1;
    }
    let before = before.trim_end();
    let keyword = before.strip_suffix("not").filter(|b| !b.ends_with(|c: char| c.is_alphanumeric() || c == '_'));
    let Some(keyword_start) = keyword.map(str::len) else {
        return format!("not ({})", sources.snippet(inner));
    };
    let mut end = end;
    for _ in 0..opened {
        let rest = text.get(end..).unwrap_or("");
        match rest.trim_start().strip_prefix(')') {
            Some(after) => end = text.len() - after.len(),
            None => break,
        }
    }
    text.get(keyword_start..end).unwrap_or("").to_string()
}

/// A lead value as JSON for traces.
fn value_json(schema: &Schema, test: &Test, value: &Value) -> serde_json::Value {
    let ty = schema.fields.get(test.field.index()).map(|f| f.ty);
    let element = match ty {
        Some(FieldType::List(element)) => Some(element),
        _ => None,
    };
    scalar_json(schema, ty, element, value)
}

fn scalar_json(
    schema: &Schema,
    ty: Option<FieldType>,
    element: Option<ElementType>,
    value: &Value,
) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Absent => J::Null,
        Value::Str(s) => J::String(s.to_string()),
        Value::Int(i) => crate::schema::dates::int_json(ty.and_then(FieldType::time_kind), *i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Bool(b) => J::Bool(*b),
        Value::Enum(i) => {
            let id = match (ty, element) {
                (Some(FieldType::Enum(id)), _) | (_, Some(ElementType::Enum(id))) => Some(id),
                _ => None,
            };
            match id.and_then(|id| schema.enums.get(id.0 as usize)) {
                Some(e) => J::String(e.name(*i).to_string()),
                None => J::from(*i),
            }
        }
        Value::List(items) => {
            let element_ty = element.map(ElementType::as_field_type);
            J::Array(items.iter().map(|item| scalar_json(schema, element_ty, element, item)).collect())
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice, reason = "tests may index: a panic is a failed test")]
mod tests {
    use super::*;
    use crate::check::program::{Action, RuleInfo, Scalar, Target, TestKind};
    use crate::schema::{EnumId, EnumType, Field};
    use crate::source::Span;

    fn program(text: &str, sources: &mut SourceMap) -> Program {
        // Fields: region enum (0), employees int (1), email string? (2).
        let file = sources.add("t.route", "t.route", text.to_string());
        let span_of = |needle: &str| {
            let start = text.find(needle).unwrap_or(0);
            Span::new(file, start, start + needle.len())
        };
        let schema = Schema {
            fields: vec![
                Field {
                    name: "region".into(),
                    column: "region".into(),
                    ty: FieldType::Enum(EnumId(0)),
                    optional: false,
                    format: None,
                    span: Span::default(),
                },
                Field {
                    name: "employees".into(),
                    column: "employees".into(),
                    ty: FieldType::Int,
                    optional: false,
                    format: None,
                    span: Span::default(),
                },
                Field {
                    name: "email".into(),
                    column: "email".into(),
                    ty: FieldType::String,
                    optional: true,
                    format: None,
                    span: Span::default(),
                },
            ],
            enums: vec![EnumType::new(vec!["NA".into(), "EMEA".into()])],
            missing: vec![],
            id_field: None,
            derived: Vec::new(),
            numbers: Default::default(),
        };
        let test = |field: u32, kind: TestKind, needle: &str| {
            Cond::Test(Test { field: crate::schema::FieldId(field), kind, span: span_of(needle) })
        };
        let action = Action { target: Target::Queue("q".into()), fallbacks: vec![], secondary: None };
        let rule = |name: &str, condition: Cond| RuleInfo {
            name: name.into(),
            line: 1,
            span: Span::default(),
            otherwise: matches!(condition, Cond::True),
            condition,
            action: action.clone(),
        };
        Program {
            schema,
            teams: vec![],
            lookups: vec![],
            rules: vec![
                rule(
                    "big_na",
                    Cond::All(vec![
                        test(0, TestKind::Eq(Scalar::Enum(0)), "region == \"NA\""),
                        test(
                            1,
                            TestKind::Compare(crate::check::program::Ordering::Ge, 1000.0.into()),
                            "employees >= 1000",
                        ),
                    ]),
                ),
                rule(
                    "not_edu",
                    Cond::Not(Box::new(test(2, TestKind::EndsWith(".edu".into()), "email ends_with \".edu\""))),
                ),
                rule("rest", Cond::True),
            ],
            on_invalid: None,
            declarations: Default::default(),
            tables: vec![],
            scores: vec![],
            hours: vec![],
        }
    }

    #[test]
    fn operator_negations_are_told_from_written_ones() {
        assert!(operator_negated("region != \"NA\""));
        assert!(operator_negated("tags not in [\"a\"]"));
        assert!(!operator_negated("employees > 100"));
        assert!(!operator_negated("note == \"not here\""));
        assert!(!operator_negated("nothing == 1"));
    }

    const TEXT: &str = "when region == \"NA\" and employees >= 1000 -> queue q\nwhen not email ends_with \".edu\" -> queue q\notherwise -> queue q\n";

    #[test]
    fn first_match_and_trace_name_the_failing_predicate() {
        let mut sources = SourceMap::new();
        let p = program(TEXT, &mut sources);
        let lead = Lead { values: vec![Value::Enum(1), Value::Int(5), Value::Str("a@b.edu".into())] };
        assert_eq!(first_match(&p, &lead), Some(RuleId(2)));
        let steps = explain(&p, &lead, &sources);
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[0].failed.as_deref(), Some("region == \"NA\""));
        assert_eq!(steps[0].actual, Some(serde_json::json!("EMEA")));
        // The rule is `not email ends_with ".edu"`: the trace shows the `not`.
        assert_eq!(steps[1].failed.as_deref(), Some("not email ends_with \".edu\""));
        assert_eq!(steps[1].actual, Some(serde_json::json!("a@b.edu")));
        assert!(steps[2].matched && steps[2].failed.is_none());

        let lead = Lead { values: vec![Value::Enum(0), Value::Int(5), Value::Absent] };
        assert_eq!(first_match(&p, &lead), Some(RuleId(1)));
        let steps = explain(&p, &lead, &sources);
        assert_eq!(steps[0].failed.as_deref(), Some("employees >= 1000"));
        assert_eq!(steps[0].actual, Some(serde_json::json!(5)));
        assert!(steps[1].matched);
    }
}
