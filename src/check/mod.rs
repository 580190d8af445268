//! Stage 2: AST to checked [`Program`].
//!
//! Accepts the entry file; loads imports and lookup files; resolves every
//! name; type-checks every predicate against the schema (LANGUAGE.md §7);
//! inlines `let`s and flattens blocks. Guarantees that a returned `Program`
//! is well-formed. Reports every problem it finds, not just the first: each
//! declaration and rule is checked on its own, so one error never hides
//! another.

mod consequences;
pub mod files;
mod load;
pub mod overlay;
pub mod program;
mod reads;
mod resolve;
mod split;
mod tables;
mod types;

use std::path::Path;

use rustc_hash::FxHashMap;

pub use program::Program;
pub use split::percent as split_percent;
pub use types::type_name;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap};
use crate::syntax::ast;

/// The result of checking a project: the sources (for rendering), the
/// program when there were no errors, and every diagnostic.
#[derive(Debug)]
pub struct Checked {
    /// Every file read, the entry file first.
    pub sources: SourceMap,
    /// The program, when the project has no errors.
    pub program: Option<Program>,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Diagnostics,
}

/// Checks the project whose entry file is `path`, confined to its
/// directory (see [`files`]).
///
/// # Errors
/// When the entry file itself cannot be read (everything else is a diagnostic).
pub fn check_file(path: &Path) -> std::io::Result<Checked> {
    check_file_with(path, &files::DiskFiles::for_entry(path))
}

/// Checks the project whose entry file is `path`, reading imports and
/// lookups through `files`.
///
/// # Errors
/// When the entry file itself cannot be read, is not a regular file or is
/// larger than [`files::MAX_SOURCE_BYTES`].
pub fn check_file_with(path: &Path, files: &dyn files::ProjectFiles) -> std::io::Result<Checked> {
    // The entry file is the user's own choice: not confined (it may be a
    // symlink into another tree), but still a bounded regular file.
    let bytes = files::read_regular(path, files::MAX_SOURCE_BYTES)?;
    let text = String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let path = load::normalise(path);
    Ok(check_source_with(&load::display_name(&path), &path, text, files))
}

/// Checks a project given the entry file's text; `path` locates imports and
/// lookups (relative to its directory, confined to it).
pub fn check_source(name: &str, path: &Path, text: String) -> Checked {
    check_source_with(name, path, text, &files::DiskFiles::for_entry(path))
}

/// [`check_source`] reading imports and lookups through `files`.
pub fn check_source_with(name: &str, path: &Path, text: String, files: &dyn files::ProjectFiles) -> Checked {
    let Partial { sources, program, diagnostics, .. } = check_partial(name, path, text, files);
    let program = if diagnostics.has_errors() { None } else { program };
    Checked { sources, program, diagnostics }
}

/// What the checker made of a project, errors or not (gleam's `Outcome`):
/// what an editor shows while the text is still being typed.
#[derive(Debug)]
pub struct Partial {
    /// Every file read, the entry file first.
    pub sources: SourceMap,
    /// Every parsed file, the entry file first; declarations that failed
    /// to parse are missing from its items (see [`ast::Module::failed`]).
    pub modules: Vec<(FileId, ast::Module)>,
    /// The parts that checked, even when others did not: the schema,
    /// teams, lookups, the lets and rules that checked (a rule with an
    /// error is left out). `None` when there is no usable schema. Only a
    /// project without errors may be compiled: see [`Partial::complete`].
    pub program: Option<Program>,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Diagnostics,
}

impl Partial {
    /// The program, when it is whole (no errors): what [`check_source`]
    /// returns.
    pub fn complete(&self) -> Option<&Program> {
        self.program.as_ref().filter(|_| !self.diagnostics.has_errors())
    }
}

/// Checks a project given the entry file's text, keeping whatever checked.
pub fn check_partial(name: &str, path: &Path, text: String, files: &dyn files::ProjectFiles) -> Partial {
    let mut sources = SourceMap::new();
    let entry = sources.add(name, path, text);
    let mut diagnostics = Diagnostics::default();
    let loaded = load::load(&mut sources, entry, files, &mut diagnostics);
    let program = build(&loaded.modules, &sources, files, &mut diagnostics);
    diagnostics.sort();
    consequences::suppress(&loaded.modules, &sources, &mut diagnostics);
    Partial { sources, modules: loaded.modules, program, diagnostics }
}

