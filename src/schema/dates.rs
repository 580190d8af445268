//! Dates and datetimes (LANGUAGE.md §12): read from input and from rule
//! literals, shown back as ISO 8601.
//!
//! A `date` is held as the number of days since 1970-01-01 and a `datetime`
//! as milliseconds since 1970-01-01T00:00:00Z, both in a [`Value::Int`]
//! (`crate::schema::Value`): comparisons, the decision DAG and the
//! analysis's intervals are the int machinery unchanged, and only reading
//! and showing know the calendar. Milliseconds, not seconds, because CRM
//! APIs send `2026-11-25T10:00:00.123Z` and truncating would make
//! `t > 10:00:00` false for it.
//!
//! Input (a CSV cell or a JSON string) is ISO 8601: a date field takes
//! `2026-11-25` (or a datetime, whose calendar date as written is kept); a
//! datetime field takes `2026-11-25T10:00:00Z`, an offset (`+01:00`),
//! fractional seconds, a space for the `T`, and a bare date or a datetime
//! without an offset, both read as UTC. A field declared with `format
//! "%m/%d/%Y"` reads that strftime-style format (jiff's `strptime`) first
//! and ISO 8601 second, so the ISO text every tool prints reads back.
//! Literals in rules are stricter: a datetime literal must say its offset.
//!
//! Every parse goes through jiff; nothing here hand-parses a calendar.

use jiff::civil::{Date, DateTime, Time};
use jiff::fmt::strtime;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// Milliseconds in a day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// Whether a value is a calendar date or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeKind {
    /// Days since 1970-01-01.
    Date,
    /// Milliseconds since 1970-01-01T00:00:00Z.
    DateTime,
}

impl TimeKind {
    /// The type's name in the language.
    pub fn name(self) -> &'static str {
        match self {
            TimeKind::Date => "date",
            TimeKind::DateTime => "datetime",
        }
    }

    /// The least and greatest value a field of this kind can hold (the
    /// calendar jiff supports: years -9999 to 9999), so that the analysis
    /// only proposes values that can be written and read back.
    pub fn range(self) -> (i64, i64) {
        match self {
            TimeKind::Date => (days_of(Date::MIN), days_of(Date::MAX)),
            // Whole seconds: jiff reads milliseconds up to the last whole
            // second of its range only.
            TimeKind::DateTime => (Timestamp::MIN.as_second() * 1000, Timestamp::MAX.as_second() * 1000),
        }
    }

    /// The value the analysis proposes when nothing else is asked of a
    /// field: 2026-01-06, or 2026-01-06T15:00:00Z (a Tuesday: working time
    /// in Europe and the Americas), so that examples of rules testing
    /// working hours and `within` are found at nearby instants.
    pub fn anchor(self) -> i64 {
        match self {
            TimeKind::Date => 20_459,
            TimeKind::DateTime => 1_767_711_600_000,
        }
    }

    /// How ISO 8601 input of this kind looks, for messages.
    pub fn iso_example(self) -> &'static str {
        match self {
            TimeKind::Date => "YYYY-MM-DD",
            TimeKind::DateTime => "YYYY-MM-DDTHH:MM:SSZ",
        }
    }
}

/// 1970-01-01, day 0.
const EPOCH: Date = Date::constant(1970, 1, 1);

/// Days since 1970-01-01 of a date.
pub fn days_of(date: Date) -> i64 {
    date.duration_since(EPOCH).as_secs().div_euclid(86_400)
}

/// The date `days` after 1970-01-01, when it is within the calendar.
pub fn date_of_days(days: i64) -> Option<Date> {
    let seconds = days.checked_mul(86_400)?;
    EPOCH.checked_add(jiff::SignedDuration::from_secs(seconds)).ok()
}

/// A value of this kind as ISO 8601 text (`2026-11-25`,
/// `2026-11-25T10:00:00Z`, `2026-11-25T10:00:00.123Z`); the plain number
/// when it is outside the calendar (which no reader produces).
pub fn show(kind: TimeKind, value: i64) -> String {
    let shown = match kind {
        TimeKind::Date => date_of_days(value).map(|d| d.to_string()),
        TimeKind::DateTime => Timestamp::from_millisecond(value).ok().map(|t| t.to_string()),
    };
    shown.unwrap_or_else(|| value.to_string())
}

