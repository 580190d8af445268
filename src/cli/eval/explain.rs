//! `--explain-only`: which decisions carry a trace.

use crate::eval::{Decision, Reason};

/// One kind of decision `--explain-only` keeps the trace of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainOnly {
    /// Leads a fallback took.
    Fallback,
    /// Leads nobody was chosen for: no rule matched, nobody eligible, or
    /// invalid with no `on invalid`.
    Unrouted,
    /// Invalid leads.
    Invalid,
    /// Every N-th lead (by record number), to look at a sample.
    Sample(u64),
}

/// Parses one `--explain-only` kind: `fallback`, `unrouted`, `invalid` or
/// `sample:N` (N >= 1).
pub fn parse(text: &str) -> Result<ExplainOnly, String> {
    match text.trim() {
        "fallback" => Ok(ExplainOnly::Fallback),
        "unrouted" => Ok(ExplainOnly::Unrouted),
        "invalid" => Ok(ExplainOnly::Invalid),
        other => match other.strip_prefix("sample:").map(str::parse::<u64>) {
            Some(Ok(n)) if n >= 1 => Ok(ExplainOnly::Sample(n)),
            _ => Err(format!("`{other}` is not one of fallback, unrouted, invalid, sample:N (N >= 1)")),
        },
    }
}

/// Which decisions carry a trace.
#[derive(Debug, Clone, Default)]
pub(super) struct Explain {
    on: bool,
    only: Vec<ExplainOnly>,
}

impl Explain {
    /// `--explain` alone traces every decision; `--explain-only` (which
    /// implies `--explain`) only the kinds it lists.
    pub(super) fn new(explain: bool, only: &[ExplainOnly]) -> Explain {
        Explain { on: explain || !only.is_empty(), only: only.to_vec() }
    }

    /// Whether any decision may carry a trace.
    pub(super) fn on(&self) -> bool {
        self.on
    }

    /// Whether the decision for record `record` keeps its trace.
    pub(super) fn keeps(&self, decision: &Decision, record: u64) -> bool {
        self.on
            && (self.only.is_empty()
                || self.only.iter().any(|kind| match kind {
                    ExplainOnly::Fallback => decision.reason == Reason::Fallback,
                    ExplainOnly::Unrouted => {
                        matches!(decision.reason, Reason::NoRuleMatched | Reason::NoEligibleMember)
                            || decision.target.is_none()
                    }
                    ExplainOnly::Invalid => decision.reason == Reason::Invalid,
                    ExplainOnly::Sample(n) => record.is_multiple_of(*n),
                }))
    }
}
