//! The pest boundary: the only file that mentions `Pair` or `Rule`.
//!
//! One function per grammar rule turns pest's parse tree into the AST. The
//! grammar guarantees the shape of each pair; where it would not (a missing
//! child), lowering reports a syntax error instead of panicking, so no user
//! input can reach an `unwrap`.

use pest::iterators::Pair;
use pest::Parser as _;

use super::ast::*;
use super::split::MAX_NESTING;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/route.pest"]
struct RouteParser;

type Result<T> = std::result::Result<T, Box<Diagnostic>>;

/// One declaration parsed: the item, or why it did not parse.
pub(super) type Parsed = Result<Item>;

/// Parses one declaration found at `offset` in file `file`.
pub fn declaration(file: FileId, text: &str, offset: usize) -> Result<Item> {
    let mut pairs = RouteParser::parse(Rule::declaration_only, text)
        .map_err(|error| Box::new(syntax_error(file, text, offset, &error)))?;
    let hashes = memchr::memchr(b'#', text.as_bytes()).is_some();
    let lower = Lower { file, offset, hashes, depth: std::cell::Cell::new(0) };
    let top = pairs.next().ok_or_else(|| lower.broken(file, offset))?;
    let item = top.into_inner().next().ok_or_else(|| lower.broken(file, offset))?;
    lower.item(item)
}

struct Lower {
    file: FileId,
    offset: usize,
    /// Whether the declaration's text holds a `#` at all: without one, no
    /// node's span can end in a comment, and a span is trimmed of its
    /// trailing white space alone (looking for a comment at the end of
    /// every node was 3.6% of loading a 10,000-rule file).
    hashes: bool,
    /// `not`s and parentheses around the condition being lowered: bounded
    /// by [`MAX_NESTING`], since every later pass recurses through them.
    depth: std::cell::Cell<usize>,
}

