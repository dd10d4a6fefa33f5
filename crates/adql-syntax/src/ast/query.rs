//! Queries: `WITH`, set operations, `SELECT`, `ORDER BY`, `OFFSET`.

use super::{Expr, Ident, SetQuantifier, Span, Spanned, TableName, TableRef};

/// A query expression: `[WITH ...] body [ORDER BY ...] [OFFSET n]`.
///
/// Used at the top level and for subqueries (which have no `WITH`), and as a parenthesised set operand
/// that carries its own `ORDER BY`/`OFFSET` ([`SetExpr::Query`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Query {
    /// Common table expressions (top level only).
    pub with: Vec<Cte>,
    /// A `SELECT` or a set operation.
    pub body: SetExpr,
    /// `ORDER BY` applying to the whole body.
    pub order_by: Vec<OrderByItem>,
    /// `OFFSET n`.
    pub offset: Option<u64>,
    /// Where it was written.
    pub span: Span,
}

impl Query {
    /// A query made of one `SELECT`.
    pub fn select(select: Select) -> Query {
        Query::new(SetExpr::Select(Box::new(select)))
    }

    /// A query with the given body and nothing else.
    pub fn new(body: SetExpr) -> Query {
        Query {
            with: Vec::new(),
            body,
            order_by: Vec::new(),
            offset: None,
            span: Span::EMPTY,
        }
    }

    /// Adds an `ORDER BY` item.
    pub fn order_by(mut self, item: OrderByItem) -> Query {
        self.order_by.push(item);
        self
    }

    /// Sets `OFFSET n`.
    pub fn with_offset(mut self, offset: u64) -> Query {
        self.offset = Some(offset);
        self
    }

    /// The body when it is one `SELECT` (no set operation).
    pub fn as_select(&self) -> Option<&Select> {
        match &self.body {
            SetExpr::Select(select) => Some(select),
            SetExpr::Query(_) | SetExpr::SetOperation { .. } => None,
        }
    }

    /// The body when it is one `SELECT`, mutably.
    pub fn as_select_mut(&mut self) -> Option<&mut Select> {
        match &mut self.body {
            SetExpr::Select(select) => Some(select),
            SetExpr::Query(_) | SetExpr::SetOperation { .. } => None,
        }
    }

    /// The output names of a query whose body is one `SELECT` with a select list: the alias of each item,
    /// or the column's own name. `None` for `*`, `t.*`, a set operation, or an item without a name.
    pub fn output_names(&self) -> Option<Vec<&Ident>> {
        match &self.as_select()?.items {
            SelectList::Wildcard(_) => None,
            SelectList::Items(items) => items.iter().map(SelectItem::output_name).collect(),
        }
    }
}

impl Spanned for Query {
    fn span(&self) -> Span {
        self.span
    }
}

/// `name AS (query)` in a `WITH` clause.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cte {
    /// The name the query is known by.
    pub name: Ident,
    /// The query (no `WITH` of its own).
    pub query: Box<Query>,
    /// Where it was written.
    pub span: Span,
}

impl Spanned for Cte {
    fn span(&self) -> Span {
        self.span
    }
}

/// The body of a query.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SetExpr {
    /// A `SELECT`.
    Select(Box<Select>),
    /// A parenthesised operand with its own `ORDER BY` and/or `OFFSET`. The parser produces it only then:
    /// other parentheses leave no trace in the tree, and the printer puts back those precedence needs.
    Query(Box<Query>),
    /// `left op [ALL] right`.
    SetOperation {
        /// Left operand.
        left: Box<SetExpr>,
        /// The operator.
        op: SetOperator,
        /// `ALL` (keep duplicates).
        all: bool,
        /// Right operand.
        right: Box<SetExpr>,
        /// Where it was written.
        span: Span,
    },
}

impl SetExpr {
    /// `self op [ALL] right`.
    pub fn combine(self, op: SetOperator, all: bool, right: SetExpr) -> SetExpr {
        SetExpr::SetOperation {
            left: Box::new(self),
            op,
            all,
            right: Box::new(right),
            span: Span::EMPTY,
        }
    }
}

impl Spanned for SetExpr {
    fn span(&self) -> Span {
        match self {
            SetExpr::Select(s) => s.span,
            SetExpr::Query(q) => q.span,
            SetExpr::SetOperation { span, .. } => *span,
        }
    }
}

/// A set operator. `INTERSECT` binds tighter than `UNION` and `EXCEPT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SetOperator {
    /// `UNION`.
    Union,
    /// `EXCEPT`.
    Except,
    /// `INTERSECT`.
    Intersect,
}

