//! Conditions, actions and rules: names bound, literals typed against the
//! schema (LANGUAGE.md §7), `let`s inlined, blocks flattened.

use rustc_hash::FxHashMap;

use super::program::{
    Action, Cond, Lookup, Number, Ordering, RuleInfo, Scalar, Strategy, Target, Team, Test, TestKind,
};
use super::resolve::{lookup_id, team_id, unknown_field};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Written};
use crate::schema::{ElementType, FieldId, FieldType, Schema};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, CompareOp, Expr, Ident, Literal, LiteralValue, PredicateKind, RuleKind, TextOp};

/// How deep a checked condition may nest once `let`s are inlined.
pub const MAX_CONDITION_DEPTH: usize = 200;

/// The strategies `via` accepts.
pub const STRATEGIES: &[&str] = &["round_robin", "weighted", "load_balanced", "random", "sticky", "first_available"];

/// Everything names resolve against.
pub struct Scope<'a> {
    /// The schema.
    pub schema: &'a Schema,
    /// Teams.
    pub teams: &'a [Team],
    /// Lookups.
    pub lookups: &'a [Lookup],
    /// `let` declarations by name.
    pub lets: FxHashMap<&'a str, &'a ast::LetDecl>,
    /// Sources, for rule line numbers.
    pub sources: &'a SourceMap,
}

enum LetState {
    InProgress,
    /// The checked condition (`None`: it had errors, already reported) and
    /// its size in nodes.
    Done(Option<Cond>, usize),
}

/// The most nodes one condition may have once its lets are expanded. Each
/// use of a let copies its condition, so `let l1 = l0 and l0` doubles at
/// every step: without a bound, 25 such lines exhaust memory.
pub const MAX_EXPANDED_NODES: usize = 100_000;

/// The most nodes all rules together may have once lets are expanded and
/// blocks flattened (a block's condition is copied into each of its rules).
pub const MAX_PROGRAM_NODES: usize = 1_000_000;

/// Turns conditions and actions into IR, collecting diagnostics.
pub struct Checker<'a> {
    scope: Scope<'a>,
    lets: FxHashMap<String, LetState>,
    /// The chain of lets being expanded (for cycle reports).
    let_stack: Vec<&'a ast::LetDecl>,
    /// Nodes copied from lets into the condition being checked.
    expanded: usize,
    /// Nodes of the flattened rules so far.
    program_nodes: usize,
    /// Whether the program-wide budget was already reported.
    program_budget_hit: bool,
    /// Where each used team, let, lookup was used (for unused warnings later).
    pub diagnostics: Diagnostics,
}

