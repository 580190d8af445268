//! `route serve` over HTTP: the decisions of `route eval` byte for byte,
//! batches in order, problem+json refusals, health/status/metrics, auth,
//! roster swaps and reloads, the decision log and its replay.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod serve_support;

use serve_support::{acme, acme_leads, assert_same_lines, eval_lines, Server, NOW};

fn acme_server(dir: &tempfile::TempDir, extra: &[&str]) -> Server {
    let state = dir.path().join("state.sqlite");
    let roster = acme().join("roster.json");
    let mut args = vec!["--state", state.to_str().unwrap(), "--roster", roster.to_str().unwrap(), "--now", NOW];
    args.extend_from_slice(extra);
    Server::start(&acme(), &args)
}

fn acme_eval(leads: &[String], extra: &[&str]) -> Vec<String> {
    let roster = acme().join("roster.json");
    let mut args = vec!["--roster", roster.to_str().unwrap(), "--now", NOW];
    args.extend_from_slice(extra);
    eval_lines(&acme(), &args, &(leads.join("\n") + "\n"))
}

#[test]
fn each_lead_gets_the_decision_route_eval_gives() {
    let dir = tempfile::tempdir().unwrap();
    let server = acme_server(&dir, &[]);
    let leads = acme_leads(300);
    let served: Vec<String> = leads
        .iter()
        .map(|lead| {
            let reply = server.route(lead);
            assert_eq!(reply.status, 200, "{}", reply.body);
            assert_eq!(reply.content_type, "application/json");
            reply.body.trim_end().to_string()
        })
        .collect();
    // One process per lead would give every lead to the first rep; one
    // server gives what one uninterrupted eval run gives, rotations,
    // capacity and all.
    assert_same_lines(&served, &acme_eval(&leads, &[]));
}

#[test]
fn a_batch_is_routed_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = acme_server(&dir, &[]);
    let leads = acme_leads(120);
    let body = leads.join("\n") + "\n";
    let reply = server.call("POST", "/v1/route/batch", &[("content-type", "application/jsonl")], Some(&body));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.content_type, "application/jsonl");
    let lines: Vec<String> = reply.body.lines().map(str::to_string).collect();
    assert_eq!(lines, acme_eval(&leads, &[]));
}

#[test]
fn explain_adds_the_trace_of_route_eval_explain() {
    let dir = tempfile::tempdir().unwrap();
    let server = acme_server(&dir, &[]);
    let leads = acme_leads(5);
    let served: Vec<String> = leads
        .iter()
        .map(|lead| {
            let reply =
                server.call("POST", "/v1/route?explain=true", &[("content-type", "application/json")], Some(lead));
            reply.body.trim_end().to_string()
        })
        .collect();
    assert_eq!(served.iter().filter(|line| line.contains("\"trace\"")).count(), 4, "one of five is invalid");
    assert_same_lines(&served, &acme_eval(&leads, &["--explain"]));
}

#[test]
fn an_invalid_lead_is_a_decision_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = acme_server(&dir, &[]);
    let reply = server.route(r#"{"id":"BAD1","email":"a@b.c","employees":"many"}"#);
    assert_eq!(reply.status, 200);
    let decision = reply.json();
    assert_eq!(decision["reason"], "invalid");
    assert_eq!(decision["queue"], "data_quality");
    assert_eq!(decision["lead"], "BAD1");
}

