//! Step 5: declarations that do nothing or point nowhere: empty teams
//! (`W0106`), teams no rule or fallback sends leads to (`W0107`), lets
//! nothing refers to (`W0108`), lookups nothing tests or takes a rep from
//! (`W0109`), alias spellings that never apply (`W0110`: the spelling
//! already means that value — it is the value itself or an earlier
//! spelling, compared ignoring case — or the reader takes it for absent,
//! being empty or a `missing` marker), and lookup values naming a rep who
//! is in no team (`W0112`, for lookups used as `rep LOOKUP[FIELD]`).

use rustc_hash::{FxHashMap, FxHashSet};

use super::diagnostic;
use crate::check::program::{Action, Cond, Program, Target, TestKind};
use crate::diagnostics::{Code, Diagnostic};
use crate::schema::{ElementType, FieldType};

/// Unknown reps named in one warning, at most.
const SHOWN: usize = 5;

/// The diagnostics of step 5.
pub(crate) fn check(program: &Program) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let actions: Vec<&Action> = program.actions().collect();
    // Every arm of a split and every second owner counts as a use.
    let targets: Vec<&Target> = actions.iter().flat_map(|a| a.targets()).collect();

    let used_teams: FxHashSet<u32> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Team { team, .. } => Some(team.0),
            _ => None,
        })
        .collect();
    for (i, team) in program.teams.iter().enumerate() {
        if team.members.is_empty() {
            out.push(
                diagnostic(Code::EmptyTeam, team.span, format!("team `{}` has no members", team.name))
                    .label("nobody can take its leads")
                    .note("its leads go to the rule's fallbacks, else to `queue unassigned`")
                    .help("add members, or send these leads elsewhere"),
            );
        }
        if !used_teams.contains(&u32::try_from(i).unwrap_or(u32::MAX)) {
            out.push(
                diagnostic(Code::UnusedTeam, team.span, format!("team `{}` is never used", team.name))
                    .label("no rule or fallback sends leads here")
                    .help("remove it, or route leads to it"),
            );
        }
    }

    for decl in program.declarations.lets.iter().filter(|l| !l.used) {
        out.push(
            diagnostic(Code::UnusedLet, decl.span, format!("`let {}` is never used", decl.name))
                .label("no rule or let refers to it")
                .help("remove it, or use it in a rule"),
        );
    }

    let mut used_lookups: FxHashSet<u32> = FxHashSet::default();
    let conditions =
        program.rules.iter().map(|r| &r.condition).chain(program.declarations.lets.iter().map(|l| &l.condition));
    for cond in conditions {
        let mut stack = vec![cond];
        while let Some(c) = stack.pop() {
            match c {
                Cond::Test(test) => {
                    if let TestKind::InLookup(id) = test.kind {
                        used_lookups.insert(id.0);
                    }
                }
                Cond::Not(inner) => stack.push(inner),
                Cond::All(parts) | Cond::Any(parts) => stack.extend(parts.iter()),
                Cond::True => {}
            }
        }
    }
    let rep_lookups: FxHashSet<u32> = targets
        .iter()
        .filter_map(|t| match t {
            Target::RepLookup { lookup, .. } => Some(lookup.0),
            _ => None,
        })
        .collect();
    used_lookups.extend(rep_lookups.iter().copied());
    for (i, lookup) in program.lookups.iter().enumerate() {
        if !used_lookups.contains(&u32::try_from(i).unwrap_or(u32::MAX)) {
            out.push(
                diagnostic(Code::UnusedLookup, lookup.span, format!("lookup `{}` is never used", lookup.name))
                    .label("no rule tests against it or takes a rep from it")
                    .help("remove it, or use it: `FIELD in LOOKUP` or `rep LOOKUP[FIELD]`"),
            );
        }
    }

    let members: FxHashSet<&str> = program.teams.iter().flat_map(|t| t.members.iter().map(|m| m.id.as_str())).collect();
    // Every lookup and table column `rep` takes an id from: what it names.
    let mut sources: Vec<(String, crate::source::Span, Vec<&str>)> = Vec::new();
    for (i, lookup) in program.lookups.iter().enumerate() {
        if rep_lookups.contains(&u32::try_from(i).unwrap_or(u32::MAX)) {
            let ids = lookup.entries.values().map(String::as_str).collect();
            sources.push((format!("lookup `{}`", lookup.name), lookup.span, ids));
        }
    }
    let mut columns: Vec<crate::schema::FieldId> =
        targets.iter().filter_map(|t| if let Target::RepField(f) = t { Some(*f) } else { None }).collect();
    columns.sort_unstable();
    columns.dedup();
    for field in columns {
        let span = program.schema.field(field).span;
        sources.push((format!("`{}`", program.schema.field(field).name), span, program.rep_ids(field)));
    }
    for (what, span, ids) in sources {
        let mut unknown: Vec<&str> = ids.into_iter().filter(|rep| !members.contains(rep)).collect();
        unknown.sort_unstable();
        unknown.dedup();
        if unknown.is_empty() {
            continue;
        }
        let n = unknown.len();
        let shown: Vec<String> = unknown.iter().take(SHOWN).map(|r| format!("`{r}`")).collect();
        let more = if n > SHOWN { format!(" and {} more", n - SHOWN) } else { String::new() };
        out.push(
            diagnostic(
                Code::UnknownRep,
                span,
                format!("{what} names {n} rep{} in no team", if n == 1 { "" } else { "s" }),
            )
            .label("leads are sent to these reps by `rep` targets")
            .note(format!("in no team: {}{more}", shown.join(", ")))
            .help("check the spelling, or add them to a team so that the roster and strategies know them"),
        );
    }

    out.extend(unused_tables(program));
    out.extend(unused_aliases(program));
    out
}

