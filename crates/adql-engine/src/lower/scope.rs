//! Name resolution: which relation and which stored column an ADQL identifier means.
//!
//! ADQL regular identifiers are case-insensitive and delimited ones exact, while DataFusion compares names
//! exactly. The lowering therefore resolves every column and table reference itself, against the relations in
//! scope (tables from the catalog, derived tables and common table expressions with the output names the
//! lowering gave them), and emits exact, double-quoted identifiers. An unquoted name that matches two stored
//! names differing only by case is an error naming both.

use adql_syntax::ast;

/// A column of a relation in scope.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// The stored name, exactly.
    pub(crate) name: String,
    /// The VOUnit from the column's metadata.
    pub(crate) unit: Option<String>,
}

/// How a relation can be referred to.
#[derive(Debug, Clone)]
pub(crate) enum RelationName {
    /// By its correlation name (alias) only.
    Alias(ast::Ident),
    /// By its table name, or any suffix of its qualified name (`t`, `s.t`), given exactly here.
    Table(Vec<String>),
}

/// A relation visible in a `FROM` clause.
#[derive(Debug, Clone)]
pub(crate) struct Relation {
    pub(crate) name: RelationName,
    /// The qualifier to emit before its columns.
    pub(crate) emitted: Vec<String>,
    pub(crate) columns: Vec<Column>,
}

impl Relation {
    /// Whether `qualifier` (from `qualifier.column` or `qualifier.*`) designates this relation.
    pub(crate) fn matches(&self, qualifier: &ast::TableName) -> bool {
        let parts: Vec<&ast::Ident> = qualifier.parts().collect();
        match &self.name {
            RelationName::Alias(alias) => {
                parts.len() == 1
                    && parts
                        .first()
                        .is_some_and(|p| ident_matches(p, &alias.value, alias.quoted))
            }
            RelationName::Table(names) => {
                parts.len() <= names.len()
                    && parts
                        .iter()
                        .rev()
                        .zip(names.iter().rev())
                        .all(|(p, n)| ident_matches(p, n, true))
            }
        }
    }

    /// The columns an identifier could mean: every column whose name it matches, narrowed to the
    /// default-case one when a regular identifier matches several (see [`prefer_default_case`]).
    pub(crate) fn find(&self, column: &ast::Ident) -> Vec<&Column> {
        let found: Vec<&Column> = self
            .columns
            .iter()
            .filter(|c| ident_matches(column, &c.name, true))
            .collect();
        prefer_default_case(column, found, |c| &c.name)
    }

    /// How to print the relation in messages.
    pub(crate) fn display(&self) -> String {
        match &self.name {
            RelationName::Alias(alias) => alias.value.clone(),
            RelationName::Table(parts) => parts.join("."),
        }
    }
}

/// Whether the identifier as written names `stored`: a delimited identifier exactly, a regular one without case.
/// `stored_exact` says whether `stored` is itself exact (a stored name) or was written unquoted.
pub(crate) fn ident_matches(ident: &ast::Ident, stored: &str, stored_exact: bool) -> bool {
    if ident.quoted && stored_exact {
        ident.value == stored
    } else {
        ident.value.eq_ignore_ascii_case(stored)
    }
}

/// When a regular identifier matches several stored names that differ only by case, the one in the default
/// case (lower case, as PostgreSQL and so DaCHS fold unquoted names) is meant: ADQL 2.1 §2.1.7 says names that are
/// mixed-case or not in the default case must be written delimited, so `mag` and `MAG` mean the column `mag`,
/// never `"Mag"`. Without a default-case candidate the match stays ambiguous (an error naming all of them).
pub(crate) fn prefer_default_case<'a, T>(
    ident: &ast::Ident,
    found: Vec<&'a T>,
    name: impl Fn(&T) -> &str,
) -> Vec<&'a T> {
    if ident.quoted || found.len() < 2 {
        return found;
    }
    let folded = ident.value.to_lowercase();
    let default_case: Vec<&'a T> = found
        .iter()
        .copied()
        .filter(|c| name(c) == folded)
        .collect();
    if default_case.len() == 1 {
        default_case
    } else {
        found
    }
}

/// The relations of one `SELECT` (or of the operands of a join, while its `ON` condition is lowered), the
/// columns merged by `USING`/`NATURAL`, and the output names of its select list once known.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub(crate) relations: Vec<Relation>,
    /// Exact names of the columns merged by `USING` or `NATURAL` joins.
    pub(crate) merged: Vec<String>,
    /// The names of `merged` merged by a RIGHT or FULL join: unqualified, they are the COALESCE of the
    /// operands' columns (the left one alone is NULL for rows of the right operand only).
    pub(crate) merged_outer: Vec<String>,
    /// Lowercased names of join columns matched without case (`NATURAL` or `USING` over names that differ
    /// only by case, planned as `ON`): unqualified, they mean the left operand's column.
    pub(crate) coalesced: Vec<String>,
    /// Output names of the select list (for `ORDER BY`, `GROUP BY` and `HAVING` references to aliases).
    pub(crate) outputs: Vec<super::OutputColumn>,
}
