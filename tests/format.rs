//! `route fmt`: every fixture, example and docs snippet round-trips (same
//! AST up to spans, formatting twice = once), snapshots of the layout, and
//! property tests over random programs and perturbed real files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use route::format::{format_source, FormatError};
use route::source::FileId;
use route::syntax::parse;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn route_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            route_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "route") {
            out.push(path);
        }
    }
}

/// Formats `text` and checks the guarantees; `None` when it does not parse.
fn round_trip(name: &str, text: &str) -> Option<String> {
    let once = match format_source(text) {
        Ok(once) => once,
        Err(FormatError::Syntax(_)) => return None,
        Err(FormatError::Internal(why)) => panic!("{name}: {why}\n{text}"),
    };
    let (before, _) = parse(FileId(0), text);
    let (after, diagnostics) = parse(FileId(0), &once);
    assert!(!diagnostics.has_errors(), "{name}: formatted text does not parse:\n{once}");
    assert_eq!(before, after, "{name}: the AST changed:\n{once}");
    assert_eq!(before.trivia.comments.len(), after.trivia.comments.len(), "{name}: comments lost:\n{once}");
    let twice = format_source(&once).unwrap_or_else(|e| panic!("{name}: second pass failed: {e:?}"));
    assert_eq!(once, twice, "{name}: formatting is not idempotent");
    Some(once)
}

#[test]
fn every_fixture_and_example_round_trips() {
    let mut files = Vec::new();
    route_files(&root().join("tests/fixtures"), &mut files);
    route_files(&root().join("examples"), &mut files);
    let mut formatted = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        formatted += usize::from(round_trip(&file.display().to_string(), &text).is_some());
    }
    assert!(formatted > 60, "only {formatted} of {} files parsed", files.len());
}

#[test]
fn every_route_snippet_in_the_docs_round_trips() {
    let mut snippets = 0;
    let docs = std::fs::read_dir(root().join("docs")).unwrap().map(|e| e.unwrap().path());
    for path in docs.chain(std::iter::once(root().join("README.md"))) {
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let markdown = std::fs::read_to_string(&path).unwrap();
        let mut block: Option<String> = None;
        for line in markdown.lines() {
            match (&mut block, line.trim_start()) {
                (None, "```route") => block = Some(String::new()),
                (Some(text), "```") => {
                    let name = format!("{} snippet", path.display());
                    let formatted = round_trip(&name, text);
                    assert!(formatted.is_some(), "{name} does not parse:\n{text}");
                    if path.ends_with("style.md") {
                        // The style guide's examples are themselves in the canonical layout.
                        assert_eq!(formatted.as_deref(), Some(text.as_str()), "{name} is not canonical");
                    }
                    snippets += 1;
                    block = None;
                }
                (Some(text), _) => {
                    text.push_str(line);
                    text.push('\n');
                }
                (None, _) => {}
            }
        }
    }
    assert!(snippets > 10, "only {snippets} snippets found");
}

#[test]
fn the_canonical_layout() {
    for file in [
        "tests/fixtures/format/layout.route",
        "tests/fixtures/format/comments.route",
        "tests/fixtures/format/tables.route",
        "examples/quickstart/routing.route",
        "examples/acme/teams.route",
    ] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let formatted = round_trip(file, &text).unwrap();
        let name = Path::new(file).with_extension("").display().to_string().replace('/', "__");
        insta::with_settings!({ snapshot_suffix => name, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("format", formatted);
        });
    }
}