impl Lower {
    /// The pair's span without trailing whitespace and comments (pest
    /// includes whitespace skipped before a failed optional element).
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let text = pair.as_str();
        let len = if self.hashes { trimmed_len(text) } else { text.trim_end().len() };
        let end = s.start() + len;
        Span::new(self.file, self.offset + s.start(), self.offset + end)
    }

    fn broken(&self, file: FileId, at: usize) -> Box<Diagnostic> {
        Box::new(
            Diagnostic::new(Code::Syntax, Span::new(file, at, at), "the parser produced an unexpected shape")
                .label("here")
                .note("this is a bug in route; please report it with the file"),
        )
    }

    fn child<'i>(&self, parent: &Pair<'i, Rule>, wanted: Rule) -> Result<Pair<'i, Rule>> {
        parent
            .clone()
            .into_inner()
            .find(|p| p.as_rule() == wanted)
            .ok_or_else(|| self.broken(self.file, self.span(parent).start as usize))
    }

    fn children<'i>(&self, parent: &Pair<'i, Rule>, wanted: Rule) -> impl Iterator<Item = Pair<'i, Rule>> {
        parent.clone().into_inner().filter(move |p| p.as_rule() == wanted)
    }

    fn item(&self, pair: Pair<'_, Rule>) -> Result<Item> {
        Ok(match pair.as_rule() {
            Rule::schema => Item::Schema(self.schema(pair)?),
            Rule::alias_decl => Item::Alias(self.alias(pair)?),
            Rule::team_decl => Item::Team(self.team(pair)?),
            Rule::let_decl => Item::Let(LetDecl {
                name: self.ident(self.child(&pair, Rule::ident)?),
                condition: self.condition(self.child(&pair, Rule::condition)?)?,
                span: self.span(&pair),
            }),
            Rule::lookup_decl => Item::Lookup(self.lookup(pair)?),
            Rule::import_decl => Item::Import(ImportDecl {
                path: self.string(self.child(&pair, Rule::string)?)?,
                span: self.span(&pair),
            }),
            Rule::on_invalid => Item::OnInvalid(OnInvalidDecl {
                action: self.action(self.child(&pair, Rule::action)?)?,
                span: self.span(&pair),
            }),
            Rule::rule => Item::Rule(self.rule(pair)?),
            Rule::table_decl => Item::Table(self.table(pair)?),
            Rule::score_decl => Item::Score(self.score(pair)?),
            _ => return Err(self.broken(self.file, self.span(&pair).start as usize)),
        })
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: self.span(&pair) }
    }

    fn string(&self, pair: Pair<'_, Rule>) -> Result<StrLit> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().map_or("", |p| p.as_str());
        Ok(StrLit { value: unescape(inner), span })
    }

    fn literal(&self, pair: Pair<'_, Rule>) -> Result<Literal> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().ok_or_else(|| self.broken(self.file, span.start as usize))?;
        let value = match inner.as_rule() {
            Rule::string => LiteralValue::Str(self.string(inner)?.value),
            Rule::boolean => LiteralValue::Bool(inner.as_str().starts_with('t')),
            Rule::date | Rule::datetime => self.time_literal(&inner)?,
            _ => self.number(&inner)?,
        };
        Ok(Literal { value, span })
    }

    fn number(&self, pair: &Pair<'_, Rule>) -> Result<LiteralValue> {
        let text: String = pair.as_str().chars().filter(|&c| c != '_').collect();
        let is_float = text.contains(['.', 'e', 'E']);
        let parsed = if is_float {
            text.parse::<f64>().ok().filter(|f| f.is_finite()).map(LiteralValue::Float)
        } else {
            text.parse::<i64>().ok().map(LiteralValue::Int)
        };
        parsed.ok_or_else(|| {
            Box::new(
                Diagnostic::new(
                    Code::InvalidNumber,
                    self.span(pair),
                    format!("number `{}` is out of range", pair.as_str()),
                )
                .label("does not fit a 64-bit number")
                .help("integers range from -9223372036854775808 to 9223372036854775807"),
            )
        })
    }

    /// An unquoted date or datetime, read with jiff: a day that is not in
    /// the calendar, or a datetime without an offset, is refused here.
    fn time_literal(&self, pair: &Pair<'_, Rule>) -> Result<LiteralValue> {
        use crate::schema::dates::{self, LiteralError};
        let text = pair.as_str().to_string();
        let read = if pair.as_rule() == Rule::date {
            dates::date_literal(&text).map(|value| LiteralValue::Date(TimeLit { text: text.as_str().into(), value }))
        } else {
            dates::datetime_literal(&text)
                .map(|value| LiteralValue::DateTime(TimeLit { text: text.as_str().into(), value }))
        };
        read.map_err(|error| {
            let (label, help) = match error {
                LiteralError::NotADate => (
                    "not a day of the calendar",
                    "dates are written YYYY-MM-DD with a real month and day, e.g. `2026-02-28`",
                ),
                LiteralError::NotADateTime => (
                    "not a valid instant",
                    "datetimes are written YYYY-MM-DDTHH:MM:SS with `Z` or an offset, e.g. `2026-11-25T10:00:00Z`",
                ),
                LiteralError::NoOffset => (
                    "no time zone offset",
                    "add `Z` for UTC or an offset such as `+01:00`, e.g. `2026-11-25T10:00:00Z`",
                ),
            };
            let what = if pair.as_rule() == Rule::date { "date" } else { "datetime" };
            Box::new(
                Diagnostic::new(Code::BadTimeLiteral, self.span(pair), format!("`{text}` is not a valid {what}"))
                    .label(label)
                    .help(help),
            )
        })
    }

    fn schema(&self, pair: Pair<'_, Rule>) -> Result<SchemaDecl> {
        let mut missing = Vec::new();
        let mut numbers = None;
        let mut fields = Vec::new();
        for entry in pair.clone().into_inner() {
            match entry.as_rule() {
                Rule::numbers_decl => {
                    let lenient = self.child(&entry, Rule::numbers_mode)?.as_str() == "lenient";
                    numbers = Some(NumbersDecl { lenient, span: self.span(&entry) });
                }
                Rule::missing_decl => {
                    for s in self.children(&entry, Rule::string) {
                        missing.push(self.string(s)?);
                    }
                }
                Rule::field_decl => fields.push(self.field(entry)?),
                _ => {}
            }
        }
        let name = self.ident(self.child(&pair, Rule::ident)?);
        Ok(SchemaDecl { name, missing, numbers, fields, span: self.span(&pair) })
    }

    fn field(&self, pair: Pair<'_, Rule>) -> Result<FieldDecl> {
        let from = match self.children(&pair, Rule::from_clause).next() {
            Some(clause) => Some(self.string(self.child(&clause, Rule::string)?)?),
            None => None,
        };
        let format = match self.children(&pair, Rule::format_clause).next() {
            Some(clause) => Some(self.string(self.child(&clause, Rule::string)?)?),
            None => None,
        };
        Ok(FieldDecl {
            name: self.ident(self.child(&pair, Rule::ident)?),
            ty: self.type_expr(self.child(&pair, Rule::type_expr)?)?,
            optional: self.children(&pair, Rule::optional_mark).next().is_some(),
            from,
            format,
            span: self.span(&pair),
        })
    }

    fn type_expr(&self, pair: Pair<'_, Rule>) -> Result<TypeExpr> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().ok_or_else(|| self.broken(self.file, span.start as usize))?;
        self.type_inner(inner)
    }

    fn type_inner(&self, pair: Pair<'_, Rule>) -> Result<TypeExpr> {
        let span = self.span(&pair);
        Ok(match pair.as_rule() {
            Rule::scalar_type => TypeExpr::Scalar(
                match pair.as_str() {
                    "int" => ScalarType::Int,
                    "float" => ScalarType::Float,
                    "bool" => ScalarType::Bool,
                    "date" => ScalarType::Date,
                    "datetime" => ScalarType::DateTime,
                    _ => ScalarType::String,
                },
                span,
            ),
            Rule::enum_type => {
                let values = self.children(&pair, Rule::string).map(|s| self.string(s)).collect::<Result<_>>()?;
                TypeExpr::Enum(values, span)
            }
            Rule::list_type => {
                let element = pair
                    .clone()
                    .into_inner()
                    .find(|p| matches!(p.as_rule(), Rule::enum_type | Rule::scalar_type))
                    .ok_or_else(|| self.broken(self.file, span.start as usize))?;
                TypeExpr::List(Box::new(self.type_inner(element)?), span)
            }
            _ => return Err(self.broken(self.file, span.start as usize)),
        })
    }

    fn alias(&self, pair: Pair<'_, Rule>) -> Result<AliasDecl> {
        let mut groups = Vec::new();
        for group in self.children(&pair, Rule::alias_group) {
            let mut strings =
                self.children(&group, Rule::string).map(|s| self.string(s)).collect::<Result<Vec<_>>>()?;
            let to = strings.pop().ok_or_else(|| self.broken(self.file, self.span(&group).start as usize))?;
            groups.push(AliasGroup { from: strings, to, span: self.span(&group) });
        }
        Ok(AliasDecl { field: self.ident(self.child(&pair, Rule::ident)?), groups, span: self.span(&pair) })
    }

    fn team(&self, pair: Pair<'_, Rule>) -> Result<TeamDecl> {
        let mut members = Vec::new();
        for member in self.children(&pair, Rule::member) {
            let weight = match self.children(&member, Rule::number).next() {
                Some(number) => Some(Literal { value: self.number(&number)?, span: self.span(&number) }),
                None => None,
            };
            let span = self.span(&member);
            members.push(MemberDecl { id: self.string(self.child(&member, Rule::string)?)?, weight, span });
        }
        Ok(TeamDecl { name: self.ident(self.child(&pair, Rule::ident)?), members, span: self.span(&pair) })
    }

    fn lookup(&self, pair: Pair<'_, Rule>) -> Result<LookupDecl> {
        let mut columns = self.children(&pair, Rule::column);
        let (Some(key), Some(value)) = (columns.next(), columns.next()) else {
            return Err(self.broken(self.file, self.span(&pair).start as usize));
        };
        Ok(LookupDecl {
            name: self.ident(self.child(&pair, Rule::ident)?),
            path: self.string(self.child(&pair, Rule::string)?)?,
            key: self.column(key)?,
            value: self.column(value)?,
            span: self.span(&pair),
        })
    }

    fn table(&self, pair: Pair<'_, Rule>) -> Result<TableDecl> {
        Ok(TableDecl {
            name: self.ident(self.child(&pair, Rule::ident)?),
            path: self.string(self.child(&pair, Rule::string)?)?,
            key: self.column(self.child(&pair, Rule::column)?)?,
            case_insensitive: self.children(&pair, Rule::kw_case_insensitive).next().is_some(),
            columns: self.children(&pair, Rule::field_decl).map(|f| self.field(f)).collect::<Result<_>>()?,
            span: self.span(&pair),
        })
    }

    fn score(&self, pair: Pair<'_, Rule>) -> Result<ScoreDecl> {
        let terms = self
            .children(&pair, Rule::score_term)
            .map(|term| {
                let span = self.span(&term);
                let points = self.child(&term, Rule::number)?;
                let points = Literal { value: self.number(&points)?, span: self.span(&points) };
                Ok(ScoreTerm { points, condition: self.condition(self.child(&term, Rule::condition)?)?, span })
            })
            .collect::<Result<_>>()?;
        Ok(ScoreDecl { name: self.ident(self.child(&pair, Rule::ident)?), terms, span: self.span(&pair) })
    }

    /// A predicate's subject: a name, `TABLE[KEY].COLUMN` or `FUNCTION(FIELD)`.
    /// The grammar reads the first name once; the pair after it, if any,
    /// says which of the three this is.
    fn operand(&self, pair: Pair<'_, Rule>) -> Result<Operand> {
        let span = self.span(&pair);
        let mut parts = pair.into_inner();
        let name = parts.next().ok_or_else(|| self.broken(self.file, span.start as usize))?;
        let Some(rest) = parts.next() else {
            return Ok(Operand::Name(self.ident(name)));
        };
        // The column after `[KEY].`, or the call's argument: the one name
        // directly inside either.
        let last = self.child(&rest, Rule::ident)?;
        Ok(match rest.as_rule() {
            Rule::column_ref => {
                let key = Box::new(self.operand(self.child(&rest, Rule::operand)?)?);
                Operand::Column { table: self.ident(name), key, column: self.ident(last), span }
            }
            _ => Operand::Call { function: self.ident(name), argument: self.ident(last), span },
        })
    }

    /// A lookup column: an identifier, or a quoted name for columns with spaces.
    fn column(&self, pair: Pair<'_, Rule>) -> Result<Ident> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().ok_or_else(|| self.broken(self.file, span.start as usize))?;
        Ok(match inner.as_rule() {
            Rule::string => Ident { name: self.string(inner)?.value, span },
            _ => self.ident(inner),
        })
    }

    fn rule(&self, pair: Pair<'_, Rule>) -> Result<Rule_> {
        let span = self.span(&pair);
        let mut label = None;
        let mut body = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::label => label = Some(self.ident(self.child(&part, Rule::ident)?)),
                Rule::when_rule | Rule::otherwise_rule => body = Some(part),
                _ => {}
            }
        }
        let body = body.ok_or_else(|| self.broken(self.file, span.start as usize))?;
        let keyword = body.clone().into_inner().next().map_or(span, |k| self.span(&k));
        let kind = if body.as_rule() == Rule::otherwise_rule {
            RuleKind::Otherwise { action: self.action(self.child(&body, Rule::action)?)? }
        } else {
            let condition = self.condition(self.child(&body, Rule::condition)?)?;
            match self.children(&body, Rule::block).next() {
                Some(block) => RuleKind::Block {
                    condition,
                    rules: self.children(&block, Rule::rule).map(|r| self.rule(r)).collect::<Result<_>>()?,
                },
                None => RuleKind::When { condition, action: self.action(self.child(&body, Rule::action)?)? },
            }
        };
        Ok(Rule_ { label, kind, keyword, span })
    }

    fn condition(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        self.or_expr(self.child(&pair, Rule::or_expr)?)
    }

    fn or_expr(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let mut parts = self.children(&pair, Rule::and_expr).map(|p| self.and_expr(p)).collect::<Result<Vec<_>>>()?;
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts, span) })
    }

    fn and_expr(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let mut parts = self.children(&pair, Rule::not_expr).map(|p| self.not_expr(p)).collect::<Result<Vec<_>>>()?;
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts, span) })
    }

    /// One [`Expr::Not`] per `not` written and an [`Expr::Paren`] per pair
    /// of parentheses: nothing is folded, so the formatter and `diff` see
    /// what the author wrote. Their nesting is bounded (see `depth`).
    fn not_expr(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let mut nots = Vec::new();
        let mut operand = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::kw_not => nots.push(self.span(&part)),
                Rule::paren => operand = Some(self.paren(part, nots.len())?),
                _ => operand = Some(Expr::Predicate(self.predicate(part)?)),
            }
        }
        let operand = operand.ok_or_else(|| self.broken(self.file, span.start as usize))?;
        if self.depth.get() + nots.len() > MAX_NESTING {
            return Err(self.too_deep(nots.first().copied().unwrap_or(span)));
        }
        Ok(nots.iter().rev().fold(operand, |inner, not| {
            let whole = not.to(inner.span());
            Expr::Not(Box::new(inner), whole)
        }))
    }

    /// `( CONDITION )` under `nots` negations.
    fn paren(&self, pair: Pair<'_, Rule>, nots: usize) -> Result<Expr> {
        let span = self.span(&pair);
        let outer = self.depth.get();
        if outer + nots + 1 > MAX_NESTING {
            return Err(self.too_deep(span));
        }
        self.depth.set(outer + nots + 1);
        let inner = self.or_expr(self.child(&pair, Rule::or_expr)?);
        self.depth.set(outer);
        Ok(Expr::Paren(Box::new(inner?), span))
    }

    fn too_deep(&self, at: Span) -> Box<Diagnostic> {
        Box::new(
            Diagnostic::new(Code::TooDeep, at, "conditions nest too deeply")
                .label(format!("more than {MAX_NESTING} `not`s and parentheses around this"))
                .help("name parts of the condition with `let`, or drop doubled `not`s"),
        )
    }

    /// A `test` pair: the subject, then the test's own pair, if any (none:
    /// a bare name, a `let` or a bool field); or `now inside hours ...`.
    fn predicate(&self, pair: Pair<'_, Rule>) -> Result<Predicate> {
        let span = self.span(&pair);
        if pair.as_rule() == Rule::hours_test {
            return self.hours_test(pair);
        }
        let mut parts = pair.into_inner();
        let subject = self.operand(parts.next().ok_or_else(|| self.broken(self.file, span.start as usize))?)?;
        let kind = match parts.next() {
            Some(test) => self.test(test)?,
            None => PredicateKind::Name,
        };
        Ok(Predicate { subject, kind, span })
    }

    /// What follows a predicate's subject: `== VALUE`, `in [...]`, ...
    fn test(&self, pair: Pair<'_, Rule>) -> Result<PredicateKind> {
        Ok(match pair.as_rule() {
            Rule::comparison => {
                let op_pair = self.child(&pair, Rule::cmp_op)?;
                let op = match op_pair.as_str() {
                    "==" => CompareOp::Eq,
                    "!=" => CompareOp::Ne,
                    "<" => CompareOp::Lt,
                    "<=" => CompareOp::Le,
                    ">" => CompareOp::Gt,
                    ">=" => CompareOp::Ge,
                    "before" => CompareOp::Before,
                    _ => CompareOp::After,
                };
                PredicateKind::Compare(op, self.span(&op_pair), self.literal(self.child(&pair, Rule::literal)?)?)
            }
            Rule::in_test => {
                let negated = self.children(&pair, Rule::negation).next().is_some();
                match self.children(&pair, Rule::list_literal).next() {
                    Some(list) => PredicateKind::InList {
                        negated,
                        values: self.children(&list, Rule::literal).map(|l| self.literal(l)).collect::<Result<_>>()?,
                    },
                    None => {
                        let lookup = self.child(&pair, Rule::ident)?;
                        PredicateKind::InLookup { negated, lookup: self.ident(lookup) }
                    }
                }
            }
            Rule::string_test => {
                let op_pair = self.child(&pair, Rule::string_op)?;
                let op = match op_pair.as_str() {
                    "contains" => TextOp::Contains,
                    "starts_with" => TextOp::StartsWith,
                    _ => TextOp::EndsWith,
                };
                PredicateKind::Text(op, self.span(&op_pair), self.literal(self.child(&pair, Rule::literal)?)?)
            }
            Rule::matches_test => PredicateKind::Matches(self.string(self.child(&pair, Rule::string)?)?),
            Rule::exists_test => PredicateKind::Exists,
            Rule::within_test => {
                let number = self.child(&pair, Rule::number)?;
                let amount = Literal { value: self.number(&number)?, span: self.span(&number) };
                let unit = if self.child(&pair, Rule::time_unit)?.as_str().starts_with('d') {
                    TimeUnit::Days
                } else {
                    TimeUnit::Hours
                };
                PredicateKind::Within { amount, unit }
            }
            _ => return Err(self.broken(self.file, self.span(&pair).start as usize)),
        })
    }

    /// `now inside|outside hours "..." in "Zone"`: the subject is `now`.
    fn hours_test(&self, pair: Pair<'_, Rule>) -> Result<Predicate> {
        let now = self.child(&pair, Rule::kw_now)?;
        let mut strings = self.children(&pair, Rule::string);
        let (Some(hours), Some(zone)) = (strings.next(), strings.next()) else {
            return Err(self.broken(self.file, self.span(&pair).start as usize));
        };
        Ok(Predicate {
            subject: Operand::Name(Ident { name: "now".to_string(), span: self.span(&now) }),
            kind: PredicateKind::Hours(Box::new(HoursTest {
                inside: self.children(&pair, Rule::kw_inside).next().is_some(),
                hours: self.string(hours)?,
                zone: self.string(zone)?,
            })),
            span: self.span(&pair),
        })
    }

    fn action(&self, pair: Pair<'_, Rule>) -> Result<Action> {
        let span = self.span(&pair);
        let mut target = None;
        let mut fallbacks = Vec::new();
        let mut secondary = None;
        // One walk serves a rule's action, a `with` clause and a split arm:
        // their keyword and share are read by the callers.
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::kw_with | Rule::share => {}
                Rule::fallback => {
                    let inner = part
                        .into_inner()
                        .find(|p| !matches!(p.as_rule(), Rule::kw_else | Rule::kw_fallback))
                        .ok_or_else(|| self.broken(self.file, span.start as usize))?;
                    fallbacks.push(self.target(inner)?);
                }
                Rule::secondary => secondary = Some(Box::new(self.action(part)?)),
                Rule::split_target => target = Some(Target::Split(Box::new(self.split(part)?))),
                _ => target = Some(self.target(part)?),
            }
        }
        let target = target.ok_or_else(|| self.broken(self.file, span.start as usize))?;
        Ok(Action { target, fallbacks, secondary, span })
    }

    fn split(&self, pair: Pair<'_, Rule>) -> Result<SplitExpr> {
        let span = self.span(&pair);
        let name = match self.children(&pair, Rule::split_name).next() {
            Some(name) => Some(self.ident(self.child(&name, Rule::ident)?)),
            None => None,
        };
        let field = self.ident(self.child(&pair, Rule::ident)?);
        let arms = self
            .children(&pair, Rule::split_arm)
            .map(|arm| {
                let share = self.child(&arm, Rule::share)?;
                let number = self.child(&share, Rule::number)?;
                let percent = self.span(&share);
                let share = Literal { value: self.number(&number)?, span: self.span(&number) };
                Ok(SplitArm { share, percent, span: self.span(&arm), action: self.action(arm)? })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SplitExpr { name, field, arms, span })
    }

    fn target(&self, pair: Pair<'_, Rule>) -> Result<Target> {
        let span = self.span(&pair);
        Ok(match pair.as_rule() {
            Rule::team_target | Rule::bare_team => Target::Team {
                name: self.ident(self.child(&pair, Rule::ident)?),
                strategy: match self.children(&pair, Rule::via).next() {
                    Some(via) => Some(self.strategy(self.child(&via, Rule::strategy)?)?),
                    None => None,
                },
                keyword: pair.as_rule() == Rule::team_target,
                span,
            },
            Rule::rep_target => match self.children(&pair, Rule::rep_lookup).next() {
                Some(lookup) => {
                    let mut names = self.children(&lookup, Rule::ident);
                    let Some(table) = names.next() else {
                        return Err(self.broken(self.file, span.start as usize));
                    };
                    let key = Box::new(self.operand(self.child(&lookup, Rule::operand)?)?);
                    Target::RepLookup {
                        lookup: self.ident(table),
                        key,
                        column: names.next().map(|c| self.ident(c)),
                        span,
                    }
                }
                None => Target::Rep(self.string(self.child(&pair, Rule::string)?)?, span),
            },
            Rule::queue_target => Target::Queue(self.ident(self.child(&pair, Rule::ident)?), span),
            _ => return Err(self.broken(self.file, span.start as usize)),
        })
    }

    fn strategy(&self, pair: Pair<'_, Rule>) -> Result<StrategyExpr> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().ok_or_else(|| self.broken(self.file, span.start as usize))?;
        Ok(match inner.as_rule() {
            Rule::sticky => StrategyExpr {
                name: Ident { name: "sticky".into(), span },
                key: Some(self.ident(self.child(&inner, Rule::ident)?)),
                span,
            },
            _ => StrategyExpr { name: self.ident(inner), key: None, span },
        })
    }
}

