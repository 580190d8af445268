//! The output record of `route eval` (LANGUAGE.md §10): one per lead in.

use serde::Serialize;

/// A name a decision carries (a rule, a team, a queue, a rep): interned
/// once per process and copied as a pointer, never as text.
///
/// It was an `Arc<str>` shared with the compiled project: every decision
/// then cost three atomic increments when it was made and three
/// decrements when it was dropped, and the instructions waiting on them
/// held a third of the router's and the writer's samples under `perf`. Interned names are never freed, so the memory they take is
/// bounded by the distinct names a process ever sees (a server reloading
/// an edited project adds only the names the edit introduces).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(&'static str);

impl Name {
    /// The name's text.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl From<&str> for Name {
    /// The interned name of `text` (the same for equal texts).
    fn from(text: &str) -> Name {
        use std::sync::{Mutex, OnceLock};
        static NAMES: OnceLock<Mutex<rustc_hash::FxHashSet<&'static str>>> = OnceLock::new();
        let names = NAMES.get_or_init(Mutex::default);
        // A poisoned lock still holds a valid set: a panic elsewhere cannot
        // leave it half-updated (an insert is one call).
        let mut names = names.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(&name) = names.get(text) {
            return Name(name);
        }
        let name: &'static str = Box::leak(text.into());
        names.insert(name);
        Name(name)
    }
}

impl From<String> for Name {
    fn from(text: String) -> Name {
        Name::from(text.as_str())
    }
}

impl std::ops::Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.0
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

/// What finally received the lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// A team member.
    Team,
    /// A named rep.
    Rep,
    /// A holding queue.
    Queue,
}

/// Why the lead went where it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The matching rule's target took it.
    Matched,
    /// A fallback of the matching rule took it.
    Fallback,
    /// The rule matched but nobody anywhere in its chain was eligible.
    NoEligibleMember,
    /// No rule matched.
    NoRuleMatched,
    /// The lead's data is invalid.
    Invalid,
}

impl Reason {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Matched => "matched",
            Reason::Fallback => "fallback",
            Reason::NoEligibleMember => "no_eligible_member",
            Reason::NoRuleMatched => "no_rule_matched",
            Reason::Invalid => "invalid",
        }
    }
}

/// Why a lead is invalid, and where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeadError {
    /// The schema field at fault, when one is.
    pub field: Option<String>,
    /// The offending input value, when there is one.
    pub value: Option<String>,
    /// What is wrong, in words.
    pub message: String,
    /// 1-based record number in the input.
    pub record: u64,
    /// 1-based physical line where the record starts.
    pub line: u64,
}

/// One step of `--explain`: a rule tried and why it did not fire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceStep {
    /// The rule id.
    pub rule: String,
    /// Its line.
    pub line: u32,
    /// Whether it matched.
    pub matched: bool,
    /// The first predicate that failed, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// The lead's actual value of that predicate's field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<serde_json::Value>,
}

/// One step of `--explain`'s `distribution`: a target of the matching
/// rule's chain (its target, then each fallback) that was tried.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistributionStep {
    /// The target as written: `team enterprise_emea`, `rep "sam@acme.io"`,
    /// `rep account_owners[account_id]`, `queue nurture`.
    pub target: String,
    /// The rep or queue that took the lead; null when nobody here could.
    pub took: Option<String>,
    /// Members (or the one rep) passed over, each with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// Anything else worth knowing (a lookup without the key, a sticky
    /// lead without a key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A rep passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The rep.
    pub rep: String,
    /// `unavailable`, `out_of_office`, `paused`, `outside_hours` or
    /// `at_capacity`.
    pub reason: &'static str,
}

