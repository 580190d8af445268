//! Static distribution checks against a roster (`route check --roster
//! FILE`): can the teams the rules send leads to actually take them?
//!
//! Accepts a checked [`Program`] and a validated [`Roster`]; gives warnings
//! only (the project still routes: a lead nobody can take goes to `queue
//! unassigned`, LANGUAGE.md §6). Roster facts have no place in the `.route`
//! files, so each warning's primary label is the team's declaration (or
//! the closest thing), and the roster paths and hours are in its notes.
//!
//! - **W0201** every member of a team the rules use is `available: false`
//!   or already at capacity: it never takes a lead. (A team declared with
//!   no members is the checker's W0106, with or without a roster.)
//! - **W0202** a team has nobody working at some hours of the week, and the
//!   rules that send leads to it have no fallback working then either: a
//!   lead arriving then goes to `queue unassigned`. The hours are given in
//!   the zone most of the team's members work in.
//! - **W0203** "zero weights": weights of 0 are refused in the rules
//!   (E0304), so a weight can only be zero in effect, when the roster keeps
//!   a member of a `weighted` team from ever taking a lead; the others then
//!   share its part.
//! - **W0204** a roster member no team, `rep` target or lookup names (with
//!   "did you mean" for a misspelt id).
//!
//! Only what holds every week is judged: `available`, `capacity` against
//! `open_leads`, `timezone` and `hours`. Dated absences (`out_of_office`,
//! `paused_until`) are left to `route eval`.
//!
//! Working hours are wall-clock times in each member's zone, and zones
//! change their offsets on different dates, so coverage is computed on the
//! real timeline: every member's working intervals for 52 weeks from the
//! analysis date are turned into instants (with the zone's daylight-saving
//! rules), united per team and per rule chain, and the uncovered instants
//! are read back as wall-clock hours of the reporting zone, week by week.
//! The hours uncovered in every week are the warning's message; weeks with
//! more (when the members' zones are closer or further apart than usual,
//! because they change their clocks on different dates) are listed in
//! notes, consecutive weeks with the same hours together.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::check::program::{Action, Member, Program, RuleInfo, Strategy, Target, Team};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::eval::hours::format_week;
use crate::eval::roster::{MemberStatus, Roster};
use crate::source::{SourceMap, Span};

/// Weeks analysed (from the week of the analysis date).
const WEEKS: i64 = 52;
const MINUTES_PER_WEEK: i64 = 7 * 24 * 60;
/// Members described one by one in a warning's notes, at most.
const MEMBER_NOTES: usize = 10;

/// Checks the program's teams against a roster, for the year from now.
pub fn check_roster(program: &Program, roster: &Roster, sources: &SourceMap) -> Diagnostics {
    check_roster_at(program, roster, sources, Timestamp::now())
}

/// Checks the program's teams against a roster, for the 52 weeks from the
/// week of `from` (which dates the daylight-saving weeks in the notes).
pub fn check_roster_at(program: &Program, roster: &Roster, _sources: &SourceMap, from: Timestamp) -> Diagnostics {
    let analysis = Analysis::new(program, roster, from);
    let mut diagnostics = Diagnostics::default();
    let used = analysis.used_teams();
    for (t, team) in program.teams.iter().enumerate() {
        // A team with no members is the checker's W0106, roster or not.
        if !used.contains_key(&t) || team.members.is_empty() {
            continue;
        }
        if let Some(d) = analysis.nobody_available(team) {
            diagnostics.push(d);
            continue;
        }
        if let Some(d) = analysis.unstaffed_hours(t, team) {
            diagnostics.push(d);
        }
        if used.get(&t).is_some_and(|strategies| strategies.contains(&Strategy::Weighted)) {
            diagnostics.0.extend(analysis.idle_weights(team));
        }
    }
    diagnostics.0.extend(analysis.unused_roster_members());
    diagnostics.sort();
    diagnostics
}