impl SetOperator {
    /// The keyword.
    pub fn as_str(&self) -> &'static str {
        match self {
            SetOperator::Union => "UNION",
            SetOperator::Except => "EXCEPT",
            SetOperator::Intersect => "INTERSECT",
        }
    }

    pub(crate) fn precedence(&self) -> u8 {
        match self {
            SetOperator::Union | SetOperator::Except => 1,
            SetOperator::Intersect => 2,
        }
    }
}

/// `SELECT [ALL|DISTINCT] [TOP n] items FROM ... [WHERE ...] [GROUP BY ...] [HAVING ...]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Select {
    /// `ALL` or `DISTINCT`.
    pub quantifier: Option<SetQuantifier>,
    /// `TOP n`.
    pub top: Option<u64>,
    /// The select list.
    pub items: SelectList,
    /// The FROM clause (at least one item; commas are cross joins).
    pub from: Vec<TableRef>,
    /// `WHERE` condition.
    pub selection: Option<Expr>,
    /// `GROUP BY` terms.
    pub group_by: Vec<Expr>,
    /// `HAVING` condition.
    pub having: Option<Expr>,
    /// Where it was written.
    pub span: Span,
}

impl Select {
    /// `SELECT items FROM from`.
    pub fn new(items: SelectList, from: Vec<TableRef>) -> Select {
        Select {
            quantifier: None,
            top: None,
            items,
            from,
            selection: None,
            group_by: Vec::new(),
            having: None,
            span: Span::EMPTY,
        }
    }

    /// Sets the `WHERE` condition.
    pub fn filter(mut self, condition: Expr) -> Select {
        self.selection = Some(condition);
        self
    }

    /// Sets `TOP n`.
    pub fn with_top(mut self, top: u64) -> Select {
        self.top = Some(top);
        self
    }

    /// Adds `condition` to the `WHERE` clause (`AND` with what is there).
    pub fn and_where(&mut self, condition: Expr) {
        self.selection = Some(match self.selection.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
    }

    /// Adds `condition` to the `HAVING` clause (`AND` with what is there).
    pub fn and_having(&mut self, condition: Expr) {
        self.having = Some(match self.having.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
    }
}

impl Spanned for Select {
    fn span(&self) -> Span {
        self.span
    }
}

/// The select list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SelectList {
    /// `*`.
    Wildcard(Span),
    /// A list of items (at least one).
    Items(Vec<SelectItem>),
}

/// One item of a select list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SelectItem {
    /// `expr [AS alias]`.
    Expr {
        /// The value.
        expr: Expr,
        /// The output name.
        alias: Option<Ident>,
        /// Where it was written.
        span: Span,
    },
    /// `qualifier.*`.
    QualifiedWildcard {
        /// The table or correlation name.
        qualifier: TableName,
        /// Where it was written.
        span: Span,
    },
}

impl SelectItem {
    /// `expr` without alias.
    pub fn expr(expr: Expr) -> SelectItem {
        SelectItem::Expr {
            expr,
            alias: None,
            span: Span::EMPTY,
        }
    }

    /// `expr AS alias`.
    pub fn aliased(expr: Expr, alias: impl Into<Ident>) -> SelectItem {
        SelectItem::Expr {
            expr,
            alias: Some(alias.into()),
            span: Span::EMPTY,
        }
    }

    /// The name of the column this item produces: its alias, or the name of the column it selects; `None`
    /// for any other unnamed expression and for `t.*`.
    pub fn output_name(&self) -> Option<&Ident> {
        match self {
            SelectItem::Expr {
                alias: Some(alias), ..
            } => Some(alias),
            SelectItem::Expr {
                expr: Expr::Column(c),
                alias: None,
                ..
            } => Some(&c.column),
            SelectItem::Expr { .. } | SelectItem::QualifiedWildcard { .. } => None,
        }
    }
}

impl Spanned for SelectItem {
    fn span(&self) -> Span {
        match self {
            SelectItem::Expr { span, .. } | SelectItem::QualifiedWildcard { span, .. } => *span,
        }
    }
}

/// One `ORDER BY` term.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OrderByItem {
    /// A select-list position (an unsigned integer literal), a column reference or an expression.
    pub expr: Expr,
    /// `ASC` or `DESC` when written.
    pub direction: Option<OrderDirection>,
    /// Where it was written.
    pub span: Span,
}

impl OrderByItem {
    /// `expr [direction]`.
    pub fn new(expr: Expr, direction: Option<OrderDirection>) -> OrderByItem {
        OrderByItem {
            expr,
            direction,
            span: Span::EMPTY,
        }
    }
}

impl Spanned for OrderByItem {
    fn span(&self) -> Span {
        self.span
    }
}

/// `ASC` or `DESC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderDirection {
    /// `ASC`.
    Asc,
    /// `DESC`.
    Desc,
}
