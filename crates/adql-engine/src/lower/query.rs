//! Lowering of queries: `WITH`, set operations, `SELECT`, `FROM` and joins, `ORDER BY`, `TOP` and `OFFSET`.

use adql_syntax::ast;
use datafusion::sql::sqlparser::ast as sq;
use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;

use super::scope::{Column, Relation, RelationName, Scope};
use super::{CteDef, Lowerer, NameMode, OutputColumn, unique_name};
use crate::error::EngineError;
use crate::functions::unit::UNIT_KEY;

/// A lowered `FROM` item: the sqlparser table with its joins and the relations it brings into scope.
struct FromItem {
    table: sq::TableWithJoins,
    relations: Vec<Relation>,
    merged: Vec<String>,
    /// The subset of `merged` merged by a RIGHT or FULL join (see [`Scope::merged_outer`]).
    merged_outer: Vec<String>,
    coalesced: Vec<String>,
}

impl Lowerer<'_> {
    /// Lowers a query; returns it with its output columns.
    pub(super) fn query(
        &mut self,
        query: &ast::Query,
    ) -> Result<(sq::Query, Vec<OutputColumn>), EngineError> {
        let with = self.with(&query.with)?;
        let result = self.query_body(query, with);
        if !query.with.is_empty() {
            self.ctes.pop();
        }
        result
    }

    fn with(&mut self, ctes: &[ast::Cte]) -> Result<Option<sq::With>, EngineError> {
        if ctes.is_empty() {
            return Ok(None);
        }
        self.ctes.push(Vec::new());
        let mut tables = Vec::with_capacity(ctes.len());
        let mut used = Vec::new();
        for cte in ctes {
            if used
                .iter()
                .any(|u: &String| u.eq_ignore_ascii_case(&cte.name.value))
            {
                return Err(EngineError::plan(
                    format!("the WITH name '{}' is defined twice", cte.name.value),
                    Some(cte.name.span.range()),
                ));
            }
            used.push(cte.name.value.clone());
            let (query, columns) = self.query(&cte.query)?;
            let emitted = cte.name.value.clone();
            tables.push(sq::Cte {
                alias: sq::TableAlias {
                    explicit: true,
                    name: self.ident(&emitted, cte.name.span),
                    columns: Vec::new(),
                    at: None,
                },
                query: Box::new(query),
                from: None,
                materialized: None,
                closing_paren_token: AttachedToken::empty(),
            });
            // A later CTE (and the main query) may refer to this one.
            if let Some(scope) = self.ctes.last_mut() {
                scope.push(CteDef {
                    name: cte.name.clone(),
                    emitted,
                    columns,
                });
            }
        }
        Ok(Some(sq::With {
            with_token: AttachedToken::empty(),
            recursive: false,
            cte_tables: tables,
        }))
    }

    fn query_body(
        &mut self,
        query: &ast::Query,
        with: Option<sq::With>,
    ) -> Result<(sq::Query, Vec<OutputColumn>), EngineError> {
        let (body, outputs, top, scope_pushed) = match &query.body {
            // A plain SELECT keeps its scope for ORDER BY, which may name columns that are not selected.
            ast::SetExpr::Select(select) => {
                let (select, outputs, top) = self.select(select)?;
                (sq::SetExpr::Select(Box::new(select)), outputs, top, true)
            }
            other => {
                let (body, outputs, top) = self.set_expr(other)?;
                self.scopes.push(Scope {
                    outputs: outputs.clone(),
                    ..Scope::default()
                });
                (body, outputs, top, true)
            }
        };
        let order_by = self.order_by(&query.order_by);
        if scope_pushed {
            self.scopes.pop();
        }
        let order_by = order_by?;
        let limit_clause = if top.is_some() || query.offset.is_some() {
            Some(sq::LimitClause::LimitOffset {
                limit: top.map(|n| number(n, query.span, self)),
                offset: query.offset.map(|n| sq::Offset {
                    value: number(n, query.span, self),
                    rows: sq::OffsetRows::None,
                }),
                limit_by: Vec::new(),
            })
        } else {
            None
        };
        Ok((
            sq::Query {
                with,
                body: Box::new(body),
                order_by,
                limit_clause,
                fetch: None,
                locks: Vec::new(),
                for_clause: None,
                settings: None,
                format_clause: None,
                pipe_operators: Vec::new(),
            },
            outputs,
        ))
    }

    fn order_by(&mut self, items: &[ast::OrderByItem]) -> Result<Option<sq::OrderBy>, EngineError> {
        if items.is_empty() {
            return Ok(None);
        }
        let mut exprs = Vec::with_capacity(items.len());
        for item in items {
            let expr = match &item.expr {
                // A position in the select list.
                ast::Expr::Literal(ast::Literal::Number(n))
                    if n.kind == ast::NumberKind::Integer =>
                {
                    let count = self.scopes.last().map_or(0, |s| s.outputs.len());
                    match n.as_u64() {
                        Some(position)
                            if position >= 1
                                && usize::try_from(position).is_ok_and(|p| p <= count) => {}
                        _ => {
                            return Err(EngineError::plan(
                                format!(
                                    "ORDER BY position {} is not in the select list (1 to {count})",
                                    n.text
                                ),
                                Some(n.span.range()),
                            ));
                        }
                    }
                    self.expr(&item.expr, NameMode::AliasFirst)?.expr
                }
                other => self.expr(other, NameMode::AliasFirst)?.expr,
            };
            exprs.push(sq::OrderByExpr {
                expr,
                options: sq::OrderByOptions {
                    asc: item.direction.map(|d| d == ast::OrderDirection::Asc),
                    nulls_first: None,
                },
                with_fill: None,
            });
        }
        Ok(Some(sq::OrderBy {
            kind: sq::OrderByKind::Expressions(exprs),
            interpolate: None,
        }))
    }

    /// Lowers a set operation or a parenthesised query; returns the `TOP` to apply to the whole (DaCHS applies
    /// a `TOP` written in a bare operand to the set operation).
    fn set_expr(
        &mut self,
        body: &ast::SetExpr,
    ) -> Result<(sq::SetExpr, Vec<OutputColumn>, Option<u64>), EngineError> {
        match body {
            ast::SetExpr::Select(select) => {
                let (select, outputs, top) = self.select(select)?;
                self.scopes.pop();
                Ok((sq::SetExpr::Select(Box::new(select)), outputs, top))
            }
            ast::SetExpr::Query(query) => {
                let (query, outputs) = self.query(query)?;
                Ok((sq::SetExpr::Query(Box::new(query)), outputs, None))
            }
            ast::SetExpr::SetOperation {
                left,
                op,
                all,
                right,
                span,
            } => {
                let (left, outputs, left_top) = self.set_expr(left)?;
                let (right, right_outputs, right_top) = self.set_expr(right)?;
                if outputs.len() != right_outputs.len() {
                    return Err(EngineError::plan(
                        format!(
                            "the operands of {} have {} and {} columns",
                            op.as_str(),
                            outputs.len(),
                            right_outputs.len()
                        ),
                        Some(span.range()),
                    ));
                }
                self.hint(op.as_str(), *span);
                let top = match (left_top, right_top) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let op = match op {
                    ast::SetOperator::Union => sq::SetOperator::Union,
                    ast::SetOperator::Except => sq::SetOperator::Except,
                    ast::SetOperator::Intersect => sq::SetOperator::Intersect,
                };
                let set_quantifier = if *all {
                    sq::SetQuantifier::All
                } else {
                    sq::SetQuantifier::None
                };
                Ok((
                    sq::SetExpr::SetOperation {
                        left: Box::new(left),
                        op,
                        set_quantifier,
                        right: Box::new(right),
                    },
                    outputs,
                    top,
                ))
            }
        }
    }

    /// Lowers a `SELECT`, leaving its scope pushed (the caller pops it after `ORDER BY`).
    fn select(
        &mut self,
        select: &ast::Select,
    ) -> Result<(sq::Select, Vec<OutputColumn>, Option<u64>), EngineError> {
        let mut from = Vec::with_capacity(select.from.len());
        let mut scope = Scope::default();
        for item in &select.from {
            let lowered = self.table_ref(item)?;
            from.push(lowered.table);
            scope.relations.extend(lowered.relations);
            scope.merged.extend(lowered.merged);
            scope.merged_outer.extend(lowered.merged_outer);
            scope.coalesced.extend(lowered.coalesced);
        }
        self.scopes.push(scope);
        let (projection, outputs) = self.select_list(&select.items)?;
        if let Some(scope) = self.scopes.last_mut() {
            scope.outputs.clone_from(&outputs);
        }
        let selection = select
            .selection
            .as_ref()
            .map(|e| self.expr(e, NameMode::From))
            .transpose()?
            .map(|e| e.expr);
        let group_by = select
            .group_by
            .iter()
            .map(|e| self.expr(e, NameMode::AliasLast).map(|e| e.expr))
            .collect::<Result<Vec<_>, _>>()?;
        let having = select
            .having
            .as_ref()
            .map(|e| self.expr(e, NameMode::AliasLast))
            .transpose()?
            .map(|e| e.expr);
        let distinct = match select.quantifier {
            Some(ast::SetQuantifier::Distinct) => Some(sq::Distinct::Distinct),
            _ => None,
        };
        let lowered = sq::Select {
            select_token: AttachedToken::empty(),
            optimizer_hints: Vec::new(),
            distinct,
            select_modifiers: None,
            top: None,
            top_before_distinct: false,
            projection,
            exclude: None,
            into: None,
            from,
            lateral_views: Vec::new(),
            prewhere: None,
            selection,
            connect_by: Vec::new(),
            group_by: sq::GroupByExpr::Expressions(group_by, Vec::new()),
            cluster_by: Vec::new(),
            distribute_by: Vec::new(),
            sort_by: Vec::new(),
            having,
            named_window: Vec::new(),
            qualify: None,
            window_before_qualify: false,
            value_table_mode: None,
            flavor: sq::SelectFlavor::Standard,
        };
        Ok((lowered, outputs, select.top))
    }

    fn select_list(
        &mut self,
        items: &ast::SelectList,
    ) -> Result<(Vec<sq::SelectItem>, Vec<OutputColumn>), EngineError> {
        let mut projection = Vec::new();
        let mut outputs = Vec::new();
        let mut used = Vec::new();
        let scope = self.scopes.last().cloned().unwrap_or_default();
        let coalesced = scope.coalesced.clone();
        let expand = |this: &Self,
                      relations: &[&Relation],
                      merged: &[String],
                      whole: bool,
                      span: ast::Span,
                      projection: &mut Vec<sq::SelectItem>,
                      outputs: &mut Vec<OutputColumn>,
                      used: &mut Vec<String>| {
            let mut merged_done: Vec<&str> = Vec::new();
            let mut coalesced_done: Vec<String> = Vec::new();
            for relation in relations {
                for column in &relation.columns {
                    let lowered = column.name.to_lowercase();
                    if whole && coalesced.contains(&lowered) {
                        if coalesced_done.contains(&lowered) {
                            continue;
                        }
                        coalesced_done.push(lowered);
                    }
                    let expr = if merged.contains(&column.name) {
                        if merged_done.contains(&column.name.as_str()) {
                            continue;
                        }
                        merged_done.push(&column.name);
                        this.merged_column(&scope, &column.name, span)
                    } else {
                        this.emit_column(relation, column, span).0
                    };
                    let name = unique_name(used, &column.name);
                    projection.push(sq::SelectItem::ExprWithAlias {
                        expr,
                        alias: this.ident(&name, span),
                    });
                    outputs.push(OutputColumn {
                        name,
                        unit: column.unit.clone(),
                    });
                }
            }
        };
        match items {
            ast::SelectList::Wildcard(span) => {
                let relations: Vec<&Relation> = scope.relations.iter().collect();
                expand(
                    self,
                    &relations,
                    &scope.merged,
                    true,
                    *span,
                    &mut projection,
                    &mut outputs,
                    &mut used,
                );
            }
            ast::SelectList::Items(items) => {
                for item in items {
                    match item {
                        ast::SelectItem::QualifiedWildcard { qualifier, span } => {
                            let relations: Vec<&Relation> = scope
                                .relations
                                .iter()
                                .filter(|r| r.matches(qualifier))
                                .collect();
                            if relations.is_empty() {
                                let name = qualifier
                                    .parts()
                                    .map(|p| p.value.as_str())
                                    .collect::<Vec<_>>()
                                    .join(".");
                                return Err(EngineError::plan(
                                    format!("unknown table or alias '{name}' in '{name}.*'"),
                                    Some(qualifier.span.range()),
                                ));
                            }
                            expand(
                                self,
                                relations.get(..1).unwrap_or(&[]),
                                &[],
                                false,
                                *span,
                                &mut projection,
                                &mut outputs,
                                &mut used,
                            );
                        }
                        ast::SelectItem::Expr { expr, alias, span } => {
                            let lowered = self.expr(expr, NameMode::From)?;
                            let wanted = match alias {
                                Some(alias) => alias.value.clone(),
                                None => lowered.name.clone().unwrap_or_else(|| "expr".to_owned()),
                            };
                            let name = unique_name(&mut used, &wanted);
                            let alias_span = alias.as_ref().map_or(*span, |a| a.span);
                            projection.push(sq::SelectItem::ExprWithAlias {
                                expr: lowered.expr,
                                alias: self.ident(&name, alias_span),
                            });
                            outputs.push(OutputColumn {
                                name,
                                unit: lowered.unit,
                            });
                        }
                    }
                }
            }
        }
        Ok((projection, outputs))
    }

    fn table_ref(&mut self, table: &ast::TableRef) -> Result<FromItem, EngineError> {
        match table {
            ast::TableRef::Table { name, alias, span } => {
                self.named_table(name, alias.as_ref(), *span)
            }
            ast::TableRef::Derived {
                subquery,
                alias,
                span,
            } => {
                let (query, outputs) = self.query(subquery)?;
                let columns = outputs
                    .into_iter()
                    .map(|o| Column {
                        name: o.name,
                        unit: o.unit,
                    })
                    .collect();
                let factor = sq::TableFactor::Derived {
                    lateral: false,
                    subquery: Box::new(query),
                    alias: Some(self.table_alias(&alias.value, alias.span)),
                    sample: None,
                };
                let _ = span;
                Ok(FromItem {
                    table: sq::TableWithJoins {
                        relation: factor,
                        joins: Vec::new(),
                    },
                    relations: vec![Relation {
                        name: RelationName::Alias(alias.clone()),
                        emitted: vec![alias.value.clone()],
                        columns,
                    }],
                    merged: Vec::new(),
                    merged_outer: Vec::new(),
                    coalesced: Vec::new(),
                })
            }
            ast::TableRef::Join(join) => self.join(join),
        }
    }

    fn table_alias(&self, name: &str, span: ast::Span) -> sq::TableAlias {
        sq::TableAlias {
            explicit: true,
            name: self.ident(name, span),
            columns: Vec::new(),
            at: None,
        }
    }

    fn named_table(
        &mut self,
        name: &ast::TableName,
        alias: Option<&ast::Ident>,
        span: ast::Span,
    ) -> Result<FromItem, EngineError> {
        let _ = span;
        let (parts, columns) = if let Some(cte) = self.cte(name) {
            let columns = cte
                .columns
                .iter()
                .map(|o| Column {
                    name: o.name.clone(),
                    unit: o.unit.clone(),
                })
                .collect();
            (vec![cte.emitted.clone()], columns)
        } else {
            match self.catalog.table(name) {
                Some(super::Resolution::Found(table)) => {
                    let columns = table
                        .schema
                        .fields()
                        .iter()
                        .map(|f| Column {
                            name: f.name().clone(),
                            unit: f
                                .metadata()
                                .get(UNIT_KEY)
                                .filter(|u| !u.trim().is_empty())
                                .cloned(),
                        })
                        .collect();
                    (table.parts.clone(), columns)
                }
                Some(super::Resolution::Ambiguous(candidates)) => {
                    return Err(EngineError::plan(
                        format!(
                            "table name '{}' is ambiguous: it matches {}",
                            display(name),
                            candidates.join(" and ")
                        ),
                        Some(name.span.range()),
                    )
                    .with_note(
                        "write the name between double quotes to pick one exactly",
                        None,
                    ));
                }
                Some(super::Resolution::NotFound(known)) => {
                    let mut err = EngineError::plan(
                        format!("table '{}' not found", display(name)),
                        Some(name.span.range()),
                    );
                    if !known.is_empty() && known.len() <= 30 {
                        err =
                            err.with_note(format!("available tables: {}", known.join(", ")), None);
                    }
                    return Err(err);
                }
                None => {
                    return Err(EngineError::plan(
                        format!("table '{}' not found", display(name)),
                        Some(name.span.range()),
                    ));
                }
            }
        };
        let factor = sq::TableFactor::Table {
            name: self.object_name(&parts, name.span),
            alias: alias.map(|a| self.table_alias(&a.value, a.span)),
            args: None,
            with_hints: Vec::new(),
            version: None,
            with_ordinality: false,
            partitions: Vec::new(),
            json_path: None,
            sample: None,
            index_hints: Vec::new(),
        };
        let relation = match alias {
            Some(alias) => Relation {
                name: RelationName::Alias(alias.clone()),
                emitted: vec![alias.value.clone()],
                columns,
            },
            None => Relation {
                name: RelationName::Table(parts.clone()),
                emitted: parts,
                columns,
            },
        };
        Ok(FromItem {
            table: sq::TableWithJoins {
                relation: factor,
                joins: Vec::new(),
            },
            relations: vec![relation],
            merged: Vec::new(),
            merged_outer: Vec::new(),
            coalesced: Vec::new(),
        })
    }

    fn join(&mut self, join: &ast::Join) -> Result<FromItem, EngineError> {
        let left = self.table_ref(&join.left)?;
        let right = self.table_ref(&join.right)?;
        let mut relations = left.relations.clone();
        relations.extend(right.relations.iter().cloned());
        let mut merged = left.merged.clone();
        merged.extend(right.merged.iter().cloned());
        let mut merged_outer = left.merged_outer.clone();
        merged_outer.extend(right.merged_outer.iter().cloned());
        let merged_before = merged.len();
        let mut coalesced = left.coalesced.clone();
        coalesced.extend(right.coalesced.iter().cloned());

        let constraint = if join.natural {
            let common = common_columns(&left.relations, &right.relations);
            self.equi_constraint(
                &common,
                &left.relations,
                &right.relations,
                (&mut merged, &mut coalesced),
                join.span,
                true,
            )
        } else {
            match &join.constraint {
                None => sq::JoinConstraint::None,
                Some(ast::JoinConstraint::On(condition)) => {
                    self.scopes.push(Scope {
                        relations: relations.clone(),
                        merged: merged.clone(),
                        merged_outer: merged_outer.clone(),
                        coalesced: coalesced.clone(),
                        outputs: Vec::new(),
                    });
                    let lowered = self.expr(condition, NameMode::From);
                    self.scopes.pop();
                    sq::JoinConstraint::On(lowered?.expr)
                }
                Some(ast::JoinConstraint::Using(names)) => {
                    let mut pairs = Vec::with_capacity(names.len());
                    for name in names {
                        let left_name = find_unique(&left.relations, name, "left")?;
                        let right_name = find_unique(&right.relations, name, "right")?;
                        pairs.push((left_name, right_name, name.span));
                    }
                    self.equi_constraint(
                        &pairs,
                        &left.relations,
                        &right.relations,
                        (&mut merged, &mut coalesced),
                        join.span,
                        false,
                    )
                }
            }
        };
        // DataFusion resolves an unqualified USING column to the left operand's, which is NULL for the rows
        // only the right operand has: after a RIGHT or FULL join the merged column is COALESCE(left, right).
        if matches!(join.kind, ast::JoinKind::Right | ast::JoinKind::Full) {
            merged_outer.extend(
                merged
                    .get(merged_before..)
                    .unwrap_or_default()
                    .iter()
                    .cloned(),
            );
        }
        let join_operator = match join.kind {
            ast::JoinKind::Inner => sq::JoinOperator::Inner(constraint),
            ast::JoinKind::Left => sq::JoinOperator::LeftOuter(constraint),
            ast::JoinKind::Right => sq::JoinOperator::RightOuter(constraint),
            ast::JoinKind::Full => sq::JoinOperator::FullOuter(constraint),
        };
        // The right operand of a join is a single table factor: nest it when it is itself a join.
        let right_factor = if right.table.joins.is_empty() {
            right.table.relation
        } else {
            sq::TableFactor::NestedJoin {
                table_with_joins: Box::new(right.table),
                alias: None,
            }
        };
        let mut table = left.table;
        table.joins.push(sq::Join {
            relation: right_factor,
            global: false,
            join_operator,
        });
        Ok(FromItem {
            table,
            relations,
            merged,
            merged_outer,
            coalesced,
        })
    }

    /// The constraint for an equi-join on `pairs` of (left name, right name): `USING`/`NATURAL` when every pair
    /// has the same exact name on both sides (the names are then merged), `ON left = right AND …` otherwise.
    fn equi_constraint(
        &self,
        pairs: &[(String, String, ast::Span)],
        left: &[Relation],
        right: &[Relation],
        (merged, coalesced): (&mut Vec<String>, &mut Vec<String>),
        span: ast::Span,
        natural: bool,
    ) -> sq::JoinConstraint {
        if pairs.iter().all(|(l, r, _)| l == r) {
            merged.extend(pairs.iter().map(|(l, _, _)| l.clone()));
            if natural {
                return sq::JoinConstraint::Natural;
            }
            return sq::JoinConstraint::Using(
                pairs
                    .iter()
                    .map(|(l, _, s)| sq::ObjectName::from(vec![self.ident(l, *s)]))
                    .collect(),
            );
        }
        let side = |relations: &[Relation], name: &str, s: ast::Span| {
            relations
                .iter()
                .find_map(|r| {
                    r.columns
                        .iter()
                        .find(|c| c.name == name)
                        .map(|c| self.emit_column(r, c, s).0)
                })
                .unwrap_or_else(|| sq::Expr::Identifier(self.ident(name, s)))
        };
        coalesced.extend(pairs.iter().map(|(l, _, _)| l.to_lowercase()));
        let mut condition: Option<sq::Expr> = None;
        for (l, r, s) in pairs {
            let s = if s.is_empty() { span } else { *s };
            let eq = sq::Expr::BinaryOp {
                left: Box::new(side(left, l, s)),
                op: sq::BinaryOperator::Eq,
                right: Box::new(side(right, r, s)),
            };
            condition = Some(match condition {
                None => eq,
                Some(c) => sq::Expr::BinaryOp {
                    left: Box::new(c),
                    op: sq::BinaryOperator::And,
                    right: Box::new(eq),
                },
            });
        }
        match condition {
            Some(c) => sq::JoinConstraint::On(c),
            None => sq::JoinConstraint::None,
        }
    }
}