/// An int value as JSON: ISO 8601 text for a date or datetime, else the
/// number (for example leads, traces and output records).
pub fn int_json(kind: Option<TimeKind>, value: i64) -> serde_json::Value {
    match kind {
        Some(kind) => serde_json::Value::String(show(kind, value)),
        None => serde_json::Value::from(value),
    }
}

/// Milliseconds since the epoch of an instant.
pub fn ms_of(timestamp: Timestamp) -> i64 {
    timestamp.as_millisecond()
}

/// A date literal in a rule (`2026-11-25`): days since the epoch.
///
/// # Errors
/// When the text is not a calendar date.
pub fn date_literal(text: &str) -> Result<i64, LiteralError> {
    text.parse::<Date>().map(days_of).map_err(|_| LiteralError::NotADate)
}

/// A datetime literal in a rule (`2026-11-25T10:00:00Z`, with an offset):
/// milliseconds since the epoch.
///
/// # Errors
/// When the text is not an instant, or does not say its offset.
pub fn datetime_literal(text: &str) -> Result<i64, LiteralError> {
    match text.parse::<Timestamp>() {
        Ok(t) => Ok(ms_of(t)),
        Err(_) if text.parse::<DateTime>().is_ok() => Err(LiteralError::NoOffset),
        Err(_) => Err(LiteralError::NotADateTime),
    }
}

/// Why a date or datetime literal is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralError {
    /// Not a day of the calendar (`2026-02-30`, `2026-13-01`).
    NotADate,
    /// Not an instant (`2026-11-25T25:00:00Z`).
    NotADateTime,
    /// A civil datetime with no `Z` or offset: which instant is meant
    /// depends on a zone the rule does not name.
    NoOffset,
}

/// Reads an input value (trimmed, non-empty) of a date or datetime field:
/// the field's `format` first when it has one, then ISO 8601. `None` when
/// neither reads it.
pub fn read(kind: TimeKind, format: Option<&str>, text: &str) -> Option<i64> {
    format.and_then(|format| read_format(kind, format, text)).or_else(|| read_iso(kind, text))
}

/// ISO 8601 input.
fn read_iso(kind: TimeKind, text: &str) -> Option<i64> {
    match kind {
        TimeKind::Date => match text.parse::<Date>() {
            Ok(date) => Some(days_of(date)),
            // A datetime sent for a date field: its calendar date as written.
            Err(_) => text.parse::<DateTime>().ok().map(|dt| days_of(dt.date())),
        },
        TimeKind::DateTime => match text.parse::<Timestamp>() {
            Ok(t) => Some(ms_of(t)),
            // No offset (or a bare date): read as UTC, like a bare date.
            Err(_) => {
                let civil = text
                    .parse::<DateTime>()
                    .ok()
                    .or_else(|| text.parse::<Date>().ok().map(|d| d.to_datetime(Time::midnight())))?;
                Offset::UTC.to_timestamp(civil).ok().map(ms_of)
            }
        },
    }
}

/// Input in a strftime-style format. A datetime read without an offset is
/// UTC; with an IANA zone (`%Q`), in that zone.
fn read_format(kind: TimeKind, format: &str, text: &str) -> Option<i64> {
    let parsed = strtime::parse(format, text).ok()?;
    match kind {
        TimeKind::Date => parsed.to_date().ok().map(days_of),
        TimeKind::DateTime => {
            if parsed.offset().is_some() || parsed.timestamp().is_some() {
                return parsed.to_timestamp().ok().map(ms_of);
            }
            if parsed.iana_time_zone().is_some() {
                return parsed.to_zoned().ok().map(|z| ms_of(z.timestamp()));
            }
            let civil = parsed.to_datetime().ok()?;
            Offset::UTC.to_timestamp(civil).ok().map(ms_of)
        }
    }
}

/// Why a `format` string cannot read a field's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// jiff refused it (an unknown `%` directive, a lone `%`): its words.
    Invalid(String),
    /// It reads, but leaves out part of the date (`%m/%Y` has no day).
    Incomplete,
}