/// W0621: the teams whose caps over time (`max_per_day`, `max_per_week`)
/// cannot absorb `per_day` leads a day, or `7 × per_day` a week. Every
/// team some rule sends leads to (a target, a fallback, a split's arm, a
/// second owner) is assumed to receive all `per_day`: route does not
/// apportion the volume across rules, which would need the leads'
/// distribution. A member who never takes leads counts 0; a member without
/// a cap makes the team's capacity for that period unbounded.
pub fn check_caps(program: &Program, roster: &Roster, per_day: u64) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    let used = used_teams(program);
    for (t, team) in program.teams.iter().enumerate() {
        if !used.contains_key(&t) || team.members.is_empty() {
            continue;
        }
        let caps = |cap: &dyn Fn(&MemberStatus) -> Option<u64>| -> Option<u64> {
            team.members.iter().try_fold(0u64, |sum, m| {
                let status = roster.status(&m.id);
                let own = if never(&m.id, status).is_some() { Some(0) } else { status.and_then(cap) };
                Some(sum.saturating_add(own?))
            })
        };
        let daily = caps(&|s| s.max_per_day);
        let weekly = caps(&|s| match (s.max_per_day, s.max_per_week) {
            (Some(day), Some(week)) => Some(week.min(day.saturating_mul(7))),
            (day, week) => week.or(day.map(|d| d.saturating_mul(7))),
        });
        let (message, label) = match (daily, weekly) {
            (Some(day), _) if day < per_day => (
                format!("team `{}` can take {day} leads a day under its caps, fewer than the {per_day} expected", team.name),
                format!("its members' `max_per_day` add up to {day}"),
            ),
            (_, Some(week)) if week < per_day.saturating_mul(7) => (
                format!(
                    "team `{}` can take {week} leads a week under its caps, fewer than the {} expected ({per_day} a day)",
                    team.name,
                    per_day.saturating_mul(7)
                ),
                format!("its members' `max_per_week` add up to {week}"),
            ),
            _ => continue,
        };
        diagnostics.push(
            Diagnostic::new(Code::CapsBelowVolume, team.span, message)
                .label(label)
                .note(format!(
                    "`--expected-per-day {per_day}` is assumed to reach each team in full; a lead past the caps goes \
                 to the rule's fallbacks, else to `queue unassigned`"
                ))
                .help("raise `max_per_day` / `max_per_week` in the roster, add members, or give the rules a fallback"),
        );
    }
    diagnostics
}

/// Half-open intervals of seconds since the epoch, sorted and disjoint.
type Intervals = Vec<(i64, i64)>;

/// Half-open wall-clock minute-of-week ranges (Monday 00:00 = 0), sorted.
type Minutes = Vec<(u32, u32)>;

struct Analysis<'a> {
    program: &'a Program,
    roster: &'a Roster,
    /// The analysed stretch of time, with a margin on both sides.
    window: (i64, i64),
    /// Monday 00:00 UTC of the first week analysed.
    first_monday: Date,
    /// Per team: when someone in it can take leads.
    teams: Vec<Intervals>,
}

/// Why a member never takes a lead, as a note.
fn never(rep: &str, status: Option<&MemberStatus>) -> Option<String> {
    let status = status?;
    if !status.available {
        return Some(format!("members.{rep:?}.available is false"));
    }
    match status.capacity {
        Some(capacity) if status.open_leads >= capacity => {
            Some(format!("members.{rep:?}: {} open leads, capacity {capacity}: at capacity", status.open_leads))
        }
        _ => None,
    }
}

