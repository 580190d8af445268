//! The JSONL decision record written directly into a byte buffer: the
//! fixed keys of LANGUAGE.md §10 in their order, strings escaped exactly as
//! serde_json escapes them, so the bytes are those of `serde_json::to_writer`
//! on a [`Decision`] (a property test holds the two together) without the
//! serializer's per-field dispatch. The rare nested keys (`trace`,
//! `distribution`) still go through serde_json.

use std::io;
use std::ops::ControlFlow;

use super::sixteen;
use super::tails::Tails;
use crate::eval::{Decision, LeadError, TargetKind};

/// What to escape, per byte, as serde_json does: `"` and `\`, and every
/// control character below 0x20 (DEL and non-ASCII pass unchanged).
const fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Appends `text` as a JSON string (quotes included).
pub(crate) fn push_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut at = clean_prefix(bytes);
    while let Some(&byte) = bytes.get(at) {
        if needs_escape(byte) {
            out.extend_from_slice(bytes.get(start..at).unwrap_or_default());
            push_escape(out, byte);
            start = at + 1;
        }
        at += 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// How many leading bytes of `bytes` need no escape, found sixteen at a
/// time ([`sixteen`]; names and ids rarely hold one, and the per-byte loop
/// was most of writing a decision): every byte when none is below 0x20,
/// `"` or `\`, else at least up to the chunk that holds the first such
/// byte. The last few bytes are tested as a chunk too, padded with a byte
/// that needs no escape.
fn clean_prefix(bytes: &[u8]) -> usize {
    let first = sixteen::each_chunk(bytes, b'a', |base, chunk| {
        match sixteen::escapes(chunk) || sixteen::matches(chunk, b'"') != 0 {
            true => ControlFlow::Break(base),
            false => ControlFlow::Continue(()),
        }
    });
    match first {
        ControlFlow::Break(base) => base,
        ControlFlow::Continue(()) => bytes.len(),
    }
}

/// Appends one of this module's fixed names (a target kind, a strategy, a
/// reason: lowercase ASCII words) as a JSON string, with nothing to escape.
fn push_name(out: &mut Vec<u8>, name: &str) {
    debug_assert!(name.bytes().all(|b| !needs_escape(b)), "{name}");
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
}

/// The escape of one byte that needs one, in serde_json's spelling: the
/// short forms where JSON has them, else `\u00XX` in lowercase hex.
fn push_escape(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match byte {
        b'"' => Some(b'"'),
        b'\\' => Some(b'\\'),
        0x08 => Some(b'b'),
        0x0C => Some(b'f'),
        b'\n' => Some(b'n'),
        b'\r' => Some(b'r'),
        b'\t' => Some(b't'),
        _ => None,
    };
    match short {
        Some(c) => out.extend_from_slice(&[b'\\', c]),
        None => {
            let hex = |n: u8| HEX.get(usize::from(n & 0xF)).copied().unwrap_or(b'0');
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex(byte >> 4), hex(byte)]);
        }
    }
}

