//! Queries, `SELECT`, the FROM clause, `ORDER BY` and `OFFSET`.

use crate::ast::{
    Cte, Expr, Ident, Join, JoinConstraint, JoinKind, Literal, NumberKind, OrderByItem,
    OrderDirection, Query, Select, SelectItem, SelectList, SetExpr, SetOperator, SetQuantifier,
    Span, Spanned, TableRef,
};
use crate::error::ParseError;
use crate::options::{AdqlVersion, Feature};

use super::expr::table_name_from_parts;
use super::lexer::{Punct, Tok};
use super::{Expect, PErr, PResult, Parser};

fn backtrack<T>() -> Result<T, nom::Err<PErr>> {
    Err(nom::Err::Error(PErr::Backtrack))
}

impl<'a> Parser<'a, '_> {
    /// A whole query: the query, an optional `;`, the end of the input.
    pub fn top_query(&self, i: &'a str) -> PResult<'a, Query> {
        let (i, q) = self.query(i, true)?;
        let (i, _) = self.opt_punct(i, Punct::Semicolon, Expect::Semicolon);
        let t = self.peek(i);
        if t.tok != Tok::Eof {
            return self.fail(i, Expect::EndOfInput);
        }
        Ok((t.rest, q))
    }

    /// `[WITH ...] set_expr [ORDER BY ...] [OFFSET n]`; `WITH` only when `top`.
    pub fn query(&self, i: &'a str, top: bool) -> PResult<'a, Query> {
        let start = self.token_start(i);
        let t = self.peek(i);
        let (i, with) = if t.is_kw("WITH") {
            let span = t.span(self);
            if !top {
                return self.fatal_with(||
                    ParseError::new("WITH is only allowed at the top of a query", span)
                        .with_label("inside a subquery or set operand")
                        .with_hint("move the common table expression to the WITH clause of the outer query"),
                );
            }
            self.require(Feature::With, true, "WITH", span)?;
            self.comma_list(t.rest, |i| self.cte(i))?
        } else {
            if top {
                self.expected_at(t.start, Expect::With);
            }
            (i, Vec::new())
        };
        let (i, body) = self.set_expr(i, 0)?;
        let (i, order_by) = self.order_by(i)?;
        let (i, offset) = self.offset_clause(i)?;
        // `i` starts right after the last token consumed.
        let end = self.offset(i);
        Ok((
            i,
            Query {
                with,
                body,
                order_by,
                offset,
                span: Span::new(start, end),
            },
        ))
    }

    fn cte(&self, i: &'a str) -> PResult<'a, Cte> {
        let start = self.token_start(i);
        let (i, name) = self.ident(i, Expect::Identifier)?;
        let (i, _) = self.kw(i, Expect::As)?;
        let (i, _) = self.punct(i, Punct::LParen, Expect::LParen)?;
        let _guard = self.enter(i)?;
        let (i, q) = self.query(i, false)?;
        let (i, close) = self.punct(i, Punct::RParen, Expect::RParen)?;
        Ok((
            i,
            Cte {
                name,
                query: Box::new(q),
                span: Span::new(start, close.end),
            },
        ))
    }

    /// Set operations by precedence climbing: `INTERSECT` binds tighter than `UNION` and `EXCEPT`.
    fn set_expr(&self, i: &'a str, min: u8) -> PResult<'a, SetExpr> {
        let (mut i, mut left) = self.set_primary(i)?;
        let chain = self.chain();
        loop {
            let t = self.peek(i);
            let op = if t.is_kw("UNION") {
                SetOperator::Union
            } else if t.is_kw("EXCEPT") {
                SetOperator::Except
            } else if t.is_kw("INTERSECT") {
                SetOperator::Intersect
            } else {
                for e in [Expect::Union, Expect::Except, Expect::Intersect] {
                    self.expected_at(t.start, e);
                }
                return Ok((i, left));
            };
            let prec = op.precedence();
            if prec < min {
                return Ok((i, left));
            }
            let feature = match op {
                SetOperator::Union => Feature::Union,
                SetOperator::Except => Feature::Except,
                SetOperator::Intersect => Feature::Intersect,
            };
            self.require(feature, true, op.as_str(), t.span(self))?;
            self.step(&chain, i)?;
            let (rest, all) = self.opt_kw(t.rest, Expect::All);
            let (rest, right) = self.set_expr(rest, prec + 1)?;
            let span = left.span().union(right.span());
            left = SetExpr::SetOperation {
                left: Box::new(left),
                op,
                all: all.is_some(),
                right: Box::new(right),
                span,
            };
            i = rest;
        }
    }

    /// A `SELECT` or a parenthesised query.
    fn set_primary(&self, i: &'a str) -> PResult<'a, SetExpr> {
        let t = self.peek(i);
        if t.is_punct(Punct::LParen) {
            let _guard = self.enter(i)?;
            let (rest, q) = self.query(t.rest, false)?;
            let (rest, close) = self.punct(rest, Punct::RParen, Expect::RParen)?;
            // Parentheses matter in the tree only when they scope an ORDER BY or OFFSET.
            return Ok((
                rest,
                if q.order_by.is_empty() && q.offset.is_none() {
                    q.body
                } else {
                    SetExpr::Query(Box::new(Query {
                        span: t.span(self).union(close),
                        ..q
                    }))
                },
            ));
        }
        if !t.is_kw("SELECT") {
            self.expected_at(t.start, Expect::LParen);
        }
        let (rest, s) = self.select(i)?;
        Ok((rest, SetExpr::Select(Box::new(s))))
    }

    fn select(&self, i: &'a str) -> PResult<'a, Select> {
        let (i, select_kw) = self.kw(i, Expect::Select)?;
        let t = self.peek(i);
        let (i, quantifier) = if t.is_kw("DISTINCT") {
            (t.rest, Some(SetQuantifier::Distinct))
        } else if t.is_kw("ALL") {
            (t.rest, Some(SetQuantifier::All))
        } else {
            self.expected_at(t.start, Expect::Distinct);
            self.expected_at(t.start, Expect::All);
            (i, None)
        };
        let (i, top_kw) = self.opt_kw(i, Expect::Top);
        let (i, top) = match top_kw {
            Some(_) => {
                let (i, n) = self.unsigned_integer(i)?;
                (i, Some(n))
            }
            None => (i, None),
        };
        let (i, items) = self.select_list(i)?;
        let (i, _) = self.kw(i, Expect::From)?;
        let (i, from) = self.comma_list(i, |i| self.table_ref(i))?;
        let (i, where_kw) = self.opt_kw(i, Expect::Where);
        let (i, selection) = match where_kw {
            Some(_) => {
                let (i, c) = self.condition(i)?;
                (i, Some(c))
            }
            None => (i, None),
        };
        let (i, group_kw) = self.opt_kw(i, Expect::Group);
        let (i, group_by) = match group_kw {
            Some(_) => {
                let (i, _) = self.kw(i, Expect::By)?;
                let (i, terms) = self.comma_list(i, |i| self.value_expr(i))?;
                if self.version() == AdqlVersion::V2_0
                    && let Some(bad) = terms.iter().find(|e| !matches!(e, Expr::Column(_)))
                {
                    return self.fatal_with(|| {
                        ParseError::new(
                            "GROUP BY on expressions is not supported in ADQL 2.0",
                            bad.span(),
                        )
                        .with_label("not a column reference")
                        .with_hint("ADQL 2.0 groups by column references only; use ADQL 2.1")
                    });
                }
                (i, terms)
            }
            None => (i, Vec::new()),
        };
        let (i, having_kw) = self.opt_kw(i, Expect::Having);
        let (i, having) = match having_kw {
            Some(_) => {
                let (i, c) = self.condition(i)?;
                (i, Some(c))
            }
            None => (i, None),
        };
        let span = Span::new(select_kw.start, self.offset(i));
        Ok((
            i,
            Select {
                quantifier,
                top,
                items,
                from,
                selection,
                group_by,
                having,
                span,
            },
        ))
    }

    fn select_list(&self, i: &'a str) -> PResult<'a, SelectList> {
        let t = self.peek(i);
        if t.is_punct(Punct::Star) {
            return Ok((t.rest, SelectList::Wildcard(t.span(self))));
        }
        self.expected_at(t.start, Expect::Star);
        let (i, items) = self.comma_list(i, |i| self.select_item(i))?;
        Ok((i, SelectList::Items(items)))
    }

    fn select_item(&self, i: &'a str) -> PResult<'a, SelectItem> {
        if let Some((rest, item)) = self.qualified_wildcard(i) {
            return Ok((rest, item));
        }
        let (i, expr) = self.value_expr(i)?;
        let (i, alias) = self.alias(i)?;
        let span = alias
            .as_ref()
            .map_or(expr.span(), |a| expr.span().union(a.span));
        Ok((i, SelectItem::Expr { expr, alias, span }))
    }

    /// `a.*`, `s.t.*`, `c.s.t.*`; `None` (consuming nothing) for anything else.
    fn qualified_wildcard(&self, mut i: &'a str) -> Option<(&'a str, SelectItem)> {
        let mut parts: Vec<Ident> = Vec::new();
        loop {
            let t = self.peek(i);
            let ident = match t.tok {
                Tok::Word(w) if !self.is_reserved(w) => Ident {
                    value: w.to_owned(),
                    quoted: false,
                    span: t.span(self),
                },
                Tok::Quoted(raw) if !raw.is_empty() => Ident {
                    value: super::unescape(raw, '"'),
                    quoted: true,
                    span: t.span(self),
                },
                _ => return None,
            };
            parts.push(ident);
            let dot = self.peek(t.rest);
            if !dot.is_punct(Punct::Dot) || parts.len() > 3 {
                return None;
            }
            let star = self.peek(dot.rest);
            if star.is_punct(Punct::Star) {
                let start = parts.first().map_or(0, |p| p.span.start);
                let span = Span::new(start, self.offset(star.rest));
                let qualifier = table_name_from_parts(parts)?;
                return Some((star.rest, SelectItem::QualifiedWildcard { qualifier, span }));
            }
            i = dot.rest;
        }
    }

    /// `[AS] alias`, optional.
    fn alias(&self, i: &'a str) -> PResult<'a, Option<Ident>> {
        let t = self.peek(i);
        if t.is_kw("AS") {
            let (rest, name) = self.ident(t.rest, Expect::Alias)?;
            return Ok((rest, Some(name)));
        }
        self.expected_at(t.start, Expect::As);
        // In ADQL 2.0 OFFSET is not reserved, but `t OFFSET 10` is an attempt at the 2.1 clause, not an alias.
        let offset_clause = t.is_kw("OFFSET") && matches!(self.peek(t.rest).tok, Tok::Number(..));
        match t.tok {
            Tok::Word(w) if !self.is_reserved(w) && !offset_clause => Ok((
                t.rest,
                Some(Ident {
                    value: w.to_owned(),
                    quoted: false,
                    span: t.span(self),
                }),
            )),
            Tok::Quoted(raw) if !raw.is_empty() => Ok((
                t.rest,
                Some(Ident {
                    value: super::unescape(raw, '"'),
                    quoted: true,
                    span: t.span(self),
                }),
            )),
            _ => {
                self.expected_at(t.start, Expect::Alias);
                Ok((i, None))
            }
        }
    }

    /// A FROM item: a primary followed by any number of joins (left-associative).
    fn table_ref(&self, i: &'a str) -> PResult<'a, TableRef> {
        let (mut i, mut left) = self.table_primary(i)?;
        let chain = self.chain();
        loop {
            let t = self.peek(i);
            let (j, natural) = if t.is_kw("NATURAL") {
                (t.rest, true)
            } else {
                (i, false)
            };
            let k = self.peek(j);
            let (j, kind, consumed) = if k.is_kw("INNER") {
                (k.rest, JoinKind::Inner, true)
            } else if k.is_kw("LEFT") || k.is_kw("RIGHT") || k.is_kw("FULL") {
                let kind = if k.is_kw("LEFT") {
                    JoinKind::Left
                } else if k.is_kw("RIGHT") {
                    JoinKind::Right
                } else {
                    JoinKind::Full
                };
                let (j, _) = self.opt_kw(k.rest, Expect::Outer);
                (j, kind, true)
            } else {
                (j, JoinKind::Inner, natural)
            };
            let jk = self.peek(j);
            if !jk.is_kw("JOIN") {
                if consumed {
                    return self.fail(j, Expect::Join);
                }
                for e in [
                    Expect::Natural,
                    Expect::Inner,
                    Expect::Left,
                    Expect::Right,
                    Expect::Full,
                    Expect::Join,
                ] {
                    self.expected_at(t.start, e);
                }
                return Ok((i, left));
            }
            self.step(&chain, i)?;
            let (rest, right) = self.table_primary(jk.rest)?;
            let (rest, constraint) = if natural {
                (rest, None)
            } else {
                self.join_constraint(rest)?
            };
            let end = constraint_end(&constraint).unwrap_or(right.span().end);
            let span = Span::new(left.span().start, end.max(right.span().end));
            left = TableRef::Join(Box::new(Join {
                left,
                right,
                kind,
                natural,
                constraint,
                span,
            }));
            i = rest;
        }
    }

    /// `ON condition` or `USING (columns)`, required after a join that is not natural.
    fn join_constraint(&self, i: &'a str) -> PResult<'a, Option<JoinConstraint>> {
        let t = self.peek(i);
        if t.is_kw("ON") {
            let (rest, c) = self.condition(t.rest)?;
            return Ok((rest, Some(JoinConstraint::On(c))));
        }
        if t.is_kw("USING") {
            let (rest, _) = self.punct(t.rest, Punct::LParen, Expect::LParen)?;
            let (rest, cols) = self.comma_list(rest, |i| self.ident(i, Expect::ColumnName))?;
            let (rest, _) = self.punct(rest, Punct::RParen, Expect::RParen)?;
            return Ok((rest, Some(JoinConstraint::Using(cols))));
        }
        // The BNF makes the join specification optional (`t1 JOIN t2`, a cross join); DaCHS accepts it too.
        self.expected_at(t.start, Expect::On);
        self.expected_at(t.start, Expect::Using);
        Ok((i, None))
    }

    /// A table name, a derived table or a parenthesised join.
    fn table_primary(&self, i: &'a str) -> PResult<'a, TableRef> {
        let t = self.peek(i);
        if t.is_punct(Punct::LParen) {
            let _guard = self.enter(i)?;
            match self.derived_table(t.rest, t.start) {
                Ok(r) => return Ok(r),
                Err(nom::Err::Error(_)) => {}
                Err(e) => return Err(e),
            }
            let (rest, inner) = self.table_ref(t.rest)?;
            if !matches!(inner, TableRef::Join(_)) {
                // `(t)` alone is not a table reference: only joins may be parenthesised.
                for e in [
                    Expect::Natural,
                    Expect::Inner,
                    Expect::Left,
                    Expect::Right,
                    Expect::Full,
                    Expect::Join,
                ] {
                    self.expected(rest, e);
                }
                return backtrack();
            }
            let (rest, _) = self.punct(rest, Punct::RParen, Expect::RParen)?;
            return Ok((rest, inner));
        }
        if !matches!(t.tok, Tok::Word(_) | Tok::Quoted(_)) {
            self.expected_at(t.start, Expect::LParen);
        }
        let (i, parts) = self.name_parts(i, Expect::TableName, 3, "table name")?;
        let Some(name) = table_name_from_parts(parts) else {
            return backtrack();
        };
        let (i, alias) = self.alias(i)?;
        let span = alias
            .as_ref()
            .map_or(name.span, |a| name.span.union(a.span));
        Ok((i, TableRef::Table { name, alias, span }))
    }

    /// `query) [AS] alias`, after the opening parenthesis at `start`.
    fn derived_table(&self, i: &'a str, start: usize) -> PResult<'a, TableRef> {
        let (i, q) = self.query(i, false)?;
        let (i, _) = self.punct(i, Punct::RParen, Expect::RParen)?;
        let (i, alias) = self.alias(i)?;
        let Some(alias) = alias else {
            return backtrack();
        };
        let span = Span::new(start, alias.span.end);
        Ok((
            i,
            TableRef::Derived {
                subquery: Box::new(q),
                alias,
                span,
            },
        ))
    }

    fn order_by(&self, i: &'a str) -> PResult<'a, Vec<OrderByItem>> {
        let (i, order) = self.opt_kw(i, Expect::Order);
        if order.is_none() {
            return Ok((i, Vec::new()));
        }
        let (i, _) = self.kw(i, Expect::By)?;
        self.comma_list(i, |i| self.order_item(i))
    }

    fn order_item(&self, i: &'a str) -> PResult<'a, OrderByItem> {
        let (i, expr) = self.value_expr(i)?;
        if self.version() == AdqlVersion::V2_0 {
            let ok = match &expr {
                Expr::Column(c) => c.table.is_none(),
                Expr::Literal(Literal::Number(n)) => n.kind == NumberKind::Integer,
                _ => false,
            };
            if !ok {
                return self.fatal_with(|| {
                    ParseError::new(
                        "ORDER BY on expressions or qualified columns is not supported in ADQL 2.0",
                        expr.span(),
                    )
                    .with_label("not a column name or position")
                    .with_hint(
                        "ADQL 2.0 orders by a column name or a select-list position; use ADQL 2.1",
                    )
                });
            }
        }
        let t = self.peek(i);
        let (i, direction) = if t.is_kw("ASC") {
            (t.rest, Some(OrderDirection::Asc))
        } else if t.is_kw("DESC") {
            (t.rest, Some(OrderDirection::Desc))
        } else {
            self.expected_at(t.start, Expect::Asc);
            self.expected_at(t.start, Expect::Desc);
            (i, None)
        };
        let end = if direction.is_some() {
            t.span(self).end
        } else {
            expr.span().end
        };
        let span = Span::new(expr.span().start, end);
        Ok((
            i,
            OrderByItem {
                expr,
                direction,
                span,
            },
        ))
    }

    fn offset_clause(&self, i: &'a str) -> PResult<'a, Option<u64>> {
        let t = self.peek(i);
        if !t.is_kw("OFFSET") {
            self.expected_at(t.start, Expect::Offset);
            return Ok((i, None));
        }
        self.require(Feature::Offset, true, "OFFSET", t.span(self))?;
        let (i, n) = self.unsigned_integer(t.rest)?;
        Ok((i, Some(n)))
    }
}

/// Where a join constraint ends, if there is one and it knows.
fn constraint_end(c: &Option<JoinConstraint>) -> Option<usize> {
    match c {
        Some(JoinConstraint::On(e)) => Some(e.span().end),
        Some(JoinConstraint::Using(cols)) => cols.last().map(|c| c.span.end + 1),
        None => None,
    }
}
