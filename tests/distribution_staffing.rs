//! Static distribution checks (`route::analysis::staffing::check_roster`):
//! every W02xx code has a fixture under
//! `tests/fixtures/distribution/staffing/CODE_name/` (a `routing.route` and
//! a `roster.json`) whose source and rendered warnings are snapshotted
//! together. The analysis runs from a fixed date, so the daylight-saving
//! weeks it names are those of 2026.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests may fail loudly")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use route::analysis::staffing::{check_caps, check_roster, check_roster_at};
use route::diagnostics::{human, Code, Diagnostics, Severity};
use route::eval::Roster;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> Vec<PathBuf> {
    let dir = root().join("tests/fixtures/distribution/staffing");
    let mut out: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    out.sort();
    out
}

fn from() -> jiff::Timestamp {
    "2026-01-05T00:00:00Z".parse().unwrap()
}

/// Checks a fixture: (rendered sources + roster + warnings, the warnings).
fn run(dir: &Path) -> (String, Diagnostics) {
    let entry = dir.join("routing.route");
    let relative = entry.strip_prefix(root()).unwrap();
    let checked =
        route::check::check_source(&relative.display().to_string(), &entry, std::fs::read_to_string(&entry).unwrap());
    let program = checked.program.as_ref().unwrap_or_else(|| panic!("{} does not check", entry.display()));
    let roster_text = std::fs::read_to_string(dir.join("roster.json")).unwrap();
    let roster = Roster::from_json(&roster_text).unwrap();
    let mut diagnostics = check_roster_at(program, &roster, &checked.sources, from());
    // `route check --expected-per-day N`: a fixture gives N in a file.
    if let Ok(volume) = std::fs::read_to_string(dir.join("expected-per-day")) {
        diagnostics.extend(check_caps(program, &roster, volume.trim().parse().unwrap()));
        diagnostics.sort();
    }
    let rendered = human::render_to_string(&checked.sources, &diagnostics);
    let out = format!(
        "--- {}\n{}\n--- roster.json\n{}\n--- diagnostics\n{rendered}",
        relative.display(),
        std::fs::read_to_string(&entry).unwrap().trim_end(),
        roster_text.trim_end()
    );
    (out, diagnostics)
}

fn name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn staffing_fixtures() {
    for dir in fixtures() {
        let (rendered, _) = run(&dir);
        insta::with_settings!({ snapshot_suffix => name(&dir), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("staffing", rendered);
        });
    }
}

#[test]
fn every_staffing_code_has_a_fixture_that_emits_it() {
    let mut emitted = BTreeSet::new();
    for dir in fixtures() {
        let name = name(&dir);
        let (_, diagnostics) = run(&dir);
        let codes: BTreeSet<&str> = diagnostics.0.iter().map(|d| d.code.as_str()).collect();
        assert!(codes.contains(&name[..5]), "fixture {name} does not emit {}; it emits {codes:?}", &name[..5]);
        for d in &diagnostics.0 {
            assert_eq!(d.severity, Severity::Warning, "{name}: {}", d.message);
            assert!(d.labels.iter().any(|l| l.primary), "{name}: {} has no primary label", d.code.as_str());
            assert!(!d.message.ends_with('.'), "messages have no final period: {}", d.message);
        }
        emitted.extend(codes.into_iter().map(str::to_string));
    }
    let staffing = [
        Code::NoAvailableMember,
        Code::UnstaffedHours,
        Code::IdleWeight,
        Code::UnusedRosterMember,
        Code::CapsBelowVolume,
    ];
    for code in staffing {
        assert!(emitted.contains(code.as_str()), "{} has no fixture", code.as_str());
    }
}

#[test]
fn a_well_staffed_project_gets_no_warnings() {
    // The quickstart with no roster: everyone is always eligible.
    let checked = route::check::check_file(&root().join("examples/quickstart/routing.route")).unwrap();
    let program = checked.program.unwrap();
    let diagnostics = check_roster(&program, &Roster::default(), &checked.sources);
    assert!(diagnostics.is_empty(), "{:?}", diagnostics.0);
}

