//! Conditions, actions and literals as one-line text.
//!
//! Leaf tokens (strings, numbers, quoted columns) are printed as the author
//! wrote them when the source is at hand (`5_000` stays `5_000`, `"\d"`
//! stays `"\d"`), and canonically from their values otherwise (for
//! [`super::condition`], which `diff` uses across versions).

use crate::source::Span;
use crate::syntax::ast::*;

/// Where leaf tokens come from.
#[derive(Debug, Clone, Copy)]
pub(super) struct Text<'a> {
    /// The file the AST was parsed from, when printing it back.
    pub source: Option<&'a str>,
}

impl Text<'_> {
    /// The source text under `span`, if printing as written.
    fn written(&self, span: Span) -> Option<&str> {
        self.source.and_then(|s| s.get(span.range())).filter(|s| !s.is_empty())
    }

    pub fn string(&self, s: &StrLit) -> String {
        self.written(s.span).map_or_else(|| quote(&s.value), str::to_string)
    }

    pub fn literal(&self, l: &Literal) -> String {
        if let Some(text) = self.written(l.span) {
            return text.to_string();
        }
        match &l.value {
            LiteralValue::Str(s) => quote(s),
            LiteralValue::Int(n) => n.to_string(),
            // `{:?}` keeps a `.0` or an exponent, so the text reads back as a float.
            LiteralValue::Float(f) => format!("{f:?}"),
            LiteralValue::Bool(b) => b.to_string(),
            LiteralValue::Date(t) | LiteralValue::DateTime(t) => t.text.to_string(),
        }
    }

    /// A lookup column: a name, or a quoted column name.
    pub fn column(&self, c: &Ident) -> String {
        match self.written(c.span) {
            Some(text) => text.to_string(),
            None if is_ident(&c.name) => c.name.clone(),
            None => quote(&c.name),
        }
    }

    /// A condition on one line.
    pub fn expr(&self, e: &Expr) -> String {
        match e {
            Expr::Or(parts, _) => self.join(parts, " or "),
            Expr::And(parts, _) => self.join(parts, " and "),
            Expr::Not(inner, _) => format!("not {}", self.expr(inner)),
            Expr::Paren(inner, _) => format!("({})", self.expr(inner)),
            Expr::Predicate(p) => self.predicate(p),
        }
    }

    /// The operands of a top-level `and`/`or`, with the operator that
    /// joins them, for breaking a long condition across lines.
    pub fn operands(&self, e: &Expr) -> Option<(&'static str, Vec<String>)> {
        match e {
            Expr::Or(parts, _) => Some(("or", parts.iter().map(|p| self.expr(p)).collect())),
            Expr::And(parts, _) => Some(("and", parts.iter().map(|p| self.expr(p)).collect())),
            _ => None,
        }
    }

    fn join(&self, parts: &[Expr], op: &str) -> String {
        parts.iter().map(|p| self.expr(p)).collect::<Vec<_>>().join(op)
    }

    /// A schema field or table column: `name: type[?] [from "Column"]`.
    pub fn field(&self, f: &FieldDecl) -> String {
        let optional = if f.optional { "?" } else { "" };
        let from = f.from.as_ref().map_or(String::new(), |s| format!(" from {}", self.string(s)));
        let format = f.format.as_ref().map_or(String::new(), |s| format!(" format {}", self.string(s)));
        format!("{}: {}{optional}{format}{from}", f.name.name, self.type_expr(&f.ty))
    }

    /// A predicate's subject: `field`, `table[key].column`, `lower(field)`.
    pub fn operand(&self, o: &Operand) -> String {
        match o {
            Operand::Name(name) => name.name.clone(),
            Operand::Column { table, key, column, .. } => {
                format!("{}[{}].{}", table.name, self.operand(key), column.name)
            }
            Operand::Call { function, argument, .. } => format!("{}({})", function.name, argument.name),
        }
    }

    fn predicate(&self, p: &Predicate) -> String {
        let subject = &self.operand(&p.subject);
        let not = |negated: bool| if negated { "not " } else { "" };
        match &p.kind {
            PredicateKind::Compare(op, _, lit) => format!("{subject} {} {}", op.as_str(), self.literal(lit)),
            PredicateKind::InList { negated, values } => {
                let values: Vec<String> = values.iter().map(|v| self.literal(v)).collect();
                format!("{subject} {}in [{}]", not(*negated), values.join(", "))
            }
            PredicateKind::InLookup { negated, lookup } => format!("{subject} {}in {}", not(*negated), lookup.name),
            PredicateKind::Text(op, _, lit) => format!("{subject} {} {}", op.as_str(), self.literal(lit)),
            PredicateKind::Matches(re) => format!("{subject} matches {}", self.string(re)),
            PredicateKind::Exists => format!("{subject} exists"),
            PredicateKind::Name => subject.clone(),
            PredicateKind::Within { amount, unit } => {
                let n = match amount.value {
                    LiteralValue::Int(n) => n,
                    _ => 0,
                };
                format!("{subject} within {} {}", self.literal(amount), unit.as_str(n))
            }
            PredicateKind::Hours(test) => {
                let HoursTest { inside, hours, zone } = test.as_ref();
                let side = if *inside { "inside" } else { "outside" };
                format!("{subject} {side} hours {} in {}", self.string(hours), self.string(zone))
            }
        }
    }

    /// The first target, then one `else fallback ...` per fallback, then
    /// `with ...` (the second owner, on one line).
    pub fn action_parts(&self, a: &Action) -> Vec<String> {
        std::iter::once(self.target(&a.target))
            .chain(a.fallbacks.iter().map(|t| format!("else fallback {}", self.target(t))))
            .chain(a.secondary.iter().map(|s| format!("with {}", self.action(s))))
            .collect()
    }

    /// `split [NAME] by FIELD {`: the head of a split broken over lines.
    pub fn split_head(&self, s: &SplitExpr) -> String {
        let name = s.name.as_ref().map_or(String::new(), |n| format!(" {}", n.name));
        format!("split{name} by {} {{", s.field.name)
    }

    /// `P% ACTION`: one arm.
    pub fn split_arm(&self, arm: &SplitArm) -> String {
        format!("{}% {}", self.literal(&arm.share), self.action(&arm.action))
    }

    pub fn action(&self, a: &Action) -> String {
        self.action_parts(a).join(" ")
    }

    fn target(&self, t: &Target) -> String {
        match t {
            Target::Team { name, strategy, keyword, .. } => {
                let team = if *keyword { "team " } else { "" };
                let via = strategy.as_ref().map_or(String::new(), |s| format!(" via {}", strategy_text(s)));
                format!("{team}{}{via}", name.name)
            }
            Target::Rep(id, _) => format!("rep {}", self.string(id)),
            Target::RepLookup { lookup, key, column, .. } => {
                let column = column.as_ref().map_or(String::new(), |c| format!(".{}", c.name));
                format!("rep {}[{}]{column}", lookup.name, self.operand(key))
            }
            Target::Queue(name, _) => format!("queue {}", name.name),
            Target::Split(split) => {
                let arms: Vec<String> = split.arms.iter().map(|arm| self.split_arm(arm)).collect();
                format!("{} {} }}", self.split_head(split), arms.join("; "))
            }
        }
    }

    pub fn type_expr(&self, t: &TypeExpr) -> String {
        match t {
            TypeExpr::Scalar(s, _) => scalar_name(*s).to_string(),
            TypeExpr::Enum(values, _) => values.iter().map(|v| self.string(v)).collect::<Vec<_>>().join(" | "),
            TypeExpr::List(element, _) => format!("list<{}>", self.type_expr(element)),
        }
    }
}

fn strategy_text(s: &StrategyExpr) -> String {
    match &s.key {
        Some(key) => format!("sticky({})", key.name),
        None => s.name.name.clone(),
    }
}

fn scalar_name(s: ScalarType) -> &'static str {
    match s {
        ScalarType::String => "string",
        ScalarType::Int => "int",
        ScalarType::Float => "float",
        ScalarType::Bool => "bool",
        ScalarType::Date => "date",
        ScalarType::DateTime => "datetime",
    }
}

fn is_ident(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A string literal that reads back as `value` (the inverse of the
/// parser's unescaping).
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}
