//! A roster member's `timezone`, read the way people write it.
//!
//! Only IANA zone names (`America/New_York`) say when a place changes its
//! clocks. People write abbreviations (`PST`, `CET`) and offsets (`GMT-5`)
//! instead, and two of these go wrong silently: the legacy names the tz
//! database still carries (`EST`, `MST`, `HST`, `EST5EDT`, `Etc/GMT+5`)
//! parse, but most are fixed offsets with no daylight saving, so a New York
//! rep written `EST` is "outside hours" at 09:30 in July; and `Etc/GMT+5`
//! means UTC−5 (POSIX inverts the sign). So:
//!
//! - an abbreviation the database does not know is an error naming the
//!   IANA zone to write instead (`PST` → `America/Los_Angeles`); ambiguous
//!   ones get the most common reading and the message names the other
//!   (`CST` is US Central here, `Asia/Shanghai` for China; `IST` is India);
//! - a legacy name the database knows is accepted with a warning naming
//!   the place zone to prefer;
//! - `GMT-5`, `UTC+3`, `UTC+05:30` are errors explaining the sign inversion;
//! - `UTC`, `GMT` and `Z` are UTC, silently.

use jiff::tz::TimeZone;

/// A zone read from the roster, and a warning when the name is one that
/// parses but probably does not mean what the author wanted.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The zone.
    pub zone: TimeZone,
    /// Why the name deserves a second look, when it does.
    pub warning: Option<String>,
}

/// Abbreviations the tz database does not know, with the zone most people
/// mean by them and, for ambiguous ones, a note on the other readings.
const ABBREVIATIONS: &[(&str, &str, &str)] = &[
    ("PST", "America/Los_Angeles", ""),
    ("PDT", "America/Los_Angeles", ""),
    ("PT", "America/Los_Angeles", ""),
    ("MDT", "America/Denver", ""),
    ("MT", "America/Denver", ""),
    ("CST", "America/Chicago", " (read as US Central; for China Standard Time use `Asia/Shanghai`)"),
    ("CDT", "America/Chicago", ""),
    ("CT", "America/Chicago", ""),
    ("EDT", "America/New_York", ""),
    ("ET", "America/New_York", ""),
    ("AKST", "America/Anchorage", ""),
    ("AKDT", "America/Anchorage", ""),
    ("HDT", "Pacific/Honolulu", ""),
    ("AST", "America/Halifax", " (read as Atlantic; for Arabia Standard Time use `Asia/Riyadh`)"),
    ("ADT", "America/Halifax", ""),
    ("NST", "America/St_Johns", ""),
    ("NDT", "America/St_Johns", ""),
    ("BST", "Europe/London", " (read as British Summer Time; for Bangladesh use `Asia/Dhaka`)"),
    ("IST", "Asia/Kolkata", " (read as India; for Ireland use `Europe/Dublin`, for Israel `Asia/Jerusalem`)"),
    ("CEST", "Europe/Berlin", " (or the zone of the rep's city, e.g. `Europe/Paris`)"),
    ("EEST", "Europe/Athens", " (or the zone of the rep's city, e.g. `Europe/Helsinki`)"),
    ("WEST", "Europe/Lisbon", ""),
    ("MSK", "Europe/Moscow", ""),
    ("GST", "Asia/Dubai", ""),
    ("PKT", "Asia/Karachi", ""),
    ("ICT", "Asia/Bangkok", ""),
    ("WIB", "Asia/Jakarta", ""),
    ("SGT", "Asia/Singapore", ""),
    ("HKT", "Asia/Hong_Kong", ""),
    ("PHT", "Asia/Manila", ""),
    ("JST", "Asia/Tokyo", ""),
    ("KST", "Asia/Seoul", ""),
    ("AEST", "Australia/Sydney", " (or `Australia/Brisbane`, which keeps no daylight saving)"),
    ("AEDT", "Australia/Sydney", ""),
    ("ACST", "Australia/Adelaide", " (or `Australia/Darwin`, which keeps no daylight saving)"),
    ("ACDT", "Australia/Adelaide", ""),
    ("AWST", "Australia/Perth", ""),
    ("NZST", "Pacific/Auckland", ""),
    ("NZDT", "Pacific/Auckland", ""),
    ("BRT", "America/Sao_Paulo", ""),
    ("ART", "America/Argentina/Buenos_Aires", ""),
    ("SAST", "Africa/Johannesburg", ""),
    ("WAT", "Africa/Lagos", ""),
    ("EAT", "Africa/Nairobi", ""),
];

/// Legacy names the tz database accepts, with the place zone to prefer.
const LEGACY: &[(&str, &str)] = &[
    ("EST", "America/New_York"),
    ("MST", "America/Denver"),
    ("HST", "Pacific/Honolulu"),
    ("EST5EDT", "America/New_York"),
    ("CST6CDT", "America/Chicago"),
    ("MST7MDT", "America/Denver"),
    ("PST8PDT", "America/Los_Angeles"),
    ("CET", "Europe/Berlin"),
    ("MET", "Europe/Berlin"),
    ("EET", "Europe/Athens"),
    ("WET", "Europe/Lisbon"),
];

