//! The roster: what changes daily about reps (LANGUAGE.md §7), read at eval
//! time. Every field is optional; a rep missing from the roster is eligible.
//!
//! The JSON file is parsed into [`RosterFile`] and validated into a
//! [`Roster`]: time zones resolved, hours parsed, dates checked. Every
//! problem is reported with its JSON path (`members."ana@acme.io".hours`),
//! not just the first.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Deserialize;

use super::hours::Schedule;

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
}

/// The validated roster.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    members: BTreeMap<String, MemberStatus>,
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
    /// # Errors
    /// Every problem found, each with its JSON path.
    pub fn from_json(text: &str) -> Result<Roster, Vec<RosterProblem>> {
        let file: RosterFile = serde_json::from_str(text).map_err(|e| {
            vec![RosterProblem {
                path: format!("line {}, column {}", e.line(), e.column()),
                message: e.to_string().split(" at line").next().unwrap_or_default().to_string(),
            }]
        })?;
        Roster::validate(file)
    }

    /// Validates a parsed roster file.
    ///
    /// # Errors
    /// Every problem found, each with its JSON path.
    pub fn validate(file: RosterFile) -> Result<Roster, Vec<RosterProblem>> {
        let mut problems = Vec::new();
        let mut members = BTreeMap::new();
        for (rep, member) in file.members {
            let mut problem = |field: &str, message: String| {
                problems.push(RosterProblem { path: format!("members.{rep:?}.{field}"), message });
            };
            let timezone = match &member.timezone {
                Some(name) => TimeZone::get(name).unwrap_or_else(|_| {
                    problem(
                        "timezone",
                        format!("`{name}` is not an IANA time zone (e.g. `Europe/Berlin`, `America/New_York`)"),
                    );
                    TimeZone::UTC
                }),
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
                },
            );
        }
        if problems.is_empty() {
            Ok(Roster { members })
        } else {
            Err(problems)
        }
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
    /// leads this run; `None` when eligible.
    pub fn ineligible(&self, rep: &str, now: Timestamp, assigned: u64) -> Option<Ineligible> {
        let status = self.members.get(rep)?;
        if !status.available {
            return Some(Ineligible::Unavailable);
        }
        let local = now.to_zoned(status.timezone.clone());
        let today = local.date();
        if status.out_of_office.iter().any(|(first, last)| *first <= today && today <= *last) {
            return Some(Ineligible::OutOfOffice);
        }
        if status.paused_until.is_some_and(|until| now < until) {
            return Some(Ineligible::Paused);
        }
        if let Some(hours) = &status.hours {
            let weekday = u32::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0);
            let minute = u32::try_from(local.hour()).unwrap_or(0) * 60 + u32::try_from(local.minute()).unwrap_or(0);
            if !hours.contains(weekday, minute) {
                return Some(Ineligible::OutsideHours);
            }
        }
        if status.capacity.is_some_and(|capacity| status.open_leads + assigned >= capacity) {
            return Some(Ineligible::AtCapacity);
        }
        None
    }

    /// Open leads over capacity, counting `assigned` (for `load_balanced`).
    pub fn load(&self, rep: &str, assigned: u64) -> f64 {
        let status = self.members.get(rep);
        let open = status.map_or(0, |s| s.open_leads) + assigned;
        match status.and_then(|s| s.capacity) {
            Some(capacity) if capacity > 0 => open as f64 / capacity as f64,
            _ => open as f64,
        }
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
