//! The roster: what changes daily about reps (LANGUAGE.md §7), read at eval
//! time. Every field is optional; a rep missing from the roster is eligible.
//!
//! The JSON file is parsed into [`RosterFile`] and validated into a
//! [`Roster`]: time zones resolved, hours parsed, dates checked. Every
//! problem is reported with its JSON path (`members."ana@acme.io".hours`),
//! not just the first. A UTF-8 byte-order mark (spreadsheet and Windows
//! editors write one) is skipped. Zone names that parse but probably do
//! not mean what was meant (`EST`, `Etc/GMT+5`) are accepted with a
//! warning ([`Roster::warnings`]); see [`zones`].

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Deserialize;

use super::hours::Schedule;
use super::zones;

/// The roster file as written: `{"members": {"rep@x": {...}}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterFile {
    /// Status by rep id.
    #[serde(default)]
    pub members: BTreeMap<String, MemberFile>,
}

/// One rep's status as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberFile {
    /// `false` takes the rep out of every distribution.
    pub available: Option<bool>,
    /// Most open leads the rep should hold.
    pub capacity: Option<u64>,
    /// Open leads the rep holds now.
    pub open_leads: Option<u64>,
    /// IANA time zone of `hours` and `out_of_office` (default UTC).
    pub timezone: Option<String>,
    /// Working hours, e.g. `"Mon-Fri 09:00-17:00"`.
    pub hours: Option<String>,
    /// Date ranges `[first, last]`, inclusive, in the rep's zone.
    pub out_of_office: Option<Vec<[String; 2]>>,
    /// An instant (RFC 3339) or a date (the rep's midnight) until which the
    /// rep takes no leads.
    pub paused_until: Option<String>,
    /// Most leads route gives the rep per day (from local midnight).
    pub max_per_day: Option<u64>,
    /// Most leads route gives the rep per week (from Monday, local midnight).
    pub max_per_week: Option<u64>,
}

/// A validated rep status.
#[derive(Debug, Clone)]
pub struct MemberStatus {
    /// `false` takes the rep out of every distribution.
    pub available: bool,
    /// Most open leads the rep should hold.
    pub capacity: Option<u64>,
    /// Open leads the rep holds when the run starts.
    pub open_leads: u64,
    /// The rep's zone.
    pub timezone: TimeZone,
    /// Working hours, when given.
    pub hours: Option<Schedule>,
    /// Inclusive date ranges.
    pub out_of_office: Vec<(Date, Date)>,
    /// No leads before this instant.
    pub paused_until: Option<Timestamp>,
    /// Most leads given per local day (LANGUAGE.md §16), at least 1.
    pub max_per_day: Option<u64>,
    /// Most leads given per local week, Monday to Sunday, at least 1.
    pub max_per_week: Option<u64>,
}

impl MemberStatus {
    /// Why the rep takes no leads at `now` whatever their load: not
    /// available, out of office (today, in the rep's zone), paused, or
    /// outside working hours (wall-clock time in the rep's zone, so right
    /// on either side of a daylight-saving change). Capacity is separate
    /// ([`MemberStatus::full`]) because it changes as leads are assigned.
    pub fn off_duty(&self, now: Timestamp) -> Option<Ineligible> {
        if !self.available {
            return Some(Ineligible::Unavailable);
        }
        let local = now.to_zoned(self.timezone.clone());
        let today = local.date();
        if self.out_of_office.iter().any(|(first, last)| *first <= today && today <= *last) {
            return Some(Ineligible::OutOfOffice);
        }
        if self.paused_until.is_some_and(|until| now < until) {
            return Some(Ineligible::Paused);
        }
        if self.hours.as_ref().is_some_and(|hours| !hours.contains_at(now, &self.timezone)) {
            return Some(Ineligible::OutsideHours);
        }
        None
    }

    /// Whether the rep has a cap over time, so that route counts their
    /// leads per day and week.
    pub fn capped(&self) -> bool {
        self.max_per_day.is_some() || self.max_per_week.is_some()
    }

    /// The rep's day and the Monday of their week at `now`, in their zone:
    /// the periods caps are counted in.
    pub fn periods(&self, now: Timestamp) -> Periods {
        let today = now.to_zoned(self.timezone.clone()).date();
        let back = i64::from(today.weekday().to_monday_zero_offset());
        Periods { day: today, week: today.checked_sub(jiff::Span::new().days(back)).unwrap_or(today) }
    }

