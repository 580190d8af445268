//! What stands where: every name, value and path of a parsed project as an
//! [`Occurrence`] (its kind, its name, its span, whether it declares or
//! uses), and the node under a position.
//!
//! One flat index serves every editor question: the node under the cursor
//! is the smallest occurrence containing it, go to definition finds the
//! declaring occurrence of the same symbol, find references filters by
//! symbol, document symbols are the declarations. A new kind of item is
//! one arm in [`Indexer::item`] (and a [`Kind`] when it names a new kind of
//! thing); nothing else needs to know it.

use crate::source::{FileId, Span};
use crate::syntax::ast::{self, Expr, Item, Module, PredicateKind, Rule, RuleKind, Target, TypeExpr};

/// What kind of thing a name names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A schema field.
    Field,
    /// A value of an enum field (or an alias spelling of one): the field's
    /// name is kept, since `"NA"` of `region` and of `country` differ.
    Value {
        /// The field the value belongs to.
        field: String,
    },
    /// A `let`.
    Let,
    /// A team.
    Team,
    /// A lookup table.
    Lookup,
    /// A file named by an `import` or a `lookup ... from`: the name is the
    /// path as written, resolved against the file it stands in.
    File,
    /// A distribution strategy after `via`.
    Strategy,
    /// A rule: its label, else its `when`/`otherwise` keyword.
    Rule,
    /// The schema.
    Schema,
}

impl Kind {
    /// The kind in words, for hovers and symbols.
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::Field => "field",
            Kind::Value { .. } => "value",
            Kind::Let => "let",
            Kind::Team => "team",
            Kind::Lookup => "lookup",
            Kind::File => "file",
            Kind::Strategy => "strategy",
            Kind::Rule => "rule",
            Kind::Schema => "schema",
        }
    }
}

/// One name, value or path in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// What it names.
    pub kind: Kind,
    /// The name as declared (a string literal's value, not its quotes).
    pub name: String,
    /// Where it stands.
    pub span: Span,
    /// Whether it declares the symbol (a field in the schema, `let NAME`,
    /// `team NAME`, ...) rather than using it.
    pub declares: bool,
    /// The whole declaration, for a declaring occurrence (the let, the team,
    /// the rule); the occurrence's own span otherwise.
    pub extent: Span,
}

impl Occurrence {
    /// Whether two occurrences name the same thing.
    pub fn same_symbol(&self, other: &Occurrence) -> bool {
        self.kind == other.kind && self.name == other.name
    }
}

/// Every occurrence in `modules` (a project's files), in source order per
/// file. Bare names in conditions are lets when a `let` of that name is
/// declared in any of the files, else (bool) fields.
pub fn index(modules: &[(FileId, Module)]) -> Vec<Occurrence> {
    let lets: Vec<&str> = modules
        .iter()
        .flat_map(|(_, m)| &m.items)
        .filter_map(|item| match item {
            Item::Let(l) => Some(l.name.name.as_str()),
            _ => None,
        })
        .collect();
    let mut indexer = Indexer { lets: &lets, out: Vec::new() };
    for (_, module) in modules {
        for item in &module.items {
            indexer.item(item);
        }
    }
    indexer.out.sort_by_key(|o| (o.span.file, o.span.start, o.span.end));
    indexer.out
}

/// The occurrence under a byte offset of `file`: the innermost one whose
/// span contains it (its end included, so a cursor just after a name
/// still finds it).
pub fn at(occurrences: &[Occurrence], file: FileId, offset: usize) -> Option<&Occurrence> {
    let offset = u32::try_from(offset).unwrap_or(u32::MAX);
    occurrences
        .iter()
        .filter(|o| o.span.file == file && o.span.start <= offset && offset <= o.span.end)
        .min_by_key(|o| o.span.end - o.span.start)
}

/// The keyword under a byte offset of `text`, when the word there is one of
/// `keywords`.
pub fn keyword_at<'k>(text: &str, offset: usize, keywords: &[&'k str]) -> Option<(&'k str, std::ops::Range<usize>)> {
    let range = word_at(text, offset)?;
    let word = text.get(range.clone())?;
    keywords.iter().find(|k| **k == word).map(|k| (*k, range))
}

/// The byte range of the word (letters, digits, `_`) around `offset`.
pub fn word_at(text: &str, offset: usize) -> Option<std::ops::Range<usize>> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let before = text.get(..offset)?;
    let start = before.char_indices().rev().take_while(|(_, c)| is_word(*c)).last().map_or(offset, |(i, _)| i);
    let after = text.get(offset..)?;
    let end = offset + after.char_indices().find(|(_, c)| !is_word(*c)).map_or(after.len(), |(i, _)| i);
    (start < end).then_some(start..end)
}

struct Indexer<'a> {
    lets: &'a [&'a str],
    out: Vec<Occurrence>,
}

