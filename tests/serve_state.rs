//! The state side of `route serve`: one compiled project shared by
//! threads, idempotency under concurrent duplicates, `kill -9` and
//! restart, and three instances on one PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

mod serve_support;

use std::sync::Arc;

use route::eval::{Compiled, Decision, Roster, Router, RunState, Staffing};
use serve_support::{acme, acme_leads, assert_same_lines, eval_lines, Server, NOW};

const fn assert_send_sync<T: Send + Sync>() {}
const _: () = assert_send_sync::<Compiled>();
const _: () = assert_send_sync::<Staffing>();
const _: () = assert_send_sync::<Arc<route::serve::project::Loaded>>();

fn acme_compiled() -> (Arc<Compiled>, Arc<Staffing>) {
    let checked = route::check::check_file(&acme().join("routing.route")).unwrap();
    let compiled = Compiled::new(checked.program.unwrap(), checked.sources);
    let roster = Roster::from_json(&std::fs::read_to_string(acme().join("roster.json")).unwrap()).unwrap();
    let staffing = Staffing::for_compiled(&compiled, &roster);
    (Arc::new(compiled), Arc::new(staffing))
}

fn route_all(compiled: &Compiled, staffing: &Staffing, leads: &str) -> Vec<Decision> {
    let now: jiff::Timestamp = NOW.parse().unwrap();
    let mut router = Router::with_state(compiled, staffing, RunState::new(compiled, 0), now);
    let reader =
        route::io::leads(&compiled.program.schema, Box::new(leads.as_bytes()), route::io::InputFormat::Jsonl).unwrap();
    reader
        .map(|record| {
            let id = record.id.clone().unwrap_or_else(|| record.record.to_string());
            match record.lead {
                Ok(lead) => router.route_at(id, &lead, now),
                Err(error) => router.route_invalid_at(id, error, now),
            }
        })
        .collect()
}

#[test]
fn one_compiled_project_routes_on_many_threads() {
    let (compiled, staffing) = acme_compiled();
    let leads = std::fs::read_to_string(acme().join("leads.jsonl")).unwrap();
    let alone = route_all(&compiled, &staffing, &leads);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (compiled, staffing, leads) = (Arc::clone(&compiled), Arc::clone(&staffing), leads.clone());
            std::thread::spawn(move || route_all(&compiled, &staffing, &leads))
        })
        .collect();
    for thread in threads {
        // Each thread's run state is its own: the shared artifact is never written.
        assert_eq!(thread.join().unwrap(), alone);
    }
    assert_eq!(alone.len(), 1200);
}

#[test]
fn eligibility_is_judged_at_each_decisions_instant() {
    let (compiled, staffing) = acme_compiled();
    let lead = r#"{"id":"H1","email":"cto@bigco.com","company":"Bigco","country":"US","region":"NA","state":"CA","employees":500,"annual_revenue":1.0e7,"industry":"software","source":"web","score":50,"product":"core","is_customer":false,"account_id":null}"#;
    let record = route::io::single_lead(&compiled.program.schema, lead);
    let lead = record.lead.unwrap();
    let morning: jiff::Timestamp = "2026-11-25T17:00:00Z".parse().unwrap();
    let night: jiff::Timestamp = "2026-11-25T09:00:00Z".parse().unwrap();
    // One router, two instants: the west-coast rep works at 09:00 PST
    // (17:00 UTC) and not at 01:00 PST (09:00 UTC).
    let mut router = Router::with_state(&compiled, &staffing, RunState::new(&compiled, 0), morning);
    router.explain_distribution(true);
    let at_night = router.route_at("H1".into(), &lead, night);
    let in_the_morning = router.route_at("H2".into(), &lead, morning);
    let skipped = |d: &Decision| {
        d.distribution.iter().flatten().flat_map(|s| s.skipped.iter().map(|k| k.reason)).collect::<Vec<_>>()
    };
    assert!(skipped(&at_night).contains(&"outside_hours"), "{at_night:?}");
    assert!(!skipped(&in_the_morning).contains(&"outside_hours"), "{in_the_morning:?}");
}

/// A project with a round-robin team and a weighted one.
fn rotation_project(dir: &std::path::Path) -> std::path::PathBuf {
    let project = dir.join("rotation");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("routing.route"),
        r#"schema lead {
  id: string
  region: "EMEA" | "NA"
}

team emea = ["ana@x.io", "ben@x.io", "chloe@x.io"]
team na = ["dan@x.io" weight 3, "eve@x.io" weight 2, "fay@x.io"]

emea: when region == "EMEA" -> team emea via round_robin
na: when region == "NA" -> team na via weighted
"#,
    )
    .unwrap();
    project
}

