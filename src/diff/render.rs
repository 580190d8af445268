//! The report printed: `human` (the default), `markdown` (a pull-request
//! comment: headings, tables, examples folded in `<details>`), `json` (the
//! [`Report`] serialised; the shape is documented in `docs/diff.md`).

use std::fmt::Write as _;

use super::identity::{RuleChange, RuleChangeKind};
use super::prove::Open;
use super::replay::{Measured, Sample};
use super::{Report, Verdict};

/// `1204` as `1,204`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn rule_name(name: Option<&str>) -> String {
    name.map_or_else(|| "(no rule)".to_string(), |n| format!("`{n}`"))
}

/// The verdict in one sentence.
fn verdict_line(report: &Report) -> String {
    let scope = if report.schema.is_empty() { "every valid lead" } else { "every lead valid under both versions" };
    match report.verdict {
        Verdict::Equivalent => format!("equivalent: {scope} reaches the same destination (proven)"),
        Verdict::Changed => {
            let n = report.regions.len();
            let open = match undecided(report) {
                0 => String::new(),
                n => format!("; {n} more pair(s) not proven"),
            };
            let (regions, verb) = if n == 1 { ("region", "changes") } else { ("regions", "change") };
            format!("changed: {n} {regions} of lead space {verb} destination{open}")
        }
        Verdict::NotProven => format!(
            "not proven: no lead was found that changes destination, but {} pair(s) of rules could not be decided",
            undecided(report)
        ),
    }
}

/// Regions and undecided pairs printed at most; `--format json` has all.
const SHOWN: usize = 50;

const REGIONS_MORE: &str = "regions (`--format json` lists them all)";
const UNDECIDED_MORE: &str = "undecided pairs (`--format json` lists 200 of them)";

/// "… and N more" after a list cut at [`SHOWN`].
fn more(out: &mut String, lead: &str, total: usize, what: &str) {
    if total > SHOWN {
        let _ = writeln!(out, "{lead}… and {} more {what}", total - SHOWN);
    }
}

/// Pairs not decided, listed or not.
fn undecided(report: &Report) -> usize {
    report.not_proven.len() + report.pairs.unlisted
}

fn rule_line(change: &RuleChange) -> String {
    let at =
        |r: &Option<super::RuleRef>| r.as_ref().map_or_else(String::new, |r| format!("`{}` (line {})", r.name, r.line));
    let moved = if change.moved && change.kind != RuleChangeKind::Moved { ", moved" } else { "" };
    match change.kind {
        RuleChangeKind::Renamed => format!("renamed {} → {}{moved}", at(&change.old), at(&change.new)),
        RuleChangeKind::Changed => {
            format!("changed {} → line {}{moved}", at(&change.old), change.new.as_ref().map_or(0, |r| r.line))
        }
        RuleChangeKind::Moved => {
            format!("moved {} → line {}", at(&change.old), change.new.as_ref().map_or(0, |r| r.line))
        }
        RuleChangeKind::Added => format!("added {}", at(&change.new)),
        RuleChangeKind::Removed => format!("removed {}", at(&change.old)),
    }
}

fn sample(s: &Sample) -> String {
    if s.leads.is_empty() {
        return String::new();
    }
    let more = if s.count > s.leads.len() as u64 { ", …" } else { "" };
    format!(" ({}{more})", s.leads.join(", "))
}

/// "`old rule` → `new rule`" of a region.
fn pair(region: &super::Region) -> String {
    format!("{} → {}", rule_name(region.old_rule.as_deref()), rule_name(region.new_rule.as_deref()))
}

fn open_line(open: &Open) -> String {
    format!("{} → {}: {}", rule_name(open.old_rule.as_deref()), rule_name(open.new_rule.as_deref()), open.reason)
}

/// The human report.
pub fn human(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "route diff {} → {}", report.old, report.new);
    if !report.schema.is_empty() {
        let _ = writeln!(out, "\nschema changes ({}):", report.schema.len());
        for c in &report.schema {
            let _ = writeln!(out, "  {}: {}", c.change, c.effect);
        }
    }
    if let Some((a, b)) = &report.on_invalid {
        let _ = writeln!(out, "\non_invalid: {a} → {b}");
    }
    if !report.rules.is_empty() {
        let _ = writeln!(out, "\nrules ({}):", report.rules.len());
        for c in &report.rules {
            let _ = writeln!(out, "  {}", rule_line(c));
            if let Some(before) = &c.before {
                let _ = writeln!(out, "    - {before}");
            }
            if let Some(after) = &c.after {
                let _ = writeln!(out, "    + {after}");
            }
        }
    }
    let _ = writeln!(out, "\n{}", verdict_line(report));
    for r in report.regions.iter().take(SHOWN) {
        let _ = writeln!(out, "  {}: {} → {}\n    example: {}", pair(r), r.old_target, r.new_target, r.example);
    }
    more(&mut out, "  ", report.regions.len(), REGIONS_MORE);
    for o in report.not_proven.iter().take(SHOWN) {
        let _ = writeln!(out, "  not proven: {}", open_line(o));
    }
    more(&mut out, "  ", undecided(report), UNDECIDED_MORE);
    if let Some(m) = &report.measured {
        human_measured(&mut out, m);
    }
    out
}

fn human_measured(out: &mut String, m: &Measured) {
    let _ = writeln!(out, "\nmeasured: {} of {} leads change destination", thousands(m.changed), thousands(m.leads));
    for t in &m.transitions {
        let _ = writeln!(
            out,
            "  {} → {}: {} ({}) e.g. {}",
            t.from,
            t.to,
            thousands(t.count),
            percent(t.share),
            t.leads.join(", ")
        );
    }
    validity_and_assignees(out, m, " ");
}

