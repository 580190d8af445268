//! Hostile input gets a diagnostic, never a crash: deep nesting, huge
//! files, long chains, binary garbage.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use route::diagnostics::Code;

fn check(text: String) -> route::check::Checked {
    route::check::check_source("hostile.route", std::path::Path::new("hostile.route"), text)
}

fn codes(checked: &route::check::Checked) -> Vec<Code> {
    checked.diagnostics.0.iter().map(|d| d.code).collect()
}

const SCHEMA: &str = "schema lead { id: string  n: int  b: bool }\n";

#[test]
fn ten_thousand_nested_parentheses_are_refused_with_a_diagnostic() {
    let text = format!("{SCHEMA}when {}b{} -> queue q\n", "(".repeat(10_000), ")".repeat(10_000));
    let checked = check(text);
    assert_eq!(codes(&checked), [Code::TooDeep]);
}

#[test]
fn ten_thousand_nested_blocks_are_refused_with_a_diagnostic() {
    let text = format!("{SCHEMA}{}otherwise -> queue q{}\n", "when b {\n".repeat(10_000), "}".repeat(10_000));
    assert_eq!(codes(&check(text)), [Code::TooDeep]);
}

#[test]
fn a_fifty_megabyte_rule_file_is_refused_with_a_diagnostic() {
    let rule = "when n > 1 -> queue q\n";
    let text = format!("{SCHEMA}{}", rule.repeat(50 * 1024 * 1024 / rule.len()));
    assert_eq!(codes(&check(text)), [Code::FileTooLarge]);
}

#[test]
fn long_flat_chains_are_fine() {
    let conjunction = vec!["n > 1"; 20_000].join(" and ");
    let negations = "not ".repeat(63);
    let text = format!("{SCHEMA}when {conjunction} -> queue a\nwhen {negations} b -> queue b\notherwise -> queue c\n");
    let checked = check(text);
    assert!(checked.diagnostics.is_empty(), "{:?}", codes(&checked));
    assert_eq!(checked.program.unwrap().rules.len(), 3);
}

#[test]
fn a_long_run_of_nots_is_refused_with_a_diagnostic() {
    // Every `not` written is kept in the AST (for `fmt` and `diff`), so a run
    // of them is bounded like nesting.
    let text = format!("{SCHEMA}when {}b -> queue b\notherwise -> queue c\n", "not ".repeat(20_001));
    assert_eq!(codes(&check(text)), [Code::TooDeep]);
}

#[test]
fn a_long_chain_of_lets_is_refused_not_overflowed() {
    let mut text = String::from(SCHEMA);
    text.push_str("let l0 = b\n");
    for i in 1..5_000 {
        text.push_str(&format!("let l{i} = l{} and n > {i}\n", i - 1));
    }
    text.push_str("when l4999 -> queue q\n");
    let checked = check(text);
    assert!(codes(&checked).contains(&Code::TooDeep), "{:?}", codes(&checked));
}

#[test]
fn binary_garbage_gives_syntax_errors() {
    let garbage: String = (0..5_000u32).map(|i| char::from_u32((i * 7919) % 0x2FF + 1).unwrap_or('?')).collect();
    let checked = check(garbage);
    assert!(checked.diagnostics.has_errors());
}
