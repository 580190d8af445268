//! The pest boundary of test files: the only file that sees the rules of
//! `grammar/tests.pest`. As in `syntax/lower.rs`, a parse tree of an
//! unexpected shape becomes a diagnostic, never a panic.

use pest::iterators::Pair;
use pest::Parser as _;

use super::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::Reason;
use crate::source::{FileId, Span};
use crate::syntax::unescape;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/tests.pest"]
struct TestParser;

type Result<T> = std::result::Result<T, Box<Diagnostic>>;

/// Parses a whole test file. A syntax error stops the file (`E0401`): test
/// files are small, and a half-read test could pass by accident.
pub fn parse(file: FileId, text: &str) -> Result<TestFile> {
    let top = TestParser::parse(Rule::file, text)
        .map_err(|error| Box::new(syntax_error(file, text, &error)))?
        .next()
        .ok_or_else(|| broken(Span::new(file, 0, 0)))?;
    let lower = Lower { file };
    let tests = top.into_inner().filter(|p| p.as_rule() == Rule::test).map(|p| lower.test(p)).collect::<Result<_>>()?;
    Ok(TestFile { tests })
}

fn broken(span: Span) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::new(Code::TestSyntax, span, "the test parser produced an unexpected shape")
            .label("here")
            .note("this is a bug in route; please report it with the file"),
    )
}

struct Lower {
    file: FileId,
}

impl Lower {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.start() + pair.as_str().trim_end().len())
    }

    fn child<'i>(&self, parent: &Pair<'i, Rule>, wanted: Rule) -> Result<Pair<'i, Rule>> {
        parent.clone().into_inner().find(|p| p.as_rule() == wanted).ok_or_else(|| broken(self.span(parent)))
    }

    fn first<'i>(&self, parent: &Pair<'i, Rule>) -> Result<Pair<'i, Rule>> {
        parent.clone().into_inner().next().ok_or_else(|| broken(self.span(parent)))
    }

    fn test(&self, pair: Pair<'_, Rule>) -> Result<TestDecl> {
        let name = self.string(self.child(&pair, Rule::string)?);
        let mut test = TestDecl { name: name.value, span: name.span, roster: None, now: None, cases: Vec::new() };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::roster => test.roster = Some(self.string(self.child(&part, Rule::string)?)),
                Rule::now => test.now = Some(self.string(self.child(&part, Rule::string)?)),
                Rule::case => test.cases.push(self.case(part)?),
                _ => {}
            }
        }
        Ok(test)
    }

    fn case(&self, pair: Pair<'_, Rule>) -> Result<CaseDecl> {
        let lead = self.child(&pair, Rule::lead)?;
        let span = self.span(&lead);
        let entries: Result<Vec<Entry>> =
            lead.into_inner().filter(|p| p.as_rule() == Rule::entry).map(|e| self.entry(e)).collect();
        let expects: Result<Vec<ExpectDecl>> =
            pair.into_inner().filter(|p| p.as_rule() == Rule::expect).map(|e| self.expectation(e)).collect();
        Ok(CaseDecl { lead: LeadDecl { entries: entries?, span }, expects: expects? })
    }

    fn entry(&self, pair: Pair<'_, Rule>) -> Result<Entry> {
        let field = self.text(&self.child(&pair, Rule::ident)?);
        let value = pair.into_inner().nth(1).ok_or_else(|| broken(field.span))?;
        let value = if value.as_rule() == Rule::list {
            let span = self.span(&value);
            LeadValue::List { items: value.into_inner().map(|p| self.literal(p)).collect::<Result<_>>()?, span }
        } else {
            LeadValue::One(self.literal(value)?)
        };
        Ok(Entry { field, value })
    }

    fn literal(&self, pair: Pair<'_, Rule>) -> Result<Literal> {
        let span = self.span(&pair);
        let value = match pair.as_rule() {
            Rule::string => LiteralValue::Str(self.string(pair).value),
            Rule::boolean => LiteralValue::Bool(pair.as_str() == "true"),
            Rule::number => number(pair.as_str()).ok_or_else(|| {
                Box::new(
                    Diagnostic::new(Code::InvalidNumber, span, format!("number `{}` is out of range", pair.as_str()))
                        .label("does not fit a 64-bit number"),
                )
            })?,
            _ => return Err(broken(span)),
        };
        Ok(Literal { value, span })
    }

    fn expectation(&self, pair: Pair<'_, Rule>) -> Result<ExpectDecl> {
        let span = self.span(&pair);
        let form = pair.into_inner().find(|p| p.as_rule() != Rule::kw_expect).ok_or_else(|| broken(span))?;
        let negated = form.clone().into_inner().any(|p| p.as_rule() == Rule::negation);
        let what = match form.as_rule() {
            Rule::expect_reason => ExpectWhat::Reason(reason(self.child(&form, Rule::reason)?.as_str())),
            Rule::expect_invalid => ExpectWhat::Invalid(
                form.clone().into_inner().find(|p| p.as_rule() == Rule::ident).map(|p| self.text(&p)),
            ),
            Rule::expect_assign => ExpectWhat::Assignee(self.string(self.child(&form, Rule::string)?)),
            Rule::expect_second => ExpectWhat::Secondary(self.string(self.child(&form, Rule::string)?)),
            Rule::expect_named => {
                let name = self.name(self.child(&form, Rule::name)?)?;
                match self.child(&form, Rule::named_kind)?.as_str() {
                    "rule" => ExpectWhat::Rule(name),
                    "team" => ExpectWhat::Team(name),
                    _ => ExpectWhat::Queue(name),
                }
            }
            _ => return Err(broken(span)),
        };
        Ok(ExpectDecl { negated, what, span })
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Result<Text> {
        let inner = self.first(&pair)?;
        Ok(if inner.as_rule() == Rule::string { self.string(inner) } else { self.text(&inner) })
    }

    fn text(&self, pair: &Pair<'_, Rule>) -> Text {
        Text { value: pair.as_str().to_string(), span: self.span(pair) }
    }

    fn string(&self, pair: Pair<'_, Rule>) -> Text {
        let span = self.span(&pair);
        let raw = pair.into_inner().next().map_or("", |p| p.as_str());
        Text { value: unescape(raw), span }
    }
}

