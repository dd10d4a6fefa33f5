//! The FROM clause: tables, derived tables and joins.

use super::{Expr, Ident, Query, Span, Spanned, TableName};

/// One item of the FROM clause.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TableRef {
    /// A named table with an optional correlation name: `gaiadr3.gaia_source AS g`.
    Table {
        /// The table.
        name: TableName,
        /// The correlation name.
        alias: Option<Ident>,
        /// Where it was written.
        span: Span,
    },
    /// A derived table: `(SELECT ...) AS q` (the alias is mandatory).
    Derived {
        /// The subquery.
        subquery: Box<Query>,
        /// The correlation name.
        alias: Ident,
        /// Where it was written.
        span: Span,
    },
    /// A join.
    Join(Box<Join>),
}

impl TableRef {
    /// A table reference without alias.
    pub fn table(name: TableName) -> TableRef {
        TableRef::Table {
            name,
            alias: None,
            span: Span::EMPTY,
        }
    }

    /// A table reference with an alias.
    pub fn aliased(name: TableName, alias: impl Into<Ident>) -> TableRef {
        TableRef::Table {
            name,
            alias: Some(alias.into()),
            span: Span::EMPTY,
        }
    }

    /// A derived table: `(subquery) AS alias`.
    pub fn derived(subquery: Query, alias: impl Into<Ident>) -> TableRef {
        TableRef::Derived {
            subquery: Box::new(subquery),
            alias: alias.into(),
            span: Span::EMPTY,
        }
    }

    /// The name the table's columns are qualified with: the alias, else the table's own name (`None` for a
    /// join).
    pub fn correlation_name(&self) -> Option<&Ident> {
        match self {
            TableRef::Table { name, alias, .. } => Some(alias.as_ref().unwrap_or(&name.name)),
            TableRef::Derived { alias, .. } => Some(alias),
            TableRef::Join(_) => None,
        }
    }

    /// `self kind JOIN right [constraint]`.
    pub fn join(
        self,
        kind: JoinKind,
        right: TableRef,
        constraint: Option<JoinConstraint>,
    ) -> TableRef {
        TableRef::Join(Box::new(Join {
            left: self,
            right,
            kind,
            natural: false,
            constraint,
            span: Span::EMPTY,
        }))
    }
}

impl Spanned for TableRef {
    fn span(&self) -> Span {
        match self {
            TableRef::Table { span, .. } | TableRef::Derived { span, .. } => *span,
            TableRef::Join(j) => j.span,
        }
    }
}

/// `left [NATURAL] kind JOIN right [ON ... | USING (...)]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Join {
    /// Left operand.
    pub left: TableRef,
    /// Right operand.
    pub right: TableRef,
    /// Inner or outer.
    pub kind: JoinKind,
    /// `NATURAL JOIN` (then there is no constraint).
    pub natural: bool,
    /// `ON` or `USING`; absent for natural joins (and for the BNF's constraint-less `t1 JOIN t2`).
    pub constraint: Option<JoinConstraint>,
    /// Where it was written.
    pub span: Span,
}

impl Spanned for Join {
    fn span(&self) -> Span {
        self.span
    }
}

/// The kind of a join.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JoinKind {
    /// `[INNER] JOIN`.
    Inner,
    /// `LEFT [OUTER] JOIN`.
    Left,
    /// `RIGHT [OUTER] JOIN`.
    Right,
    /// `FULL [OUTER] JOIN`.
    Full,
}

/// The condition of a join.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum JoinConstraint {
    /// `ON condition`.
    On(Expr),
    /// `USING (col, ...)`.
    Using(Vec<Ident>),
}