/// `W0601`: a table no derived value reads. (A table used only in a `let`
/// nobody uses still counts as used: that let gets its own `W0108`.)
fn unused_tables(program: &Program) -> Vec<Diagnostic> {
    let used: FxHashSet<u32> = program
        .schema
        .derived
        .iter()
        .filter_map(|d| match d {
            crate::check::program::Derivation::Column { table, .. } => Some(table.0),
            _ => None,
        })
        .collect();
    (0..program.tables.len())
        .filter_map(|i| u32::try_from(i).ok())
        .filter(|i| !used.contains(i))
        .filter_map(|i| program.tables.get(i as usize))
        .map(|table| {
            diagnostic(Code::UnusedTable, table.span, format!("table `{}` is never used", table.name))
                .label("no condition or `rep` reads it")
                .help("remove it, or use it: `TABLE[FIELD].COLUMN`, `FIELD in TABLE` or `rep TABLE[FIELD].COLUMN`")
        })
        .collect()
}

fn unused_aliases(program: &Program) -> Vec<Diagnostic> {
    let schema = &program.schema;
    let mut out = Vec::new();
    // Per enum: lowercase spelling -> value, as the reader resolves them.
    let mut spellings: FxHashMap<u32, FxHashMap<String, u32>> = FxHashMap::default();
    for alias in &program.declarations.aliases {
        let Some(field) = schema.fields.get(alias.field.index()) else { continue };
        let enum_id = match field.ty {
            FieldType::Enum(id) | FieldType::List(ElementType::Enum(id)) => id,
            _ => continue,
        };
        let Some(enum_type) = schema.enums.get(enum_id.0 as usize) else { continue };
        let known = spellings.entry(enum_id.0).or_insert_with(|| {
            let mut map = FxHashMap::default();
            for (i, v) in enum_type.values.iter().enumerate() {
                map.entry(v.to_lowercase()).or_insert(u32::try_from(i).unwrap_or(u32::MAX));
            }
            map
        });
        let trimmed = alias.spelling.trim();
        let key = trimmed.to_lowercase();
        let value = enum_type.name(alias.value);
        let why = if trimmed.is_empty() {
            Some("an empty value is read as absent, before aliases apply".to_string())
        } else if schema.is_missing_marker(trimmed) {
            Some(format!("`{trimmed}` is a `missing` marker: it is read as absent, before aliases apply"))
        } else if known.get(&key) == Some(&alias.value) {
            Some(if enum_type.values.iter().any(|v| v.to_lowercase() == key) {
                format!("`{trimmed}` already means `{value}`: enum values match ignoring case")
            } else {
                format!("`{trimmed}` already means `{value}` by an earlier alias")
            })
        } else {
            known.entry(key).or_insert(alias.value);
            None
        };
        if let Some(why) = why {
            out.push(
                diagnostic(Code::UnusedAlias, alias.span, format!("alias `{}` never applies", alias.spelling))
                    .label(why)
                    .help("remove this spelling"),
            );
        }
    }
    out
}