impl<'a> Checker<'a> {
    /// A checker over a scope.
    pub fn new(scope: Scope<'a>) -> Checker<'a> {
        Checker {
            scope,
            lets: FxHashMap::default(),
            let_stack: Vec::new(),
            expanded: 0,
            program_nodes: 0,
            program_budget_hit: false,
            diagnostics: Diagnostics::default(),
        }
    }

    /// Checks every `let`, even unused ones, so their errors are reported.
    pub fn check_lets(&mut self, lets: &[&'a ast::LetDecl]) {
        for decl in lets {
            self.let_condition(decl, None);
        }
    }

    /// The condition of a let, checked once; `used_at` is the use being
    /// expanded (`None` when checking the declaration itself), charged
    /// against [`MAX_EXPANDED_NODES`].
    fn let_condition(&mut self, decl: &'a ast::LetDecl, used_at: Option<Span>) -> Option<Cond> {
        let size = match self.lets.get(&decl.name.name) {
            Some(LetState::Done(None, _)) => return None,
            Some(LetState::Done(Some(_), size)) => *size,
            Some(LetState::InProgress) => {
                self.report_let_cycle(decl);
                return None;
            }
            None => {
                self.lets.insert(decl.name.name.clone(), LetState::InProgress);
                self.let_stack.push(decl);
                // The let's own expansion is counted from zero: it is
                // charged to the caller as a whole below.
                let outer = std::mem::take(&mut self.expanded);
                let cond = self.condition(&decl.condition);
                self.expanded = outer;
                self.let_stack.pop();
                let size = cond.as_ref().map_or(0, node_count);
                self.lets.insert(decl.name.name.clone(), LetState::Done(cond, size));
                size
            }
        };
        if let Some(span) = used_at {
            self.expanded = self.expanded.saturating_add(size);
            if self.expanded > MAX_EXPANDED_NODES {
                self.report_expansion(decl, span, size);
                return None;
            }
        }
        match self.lets.get(&decl.name.name) {
            Some(LetState::Done(cond, _)) => cond.clone(),
            _ => None,
        }
    }

    /// The expansion budget ran out while copying `used` into the condition
    /// being checked: names the let being defined (or the use, in a rule).
    fn report_expansion(&mut self, used: &ast::LetDecl, at: Span, size: usize) {
        let (span, subject) = match self.let_stack.last() {
            Some(defining) => (defining.name.span, format!("`let {}`", defining.name.name)),
            None => (at, "this condition".to_string()),
        };
        self.diagnostics.push(
            Diagnostic::new(
                Code::ConditionTooLarge,
                span,
                format!("{subject} expands to more than {MAX_EXPANDED_NODES} conditions"),
            )
            .label("too large once its lets are expanded")
            .with_label(at, format!("`{}` alone is {size} conditions", used.name.name))
            .note("every use of a let copies its condition, so lets built from repeated lets grow exponentially")
            .help("test the shared part once, e.g. in a block, instead of repeating a let"),
        );
    }

    fn report_let_cycle(&mut self, decl: &ast::LetDecl) {
        let start = self.let_stack.iter().position(|d| d.name.name == decl.name.name).unwrap_or(0);
        let chain: Vec<&str> = self.let_stack.iter().skip(start).map(|d| d.name.name.as_str()).collect();
        let mut diagnostic = Diagnostic::new(
            Code::LetCycle,
            decl.name.span,
            format!("`let {}` is defined in terms of itself", decl.name.name),
        )
        .label("this let")
        .note(format!("cycle: {} -> {}", chain.join(" -> "), decl.name.name))
        .help("a let must be built from fields and earlier lets; break the cycle");
        for other in self.let_stack.iter().skip(start + 1) {
            diagnostic = diagnostic.with_label(other.name.span, "part of the cycle");
        }
        self.diagnostics.push(diagnostic);
    }

    /// Checks a condition; `None` when it has errors (already reported).
    pub fn condition(&mut self, expr: &'a Expr) -> Option<Cond> {
        if self.let_stack.is_empty() {
            // A new top-level condition: its own expansion budget.
            self.expanded = 0;
        }
        let cond = self.expr(expr)?;
        if depth(&cond) > MAX_CONDITION_DEPTH {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::TooDeep,
                    expr.span(),
                    "this condition nests too deeply once its lets are expanded",
                )
                .label(format!("more than {MAX_CONDITION_DEPTH} levels"))
                .help("flatten the chain of lets"),
            );
            return None;
        }
        Some(cond)
    }

    fn expr(&mut self, expr: &'a Expr) -> Option<Cond> {
        match expr {
            Expr::Or(parts, _) => self.all_parts(parts).map(Cond::Any),
            Expr::And(parts, _) => self.all_parts(parts).map(Cond::All),
            Expr::Not(inner, _) => self.expr(inner).map(|c| Cond::Not(Box::new(c))),
            Expr::Paren(inner, _) => self.expr(inner),
            Expr::Predicate(p) => self.predicate(p),
        }
    }

    /// Checks every part (reporting all errors), failing if any failed.
    fn all_parts(&mut self, parts: &'a [Expr]) -> Option<Vec<Cond>> {
        let checked: Vec<Option<Cond>> = parts.iter().map(|p| self.expr(p)).collect();
        checked.into_iter().collect()
    }

