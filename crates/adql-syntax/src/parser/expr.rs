//! Value expressions and search conditions, by precedence climbing.
//!
//! One family of methods parses both kinds (a parenthesis may hold either), and the kind of what was parsed
//! ([`Expr::is_condition`]) decides which operators may follow: arithmetic after values, `AND`/`OR` after
//! conditions, comparisons to turn values into conditions.

use crate::ast::{
    BinaryOp, BuiltinFunction, ColumnRef, Expr, FunctionName, HexLit, Ident, Literal, NumberLit,
    Span, Spanned, StringLit, TableName, UnaryOp,
};
use crate::error::ParseError;
use crate::options::Feature;

use super::lexer::{Punct, Tok};
use super::{Expect, Hint, PErr, PResult, Parser, unescape};

/// Minimum precedence of a value expression: everything that binds tighter than the comparisons.
const VALUE: u8 = 5;

fn backtrack<T>() -> Result<T, nom::Err<PErr>> {
    Err(nom::Err::Error(PErr::Backtrack))
}

impl<'a> Parser<'a, '_> {
    /// A search condition (`WHERE`, `HAVING`, `ON`).
    pub fn condition(&self, i: &'a str) -> PResult<'a, Expr> {
        let (rest, e) = self.or_expr(i)?;
        // A value here already noted "a comparison operator" as expected right after it.
        if e.is_condition() {
            Ok((rest, e))
        } else {
            backtrack()
        }
    }

    /// A value expression (select items, arguments, bounds, `GROUP BY`, `ORDER BY`).
    pub fn value_expr(&self, i: &'a str) -> PResult<'a, Expr> {
        let (rest, e) = self.value(i, VALUE)?;
        if e.is_condition() {
            return self.fatal_with(|| {
                ParseError::new("a search condition cannot be used as a value", e.span())
                    .with_label("this is a condition, not a value")
                    .with_hint(
                        "ADQL has no boolean values: conditions only go in WHERE, HAVING and ON",
                    )
            });
        }
        Ok((rest, e))
    }

    fn or_expr(&self, i: &'a str) -> PResult<'a, Expr> {
        self.bool_chain(i, Expect::Or, BinaryOp::Or)
    }

    fn and_expr(&self, i: &'a str) -> PResult<'a, Expr> {
        self.bool_chain(i, Expect::And, BinaryOp::And)
    }

    /// `operand (kw operand)*` for `OR` (operands are AND chains) and `AND` (operands are NOT factors).
    fn bool_chain(&self, i: &'a str, kw: Expect, op: BinaryOp) -> PResult<'a, Expr> {
        let operand = |i| {
            if op == BinaryOp::Or {
                self.and_expr(i)
            } else {
                self.not_expr(i)
            }
        };
        let (mut i, mut left) = operand(i)?;
        let chain = self.chain();
        loop {
            if !left.is_condition() {
                return Ok((i, left));
            }
            let (rest, found) = self.opt_kw(i, kw);
            if found.is_none() {
                return Ok((i, left));
            }
            self.step(&chain, i)?;
            let (rest, right) = operand(rest)?;
            if !right.is_condition() {
                return backtrack();
            }
            let span = left.span().union(right.span());
            left = Expr::Binary {
                left: Box::new(left),
                op,
                right: Box::new(right),
                span,
            };
            i = rest;
        }
    }

    fn not_expr(&self, i: &'a str) -> PResult<'a, Expr> {
        let t = self.peek(i);
        if t.is_kw("NOT") {
            let _guard = self.enter(i)?;
            let (rest, e) = self.not_expr(t.rest)?;
            if !e.is_condition() {
                return backtrack();
            }
            let span = t.span(self).union(e.span());
            return Ok((
                rest,
                Expr::Unary {
                    op: UnaryOp::Not,
                    expr: Box::new(e),
                    span,
                },
            ));
        }
        self.predicate(i)
    }

    /// A value, turned into a predicate when a comparison, `BETWEEN`, `IN`, `LIKE` or `IS` follows.
    fn predicate(&self, i: &'a str) -> PResult<'a, Expr> {
        let (i, left) = self.value(i, VALUE)?;
        if left.is_condition() {
            return Ok((i, left));
        }
        let t = self.peek(i);
        let comparison = match t.tok {
            Tok::Punct(Punct::Eq) => Some(BinaryOp::Eq),
            Tok::Punct(Punct::NotEq) => Some(BinaryOp::NotEq),
            Tok::Punct(Punct::Lt) => Some(BinaryOp::Lt),
            Tok::Punct(Punct::LtEq) => Some(BinaryOp::LtEq),
            Tok::Punct(Punct::Gt) => Some(BinaryOp::Gt),
            Tok::Punct(Punct::GtEq) => Some(BinaryOp::GtEq),
            _ => None,
        };
        if let Some(op) = comparison {
            let (rest, right) = self.value_expr(t.rest)?;
            let span = left.span().union(right.span());
            return Ok((
                rest,
                Expr::Binary {
                    left: Box::new(left),
                    op,
                    right: Box::new(right),
                    span,
                },
            ));
        }
        let (negated, kw) = if t.is_kw("NOT") {
            let k = self.peek(t.rest);
            if !(k.is_kw("BETWEEN") || k.is_kw("IN") || k.is_kw("LIKE") || k.is_kw("ILIKE")) {
                for e in [Expect::Between, Expect::In, Expect::Like, Expect::Ilike] {
                    self.expected_at(k.start, e);
                }
                return backtrack();
            }
            (true, k)
        } else {
            (false, t)
        };
        let start = left.span();
        if kw.is_kw("BETWEEN") {
            let (rest, low) = self.value_expr(kw.rest)?;
            let (rest, _) = self.kw(rest, Expect::And)?;
            let (rest, high) = self.value_expr(rest)?;
            let span = start.union(high.span());
            return Ok((
                rest,
                Expr::Between {
                    expr: Box::new(left),
                    negated,
                    low: Box::new(low),
                    high: Box::new(high),
                    span,
                },
            ));
        }
        if kw.is_kw("IN") {
            return self.in_predicate(kw.rest, left, negated);
        }
        if kw.is_kw("LIKE") || kw.is_kw("ILIKE") {
            let case_insensitive = kw.is_kw("ILIKE");
            if case_insensitive {
                self.require(Feature::Ilike, true, "ILIKE", kw.span(self))?;
            }
            let (rest, pattern) = self.value_expr(kw.rest)?;
            let span = start.union(pattern.span());
            return Ok((
                rest,
                Expr::Like {
                    expr: Box::new(left),
                    negated,
                    case_insensitive,
                    pattern: Box::new(pattern),
                    span,
                },
            ));
        }
        if t.is_kw("IS") {
            let (rest, not) = self.opt_kw(t.rest, Expect::Not);
            let (rest, null) = self.kw(rest, Expect::Null)?;
            if !matches!(left, Expr::Column(_)) {
                return self.fatal_with(|| {
                    ParseError::new(
                        "`IS NULL` applies only to a column reference in ADQL",
                        left.span(),
                    )
                    .with_label("not a column reference")
                    .with_hint("test a column, e.g. `t.col IS NULL`")
                });
            }
            let span = start.union(null);
            return Ok((
                rest,
                Expr::IsNull {
                    expr: Box::new(left),
                    negated: not.is_some(),
                    span,
                },
            ));
        }
        for e in [
            Expect::ComparisonOp,
            Expect::Not,
            Expect::Between,
            Expect::In,
            Expect::Like,
            Expect::Ilike,
            Expect::Is,
        ] {
            self.expected_at(t.start, e);
        }
        if let Expr::Function(f) = &left
            && let Some(b @ (BuiltinFunction::Contains | BuiltinFunction::Intersects)) =
                f.builtin_name()
        {
            self.hint_at(t.start, Hint::BareGeometryPredicate(b.name()));
        }
        Ok((i, left))
    }

    /// After `[NOT] IN`: a parenthesised subquery or value list.
    fn in_predicate(&self, i: &'a str, left: Expr, negated: bool) -> PResult<'a, Expr> {
        let (i, _) = self.punct(i, Punct::LParen, Expect::LParen)?;
        let _guard = self.enter(i)?;
        let start = left.span();
        match self.query(i, false) {
            Ok((rest, q)) => {
                let (rest, close) = self.punct(rest, Punct::RParen, Expect::RParen)?;
                let span = start.union(close);
                return Ok((
                    rest,
                    Expr::InSubquery {
                        expr: Box::new(left),
                        negated,
                        subquery: Box::new(q),
                        span,
                    },
                ));
            }
            Err(nom::Err::Error(_)) => {}
            Err(e) => return Err(e),
        }
        let (rest, list) = self.comma_list(i, |i| self.value_expr(i))?;
        let (rest, close) = self.punct(rest, Punct::RParen, Expect::RParen)?;
        let span = start.union(close);
        Ok((
            rest,
            Expr::InList {
                expr: Box::new(left),
                negated,
                list,
                span,
            },
        ))
    }

    /// `item (, item)*`, built with nom's `separated_list1`.
    pub fn comma_list<T>(
        &self,
        i: &'a str,
        item: impl FnMut(&'a str) -> PResult<'a, T>,
    ) -> PResult<'a, Vec<T>> {
        use nom::Parser as _;
        nom::multi::separated_list1(|i| self.punct(i, Punct::Comma, Expect::Comma), item).parse(i)
    }

    /// Precedence climbing over the arithmetic, concatenation and (extension) bitwise operators.
    fn value(&self, i: &'a str, min: u8) -> PResult<'a, Expr> {
        let (mut i, mut left) = self.unary(i)?;
        let chain = self.chain();
        let bitwise = self.opts().extensions.bitwise_operators;
        loop {
            if left.is_condition() {
                return Ok((i, left));
            }
            let t = self.peek(i);
            let op = match t.tok {
                Tok::Punct(Punct::Plus) => BinaryOp::Plus,
                Tok::Punct(Punct::Minus) => BinaryOp::Minus,
                Tok::Punct(Punct::Star) => BinaryOp::Multiply,
                Tok::Punct(Punct::Slash) => BinaryOp::Divide,
                Tok::Punct(Punct::Concat) => BinaryOp::Concat,
                Tok::Punct(Punct::Amp) if bitwise => BinaryOp::BitAnd,
                Tok::Punct(Punct::Pipe) if bitwise => BinaryOp::BitOr,
                Tok::Punct(Punct::Caret) if bitwise => BinaryOp::BitXor,
                _ => return Ok((i, left)),
            };
            let prec = op.precedence();
            if prec < min {
                return Ok((i, left));
            }
            self.not_geometry(&left, op.as_str())?;
            self.step(&chain, i)?;
            let (rest, right) = self.value(t.rest, prec + 1)?;
            self.not_geometry(&right, op.as_str())?;
            if right.is_condition() {
                return self.fatal_with(|| {
                    ParseError::new(
                        "a search condition cannot be an operand of an arithmetic operator",
                        right.span(),
                    )
                    .with_label("this is a condition, not a value")
                });
            }
            let span = left.span().union(right.span());
            left = Expr::Binary {
                left: Box::new(left),
                op,
                right: Box::new(right),
                span,
            };
            i = rest;
        }
    }

    /// Sign operators (and `~`), then a primary.
    fn unary(&self, i: &'a str) -> PResult<'a, Expr> {
        let t = self.peek(i);
        let op = match t.tok {
            Tok::Punct(Punct::Minus) => UnaryOp::Minus,
            Tok::Punct(Punct::Plus) => UnaryOp::Plus,
            Tok::Punct(Punct::Tilde) if self.opts().extensions.bitwise_operators => UnaryOp::BitNot,
            _ => return self.primary(i),
        };
        let _guard = self.enter(i)?;
        let (rest, e) = self.unary(t.rest)?;
        self.not_geometry(
            &e,
            match op {
                UnaryOp::Plus => "+",
                UnaryOp::BitNot => "~",
                UnaryOp::Minus | UnaryOp::Not => "-",
            },
        )?;
        if e.is_condition() {
            return self.fatal_with(|| {
                ParseError::new("a search condition cannot take a sign", e.span())
                    .with_label("not a value")
            });
        }
        let span = t.span(self).union(e.span());
        Ok((
            rest,
            Expr::Unary {
                op,
                expr: Box::new(e),
                span,
            },
        ))
    }

    fn primary(&self, i: &'a str) -> PResult<'a, Expr> {
        let t = self.peek(i);
        match t.tok {
            Tok::Number(text, kind) => {
                if text == "0"
                    && self.opts().extensions.hex_literals
                    && let Some((rest, hex)) = self.hex_literal(t.start, t.rest)
                {
                    return Ok((rest, hex));
                }
                let lit = NumberLit {
                    text: text.to_owned(),
                    kind,
                    span: t.span(self),
                };
                Ok((t.rest, Expr::Literal(Literal::Number(lit))))
            }
            Tok::Str(raw) => {
                let mut value = unescape(raw, '\'');
                let mut span = t.span(self);
                let mut rest = t.rest;
                // Adjacent literals separated by whitespace or comments are one literal, as in SQL-92 and
                // ADQL 2.0 (VOLLT and DaCHS still merge them in 2.1).
                loop {
                    let next = self.peek(rest);
                    let Tok::Str(more) = next.tok else { break };
                    value.push_str(&unescape(more, '\''));
                    span = span.union(next.span(self));
                    rest = next.rest;
                }
                Ok((
                    rest,
                    Expr::Literal(Literal::String(StringLit { value, span })),
                ))
            }
            Tok::Quoted(_) => self.column_ref(i),
            Tok::Word(w) => self.word_primary(i, w),
            Tok::Punct(Punct::LParen) => {
                let inner = self.peek(t.rest);
                if inner.is_kw("SELECT") || inner.is_kw("WITH") {
                    self.hint_at(inner.start, Hint::ScalarSubquery);
                    return self.fail(t.rest, Expect::Expression);
                }
                let _guard = self.enter(i)?;
                let (rest, e) = self.or_expr(t.rest)?;
                let (rest, _) = self.punct(rest, Punct::RParen, Expect::RParen)?;
                Ok((rest, e))
            }
            _ => self.fail(i, Expect::Expression),
        }
    }

    /// Fails when `e` is a geometry constructor, which the grammar does not allow as an operand of `what`.
    fn not_geometry(&self, e: &Expr, what: &str) -> Result<(), nom::Err<PErr>> {
        if let Expr::Function(f) = e
            && let Some(
                b @ (BuiltinFunction::Point
                | BuiltinFunction::Circle
                | BuiltinFunction::Box
                | BuiltinFunction::Polygon
                | BuiltinFunction::Region
                | BuiltinFunction::Centroid),
            ) = f.builtin_name()
        {
            return Err(super::fatal_err_with(|| {
                ParseError::new(format!("a geometry value ({}) cannot be an operand of `{what}`", b.name()), f.span)
                    .with_label("geometry value")
                    .with_hint("geometries can be compared, passed to functions and selected, not computed with")
            }));
        }
        Ok(())
    }

    /// `0x...` after a `0` token (extension).
    fn hex_literal(&self, start: usize, after_zero: &'a str) -> Option<(&'a str, Expr)> {
        let body = after_zero.strip_prefix(['x', 'X'])?;
        let len = body.bytes().take_while(u8::is_ascii_hexdigit).count();
        let next = body.as_bytes().get(len);
        if len == 0 || next.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
            return None;
        }
        let rest = body.get(len..)?;
        let digits = body.get(..len)?.to_owned();
        let span = Span::new(start, self.offset(rest));
        Some((rest, Expr::Literal(Literal::Hex(HexLit { digits, span }))))
    }

    /// A primary starting with a word: `NULL`, `EXISTS`, `CAST`, a function call or a column reference.
    fn word_primary(&self, i: &'a str, w: &'a str) -> PResult<'a, Expr> {
        let t = self.peek(i);
        if w.eq_ignore_ascii_case("NULL") {
            self.require_2_1("NULL as a value", t.span(self))?;
            return Ok((t.rest, Expr::Literal(Literal::Null(t.span(self)))));
        }
        if w.eq_ignore_ascii_case("EXISTS") {
            let (rest, _) = self.punct(t.rest, Punct::LParen, Expect::LParen)?;
            let _guard = self.enter(rest)?;
            let (rest, q) = self.query(rest, false)?;
            let (rest, close) = self.punct(rest, Punct::RParen, Expect::RParen)?;
            let span = t.span(self).union(close);
            return Ok((
                rest,
                Expr::Exists {
                    subquery: Box::new(q),
                    span,
                },
            ));
        }
        if w.eq_ignore_ascii_case("CAST") {
            return self.cast(t);
        }
        if let Some(builtin) = BuiltinFunction::from_name(w) {
            return self.builtin_call(t, builtin);
        }
        if self.is_reserved(w) {
            return self.fail(i, Expect::Expression);
        }
        let next = self.peek(t.rest);
        if next.is_punct(Punct::LParen) {
            return self.udf_call(t, w, next.rest);
        }
        self.column_ref(i)
    }

    /// `name` parts separated by dots: up to `max` of them.
    pub fn name_parts(
        &self,
        i: &'a str,
        what: Expect,
        max: usize,
        kind: &str,
    ) -> PResult<'a, Vec<Ident>> {
        let (mut i, first) = self.ident(i, what)?;
        let mut parts = vec![first];
        loop {
            let dot = self.peek(i);
            if !dot.is_punct(Punct::Dot) {
                return Ok((i, parts));
            }
            let next = self.peek(dot.rest);
            if !matches!(next.tok, Tok::Word(_) | Tok::Quoted(_)) {
                // `t.*` and friends: leave the dot to the caller.
                return Ok((i, parts));
            }
            let (rest, part) = self.ident(dot.rest, Expect::Identifier)?;
            parts.push(part);
            if parts.len() > max {
                let span = parts
                    .first()
                    .map(|p| p.span)
                    .unwrap_or_default()
                    .union(parts.last().map(|p| p.span).unwrap_or_default());
                return self.fatal_with(|| {
                    ParseError::new(
                        format!("too many name parts: a {kind} has at most {max}"),
                        span,
                    )
                    .with_label(format!("{} parts", parts.len()))
                    .with_hint(if max == 4 {
                        "a column is named [[[catalog.]schema.]table.]column"
                    } else {
                        "a table is named [[catalog.]schema.]table"
                    })
                });
            }
            i = rest;
        }
    }

    fn column_ref(&self, i: &'a str) -> PResult<'a, Expr> {
        // Fast path for the common unqualified column: no vector of parts.
        let t = self.peek(i);
        if !self.peek(t.rest).is_punct(Punct::Dot) {
            let (rest, column) = self.ident(i, Expect::ColumnName)?;
            let span = column.span;
            return Ok((
                rest,
                Expr::Column(ColumnRef {
                    table: None,
                    column,
                    span,
                }),
            ));
        }
        let (rest, parts) = self.name_parts(i, Expect::ColumnName, 4, "column reference")?;
        let span = parts
            .first()
            .map(|p| p.span)
            .unwrap_or_default()
            .union(parts.last().map(|p| p.span).unwrap_or_default());
        let mut parts = parts;
        let Some(column) = parts.pop() else {
            return backtrack();
        };
        let table = table_name_from_parts(parts).map(Box::new);
        Ok((
            rest,
            Expr::Column(ColumnRef {
                table,
                column,
                span,
            }),
        ))
    }

    /// A user-defined function call, `args_start` just after the `(`.
    fn udf_call(
        &self,
        name: super::Lexed<'a>,
        w: &'a str,
        args_start: &'a str,
    ) -> PResult<'a, Expr> {
        let name_span = name.span(self);
        self.require(
            Feature::UserDefinedFunctions,
            false,
            "calling a user-defined function",
            name_span,
        )?;
        let _guard = self.enter(args_start)?;
        let (rest, args) = self.call_args(args_start)?;
        let (rest, close) = self.punct(rest, Punct::RParen, Expect::RParen)?;
        let span = name_span.union(close);
        if let crate::options::UdfPolicy::Declared(sigs) = &self.opts().udfs {
            match self.opts().udfs.find(w) {
                None => {
                    let hint = if sigs.is_empty() {
                        "the service declares no user-defined functions".to_owned()
                    } else {
                        let names: Vec<&str> = sigs.iter().map(|s| s.name.as_str()).collect();
                        format!("the declared functions are: {}", names.join(", "))
                    };
                    return self.fatal_with(|| {
                        ParseError::new(format!("unknown function `{w}`"), name_span)
                            .with_label("not an ADQL function nor a declared user-defined function")
                            .with_hint(hint)
                    });
                }
                Some(sig) if sig.params.len() != args.len() => {
                    return self.fatal_with(|| {
                        ParseError::new(
                            format!(
                                "`{w}` takes {} argument(s) but {} were given",
                                sig.params.len(),
                                args.len()
                            ),
                            span,
                        )
                        .with_label("wrong number of arguments")
                        .with_hint(format!("declared as `{sig}`"))
                    });
                }
                Some(_) => {}
            }
        }
        let ident = Ident {
            value: w.to_owned(),
            quoted: false,
            span: name_span,
        };
        Ok((
            rest,
            Expr::Function(crate::ast::Function {
                name: FunctionName::Udf(ident),
                quantifier: None,
                coord_sys: None,
                args,
                span,
            }),
        ))
    }

    /// Zero or more comma-separated value expressions (before a `)`).
    pub fn call_args(&self, i: &'a str) -> PResult<'a, Vec<Expr>> {
        let t = self.peek(i);
        if t.is_punct(Punct::RParen) {
            self.expected_at(t.start, Expect::Expression);
            return Ok((i, Vec::new()));
        }
        self.comma_list(i, |i| self.value_expr(i))
    }
}

/// The qualifier parts of a column reference as a table name.
pub(crate) fn table_name_from_parts(mut parts: Vec<Ident>) -> Option<TableName> {
    let name = parts.pop()?;
    let schema = parts.pop();
    let catalog = parts.pop();
    let span = catalog
        .as_ref()
        .or(schema.as_ref())
        .map_or(name.span, |p| p.span)
        .union(name.span);
    Some(TableName {
        catalog,
        schema,
        name,
        span,
    })
}