#[test]
fn a_fallback_that_always_takes_leads_silences_unstaffed_hours() {
    let source = r#"
schema lead { id: string }
team day = ["ana@acme.io"]
otherwise -> team day else fallback queue after_hours
"#;
    let roster = Roster::from_json(r#"{"members": {"ana@acme.io": {"hours": "Mon-Fri 09:00-17:00"}}}"#).unwrap();
    let checked = route::check::check_source("t.route", &root().join("t.route"), source.to_string());
    let program = checked.program.unwrap();
    assert!(check_roster_at(&program, &roster, &checked.sources, from()).is_empty());

    let without = source.replace(" else fallback queue after_hours", "");
    let checked = route::check::check_source("t.route", &root().join("t.route"), without);
    let program = checked.program.unwrap();
    let diagnostics = check_roster_at(&program, &roster, &checked.sources, from());
    let messages: Vec<&str> = diagnostics.0.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["team `day` has nobody working Mon-Fri 00:00-09:00,17:00-24:00; Sat-Sun 00:00-24:00 (UTC)"]);
}

#[test]
fn shifts_that_cover_every_weekday_hour_leave_only_the_weekend() {
    // Three eight-hour shifts cover every weekday hour; the rules cannot
    // know when a lead arrives, so the weekend is still unstaffed.
    let source = r#"
schema lead { id: string  weekend: bool }
team sun = ["syd@acme.io", "ber@acme.io", "nyc@acme.io"]
when weekend -> queue weekend
otherwise -> team sun
"#;
    let roster = Roster::from_json(
        r#"{"members": {
            "syd@acme.io": {"timezone": "UTC", "hours": "Mon-Fri 00:00-08:00"},
            "ber@acme.io": {"timezone": "UTC", "hours": "Mon-Fri 08:00-16:00"},
            "nyc@acme.io": {"timezone": "UTC", "hours": "Mon-Fri 16:00-24:00"}
        }}"#,
    )
    .unwrap();
    let checked = route::check::check_source("t.route", &root().join("t.route"), source.to_string());
    let program = checked.program.unwrap();
    let diagnostics = check_roster_at(&program, &roster, &checked.sources, from());
    let messages: Vec<&str> = diagnostics.0.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["team `sun` has nobody working Sat-Sun 00:00-24:00 (UTC)"]);
}

#[test]
fn the_message_holds_every_week_and_the_seasons_are_notes() {
    // Sydney and London are 11 hours apart in January, 9 in July and 10 in
    // the weeks between their daylight-saving changes.
    let source = "schema lead { id: string }\nteam sun = [\"syd@x.io\", \"lon@x.io\"]\notherwise -> team sun\n";
    let roster = Roster::from_json(
        r#"{"members": {
            "syd@x.io": {"timezone": "Australia/Sydney", "hours": "Mon-Fri 08:00-20:00"},
            "lon@x.io": {"timezone": "Europe/London", "hours": "Mon-Fri 08:00-20:00"}}}"#,
    )
    .unwrap();
    let checked = route::check::check_source("t.route", &root().join("t.route"), source.to_string());
    let program = checked.program.unwrap();
    let diagnostics = check_roster_at(&program, &roster, &checked.sources, from());
    let [d] = diagnostics.0.as_slice() else { panic!("{:?}", diagnostics.0) };
    assert_eq!(
        d.message,
        "team `sun` has nobody working Mon 00:00-08:00; Tue-Fri 07:00-08:00; Sat 07:00-24:00; Sun 00:00-24:00 (Australia/Sydney)"
    );
    let seasons: Vec<&str> = d.notes.iter().filter(|n| n.starts_with("in the week")).map(String::as_str).collect();
    assert_eq!(
        seasons,
        [
            "in the week of 2026-03-30 (time zones change clocks on different dates), also nobody works Tue-Sat 06:00-07:00 (Australia/Sydney)",
            "in the weeks of 2026-04-06 to 2026-09-28 (time zones change clocks on different dates), also nobody works Tue-Sat 05:00-07:00 (Australia/Sydney)",
            "in the weeks of 2026-10-05 to 2026-10-19 (time zones change clocks on different dates), also nobody works Tue-Sat 06:00-07:00 (Australia/Sydney)",
        ]
    );
}