#[test]
fn bad_bodies_get_problem_json() {
    let dir = tempfile::tempdir().unwrap();
    let server = acme_server(&dir, &["--max-body", "200"]);
    let json = [("content-type", "application/json")];
    let big = format!(r#"{{"id":"{}"}}"#, "x".repeat(300));
    let cases = [
        ("not JSON", server.call("POST", "/v1/route", &json, Some("{\"id\": "))),
        ("not an object", server.call("POST", "/v1/route", &json, Some("[1, 2]"))),
        ("wrong media type", server.call("POST", "/v1/route", &[("content-type", "text/plain")], Some("{}"))),
        ("too large", server.call("POST", "/v1/route", &json, Some(&big))),
        ("no such route", server.call("GET", "/v1/nothing", &[], None)),
    ];
    let mut shown = String::new();
    for (what, reply) in &cases {
        assert_eq!(reply.content_type, "application/problem+json", "{what}");
        let problem = reply.json();
        assert_eq!(problem["status"], reply.status, "{what}");
        shown.push_str(&format!("{what}: {} {}\n", reply.status, reply.body));
    }
    insta::assert_snapshot!(shown);
}

#[test]
fn health_status_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let server = acme_server(&dir, &[]);
    for lead in acme_leads(20) {
        assert_eq!(server.route(&lead).status, 200);
    }
    let health = server.call("GET", "/v1/health", &[], None);
    assert_eq!((health.status, health.body.as_str()), (200, r#"{"status":"ok"}"#));
    let status = server.call("GET", "/v1/status", &[], None).json();
    assert!(status["version"].as_str().unwrap().starts_with("sha256:"));
    assert!(status["state"].as_str().unwrap().starts_with("sqlite:"));
    assert!(status["rules"].as_u64().unwrap() > 10, "{status}");
    let metrics = server.call("GET", "/metrics", &[], None);
    assert!(metrics.content_type.starts_with("application/openmetrics-text"));
    let text = metrics.body;
    assert!(text.contains(r#"route_http_requests_total{path="/v1/route",status="200"} 20"#), "{text}");
    assert!(text.contains("route_http_request_duration_seconds_bucket"), "{text}");
    let decisions: f64 = text
        .lines()
        .filter(|l| l.starts_with("route_decisions_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(decisions, 20.0, "{text}");
    assert!(text.contains(r#"reason="matched""#), "{text}");
}

#[test]
fn a_token_file_requires_the_bearer_token() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let server = acme_server(&dir, &["--token-file", token.to_str().unwrap()]);
    let lead = &acme_leads(1)[0];
    let json = ("content-type", "application/json");
    let none = server.call("POST", "/v1/route", &[json], Some(lead));
    assert_eq!((none.status, none.content_type.as_str()), (401, "application/problem+json"));
    let wrong = server.call("POST", "/v1/route", &[json, ("authorization", "Bearer s3cret-tokem")], Some(lead));
    assert_eq!(wrong.status, 401);
    assert_eq!(server.call("GET", "/metrics", &[], None).status, 401);
    let right = server.call("POST", "/v1/route", &[json, ("authorization", "Bearer s3cret-token")], Some(lead));
    assert_eq!(right.status, 200);
    // Load balancers probe health without credentials.
    assert_eq!(server.call("GET", "/v1/health", &[], None).status, 200);
}

#[test]
fn put_roster_validates_and_swaps() {
    let dir = tempfile::tempdir().unwrap();
    let server = acme_server(&dir, &[]);
    let json = [("content-type", "application/json")];
    let bad = server.call("PUT", "/v1/roster", &json, Some(r#"{"members":{"a@x.io":{"capacity":-1}}}"#));
    assert_eq!((bad.status, bad.content_type.as_str()), (422, "application/problem+json"));
    insta::assert_snapshot!(bad.body);
    // Everyone unavailable: a team lead now goes to its fallback.
    let lead = r#"{"id":"R1","email":"cto@bigbank.de","company":"Bigbank","country":"DE","region":"EMEA","employees":8000,"annual_revenue":9.0e8,"industry":"finance","source":"web","score":90,"product":"core","is_customer":false,"account_id":null}"#;
    let before = server.route(lead).json();
    assert_eq!(before["reason"], "matched", "{before}");
    let roster: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(acme().join("roster.json")).unwrap()).unwrap();
    let mut members = roster["members"].as_object().unwrap().clone();
    for status in members.values_mut() {
        status["available"] = serde_json::Value::Bool(false);
    }
    let away = serde_json::json!({ "members": members }).to_string();
    let ok = server.call("PUT", "/v1/roster", &json, Some(&away));
    assert_eq!(ok.status, 200, "{}", ok.body);
    let after = server.route(&lead.replace("R1", "R2")).json();
    assert!(after["assignee"].is_null() && after["reason"] != "matched", "{after}");
}

#[test]
fn a_reload_with_errors_is_refused_and_the_old_version_serves() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    for file in ["routing.route", "schema.route", "teams.route", "accounts.csv"] {
        std::fs::copy(acme().join(file), project.join(file)).unwrap();
    }
    let state = dir.path().join("state.sqlite");
    let server = Server::start(&project, &["--state", state.to_str().unwrap(), "--now", NOW]);
    let lead = &acme_leads(1)[0];
    let version = server.call("GET", "/v1/status", &[], None).json()["version"].clone();
    let good = std::fs::read_to_string(project.join("routing.route")).unwrap();
    std::fs::write(project.join("routing.route"), good.replace("-> queue junk", "-> queue junk team nowhere")).unwrap();
    let refused = server.call("POST", "/v1/reload", &[], None);
    assert_eq!(refused.status, 422, "{}", refused.body);
    let status = server.call("GET", "/v1/status", &[], None).json();
    assert_eq!(status["version"], version);
    assert_eq!(status["last_reload"]["ok"], false);
    assert!(status["last_reload"]["errors"]["errors"].as_u64().unwrap() >= 1, "{status}");
    assert_eq!(server.route(lead).status, 200);
    // A fixed version is taken on SIGHUP, and serves at once.
    std::fs::write(project.join("routing.route"), good.replace("queue junk", "queue junk_mail")).unwrap();
    server.signal("HUP");
    let mut reloaded = serde_json::Value::Null;
    for _ in 0..100 {
        reloaded = server.call("GET", "/v1/status", &[], None).json();
        if reloaded["last_reload"]["ok"] == true {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(reloaded["last_reload"]["ok"], true, "{reloaded}");
    assert_ne!(reloaded["version"], version);
    let junk = r#"{"id":"J1","email":"test@x.io","company":"X","country":"US","region":"NA","state":"NY","employees":5,"annual_revenue":1.0,"industry":"software","source":"web","score":1,"product":"core","is_customer":false,"account_id":null}"#;
    assert_eq!(server.route(junk).json()["queue"], "junk_mail");
}

#[test]
fn the_decision_log_replays_through_route_eval() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let server = acme_server(&dir, &["--decision-log", log.to_str().unwrap()]);
    let leads = acme_leads(60);
    for lead in &leads {
        assert_eq!(server.route(lead).status, 200);
    }
    let text = std::fs::read_to_string(&log).unwrap();
    let entries: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 60);
    let version = server.call("GET", "/v1/status", &[], None).json()["version"].clone();
    assert!(entries.iter().all(|e| e["version"] == version && e["time"].is_string()));
    // `jq -c .lead decisions.jsonl | route eval --leads -` reproduces every decision.
    let logged_leads: Vec<String> = entries.iter().map(|e| e["lead"].to_string()).collect();
    let replayed = acme_eval(&logged_leads, &["--explain"]);
    let logged: Vec<String> = entries.iter().map(|e| e["decision"].to_string()).collect();
    let replayed: Vec<String> =
        replayed.iter().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap().to_string()).collect();
    assert_same_lines(&logged, &replayed);
    assert!(entries
        .iter()
        .zip(&leads)
        .all(|(e, lead)| e["lead_id"] == serde_json::from_str::<serde_json::Value>(lead).unwrap()["id"]));
}

#[test]
fn sigterm_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = acme_server(&dir, &[]);
    assert_eq!(server.route(&acme_leads(1)[0]).status, 200);
    let status = server.terminate().expect("stopped within 30 s");
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_changed_file_is_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("quickstart");
    std::fs::create_dir(&project).unwrap();
    let quickstart = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart/routing.route");
    let text = std::fs::read_to_string(quickstart).unwrap();
    std::fs::write(project.join("routing.route"), &text).unwrap();
    // The embedded state lives in the watched directory: its writes must not reload.
    let server = Server::start(&project, &[]);
    let lead = r#"{"id":"W1","email":"x@uni.edu","region":"NA","employees":40}"#;
    assert_eq!(server.route(lead).json()["queue"], "nurture");
    std::thread::sleep(std::time::Duration::from_millis(800));
    let status = server.call("GET", "/v1/status", &[], None).json();
    assert!(status["last_reload"].is_null(), "{status}");
    std::fs::write(project.join("routing.route"), text.replace("queue nurture", "queue students")).unwrap();
    let mut reloaded = serde_json::Value::Null;
    for _ in 0..100 {
        reloaded = server.call("GET", "/v1/status", &[], None).json();
        if reloaded["version"] != status["version"] {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(reloaded["last_reload"]["ok"], true, "{reloaded}");
    assert_eq!(server.route(&lead.replace("W1", "W2")).json()["queue"], "students");
}

#[test]
fn an_empty_token_file_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "\n").unwrap();
    let output = assert_cmd::Command::cargo_bin("route")
        .unwrap()
        .args(["serve", "--state", "memory", "--listen", "127.0.0.1:0", "--token-file"])
        .arg(&token)
        .arg(acme())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the token file is empty"));
}

#[test]
fn a_batch_with_lone_cr_line_ends_logs_each_lead_beside_its_decision() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let server = acme_server(&dir, &["--decision-log", log.to_str().unwrap()]);
    let leads = acme_leads(12);
    // Old Mac exports end lines with CR alone; a blank line in between.
    let body = leads.join("\r") + "\r\r\n";
    let reply = server.call("POST", "/v1/route/batch", &[("content-type", "application/jsonl")], Some(&body));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body.lines().count(), 12);
    let text = std::fs::read_to_string(&log).unwrap();
    let entries: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 12);
    for (entry, lead) in entries.iter().zip(&leads) {
        assert_eq!(entry["lead"], serde_json::from_str::<serde_json::Value>(lead).unwrap());
        assert_eq!(entry["decision"]["lead"], entry["lead"]["id"]);
    }
}
