//! Working hours: `"Mon-Fri 09:00-17:00"`, or several blocks
//! `"Mon-Thu 09:00-12:00,13:00-17:00; Fri 09:00-13:00"`.
//!
//! A schedule is a set of minute ranges within the week (Monday 00:00 is
//! minute 0). Times are wall-clock times in the rep's zone, so the question
//! "is it working time?" is asked of the civil time at `--now` in that zone,
//! which keeps it right across daylight-saving changes. A range whose end is
//! not after its start (`22:00-06:00`) runs past midnight into the next day.

use std::fmt;

const MINUTES_PER_DAY: u32 = 24 * 60;
const MINUTES_PER_WEEK: u32 = 7 * MINUTES_PER_DAY;
/// Day names as matched (lower case) and as written back.
const DAYS: [(&str, &str); 7] =
    [("mon", "Mon"), ("tue", "Tue"), ("wed", "Wed"), ("thu", "Thu"), ("fri", "Fri"), ("sat", "Sat"), ("sun", "Sun")];

/// A weekly working-hours schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Half-open minute-of-week ranges, sorted, non-overlapping, within the week.
    ranges: Vec<(u32, u32)>,
}

/// Why an hours string does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursError(pub String);

impl fmt::Display for HoursError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Schedule {
    /// Parses an hours string.
    ///
    /// # Errors
    /// What is wrong and where, e.g. "`Mnn` is not a day (Mon, Tue, ...)".
    pub fn parse(text: &str) -> Result<Schedule, HoursError> {
        let mut ranges = Vec::new();
        for block in text.split(';').map(str::trim).filter(|b| !b.is_empty()) {
            let (days, times) = block
                .split_once(char::is_whitespace)
                .ok_or_else(|| HoursError(format!("`{block}` needs days and times, e.g. `Mon-Fri 09:00-17:00`")))?;
            let days = parse_days(days.trim())?;
            for time in times.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                let (start, end) = parse_time_range(time)?;
                for &day in &days {
                    let from = day * MINUTES_PER_DAY + start;
                    let length = if end > start { end - start } else { end + MINUTES_PER_DAY - start };
                    push_wrapping(&mut ranges, from, from + length);
                }
            }
        }
        if ranges.is_empty() {
            return Err(HoursError(format!("`{text}` names no working time")));
        }
        Ok(Schedule { ranges: merge(ranges) })
    }

    /// Whether a civil time (day 0 = Monday, minute of day) is working time.
    pub fn contains(&self, weekday_from_monday: u32, minute_of_day: u32) -> bool {
        let minute = weekday_from_monday * MINUTES_PER_DAY + minute_of_day;
        self.ranges.iter().any(|&(start, end)| start <= minute && minute < end)
    }

    /// Whether the wall-clock time of `now` in `zone` is working time.
    pub fn contains_at(&self, now: jiff::Timestamp, zone: &jiff::tz::TimeZone) -> bool {
        let local = now.to_zoned(zone.clone());
        let weekday = u32::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0);
        let minute = u32::try_from(local.hour()).unwrap_or(0) * 60 + u32::try_from(local.minute()).unwrap_or(0);
        self.contains(weekday, minute)
    }

    /// The week's working minute ranges (Monday 00:00 = 0), for analysis.
    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }
}

impl fmt::Display for Schedule {
    /// The schedule in the form it is written in, canonically: days with
    /// the same hours grouped (`Mon-Fri 09:00-17:00; Sat 10:00-14:00`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_week(&self.ranges))
    }
}

/// Consecutive days `first..=last` with the same minute-of-day ranges.
type DayGroup<'a> = (usize, usize, &'a Vec<(u32, u32)>);

