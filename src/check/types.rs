//! Conditions, actions and rules: names bound, literals typed against the
//! schema (LANGUAGE.md §7), `let`s inlined, blocks flattened.

use rustc_hash::FxHashMap;

use super::program::{
    Action, Arm, Cond, Derivation, HoursId, Lookup, Number, Ordering, RuleInfo, Scalar, Score, ScoreId, ScoreTerm,
    Split, Strategy, Table, TableId, Target, Team, Test, TestKind, WorkingHours, SPLIT_BUCKETS,
};
use super::resolve::{lookup_id, unknown_field};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Written};
use crate::schema::dates::{self, TimeKind};
use crate::schema::{ElementType, Field, FieldId, FieldType, Schema};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{
    self, CompareOp, Expr, Ident, Literal, LiteralValue, Operand, PredicateKind, RuleKind, TextOp, TimeUnit,
};

/// How deep a checked condition may nest once `let`s are inlined.
pub const MAX_CONDITION_DEPTH: usize = 200;

/// The strategies `via` accepts.
pub const STRATEGIES: &[&str] = &["round_robin", "weighted", "load_balanced", "random", "sticky", "first_available"];

/// Everything names resolve against (the schema is the checker's own: it
/// grows a derived field for each new derived value the rules use).
pub struct Scope<'a> {
    /// Teams.
    pub teams: &'a [Team],
    /// Team name to id (the first team of a name, as declared).
    pub team_ids: FxHashMap<&'a str, super::program::TeamId>,
    /// Lookups.
    pub lookups: &'a [Lookup],
    /// `let` declarations by name.
    pub lets: FxHashMap<&'a str, &'a ast::LetDecl>,
    /// Sources, for rule line numbers.
    pub sources: &'a SourceMap,
    /// Tables, loaded.
    pub tables: &'a [Table],
    /// `score` declarations by name.
    pub scores: FxHashMap<&'a str, &'a ast::ScoreDecl>,
}

/// The functions an operand can apply (`domain(email)`).
pub const FUNCTIONS: &[&str] = &["domain", "lower"];

enum ScoreState {
    InProgress,
    /// The score's derived field (`None`: it had errors, already reported).
    Done(Option<FieldId>),
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
    /// The schema, input fields first, then the derived fields found so far.
    pub schema: Schema,
    /// Checked scores, in the order they were completed.
    pub scores: Vec<Score>,
    /// Working-hours tests of the routing instant, one per distinct
    /// hours and zone.
    pub hours: Vec<WorkingHours>,
    score_states: FxHashMap<String, ScoreState>,
    /// The chain of scores being checked (for cycle reports).
    score_stack: Vec<&'a ast::ScoreDecl>,
    /// The derived field of each derivation met so far.
    derived: FxHashMap<Derivation, FieldId>,
    lets: FxHashMap<String, LetState>,
    /// The chain of lets being expanded (for cycle reports).
    let_stack: Vec<&'a ast::LetDecl>,
    /// Nodes copied from lets into the condition being checked.
    expanded: usize,
    /// Nodes of the flattened rules so far.
    program_nodes: usize,
    /// Whether the program-wide budget was already reported.
    program_budget_hit: bool,
    /// Each split's identity, with where the first split of that name is.
    split_names: FxHashMap<String, Span>,
    /// Where each used team, let, lookup was used (for unused warnings later).
    pub diagnostics: Diagnostics,
}