/// Length of `text` without trailing whitespace and `#` comments.
fn trimmed_len(text: &str) -> usize {
    let mut text = text.trim_end();
    loop {
        // Most spans end in code: a last line without `#` has no comment
        // (this runs for every node of every rule), and one pass from the
        // end finds either the last line's `#` or the line break before it.
        let last = memchr::memrchr2(b'\n', b'#', text.as_bytes());
        if last.and_then(|i| text.as_bytes().get(i)) != Some(&b'#') {
            return text.len();
        }
        let line_start = memchr::memrchr(b'\n', text.as_bytes()).map_or(0, |i| i + 1);
        let line = text.get(line_start..).unwrap_or("");
        match comment_start(line).and_then(|hash| text.get(..line_start + hash)) {
            Some(code) => text = code.trim_end(),
            None => return text.len(),
        }
    }
}

/// Where a `#` comment starts on a line, ignoring `#` inside strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

/// `Rule` here is pest's; the AST's rule is imported under this name.
type Rule_ = super::ast::Rule;

/// Applies the escapes `\" \\ \n \t \r`; any other backslash is kept as
/// written, so regexes such as `"\d+"` need no doubling.
pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Turns pest's error into a plain-words diagnostic: "expected X or Y".
fn syntax_error(file: FileId, text: &str, offset: usize, error: &pest::error::Error<Rule>) -> Diagnostic {
    let at = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    // Nothing but whitespace and comments left: point just after the last
    // token (the next declaration starts on a later line, not here).
    let at = at.min(trimmed_len(text));
    let found = describe_found(text, at);
    let expected = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let rule_follows = !text.trim_start().starts_with("let") && !positives.contains(&Rule::close_paren);
            join_or(&expected_phrases(positives, rule_follows))
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    let end = (at + found.1).min(text.len());
    let message = if expected.is_empty() {
        format!("unexpected {}", found.0)
    } else {
        format!("expected {expected}, found {}", found.0)
    };
    let span = Span::new(file, offset + at, offset + end);
    let diagnostic = Diagnostic::new(Code::Syntax, span, message)
        .label(if expected.is_empty() { "unexpected here".to_string() } else { format!("expected {expected}") })
        .maybe_help(syntax_help(text, at));
    with_keyword_fix(diagnostic, text.get(at..end).unwrap_or(""))
}