impl<'a> Analysis<'a> {
    fn new(program: &'a Program, roster: &'a Roster, from: Timestamp) -> Analysis<'a> {
        let today = from.to_zoned(TimeZone::UTC).date();
        let back = i64::from(today.weekday().to_monday_zero_offset());
        let first_monday = today.checked_sub(back.days()).unwrap_or(today);
        let start = midnight(first_monday, &TimeZone::UTC);
        // Two days of margin each side: every zone's Monday midnight of the
        // weeks analysed lies inside the window.
        let window = (start - 2 * 86_400, start + WEEKS * 7 * 86_400 + 2 * 86_400);
        let mut analysis = Analysis { program, roster, window, first_monday, teams: Vec::new() };
        analysis.teams = program.teams.iter().map(|team| analysis.team_coverage(team)).collect();
        analysis
    }

    /// Teams some action names, with the strategies it is named with.
    fn used_teams(&self) -> BTreeMap<usize, Vec<Strategy>> {
        used_teams(self.program)
    }

    /// When a rep can take leads, on the timeline.
    fn rep_coverage(&self, rep: &str) -> Intervals {
        let status = self.roster.status(rep);
        if never(rep, status).is_some() {
            return Vec::new();
        }
        let Some(hours) = status.and_then(|s| s.hours.as_ref()) else {
            return vec![self.window];
        };
        let zone = status.map_or(TimeZone::UTC, |s| s.timezone.clone());
        let mut intervals = Vec::new();
        // Local weeks from one before the window's first to one after its last.
        for week in -2..=WEEKS + 1 {
            let Ok(monday) = self.first_monday.checked_add((week * 7).days()) else { continue };
            for &(start, end) in hours.ranges() {
                let (Some(a), Some(b)) = (local(monday, start, &zone), local(monday, end, &zone)) else { continue };
                if a < b {
                    intervals.push((a.max(self.window.0), b.min(self.window.1)));
                }
            }
        }
        normalise(intervals)
    }

    fn team_coverage(&self, team: &Team) -> Intervals {
        normalise(team.members.iter().flat_map(|m| self.rep_coverage(&m.id)).collect())
    }

    fn target_coverage(&self, target: &Target) -> Intervals {
        match target {
            Target::Queue(_) => vec![self.window],
            Target::Rep(rep) => self.rep_coverage(rep),
            // The key may be missing from the table: nothing to count on.
            Target::RepLookup { .. } | Target::RepField(_) => Vec::new(),
            Target::Team { team, .. } => self.teams.get(team.0 as usize).cloned().unwrap_or_default(),
            // `chains` takes splits apart before coverage is asked.
            Target::Split(_) => Vec::new(),
        }
    }

    /// W0201.
    fn nobody_available(&self, team: &Team) -> Option<Diagnostic> {
        let reasons: Vec<String> =
            team.members.iter().map(|m| never(&m.id, self.roster.status(&m.id))).collect::<Option<_>>()?;
        let mut d = Diagnostic::new(
            Code::NoAvailableMember,
            team.span,
            format!("nobody in team `{}` can take leads with this roster", team.name),
        )
        .label("leads sent here go to a fallback, else to `queue unassigned`")
        .help("mark a member available in the roster, or give the rules that use this team a fallback");
        for note in reasons.into_iter().take(MEMBER_NOTES) {
            d = d.note(note);
        }
        Some(more_members(d, team.members.len()))
    }

    /// W0202.
    fn unstaffed_hours(&self, t: usize, team: &Team) -> Option<Diagnostic> {
        let mut lost: Intervals = Vec::new();
        let mut rules: Vec<(Span, String)> = Vec::new();
        // Each chain on its own: a split's arms and a second owner are
        // tried apart from each other.
        let named: Vec<(Option<&RuleInfo>, &Action)> = self
            .program
            .rules
            .iter()
            .map(|r| (Some(r), &r.action))
            .chain(self.program.on_invalid.as_ref().map(|a| (None, a)))
            .flat_map(|(rule, action)| chains(action).into_iter().map(move |c| (rule, c)))
            .collect();
        for (rule, action) in &named {
            let targets = reachable(action);
            if !targets.iter().any(|t2| matches!(t2, Target::Team { team, .. } if team.0 as usize == t)) {
                continue;
            }
            let covered = normalise(targets.iter().flat_map(|target| self.target_coverage(target)).collect());
            let uncovered = complement(&covered, self.window);
            if uncovered.is_empty() {
                continue;
            }
            lost = union(&lost, &uncovered);
            let name = match rule {
                Some(rule) => {
                    if rule.name.starts_with("line:") {
                        format!("the rule on line {}", rule.line)
                    } else {
                        format!("rule `{}` (line {})", rule.name, rule.line)
                    }
                }
                None => "`on invalid`".to_string(),
            };
            rules.push((rule.map_or(team.span, |r| r.span), name));
        }
        let zone = self.reporting_zone(team);
        let weeks = self.weekly(&lost, &zone);
        if weeks.iter().all(Vec::is_empty) {
            return None;
        }
        // What holds every week is the message; weeks with more are notes.
        let typical = weeks.iter().skip(1).fold(weeks.first().cloned().unwrap_or_default(), |all, week| {
            subtract_minutes(&all, &subtract_minutes(&all, week))
        });
        let zone_name = zone.iana_name().unwrap_or("UTC").to_string();
        let message = if typical.is_empty() {
            let n = weeks.iter().filter(|w| !w.is_empty()).count();
            format!("team `{}` has nobody working at some hours in {n} of the next {WEEKS} weeks", team.name)
        } else {
            format!("team `{}` has nobody working {} ({zone_name})", team.name, format_week(&typical))
        };
        let mut d = Diagnostic::new(Code::UnstaffedHours, team.span, message)
            .label("leads sent here then go to `queue unassigned`")
            .help("staff those hours, or add a fallback that takes leads then, e.g. `else fallback queue after_hours`");
        for (span, _) in &rules {
            if *span != team.span {
                d = d.with_label(*span, "no fallback of this rule takes leads then");
            }
        }
        d = d.note(format!(
            "leads that {} sends here then go to `queue unassigned` (no_eligible_member)",
            rules.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", ")
        ));
        for note in self.exceptions(&weeks, &typical, &zone_name) {
            d = d.note(note);
        }
        for member in team.members.iter().take(MEMBER_NOTES) {
            d = d.note(self.describe_member(&member.id));
        }
        Some(more_members(d, team.members.len()))
    }

    /// W0203.
    fn idle_weights(&self, team: &Team) -> Vec<Diagnostic> {
        let total: u64 = team.members.iter().map(|m| u64::from(m.weight)).sum();
        let idle: Vec<(usize, &Member, String)> = team
            .members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| never(&m.id, self.roster.status(&m.id)).map(|why| (i, m, why)))
            .collect();
        let working: u64 = team
            .members
            .iter()
            .enumerate()
            .filter(|(i, _)| !idle.iter().any(|(j, _, _)| j == i))
            .map(|(_, m)| u64::from(m.weight))
            .sum();
        idle.into_iter()
            .map(|(i, member, why)| {
                let shares: Vec<String> = team
                    .members
                    .iter()
                    .enumerate()
                    .filter(|(j, m)| *j != i && never(&m.id, self.roster.status(&m.id)).is_none())
                    .map(|(_, m)| {
                        format!(
                            "`{}` {:.0}% (declared {:.0}%)",
                            m.id,
                            percent(m.weight, working),
                            percent(m.weight, total)
                        )
                    })
                    .collect();
                Diagnostic::new(
                    Code::IdleWeight,
                    team.span,
                    format!(
                        "`{}` has weight {} of {total} in team `{}` but never takes a lead",
                        member.id, member.weight, team.name
                    ),
                )
                .label("weighted team")
                .note(why)
                .note(format!("its weight is 0 in effect; the others share the leads: {}", shares.join(", ")))
                .help("mark the member available, or change the weights to the shares you want")
            })
            .collect()
    }

    /// W0204.
    fn unused_roster_members(&self) -> Vec<Diagnostic> {
        // Every rep the program names, with where it is named.
        let mut named: BTreeMap<&str, Span> = BTreeMap::new();
        for team in &self.program.teams {
            for m in &team.members {
                named.entry(&m.id).or_insert(team.span);
            }
        }
        for rule in &self.program.rules {
            for target in rule.action.targets() {
                if let Target::Rep(rep) = target {
                    named.entry(rep).or_insert(rule.span);
                }
            }
        }
        if let Some(action) = &self.program.on_invalid {
            for target in action.targets() {
                if let Target::Rep(rep) = target {
                    named
                        .entry(rep)
                        .or_insert_with(|| self.program.teams.first().map_or_else(Span::default, |t| t.span));
                }
            }
        }
        for lookup in &self.program.lookups {
            for rep in lookup.entries.values() {
                named.entry(rep).or_insert(lookup.span);
            }
        }
        let fallback_span = self.program.teams.first().map_or_else(Span::default, |t| t.span);
        self.roster
            .reps()
            .filter(|rep| !named.contains_key(rep))
            .map(|rep| {
                let near = closest(rep, named.keys().copied());
                let d = Diagnostic::new(
                    Code::UnusedRosterMember,
                    fallback_span,
                    format!("roster member `{rep}` is in no team"),
                )
                .note(format!("members.{rep:?} is in the roster, but no team, `rep` target or lookup names it"));
                match near {
                    Some(other) => {
                        let span = named.get(other).copied().unwrap_or(fallback_span);
                        let mut d = d.help(format!("did you mean `{other}`?"));
                        if let Some(primary) = d.labels.first_mut() {
                            primary.span = span;
                            primary.message = format!("`{other}` is named here");
                        }
                        d
                    }
                    None => d.label("no team lists it").help("remove it from the roster, or add it to a team"),
                }
            })
            .collect()
    }

    /// The zone most of the team's members work in (the first such member's
    /// on a tie; UTC when none has one).
    fn reporting_zone(&self, team: &Team) -> TimeZone {
        let mut counts: Vec<(TimeZone, usize)> = Vec::new();
        for m in &team.members {
            let Some(status) = self.roster.status(&m.id) else { continue };
            if never(&m.id, Some(status)).is_some() {
                continue;
            }
            match counts.iter_mut().find(|(z, _)| z.iana_name() == status.timezone.iana_name()) {
                Some((_, n)) => *n += 1,
                None => counts.push((status.timezone.clone(), 1)),
            }
        }
        let best = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
        counts.into_iter().find(|(_, n)| *n == best).map_or(TimeZone::UTC, |(z, _)| z)
    }

    /// For each analysed week (Monday 00:00 to Monday 00:00 in `zone`), the
    /// uncovered wall-clock minutes of the week.
    fn weekly(&self, lost: &Intervals, zone: &TimeZone) -> Vec<Minutes> {
        (0..WEEKS)
            .map(|week| {
                let Ok(monday) = self.first_monday.checked_add((week * 7).days()) else { return Vec::new() };
                let (Some(start), Some(end)) = (local(monday, 0, zone), local(monday, MINUTES_PER_WEEK as u32, zone))
                else {
                    return Vec::new();
                };
                let mut minutes = Vec::new();
                for &(a, b) in lost {
                    let (a, b) = (a.max(start), b.min(end));
                    if a >= b {
                        continue;
                    }
                    let (x, y) = (minute_of_week(a, start, end, zone), minute_of_week(b, start, end, zone));
                    // Around a fall-back change wall-clock time repeats an
                    // hour; keep the range the right way round.
                    let (x, y) = (x.min(y), x.max(y));
                    if x < y {
                        minutes.push((x, y));
                    }
                }
                merge_minutes(minutes)
            })
            .collect()
    }

    /// Notes for weeks with more uncovered hours than usual.
    fn exceptions(&self, weeks: &[Minutes], typical: &[(u32, u32)], zone: &str) -> Vec<String> {
        // Consecutive weeks with the same extra hours, grouped.
        let mut groups: Vec<(i64, i64, Minutes)> = Vec::new();
        for (week, minutes) in weeks.iter().enumerate() {
            let extra = subtract_minutes(minutes, typical);
            if extra.is_empty() {
                continue;
            }
            let week = week as i64;
            match groups.last_mut() {
                Some((_, last, hours)) if *last + 1 == week && *hours == extra => *last = week,
                _ => groups.push((week, week, extra)),
            }
        }
        let monday = |week: i64| {
            self.first_monday.checked_add((week * 7).days()).map_or_else(|_| String::new(), |d| d.to_string())
        };
        groups
            .into_iter()
            .map(|(first, last, extra)| {
                let when = if first == last {
                    format!("in the week of {}", monday(first))
                } else {
                    format!("in the weeks of {} to {}", monday(first), monday(last))
                };
                let also = if typical.is_empty() { "" } else { "also " };
                format!(
                    "{when} (time zones change clocks on different dates), {also}nobody works {} ({zone})",
                    format_week(&extra)
                )
            })
            .collect()
    }

    fn describe_member(&self, rep: &str) -> String {
        let status = self.roster.status(rep);
        if let Some(why) = never(rep, status) {
            return why;
        }
        match status {
            None => format!("`{rep}` is not in the roster: always eligible"),
            Some(s) => {
                let zone = s.timezone.iana_name().unwrap_or("UTC");
                match &s.hours {
                    Some(hours) => format!("members.{rep:?}.hours: {hours} ({zone})"),
                    None => format!("members.{rep:?} has no hours: always working"),
                }
            }
        }
    }
}

