//! Lowering: the ADQL syntax tree to the sqlparser tree that DataFusion's SQL planner takes.
//!
//! The lowering is where ADQL semantics meet DataFusion's:
//!
//! - names are resolved here (see [`scope`]) and emitted as exact, quoted identifiers, so regular ADQL
//!   identifiers match stored names without case while DataFusion compares exactly;
//! - `SELECT *` and `t.*` are expanded, and every select item gets a unique output name (case-insensitively:
//!   `id`, `id_2`), as TAP requires;
//! - `TOP n` becomes the query's `LIMIT` and `OFFSET m` its offset, so rows `m+1..m+n` after `ORDER BY` are
//!   returned; a `TOP` in an operand of a set operation limits the whole set operation, as in DaCHS;
//! - functions map onto DataFusion's or the engine's (`LOG` → `ln`, `CEILING` → `ceil`, `MOD` → `%`,
//!   `ROUND`/`TRUNCATE`/`RAND` → [`crate::functions::math`], `IN_UNIT` → `in_unit(x, 'to', 'from')` with the
//!   source unit inferred from column metadata), geometry constructors take their coordinate system as a
//!   leading string argument;
//! - every emitted node carries the line and column of the ADQL text it came from, so DataFusion's
//!   diagnostics point into the ADQL query.

pub mod catalog;
mod expr;
mod query;
pub(crate) mod scope;
pub(crate) mod span;

use std::ops::Range;

use adql_syntax::ast;
use datafusion::sql::sqlparser::ast as sq;
use datafusion::sql::sqlparser::tokenizer::Span as SqlSpan;

pub use catalog::{Catalog, Resolution, ResolvedTable};
use scope::{Column, Relation, Scope, ident_matches};
use span::SpanMap;

use crate::error::EngineError;

/// A column of the query's result as the lowering named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputColumn {
    /// The unique output name.
    pub name: String,
    /// The VOUnit of the values, when it can be told from the column metadata.
    pub unit: Option<String>,
}

/// The outcome of lowering a query.
#[derive(Debug, Clone)]
pub struct Lowered {
    /// The statement to hand to DataFusion's SQL planner.
    pub statement: sq::Statement,
    /// The result columns, in order.
    pub columns: Vec<OutputColumn>,
    /// Emitted function and operator names with the ADQL span they came from, to place DataFusion errors that
    /// carry no span of their own.
    pub(crate) hints: Vec<(String, Range<usize>)>,
}

/// Lowers a parsed ADQL query. `source` is the text it was parsed from (spans point into it); `catalog`
/// holds the tables the query names and the session's functions.
///
/// # Errors
/// [`EngineError::Plan`], positioned in `source`, for unknown or ambiguous tables, columns and functions,
/// unit problems and constructs the engine does not support.
pub fn lower(query: &ast::Query, catalog: &Catalog, source: &str) -> Result<Lowered, EngineError> {
    let mut lowerer = Lowerer {
        catalog,
        spans: SpanMap::new(source),
        scopes: Vec::new(),
        ctes: Vec::new(),
        hints: Vec::new(),
    };
    let (lowered, columns) = lowerer.query(query)?;
    Ok(Lowered {
        statement: sq::Statement::Query(Box::new(lowered)),
        columns,
        hints: lowerer.hints,
    })
}

/// A common table expression in scope.
#[derive(Debug, Clone)]
struct CteDef {
    name: ast::Ident,
    emitted: String,
    columns: Vec<OutputColumn>,
}

/// The lowering state: the scopes of the enclosing `SELECT`s (innermost last) and the `WITH` names in scope.
struct Lowerer<'a> {
    catalog: &'a Catalog,
    spans: SpanMap<'a>,
    scopes: Vec<Scope>,
    ctes: Vec<Vec<CteDef>>,
    hints: Vec<(String, Range<usize>)>,
}

/// Where a column reference stands, which decides whether select-list aliases are in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameMode {
    /// Only `FROM` columns (select list, `WHERE`, `ON`).
    From,
    /// Output names first, then `FROM` columns (`ORDER BY`).
    AliasFirst,
    /// `FROM` columns first, then output names (`GROUP BY`, `HAVING`).
    AliasLast,
}