/// The columns a `NATURAL` join matches: names present on both sides, compared without case.
fn common_columns(left: &[Relation], right: &[Relation]) -> Vec<(String, String, ast::Span)> {
    let mut pairs: Vec<(String, String, ast::Span)> = Vec::new();
    for column in left.iter().flat_map(|r| &r.columns) {
        if pairs
            .iter()
            .any(|(l, _, _)| l.eq_ignore_ascii_case(&column.name))
        {
            continue;
        }
        if let Some(other) = right
            .iter()
            .flat_map(|r| &r.columns)
            .find(|c| c.name.eq_ignore_ascii_case(&column.name))
        {
            pairs.push((column.name.clone(), other.name.clone(), ast::Span::EMPTY));
        }
    }
    pairs
}

/// The stored name `name` designates on one side of a `USING` join.
fn find_unique(
    relations: &[Relation],
    name: &ast::Ident,
    side: &str,
) -> Result<String, EngineError> {
    let found: Vec<&Column> = relations.iter().flat_map(|r| r.find(name)).collect();
    match found.as_slice() {
        [column] => Ok(column.name.clone()),
        [] => Err(EngineError::plan(
            format!(
                "USING column '{}' is not a column of the {side} operand of the join",
                name.value
            ),
            Some(name.span.range()),
        )),
        _ => Err(EngineError::plan(
            format!(
                "USING column '{}' is ambiguous in the {side} operand of the join",
                name.value
            ),
            Some(name.span.range()),
        )),
    }
}

fn display(name: &ast::TableName) -> String {
    name.parts()
        .map(|p| p.value.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// An unsigned integer literal for `LIMIT`/`OFFSET`.
fn number(value: u64, span: ast::Span, lowerer: &Lowerer<'_>) -> sq::Expr {
    sq::Expr::Value(sq::ValueWithSpan {
        value: sq::Value::Number(value.to_string(), false),
        span: lowerer.sql_span(span),
    })
}