fn more_members(d: Diagnostic, members: usize) -> Diagnostic {
    if members > MEMBER_NOTES {
        d.note(format!("... and {} more members", members - MEMBER_NOTES))
    } else {
        d
    }
}

fn percent(weight: u32, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        f64::from(weight) * 100.0 / total as f64
    }
}

/// Teams some action names (a target, fallback, split arm or second
/// owner), with the strategies it is named with.
fn used_teams(program: &Program) -> BTreeMap<usize, Vec<Strategy>> {
    let mut used: BTreeMap<usize, Vec<Strategy>> = BTreeMap::new();
    let actions = program.actions();
    for action in actions.flat_map(chains) {
        for target in chain(action) {
            if let Target::Team { team, strategy } = target {
                used.entry(team.0 as usize).or_default().push(*strategy);
            }
        }
    }
    used
}

/// The chains of targets an action tries, each apart: its own (each arm's,
/// for a split) and its second owner's.
fn chains(action: &Action) -> Vec<&Action> {
    let mut out = match &action.target {
        Target::Split(split) => split.arms.iter().flat_map(|arm| chains(&arm.action)).collect(),
        _ => vec![action],
    };
    if let Some(secondary) = &action.secondary {
        out.extend(chains(secondary));
    }
    out
}

/// One chain's targets in order (see [`chains`]).
fn chain(action: &Action) -> impl Iterator<Item = &Target> {
    std::iter::once(&action.target).chain(&action.fallbacks)
}

