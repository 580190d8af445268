//! AST equality up to spans: the one way the AST compares.
//!
//! Two parses of the same declarations laid out differently (other
//! whitespace, comments, line breaks) are `==`. What the author wrote that
//! carries meaning or intent still counts: `not not x` is not `x`, `(a)` is
//! not `a`, and `fallback team t` is not `fallback t`. The formatter asserts
//! this equality before it writes; `route diff` uses it for rule identity.
//!
//! Every impl destructures its type completely, so a field added later
//! without a decision here is a compile error, not a silent "equal".

use super::ast::*;

impl PartialEq for Module {
    /// Declarations only: trivia (comments, blank lines) never counts.
    fn eq(&self, other: &Self) -> bool {
        let Module { items, trivia: _, failed: _ } = self;
        *items == other.items
    }
}

impl PartialEq for Ident {
    fn eq(&self, other: &Self) -> bool {
        let Ident { name, span: _ } = self;
        *name == other.name
    }
}

impl PartialEq for StrLit {
    fn eq(&self, other: &Self) -> bool {
        let StrLit { value, span: _ } = self;
        *value == other.value
    }
}

impl PartialEq for Literal {
    fn eq(&self, other: &Self) -> bool {
        let Literal { value, span: _ } = self;
        *value == other.value
    }
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Item::Schema(a), Item::Schema(b)) => a == b,
            (Item::Alias(a), Item::Alias(b)) => a == b,
            (Item::Team(a), Item::Team(b)) => a == b,
            (Item::Let(a), Item::Let(b)) => a == b,
            (Item::Lookup(a), Item::Lookup(b)) => a == b,
            (Item::Import(a), Item::Import(b)) => a == b,
            (Item::OnInvalid(a), Item::OnInvalid(b)) => a == b,
            (Item::Rule(a), Item::Rule(b)) => a == b,
            (Item::Table(a), Item::Table(b)) => a == b,
            (Item::Score(a), Item::Score(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq for SchemaDecl {
    fn eq(&self, other: &Self) -> bool {
        let SchemaDecl { name, missing, numbers, fields, span: _ } = self;
        let lenient = |n: &Option<NumbersDecl>| n.as_ref().map(|n| n.lenient);
        *name == other.name
            && *missing == other.missing
            && lenient(numbers) == lenient(&other.numbers)
            && *fields == other.fields
    }
}

impl PartialEq for FieldDecl {
    fn eq(&self, other: &Self) -> bool {
        let FieldDecl { name, ty, optional, from, format, span: _ } = self;
        *name == other.name
            && *ty == other.ty
            && *optional == other.optional
            && *from == other.from
            && *format == other.format
    }
}

impl PartialEq for TypeExpr {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TypeExpr::Scalar(a, _), TypeExpr::Scalar(b, _)) => a == b,
            (TypeExpr::Enum(a, _), TypeExpr::Enum(b, _)) => a == b,
            (TypeExpr::List(a, _), TypeExpr::List(b, _)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq for AliasDecl {
    fn eq(&self, other: &Self) -> bool {
        let AliasDecl { field, groups, span: _ } = self;
        *field == other.field && *groups == other.groups
    }
}

impl PartialEq for AliasGroup {
    fn eq(&self, other: &Self) -> bool {
        let AliasGroup { from, to, span: _ } = self;
        *from == other.from && *to == other.to
    }
}

impl PartialEq for TeamDecl {
    fn eq(&self, other: &Self) -> bool {
        let TeamDecl { name, members, span: _ } = self;
        *name == other.name && *members == other.members
    }
}

impl PartialEq for MemberDecl {
    fn eq(&self, other: &Self) -> bool {
        let MemberDecl { id, weight, span: _ } = self;
        *id == other.id && *weight == other.weight
    }
}

impl PartialEq for LetDecl {
    fn eq(&self, other: &Self) -> bool {
        let LetDecl { name, condition, span: _ } = self;
        *name == other.name && *condition == other.condition
    }
}

impl PartialEq for LookupDecl {
    fn eq(&self, other: &Self) -> bool {
        let LookupDecl { name, path, key, value, span: _ } = self;
        *name == other.name && *path == other.path && *key == other.key && *value == other.value
    }
}

impl PartialEq for TableDecl {
    fn eq(&self, other: &Self) -> bool {
        let TableDecl { name, path, key, case_insensitive, columns, span: _ } = self;
        *name == other.name
            && *path == other.path
            && *key == other.key
            && *case_insensitive == other.case_insensitive
            && *columns == other.columns
    }
}

impl PartialEq for ScoreDecl {
    fn eq(&self, other: &Self) -> bool {
        let ScoreDecl { name, terms, span: _ } = self;
        *name == other.name && *terms == other.terms
    }
}

impl PartialEq for ScoreTerm {
    fn eq(&self, other: &Self) -> bool {
        let ScoreTerm { points, condition, span: _ } = self;
        *points == other.points && *condition == other.condition
    }
}

impl PartialEq for Operand {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Operand::Name(a), Operand::Name(b)) => a == b,
            (
                Operand::Column { table: t1, key: k1, column: c1, span: _ },
                Operand::Column { table: t2, key: k2, column: c2, span: _ },
            ) => t1 == t2 && k1 == k2 && c1 == c2,
            (
                Operand::Call { function: f1, argument: a1, span: _ },
                Operand::Call { function: f2, argument: a2, span: _ },
            ) => f1 == f2 && a1 == a2,
            _ => false,
        }
    }
}