    /// The cap reached, given the leads counted in the rep's current day
    /// and week.
    pub fn at_cap(&self, today: u64, this_week: u64) -> Option<Ineligible> {
        if self.max_per_day.is_some_and(|cap| today >= cap) {
            return Some(Ineligible::AtDailyCap);
        }
        self.max_per_week.is_some_and(|cap| this_week >= cap).then_some(Ineligible::AtWeeklyCap)
    }

    /// Whether `open_leads` plus `assigned` reaches `capacity`.
    pub fn full(&self, assigned: u64) -> bool {
        self.capacity.is_some_and(|capacity| self.open_leads.saturating_add(assigned) >= capacity)
    }
}

/// Why a rep cannot take a lead now (first reason found).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ineligible {
    /// `available: false`.
    Unavailable,
    /// Within an `out_of_office` range.
    OutOfOffice,
    /// Before `paused_until`.
    Paused,
    /// Outside working hours.
    OutsideHours,
    /// `open_leads` (plus this run's) reached `capacity`.
    AtCapacity,
    /// Given `max_per_day` leads today (in the rep's zone).
    AtDailyCap,
    /// Given `max_per_week` leads this week (Monday to Sunday, rep's zone).
    AtWeeklyCap,
    /// Already the lead's first owner (a `with` second owner is someone else).
    FirstOwner,
}

/// The periods caps over time are counted in, for one rep at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// The rep's local date.
    pub day: Date,
    /// The Monday that starts the rep's local week.
    pub week: Date,
}

impl Ineligible {
    /// The name used in `--explain` output (`out_of_office`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Ineligible::Unavailable => "unavailable",
            Ineligible::OutOfOffice => "out_of_office",
            Ineligible::Paused => "paused",
            Ineligible::OutsideHours => "outside_hours",
            Ineligible::AtCapacity => "at_capacity",
            Ineligible::AtDailyCap => "at_daily_cap",
            Ineligible::AtWeeklyCap => "at_weekly_cap",
            Ineligible::FirstOwner => "first_owner",
        }
    }
}

/// The validated roster.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    members: BTreeMap<String, MemberStatus>,
    /// Values accepted but worth a second look, with their JSON paths.
    warnings: Vec<RosterProblem>,
}