/// Minute-of-week ranges (Monday 00:00 = 0, half-open, sorted) written as
/// an hours string: each day's times, consecutive days with the same times
/// grouped, `24:00` for the end of a day (`Mon-Fri 00:00-09:00,17:00-24:00;
/// Sat-Sun 00:00-24:00`). The result parses back to the same ranges.
pub fn format_week(ranges: &[(u32, u32)]) -> String {
    let mut days: [Vec<(u32, u32)>; 7] = Default::default();
    for &(start, end) in ranges {
        let end = end.min(MINUTES_PER_WEEK);
        let mut from = start;
        while from < end {
            let day = from / MINUTES_PER_DAY;
            let day_end = (day + 1) * MINUTES_PER_DAY;
            let to = end.min(day_end);
            if let Some(times) = days.get_mut(day as usize) {
                times.push((from - day * MINUTES_PER_DAY, to - day * MINUTES_PER_DAY));
            }
            from = to;
        }
    }
    let mut blocks = Vec::new();
    // Consecutive days with the same times form one group (`Mon-Fri`).
    let mut groups: Vec<DayGroup<'_>> = Vec::new();
    for (day, times) in days.iter().enumerate() {
        match groups.last_mut() {
            Some((_, last, group_times)) if *group_times == times => *last = day,
            _ => groups.push((day, day, times)),
        }
    }
    for (first, last, times) in groups.into_iter().filter(|(_, _, times)| !times.is_empty()) {
        let span =
            if last == first { day_name(first).to_string() } else { format!("{}-{}", day_name(first), day_name(last)) };
        let times: Vec<String> = times.iter().map(|&(a, b)| format!("{}-{}", clock(a), clock(b))).collect();
        blocks.push(format!("{span} {}", times.join(",")));
    }
    blocks.join("; ")
}

fn day_name(day: usize) -> &'static str {
    DAYS.get(day).map_or("?", |(_, name)| name)
}

fn clock(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn push_wrapping(ranges: &mut Vec<(u32, u32)>, start: u32, end: u32) {
    if end <= MINUTES_PER_WEEK {
        ranges.push((start, end));
    } else {
        ranges.push((start, MINUTES_PER_WEEK));
        ranges.push((0, end - MINUTES_PER_WEEK));
    }
}

fn merge(mut ranges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

fn parse_day(text: &str) -> Result<u32, HoursError> {
    // Lower-cased as a whole string and compared by prefix, never sliced by
    // byte offset: a day written in another language (`Mié`) has multi-byte
    // characters where an ASCII name has its third letter.
    let lower = text.to_lowercase();
    DAYS.iter()
        .position(|(short, _)| lower.starts_with(short) && is_day_spelling(&lower))
        .and_then(|i| u32::try_from(i).ok())
        .ok_or_else(|| HoursError(format!("`{text}` is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)")))
}

fn is_day_spelling(lower: &str) -> bool {
    const FULL: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    FULL.iter().any(|full| full.starts_with(lower)) || lower == "tues" || lower == "thur" || lower == "thurs"
}

/// `Mon-Fri`, `Sat`, `Mon,Wed,Fri`, `Fri-Mon` (wrapping).
fn parse_days(text: &str) -> Result<Vec<u32>, HoursError> {
    let mut days = Vec::new();
    for part in text.split(',').map(str::trim) {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (parse_day(from.trim())?, parse_day(to.trim())?);
                let mut day = from;
                loop {
                    days.push(day);
                    if day == to {
                        break;
                    }
                    day = (day + 1) % 7;
                }
            }
            None => days.push(parse_day(part)?),
        }
    }
    days.sort_unstable();
    days.dedup();
    Ok(days)
}

/// `09:00-17:00` as minutes of the day; `24:00` is allowed as an end.
fn parse_time_range(text: &str) -> Result<(u32, u32), HoursError> {
    let (start, end) =
        text.split_once('-').ok_or_else(|| HoursError(format!("`{text}` is not a time range like `09:00-17:00`")))?;
    let (start, end) = (parse_clock(start.trim())?, parse_clock(end.trim())?);
    if start >= MINUTES_PER_DAY {
        return Err(HoursError(format!("`{text}` starts at 24:00; start at 00:00 of the next day instead")));
    }
    if start == end {
        return Err(HoursError(format!("`{text}` is empty: start and end are the same")));
    }
    Ok((start, end))
}

