//! Splits (LANGUAGE.md §14), checked: a stable name, every share a
//! positive whole number of hundredths of a percent, the shares adding up
//! to exactly 100%.
//!
//! The arithmetic is in buckets ([`SPLIT_BUCKETS`] = 10,000), never in
//! floats, so `33.33% + 33.33% + 33.34%` is exactly 100% and a sum is
//! reported as written.

use super::program::SPLIT_BUCKETS;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{Ident, Literal, LiteralValue, SplitExpr};

/// The split's identity: its own name, else the rule's label; without
/// either, an error (a line number would change whenever a rule above it
/// is added or removed, and move leads between arms).
pub fn identity(split: &SplitExpr, label: Option<&Ident>) -> Result<String, Box<Diagnostic>> {
    match (&split.name, label) {
        (Some(name), _) | (None, Some(name)) => Ok(name.name.clone()),
        (None, None) => Err(Box::new(
            Diagnostic::new(Code::UnnamedSplit, split.span, "this split has no name")
                .label("its buckets need a name that does not change when other rules move")
                .help(format!(
                    "name it: `split NAME by {}`, or give the rule a label (`NAME: when ...`)",
                    split.field.name
                )),
        )),
    }
}

/// A share as a number of buckets: `12.5` is 1,250.
pub fn buckets(share: &Literal, at: Span) -> Result<u32, Box<Diagnostic>> {
    let hundredths = match share.value {
        LiteralValue::Int(i) => i.checked_mul(100),
        LiteralValue::Float(f) => {
            let scaled = f * 100.0;
            // Two decimals at most: 33.33 is 3,333 buckets, 33.333 is not a share.
            if (scaled - scaled.round()).abs() < 1e-6 {
                Some(scaled.round().clamp(-1e12, 1e12) as i64)
            } else {
                None
            }
        }
        LiteralValue::Str(_) | LiteralValue::Bool(_) | LiteralValue::Date(_) | LiteralValue::DateTime(_) => None,
    };
    let written = match &share.value {
        LiteralValue::Int(i) => i.to_string(),
        LiteralValue::Float(f) => f.to_string(),
        LiteralValue::Str(_) | LiteralValue::Bool(_) | LiteralValue::Date(_) | LiteralValue::DateTime(_) => {
            String::new()
        }
    };
    let (message, label) = match hundredths {
        Some(n) if n > 0 && n <= i64::from(SPLIT_BUCKETS) => return Ok(n as u32),
        Some(n) if n <= 0 => (format!("share `{written}%` is not above 0"), "a share takes some leads"),
        Some(_) => (format!("share `{written}%` is over 100%"), "one arm cannot take more than every lead"),
        None => {
            (format!("share `{written}%` has more than two decimals"), "shares are counted in hundredths of a percent")
        }
    };
    Err(Box::new(Diagnostic::new(Code::BadShare, at, message).label(label).help(
        "write a percentage above 0 with at most two decimals, e.g. `10%` or `12.5%`; remove an arm that should take no leads",
    )))
}

/// The error for shares that do not add up to 100%, showing the sum.
pub fn wrong_total(split: &SplitExpr, shares: &[(Span, u32)]) -> Diagnostic {
    let total: u64 = shares.iter().map(|&(_, s)| u64::from(s)).sum();
    let terms: Vec<String> = shares.iter().map(|&(_, s)| percent(u64::from(s))).collect();
    let (first, rest) = match shares.split_first() {
        Some(((span, _), rest)) => (*span, rest),
        None => (split.span, &[][..]),
    };
    let missing = i128::from(SPLIT_BUCKETS) - i128::from(total);
    let fix = if missing > 0 {
        format!("{} short of 100%", percent(missing.unsigned_abs() as u64))
    } else {
        format!("{} over 100%", percent(missing.unsigned_abs() as u64))
    };
    let mut diagnostic = Diagnostic::new(
        Code::SplitShares,
        first,
        format!("the shares of this split add up to {}, not 100%", percent(total)),
    )
    .label(format!("{} = {}", terms.join(" + "), percent(total)));
    for &(span, _) in rest {
        diagnostic = diagnostic.with_label(span, "");
    }
    diagnostic.help(format!("the shares are {fix}; change them so that they add up to exactly 100%"))
}

/// The error for a second split with the name (its own, or its rule's
/// label) of an earlier one.
pub fn same_name(name: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(Code::SplitNameTaken, span, format!("a split named `{name}` already exists"))
        .label("second split of this name")
        .with_label(first, "the first")
        .note(
            "arms are counted and reported by the split's name, and the same name hashes each lead to the same bucket",
        )
        .help("give each split a name of its own: `split NAME by FIELD`")
}

/// The error for a split with no arms.
pub fn empty(split: &SplitExpr) -> Diagnostic {
    Diagnostic::new(Code::EmptySplit, split.span, "this split has no arms")
        .label("every lead it takes must go somewhere")
        .help(format!("give it arms: `split by {} {{ 90% team a; 10% team b }}`", split.field.name))
}

/// Buckets as a percentage: 1,250 is `12.5%`, 9,000 is `90%`.
pub fn percent(buckets: u64) -> String {
    let (whole, hundredths) = (buckets / 100, buckets % 100);
    match hundredths {
        0 => format!("{whole}%"),
        h if h % 10 == 0 => format!("{whole}.{}%", h / 10),
        h => format!("{whole}.{h:02}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_print_as_written() {
        assert_eq!(percent(9_000), "90%");
        assert_eq!(percent(1_250), "12.5%");
        assert_eq!(percent(3_333), "33.33%");
        assert_eq!(percent(5), "0.05%");
    }

    #[test]
    fn shares_are_whole_hundredths_of_a_percent() {
        let share = |value| Literal { value, span: Span::default() };
        let buckets = |value| buckets(&share(value), Span::default());
        assert_eq!(buckets(LiteralValue::Int(90)).ok(), Some(9_000));
        assert_eq!(buckets(LiteralValue::Float(12.5)).ok(), Some(1_250));
        assert_eq!(buckets(LiteralValue::Float(33.33)).ok(), Some(3_333));
        for bad in [LiteralValue::Float(33.333), LiteralValue::Int(0), LiteralValue::Int(-5), LiteralValue::Int(101)] {
            assert!(buckets(bad).is_err());
        }
    }
}
