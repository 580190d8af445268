//! The roster: what changes daily about reps (LANGUAGE.md §7), read at eval
//! time. Every field is optional; a rep missing from the roster is eligible.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The roster file: `{"members": {"rep@x": {...}}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    /// Status by rep id.
    #[serde(default)]
    pub members: BTreeMap<String, MemberStatus>,
}

/// One rep's status.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberStatus {
    /// `false` takes the rep out of every distribution.
    pub available: Option<bool>,
    /// Most open leads the rep should hold.
    pub capacity: Option<u64>,
    /// Open leads the rep holds now.
    pub open_leads: Option<u64>,
    /// IANA time zone of `hours`.
    pub timezone: Option<String>,
    /// Working hours, e.g. `"Mon-Fri 09:00-17:00"`.
    pub hours: Option<String>,
    /// Date ranges `[from, to]`, inclusive.
    pub out_of_office: Option<Vec<[String; 2]>>,
    /// Paused until this instant.
    pub paused_until: Option<String>,
}

impl Roster {
    /// Parses a roster from JSON text.
    ///
    /// # Errors
    /// The JSON error, with its line and column.
    pub fn from_json(text: &str) -> Result<Roster, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The status of a rep, if the roster mentions them.
    pub fn status(&self, rep: &str) -> Option<&MemberStatus> {
        self.members.get(rep)
    }
}