    fn predicate(&mut self, p: &'a ast::Predicate) -> Option<Cond> {
        if let PredicateKind::Name = p.kind {
            return self.name(&p.subject);
        }
        let Some(field) = self.scope.schema.field_by_name(&p.subject.name) else {
            let mut diagnostic = unknown_field(self.scope.schema, &p.subject);
            if let Some(lookup) = lookup_id(self.scope.lookups, &p.subject.name) {
                let _ = lookup;
                // Not a misspelt field: the edit "did you mean" offers is wrong here.
                diagnostic.fixes.clear();
                diagnostic = diagnostic.help(format!(
                    "`{}` is a lookup; test a field against it: `FIELD in {}`",
                    p.subject.name, p.subject.name
                ));
            }
            self.diagnostics.push(diagnostic);
            return None;
        };
        let ty = self.scope.schema.field(field).ty;
        let test = |kind| Cond::Test(Test { field, kind, span: p.span });
        match &p.kind {
            PredicateKind::Compare(op, op_span, literal) => self.compare(field, *op, *op_span, literal, p.span),
            PredicateKind::InList { negated, values } => {
                if matches!(ty, FieldType::List(_)) {
                    self.push_operator_error(field, "in", p.span, "use `contains` to test a list for an element");
                    return None;
                }
                let scalars: Vec<Option<Scalar>> = values.iter().map(|v| self.scalar_for(field, ty, v)).collect();
                let scalars: Option<Vec<Scalar>> = scalars.into_iter().collect();
                Some(negate_if(*negated, test(TestKind::In(scalars?))))
            }
            PredicateKind::InLookup { negated, lookup } => {
                let id = self.lookup(lookup)?;
                if ty != FieldType::String {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::LookupKeyType,
                            p.subject.span,
                            format!("`{}` is not a string field", p.subject.name),
                        )
                        .label(format!("lookup keys are strings; this field is {}", type_name(self.scope.schema, ty)))
                        .with_label(self.scope.schema.field(field).span, "declared here"),
                    );
                    return None;
                }
                Some(negate_if(*negated, test(TestKind::InLookup(id))))
            }
            PredicateKind::Text(op, op_span, literal) => self.text(field, ty, *op, *op_span, literal, p.span),
            PredicateKind::Matches(pattern) => {
                if ty != FieldType::String {
                    self.push_operator_error(field, "matches", p.span, "`matches` tests string fields");
                    return None;
                }
                match regex::Regex::new(&pattern.value) {
                    Ok(regex) => Some(test(TestKind::Matches(regex))),
                    Err(error) => {
                        let detail = error.to_string();
                        let last = detail.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
                        self.diagnostics.push(
                            Diagnostic::new(Code::InvalidRegex, pattern.span, "invalid regular expression")
                                .label(last.trim_start_matches("error: ").to_string())
                                .help("the syntax is Rust's `regex` crate (no look-around or back-references); `(?i)` makes it case-insensitive"),
                        );
                        None
                    }
                }
            }
            PredicateKind::Exists => {
                if !self.scope.schema.field(field).optional {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::ExistsOnRequired,
                            p.span,
                            format!("`{}` is required, so it always exists", p.subject.name),
                        )
                        .label("always true for a valid lead")
                        .with_label(self.scope.schema.field(field).span, "declared without `?`")
                        .help(format!("declare it optional (`{}: ...?`) or drop the test", p.subject.name)),
                    );
                    return None;
                }
                Some(test(TestKind::Exists))
            }
            PredicateKind::Name => None,
        }
    }

    /// A bare name: a bool field (`is_customer`) or a `let`.
    fn name(&mut self, name: &'a Ident) -> Option<Cond> {
        if let Some(decl) = self.scope.lets.get(name.name.as_str()).copied() {
            if self.let_stack.len() > MAX_CONDITION_DEPTH / 4 {
                self.diagnostics.push(
                    Diagnostic::new(Code::TooDeep, name.span, "lets refer to lets too deeply")
                        .label(format!("more than {} lets deep", MAX_CONDITION_DEPTH / 4)),
                );
                return None;
            }
            return self.let_condition(decl, Some(name.span));
        }
        if let Some(field) = self.scope.schema.field_by_name(&name.name) {
            let ty = self.scope.schema.field(field).ty;
            if ty == FieldType::Bool {
                return Some(Cond::Test(Test { field, kind: TestKind::Eq(Scalar::Bool(true)), span: name.span }));
            }
            self.diagnostics.push(
                Diagnostic::new(Code::NotBoolean, name.span, format!("`{}` is not a condition", name.name))
                    .label(format!("this field is {}", type_name(self.scope.schema, ty)))
                    .help(if self.scope.schema.field(field).optional {
                        format!("compare it, e.g. `{} == ...`, or test `{} exists`", name.name, name.name)
                    } else {
                        format!("compare it, e.g. `{} == ...`", name.name)
                    }),
            );
            return None;
        }
        let candidates =
            self.scope.schema.fields.iter().map(|f| f.name.as_str()).chain(self.scope.lets.keys().copied());
        self.diagnostics.push(
            Diagnostic::new(Code::UnknownName, name.span, format!("unknown name `{}`", name.name))
                .label("not a field or a let")
                .suggest(name.span, &name.name, candidates, Written::Name),
        );
        None
    }

    fn compare(&mut self, field: FieldId, op: CompareOp, op_span: Span, literal: &Literal, span: Span) -> Option<Cond> {
        let ty = self.scope.schema.field(field).ty;
        let ordering = match op {
            CompareOp::Lt => Some(Ordering::Lt),
            CompareOp::Le => Some(Ordering::Le),
            CompareOp::Gt => Some(Ordering::Gt),
            CompareOp::Ge => Some(Ordering::Ge),
            CompareOp::Eq | CompareOp::Ne => None,
        };
        if let Some(ordering) = ordering {
            if !matches!(ty, FieldType::Int | FieldType::Float) {
                self.push_operator_error(field, op.as_str(), op_span, "ordering compares numbers (int, float)");
                return None;
            }
            let threshold = match literal.value {
                LiteralValue::Int(i) => Number::Int(i),
                LiteralValue::Float(f) => Number::Float(f),
                _ => {
                    self.push_literal_error(ty, literal);
                    return None;
                }
            };
            return Some(Cond::Test(Test { field, kind: TestKind::Compare(ordering, threshold), span }));
        }
        if matches!(ty, FieldType::List(_)) {
            self.push_operator_error(field, op.as_str(), op_span, "use `contains` to test a list for an element");
            return None;
        }
        let scalar = self.scalar_for(field, ty, literal)?;
        let test = Cond::Test(Test { field, kind: TestKind::Eq(scalar), span });
        Some(negate_if(op == CompareOp::Ne, test))
    }

    fn text(
        &mut self,
        field: FieldId,
        ty: FieldType,
        op: TextOp,
        op_span: Span,
        literal: &Literal,
        span: Span,
    ) -> Option<Cond> {
        let kind = match (ty, op) {
            (FieldType::List(element), TextOp::Contains) => {
                TestKind::ListContains(self.scalar_for(field, element.as_field_type(), literal)?)
            }
            (FieldType::String, _) => {
                let LiteralValue::Str(text) = &literal.value else {
                    self.push_literal_error(ty, literal);
                    return None;
                };
                match op {
                    TextOp::Contains => TestKind::Contains(text.clone()),
                    TextOp::StartsWith => TestKind::StartsWith(text.clone()),
                    TextOp::EndsWith => TestKind::EndsWith(text.clone()),
                }
            }
            _ => {
                let why = if matches!(ty, FieldType::Enum(_)) {
                    "enum values are compared whole: use `==` or `in [...]`"
                } else {
                    "`contains` applies to strings and lists; `starts_with`/`ends_with` to strings"
                };
                self.push_operator_error(field, op.as_str(), op_span, why);
                return None;
            }
        };
        Some(Cond::Test(Test { field, kind, span }))
    }

    /// A literal checked against (and converted to) the field's type.
    fn scalar_for(&mut self, field: FieldId, ty: FieldType, literal: &Literal) -> Option<Scalar> {
        let scalar = match (ty, &literal.value) {
            (FieldType::String, LiteralValue::Str(s)) => Scalar::Str(s.clone()),
            (FieldType::Int, LiteralValue::Int(i)) => Scalar::Int(*i),
            (FieldType::Int | FieldType::Float, LiteralValue::Float(f)) => Scalar::Float(*f),
            (FieldType::Float, LiteralValue::Int(i)) => Scalar::Float(*i as f64),
            (FieldType::Bool, LiteralValue::Bool(b)) => Scalar::Bool(*b),
            (FieldType::Enum(id), LiteralValue::Str(s)) => {
                let enum_type = self.scope.schema.enum_type(id);
                let Some(index) = enum_type.resolve(s) else {
                    let values: Vec<&str> = enum_type.values.iter().map(String::as_str).collect();
                    let field_decl = self.scope.schema.field(field);
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::UnknownEnumValue,
                            literal.span,
                            format!("`{s}` is not a value of `{}`", field_decl.name),
                        )
                        .label("not in the enum")
                        .with_label(field_decl.span, "declared here")
                        .suggest(literal.span, s, values.iter().copied(), Written::Str)
                        .help_if_none(|| format!("the values are {}", values.join(", "))),
                    );
                    return None;
                };
                Scalar::Enum(index)
            }
            _ => {
                self.push_literal_error(ty, literal);
                return None;
            }
        };
        Some(scalar)
    }

    fn push_operator_error(&mut self, field: FieldId, op: &str, span: Span, why: &str) {
        let decl = self.scope.schema.field(field);
        let ty = type_name(self.scope.schema, decl.ty);
        self.diagnostics.push(
            Diagnostic::new(
                Code::OperatorType,
                span,
                format!("`{op}` does not apply to `{}`, which is {ty}", decl.name),
            )
            .label(format!("not defined for {ty}"))
            .with_label(decl.span, "declared here")
            .help(why.to_string()),
        );
    }

    fn push_literal_error(&mut self, ty: FieldType, literal: &Literal) {
        let expected = type_name(self.scope.schema, ty);
        let found = match &literal.value {
            LiteralValue::Str(_) => "a string",
            LiteralValue::Int(_) => "an integer",
            LiteralValue::Float(_) => "a float",
            LiteralValue::Bool(_) => "a boolean",
        };
        let help = match (&literal.value, ty) {
            (LiteralValue::Str(s), FieldType::Int | FieldType::Float) if s.replace('_', "").parse::<f64>().is_ok() => {
                Some(format!("remove the quotes: {s}"))
            }
            (
                LiteralValue::Int(_) | LiteralValue::Float(_) | LiteralValue::Bool(_),
                FieldType::String | FieldType::Enum(_),
            ) => Some("quote the value: \"...\"".to_string()),
            (_, FieldType::Bool) => Some("write `true` or `false` without quotes, or test the field alone".to_string()),
            _ => None,
        };
        self.diagnostics.push(
            Diagnostic::new(Code::LiteralType, literal.span, format!("expected {expected}, found {found}"))
                .label(format!("the field is {expected}"))
                .maybe_help(help),
        );
    }

    fn lookup(&mut self, name: &Ident) -> Option<super::program::LookupId> {
        let id = lookup_id(self.scope.lookups, &name.name);
        if id.is_none() {
            self.diagnostics.push(
                Diagnostic::new(Code::UnknownLookup, name.span, format!("unknown lookup `{}`", name.name))
                    .label("no lookup of this name")
                    .suggest(name.span, &name.name, self.scope.lookups.iter().map(|l| l.name.as_str()), Written::Name)
                    .help_if_none(|| {
                        format!("declare it: lookup {} from \"file.csv\" key COLUMN value COLUMN", name.name)
                    }),
            );
        }
        id
    }

    /// Checks an action.
    pub fn action(&mut self, action: &'a ast::Action) -> Option<Action> {
        let target = self.target(&action.target);
        let fallbacks: Vec<Option<Target>> = action.fallbacks.iter().map(|f| self.target(f)).collect();
        Some(Action { target: target?, fallbacks: fallbacks.into_iter().collect::<Option<_>>()? })
    }

    fn target(&mut self, target: &'a ast::Target) -> Option<Target> {
        match target {
            ast::Target::Team { name, strategy, .. } => {
                let team = team_id(self.scope.teams, &name.name);
                if team.is_none() {
                    self.diagnostics.push(
                        Diagnostic::new(Code::UnknownTeam, name.span, format!("unknown team `{}`", name.name))
                            .label("no team of this name")
                            .suggest(
                                name.span,
                                &name.name,
                                self.scope.teams.iter().map(|t| t.name.as_str()),
                                Written::Name,
                            )
                            .help_if_none(|| format!("declare it: team {} = [\"rep@example.com\"]", name.name)),
                    );
                }
                let strategy = match strategy {
                    Some(s) => self.strategy(s),
                    None => Some(Strategy::RoundRobin),
                };
                Some(Target::Team { team: team?, strategy: strategy? })
            }
            ast::Target::Rep(id, _) => Some(Target::Rep(id.value.clone())),
            ast::Target::RepLookup { lookup, key, .. } => {
                let lookup = self.lookup(lookup);
                let field = self.scope.schema.field_by_name(&key.name);
                if field.is_none() {
                    self.diagnostics.push(unknown_field(self.scope.schema, key));
                }
                Some(Target::RepLookup { lookup: lookup?, key: field? })
            }
            ast::Target::Queue(name, _) => Some(Target::Queue(name.name.clone())),
        }
    }

    fn strategy(&mut self, s: &'a ast::StrategyExpr) -> Option<Strategy> {
        Some(match s.name.name.as_str() {
            "round_robin" => Strategy::RoundRobin,
            "weighted" => Strategy::Weighted,
            "load_balanced" => Strategy::LoadBalanced,
            "random" => Strategy::Random,
            "first_available" => Strategy::FirstAvailable,
            "sticky" => {
                let Some(key) = &s.key else {
                    self.diagnostics.push(
                        Diagnostic::new(Code::UnknownStrategy, s.span, "`sticky` needs a key field")
                            .label("which field keeps leads together?")
                            .help("write `sticky(FIELD)`, e.g. `sticky(account_id)`"),
                    );
                    return None;
                };
                match self.scope.schema.field_by_name(&key.name) {
                    Some(field) => Strategy::Sticky(field),
                    None => {
                        self.diagnostics.push(unknown_field(self.scope.schema, key));
                        return None;
                    }
                }
            }
            other => {
                self.diagnostics.push(
                    Diagnostic::new(Code::UnknownStrategy, s.name.span, format!("unknown strategy `{other}`"))
                        .label("not a distribution strategy")
                        .suggest(s.name.span, other, STRATEGIES.iter().copied(), Written::Name)
                        .help_if_none(|| format!("the strategies are {}", STRATEGIES.join(", "))),
                );
                return None;
            }
        })
    }

    /// Flattens rules (blocks become conjunctions) in priority order.
    pub fn rules(&mut self, rules: &[&'a ast::Rule]) -> Vec<RuleInfo> {
        let mut out = Vec::new();
        self.rule_list(rules.iter().copied(), &[], &mut out);
        out
    }

    fn rule_list(&mut self, rules: impl Iterator<Item = &'a ast::Rule>, outer: &[Cond], out: &mut Vec<RuleInfo>) {
        let mut otherwise: Option<Span> = None;
        for rule in rules {
            if let Some(previous) = otherwise {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::RuleAfterOtherwise,
                        rule.keyword,
                        "this rule comes after `otherwise` and can never match",
                    )
                    .label("unreachable")
                    .with_label(previous, "`otherwise` matches every lead that gets this far")
                    .help("move this rule above the `otherwise`, or remove it"),
                );
            }
            match &rule.kind {
                RuleKind::When { condition, action } => {
                    let cond = self.condition(condition);
                    let action = self.action(action);
                    if let (Some(cond), Some(action)) = (cond, action) {
                        self.push_rule(rule, conjoin(outer, Some(cond)), action, out);
                    }
                }
                RuleKind::Block { condition, rules } => {
                    if let Some(cond) = self.condition(condition) {
                        let mut inner = outer.to_vec();
                        inner.push(cond);
                        self.rule_list(rules.iter(), &inner, out);
                    } else {
                        let mut ignored = Vec::new();
                        self.rule_list(rules.iter(), outer, &mut ignored);
                    }
                }
                RuleKind::Otherwise { action } => {
                    otherwise = Some(rule.keyword);
                    if let Some(action) = self.action(action) {
                        self.push_rule(rule, conjoin(outer, None), action, out);
                    }
                }
            }
        }
    }

    /// Adds a flattened rule, charging its size against
    /// [`MAX_PROGRAM_NODES`]; past it, one error and no more rules.
    fn push_rule(&mut self, rule: &ast::Rule, condition: Cond, action: Action, out: &mut Vec<RuleInfo>) {
        if self.program_budget_hit {
            return;
        }
        self.program_nodes = self.program_nodes.saturating_add(node_count(&condition));
        if self.program_nodes > MAX_PROGRAM_NODES {
            self.program_budget_hit = true;
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ConditionTooLarge,
                    rule.keyword,
                    format!("the rules expand to more than {MAX_PROGRAM_NODES} conditions by this rule"),
                )
                .label("the program's size budget runs out here")
                .note("a block's condition, with its lets expanded, is copied into every rule inside it")
                .help("move large shared conditions out of blocks with many rules, or split the project"),
            );
            return;
        }
        out.push(self.rule_info(rule, condition, action));
    }

    fn rule_info(&self, rule: &ast::Rule, condition: Cond, action: Action) -> RuleInfo {
        let line = u32::try_from(self.scope.sources.start_of(rule.keyword).0).unwrap_or(u32::MAX);
        let name = rule.label.as_ref().map_or_else(|| format!("line:{line}"), |l| l.name.clone());
        let otherwise = matches!(rule.kind, ast::RuleKind::Otherwise { .. });
        RuleInfo { name, line, span: rule.span, condition, action, otherwise }
    }
}