/// An action's targets up to the first queue (which always takes the lead,
/// so nothing after it is ever tried).
fn reachable(action: &Action) -> Vec<&Target> {
    let mut targets = Vec::new();
    for target in chain(action) {
        targets.push(target);
        if matches!(target, Target::Queue(_)) {
            break;
        }
    }
    targets
}

/// The rep id `rep` was probably meant to be: the same id in another case,
/// the same name at another domain (`ana@acme.com` for `ana@acme.io`), or
/// an id at most one edit away per ten characters. Ids are emails, which
/// differ from each other by few letters, so the usual "did you mean"
/// threshold would pair unrelated reps.
fn closest<'n>(rep: &str, names: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    let local = |id: &str| id.split('@').next().unwrap_or(id).to_lowercase();
    let threshold = (rep.chars().count() / 10).max(1);
    names
        .filter_map(|name| {
            let rank = if name.eq_ignore_ascii_case(rep) {
                0
            } else if name.contains('@') && local(name) == local(rep) {
                1
            } else {
                let distance = strsim::damerau_levenshtein(rep, name);
                if distance > threshold {
                    return None;
                }
                1 + distance
            };
            Some((rank, name))
        })
        .min()
        .map(|(_, name)| name)
}

/// Seconds since the epoch of a date's midnight in `zone`.
fn midnight(date: Date, zone: &TimeZone) -> i64 {
    local(date, 0, zone).unwrap_or(0)
}