/// One problem in a roster file, with its JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterProblem {
    /// Where, e.g. `members."ana@acme.io".timezone`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RosterProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl Roster {
    /// Parses and validates a roster.
    ///
    /// The JSON is read field by field rather than by a derived
    /// deserializer, so that a wrong type or an unknown key is reported
    /// with its path (`members."ana@acme.io".capacity: expected a whole
    /// number >= 0, found "40"`) and with every other problem, not alone.
    ///
    /// # Errors
    /// Every problem found, each with its JSON path.
    pub fn from_json(text: &str) -> Result<Roster, Vec<RosterProblem>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            vec![RosterProblem {
                path: format!("line {}, column {}", e.line(), e.column()),
                message: e.to_string().split(" at line").next().unwrap_or_default().to_string(),
            }]
        })?;
        let mut problems = Vec::new();
        let file = read_file(&value, &mut problems);
        match Roster::validate(file) {
            Ok(roster) if problems.is_empty() => Ok(roster),
            result => {
                problems.extend(result.err().unwrap_or_default());
                // Each member's problems together (the sort is stable).
                problems.sort_by(|a, b| a.path.cmp(&b.path));
                Err(problems)
            }
        }
    }

    /// Validates a parsed roster file.
    ///
    /// # Errors
    /// Every problem found, each with its JSON path.
    pub fn validate(file: RosterFile) -> Result<Roster, Vec<RosterProblem>> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let mut members = BTreeMap::new();
        for (rep, member) in file.members {
            let mut problem = |field: &str, message: String| {
                problems.push(RosterProblem { path: format!("members.{rep:?}.{field}"), message });
            };
            let timezone = match member.timezone.as_deref().map(zones::resolve) {
                Some(Ok(zone)) => {
                    if let Some(message) = zone.warning {
                        warnings.push(RosterProblem { path: format!("members.{rep:?}.timezone"), message });
                    }
                    zone.zone
                }
                Some(Err(message)) => {
                    problem("timezone", message);
                    TimeZone::UTC
                }
                None => TimeZone::UTC,
            };
            let hours =
                member.hours.as_deref().and_then(|h| Schedule::parse(h).map_err(|e| problem("hours", e.0)).ok());
            let mut out_of_office = Vec::new();
            for (i, [first, last]) in member.out_of_office.iter().flatten().enumerate() {
                match (first.parse::<Date>(), last.parse::<Date>()) {
                    (Ok(a), Ok(b)) if a <= b => out_of_office.push((a, b)),
                    (Ok(_), Ok(_)) => problem(&format!("out_of_office[{i}]"), format!("`{first}` is after `{last}`")),
                    _ => problem(
                        &format!("out_of_office[{i}]"),
                        format!("[`{first}`, `{last}`] are not dates like `2026-12-24`"),
                    ),
                }
            }
            let paused_until = member.paused_until.as_deref().and_then(|text| {
                parse_instant(text, &timezone)
                    .map_err(|()| {
                        problem(
                            "paused_until",
                            format!("`{text}` is not an instant (`2026-12-01T09:00:00Z`) or a date (`2026-12-01`)"),
                        )
                    })
                    .ok()
            });
            for (field, cap) in [("max_per_day", member.max_per_day), ("max_per_week", member.max_per_week)] {
                if cap == Some(0) {
                    problem(
                        field,
                        format!("a `{field}` of 0 means the rep never takes a lead; use `\"available\": false`"),
                    );
                }
            }
            if member.capacity == Some(0) {
                problem(
                    "capacity",
                    "a capacity of 0 means the rep never takes a lead; use `\"available\": false`".into(),
                );
            }
            members.insert(
                rep,
                MemberStatus {
                    available: member.available.unwrap_or(true),
                    capacity: member.capacity,
                    open_leads: member.open_leads.unwrap_or(0),
                    timezone,
                    hours,
                    out_of_office,
                    paused_until,
                    max_per_day: member.max_per_day,
                    max_per_week: member.max_per_week,
                },
            );
        }
        if problems.is_empty() {
            Ok(Roster { members, warnings })
        } else {
            Err(problems)
        }
    }

    /// Values accepted but worth a second look (a legacy zone name such as
    /// `EST`, which keeps no daylight saving), each with its JSON path, for
    /// the caller to print as warnings.
    pub fn warnings(&self) -> &[RosterProblem] {
        &self.warnings
    }

    /// The status of a rep, if the roster mentions them.
    pub fn status(&self, rep: &str) -> Option<&MemberStatus> {
        self.members.get(rep)
    }

    /// Every rep the roster mentions.
    pub fn reps(&self) -> impl Iterator<Item = &str> {
        self.members.keys().map(String::as_str)
    }

    /// Why `rep` cannot take a lead at `now` having been given `assigned`
    /// leads this run; `None` when eligible. Caps over time (`max_per_day`,
    /// `max_per_week`) are not judged here: their counts live in the run
    /// state, and the router checks them. The reasons are checked in the
    /// order of [`Ineligible`]'s variants and the first one found is given.
    pub fn ineligible(&self, rep: &str, now: Timestamp, assigned: u64) -> Option<Ineligible> {
        let status = self.members.get(rep)?;
        status.off_duty(now).or_else(|| status.full(assigned).then_some(Ineligible::AtCapacity))
    }

    /// The load `load_balanced` compares, counting `assigned`: open leads
    /// over capacity, as an exact fraction. A rep without a capacity (or
    /// missing from the roster) counts as capacity 1, so their load is
    /// their plain number of open leads.
    pub fn load(&self, rep: &str, assigned: u64) -> Load {
        let status = self.members.get(rep);
        Load {
            open: status.map_or(0, |s| s.open_leads).saturating_add(assigned),
            capacity: status.and_then(|s| s.capacity).unwrap_or(1).max(1),
        }
    }
}

/// A rep's load: `open / capacity`, compared exactly (no rounding, so equal
/// loads are equal and ties are broken by member order, deterministically).
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Open leads, this run's assignments included.
    pub open: u64,
    /// Capacity (at least 1).
    pub capacity: u64,
}

impl Ord for Load {
    fn cmp(&self, other: &Load) -> std::cmp::Ordering {
        (u128::from(self.open) * u128::from(other.capacity)).cmp(&(u128::from(other.open) * u128::from(self.capacity)))
    }
}