fn conjoin(outer: &[Cond], own: Option<Cond>) -> Cond {
    let mut parts: Vec<Cond> = outer.to_vec();
    parts.extend(own);
    match parts.len() {
        0 => Cond::True,
        1 => parts.pop().unwrap_or(Cond::True),
        _ => Cond::All(parts),
    }
}

fn negate_if(negated: bool, cond: Cond) -> Cond {
    if negated {
        Cond::Not(Box::new(cond))
    } else {
        cond
    }
}

/// The nodes of a condition (every `All`, `Any`, `Not`, test and `True`).
fn node_count(cond: &Cond) -> usize {
    let mut count = 0usize;
    let mut stack = vec![cond];
    while let Some(c) = stack.pop() {
        count += 1;
        match c {
            Cond::All(parts) | Cond::Any(parts) => stack.extend(parts.iter()),
            Cond::Not(inner) => stack.push(inner),
            Cond::True | Cond::Test(_) => {}
        }
    }
    count
}

fn depth(cond: &Cond) -> usize {
    // Iterative, so measuring a pathological condition cannot overflow.
    let mut deepest = 0;
    let mut stack = vec![(cond, 1usize)];
    while let Some((c, d)) = stack.pop() {
        deepest = deepest.max(d);
        match c {
            Cond::All(parts) | Cond::Any(parts) => stack.extend(parts.iter().map(|p| (p, d + 1))),
            Cond::Not(inner) => stack.push((inner, d + 1)),
            Cond::True | Cond::Test(_) => {}
        }
    }
    deepest
}

/// A type in words, for messages.
pub fn type_name(schema: &Schema, ty: FieldType) -> String {
    match ty {
        FieldType::String => "a string".into(),
        FieldType::Int => "an int".into(),
        FieldType::Float => "a float".into(),
        FieldType::Bool => "a bool".into(),
        FieldType::Enum(id) => {
            let values = &schema.enum_type(id).values;
            let shown: Vec<String> = values.iter().take(6).map(|v| format!("\"{v}\"")).collect();
            let more = if values.len() > 6 { " | ..." } else { "" };
            format!("an enum ({}{more})", shown.join(" | "))
        }
        FieldType::List(element) => match element {
            ElementType::Enum(_) => "a list of enum values".into(),
            ElementType::String => "a list<string>".into(),
            ElementType::Int => "a list<int>".into(),
            ElementType::Float => "a list<float>".into(),
            ElementType::Bool => "a list<bool>".into(),
        },
    }
}