/// Seconds since the epoch of `minute` minutes (wall clock) after a
/// Monday's midnight in `zone`; a wall-clock time skipped by a
/// daylight-saving change is read as the time after the change.
fn local(monday: Date, minute: u32, zone: &TimeZone) -> Option<i64> {
    let datetime = monday.at(0, 0, 0, 0).checked_add(i64::from(minute).minutes()).ok()?;
    datetime.to_zoned(zone.clone()).ok().map(|z| z.timestamp().as_second())
}

/// The wall-clock minute of the week (Monday 00:00 = 0) of an instant in
/// `[start, end]`, the bounds of one local week; `end` itself is the last.
fn minute_of_week(instant: i64, start: i64, end: i64, zone: &TimeZone) -> u32 {
    if instant >= end {
        return MINUTES_PER_WEEK as u32;
    }
    if instant <= start {
        return 0;
    }
    let Ok(timestamp) = Timestamp::from_second(instant) else { return 0 };
    // Hours and zone offsets are whole minutes, so instants here are too.
    let civil = timestamp.to_zoned(zone.clone());
    let day = u32::try_from(civil.weekday().to_monday_zero_offset()).unwrap_or(0);
    let hour = u32::try_from(civil.hour()).unwrap_or(0);
    let minute = u32::try_from(civil.minute()).unwrap_or(0);
    (day * 24 + hour) * 60 + minute
}

fn normalise(mut intervals: Intervals) -> Intervals {
    intervals.retain(|(a, b)| a < b);
    intervals.sort_unstable();
    let mut merged: Intervals = Vec::with_capacity(intervals.len());
    for (a, b) in intervals {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

fn union(a: &Intervals, b: &Intervals) -> Intervals {
    normalise(a.iter().chain(b).copied().collect())
}

fn complement(covered: &Intervals, (lo, hi): (i64, i64)) -> Intervals {
    let mut gaps = Vec::new();
    let mut at = lo;
    for &(a, b) in covered {
        if a > at {
            gaps.push((at, a.min(hi)));
        }
        at = at.max(b);
    }
    if at < hi {
        gaps.push((at, hi));
    }
    normalise(gaps)
}

fn merge_minutes(mut ranges: Minutes) -> Minutes {
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// The minutes of `ranges` not in `minus`.
fn subtract_minutes(ranges: &[(u32, u32)], minus: &[(u32, u32)]) -> Minutes {
    let mut out = Vec::new();
    for &(a, b) in ranges {
        let mut at = a;
        for &(x, y) in minus {
            if y <= at || x >= b {
                continue;
            }
            if x > at {
                out.push((at, x));
            }
            at = at.max(y);
        }
        if at < b {
            out.push((at, b));
        }
    }
    out
}