/// Checks a field's `format` at compile time: every directive is known,
/// and text written in it reads back to the same calendar date (so it
/// names a year, a month and a day, or an equivalent).
///
/// # Errors
/// What is wrong with it.
pub fn check_format(format: &str) -> Result<(), FormatError> {
    // A sample whose every part differs (day 25 is no month, 10:30:45 no
    // date part), so a format missing a part cannot read it back.
    let sample = Date::constant(2026, 11, 25).to_datetime(Time::constant(10, 30, 45, 0));
    let zoned = sample.to_zoned(TimeZone::UTC).map_err(|e| FormatError::Invalid(e.to_string()))?;
    let text = strtime::format(format, &zoned).map_err(|e| FormatError::Invalid(first_line(&e.to_string())))?;
    match strtime::parse(format, &text).and_then(|p| p.to_date()) {
        Ok(date) if date == sample.date() => Ok(()),
        Ok(_) | Err(_) => Err(FormatError::Incomplete),
    }
}

/// jiff's error text without its chain of causes.
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days_from_the_epoch_both_ways() {
        assert_eq!(date_literal("1970-01-01"), Ok(0));
        assert_eq!(date_literal("1970-01-02"), Ok(1));
        assert_eq!(date_literal("1969-12-31"), Ok(-1));
        assert_eq!(show(TimeKind::Date, 20_417), "2025-11-25");
        assert_eq!(show(TimeKind::Date, TimeKind::Date.anchor()), "2026-01-06");
        assert_eq!(show(TimeKind::DateTime, TimeKind::DateTime.anchor()), "2026-01-06T15:00:00Z");
        let (lo, hi) = TimeKind::Date.range();
        assert_eq!(show(TimeKind::Date, lo), "-009999-01-01");
        assert_eq!(show(TimeKind::Date, hi), "9999-12-31");
        let (lo, hi) = TimeKind::DateTime.range();
        assert_eq!(read(TimeKind::DateTime, None, &show(TimeKind::DateTime, lo)), Some(lo));
        assert_eq!(read(TimeKind::DateTime, None, &show(TimeKind::DateTime, hi)), Some(hi));
    }

    #[test]
    fn datetime_literals_need_an_offset() {
        assert_eq!(datetime_literal("1970-01-01T00:00:01Z"), Ok(1000));
        assert_eq!(datetime_literal("1970-01-01T01:00:00+01:00"), Ok(0));
        assert_eq!(datetime_literal("2026-11-25T10:00:00"), Err(LiteralError::NoOffset));
        assert_eq!(datetime_literal("2026-11-25T25:00:00Z"), Err(LiteralError::NotADateTime));
        assert_eq!(date_literal("2026-02-30"), Err(LiteralError::NotADate));
    }

    #[test]
    fn input_reads_iso_forms_and_formats() {
        let dt = |text| read(TimeKind::DateTime, None, text);
        assert_eq!(dt("1970-01-01T00:00:00.123Z"), Some(123));
        assert_eq!(dt("1970-01-01 00:00:01Z"), Some(1000));
        assert_eq!(dt("1970-01-02"), Some(MS_PER_DAY));
        assert_eq!(dt("1970-01-01T10:00:00"), Some(36_000_000));
        assert_eq!(dt("tomorrow"), None);
        assert_eq!(read(TimeKind::Date, None, "1970-01-02T23:00:00-05:00"), Some(1));
        assert_eq!(read(TimeKind::Date, Some("%m/%d/%Y"), "01/02/1970"), Some(1));
        assert_eq!(read(TimeKind::Date, Some("%m/%d/%Y"), "1970-01-02"), Some(1));
        assert_eq!(read(TimeKind::Date, Some("%m/%d/%Y"), "13/45/2026"), None);
        assert_eq!(read(TimeKind::DateTime, Some("%d.%m.%Y %H:%M"), "02.01.1970 00:01"), Some(MS_PER_DAY + 60_000));
    }

    #[test]
    fn formats_are_checked_for_known_directives_and_a_whole_date() {
        assert_eq!(check_format("%m/%d/%Y"), Ok(()));
        assert_eq!(check_format("%d.%m.%y %H:%M"), Ok(()));
        assert_eq!(check_format("%m/%Y"), Err(FormatError::Incomplete));
        assert!(matches!(check_format("%m/%d/%Y %!"), Err(FormatError::Invalid(_))));
    }
}