/// `-> tem x`: when the help is "did you mean" a target keyword for the
/// word under the error, the edit that makes it.
fn with_keyword_fix(mut diagnostic: Diagnostic, word: &str) -> Diagnostic {
    if let Some(keyword) = crate::diagnostics::closest(word, TARGET_KEYWORDS) {
        if diagnostic.help.as_deref() == Some(format!("did you mean `{keyword}`?").as_str()) {
            let span = diagnostic.span();
            let message = format!("replace with `{keyword}`");
            diagnostic.fixes.push(crate::diagnostics::Fix { span, replacement: keyword.to_string(), message });
        }
    }
    diagnostic
}

/// The keywords a target starts with.
const TARGET_KEYWORDS: [&str; 3] = ["team", "rep", "queue"];

/// What stands at `at`, in words, and how many bytes to underline.
fn describe_found(text: &str, at: usize) -> (String, usize) {
    let rest = text.get(at..).unwrap_or("");
    let Some(first) = rest.chars().next().filter(|_| at < trimmed_len(text)) else {
        return ("the end of the declaration".into(), 0);
    };
    let word = rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("");
    let word_len = word.len();
    if word_len > 0 {
        let kind = if matches!(
            word,
            "when" | "otherwise" | "and" | "or" | "not" | "in" | "via" | "else" | "fallback" | "team" | "rep" | "queue"
        ) {
            "keyword"
        } else {
            "`"
        };
        return if kind == "keyword" {
            (format!("keyword `{word}`"), word_len)
        } else {
            (format!("`{word}`"), word_len)
        };
    }
    if let Some(body) = rest.strip_prefix('"') {
        // Up to the closing quote, else the rest of the declaration.
        let literal = body.find('"').and_then(|p| rest.get(..p + 2)).unwrap_or(rest);
        return (format!("string {}", literal.lines().next().unwrap_or("\"")), literal.len());
    }
    let op = ["->", "=>", "==", "!=", "<=", ">="]
        .into_iter()
        .find(|op| rest.starts_with(op))
        .or_else(|| rest.get(..first.len_utf8()))
        .unwrap_or(rest);
    (format!("`{op}`"), op.len())
}