/// A place zone for a whole-hour (or half-hour) offset from UTC in
/// minutes, to suggest instead of an offset.
const PLACE_FOR_OFFSET: &[(i32, &str)] = &[
    (-600, "Pacific/Honolulu"),
    (-540, "America/Anchorage"),
    (-480, "America/Los_Angeles"),
    (-420, "America/Denver"),
    (-360, "America/Chicago"),
    (-300, "America/New_York"),
    (-240, "America/Halifax"),
    (-180, "America/Sao_Paulo"),
    (0, "Europe/London"),
    (60, "Europe/Berlin"),
    (120, "Europe/Athens"),
    (180, "Europe/Moscow"),
    (240, "Asia/Dubai"),
    (300, "Asia/Karachi"),
    (330, "Asia/Kolkata"),
    (420, "Asia/Bangkok"),
    (480, "Asia/Singapore"),
    (540, "Asia/Tokyo"),
    (600, "Australia/Sydney"),
    (720, "Pacific/Auckland"),
];

/// Reads a roster `timezone`.
///
/// # Errors
/// Why the name is not a zone and which zone to write instead.
pub fn resolve(name: &str) -> Result<Zone, String> {
    let upper = name.trim().to_uppercase();
    if matches!(upper.as_str(), "UTC" | "GMT" | "Z") {
        return Ok(Zone { zone: TimeZone::UTC, warning: None });
    }
    if let Some((_, zone, note)) = ABBREVIATIONS.iter().find(|(abbreviation, _, _)| *abbreviation == upper) {
        return Err(format!("`{name}` is an abbreviation, not a time zone: use `{zone}`{note}"));
    }
    match TimeZone::get(name) {
        Ok(zone) => Ok(Zone { warning: legacy_warning(name, &upper, &zone), zone }),
        Err(_) => Err(offset_error(name, &upper).unwrap_or_else(|| unknown_zone(name))),
    }
}

/// The warning for a legacy name the database accepts, if `name` is one.
fn legacy_warning(name: &str, upper: &str, zone: &TimeZone) -> Option<String> {
    if let Some((_, place)) = LEGACY.iter().find(|(legacy, _)| *legacy == upper) {
        let what = match fixed_offset(zone) {
            Some(offset) => format!("a fixed offset of UTC{} all year, with no daylight saving", format_offset(offset)),
            None => "a legacy zone name, not a place".to_string(),
        };
        return Some(format!("`{name}` is {what}; use the zone of the rep's city, e.g. `{place}`"));
    }
    let offset = upper.strip_prefix("ETC/GMT").and_then(parse_offset).filter(|&minutes| minutes != 0)?;
    // POSIX names count hours west of Greenwich: `Etc/GMT+5` is UTC-05:00.
    let utc = -offset;
    Some(format!(
        "`{name}` is a fixed offset of UTC{} with no daylight saving (POSIX names invert the sign); \
         use the zone of the rep's city{}",
        format_offset(utc),
        place_hint(utc)
    ))
}

/// The error for `GMT-5`, `UTC+3`, `UTC+05:30` (not zone names).
fn offset_error(name: &str, upper: &str) -> Option<String> {
    let rest = upper.strip_prefix("GMT").or_else(|| upper.strip_prefix("UTC"))?;
    let offset = parse_offset(rest)?;
    let posix = if offset % 60 == 0 {
        format!("; a fixed offset is written `Etc/GMT{}` (POSIX names invert the sign)", format_hours(-offset / 60))
    } else {
        String::new()
    };
    Some(format!(
        "`{name}` is an offset, not a time zone: an offset cannot follow daylight saving; \
         use the zone of the rep's city{}{posix}",
        place_hint(offset)
    ))
}

/// `+5`, `-05:30`, `+0530` as minutes east of UTC (as the sign reads).
fn parse_offset(text: &str) -> Option<i32> {
    let (sign, digits) = match text.strip_prefix('+') {
        Some(digits) => (1, digits),
        None => (-1, text.strip_prefix('-')?),
    };
    let (hours, minutes) = match digits.split_once(':') {
        Some((hours, minutes)) => (hours, minutes),
        None if digits.len() == 4 && digits.is_ascii() => digits.split_at_checked(2)?,
        None => (digits, "0"),
    };
    let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 14 && minutes < 60 && !hours.is_negative() && !minutes.is_negative())
        .then_some(sign * (hours * 60 + minutes))
}

/// The zone's offset in minutes when it is the same in January and July
/// (no daylight saving either side of the equator), else `None`.
fn fixed_offset(zone: &TimeZone) -> Option<i32> {
    // Mid-January and mid-July 2026, 12:00 UTC.
    let [january, july] = [1_768_478_400, 1_784_116_800]
        .map(|second| jiff::Timestamp::from_second(second).map(|t| zone.to_offset(t).seconds() / 60));
    match (january, july) {
        (Ok(january), Ok(july)) if january == july => Some(january),
        _ => None,
    }
}

fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
}