fn rotation_lead(i: usize) -> String {
    let region = if i.is_multiple_of(3) { "NA" } else { "EMEA" };
    format!(r#"{{"id":"L{i:05}","region":"{region}"}}"#)
}

#[test]
fn concurrent_duplicates_are_assigned_once() {
    let dir = tempfile::tempdir().unwrap();
    let project = rotation_project(dir.path());
    let state = dir.path().join("state.sqlite");
    let server = Arc::new(Server::start(&project, &["--state", state.to_str().unwrap()]));
    let lead = r#"{"id":"DUP1","region":"EMEA"}"#;
    let replies: Vec<String> = (0..32)
        .map(|_| {
            let server = Arc::clone(&server);
            std::thread::spawn(move || server.route(lead).body)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert!(replies.iter().all(|r| r == &replies[0]), "{replies:?}");
    assert!(replies[0].contains(r#""assignee":"ana@x.io""#), "{}", replies[0]);
    // The rotation moved once: the next lead goes to the second member.
    let next = server.route(r#"{"id":"NEXT","region":"EMEA"}"#).json();
    assert_eq!(next["assignee"], "ben@x.io");
    // An Idempotency-Key stands for the lead id.
    let keyed = |id: &str| {
        let body = format!(r#"{{"id":"{id}","region":"EMEA"}}"#);
        let headers = [("content-type", "application/json"), ("idempotency-key", "webhook-77")];
        server.call("POST", "/v1/route", &headers, Some(&body)).json()
    };
    let first = keyed("K1");
    assert_eq!(keyed("K2"), first);
    assert_eq!(first["assignee"], "chloe@x.io");
    assert_eq!(server.route(r#"{"id":"AFTER","region":"EMEA"}"#).json()["assignee"], "ana@x.io");
}

#[test]
fn an_expired_idempotency_record_routes_again() {
    let dir = tempfile::tempdir().unwrap();
    let project = rotation_project(dir.path());
    let server = Server::start(&project, &["--state", "memory", "--idempotency-retention", "0"]);
    let lead = r#"{"id":"AGAIN","region":"EMEA"}"#;
    let first = server.route(lead).json();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let second = server.route(lead).json();
    assert_eq!((first["assignee"].as_str(), second["assignee"].as_str()), (Some("ana@x.io"), Some("ben@x.io")));
}

#[test]
fn kill_9_and_restart_resume_exactly_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let roster = acme().join("roster.json");
    let args = ["--state", state.to_str().unwrap(), "--roster", roster.to_str().unwrap(), "--now", NOW];
    let leads = acme_leads(400);
    let mut served = Vec::new();
    let mut server = Server::start(&acme(), &args);
    for lead in leads.iter().take(200) {
        served.push(server.route(lead).body.trim_end().to_string());
    }
    server.kill();
    let server = Server::start(&acme(), &args);
    // A retry of a lead sent before the crash is answered from the record.
    assert_eq!(server.route(&leads[150]).body.trim_end(), served[150]);
    for lead in leads.iter().skip(200) {
        served.push(server.route(lead).body.trim_end().to_string());
    }
    let uninterrupted =
        eval_lines(&acme(), &["--roster", roster.to_str().unwrap(), "--now", NOW], &(leads.join("\n") + "\n"));
    assert_same_lines(&served, &uninterrupted);
}

/// Answers given while many requests share each commit (the embedded
/// store's group commit) are durable: after `kill -9` every lead sent
/// again is answered from its record, and the rotation resumes after the
/// last lead answered.
#[test]
fn every_answer_given_under_concurrent_load_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let project = rotation_project(dir.path());
    let state = dir.path().join("state.sqlite");
    let args = ["--state", state.to_str().unwrap(), "--threads", "2"];
    let shared = Arc::new(Server::start(&project, &args));
    let answered: Vec<(String, String)> = (0..12)
        .map(|t| {
            let server = Arc::clone(&shared);
            std::thread::spawn(move || {
                (0..25)
                    .map(|i| {
                        let lead = format!(r#"{{"id":"C{t:02}-{i:02}","region":"EMEA"}}"#);
                        let body = server.route(&lead).body;
                        (lead, body)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let mut crashed = Arc::into_inner(shared).unwrap();
    crashed.kill();
    let restarted = Server::start(&project, &args);
    for (lead, body) in &answered {
        assert_eq!(&restarted.route(lead).body, body, "{lead} was answered but not kept");
    }
    // 300 leads went round three members: the next is the first member again.
    let next = restarted.route(r#"{"id":"NEXT","region":"EMEA"}"#).json();
    assert_eq!(next["assignee"], "ana@x.io");
}

/// The PostgreSQL URL of the tests, or `None` (skipped) when it is not
/// set, unless `ROUTE_REQUIRE_POSTGRES=1` (CI) makes that a failure. Each
/// test gets a database of its own.
fn postgres_database(name: &str) -> Option<String> {
    let Ok(url) = std::env::var("ROUTE_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("ROUTE_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "ROUTE_REQUIRE_POSTGRES=1 but ROUTE_TEST_POSTGRES_URL is not set (run scripts/ci-postgres.sh)"
        );
        eprintln!("skipped: ROUTE_TEST_POSTGRES_URL is not set (scripts/ci-postgres.sh starts a server)");
        return None;
    };
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect to PostgreSQL");
    let db = format!("{name}_{}", std::process::id());
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).unwrap();
    client.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    Some(format!("{base}/{db}"))
}

#[test]
fn three_instances_on_postgres_keep_rotations_exact() {
    let Some(url) = postgres_database("route_three") else { return };
    let dir = tempfile::tempdir().unwrap();
    let project = rotation_project(dir.path());
    let servers: Vec<Arc<Server>> = (0..3).map(|_| Arc::new(Server::start(&project, &["--state", &url]))).collect();
    let n = 2400;
    let leads: Arc<Vec<String>> = Arc::new((0..n).map(rotation_lead).collect());
    // 24 clients; every lead is sent twice, to two different instances.
    let clients: Vec<_> = (0..24)
        .map(|c| {
            let (servers, leads) = (servers.clone(), Arc::clone(&leads));
            std::thread::spawn(move || {
                let mut replies = Vec::new();
                for i in (c..2 * n).step_by(24) {
                    let lead = &leads[i % n];
                    let reply = servers[i % 3].route(lead);
                    assert_eq!(reply.status, 200, "{}", reply.body);
                    replies.push((i % n, reply.body));
                }
                replies
            })
        })
        .collect();
    let mut by_lead: Vec<Vec<String>> = vec![Vec::new(); n];
    for client in clients {
        for (i, body) in client.join().unwrap() {
            by_lead[i].push(body);
        }
    }
    // Both copies of a lead got the same decision: assigned once.
    assert!(by_lead.iter().all(|r| r.len() == 2 && r[0] == r[1]));
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for replies in &by_lead {
        let decision: serde_json::Value = serde_json::from_str(&replies[0]).unwrap();
        assert!(decision["assignee"].is_string(), "{decision}");
        *counts.entry(decision["assignee"].as_str().unwrap().to_string()).or_default() += 1;
    }
    let single = eval_lines(&project, &[], &(leads.join("\n") + "\n"));
    let mut expected = std::collections::BTreeMap::<String, usize>::new();
    for line in &single {
        let decision: serde_json::Value = serde_json::from_str(line).unwrap();
        *expected.entry(decision["assignee"].as_str().unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(counts, expected);
    insta::assert_debug_snapshot!(counts);
}

#[test]
fn daily_caps_hold_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("capped");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("routing.route"),
        "schema lead { id: string }\nteam desk = [\"ana@x.io\", \"ben@x.io\"]\notherwise -> team desk else fallback queue overflow\n",
    )
    .unwrap();
    let roster = dir.path().join("roster.json");
    std::fs::write(&roster, r#"{"members": {"ana@x.io": {"max_per_day": 2}, "ben@x.io": {"max_per_day": 1}}}"#)
        .unwrap();
    let state = dir.path().join("state.sqlite");
    let args = ["--state", state.to_str().unwrap(), "--roster", roster.to_str().unwrap(), "--now", NOW];
    let taker = |reply: serde_json::Value| reply["assignee"].as_str().or(reply["queue"].as_str()).unwrap().to_string();
    let mut server = Server::start(&project, &args);
    let before: Vec<String> =
        ["C1", "C2"].iter().map(|id| taker(server.route(&format!(r#"{{"id":"{id}"}}"#)).json())).collect();
    server.kill();
    let server = Server::start(&project, &args);
    let after: Vec<String> =
        ["C3", "C4"].iter().map(|id| taker(server.route(&format!(r#"{{"id":"{id}"}}"#)).json())).collect();
    // ana has one lead left today, ben none: the fourth lead overflows.
    assert_eq!([before, after].concat(), ["ana@x.io", "ben@x.io", "ana@x.io", "overflow"]);
}

#[test]
fn a_database_made_before_caps_gains_the_column_and_keeps_its_rows() {
    use route::store::Store as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let old = rusqlite::Connection::open(&path).unwrap();
    old.execute_batch(
        "CREATE TABLE route_reps (id TEXT PRIMARY KEY, assigned BIGINT NOT NULL, basis BIGINT NOT NULL);
         INSERT INTO route_reps VALUES ('ana@x.io', 4, 1);",
    )
    .unwrap();
    drop(old);
    let store = route::store::SqliteStore::open(&path).unwrap();
    let saved = store.snapshot().unwrap();
    let ana = &saved.reps["ana@x.io"];
    assert_eq!((ana.assigned, ana.open_leads_basis, ana.caps.is_empty()), (4, 1, true));
    // Opening it again finds the column there.
    drop(store);
    assert!(route::store::SqliteStore::open(&path).is_ok());
}