impl Lowerer<'_> {
    fn sql_span(&self, span: ast::Span) -> SqlSpan {
        self.spans.span(span)
    }

    /// A double-quoted identifier with the span of `span`.
    fn ident(&self, value: &str, span: ast::Span) -> sq::Ident {
        sq::Ident {
            value: value.to_owned(),
            quote_style: Some('"'),
            span: self.sql_span(span),
        }
    }

    fn object_name(&self, parts: &[String], span: ast::Span) -> sq::ObjectName {
        sq::ObjectName(
            parts
                .iter()
                .map(|p| sq::ObjectNamePart::Identifier(self.ident(p, span)))
                .collect(),
        )
    }

    fn hint(&mut self, name: &str, span: ast::Span) {
        if !span.is_empty() {
            self.hints.push((name.to_owned(), span.range()));
        }
    }

    /// Resolves a column reference to the expression to emit, the column's unit and its output name.
    fn column(
        &self,
        column: &ast::ColumnRef,
        mode: NameMode,
    ) -> Result<(sq::Expr, Option<String>, String), EngineError> {
        if mode == NameMode::AliasFirst
            && column.table.is_none()
            && let Some(found) = self.alias(column)?
        {
            return Ok(found);
        }
        for scope in self.scopes.iter().rev() {
            if let Some(found) = self.column_in(scope, column)? {
                return Ok(found);
            }
        }
        if mode == NameMode::AliasLast
            && column.table.is_none()
            && let Some(found) = self.alias(column)?
        {
            return Ok(found);
        }
        let span = Some(column.span.range());
        if let Some(qualifier) = &column.table
            && !self
                .scopes
                .iter()
                .any(|s| s.relations.iter().any(|r| r.matches(qualifier)))
        {
            let name = qualifier
                .parts()
                .map(|p| p.value.as_str())
                .collect::<Vec<_>>()
                .join(".");
            let known = self.scopes.last().map(|s| {
                s.relations
                    .iter()
                    .map(Relation::display)
                    .collect::<Vec<_>>()
            });
            let mut err = EngineError::plan(
                format!("unknown table or alias '{name}' in column reference"),
                span,
            );
            if let Some(known) = known.filter(|k| !k.is_empty()) {
                err = err.with_note(format!("tables in scope: {}", known.join(", ")), None);
            }
            return Err(err);
        }
        let mut err =
            EngineError::plan(format!("column '{}' not found", column.column.value), span);
        if let Some(scope) = self.scopes.last() {
            let available: Vec<String> = scope
                .relations
                .iter()
                .filter(|r| column.table.as_ref().is_none_or(|q| r.matches(q)))
                .flat_map(|r| {
                    r.columns
                        .iter()
                        .map(move |c| format!("{}.{}", r.display(), c.name))
                })
                .collect();
            if let Some(close) = available.iter().find(|a| {
                a.rsplit('.').next().is_some_and(|c| {
                    c.to_lowercase()
                        .contains(&column.column.value.to_lowercase())
                })
            }) {
                err = err.with_note(format!("did you mean {close}?"), None);
            } else if !available.is_empty() && available.len() <= 30 {
                err = err.with_note(format!("available columns: {}", available.join(", ")), None);
            }
        }
        Err(err)
    }

    fn column_in(
        &self,
        scope: &Scope,
        column: &ast::ColumnRef,
    ) -> Result<Option<(sq::Expr, Option<String>, String)>, EngineError> {
        let mut matches: Vec<(&Relation, &Column)> = Vec::new();
        for relation in &scope.relations {
            if column.table.as_ref().is_some_and(|q| !relation.matches(q)) {
                continue;
            }
            let found = relation.find(&column.column);
            if found.len() > 1 {
                let names: Vec<String> = found.iter().map(|c| format!("\"{}\"", c.name)).collect();
                return Err(EngineError::plan(
                    format!(
                        "column name '{}' is ambiguous: it matches {}",
                        column.column.value,
                        names.join(" and ")
                    ),
                    Some(column.column.span.range()),
                )
                .with_note(
                    "write the name between double quotes to pick one exactly",
                    None,
                ));
            }
            matches.extend(found.into_iter().map(|c| (relation, c)));
        }
        match matches.as_slice() {
            [] => Ok(None),
            [(relation, col)] => Ok(Some(self.emit_column(relation, col, column.span))),
            [(_, first), rest @ ..] => {
                // Columns merged by USING/NATURAL are one column when referred to without a qualifier.
                let merged = column.table.is_none()
                    && scope.merged.contains(&first.name)
                    && rest.iter().all(|(_, c)| c.name == first.name);
                if merged {
                    let expr = self.merged_column(scope, &first.name, column.span);
                    return Ok(Some((expr, first.unit.clone(), first.name.clone())));
                }
                let lowered = first.name.to_lowercase();
                let coalesced = column.table.is_none()
                    && scope.coalesced.contains(&lowered)
                    && rest.iter().all(|(_, c)| c.name.to_lowercase() == lowered);
                if coalesced && let Some((relation, col)) = matches.first() {
                    return Ok(Some(self.emit_column(relation, col, column.span)));
                }
                let names: Vec<String> = matches
                    .iter()
                    .map(|(r, c)| format!("{}.{}", r.display(), c.name))
                    .collect();
                Err(EngineError::plan(
                    format!(
                        "column reference '{}' is ambiguous: it matches {}",
                        column.column.value,
                        names.join(" and ")
                    ),
                    Some(column.span.range()),
                )
                .with_note("qualify it with a table name or alias", None))
            }
        }
    }

    /// An unqualified reference to the column `name` merged by `USING` or `NATURAL`: the bare name, or after
    /// a RIGHT or FULL join the COALESCE of every operand's column of that name.
    pub(super) fn merged_column(&self, scope: &Scope, name: &str, span: ast::Span) -> sq::Expr {
        let bare = || sq::Expr::Identifier(self.ident(name, span));
        if !scope.merged_outer.iter().any(|m| m == name) {
            return bare();
        }
        let Some(coalesce) = self.catalog.function("coalesce").map(str::to_owned) else {
            return bare();
        };
        let args: Vec<sq::FunctionArg> = scope
            .relations
            .iter()
            .filter_map(|r| {
                r.columns
                    .iter()
                    .find(|c| c.name == name)
                    .map(|c| self.emit_column(r, c, span).0)
            })
            .map(|e| sq::FunctionArg::Unnamed(sq::FunctionArgExpr::Expr(e)))
            .collect();
        if args.len() < 2 {
            return bare();
        }
        sq::Expr::Function(sq::Function {
            name: sq::ObjectName(vec![sq::ObjectNamePart::Identifier(sq::Ident {
                value: coalesce,
                quote_style: None,
                span: self.sql_span(span),
            })]),
            uses_odbc_syntax: false,
            parameters: sq::FunctionArguments::None,
            args: sq::FunctionArguments::List(sq::FunctionArgumentList {
                duplicate_treatment: None,
                args,
                clauses: Vec::new(),
            }),
            filter: None,
            null_treatment: None,
            over: None,
            within_group: Vec::new(),
        })
    }

    fn emit_column(
        &self,
        relation: &Relation,
        column: &Column,
        span: ast::Span,
    ) -> (sq::Expr, Option<String>, String) {
        let mut parts: Vec<sq::Ident> = relation
            .emitted
            .iter()
            .map(|p| self.ident(p, span))
            .collect();
        parts.push(self.ident(&column.name, span));
        (
            sq::Expr::CompoundIdentifier(parts),
            column.unit.clone(),
            column.name.clone(),
        )
    }

    /// Resolves an unqualified name against the output names of the innermost select list.
    fn alias(
        &self,
        column: &ast::ColumnRef,
    ) -> Result<Option<(sq::Expr, Option<String>, String)>, EngineError> {
        let Some(scope) = self.scopes.last() else {
            return Ok(None);
        };
        let found: Vec<&OutputColumn> = scope
            .outputs
            .iter()
            .filter(|o| ident_matches(&column.column, &o.name, true))
            .collect();
        let found = scope::prefer_default_case(&column.column, found, |o| &o.name);
        match found.as_slice() {
            [] => Ok(None),
            [output] => {
                let expr = sq::Expr::Identifier(self.ident(&output.name, column.span));
                Ok(Some((expr, output.unit.clone(), output.name.clone())))
            }
            _ => Err(EngineError::plan(
                format!(
                    "'{}' matches several columns of the select list",
                    column.column.value
                ),
                Some(column.span.range()),
            )),
        }
    }

    /// The common table expression `name` refers to, if any.
    fn cte(&self, name: &ast::TableName) -> Option<&CteDef> {
        if name.schema.is_some() {
            return None;
        }
        self.ctes.iter().rev().flatten().find(|c| {
            if c.name.quoted && name.name.quoted {
                c.name.value == name.name.value
            } else {
                c.name.value.eq_ignore_ascii_case(&name.name.value)
            }
        })
    }
}

/// Picks a name not yet in `used`: `name`, then `name_2`, `name_3`, … Names are compared exactly, as ADQL
/// output columns `"Mag"` and `mag` are different columns (DaCHS keeps both).
pub(crate) fn unique_name(used: &mut Vec<String>, name: &str) -> String {
    let taken = |used: &[String], candidate: &str| used.iter().any(|u| u == candidate);
    let mut candidate = name.to_owned();
    let mut n = 2;
    while taken(used, &candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_are_exact() {
        let mut used = Vec::new();
        assert_eq!(unique_name(&mut used, "id"), "id");
        assert_eq!(unique_name(&mut used, "ID"), "ID");
        assert_eq!(unique_name(&mut used, "id"), "id_2");
        assert_eq!(unique_name(&mut used, "id_2"), "id_2_2");
    }
}