#[test]
fn a_file_with_a_syntax_error_is_refused_with_its_diagnostics() {
    match format_source("when x = 1 -> queue q\n") {
        Err(FormatError::Syntax(diagnostics)) => assert_eq!(diagnostics.0.first().unwrap().code.as_str(), "E0001"),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn what_the_author_wrote_is_kept() {
    let text = "let a = not not x\nlet b = (x) and ((y))\nwhen a -> team t else fallback t else fallback team t\n";
    assert_eq!(format_source(text).unwrap(), text);
}

#[test]
fn a_long_rule_breaks_before_each_operator_and_its_fallbacks() {
    let long = format!(
        "when {} -> team t else fallback {} else fallback queue q\n",
        ["aaaaaaaaaa == 1"; 6].join(" and "),
        "u".repeat(60)
    );
    let expected = format!(
        "when aaaaaaaaaa == 1\n{}    -> team t\n    else fallback {}\n    else fallback queue q\n",
        "    and aaaaaaaaaa == 1\n".repeat(5),
        "u".repeat(60)
    );
    assert_eq!(format_source(&long).unwrap(), expected);
}

#[test]
fn arrows_align_in_a_run_of_rules_and_a_blank_line_ends_the_run() {
    let text = "when a -> queue x\nlabelled: when bb == 2 -> queue y\n\nwhen c -> queue z\n";
    let expected = "when a                 -> queue x\nlabelled: when bb == 2 -> queue y\n\nwhen c -> queue z\n";
    assert_eq!(format_source(text).unwrap(), expected);
}

// ------------------------------------------------------------ properties

/// A random condition as source text, with random parentheses, `not`s and
/// long operands (so some rules break across lines).
fn condition() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        (0..5usize, -3i64..10_000).prop_map(|(f, n)| format!("f{f} >= {n}")),
        (0..5usize).prop_map(|f| format!("s{f} in [\"a\", \"b c\", \"\\\"q\\\"\"]")),
        (0..5usize).prop_map(|f| format!("s{f} not in lookup_{f}")),
        (0..5usize).prop_map(|f| format!("s{f} contains \"{}\"", "x".repeat(f * 7))),
        (0..5usize).prop_map(|f| format!("s{f} matches \"^\\d+$\"")),
        (0..5usize).prop_map(|f| format!("f{f} exists")),
        (0..5usize).prop_map(|f| format!("flag_{f}")),
        Just("x == 1_000.5e3".to_string()),
        (0..3usize).prop_map(|t| format!("tab_{t}[s{t}].col_{t} in [\"a\", \"b\"]")),
        (0..3usize).prop_map(|t| format!("tab_{t}[lower(s{t})].flag")),
        (0..3usize).prop_map(|t| format!("accounts[domain(email_{t})].tier != \"gold\"")),
        (0..3usize).prop_map(|t| format!("lower(s{t}) starts_with \"x\"")),
        (0..3usize).prop_map(|t| format!("s{t} in tab_{t}")),
    ];
    atom.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| format!("not {c}")),
            inner.clone().prop_map(|c| format!("({c})")),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|cs| cs.join(" and ")),
            prop::collection::vec(inner, 2..4).prop_map(|cs| format!("({})", cs.join(" or "))),
        ]
    })
}

/// A target and its fallbacks, then maybe a second owner (`with`) with
/// its own; or a split whose arms are such actions (shares as written,
/// decimals and spacing included).
fn action() -> impl Strategy<Value = String> {
    let owners = || {
        (chain(), prop::option::of(chain())).prop_map(|(first, second)| match second {
            Some(second) => format!("{first} with {second}"),
            None => first,
        })
    };
    let share = prop_oneof![(1..100u32).prop_map(|n| format!("{n}%")), (1..100u32).prop_map(|n| format!("{n}.5 %"))];
    let arms = prop::collection::vec((share, owners(), prop_oneof![Just("; "), Just("\n  ")]), 1..4);
    let split = (prop::option::of(0..3usize), arms).prop_map(|(name, arms)| {
        let name = name.map_or(String::new(), |n| format!(" split{n}"));
        let body: String = arms.into_iter().map(|(share, action, sep)| format!("{share} {action}{sep}")).collect();
        format!("split{name} by s1 {{ {body}}}")
    });
    prop_oneof![3 => owners(), 1 => split]
}

fn chain() -> impl Strategy<Value = String> {
    let target = prop_oneof![
        (0..3usize).prop_map(|t| format!("team t{t}")),
        (0..3usize).prop_map(|t| format!("team t{t} via sticky(s{t})")),
        (0..3usize).prop_map(|q| format!("queue q{q}")),
        Just("rep \"someone@example.com\"".to_string()),
        Just("rep owners[s1]".to_string()),
        Just("rep accounts[domain(email)].owner".to_string()),
    ];
    let fallback = prop_oneof![
        (0..3usize).prop_map(|t| format!("else fallback t{t} via round_robin")),
        (0..3usize).prop_map(|t| format!("else fallback team t{t}")),
        Just("else fallback queue overflow".to_string()),
    ];
    (target, prop::collection::vec(fallback, 0..3)).prop_map(|(t, f)| {
        let mut parts = vec![t];
        parts.extend(f);
        parts.join(" ")
    })
}

/// Trivia between declarations: nothing, blank lines, comments.
fn gap() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\n".to_string()),
        Just("\n\n\n".to_string()),
        Just("  # a comment\n".to_string()),
        Just("\n# leading\n# comment\n".to_string()),
    ]
}

fn rule(depth: u32) -> BoxedStrategy<String> {
    let label = prop::option::of((0..100u32).prop_map(|n| format!("rule_{n}: ")));
    let leaf = (label.clone(), condition(), action())
        .prop_map(|(l, c, a)| format!("{}when {c} -> {a}", l.unwrap_or_default()))
        .boxed();
    if depth == 0 {
        return leaf;
    }
    let block = (label, condition(), prop::collection::vec((gap(), rule(depth - 1)), 1..4))
        .prop_map(|(l, c, rules)| {
            let body: String = rules.into_iter().map(|(g, r)| format!("{g}{r}")).collect();
            format!("{}when {c} {{{body}\n}}", l.unwrap_or_default())
        })
        .boxed();
    prop_oneof![3 => leaf, 1 => block].boxed()
}

