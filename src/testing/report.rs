//! Test results for people (text), for programs (JSON) and for CI (JUnit
//! XML). The last line of the text is `N passed, N failed`, alone.
//!
//! JUnit is written by hand: three element kinds and five escapes do not
//! justify an XML crate in the build of every user (see docs/testing.md).

use std::fmt::Write as _;

use serde::Serialize;

use super::{Coverage, TestOutcome};

/// Totals of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Tests whose expectations all held.
    pub passed: usize,
    /// Tests with a failed expectation.
    pub failed: usize,
}

impl Totals {
    /// Counts `outcomes`.
    pub fn of(outcomes: &[TestOutcome]) -> Totals {
        let passed = outcomes.iter().filter(|o| o.passed()).count();
        Totals { passed, failed: outcomes.len() - passed }
    }
}

/// The text report: each failing test with its failures, the coverage,
/// then the totals line.
pub fn human(outcomes: &[TestOutcome], coverage: &Coverage) -> String {
    let mut out = String::new();
    for outcome in outcomes.iter().filter(|o| !o.passed()) {
        let _ = writeln!(out, "FAIL {} ({})", outcome.name, outcome.location);
        let mut lead = None;
        for failure in &outcome.failures {
            // A lead's failures share one heading: the rule that matched it.
            if lead != Some(&failure.lead) {
                let matched = failure.matched.as_deref().map_or("no rule".to_string(), |m| format!("rule {m}"));
                let _ = writeln!(out, "  lead `{}` matched {matched}", failure.lead);
                lead = Some(&failure.lead);
            }
            let _ = writeln!(out, "    expected {}, got {}", failure.expected, failure.actual);
            if let Some(why) = &failure.why {
                let _ = writeln!(out, "      why: {why}");
            }
        }
    }
    out.push_str(&coverage_text(coverage));
    let totals = Totals::of(outcomes);
    let _ = writeln!(out, "{} passed, {} failed", totals.passed, totals.failed);
    out
}

fn coverage_text(coverage: &Coverage) -> String {
    let mut out = format!(
        "coverage: {} of {} reachable rules reached by a test ({:.1}%)\n",
        coverage.covered,
        coverage.reachable,
        coverage.percent()
    );
    for rule in &coverage.uncovered {
        let _ = writeln!(out, "not reached: rule `{}` (line {})", rule.rule, rule.line);
        match &rule.test {
            Some(test) => {
                let _ = writeln!(out, "  a lead that reaches it, as a test:");
                for line in test.lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
            None => {
                let _ = writeln!(out, "  (the analysis found no example lead for it)");
            }
        }
    }
    out
}

/// The JSON report: every test, the totals, the coverage and the
/// diagnostics (as `route check --format json` prints them).
pub fn json(
    outcomes: &[TestOutcome],
    coverage: &Coverage,
    diagnostics: &crate::diagnostics::json::Report,
) -> serde_json::Value {
    let totals = Totals::of(outcomes);
    let tests: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            serde_json::json!({
                "name": o.name,
                "location": o.location,
                "leads": o.leads,
                "passed": o.passed(),
                "failures": o.failures,
            })
        })
        .collect();
    serde_json::json!({
        "passed": totals.passed,
        "failed": totals.failed,
        "tests": tests,
        "coverage": {
            "reachable": coverage.reachable,
            "covered": coverage.covered,
            "percent": (coverage.percent() * 10.0).round() / 10.0,
            "uncovered": coverage.uncovered,
        },
        "diagnostics": diagnostics,
    })
}

/// JUnit XML: one `testsuite` per test file or case table, a `testcase`
/// per test with a `failure` per failed test; errors in test files are a
/// `testsuite` of their own with an `error` each, so CI shows them too.
pub fn junit(outcomes: &[TestOutcome], errors: &[String]) -> String {
    let totals = Totals::of(outcomes);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"route test\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        outcomes.len() + errors.len(),
        totals.failed,
        errors.len()
    );
    let mut suites: Vec<(&str, Vec<&TestOutcome>)> = Vec::new();
    for outcome in outcomes {
        let file = outcome.location.rsplit_once(':').map_or(outcome.location.as_str(), |(file, _)| file);
        match suites.iter_mut().find(|(name, _)| *name == file) {
            Some((_, members)) => members.push(outcome),
            None => suites.push((file, vec![outcome])),
        }
    }
    for (file, members) in &suites {
        let failed = members.iter().filter(|o| !o.passed()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">",
            escape(file),
            members.len()
        );
        for outcome in members {
            testcase(&mut out, outcome, file);
        }
        out.push_str("  </testsuite>\n");
    }
    if !errors.is_empty() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"errors in test files\" tests=\"{0}\" failures=\"0\" errors=\"{0}\">",
            errors.len()
        );
        for error in errors {
            let _ = writeln!(
                out,
                "    <testcase name=\"{0}\" classname=\"route test\"><error message=\"{0}\"/></testcase>",
                escape(error)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(out: &mut String, outcome: &TestOutcome, file: &str) {
    let open = format!("    <testcase name=\"{}\" classname=\"{}\"", escape(&outcome.name), escape(file));
    let Some(first) = outcome.failures.first() else {
        let _ = writeln!(out, "{open}/>");
        return;
    };
    // One `failure` per test case (the JUnit schema allows no more): the
    // first failure as its message, every failure in its text.
    let mut detail = Vec::new();
    for failure in &outcome.failures {
        detail.push(format!("lead `{}`: expected {}, got {}", failure.lead, failure.expected, failure.actual));
        detail.extend(failure.matched.as_ref().map(|m| format!("  matched rule: {m}")));
        detail.extend(failure.why.as_ref().map(|why| format!("  why: {why}")));
    }
    let message = format!("lead `{}`: expected {}, got {}", first.lead, first.expected, first.actual);
    let _ = writeln!(out, "{open}>");
    let _ = writeln!(
        out,
        "      <failure message=\"{}\" type=\"expectation\">{}</failure>",
        escape(&message),
        escape(&detail.join("\n"))
    );
    out.push_str("    </testcase>\n");
}

/// Text for an XML attribute or element: the five markup characters
/// escaped, and characters XML 1.0 cannot hold at all dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_makes_any_text_safe_in_an_attribute() {
        assert_eq!(escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
        assert_eq!(escape("bell\u{7}line\nend"), "bellline&#10;end");
    }
}