fn format_hours(hours: i32) -> String {
    if hours < 0 {
        hours.to_string()
    } else {
        format!("+{hours}")
    }
}

fn place_hint(offset: i32) -> String {
    PLACE_FOR_OFFSET
        .iter()
        .find(|(minutes, _)| *minutes == offset)
        .map_or_else(|| ", e.g. `Europe/Berlin`".to_string(), |(_, place)| format!(", e.g. `{place}`"))
}

fn unknown_zone(name: &str) -> String {
    let zones: Vec<String> = jiff::tz::db().available().map(|zone| zone.as_str().to_string()).collect();
    let hint = crate::diagnostics::did_you_mean(name, zones.iter().map(String::as_str))
        .unwrap_or_else(|| "e.g. `Europe/Berlin`, `America/New_York`".to_string());
    format!("`{name}` is not an IANA time zone; {hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(name: &str) -> String {
        resolve(name).map(|z| format!("accepted: {:?}", z.warning)).unwrap_or_else(|e| e)
    }

    fn warning(name: &str) -> Option<String> {
        resolve(name).ok().and_then(|z| z.warning)
    }

    #[test]
    fn abbreviations_name_the_iana_zone() {
        assert_eq!(error("PST"), "`PST` is an abbreviation, not a time zone: use `America/Los_Angeles`");
        assert_eq!(error("pdt"), "`pdt` is an abbreviation, not a time zone: use `America/Los_Angeles`");
        assert!(error("CST").contains("use `America/Chicago` (read as US Central; for China"), "{}", error("CST"));
        assert!(error("IST").contains("use `Asia/Kolkata` (read as India"));
        for (abbreviation, zone) in [("EDT", "America/New_York"), ("JST", "Asia/Tokyo"), ("AEST", "Australia/Sydney")] {
            assert!(error(abbreviation).contains(&format!("use `{zone}`")), "{}", error(abbreviation));
        }
    }

    /// Every zone the tables suggest exists, so following the advice works.
    #[test]
    fn every_suggested_zone_exists() {
        let suggested = ABBREVIATIONS
            .iter()
            .map(|(_, zone, _)| *zone)
            .chain(LEGACY.iter().map(|(_, zone)| *zone))
            .chain(PLACE_FOR_OFFSET.iter().map(|(_, zone)| *zone));
        for zone in suggested {
            let resolved = resolve(zone).unwrap_or_else(|e| panic!("{zone}: {e}"));
            assert_eq!(resolved.warning, None, "{zone}");
        }
        // And every abbreviation really is unknown to the database (else
        // it belongs in LEGACY, accepted with a warning).
        for (abbreviation, _, _) in ABBREVIATIONS {
            assert!(TimeZone::get(abbreviation).is_err(), "{abbreviation} is in the tz database");
        }
        for (legacy, _) in LEGACY {
            assert!(TimeZone::get(legacy).is_ok(), "{legacy} is not in the tz database");
        }
    }

    #[test]
    fn legacy_zones_are_accepted_with_a_warning() {
        assert_eq!(
            warning("EST").as_deref(),
            Some(
                "`EST` is a fixed offset of UTC-05:00 all year, with no daylight saving; \
                 use the zone of the rep's city, e.g. `America/New_York`"
            )
        );
        assert!(warning("est").is_some_and(|w| w.contains("UTC-05:00")));
        assert!(warning("EST5EDT").is_some_and(|w| w.contains("a legacy zone name, not a place")));
        assert!(warning("CET").is_some_and(|w| w.contains("e.g. `Europe/Berlin`")));
        assert_eq!(
            warning("Etc/GMT+5").as_deref(),
            Some(
                "`Etc/GMT+5` is a fixed offset of UTC-05:00 with no daylight saving (POSIX names invert the sign); \
                 use the zone of the rep's city, e.g. `America/New_York`"
            )
        );
        assert!(warning("Etc/GMT-9").is_some_and(|w| w.contains("UTC+09:00") && w.contains("`Asia/Tokyo`")));
    }

    #[test]
    fn offsets_explain_the_sign_inversion() {
        assert_eq!(
            error("GMT-5"),
            "`GMT-5` is an offset, not a time zone: an offset cannot follow daylight saving; use the zone of the \
             rep's city, e.g. `America/New_York`; a fixed offset is written `Etc/GMT+5` (POSIX names invert the sign)"
        );
        assert!(error("UTC+05:30").contains("e.g. `Asia/Kolkata`") && !error("UTC+05:30").contains("Etc/GMT"));
        assert!(error("utc+0100").contains("`Etc/GMT-1`"));
    }

    #[test]
    fn utc_and_place_zones_are_silent() {
        for name in ["UTC", "GMT", "Z", "z", "Etc/UTC", "Etc/GMT", "America/New_York", "Europe/Berlin"] {
            assert_eq!(warning(name), None, "{name}");
            assert!(resolve(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn typos_still_get_did_you_mean() {
        assert!(error("Europe/Berln").contains("did you mean `Europe/Berlin`?"), "{}", error("Europe/Berln"));
        assert!(error("Mié").starts_with("`Mié` is not an IANA time zone"));
    }
}