/// The reason a (grammar-checked) word names.
fn reason(word: &str) -> Reason {
    match word {
        "matched" => Reason::Matched,
        "fallback" => Reason::Fallback,
        "no_eligible_member" => Reason::NoEligibleMember,
        "no_rule_matched" => Reason::NoRuleMatched,
        _ => Reason::Invalid,
    }
}

/// A number literal as the route language reads it: `_` separators, a
/// float when it has a fraction or an exponent.
fn number(text: &str) -> Option<LiteralValue> {
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    if digits.contains(['.', 'e', 'E']) {
        digits.parse::<f64>().ok().filter(|f| f.is_finite()).map(LiteralValue::Float)
    } else {
        digits.parse::<i64>().ok().map(LiteralValue::Int)
    }
}

/// Pest's error in plain words: "expected X or Y, found Z".
fn syntax_error(file: FileId, text: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
    let at = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let rest = text.get(at..).unwrap_or("");
    let word_len = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len()).min(30);
    let found = match rest.get(..word_len).filter(|w| !w.is_empty()) {
        Some(word) => format!("`{word}`"),
        None => "end of input".to_string(),
    };
    let mut expected: Vec<&str> = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.iter().map(|r| phrase(*r)).collect(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    expected.sort_unstable();
    expected.dedup();
    let expected = match expected.split_last() {
        None => "something else".to_string(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    };
    let end = text.len().min(at + word_len);
    Diagnostic::new(Code::TestSyntax, Span::new(file, at, end), format!("expected {expected}, found {found}"))
        .label(format!("expected {expected}"))
        .help("a test is `test \"name\" { lead { field: value, ... } expect rule NAME }`; see docs/testing.md")
}

fn phrase(rule: Rule) -> &'static str {
    match rule {
        Rule::kw_test | Rule::test => "`test`",
        Rule::kw_lead | Rule::lead | Rule::case => "`lead`",
        Rule::kw_expect | Rule::expect => "`expect`",
        Rule::roster | Rule::kw_roster => "`roster`",
        Rule::now | Rule::kw_now => "`now`",
        Rule::ident | Rule::entry | Rule::name => "a name",
        Rule::string => "a string",
        Rule::number | Rule::boolean | Rule::list => "a value",
        // Every form after `expect` in one phrase, so the list reads once.
        Rule::named_kind
        | Rule::expect_named
        | Rule::kw_assignee
        | Rule::expect_assign
        | Rule::kw_secondary
        | Rule::expect_second
        | Rule::kw_reason
        | Rule::expect_reason
        | Rule::kw_invalid
        | Rule::expect_invalid
        | Rule::negation
        | Rule::kw_not => "an expectation (`rule`, `team`, `queue`, `assignee`, `secondary`, `reason`, `invalid`, each but the last two after an optional `not`)",
        Rule::reason => "a reason (matched, fallback, no_eligible_member, no_rule_matched, invalid)",
        Rule::EOI => "end of file",
        _ => "a part of a test",
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice, reason = "tests may index: a panic is a failed test")]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<TestFile> {
        parse(FileId(0), text)
    }

    #[test]
    fn every_expect_form_parses() {
        let text = r#"
            # a comment
            test "all forms" {
              roster "r.json"
              now "2026-11-25T10:00:00Z"
              lead { id: "A", n: -1_000, f: 1.5e3, b: true, tags: ["x", "y\"z"] }
              expect rule emea
              expect not rule "line:3"
              expect team t expect not team t2
              expect queue q
              expect not queue q2
              expect assignee "a@x" expect not assignee "b@x"
              expect reason no_eligible_member
              expect invalid
              lead { id: "B" }
              expect invalid region
            }"#;
        let file = parse_text(text).unwrap();
        let test = &file.tests[0];
        assert_eq!(test.name, "all forms");
        assert_eq!(test.roster.as_ref().map(|r| r.value.as_str()), Some("r.json"));
        assert_eq!(test.cases.len(), 2);
        let forms: Vec<(bool, String)> =
            test.cases[0].expects.iter().map(|e| (e.negated, format!("{:?}", e.what))).collect();
        assert_eq!(forms.len(), 10);
        assert!(forms[1].0 && forms[1].1.contains("line:3"));
        assert!(matches!(test.cases[0].expects[8].what, ExpectWhat::Reason(Reason::NoEligibleMember)));
        assert!(matches!(test.cases[0].expects[9].what, ExpectWhat::Invalid(None)));
        assert!(matches!(&test.cases[1].expects[0].what, ExpectWhat::Invalid(Some(f)) if f.value == "region"));
        let values: Vec<String> = test.cases[0].lead.entries.iter().map(|e| format!("{:?}", e.value)).collect();
        assert!(values[1].contains("Int(-1000)") && values[2].contains("Float(1500.0)"), "{values:?}");
        assert!(values[4].contains(r#"y\"z"#), "{values:?}");
    }

    #[test]
    fn an_expect_before_any_lead_is_a_syntax_error() {
        let error = parse_text("test \"t\" { expect rule r lead { id: \"A\" } }").unwrap_err();
        assert_eq!(error.code, Code::TestSyntax);
        assert!(error.message.starts_with("expected `lead`"), "{}", error.message);
    }

    #[test]
    fn strings_unescape_as_in_the_route_language() {
        assert_eq!(unescape(r#"a\"b\\c\nd\.e"#), "a\"b\\c\nd\\.e");
        assert_eq!(number("1_000"), Some(LiteralValue::Int(1000)));
        assert_eq!(number("99999999999999999999"), None);
    }
}