/// The routing decision for one lead. The parts most leads lack (a split,
/// a second owner, an error) are boxed: built and moved for every lead, the
/// decision was 400 bytes, most of them these.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The lead's id field, else its 1-based record number.
    pub lead: String,
    /// The rule that matched.
    pub rule: Option<Name>,
    /// Its line.
    pub line: Option<u32>,
    /// What received the lead (null for an invalid lead nobody took).
    pub target: Option<TargetKind>,
    /// The team's name, when a team took it.
    pub team: Option<Name>,
    /// The queue's name, when a queue took it.
    pub queue: Option<Name>,
    /// The rep, when one was assigned.
    pub assignee: Option<Name>,
    /// The strategy that picked the rep.
    pub strategy: Option<&'static str>,
    /// Whether a fallback took the lead.
    pub fallback: bool,
    /// Why.
    pub reason: Reason,
    /// For a rule whose action is a split: the split and the arm the
    /// lead's bucket fell in (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split: Option<Box<SplitChoice>>,
    /// For a rule with `with`: the second owner (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary: Option<Box<Secondary>>,
    /// For invalid leads: what is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Box<LeadError>>,
    /// With `--explain`: the rules tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceStep>>,
    /// With `--explain`: the targets tried, and who was passed over why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Vec<DistributionStep>>,
    /// With `--scores` (or `--explain`): each score of the lead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<ScoreValue>>,
}

/// One score of one lead (LANGUAGE.md §13).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreValue {
    /// The score's name.
    pub score: String,
    /// Its value: the points of the terms that hold.
    pub value: i64,
    /// With `--explain`: the terms that counted, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counted: Option<Vec<String>>,
}

impl Decision {
    /// A decision that sends the lead nowhere (yet): every field empty but
    /// the lead's id and the reason. The router fills in what took the lead.
    pub fn nowhere(lead: String, reason: Reason) -> Decision {
        Decision {
            lead,
            rule: None,
            line: None,
            target: None,
            team: None,
            queue: None,
            assignee: None,
            strategy: None,
            fallback: false,
            reason,
            split: None,
            secondary: None,
            error: None,
            trace: None,
            distribution: None,
            scores: None,
        }
    }
}

/// The arm of a split a lead was sent to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitChoice {
    /// The split's name (its own, else its rule's label).
    pub name: String,
    /// The arm, counted from 1 in the order written.
    pub arm: u32,
    /// The lead's bucket, 0..10,000: the arm whose cumulative shares
    /// cover it took the lead (null for a lead without the split's field,
    /// which goes to the first arm).
    pub bucket: Option<u32>,
}

/// The second owner of a lead (`-> ACTION with ACTION`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Secondary {
    /// The team's name, when a team member was chosen.
    pub team: Option<Name>,
    /// The queue's name, when a queue took the second place (`queue
    /// unassigned` when nobody in the chain was eligible).
    pub queue: Option<Name>,
    /// The rep, when one was chosen.
    pub assignee: Option<Name>,
    /// The strategy that picked the rep.
    pub strategy: Option<&'static str>,
    /// Whether a fallback of the `with` chain took it.
    pub fallback: bool,
    /// `matched`, `fallback` or `no_eligible_member`.
    pub reason: Reason,
}

#[cfg(test)]
mod tests {
    use super::Name;

    /// Equal texts are one interned name (one address, which the writer's
    /// cache keys on); names compare, order and serialize by their text.
    #[test]
    fn equal_texts_are_one_name() {
        let text = String::from("rep1a@acme.io");
        let (a, b) = (Name::from(text.as_str()), Name::from(text.clone()));
        assert_eq!(a.as_str().as_ptr(), b.as_str().as_ptr());
        assert_eq!(a, b);
        let other = Name::from("rep1b@acme.io");
        assert_ne!(a.as_str().as_ptr(), other.as_str().as_ptr());
        assert!(a < other);
        assert_eq!(&*a, "rep1a@acme.io");
        assert_eq!(serde_json::to_string(&a).ok().as_deref(), Some("\"rep1a@acme.io\""));
        let set: std::collections::BTreeSet<Name> = [other, a, b].into_iter().collect();
        assert!(set.contains("rep1a@acme.io") && set.len() == 2);
    }
}