/// The lines on validity and assignees, each after `bullet`.
fn validity_and_assignees(out: &mut String, m: &Measured, bullet: &str) {
    for (leads, what) in [(&m.became_invalid, "invalid"), (&m.became_valid, "valid")] {
        if leads.count > 0 {
            let _ = writeln!(out, "{bullet} {} lead(s) become {what}{}", thousands(leads.count), sample(leads));
        }
    }
    if let Some(a) = &m.assignees {
        let _ = writeln!(
            out,
            "{bullet} {} assignee(s) change: {} moved by the rule change{}, {} rotation shifted{}",
            thousands(a.changed),
            thousands(a.moved.count),
            sample(&a.moved),
            thousands(a.rotation_shifted.count),
            sample(&a.rotation_shifted)
        );
    }
}

/// Escapes a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown report (a pull-request comment).
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## route diff: `{}` → `{}`\n", report.old, report.new);
    let _ = writeln!(out, "**{}**\n", cell(&verdict_line(report)));
    if !report.schema.is_empty() {
        let _ = writeln!(out, "### Schema changes\n\n| change | effect on existing leads |\n|---|---|");
        for c in &report.schema {
            let _ = writeln!(out, "| {} | {} |", cell(&c.change), cell(&c.effect));
        }
        out.push('\n');
    }
    if let Some((a, b)) = &report.on_invalid {
        let _ = writeln!(out, "`on_invalid`: {} → {}\n", cell(a), cell(b));
    }
    if !report.regions.is_empty() {
        let _ = writeln!(
            out,
            "### Leads that change destination\n\n| old rule | new rule | old target | new target |\n|---|---|---|---|"
        );
        for r in report.regions.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&rule_name(r.old_rule.as_deref())),
                cell(&rule_name(r.new_rule.as_deref())),
                cell(&r.old_target),
                cell(&r.new_target)
            );
        }
        more(&mut out, "\n", report.regions.len(), REGIONS_MORE);
        let _ = writeln!(out, "\n<details><summary>Example leads (verified under both versions)</summary>\n");
        for r in report.regions.iter().take(SHOWN) {
            let _ = writeln!(out, "{}:\n\n```json\n{}\n```\n", pair(r), r.example);
        }
        let _ = writeln!(out, "</details>\n");
    }
    if !report.not_proven.is_empty() {
        let _ = writeln!(out, "### Not proven\n");
        for o in report.not_proven.iter().take(SHOWN) {
            let _ = writeln!(out, "- {}", cell(&open_line(o)));
        }
        more(&mut out, "- ", undecided(report), UNDECIDED_MORE);
        out.push('\n');
    }
    if !report.rules.is_empty() {
        let _ = writeln!(out, "### Rules\n\n| change | before | after |\n|---|---|---|");
        for c in &report.rules {
            let code = |t: &Option<String>| t.as_ref().map_or_else(String::new, |t| format!("`{}`", cell(t)));
            let _ = writeln!(out, "| {} | {} | {} |", cell(&rule_line(c)), code(&c.before), code(&c.after));
        }
        out.push('\n');
    }
    if let Some(m) = &report.measured {
        markdown_measured(&mut out, m);
    }
    out
}

fn markdown_measured(out: &mut String, m: &Measured) {
    let _ = writeln!(
        out,
        "### Measured on {} leads\n\n{} of {} leads change destination.\n",
        thousands(m.leads),
        thousands(m.changed),
        thousands(m.leads)
    );
    if !m.transitions.is_empty() {
        let _ = writeln!(out, "| from | to | leads | share | examples |\n|---|---|---:|---:|---|");
        for t in &m.transitions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&t.from),
                cell(&t.to),
                thousands(t.count),
                percent(t.share),
                cell(&t.leads.join(", "))
            );
        }
        out.push('\n');
    }
    validity_and_assignees(out, m, "-");
}

/// The JSON report.
///
/// # Errors
/// Never in practice (the report is plain data).
pub fn json(report: &Report) -> serde_json::Result<String> {
    serde_json::to_string_pretty(report).map(|s| s + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Pairs, Region};

    fn report(regions: usize) -> Report {
        let region = |k: usize| Region {
            old_rule: Some(format!("r{k}")),
            new_rule: None,
            old_target: "queue a".into(),
            new_target: super::super::prove::UNMATCHED.into(),
            example: serde_json::json!({"id": k}),
        };
        Report {
            old: "old".into(),
            new: "new".into(),
            verdict: Verdict::Changed,
            schema: vec![],
            rules: vec![],
            regions: (0..regions).map(region).collect(),
            not_proven: vec![],
            pairs: Pairs { candidates: regions, searched: regions, unsearched: 0, unlisted: 0 },
            on_invalid: None,
            measured: None,
        }
    }

    #[test]
    fn long_lists_are_cut_and_counted() {
        let text = human(&report(SHOWN + 7));
        assert!(text.contains("`r49` → (no rule)"));
        assert!(!text.contains("`r50`"));
        assert!(text.contains("… and 7 more regions (`--format json` lists them all)"));
        let text = markdown(&report(SHOWN));
        assert!(!text.contains("more regions"));
        assert!(text.contains("| `r49` | (no rule) | queue a | no rule: queue unassigned |"));
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_204), "1,204");
        assert_eq!(thousands(98_311_000), "98,311,000");
    }
}