impl Indexer<'_> {
    fn push(&mut self, kind: Kind, name: &str, span: Span) {
        self.out.push(Occurrence { kind, name: name.to_string(), span, declares: false, extent: span });
    }

    fn declare(&mut self, kind: Kind, name: &str, span: Span, extent: Span) {
        self.out.push(Occurrence { kind, name: name.to_string(), span, declares: true, extent });
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Schema(schema) => {
                self.declare(Kind::Schema, &schema.name.name, schema.name.span, schema.span);
                for field in &schema.fields {
                    self.declare(Kind::Field, &field.name.name, field.name.span, field.span);
                    self.type_values(&field.name.name, &field.ty);
                }
            }
            Item::Alias(alias) => {
                let field = &alias.field.name;
                self.push(Kind::Field, field, alias.field.span);
                for group in &alias.groups {
                    for spelling in &group.from {
                        let kind = Kind::Value { field: field.clone() };
                        self.declare(kind, &spelling.value, spelling.span, group.span);
                    }
                    self.push(Kind::Value { field: field.clone() }, &group.to.value, group.to.span);
                }
            }
            Item::Team(team) => self.declare(Kind::Team, &team.name.name, team.name.span, team.span),
            Item::Let(decl) => {
                self.declare(Kind::Let, &decl.name.name, decl.name.span, decl.span);
                self.expr(&decl.condition);
            }
            Item::Lookup(lookup) => {
                self.declare(Kind::Lookup, &lookup.name.name, lookup.name.span, lookup.span);
                self.push(Kind::File, &lookup.path.value, lookup.path.span);
            }
            // Tables share the lookups' namespace: `T[k].col` and `k in T`
            // name either.
            Item::Table(table) => {
                self.declare(Kind::Lookup, &table.name.name, table.name.span, table.span);
                self.push(Kind::File, &table.path.value, table.path.span);
            }
            Item::Score(score) => {
                self.declare(Kind::Field, &score.name.name, score.name.span, score.span);
                for term in &score.terms {
                    self.expr(&term.condition);
                }
            }
            Item::Import(import) => self.push(Kind::File, &import.path.value, import.path.span),
            Item::OnInvalid(on_invalid) => self.action(&on_invalid.action),
            Item::Rule(rule) => self.rule(rule),
        }
    }

    fn type_values(&mut self, field: &str, ty: &TypeExpr) {
        match ty {
            TypeExpr::Enum(values, _) => {
                for value in values {
                    self.declare(Kind::Value { field: field.to_string() }, &value.value, value.span, value.span);
                }
            }
            TypeExpr::List(element, _) => self.type_values(field, element),
            TypeExpr::Scalar(..) => {}
        }
    }

    fn rule(&mut self, rule: &Rule) {
        let (name, span) = match &rule.label {
            Some(label) => (label.name.clone(), label.span),
            None => (String::new(), rule.keyword),
        };
        self.declare(Kind::Rule, &name, span, rule.span);
        match &rule.kind {
            RuleKind::When { condition, action } => {
                self.expr(condition);
                self.action(action);
            }
            RuleKind::Block { condition, rules } => {
                self.expr(condition);
                for inner in rules {
                    self.rule(inner);
                }
            }
            RuleKind::Otherwise { action } => self.action(action),
        }
    }

    fn expr(&mut self, expr: &Expr) {
        // An explicit stack: conditions may nest deeply.
        let mut stack = vec![expr];
        while let Some(expr) = stack.pop() {
            match expr {
                Expr::Or(parts, _) | Expr::And(parts, _) => stack.extend(parts.iter()),
                Expr::Not(inner, _) | Expr::Paren(inner, _) => stack.push(inner),
                Expr::Predicate(p) => self.predicate(p),
            }
        }
    }

    fn predicate(&mut self, p: &ast::Predicate) {
        let Some(subject) = p.subject.as_name() else {
            self.operand(&p.subject);
            self.predicate_values(p, None);
            return;
        };
        if matches!(p.kind, PredicateKind::Name) && self.lets.contains(&subject.name.as_str()) {
            self.push(Kind::Let, &subject.name, subject.span);
            return;
        }
        self.push(Kind::Field, &subject.name, subject.span);
        self.predicate_values(p, Some(&subject.name));
    }

    /// The names inside a table column or a function call: the table (in
    /// the lookups' namespace, which tables share), the key, the argument.
    fn operand(&mut self, operand: &ast::Operand) {
        match operand {
            ast::Operand::Name(ident) => self.push(Kind::Field, &ident.name, ident.span),
            ast::Operand::Column { table, key, .. } => {
                self.push(Kind::Lookup, &table.name, table.span);
                self.operand(key);
            }
            ast::Operand::Call { argument, .. } => self.push(Kind::Field, &argument.name, argument.span),
        }
    }

    /// The lookup and the enum values a predicate names; values belong to
    /// `field` when the subject is a plain field.
    fn predicate_values(&mut self, p: &ast::Predicate, field: Option<&String>) {
        let value = |literal: &ast::Literal| match &literal.value {
            ast::LiteralValue::Str(s) => Some((s.clone(), literal.span)),
            _ => None,
        };
        let values: Vec<(String, Span)> = match &p.kind {
            PredicateKind::Compare(_, _, literal) | PredicateKind::Text(_, _, literal) => {
                value(literal).into_iter().collect()
            }
            PredicateKind::InList { values, .. } => values.iter().filter_map(value).collect(),
            PredicateKind::InLookup { lookup, .. } => {
                self.push(Kind::Lookup, &lookup.name, lookup.span);
                Vec::new()
            }
            PredicateKind::Matches(_)
            | PredicateKind::Exists
            | PredicateKind::Name
            | PredicateKind::Within { .. }
            | PredicateKind::Hours(_) => Vec::new(),
        };
        let Some(field) = field else { return };
        for (text, span) in values {
            self.push(Kind::Value { field: field.clone() }, &text, span);
        }
    }

    fn action(&mut self, action: &ast::Action) {
        for target in std::iter::once(&action.target).chain(&action.fallbacks) {
            match target {
                Target::Team { name, strategy, .. } => {
                    self.push(Kind::Team, &name.name, name.span);
                    if let Some(strategy) = strategy {
                        self.push(Kind::Strategy, &strategy.name.name, strategy.name.span);
                        if let Some(key) = &strategy.key {
                            self.push(Kind::Field, &key.name, key.span);
                        }
                    }
                }
                Target::RepLookup { lookup, key, .. } => {
                    self.push(Kind::Lookup, &lookup.name, lookup.span);
                    self.operand(key);
                }
                Target::Split(split) => {
                    self.push(Kind::Field, &split.field.name, split.field.span);
                    for arm in &split.arms {
                        self.action(&arm.action);
                    }
                }
                Target::Rep(..) | Target::Queue(..) => {}
            }
        }
        if let Some(secondary) = &action.secondary {
            self.action(secondary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"schema lead { region: "NA" | "EMEA"  big: bool }
alias region { "Europe" => "EMEA" }
team emea = ["a@x"]
let eu = region == "Europe" or region in ["EMEA"]
lookup owners from "owners.csv" key domain value rep
vip: when eu and big -> team emea via sticky(region) else fallback rep owners[region]
"#;

    fn occurrences() -> Vec<Occurrence> {
        let (module, diagnostics) = crate::syntax::parse(FileId(0), TEXT);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        index(&[(FileId(0), module)])
    }

    fn under(needle: &str, nth: usize) -> Option<Occurrence> {
        let offset = TEXT.match_indices(needle).nth(nth).map(|(i, _)| i + 1)?;
        at(&occurrences(), FileId(0), offset).cloned()
    }

    #[test]
    fn finds_the_node_under_a_position() {
        let cases: &[(&str, usize, Kind, &str, bool)] = &[
            ("region:", 0, Kind::Field, "region", true),
            ("region ==", 0, Kind::Field, "region", false),
            ("eu and", 0, Kind::Let, "eu", false),
            ("big -> ", 0, Kind::Field, "big", false),
            ("emea via", 0, Kind::Team, "emea", false),
            ("sticky", 0, Kind::Strategy, "sticky", false),
            ("owners[", 0, Kind::Lookup, "owners", false),
            ("\"owners.csv\"", 0, Kind::File, "owners.csv", false),
            ("vip", 0, Kind::Rule, "vip", true),
        ];
        for (needle, nth, kind, name, declares) in cases {
            let found = under(needle, *nth);
            assert_eq!(
                found.as_ref().map(|o| (&o.kind, o.name.as_str(), o.declares)),
                Some((kind, *name, *declares)),
                "under {needle}"
            );
        }
        let europe = under("\"Europe\"", 1).map(|o| (o.kind, o.name, o.declares));
        assert_eq!(europe, Some((Kind::Value { field: "region".into() }, "Europe".into(), false)));
    }

    #[test]
    fn every_use_of_a_symbol_is_found() {
        let all = occurrences();
        let region: Vec<bool> =
            all.iter().filter(|o| o.kind == Kind::Field && o.name == "region").map(|o| o.declares).collect();
        // Declared once; used by the alias, two predicates, sticky and the rep lookup.
        assert_eq!(region, [true, false, false, false, false, false]);
    }

    #[test]
    fn keywords_and_words_are_found_by_offset() {
        let text = "when x -> team t";
        assert_eq!(keyword_at(text, 2, &["when", "team"]), Some(("when", 0..4)));
        assert_eq!(keyword_at(text, 5, &["when", "team"]), None);
        assert_eq!(word_at(text, 16), Some(15..16));
        assert_eq!(word_at("a  b", 2), None);
    }
}
