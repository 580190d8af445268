//! Poor error messages, kept on record. Each case snapshots today's message
//! for a slip users make; fixing one moves it to the good fixtures in
//! `tests/fixtures/diagnostics/` (and deletes it here), so this file only
//! ever shrinks. Fixed already (issue 7 item 14): `//` comments,
//! `round-robin`, unquoted enum values, upper-case keywords, field-to-field
//! comparisons with `<`/`>`, a label without `:`, `lookup[key] == value`, `weight 40%`, a typo in
//! an import path, a broken `let` reported after its uses, an unclosed `(`
//! or `[` hiding later declarations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::Path;

const SCHEMA: &str = "schema lead {\n  id: string\n  country: string\n  region: \"NA\" | \"EMEA\"\n  employees: int\n}\nteam sales = [\"ana@acme.io\"]\n";

/// Today's rendered diagnostics for `rules` after a small schema.
fn message(rules: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = format!("{SCHEMA}{rules}");
    let checked = route::check::check_source("bad.route", &root.join("bad.route"), text);
    route::diagnostics::human::render_to_string(&checked.sources, &checked.diagnostics)
}

/// A missing `}` is reported at the bracket, but every rule after it is read
/// as part of the block (rules may stand inside blocks), so a later rule's
/// own mistakes are hidden and it silently belongs to the block.
#[test]
fn an_unclosed_block_swallows_the_rules_after_it() {
    insta::assert_snapshot!(message(
        "when region == \"NA\" {\n  when employees > 5 -> team sales\nwhen employees > 9 -> team salse\notherwise -> queue q\n"
    ));
}

/// Comparing two string fields suggests quoting the second as text; the
/// parser cannot know `country` is a field, and the checker never sees it.
#[test]
fn comparing_two_string_fields_suggests_quoting() {
    insta::assert_snapshot!(message("when region == country -> team sales\notherwise -> queue q\n"));
}

/// An invisible character in a value is printed raw in the message, so the
/// message looks like it contradicts itself (`EMEA` is not `EMEA`).
#[test]
fn an_invisible_character_in_a_value_is_not_escaped() {
    insta::assert_snapshot!(message("when region == \"EMEA\u{00A0}\" -> team sales\notherwise -> queue q\n"));
}

/// A trailing comma after an action gets the generic "expected end of
/// declaration or `else fallback`", with no word about the comma.
#[test]
fn a_comma_after_an_action() {
    insta::assert_snapshot!(message("when employees > 5 -> team sales,\notherwise -> queue q\n"));
}