/// Targeted advice for common slips.
fn syntax_help(text: &str, at: usize) -> Option<String> {
    let rest = text.get(at..).unwrap_or("");
    let before = text.get(..at).unwrap_or("").trim_end();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let word = rest.split(|c: char| !is_word(c)).next().unwrap_or("");
    let previous = before.rsplit(|c: char| !is_word(c)).next().unwrap_or("");
    if rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>") {
        return Some("comparisons use `==`".into());
    }
    if rest.starts_with("&&") || rest.starts_with("||") {
        return Some("write `and` / `or`".into());
    }
    if rest.starts_with("//") {
        return Some("comments start with `#`".into());
    }
    if rest.starts_with('\'') {
        return Some("strings use double quotes: \"...\"".into());
    }
    if rest.starts_with('"') && !rest.get(1..).unwrap_or("").contains('"') {
        return Some("this string is never closed".into());
    }
    if rest.starts_with('%') && before.ends_with(|c: char| c.is_ascii_digit()) {
        return Some("a weight is a whole number of shares, not a percentage: `weight 40`".into());
    }
    if let Some(ty) =
        ["string", "int", "float", "bool", "list"].iter().find(|t| word.eq_ignore_ascii_case(t) && word != **t)
    {
        return Some(format!("types are lower-case: `{ty}`"));
    }
    if let Some(keyword) = [word, previous].into_iter().find(|w| is_upper_keyword(w)) {
        return Some(format!("keywords are lower-case: write `{}`", keyword.to_lowercase()));
    }
    if let Some(name) = rest.strip_prefix('-').filter(|r| !previous.is_empty() && r.starts_with(char::is_alphabetic)) {
        let next = name.split(|c: char| !is_word(c)).next().unwrap_or("");
        return Some(format!("names are written with `_`, not `-`: `{previous}_{next}`"));
    }
    // `owners[account_id] == ...`: a lookup or table used like a value.
    let indexed = before.lines().last().filter(|line| line.ends_with(']')).and_then(|line| line.rsplit_once('['));
    let table = indexed.map_or("", |(name, key)| {
        let name = name.rsplit(|c: char| !is_word(c)).next().unwrap_or("");
        if key.contains([',', '"', ' ']) {
            ""
        } else {
            name
        }
    });
    if !table.is_empty() && !rest.starts_with('.') {
        return Some(format!(
            "a table's value is `{table}[KEY].COLUMN`; a lookup is tested with `FIELD in {table}` (the key is in \
             the table) and used as a target with `rep {table}[FIELD]`"
        ));
    }
    if rest.starts_with('[') && before.ends_with(is_word) {
        return Some(format!(
            "a lookup is tested with `FIELD in {previous}` (the key is in the table) and used as a target with \
             `rep {previous}[FIELD]`; its values cannot be compared in a condition"
        ));
    }
    if before.ends_with("->") || before.ends_with("fallback") {
        return crate::diagnostics::did_you_mean(word, TARGET_KEYWORDS);
    }
    if rest.starts_with(',') && before.ends_with(|c: char| c.is_ascii_digit()) {
        return Some("numbers are written without `,`: `1000` or `1_000`".into());
    }
    let after_operator =
        ["==", "!=", "<", ">", "contains", "starts_with", "ends_with", "[", ","].iter().any(|op| before.ends_with(op))
            && !before.ends_with("=>");
    if after_operator && !word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit()) {
        let ordering = before.ends_with(['<', '>']) && !before.ends_with("->");
        return Some(if ordering {
            format!("comparing one field with another (`{word}`) is not supported: a condition compares a field with a value")
        } else if word.chars().any(char::is_uppercase) {
            format!("values are quoted, enum values too: `\"{word}\"`")
        } else {
            format!(
                "to compare with the text `{word}`, quote it: `\"{word}\"`; comparing one field with another is not \
                 supported (a condition compares a field with a value)"
            )
        });
    }
    None
}