fn build(
    modules: &[(FileId, ast::Module)],
    sources: &SourceMap,
    files: &dyn files::ProjectFiles,
    diagnostics: &mut Diagnostics,
) -> Option<Program> {
    // A schema lost to a syntax error is not "missing": say nothing more.
    let had_syntax_errors = diagnostics.has_errors();
    let decls = resolve::collect(modules, diagnostics);
    resolve::report_duplicates("team", decls.teams.iter().map(|t| &t.name), diagnostics);
    // Lookups and tables share one namespace: `x in NAME` and `NAME[x]`
    // take either.
    let tables_and_lookups = decls.lookups.iter().map(|l| &l.name).chain(decls.tables.iter().map(|t| &t.name));
    resolve::report_duplicates("lookup or table", tables_and_lookups, diagnostics);
    resolve::report_duplicates("score", decls.scores.iter().map(|s| &s.name), diagnostics);
    resolve::report_duplicates("let", decls.lets.iter().map(|l| &l.name), diagnostics);
    report_duplicate_labels(&decls.rules, diagnostics);
    report_extra_on_invalid(&decls.on_invalid, diagnostics);

    let mut schema = resolve::schema(&decls, !had_syntax_errors, diagnostics)?;
    report_lets_shadowing_fields(&decls.lets, &schema, diagnostics);
    report_scores_shadowing(&decls, &schema, diagnostics);
    resolve::aliases(&decls, &mut schema, diagnostics);
    let teams = resolve::teams(&decls, diagnostics);
    let lookups = tables::lookups(&decls, &schema, sources, files, diagnostics);
    let tables = tables::tables(&decls, &mut schema, sources, files, diagnostics);

    let input_schema = schema.clone();
    let mut checker = types::Checker::new(scope(&decls, &teams, &lookups, &tables, sources), schema);
    checker.check_scores(&decls.scores);
    checker.check_lets(&decls.lets);
    let rules = checker.rules(&decls.rules);
    let on_invalid = decls.on_invalid.first().and_then(|o| checker.action(&o.action));
    diagnostics.extend(std::mem::take(&mut checker.diagnostics));
    let (schema, scores, hours) = (checker.schema, checker.scores, checker.hours);
    let declarations = declarations(&decls, input_schema, &teams, &lookups, &tables, sources);
    Some(Program { schema, teams, lookups, rules, on_invalid, declarations, tables, scores, hours })
}

/// What conditions resolve names against.
fn scope<'a>(
    decls: &resolve::Declarations<'a>,
    teams: &'a [program::Team],
    lookups: &'a [program::Lookup],
    tables: &'a [program::Table],
    sources: &'a SourceMap,
) -> types::Scope<'a> {
    let lets: FxHashMap<&str, &ast::LetDecl> = decls.lets.iter().rev().map(|l| (l.name.name.as_str(), *l)).collect();
    let scores = decls.scores.iter().rev().map(|s| (s.name.name.as_str(), *s)).collect();
    // Looked up once per rule: a scan of every team was a twentieth of
    // checking 10,000 rules over 1,000 teams.
    let mut team_ids = FxHashMap::default();
    for (i, team) in (0u32..).zip(teams) {
        team_ids.entry(team.name.as_str()).or_insert(program::TeamId(i));
    }
    types::Scope { teams, team_ids, lookups, lets, sources, tables, scores }
}

