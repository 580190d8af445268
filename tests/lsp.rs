//! `route lsp` end to end: the binary driven over stdio with JSON-RPC, on
//! the acme example and on broken files; every response is snapshotted
//! with the checkout's path redacted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod lsp_support;

use std::path::Path;

use lsp_support::{position, uri, Client};
use serde_json::{json, Value};

fn acme() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme")
}

/// Pretty JSON with the project's directory (as a URI and as a path)
/// written `[dir]`.
fn redact(value: &Value, dir: &Path) -> String {
    let dir = std::fs::canonicalize(dir).unwrap();
    serde_json::to_string_pretty(value)
        .unwrap()
        .replace(&format!("file://{}", dir.display()), "file://[dir]")
        .replace(&dir.display().to_string(), "[dir]")
}

fn snapshot(name: &str, value: &Value, dir: &Path) {
    insta::assert_snapshot!(name, redact(value, dir));
}

fn at(uri: &str, text: &str, needle: &str, nth: usize, offset: u32) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position(text, needle, nth, offset) })
}

#[test]
fn acme_session() {
    let dir = acme();
    let path = dir.join("routing.route");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = uri(&path);
    let mut client = Client::start(&dir);
    client.open(&doc, &text);
    let diagnostics = client.analysed(&doc);
    snapshot("acme_diagnostics", &diagnostics, &dir);

    let hover = |client: &mut Client, needle: &str, nth: usize| {
        client.request("textDocument/hover", at(&doc, &text, needle, nth, 1))
    };
    snapshot("acme_hover_field", &hover(&mut client, "employees >= 1_000", 0), &dir);
    snapshot("acme_hover_let", &hover(&mut client, "enterprise and", 0), &dir);
    snapshot("acme_hover_field_with_aliases", &hover(&mut client, "region == \"EMEA\"", 0), &dir);
    let value = client.request("textDocument/definition", at(&doc, &text, "\"EMEA\" {", 0, 2));
    snapshot("acme_definition_enum_value", &value, &dir);
    snapshot("acme_hover_table", &hover(&mut client, "accounts from", 0), &dir);
    snapshot("acme_hover_keyword", &hover(&mut client, "otherwise ->", 0), &dir);
    let team = text.find("-> team ").map(|i| &text[i + 8..]).unwrap();
    let team = team.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap().to_string();
    let hover_team = client.request("textDocument/hover", at(&doc, &text, &format!("team {team}"), 0, 6));
    snapshot("acme_hover_team", &hover_team, &dir);
    snapshot("acme_hover_rule", &hover(&mut client, "internal: when", 0), &dir);

    let definition = client.request("textDocument/definition", at(&doc, &text, "enterprise and", 0, 1));
    snapshot("acme_definition_let", &definition, &dir);
    let definition = client.request("textDocument/definition", at(&doc, &text, &format!("team {team}"), 0, 6));
    snapshot("acme_definition_team", &definition, &dir);
    let definition = client.request("textDocument/definition", at(&doc, &text, "\"schema.route\"", 0, 2));
    snapshot("acme_definition_import", &definition, &dir);

    let mut params = at(&doc, &text, "let enterprise", 0, 5);
    params["context"] = json!({ "includeDeclaration": true });
    snapshot("acme_references_let", &client.request("textDocument/references", params), &dir);

    let via = at(&doc, &text, "via round_robin", 0, 4);
    snapshot("acme_completion_strategy", &client.request("textDocument/completion", via), &dir);
    // After `TABLE[KEY].`: the table's columns, typed.
    let column = at(&doc, &text, "accounts[account_id].owner", 0, 21);
    let columns = client.request("textDocument/completion", column);
    let labels: Vec<(&str, &str)> = columns
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["label"].as_str().unwrap(), c["detail"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(labels, [("owner", "column of `accounts`: a string")], "{columns}");
    let symbols = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": doc } }));
    assert!(symbols.as_array().unwrap().len() > 10, "{symbols}");
    let formatting = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": doc }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    // The example is formatted: no edit.
    assert_eq!(formatting, json!([]));
    assert_eq!(client.stop(), 0);
}

const BROKEN: &str = r#"# Broken while typing: a misspelt field, team and strategy. 🚀 café
schema lead {
  id: string
  email: string
  region: "NA" | "EMEA"
  employees: int
}
team sales = ["a@x" weight 2, "b@x"]
team emea = ["c@x"]
let big = employees > 1000
when email == "🚀" and regon == "EMEA" -> team emea
when big -> team salse via round_robn
when big and region == "NA" -> queue big_na
otherwise -> queue unassigned
"#;

#[test]
fn broken_file_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("routing.route");
    std::fs::write(&path, BROKEN).unwrap();
    let doc = uri(&path);
    let mut client = Client::start(dir.path());
    client.open(&doc, BROKEN);
    let diagnostics = client.diagnostics(&doc);
    // `regon` stands after `"🚀"`: its column counts the emoji as two UTF-16 units.
    let regon = position(BROKEN, "regon", 0, 0);
    let first = &diagnostics["diagnostics"][0];
    assert_eq!(first["range"]["start"], regon, "{diagnostics}");
    snapshot("broken_diagnostics", &diagnostics, dir.path());

    // The rules that checked are still there: hover and completion work.
    let hover = client.request("textDocument/hover", at(&doc, BROKEN, "sales =", 0, 1));
    snapshot("broken_hover_team", &hover, dir.path());
    let completion = client.request("textDocument/completion", at(&doc, BROKEN, "emea\n", 0, 0));
    let labels: Vec<&str> = completion.as_array().unwrap().iter().map(|c| c["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["sales", "emea"], "{completion}");

    let mut actions = Vec::new();
    for needle in ["regon", "salse", "round_robn"] {
        let at = position(BROKEN, needle, 0, 0);
        let params = json!({
            "textDocument": { "uri": doc },
            "range": { "start": at, "end": at },
            "context": { "diagnostics": [] },
        });
        actions.push(client.request("textDocument/codeAction", params));
    }
    snapshot("broken_code_actions", &Value::Array(actions), dir.path());

    // Typing on: a syntax error, then the fixed text.
    let syntax = BROKEN.replace("when big -> team", "when big -> tem");
    client.change(&doc, 2, &syntax);
    let diagnostics = client.diagnostics(&doc);
    let codes: Vec<&str> =
        diagnostics["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["E0001", "E0107"], "{diagnostics}");
    let formatting = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": doc }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    snapshot("broken_formatting_refused", &formatting, dir.path());

    let fixed = BROKEN.replace("regon", "region").replace("salse", "sales").replace("round_robn", "round_robin");
    client.change(&doc, 3, &fixed);
    let diagnostics = client.analysed(&doc);
    snapshot("fixed_diagnostics", &diagnostics, dir.path());
    assert_eq!(diagnostics["version"], 3);
    let formatting = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": doc }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    snapshot("fixed_formatting", &formatting, dir.path());
    assert_eq!(client.stop(), 0);
}

#[test]
fn an_open_import_overrides_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let entry = dir.path().join("routing.route");
    let teams = dir.path().join("teams.route");
    std::fs::write(&entry, "import \"teams.route\"\nschema lead { id: string }\notherwise -> team sales\n").unwrap();
    std::fs::write(&teams, "team sales = [\"a@x\"]\n").unwrap();
    let mut client = Client::start(dir.path());
    let (entry_uri, teams_uri) = (uri(&entry), uri(&teams));
    let entry_text = std::fs::read_to_string(&entry).unwrap();
    client.open(&teams_uri, "team sales = [\"a@x\"]\n");
    let clean = client.analysed(&entry_uri);
    assert_eq!(clean["diagnostics"], json!([]), "{clean}");
    // Renamed in the editor, not saved: the entry file's rule breaks.
    client.change(&teams_uri, 2, "team sellers = [\"a@x\"]\n");
    let broken = client.diagnostics(&entry_uri);
    let messages: Vec<&str> =
        broken["diagnostics"].as_array().unwrap().iter().map(|d| d["message"].as_str().unwrap()).collect();
    assert!(messages.iter().any(|m| m.starts_with("unknown team `sales`")), "{broken}");
    let definition = client.request("textDocument/definition", at(&entry_uri, &entry_text, "sales", 0, 1));
    assert_eq!(definition, Value::Null, "the team is gone from the buffer");
    assert_eq!(client.stop(), 0);
}

/// The recorded session in docs/editors.md is this test's transcript of a
/// session on examples/quickstart; `ROUTE_UPDATE_DOCS=1` rewrites it.
#[test]
fn the_recorded_session_in_the_docs_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    let path = dir.join("routing.route");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = uri(&path);
    let mut out = String::new();
    let mut say = |line: String| {
        out.push_str(line.trim_end());
        out.push('\n');
    };
    let mut client = Client::start(&dir);
    say("→ initialize, initialized".into());
    client.open(&doc, &text);
    say("→ textDocument/didOpen routing.route".into());
    say(format!("← publishDiagnostics (checked, then analysed): {}", summary(&client.analysed(&doc))));

    let typo = text.replacen("region == \"EMEA\"", "regon == \"EMEA\"", 1);
    client.change(&doc, 2, &typo);
    say("→ textDocument/didChange: `region` typed as `regon`".into());
    say(format!("← publishDiagnostics: {}", summary(&client.diagnostics(&doc))));
    let at_typo = position(&typo, "regon", 0, 0);
    let params = json!({
        "textDocument": { "uri": doc },
        "range": { "start": at_typo, "end": at_typo },
        "context": { "diagnostics": [] },
    });
    let actions = client.request("textDocument/codeAction", params);
    say("→ textDocument/codeAction at `regon`".into());
    for action in actions.as_array().unwrap() {
        let edit = &action["edit"]["changes"][doc.as_str()][0];
        say(format!(
            "← quick fix \"{}\": {}:{} `{}`",
            action["title"].as_str().unwrap(),
            edit["range"]["start"]["line"].as_u64().unwrap() + 1,
            edit["range"]["start"]["character"].as_u64().unwrap() + 1,
            edit["newText"].as_str().unwrap()
        ));
    }
    client.change(&doc, 3, &text);
    say("→ textDocument/didChange: the fix applied".into());
    say(format!("← publishDiagnostics (checked, then analysed): {}", summary(&client.analysed(&doc))));

    for (needle, offset, what) in [
        ("region:", 1, "the field `region`"),
        ("big_elsewhere", 1, "the rule `big_elsewhere`"),
        ("managers\n", 1, "the team `managers`"),
    ] {
        let hover = client.request("textDocument/hover", at(&doc, &text, needle, 0, offset));
        say(format!("→ textDocument/hover on {what}"));
        for line in hover["contents"]["value"].as_str().unwrap().lines() {
            say(format!("│ {line}"));
        }
    }
    let completion = client.request("textDocument/completion", at(&doc, &text, "round_robin", 0, 0));
    let labels: Vec<&str> = completion.as_array().unwrap().iter().map(|c| c["label"].as_str().unwrap()).collect();
    say("→ textDocument/completion after `via `".into());
    say(format!("← {}", labels.join(", ")));
    let references = client.request(
        "textDocument/references",
        json!({
            "textDocument": { "uri": doc },
            "position": position(&text, "managers", 0, 1),
            "context": { "includeDeclaration": true },
        }),
    );
    let lines: Vec<String> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{}:{}",
                l["range"]["start"]["line"].as_u64().unwrap() + 1,
                l["range"]["start"]["character"].as_u64().unwrap() + 1
            )
        })
        .collect();
    say("→ textDocument/references on `managers`".into());
    say(format!("← routing.route {}", lines.join(", ")));
    say(format!("→ shutdown, exit: status {}", client.stop()));

    let docs_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/editors.md");
    let docs = std::fs::read_to_string(&docs_path).unwrap();
    let (start, end) = ("<!-- session:start -->\n```text\n", "```\n<!-- session:end -->");
    let (head, rest) = docs.split_once(start).expect("docs/editors.md has no session block");
    let (_, tail) = rest.split_once(end).expect("the session block is not closed");
    let current = format!("{head}{start}{out}{end}{tail}");
    if std::env::var_os("ROUTE_UPDATE_DOCS").is_some() {
        std::fs::write(&docs_path, &current).unwrap();
    }
    assert!(
        docs == current,
        "docs/editors.md: the recorded session is out of date (ROUTE_UPDATE_DOCS=1 rewrites it):\n{out}"
    );
}

/// `N diagnostics` and each one's code, position and first line.
fn summary(published: &Value) -> String {
    let diagnostics = published["diagnostics"].as_array().unwrap();
    let plural = if diagnostics.len() == 1 { "" } else { "s" };
    let mut out = format!("{} diagnostic{plural}", diagnostics.len());
    for d in diagnostics {
        let start = &d["range"]["start"];
        out.push_str(&format!(
            "\n    {} {}:{} {}",
            d["code"].as_str().unwrap(),
            start["line"].as_u64().unwrap() + 1,
            start["character"].as_u64().unwrap() + 1,
            d["message"].as_str().unwrap().lines().next().unwrap()
        ));
    }
    out
}