fn parse_clock(text: &str) -> Result<u32, HoursError> {
    let bad = || HoursError(format!("`{text}` is not a time like `09:00`"));
    let (hours, minutes) = text.split_once(':').ok_or_else(bad)?;
    let hours: u32 = hours.parse().map_err(|_| bad())?;
    let minutes: u32 = minutes.parse().map_err(|_| bad())?;
    if minutes >= 60 || hours > 24 || (hours == 24 && minutes > 0) {
        return Err(bad());
    }
    Ok(hours * 60 + minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_nine_to_five() {
        let s = Schedule::parse("Mon-Fri 09:00-17:00").unwrap();
        assert!(s.contains(0, 9 * 60));
        assert!(s.contains(4, 17 * 60 - 1));
        assert!(!s.contains(4, 17 * 60));
        assert!(!s.contains(5, 12 * 60));
    }

    #[test]
    fn several_blocks_and_ranges() {
        let s = Schedule::parse("Mon-Thu 09:00-12:00,13:00-17:00; Fri 09:00-13:00").unwrap();
        assert!(s.contains(1, 11 * 60));
        assert!(!s.contains(1, 12 * 60 + 30));
        assert!(s.contains(4, 12 * 60 + 59));
        assert!(!s.contains(4, 14 * 60));
    }

    #[test]
    fn overnight_and_week_wrap() {
        let s = Schedule::parse("Sun 22:00-06:00").unwrap();
        assert!(s.contains(6, 23 * 60));
        assert!(s.contains(0, 5 * 60));
        assert!(!s.contains(0, 6 * 60));
    }

    #[test]
    fn written_back_canonically() {
        for (text, canonical) in [
            ("Mon-Fri 09:00-17:00", "Mon-Fri 09:00-17:00"),
            (
                "mon-thu 09:00-12:00, 13:00-17:00; friday 09:00-13:00",
                "Mon-Thu 09:00-12:00,13:00-17:00; Fri 09:00-13:00",
            ),
            ("Sun 22:00-06:00", "Mon 00:00-06:00; Sun 22:00-24:00"),
            ("Mon,Wed 08:00-24:00", "Mon 08:00-24:00; Wed 08:00-24:00"),
        ] {
            let schedule = Schedule::parse(text).unwrap();
            assert_eq!(schedule.to_string(), canonical);
            assert_eq!(Schedule::parse(canonical).unwrap(), schedule);
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            Schedule::parse("Mnn-Fri 09:00-17:00").unwrap_err().0,
            "`Mnn` is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)"
        );
        assert_eq!(Schedule::parse("Mon-Fri 9-17").unwrap_err().0, "`9` is not a time like `09:00`");
        assert_eq!(
            Schedule::parse("Mon-Fri").unwrap_err().0,
            "`Mon-Fri` needs days and times, e.g. `Mon-Fri 09:00-17:00`"
        );
        assert!(Schedule::parse("Mon 09:60-10:00").is_err());
        assert!(Schedule::parse("").is_err());
    }

    /// Day names in other scripts are errors, never a panic on a byte
    /// offset inside a character (issue 7 item 7: `Mié` was sliced at 3).
    #[test]
    fn non_ascii_days_are_errors_not_panics() {
        assert_eq!(
            Schedule::parse("Mié 09:00-13:00").unwrap_err().0,
            "`Mié` is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)"
        );
        for text in [
            "Mi\u{e9}-Vie 09:00-13:00",
            "Lun-Mié 09:00-13:00",
            "月-金 09:00-17:00",
            "Пн-Пт 09:00-17:00",
            "Mo\u{301}n 09:00-17:00",
            "Mon 09:00-1７:00",
            "Mon 0９:00-17:00",
            "Mon-Fri 09:00–17:00",
            "ＭＯＮ 09:00-17:00",
            "😀 09:00-17:00",
            "é",
            "Mon é",
        ] {
            assert!(Schedule::parse(text).is_err(), "{text:?} parsed");
        }
    }

    /// Letters whose lower case is longer or shorter in bytes are still
    /// compared as text: `MON` and `mOnDaY` are Monday, `İ...` is no day.
    #[test]
    fn case_folding_does_not_shift_offsets() {
        assert_eq!(Schedule::parse("MON 09:00-10:00").unwrap(), Schedule::parse("Mon 09:00-10:00").unwrap());
        assert_eq!(Schedule::parse("mOnDaY 09:00-10:00").unwrap(), Schedule::parse("Mon 09:00-10:00").unwrap());
        assert!(Schedule::parse("İon 09:00-10:00").is_err());
    }
}