/// `AND`, `Or`, `NOT`, ...: a keyword in the wrong case.
fn is_upper_keyword(word: &str) -> bool {
    ["and", "or", "not", "in", "when", "otherwise", "exists", "matches", "contains"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k) && word != *k)
}

/// Groups what pest expected into a short list: all the operators that may
/// follow a field become one phrase, and where a rule's condition may
/// continue, `->` is named too (pest does not list literal tokens).
fn expected_phrases(positives: &[Rule], rule_follows: bool) -> Vec<&'static str> {
    // A test after a subject, or its first token (pest names the token
    // where the test tried only one, the test where it tried several).
    const OPERATORS: &[Rule] = &[
        Rule::comparison,
        Rule::in_test,
        Rule::string_test,
        Rule::matches_test,
        Rule::exists_test,
        Rule::within_test,
        Rule::cmp_op,
        Rule::string_op,
        Rule::kw_in,
        Rule::negation,
        Rule::kw_matches,
        Rule::kw_exists,
        Rule::kw_within,
    ];
    let mut phrases: Vec<&'static str> = Vec::new();
    if positives.iter().any(|r| OPERATORS.contains(r)) {
        phrases.push("an operator (`==`, `!=`, `<`, `>=`, `in`, `contains`, `matches`, `exists`, ...)");
    }
    if positives.iter().any(|r| matches!(r, Rule::kw_and | Rule::kw_or)) {
        phrases.push("`and`, `or`");
        if rule_follows {
            phrases.push("`->`");
        }
    }
    for wanted in positives {
        if OPERATORS.contains(wanted) || matches!(wanted, Rule::kw_and | Rule::kw_or | Rule::kw_not) {
            continue;
        }
        let p = phrase(*wanted);
        if !phrases.contains(&p) {
            phrases.push(p);
        }
    }
    phrases
}