fn program() -> impl Strategy<Value = String> {
    let decls = prop::collection::vec(
        prop_oneof![
            4 => rule(2),
            1 => (0..3usize, condition()).prop_map(|(n, c)| format!("let l{n} = {c}")),
            1 => (0..3usize, any::<bool>()).prop_map(|(n, ci)| {
                let case = if ci { " case_insensitive" } else { "" };
                format!("table tab_{n} from \"t{n}.csv\" key \"Key {n}\"{case} {{\n  col_{n}: string? from \"Col\"\n  flag: bool\n}}")
            }),
            1 => (0..3usize, prop::collection::vec((-50i64..50, condition()), 0..4)).prop_map(|(n, terms)| {
                let terms: Vec<String> = terms.iter().map(|(p, c)| format!("  {p} when {c}")).collect();
                format!("score sc_{n} {{\n{}\n}}", terms.join("\n"))
            }),
            1 => (0..3usize, 0..8usize).prop_map(|(n, m)| {
                let members: Vec<String> = (0..m).map(|i| format!("\"member{i}@example.com\" weight {}", i + 1)).collect();
                format!("team t{n} = [{}]", members.join(", "))
            }),
        ],
        1..10,
    );
    (decls, prop::collection::vec(gap(), 10), action()).prop_map(|(decls, gaps, last)| {
        let mut text = String::from("schema lead {\n  f0: int\n  s0: string?  # note\n}\n");
        for (decl, gap) in decls.iter().zip(gaps.iter().cycle()) {
            text.push_str(decl);
            text.push_str(gap);
        }
        text.push_str(&format!("otherwise -> {last}\n"));
        text
    })
}

/// Replaces single spaces outside strings and comments by other
/// whitespace (including line breaks), and appends comments to lines.
fn perturb(text: &str, choices: &[u8]) -> String {
    let mut out = String::new();
    let (mut in_string, mut in_comment, mut escaped) = (false, false, false);
    let mut k = 0usize;
    let mut next = || {
        k += 1;
        choices.get(k % choices.len().max(1)).copied().unwrap_or(0)
    };
    for c in text.chars() {
        match c {
            '\n' if !in_string => {
                in_comment = false;
                out.push_str(if next() % 5 == 0 { " # perturbed\n" } else { "\n" });
                continue;
            }
            ' ' if !in_string && !in_comment => {
                out.push_str(["  ", "\t", "\n  ", " ", "   \n\n "][usize::from(next()) % 5]);
                continue;
            }
            '#' if !in_string => in_comment = true,
            '"' if !in_comment && !escaped => in_string = !in_string,
            _ => {}
        }
        escaped = in_string && c == '\\' && !escaped;
        out.push(c);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn formatting_random_programs_keeps_the_ast_and_is_idempotent(text in program()) {
        prop_assert!(round_trip("random program", &text).is_some(), "does not parse:\n{}", text);
    }

    #[test]
    fn formatting_perturbed_real_files_keeps_the_ast_and_is_idempotent(
        index in 0usize..4,
        choices in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        let file = ["examples/acme/routing.route", "examples/acme/schema.route", "examples/acme/teams.route",
            "tests/fixtures/format/layout.route"][index];
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let perturbed = perturb(&text, &choices);
        prop_assert!(round_trip(file, &perturbed).is_some(), "does not parse:\n{}", perturbed);
    }
}

#[test]
fn canonical_conditions_read_back_to_the_same_condition() {
    use route::syntax::ast::{Item, RuleKind};
    let text = std::fs::read_to_string(root().join("examples/acme/routing.route")).unwrap();
    let (module, _) = parse(FileId(0), &text);
    let mut conditions: Vec<&route::syntax::ast::Expr> = Vec::new();
    for item in &module.items {
        match item {
            Item::Let(l) => conditions.push(&l.condition),
            Item::Rule(r) => match &r.kind {
                RuleKind::When { condition, .. } | RuleKind::Block { condition, .. } => conditions.push(condition),
                RuleKind::Otherwise { .. } => {}
            },
            _ => {}
        }
    }
    assert!(conditions.len() > 20);
    for condition in conditions {
        let printed = route::format::condition(condition);
        let (again, diagnostics) = parse(FileId(0), &format!("let x = {printed}"));
        assert!(!diagnostics.has_errors(), "{printed}");
        let Some(Item::Let(l)) = again.items.first() else { panic!("{printed}") };
        assert!(l.condition == *condition, "{printed}");
    }
    let (module, _) = parse(FileId(0), "let x = n >= 5_000 and s == \"a\\\"b\" and f < 1e3\n");
    let Some(Item::Let(l)) = module.items.first() else { panic!() };
    assert_eq!(route::format::condition(&l.condition), "n >= 5000 and s == \"a\\\"b\" and f < 1000.0");
}