/// Appends `"key":` (keys are fixed ASCII without anything to escape).
fn push_key(out: &mut Vec<u8>, key: &str, first: bool) {
    if !first {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Appends one of the fixed names ([`push_name`]) or `null`.
fn push_opt_name(out: &mut Vec<u8>, name: Option<&str>) {
    match name {
        Some(name) => push_name(out, name),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends a string or `null`.
fn push_opt_str(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => push_str(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends an unsigned integer in decimal.
pub(super) fn push_u64(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(slot) = digits.get_mut(at) {
            *slot = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || at == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

/// The output name of a target kind (as its serde form).
pub(crate) fn target_name(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Team => "team",
        TargetKind::Rep => "rep",
        TargetKind::Queue => "queue",
    }
}

/// Appends one decision as compact JSON (no line end): the bytes
/// `serde_json::to_writer` writes for it, then, when `kept` is given, a
/// `kept` object of the copied input columns (`names[i]` holds `values[i]`).
///
/// # Errors
/// Only when serde_json fails on one of the optional parts (it does not
/// for these types).
pub(crate) fn push_decision(
    out: &mut Vec<u8>,
    tails: &mut Tails,
    decision: &Decision,
    kept: Option<Kept<'_>>,
) -> io::Result<()> {
    out.push(b'{');
    out.extend_from_slice(b"\"lead\":");
    push_str(out, &decision.lead);
    tails.push(out, decision, push_tail);
    // The optional parts, in the field order serde writes: the rarer ones
    // (a split, a second owner, the explanation, scores) through
    // serde_json itself.
    push_serde(out, "split", decision.split.as_ref())?;
    push_serde(out, "secondary", decision.secondary.as_ref())?;
    if let Some(error) = &decision.error {
        out.extend_from_slice(b",\"error\":");
        push_error(out, error);
    }
    push_serde(out, "trace", decision.trace.as_ref())?;
    push_serde(out, "distribution", decision.distribution.as_ref())?;
    push_serde(out, "scores", decision.scores.as_ref())?;
    if let Some(kept) = kept {
        out.extend_from_slice(b",\"kept\":");
        push_kept(out, kept);
    }
    out.push(b'}');
    Ok(())
}

/// The fields from `"rule"` to `"reason"`, written out.
fn push_tail(out: &mut Vec<u8>, decision: &Decision) {
    out.extend_from_slice(b",\"rule\":");
    push_opt_str(out, decision.rule.as_deref());
    out.extend_from_slice(b",\"line\":");
    match decision.line {
        Some(line) => push_u64(out, u64::from(line)),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"target\":");
    push_opt_name(out, decision.target.map(target_name));
    out.extend_from_slice(b",\"team\":");
    push_opt_str(out, decision.team.as_deref());
    out.extend_from_slice(b",\"queue\":");
    push_opt_str(out, decision.queue.as_deref());
    out.extend_from_slice(b",\"assignee\":");
    push_opt_str(out, decision.assignee.as_deref());
    out.extend_from_slice(b",\"strategy\":");
    push_opt_name(out, decision.strategy);
    out.extend_from_slice(b",\"fallback\":");
    out.extend_from_slice(if decision.fallback { b"true" } else { b"false" });
    out.extend_from_slice(b",\"reason\":");
    push_name(out, decision.reason.as_str());
}

/// Appends `,"key":VALUE` through serde_json when there is a value (the
/// `skip_serializing_if = "Option::is_none"` of [`Decision`]'s fields).
fn push_serde(out: &mut Vec<u8>, key: &str, value: Option<&impl serde::Serialize>) -> io::Result<()> {
    if let Some(value) = value {
        push_key(out, key, false);
        serde_json::to_writer(&mut *out, value)?;
    }
    Ok(())
}

/// Input columns copied into a record (`--keep`): their names, and for this
/// record each one's text (`None`: the input had no such column or key).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kept<'a> {
    pub(crate) names: &'a [String],
    pub(crate) values: &'a [Option<String>],
}

/// Appends the `kept` object.
fn push_kept(out: &mut Vec<u8>, kept: Kept<'_>) {
    out.push(b'{');
    for (i, name) in kept.names.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, name);
        out.push(b':');
        push_opt_str(out, kept.values.get(i).and_then(Option::as_deref));
    }
    out.push(b'}');
}

/// Appends a [`LeadError`] object.
fn push_error(out: &mut Vec<u8>, error: &LeadError) {
    out.push(b'{');
    out.extend_from_slice(b"\"field\":");
    push_opt_str(out, error.field.as_deref());
    out.extend_from_slice(b",\"value\":");
    push_opt_str(out, error.value.as_deref());
    out.extend_from_slice(b",\"message\":");
    push_str(out, &error.message);
    out.extend_from_slice(b",\"record\":");
    push_u64(out, error.record);
    out.extend_from_slice(b",\"line\":");
    push_u64(out, error.line);
    out.push(b'}');
}