/// The lets (their conditions and whether anything refers to them) and
/// alias spellings, for the analysis. Let conditions are checked again by
/// a checker whose diagnostics are dropped (the first pass reported them).
fn declarations<'a>(
    decls: &resolve::Declarations<'a>,
    schema: crate::schema::Schema,
    teams: &'a [program::Team],
    lookups: &'a [program::Lookup],
    tables: &'a [program::Table],
    sources: &'a SourceMap,
) -> program::Declarations {
    let mut referenced: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    let mut exprs: Vec<&ast::Expr> = decls.lets.iter().map(|l| &l.condition).collect();
    let mut rules: Vec<&ast::Rule> = decls.rules.clone();
    while let Some(rule) = rules.pop() {
        match &rule.kind {
            ast::RuleKind::When { condition, .. } => exprs.push(condition),
            ast::RuleKind::Block { condition, rules: inner } => {
                exprs.push(condition);
                rules.extend(inner.iter());
            }
            ast::RuleKind::Otherwise { .. } => {}
        }
    }
    while let Some(expr) = exprs.pop() {
        match expr {
            ast::Expr::Or(parts, _) | ast::Expr::And(parts, _) => exprs.extend(parts.iter()),
            ast::Expr::Not(inner, _) | ast::Expr::Paren(inner, _) => exprs.push(inner),
            ast::Expr::Predicate(p) if matches!(p.kind, ast::PredicateKind::Name) => {
                referenced.extend(p.subject.as_name().map(|n| n.name.as_str()));
            }
            ast::Expr::Predicate(_) => {}
        }
    }
    // The derived fields come out as in the first pass: the same scores,
    // then the same lets, resolved in the same order.
    let mut checker = types::Checker::new(scope(decls, teams, lookups, tables, sources), schema);
    checker.check_scores(&decls.scores);
    let lets = decls
        .lets
        .iter()
        .filter_map(|decl| {
            let condition = checker.condition(&decl.condition)?;
            Some(program::LetInfo {
                name: decl.name.name.clone(),
                span: decl.name.span,
                condition_span: decl.condition.span(),
                condition,
                used: referenced.contains(decl.name.name.as_str()),
            })
        })
        .collect();
    let schema = &checker.schema;
    let mut aliases = Vec::new();
    for alias in &decls.aliases {
        let Some(field) = schema.field_by_name(&alias.field.name) else { continue };
        let Some(enum_id) = resolve::enum_of(schema, field) else { continue };
        let Some(enum_type) = schema.enums.get(enum_id.0 as usize) else { continue };
        for group in &alias.groups {
            let Some(value) = enum_type.resolve(&group.to.value) else { continue };
            for spelling in &group.from {
                aliases.push(program::AliasInfo {
                    field,
                    spelling: spelling.value.clone(),
                    value,
                    span: spelling.span,
                });
            }
        }
    }
    program::Declarations { lets, aliases }
}

fn report_duplicate_labels(rules: &[&ast::Rule], diagnostics: &mut Diagnostics) {
    let mut labels = Vec::new();
    let mut stack: Vec<&ast::Rule> = rules.to_vec();
    while let Some(rule) = stack.pop() {
        labels.extend(rule.label.as_ref());
        if let ast::RuleKind::Block { rules, .. } = &rule.kind {
            stack.extend(rules.iter());
        }
    }
    labels.sort_by_key(|l| l.span);
    let mut seen: FxHashMap<&str, &ast::Ident> = FxHashMap::default();
    for label in labels {
        if let Some(first) = seen.get(label.name.as_str()) {
            diagnostics.push(
                Diagnostic::new(Code::DuplicateLabel, label.span, format!("rule label `{}` is used twice", label.name))
                    .label("used again here")
                    .with_label(first.span, "first used here")
                    .help("labels name rules in output; make each one unique"),
            );
        } else {
            seen.insert(&label.name, label);
        }
    }
}

fn report_extra_on_invalid(on_invalid: &[&ast::OnInvalidDecl], diagnostics: &mut Diagnostics) {
    if let Some((first, extras)) = on_invalid.split_first() {
        for extra in extras {
            diagnostics.push(
                Diagnostic::new(Code::SecondOnInvalid, extra.span, "a project has at most one `on invalid` rule")
                    .label("second `on invalid`")
                    .with_label(first.span, "first `on invalid`"),
            );
        }
    }
}

/// A score named like a schema field or a `let` would make the name mean two
/// things.
fn report_scores_shadowing(
    decls: &resolve::Declarations<'_>,
    schema: &crate::schema::Schema,
    diagnostics: &mut Diagnostics,
) {
    for score in &decls.scores {
        let field = schema.field_by_name(&score.name.name).map(|f| (schema.field(f).span, "field declared here"));
        let other = field.or_else(|| {
            decls.lets.iter().find(|l| l.name.name == score.name.name).map(|l| (l.name.span, "let declared here"))
        });
        if let Some((span, label)) = other {
            diagnostics.push(
                Diagnostic::new(Code::Duplicate, score.name.span, format!("`{}` is already declared", score.name.name))
                    .label("score with a taken name")
                    .with_label(span, label)
                    .help("give the score a name of its own"),
            );
        }
    }
}

fn report_lets_shadowing_fields(lets: &[&ast::LetDecl], schema: &crate::schema::Schema, diagnostics: &mut Diagnostics) {
    for decl in lets {
        if let Some(field) = schema.field_by_name(&decl.name.name) {
            diagnostics.push(
                Diagnostic::new(
                    Code::Duplicate,
                    decl.name.span,
                    format!("`{}` is already a schema field", decl.name.name),
                )
                .label("let with a field's name")
                .with_label(schema.field(field).span, "field declared here")
                .help("give the let a name of its own"),
            );
        }
    }
}