impl<'a> Checker<'a> {
    /// A checker over a scope.
    pub fn new(scope: Scope<'a>, schema: Schema) -> Checker<'a> {
        // A schema may have derived fields already (the declarations pass).
        let inputs = schema.input_count();
        let derived = schema.derived.iter().enumerate();
        let derived = derived.map(|(i, d)| (*d, FieldId(u32::try_from(inputs + i).unwrap_or(u32::MAX)))).collect();
        Checker {
            scope,
            schema,
            scores: Vec::new(),
            hours: Vec::new(),
            score_states: FxHashMap::default(),
            score_stack: Vec::new(),
            derived,
            lets: FxHashMap::default(),
            let_stack: Vec::new(),
            expanded: 0,
            program_nodes: 0,
            program_budget_hit: false,
            split_names: FxHashMap::default(),
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
        let stack: Vec<&Ident> = self.let_stack.iter().map(|d| &d.name).collect();
        let help = "a let must be built from fields and earlier lets; break the cycle";
        self.diagnostics.push(cycle(Code::LetCycle, "let", &decl.name, &stack, help));
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
            return match &p.subject {
                Operand::Name(name) => self.name(name),
                derived => self.bool_operand(derived),
            };
        }
        if let PredicateKind::InLookup { negated, lookup } = &p.kind {
            if lookup_id(self.scope.lookups, &lookup.name).is_none() && self.table_named(&lookup.name).is_some() {
                // `KEY in TABLE`: the key's row exists.
                let table = self.table(lookup)?;
                let key = self.operand(&p.subject)?;
                let field = self.table_key(table, key, p.subject.span(), None)?;
                return Some(negate_if(*negated, Cond::Test(Test { field, kind: TestKind::Exists, span: p.span })));
            }
        }
        if let PredicateKind::Hours(test) = &p.kind {
            return self.hours_test(test.inside, &test.hours, &test.zone, p.span);
        }
        let field = self.operand(&p.subject)?;
        let subject = self.schema.field(field).name.clone();
        let ty = self.schema.field(field).ty;
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
                            p.subject.span(),
                            format!("`{subject}` is not a string field"),
                        )
                        .label(format!("lookup keys are strings; this field is {}", type_name(&self.schema, ty)))
                        .with_label(self.schema.field(field).span, "declared here"),
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
                if !self.schema.field(field).optional {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::ExistsOnRequired,
                            p.span,
                            format!("`{subject}` is required, so it always exists"),
                        )
                        .label("always true for a valid lead")
                        .with_label(self.schema.field(field).span, "declared without `?`")
                        .help(format!("declare it optional (`{subject}: ...?`) or drop the test")),
                    );
                    return None;
                }
                Some(test(TestKind::Exists))
            }
            // TODO(dates): derived fields once the foundation is merged.
            PredicateKind::Within { amount, unit } => self.within(field, amount, *unit, p.span),
            PredicateKind::Name | PredicateKind::Hours(_) => None,
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
        if let Some(field) = self.input_field(&name.name).or_else(|| self.score_named(name)) {
            let ty = self.schema.field(field).ty;
            if ty == FieldType::Bool {
                return Some(Cond::Test(Test { field, kind: TestKind::Eq(Scalar::Bool(true)), span: name.span }));
            }
            self.diagnostics.push(
                Diagnostic::new(Code::NotBoolean, name.span, format!("`{}` is not a condition", name.name))
                    .label(format!("this field is {}", type_name(&self.schema, ty)))
                    .help(if self.schema.field(field).optional {
                        format!("compare it, e.g. `{} == ...`, or test `{} exists`", name.name, name.name)
                    } else {
                        format!("compare it, e.g. `{} == ...`", name.name)
                    }),
            );
            return None;
        }
        let candidates = self
            .schema
            .input_fields()
            .iter()
            .map(|f| f.name.as_str())
            .chain(self.scope.lets.keys().copied())
            .chain(self.scope.scores.keys().copied());
        self.diagnostics.push(
            Diagnostic::new(Code::UnknownName, name.span, format!("unknown name `{}`", name.name))
                .label("not a field or a let")
                .suggest(name.span, &name.name, candidates, Written::Name),
        );
        None
    }

    /// An input field by name (derived fields have names no rule can write).
    fn input_field(&self, name: &str) -> Option<FieldId> {
        self.schema.field_by_name(name).filter(|&id| self.schema.derivation(id).is_none())
    }

    /// The field a predicate's subject denotes: an input field, a score, or
    /// a derived value (added to the schema the first time it is used).
    fn operand(&mut self, operand: &'a Operand) -> Option<FieldId> {
        match operand {
            Operand::Name(name) => {
                if let Some(field) = self.input_field(&name.name).or_else(|| self.score_named(name)) {
                    return Some(field);
                }
                if self.scope.scores.contains_key(name.name.as_str()) {
                    return None; // the score has errors, already reported
                }
                let mut diagnostic = unknown_field(&self.schema, name);
                if lookup_id(self.scope.lookups, &name.name).is_some() {
                    diagnostic = diagnostic.help(format!(
                        "`{}` is a lookup; test a field against it: `FIELD in {}`",
                        name.name, name.name
                    ));
                } else if self.table_named(&name.name).is_some() {
                    diagnostic = diagnostic.help(format!(
                        "`{}` is a table; test one of its columns: `{}[FIELD].COLUMN`",
                        name.name, name.name
                    ));
                }
                self.diagnostics.push(diagnostic);
                None
            }
            Operand::Call { function, argument, span } => self.call(function, argument, *span),
            Operand::Column { table, key, column, .. } => self.column_operand(table, key, column),
        }
    }

    /// `domain(FIELD)` or `lower(FIELD)`.
    fn call(&mut self, function: &Ident, argument: &'a Ident, span: Span) -> Option<FieldId> {
        let derivation: fn(FieldId) -> Derivation = match function.name.as_str() {
            "domain" => Derivation::Domain,
            "lower" => Derivation::Lower,
            other => {
                self.diagnostics.push(
                    Diagnostic::new(Code::UnknownFunction, function.span, format!("unknown function `{other}`"))
                        .label("not a function")
                        .suggest(function.span, other, FUNCTIONS.iter().copied(), Written::Name)
                        .help_if_none(|| format!("the functions are {}", FUNCTIONS.join(", "))),
                );
                return None;
            }
        };
        let field = self.operand_name(argument)?;
        let field = self.string_only(field, Code::FunctionArgument, argument.span, |name, ty| {
            let message = format!("`{}` applies to strings, but `{name}` is {ty}", function.name);
            (message, "not a string".to_string(), None)
        })?;
        let name = format!("{}({})", function.name, self.schema.field(field).name);
        Some(self.derived(derivation(field), FieldType::String, name, span))
    }

    /// `field` when it is a string; else an error `code` at `span` whose
    /// message, label and help `say` makes from the field's name and type.
    fn string_only(
        &mut self,
        field: FieldId,
        code: Code,
        span: Span,
        say: impl Fn(&str, &str) -> (String, String, Option<&'static str>),
    ) -> Option<FieldId> {
        let decl = self.schema.field(field);
        if decl.ty == FieldType::String {
            return Some(field);
        }
        let (message, label, help) = say(&decl.name, &type_name(&self.schema, decl.ty));
        self.diagnostics.push(
            Diagnostic::new(code, span, message)
                .label(label)
                .with_label(decl.span, "declared here")
                .maybe_help(help.map(str::to_string)),
        );
        None
    }

    /// A plain name as an operand (a function's argument).
    fn operand_name(&mut self, name: &'a Ident) -> Option<FieldId> {
        // `Operand::Name` holds an owned ident; check one built from it.
        self.input_field(&name.name).or_else(|| self.score_named(name)).or_else(|| {
            self.diagnostics.push(unknown_field(&self.schema, name));
            None
        })
    }

    /// `TABLE[KEY].COLUMN`, as a condition's subject or a `rep` target.
    fn column_operand(&mut self, table: &Ident, key: &'a Operand, column: &Ident) -> Option<FieldId> {
        let table_id = self.table(table);
        let key_field = self.operand(key);
        let (table_id, key_field) = (table_id?, key_field?);
        let t = self.scope.tables.get(table_id.0 as usize)?;
        let index = match t.columns.iter().position(|c| c.name == column.name) {
            Some(index) => Some(u32::try_from(index).unwrap_or(u32::MAX)),
            None if column.name == t.key => None,
            None => {
                let names = t.columns.iter().map(|c| c.name.as_str()).chain(std::iter::once(t.key.as_str()));
                let names: Vec<&str> = names.collect();
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownColumn,
                        column.span,
                        format!("table `{}` has no column `{}`", t.name, column.name),
                    )
                    .label("not a column of the table")
                    .with_label(t.span, "table declared here")
                    .suggest(column.span, &column.name, names.iter().copied(), Written::Name)
                    .help_if_none(|| format!("the columns are {}", names.join(", "))),
                );
                return None;
            }
        };
        self.table_key(table_id, key_field, key.span(), index)
    }

    /// The derived field `TABLE[KEY].COLUMN` (`column: None`: the key of
    /// the key's row, present when the row exists), the key's type checked.
    fn table_key(
        &mut self,
        table: TableId,
        key_field: FieldId,
        key_span: Span,
        column: Option<u32>,
    ) -> Option<FieldId> {
        let t = self.scope.tables.get(table.0 as usize)?;
        let key_decl = self.schema.field(key_field);
        if !matches!(key_decl.ty, FieldType::String | FieldType::Enum(_) | FieldType::Int) {
            let ty = type_name(&self.schema, key_decl.ty);
            self.diagnostics.push(
                Diagnostic::new(
                    Code::TableKeyType,
                    key_span,
                    format!("`{}` cannot key table `{}`: it is {ty}", key_decl.name, t.name),
                )
                .label("table keys are text")
                .with_label(key_decl.span, "declared here")
                .help("key a table by a string, enum or int field, or by `domain(...)`/`lower(...)`"),
            );
            return None;
        }
        let key_name = key_decl.name.clone();
        let (name, ty, span) = match column.and_then(|c| t.columns.get(c as usize)) {
            Some(c) => (format!("{}[{key_name}].{}", t.name, c.name), c.ty, c.span),
            None => (format!("{}[{key_name}].{}", t.name, t.key), FieldType::String, t.span),
        };
        Some(self.derived(Derivation::Column { table, key: key_field, column }, ty, name, span))
    }

    /// The table of a name, or an error with the closest table name.
    fn table(&mut self, name: &Ident) -> Option<TableId> {
        let found = self.scope.tables.iter().position(|t| t.name == name.name);
        if found.is_none() {
            let unknown = Diagnostic::new(Code::UnknownTable, name.span, format!("unknown table `{}`", name.name))
                .label("no table of this name");
            let diagnostic = if lookup_id(self.scope.lookups, &name.name).is_some() {
                unknown.help(format!(
                    "`{}` is a lookup (one value per key): write `{}` without a column, or declare a `table`",
                    name.name, name.name
                ))
            } else {
                unknown
                    .suggest(name.span, &name.name, self.scope.tables.iter().map(|t| t.name.as_str()), Written::Name)
                    .help_if_none(|| {
                        format!("declare it: table {} from \"file.csv\" key COLUMN {{ column: string }}", name.name)
                    })
            };
            self.diagnostics.push(diagnostic);
        }
        found.and_then(|i| u32::try_from(i).ok()).map(TableId)
    }

    fn table_named(&self, name: &str) -> Option<&'a Table> {
        self.scope.tables.iter().find(|t| t.name == name)
    }

    /// A derived operand used as a condition: it must be a bool.
    fn bool_operand(&mut self, operand: &'a Operand) -> Option<Cond> {
        let field = self.operand(operand)?;
        let decl = self.schema.field(field);
        if decl.ty == FieldType::Bool {
            return Some(Cond::Test(Test { field, kind: TestKind::Eq(Scalar::Bool(true)), span: operand.span() }));
        }
        let ty = type_name(&self.schema, decl.ty);
        self.diagnostics.push(
            Diagnostic::new(Code::NotBoolean, operand.span(), format!("`{}` is not a condition", decl.name))
                .label(format!("this value is {ty}"))
                .help(format!("compare it, e.g. `{} == ...`, or test `{} exists`", decl.name, decl.name)),
        );
        None
    }

    /// The derived field for `derivation`: the existing one when the same
    /// value was used before, else a new optional field after the others.
    fn derived(&mut self, derivation: Derivation, ty: FieldType, name: String, span: Span) -> FieldId {
        if let Some(&field) = self.derived.get(&derivation) {
            return field;
        }
        self.schema.fields.push(Field { column: name.clone(), name, ty, optional: true, format: None, span });
        self.schema.derived.push(derivation);
        let field = FieldId(u32::try_from(self.schema.fields.len() - 1).unwrap_or(u32::MAX));
        self.derived.insert(derivation, field);
        field
    }

    /// `FIELD within N days|hours` on a date or datetime.
    fn within(&mut self, field: FieldId, amount: &Literal, unit: TimeUnit, span: Span) -> Option<Cond> {
        let ty = self.schema.field(field).ty;
        let kind = match ty {
            FieldType::Date => TimeKind::Date,
            FieldType::DateTime => TimeKind::DateTime,
            _ => {
                self.push_operator_error(field, "within", span, "`within` tests date and datetime fields");
                return None;
            }
        };
        let n = match amount.value {
            LiteralValue::Int(n) if n >= 0 => n,
            _ => {
                self.diagnostics.push(
                    Diagnostic::new(Code::LiteralType, amount.span, "`within` needs a whole number of days or hours")
                        .label("not a whole number, 0 or more")
                        .help("write e.g. `within 30 days` or `within 12 hours`"),
                );
                return None;
            }
        };
        let window = match (kind, unit) {
            (TimeKind::Date, TimeUnit::Days) => n,
            (TimeKind::DateTime, TimeUnit::Days) => n.saturating_mul(dates::MS_PER_DAY),
            (TimeKind::DateTime, TimeUnit::Hours) => n.saturating_mul(3_600_000),
            (TimeKind::Date, TimeUnit::Hours) => {
                self.push_operator_error(
                    field,
                    "within ... hours",
                    span,
                    "a date has no time of day: use `within N days`",
                );
                return None;
            }
        };
        let name = format!("{} within {n} {}", self.schema.field(field).name, unit.as_str(n));
        let flag = self.derived(Derivation::Within { field, window }, FieldType::Bool, name, span);
        Some(Cond::Test(Test { field: flag, kind: TestKind::Eq(Scalar::Bool(true)), span }))
    }

    /// `now inside|outside hours "..." in "ZONE"`: the hours parsed and the
    /// zone resolved here, so a typo fails `route check`, not a lead.
    fn hours_test(&mut self, inside: bool, hours: &ast::StrLit, zone: &ast::StrLit, span: Span) -> Option<Cond> {
        let schedule = match crate::eval::hours::Schedule::parse(&hours.value) {
            Ok(schedule) => Some(schedule),
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::new(Code::BadHours, hours.span, format!("`{}` are not working hours", hours.value))
                        .label(error.0)
                        .help("write days and times as in the roster, e.g. \"Mon-Fri 09:00-17:00\" or \"Mon-Thu 09:00-12:00,13:00-17:00; Fri 09:00-13:00\""),
                );
                None
            }
        };
        let resolved = match crate::eval::zones::resolve(&zone.value) {
            Ok(resolved) => Some(resolved),
            Err(why) => {
                self.diagnostics.push(
                    Diagnostic::new(Code::UnknownZone, zone.span, format!("`{}` is not a time zone", zone.value))
                        .label("not an IANA time zone name")
                        .help(why),
                );
                None
            }
        };
        let (schedule, resolved) = (schedule?, resolved?);
        if let Some(warning) = resolved.warning {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::LegacyZone,
                    zone.span,
                    format!("`{}` is probably not the zone of the working hours", zone.value),
                )
                .label("a fixed offset or legacy zone name")
                .help(warning),
            );
        }
        let id = match self.hours.iter().position(|h| h.text == hours.value && h.zone_name == zone.value) {
            Some(index) => index,
            None => {
                self.hours.push(WorkingHours {
                    schedule,
                    zone: resolved.zone,
                    text: hours.value.clone(),
                    zone_name: zone.value.clone(),
                });
                self.hours.len() - 1
            }
        };
        let id = HoursId(u32::try_from(id).unwrap_or(u32::MAX));
        let name =
            format!("now inside hours {} in {}", crate::format::quote(&hours.value), crate::format::quote(&zone.value));
        let flag = self.derived(Derivation::Hours(id), FieldType::Bool, name, span);
        let test = Cond::Test(Test { field: flag, kind: TestKind::Eq(Scalar::Bool(true)), span });
        Some(negate_if(!inside, test))
    }

    /// Checks every score, even unused ones, so their errors are reported.
    pub fn check_scores(&mut self, scores: &[&'a ast::ScoreDecl]) {
        for decl in scores {
            self.score_field(decl);
        }
    }

    /// The field of the score `name`, checking it first if need be.
    fn score_named(&mut self, name: &Ident) -> Option<FieldId> {
        let decl = self.scope.scores.get(name.name.as_str()).copied()?;
        if self.score_stack.len() > MAX_CONDITION_DEPTH / 4 {
            // Scores testing scores testing scores...: bounded like lets.
            self.diagnostics.push(
                Diagnostic::new(Code::TooDeep, name.span, "scores refer to scores too deeply")
                    .label(format!("more than {} scores deep", MAX_CONDITION_DEPTH / 4)),
            );
            return None;
        }
        self.score_field(decl)
    }

    /// The derived field of a score: its terms checked once, then the
    /// field added after every field its terms test.
    fn score_field(&mut self, decl: &'a ast::ScoreDecl) -> Option<FieldId> {
        match self.score_states.get(&decl.name.name) {
            Some(ScoreState::Done(field)) => return *field,
            Some(ScoreState::InProgress) => {
                self.report_score_cycle(decl);
                return None;
            }
            None => {}
        }
        self.score_states.insert(decl.name.name.clone(), ScoreState::InProgress);
        self.score_stack.push(decl);
        let terms: Vec<Option<ScoreTerm>> = decl.terms.iter().map(|term| self.score_term(term)).collect();
        self.score_stack.pop();
        let field = terms.into_iter().collect::<Option<Vec<ScoreTerm>>>().map(|terms| {
            let id = ScoreId(u32::try_from(self.scores.len()).unwrap_or(u32::MAX));
            let field = self.derived(Derivation::Score(id), FieldType::Int, decl.name.name.clone(), decl.name.span);
            self.scores.push(Score { name: decl.name.name.clone(), field, terms, span: decl.name.span });
            field
        });
        self.score_states.insert(decl.name.name.clone(), ScoreState::Done(field));
        field
    }

    fn score_term(&mut self, term: &'a ast::ScoreTerm) -> Option<ScoreTerm> {
        let points = match term.points.value {
            LiteralValue::Int(points) => Some(points),
            _ => {
                self.diagnostics.push(
                    Diagnostic::new(Code::ScorePoints, term.points.span, "score points are a whole number")
                        .label("not an integer")
                        .help("scores add whole points: write e.g. `10 when ...` (negative points subtract)"),
                );
                None
            }
        };
        // The term's condition is checked outside any let: its own budget.
        let outer = std::mem::take(&mut self.let_stack);
        let condition = self.condition(&term.condition);
        self.let_stack = outer;
        Some(ScoreTerm { points: points?, condition: condition?, span: term.span })
    }

    fn report_score_cycle(&mut self, decl: &ast::ScoreDecl) {
        let stack: Vec<&Ident> = self.score_stack.iter().map(|d| &d.name).collect();
        let help = "a score's terms may test other scores, but not in a cycle";
        self.diagnostics.push(cycle(Code::ScoreCycle, "score", &decl.name, &stack, help));
    }

    fn compare(&mut self, field: FieldId, op: CompareOp, op_span: Span, literal: &Literal, span: Span) -> Option<Cond> {
        let ty = self.schema.field(field).ty;
        let ordering = match op {
            CompareOp::Lt => Some(Ordering::Lt),
            CompareOp::Le => Some(Ordering::Le),
            CompareOp::Gt => Some(Ordering::Gt),
            CompareOp::Ge => Some(Ordering::Ge),
            CompareOp::Before => Some(Ordering::Lt),
            CompareOp::After => Some(Ordering::Gt),
            CompareOp::Eq | CompareOp::Ne => None,
        };
        if matches!(op, CompareOp::Before | CompareOp::After) && !matches!(ty, FieldType::Date | FieldType::DateTime) {
            self.push_operator_error(field, op.as_str(), op_span, "`before` and `after` compare dates and datetimes");
            return None;
        }
        if let (Some(ordering), Some(kind)) = (ordering, ty.time_kind().filter(|_| !matches!(ty, FieldType::List(_)))) {
            let threshold = self.time_literal(kind, literal, false)?;
            return Some(Cond::Test(Test { field, kind: TestKind::Compare(ordering, Number::Int(threshold)), span }));
        }
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
            (FieldType::Date | FieldType::DateTime, _) => {
                let kind = ty.time_kind()?;
                Scalar::Int(self.time_literal(kind, literal, true)?)
            }
            (FieldType::Enum(id), LiteralValue::Str(s)) => {
                let enum_type = self.schema.enum_type(id);
                let Some(index) = enum_type.resolve(s) else {
                    let values: Vec<&str> = enum_type.values.iter().map(String::as_str).collect();
                    let field_decl = self.schema.field(field);
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

    /// A literal compared with a date or datetime field, as the field's
    /// integer (days, or milliseconds). A date literal against a datetime
    /// is midnight UTC for `<`, `before`, ...; for `==` and `in` (`exact`)
    /// it is refused, since an instant equals a date only at midnight.
    fn time_literal(&mut self, kind: TimeKind, literal: &Literal, exact: bool) -> Option<i64> {
        let ty = match kind {
            TimeKind::Date => FieldType::Date,
            TimeKind::DateTime => FieldType::DateTime,
        };
        match (kind, &literal.value) {
            (TimeKind::Date, LiteralValue::Date(t)) | (TimeKind::DateTime, LiteralValue::DateTime(t)) => Some(t.value),
            (TimeKind::DateTime, LiteralValue::Date(t)) if !exact => Some(t.value.saturating_mul(dates::MS_PER_DAY)),
            _ => {
                self.push_literal_error(ty, literal);
                None
            }
        }
    }

    fn push_operator_error(&mut self, field: FieldId, op: &str, span: Span, why: &str) {
        let decl = self.schema.field(field);
        let ty = type_name(&self.schema, decl.ty);
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
        let expected = type_name(&self.schema, ty);
        let found = match &literal.value {
            LiteralValue::Str(_) => "a string",
            LiteralValue::Int(_) => "an integer",
            LiteralValue::Float(_) => "a float",
            LiteralValue::Bool(_) => "a boolean",
            LiteralValue::Date(_) => "a date",
            LiteralValue::DateTime(_) => "a datetime",
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
            (LiteralValue::Str(s), FieldType::Date) if dates::date_literal(s).is_ok() => {
                Some(format!("remove the quotes: {s}"))
            }
            (LiteralValue::Str(s), FieldType::DateTime)
                if dates::datetime_literal(s).is_ok() || dates::date_literal(s).is_ok() =>
            {
                Some(format!("remove the quotes: {s}"))
            }
            (_, FieldType::Date) => Some(match &literal.value {
                LiteralValue::DateTime(t) => format!(
                    "a date field holds days, not instants: compare with the day alone, e.g. `{}`",
                    t.text.get(..10).unwrap_or("2026-11-25")
                ),
                LiteralValue::Str(_) => "write a date without quotes, e.g. `2026-11-25`".to_string(),
                _ => "compare with a date such as `2026-11-25`".to_string(),
            }),
            (LiteralValue::Date(t), FieldType::DateTime) => Some(format!(
                "an instant equals a date only at midnight; test the day as a range: `>= {} and < {}`",
                t.text,
                dates::show(TimeKind::Date, t.value.saturating_add(1))
            )),
            (LiteralValue::Str(_), FieldType::DateTime) => {
                Some("write a datetime without quotes, e.g. `2026-11-25T10:00:00Z`".to_string())
            }
            (_, FieldType::DateTime) => {
                Some("compare with a datetime such as `2026-11-25T10:00:00Z` (or a date, `2026-11-25`)".to_string())
            }
            (LiteralValue::Date(_) | LiteralValue::DateTime(_), _) => {
                Some("dates compare only with `date` and `datetime` fields".to_string())
            }
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

    /// Checks an action (`on invalid`'s: a split there needs a name of its own).
    pub fn action(&mut self, action: &'a ast::Action) -> Option<Action> {
        self.action_of(action, None)
    }

    /// Checks an action; `label` (the rule's) names a split that has no
    /// name of its own.
    fn action_of(&mut self, action: &'a ast::Action, label: Option<&Ident>) -> Option<Action> {
        let target = match &action.target {
            ast::Target::Split(split) => self.split(split, label).map(|s| Target::Split(Box::new(s))),
            other => self.target(other),
        };
        let fallbacks: Vec<Option<Target>> = action.fallbacks.iter().map(|f| self.target(f)).collect();
        let secondary = action.secondary.as_ref().map(|secondary| self.action_of(secondary, None).map(Box::new));
        Some(Action {
            target: target?,
            fallbacks: fallbacks.into_iter().collect::<Option<_>>()?,
            secondary: secondary.map_or(Some(None), |s| s.map(Some))?,
        })
    }

    /// Checks a split: its name, field, shares (adding up to 100%) and each
    /// arm's action, reporting every problem.
    fn split(&mut self, split: &'a ast::SplitExpr, label: Option<&Ident>) -> Option<Split> {
        let name = super::split::identity(split, label).map_err(|d| self.diagnostics.push(*d)).ok();
        if let Some(name) = &name {
            match self.split_names.get(name) {
                Some(first) => self.diagnostics.push(super::split::same_name(name, split.span, *first)),
                None => _ = self.split_names.insert(name.clone(), split.span),
            }
        }
        let field = self.input_field(&split.field.name);
        if field.is_none() {
            self.diagnostics.push(unknown_field(&self.schema, &split.field));
        }
        if split.arms.is_empty() {
            self.diagnostics.push(super::split::empty(split));
            return None;
        }
        let mut arms = Vec::new();
        let mut shares = Vec::new();
        let mut complete = true;
        for arm in &split.arms {
            let share = super::split::buckets(&arm.share, arm.percent).map_err(|d| self.diagnostics.push(*d)).ok();
            let action = self.action_of(&arm.action, None);
            if let Some(share) = share {
                shares.push((arm.percent, share));
            }
            match (share, action) {
                (Some(share), Some(action)) => arms.push(Arm { share, action }),
                _ => complete = false,
            }
        }
        let total: u64 = shares.iter().map(|&(_, s)| u64::from(s)).sum();
        // A bad share is reported on its own; the sum is judged when all are good.
        if shares.len() == split.arms.len() && total != u64::from(SPLIT_BUCKETS) {
            self.diagnostics.push(super::split::wrong_total(split, &shares));
            return None;
        }
        complete.then_some(Split { name: name?, field: field?, arms })
    }

    fn target(&mut self, target: &'a ast::Target) -> Option<Target> {
        match target {
            ast::Target::Team { name, strategy, .. } => {
                let team = self.scope.team_ids.get(name.name.as_str()).copied();
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
            ast::Target::RepLookup { lookup, key, column: Some(column), .. } => {
                let field = self.column_operand(lookup, key, column)?;
                let field = self.string_only(field, Code::RepColumnType, column.span, |name, ty| {
                    let label = format!("`rep` needs a rep id; this column is {ty}");
                    let help = "declare the column as `string`, or name the rep another way";
                    (format!("`{name}` is not a string column"), label, Some(help))
                })?;
                Some(Target::RepField(field))
            }
            ast::Target::RepLookup { lookup, key, column: None, .. } => {
                if lookup_id(self.scope.lookups, &lookup.name).is_none() && self.table_named(&lookup.name).is_some() {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::UnknownColumn,
                            lookup.span,
                            format!("`rep {}[...]` needs a column", lookup.name),
                        )
                        .label("a table has several columns")
                        .maybe_help(self.table_named(&lookup.name).map(|t| {
                            let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
                            format!(
                                "name the column holding the rep: `rep {}[...].COLUMN` (columns: {})",
                                lookup.name,
                                names.join(", ")
                            )
                        })),
                    );
                    return None;
                }
                let lookup = self.lookup(lookup);
                let field = self.operand(key);
                Some(Target::RepLookup { lookup: lookup?, key: field? })
            }
            ast::Target::Queue(name, _) => Some(Target::Queue(name.name.clone())),
            // The grammar puts a split only where `action_of` reads it.
            ast::Target::Split(split) => self.split(split, None).map(|s| Target::Split(Box::new(s))),
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
                match self.schema.field_by_name(&key.name) {
                    Some(field) => Strategy::Sticky(field),
                    None => {
                        self.diagnostics.push(unknown_field(&self.schema, key));
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
                    let action = self.action_of(action, rule.label.as_ref());
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
                    if let Some(action) = self.action_of(action, rule.label.as_ref()) {
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

/// `NAME` met again while `stack` (the declarations being expanded, outermost
/// first) was being checked: the cycle from its first appearance.
fn cycle(code: Code, keyword: &str, name: &Ident, stack: &[&Ident], help: &str) -> Diagnostic {
    let start = stack.iter().position(|d| d.name == name.name).unwrap_or(0);
    let chain: Vec<&str> = stack.iter().skip(start).map(|d| d.name.as_str()).collect();
    let mut diagnostic =
        Diagnostic::new(code, name.span, format!("`{keyword} {}` is defined in terms of itself", name.name))
            .label(format!("this {keyword}"))
            .note(format!("cycle: {} -> {}", chain.join(" -> "), name.name))
            .help(help);
    for other in stack.iter().skip(start + 1) {
        diagnostic = diagnostic.with_label(other.span, "part of the cycle");
    }
    diagnostic
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
        FieldType::Date => "a date".into(),
        FieldType::DateTime => "a datetime".into(),
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
            ElementType::Date => "a list<date>".into(),
            ElementType::DateTime => "a list<datetime>".into(),
        },
    }
}