fn join_or(phrases: &[&str]) -> String {
    match phrases {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// What each grammar rule is called in an "expected ..." message.
fn phrase(wanted: Rule) -> &'static str {
    match wanted {
        Rule::EOI => "end of declaration",
        Rule::ident | Rule::operand => "a name",
        Rule::column_ref => "a table column `table[key].column`",
        Rule::call => "`domain(field)` or `lower(field)`",
        Rule::table_decl | Rule::kw_table => "`table`",
        Rule::score_decl | Rule::kw_score => "`score`",
        Rule::score_term => "a score term (`N when CONDITION`)",
        Rule::kw_case_insensitive => "`case_insensitive`",
        Rule::string | Rule::string_inner => "a string",
        Rule::number => "a number",
        Rule::literal => "a value (string, number, date, true or false)",
        Rule::date | Rule::datetime => "a date (`2026-11-25`) or datetime (`2026-11-25T10:00:00Z`)",
        Rule::hours_test => "a condition",
        // `now inside hours ...` starts like a name.
        Rule::kw_now => "a name",
        Rule::time_unit => "`days` or `hours`",
        Rule::kw_inside | Rule::kw_outside => "`inside` or `outside`",
        Rule::kw_hours => "`hours`",
        Rule::format_clause | Rule::kw_format => "`format`",
        Rule::boolean => "`true` or `false`",
        Rule::cmp_op => "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`, `before`, `after`)",
        Rule::string_op => "`contains`, `starts_with` or `ends_with`",
        Rule::kw_in | Rule::negation => "`in`",
        Rule::kw_matches => "`matches`",
        Rule::kw_exists => "`exists`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_not => "`not`",
        Rule::condition | Rule::or_expr | Rule::and_expr | Rule::not_expr => "a condition",
        Rule::test => "a condition",
        Rule::list_literal => "a list `[...]`",
        Rule::action => "an action (`team`, `rep` or `queue`)",
        Rule::team_target | Rule::kw_team => "`team`",
        Rule::rep_target | Rule::kw_rep => "`rep`",
        Rule::queue_target | Rule::kw_queue => "`queue`",
        Rule::rep_lookup => "a lookup `table[field]`",
        Rule::fallback | Rule::kw_else => "`else fallback`",
        Rule::kw_fallback => "`fallback`",
        Rule::secondary | Rule::kw_with => "`with`",
        Rule::split_target | Rule::kw_split => "`split`",
        Rule::split_name => "a split name",
        Rule::kw_by => "`by`",
        Rule::split_arm | Rule::share => "an arm (`10% team NAME`)",
        Rule::bare_team => "a team name",
        Rule::via | Rule::kw_via => "`via`",
        Rule::strategy | Rule::sticky | Rule::kw_sticky => "a strategy",
        Rule::block => "`{`",
        Rule::paren => "`(`",
        Rule::comma => "`,`",
        Rule::close_bracket => "`]`",
        Rule::close_paren => "`)`",
        Rule::open_bracket => "`[`",
        Rule::arrow => "`->`",
        Rule::dot => "`.COLUMN`",
        Rule::rule | Rule::when_rule | Rule::kw_when => "`when`",
        Rule::otherwise_rule | Rule::kw_otherwise => "`otherwise`",
        Rule::label => "a label",
        Rule::schema | Rule::kw_schema => "`schema`",
        Rule::field_decl => "a field (`name: type`)",
        Rule::missing_decl | Rule::kw_missing => "`missing:`",
        Rule::numbers_decl | Rule::kw_numbers | Rule::numbers_mode => "`numbers: lenient`",
        Rule::type_expr | Rule::scalar_type | Rule::enum_type => {
            "a type (`string`, `int`, `float`, `bool`, `list<...>` or \"a\" | \"b\")"
        }
        Rule::list_type | Rule::kw_list => "`list<...>`",
        Rule::optional_mark => "`?`",
        Rule::from_clause | Rule::kw_from => "`from`",
        Rule::alias_decl | Rule::kw_alias => "`alias`",
        Rule::alias_group => "`\"spelling\" => \"VALUE\"`",
        Rule::team_decl => "a team declaration",
        Rule::member => "a member (\"rep id\")",
        Rule::kw_weight => "`weight`",
        Rule::let_decl | Rule::kw_let => "`let`",
        Rule::lookup_decl | Rule::kw_lookup => "`lookup`",
        Rule::kw_key => "`key`",
        Rule::kw_value => "`value`",
        Rule::column => "a column name",
        Rule::import_decl | Rule::kw_import => "`import`",
        Rule::on_invalid | Rule::kw_on => "`on invalid`",
        Rule::kw_invalid => "`invalid`",
        Rule::file | Rule::declaration_only | Rule::declaration => "a declaration",
        Rule::reserved => "a name",
        _ => "more input",
    }
}

#[cfg(test)]
mod tests {
    use super::trimmed_len;

    #[test]
    fn a_span_ends_before_trailing_blanks_and_comments_but_not_before_a_hash_in_a_string() {
        let cases = [
            ("region == \"NA\"", 14),
            ("region == \"NA\"  \n", 14),
            ("region == \"NA\" # a note", 14),
            ("region == \"NA\" # a note\n  # another\n", 14),
            ("a\n  and b # why\n", 9),
            ("tag == \"#1\"", 11),
            ("tag == \"#1\" # a # note", 11),
            ("a # note\n  and b", 16),
            ("# only a comment", 0),
            ("", 0),
        ];
        for (text, len) in cases {
            assert_eq!(trimmed_len(text), len, "{text:?}");
        }
    }
}