impl PartialEq for ImportDecl {
    fn eq(&self, other: &Self) -> bool {
        let ImportDecl { path, span: _ } = self;
        *path == other.path
    }
}

impl PartialEq for OnInvalidDecl {
    fn eq(&self, other: &Self) -> bool {
        let OnInvalidDecl { action, span: _ } = self;
        *action == other.action
    }
}

impl PartialEq for Rule {
    /// Label and body; where the rule stands (its line) never counts.
    fn eq(&self, other: &Self) -> bool {
        let Rule { label, kind, keyword: _, span: _ } = self;
        *label == other.label && *kind == other.kind
    }
}

impl PartialEq for RuleKind {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (RuleKind::When { condition: c1, action: a1 }, RuleKind::When { condition: c2, action: a2 }) => {
                c1 == c2 && a1 == a2
            }
            (RuleKind::Block { condition: c1, rules: r1 }, RuleKind::Block { condition: c2, rules: r2 }) => {
                c1 == c2 && r1 == r2
            }
            (RuleKind::Otherwise { action: a1 }, RuleKind::Otherwise { action: a2 }) => a1 == a2,
            _ => false,
        }
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Expr::Or(a, _), Expr::Or(b, _)) | (Expr::And(a, _), Expr::And(b, _)) => a == b,
            (Expr::Not(a, _), Expr::Not(b, _)) | (Expr::Paren(a, _), Expr::Paren(b, _)) => a == b,
            (Expr::Predicate(a), Expr::Predicate(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq for Predicate {
    fn eq(&self, other: &Self) -> bool {
        let Predicate { subject, kind, span: _ } = self;
        *subject == other.subject && *kind == other.kind
    }
}

impl PartialEq for PredicateKind {
    fn eq(&self, other: &Self) -> bool {
        use PredicateKind as K;
        match (self, other) {
            (K::Compare(o1, _, l1), K::Compare(o2, _, l2)) => o1 == o2 && l1 == l2,
            (K::InList { negated: n1, values: v1 }, K::InList { negated: n2, values: v2 }) => n1 == n2 && v1 == v2,
            (K::InLookup { negated: n1, lookup: l1 }, K::InLookup { negated: n2, lookup: l2 }) => n1 == n2 && l1 == l2,
            (K::Text(o1, _, l1), K::Text(o2, _, l2)) => o1 == o2 && l1 == l2,
            (K::Matches(a), K::Matches(b)) => a == b,
            (K::Exists, K::Exists) | (K::Name, K::Name) => true,
            (K::Within { amount: a1, unit: u1 }, K::Within { amount: a2, unit: u2 }) => a1 == a2 && u1 == u2,
            (K::Hours(a), K::Hours(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq for Action {
    fn eq(&self, other: &Self) -> bool {
        let Action { target, fallbacks, secondary, span: _ } = self;
        *target == other.target && *fallbacks == other.fallbacks && *secondary == other.secondary
    }
}

impl PartialEq for SplitExpr {
    fn eq(&self, other: &Self) -> bool {
        let SplitExpr { name, field, arms, span: _ } = self;
        *name == other.name && *field == other.field && *arms == other.arms
    }
}

impl PartialEq for SplitArm {
    fn eq(&self, other: &Self) -> bool {
        let SplitArm { share, action, percent: _, span: _ } = self;
        *share == other.share && *action == other.action
    }
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Target::Team { name: n1, strategy: s1, keyword: k1, span: _ },
                Target::Team { name: n2, strategy: s2, keyword: k2, span: _ },
            ) => n1 == n2 && s1 == s2 && k1 == k2,
            (Target::Rep(a, _), Target::Rep(b, _)) => a == b,
            (
                Target::RepLookup { lookup: l1, key: k1, column: c1, span: _ },
                Target::RepLookup { lookup: l2, key: k2, column: c2, span: _ },
            ) => l1 == l2 && k1 == k2 && c1 == c2,
            (Target::Queue(a, _), Target::Queue(b, _)) => a == b,
            (Target::Split(a), Target::Split(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq for StrategyExpr {
    fn eq(&self, other: &Self) -> bool {
        let StrategyExpr { name, key, span: _ } = self;
        *name == other.name && *key == other.key
    }
}

#[cfg(test)]
mod tests {
    use crate::source::FileId;
    use crate::syntax::{ast::Module, parse};

    fn module(text: &str) -> Module {
        let (module, diagnostics) = parse(FileId(0), text);
        assert!(!diagnostics.has_errors(), "{text}");
        module
    }

    #[test]
    fn layout_and_comments_do_not_count() {
        let a =
            module("team t = [\"a\" weight 2]\nlabel: when x == 1 and y and t[lower(k)].c -> team t else fallback q\n");
        let b = module(
            "# c\n\nteam t=[\n \"a\"  weight 2,\n]\nlabel:\n when x==1\n and y # why\n and t[ lower( k ) ].c -> team t\n else fallback q",
        );
        assert!(a == b);
        let a = module("l: when x -> split by id { 90% team t else fallback q; 10% team u with rep \"r\" }");
        let b = module("l: when x\n -> split by id {\n  90% team t else fallback q\n  10% team u\n  with rep \"r\"\n}");
        assert!(a == b);
    }

    #[test]
    fn what_the_author_wrote_counts() {
        let pairs = [
            ("let a = not not x", "let a = x"),
            ("let a = (x)", "let a = x"),
            ("let a = (x and y) and z", "let a = x and y and z"),
            ("when x -> team t else fallback team u", "when x -> team t else fallback u"),
            ("l: when x -> queue q", "when x -> queue q"),
            ("let a = n == 1", "let a = n == 1.0"),
            ("let a = t[k].c == 1", "let a = t[k].d == 1"),
            ("let a = t[lower(k)].c == 1", "let a = t[domain(k)].c == 1"),
            ("when x -> rep t[k].c", "when x -> rep t[k]"),
            ("when x -> team t with team u", "when x -> team t"),
            ("when x -> team t with team u", "when x -> team t with team v"),
            (
                "l: when x -> split by id { 50% team t; 50% team u }",
                "l: when x -> split by id { 40% team t; 60% team u }",
            ),
            ("when x -> split s by id { 100% team t }", "when x -> split r by id { 100% team t }"),
            ("when x -> split s by id { 100% team t }", "when x -> split s by id { 100% team t with team u }"),
        ];
        for (left, right) in pairs {
            assert!(module(left) != module(right), "{left} == {right}");
        }
    }
}
