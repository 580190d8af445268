//! The VS Code extension's TextMate grammar, checked without VS Code: every
//! regex compiles (fancy-regex, which accepts the Oniguruma constructs
//! TextMate grammars use: look-around, back-references), the acme example
//! is tokenised by a small TextMate engine and its keywords, strings,
//! numbers and comments get their scopes, and every keyword of
//! `grammar/route.pest` is known to the grammar.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::collections::BTreeSet;
use std::path::Path;

use fancy_regex::Regex;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn grammar() -> Value {
    let text = std::fs::read_to_string(root().join("editors/vscode/syntaxes/route.tmLanguage.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every regex in the grammar, with where it stands.
fn regexes(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let here = format!("{at}/{key}");
                match (key.as_str(), inner) {
                    ("match" | "begin" | "end", Value::String(pattern)) => out.push((here, pattern.clone())),
                    _ => regexes(inner, &here, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                regexes(item, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_regex_compiles() {
    let mut found = Vec::new();
    regexes(&grammar(), "", &mut found);
    assert!(found.len() > 10, "{found:?}");
    for (at, pattern) in found {
        assert!(Regex::new(&pattern).is_ok(), "{at}: {pattern}");
    }
}

/// A compiled rule of the grammar: a `match`, a `begin`/`end` pair, or a
/// list of `patterns` (includes resolved).
enum Rule {
    Match { regex: Regex, name: Option<String>, captures: Vec<(usize, String)> },
    Region { begin: Regex, end: Regex, name: Option<String>, inner: Vec<Rule> },
}

fn compile(grammar: &Value, value: &Value, out: &mut Vec<Rule>) {
    if let Some(include) = value.get("include").and_then(Value::as_str) {
        let key = include.trim_start_matches('#');
        return compile(grammar, &grammar["repository"][key], out);
    }
    let name = value.get("name").and_then(Value::as_str).map(str::to_string);
    let captures = |key: &str| -> Vec<(usize, String)> {
        value
            .get(key)
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(i, c)| (i.parse().unwrap(), c["name"].as_str().unwrap().to_string())).collect())
            .unwrap_or_default()
    };
    if let Some(pattern) = value.get("match").and_then(Value::as_str) {
        out.push(Rule::Match { regex: Regex::new(pattern).unwrap(), name, captures: captures("captures") });
    } else if let Some(begin) = value.get("begin").and_then(Value::as_str) {
        let mut inner = Vec::new();
        for pattern in value.get("patterns").and_then(Value::as_array).into_iter().flatten() {
            compile(grammar, pattern, &mut inner);
        }
        let end = Regex::new(value["end"].as_str().unwrap()).unwrap();
        out.push(Rule::Region { begin: Regex::new(begin).unwrap(), end, name, inner });
    } else if let Some(patterns) = value.get("patterns").and_then(Value::as_array) {
        for pattern in patterns {
            compile(grammar, pattern, out);
        }
    }
}

/// A token: the text and the innermost scope it got (`source.route` when
/// no rule matched it).
#[derive(Debug)]
struct Token {
    line: usize,
    text: String,
    scope: String,
}

/// Tokenises line by line as a TextMate engine does: at each position the
/// earliest match among the rules wins (the first rule on a tie); a region
/// stays open across its inner rules until its `end` matches.
fn tokenise(rules: &[Rule], text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let mut push = |text: &str, scope: &str| {
            if !text.trim().is_empty() {
                tokens.push(Token { line: line_no + 1, text: text.to_string(), scope: scope.to_string() });
            }
        };
        let mut at = 0;
        while at < line.len() {
            let earliest = rules
                .iter()
                .filter_map(|rule| {
                    let regex = match rule {
                        Rule::Match { regex, .. } => regex,
                        Rule::Region { begin, .. } => begin,
                    };
                    let m = regex.captures_from_pos(line, at).unwrap()?;
                    Some((m.get(0)?.start(), rule, m))
                })
                .min_by_key(|(start, _, _)| *start);
            let Some((start, rule, m)) = earliest else {
                push(&line[at..], "source.route");
                break;
            };
            push(&line[at..start], "source.route");
            let whole = m.get(0).unwrap();
            match rule {
                Rule::Match { name, captures, .. } => {
                    if captures.is_empty() {
                        push(whole.as_str(), name.as_deref().unwrap_or("source.route"));
                    } else {
                        for (i, scope) in captures {
                            if let Some(c) = m.get(*i) {
                                push(c.as_str(), scope);
                            }
                        }
                    }
                    at = whole.end().max(at + 1);
                }
                Rule::Region { end, name, inner, .. } => {
                    // The region's text, inner matches included, as one token.
                    let mut pos = whole.end();
                    loop {
                        let inner_at = inner.iter().filter_map(|r| match r {
                            Rule::Match { regex, .. } => regex.find_from_pos(line, pos).unwrap(),
                            Rule::Region { .. } => None,
                        });
                        let inner_first = inner_at.min_by_key(|m| m.start());
                        let closing = end.find_from_pos(line, pos).unwrap();
                        match (closing, inner_first) {
                            (Some(c), Some(i)) if i.start() < c.start() => pos = i.end().max(pos + 1),
                            (Some(c), _) => {
                                pos = c.end();
                                break;
                            }
                            (None, _) => {
                                pos = line.len();
                                break;
                            }
                        }
                    }
                    push(&line[start..pos], name.as_deref().unwrap_or("source.route"));
                    at = pos.max(at + 1);
                }
            }
        }
    }
    tokens
}

fn acme_tokens() -> (Vec<Token>, String) {
    let grammar = grammar();
    let mut rules = Vec::new();
    for pattern in grammar["patterns"].as_array().unwrap() {
        compile(&grammar, pattern, &mut rules);
    }
    let text = ["routing.route", "schema.route", "teams.route"]
        .iter()
        .map(|f| std::fs::read_to_string(root().join("examples/acme").join(f)).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    (tokenise(&rules, &text), text)
}

/// The scope of every token whose text is `text`.
fn scopes_of<'t>(tokens: &'t [Token], text: &str) -> BTreeSet<&'t str> {
    tokens.iter().filter(|t| t.text == text).map(|t| t.scope.as_str()).collect()
}

#[test]
fn the_acme_example_is_highlighted() {
    let (tokens, _) = acme_tokens();
    let expect = |text: &str, scope: &str| {
        let found = scopes_of(&tokens, text);
        assert_eq!(found, BTreeSet::from([scope]), "`{text}`");
    };
    expect("when", "keyword.control.route");
    expect("otherwise", "keyword.control.route");
    expect("and", "keyword.operator.word.route");
    expect("import", "storage.type.route");
    expect("queue", "keyword.other.route");
    expect("\"schema.route\"", "string.quoted.double.route");
    expect("\"EMEA\"", "string.quoted.double.route");
    expect("1_000", "constant.numeric.route");
    expect("250_000_000.0", "constant.numeric.route");
    expect("->", "keyword.operator.route");
    expect("round_robin", "support.function.strategy.route");
    let comments: Vec<&Token> = tokens.iter().filter(|t| t.text.starts_with('#')).collect();
    assert!(comments.len() > 20);
    for comment in comments {
        assert_eq!(comment.scope, "comment.line.number-sign.route", "line {}: {}", comment.line, comment.text);
    }
    // A `#` inside a string is not a comment; a number inside a name is not a number.
    let letters = |t: &Token| t.text.chars().any(|c| c.is_alphabetic() && !matches!(c, 'e' | 'E'));
    assert!(tokens.iter().all(|t| t.scope != "constant.numeric.route" || !letters(t)));
}

/// Every keyword of the pest grammar: `kw_x = @{ "x" ~ ... }`, the
/// `reserved` words, scalar types, string operators and booleans.
fn pest_keywords() -> BTreeSet<String> {
    let pest = std::fs::read_to_string(root().join("grammar/route.pest")).unwrap();
    let quoted = Regex::new(r#""([a-z_]+)""#).unwrap();
    let starts = ["kw_", "reserved", "( \"", "| \"", "scalar_type", "string_op", "boolean"];
    let keywords: BTreeSet<String> = pest
        .lines()
        .filter(|l| starts.iter().any(|s| l.trim_start().starts_with(s)))
        .flat_map(|l| quoted.captures_iter(l).map(|c| c.unwrap()[1].to_string()).collect::<Vec<_>>())
        .collect();
    assert!(keywords.contains("otherwise") && keywords.contains("starts_with") && keywords.contains("bool"));
    keywords
}

/// A new keyword in route.pest fails here until the TextMate grammar
/// highlights it and the language server documents it (hover, completion).
#[test]
fn every_keyword_of_route_pest_is_highlighted_and_documented() {
    let grammar = grammar();
    let mut rules = Vec::new();
    for pattern in grammar["patterns"].as_array().unwrap() {
        compile(&grammar, pattern, &mut rules);
    }
    let server: BTreeSet<&str> = route::lsp::keywords::KEYWORDS.iter().map(|(k, _)| *k).collect();
    let keywords = pest_keywords();
    let unhighlighted: Vec<&String> = keywords
        .iter()
        .filter(|k| {
            let tokens = tokenise(&rules, k);
            tokens.len() != 1 || tokens.iter().any(|t| t.scope == "source.route" || t.text != **k)
        })
        .collect();
    assert!(
        unhighlighted.is_empty(),
        "keywords of route.pest the TextMate grammar does not highlight: {unhighlighted:?}"
    );
    let undocumented: Vec<&String> = keywords.iter().filter(|k| !server.contains(k.as_str())).collect();
    assert!(undocumented.is_empty(), "keywords of route.pest src/lsp/keywords.rs does not document: {undocumented:?}");
}