impl PartialEq for Load {
    fn eq(&self, other: &Load) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Load {}

impl PartialOrd for Load {
    fn partial_cmp(&self, other: &Load) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The keys a member may have, for "did you mean" on an unknown one.
const MEMBER_KEYS: [&str; 9] = [
    "available",
    "capacity",
    "open_leads",
    "timezone",
    "hours",
    "out_of_office",
    "paused_until",
    "max_per_day",
    "max_per_week",
];

/// Reads the roster's JSON into a [`RosterFile`], recording every key of
/// the wrong type or unknown; what can be read is kept, so that
/// [`Roster::validate`] can report the problems of the values too.
fn read_file(value: &serde_json::Value, problems: &mut Vec<RosterProblem>) -> RosterFile {
    use serde_json::Value as Json;
    let mut problem = |path: String, message: String| problems.push(RosterProblem { path, message });
    let Json::Object(top) = value else {
        problem(
            "(top level)".into(),
            format!("expected an object like `{{\"members\": {{...}}}}`, found {}", describe(value)),
        );
        return RosterFile::default();
    };
    let mut file = RosterFile::default();
    for (key, value) in top {
        if key != "members" {
            problem(key_path(key), format!("unknown key `{key}`; the roster has one key, `members`"));
            continue;
        }
        let Json::Object(members) = value else {
            problem("members".into(), format!("expected an object of rep id to status, found {}", describe(value)));
            continue;
        };
        for (rep, status) in members {
            let at = |field: &str| format!("members.{rep:?}.{field}");
            let Json::Object(fields) = status else {
                problem(format!("members.{rep:?}"), format!("expected an object, found {}", describe(status)));
                continue;
            };
            let mut member = MemberFile::default();
            for (field, value) in fields {
                if value.is_null() {
                    continue;
                }
                let mut wrong = |expected: &str| {
                    problem(at(field), format!("expected {expected}, found {}", describe(value)));
                };
                match field.as_str() {
                    "available" => match value.as_bool() {
                        Some(b) => member.available = Some(b),
                        None => wrong("`true` or `false`"),
                    },
                    "capacity" | "open_leads" => match value.as_u64() {
                        Some(n) if field == "capacity" => member.capacity = Some(n),
                        Some(n) => member.open_leads = Some(n),
                        None => wrong("a whole number >= 0"),
                    },
                    "max_per_day" | "max_per_week" => match value.as_u64() {
                        Some(n) if field == "max_per_day" => member.max_per_day = Some(n),
                        Some(n) => member.max_per_week = Some(n),
                        None => wrong("a whole number >= 1"),
                    },
                    "timezone" | "hours" | "paused_until" => match value.as_str() {
                        Some(text) if field == "timezone" => member.timezone = Some(text.to_string()),
                        Some(text) if field == "hours" => member.hours = Some(text.to_string()),
                        Some(text) => member.paused_until = Some(text.to_string()),
                        None => wrong("a string"),
                    },
                    "out_of_office" => {
                        let ranges = value.as_array().map(|ranges| {
                            ranges
                                .iter()
                                .map(|range| match range.as_array().map(Vec::as_slice) {
                                    Some([Json::String(a), Json::String(b)]) => Some([a.clone(), b.clone()]),
                                    _ => None,
                                })
                                .collect::<Option<Vec<_>>>()
                        });
                        match ranges {
                            Some(Some(ranges)) => member.out_of_office = Some(ranges),
                            _ => wrong("a list of date pairs like `[[\"2026-12-24\", \"2026-12-31\"]]`"),
                        }
                    }
                    other => {
                        let hint = crate::diagnostics::did_you_mean(other, MEMBER_KEYS)
                            .unwrap_or_else(|| format!("the keys are {}", MEMBER_KEYS.join(", ")));
                        problem(at(other), format!("unknown key `{other}`; {hint}"));
                    }
                }
            }
            file.members.insert(rep.clone(), member);
        }
    }
    file
}

/// A top-level key as a path: bare when it is a plain name (`teams`),
/// quoted otherwise, so an empty or odd key still shows (`""`).
fn key_path(key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

/// A JSON value in words, for "expected X, found Y".
fn describe(value: &serde_json::Value) -> String {
    use serde_json::Value as Json;
    match value {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("`{b}`"),
        Json::Number(n) => format!("`{n}`"),
        Json::String(s) => format!("`{s:?}`"),
        Json::Array(_) => "a list".into(),
        Json::Object(_) => "an object".into(),
    }
}

/// An RFC 3339 instant, or a date meaning midnight in `zone`.
fn parse_instant(text: &str, zone: &TimeZone) -> Result<Timestamp, ()> {
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Ok(timestamp);
    }
    let date: Date = text.parse().map_err(|_| ())?;
    date.to_zoned(zone.clone()).map(|z| z.timestamp()).map_err(|_| ())
}

/// Parses `--now`: an RFC 3339 instant (`2026-11-25T10:00:00Z`), or a civil
/// time with a zone (`2026-11-25T10:00[Europe/Berlin]`).
///
/// # Errors
/// A message saying which forms are accepted.
pub fn parse_now(text: &str) -> Result<Timestamp, String> {
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Ok(timestamp);
    }
    text.parse::<jiff::Zoned>().map(|z| z.timestamp()).map_err(|_| {
        format!("`{text}` is not an instant: write `2026-11-25T10:00:00Z`, `2026-11-25T10:00:00+01:00` or `2026-11-25T10:00[Europe/Berlin]`")
    })
}
