//! Depth-first traversal of the tree.
//!
//! Implement the `visit_*` methods of interest; each default calls the matching `walk_*` function, which
//! visits the children. Call `walk_*` from an override to keep descending.

use super::{
    ColumnRef, Expr, Function, JoinConstraint, Query, Select, SelectItem, SelectList, SetExpr,
    TableName, TableRef,
};

macro_rules! visitor {
    ($(#[$doc:meta])* $trait:ident, $walk_query:ident, $walk_set_expr:ident, $walk_select:ident,
     $walk_table_ref:ident, $walk_expr:ident, $($mut_:tt)?) => {
        $(#[$doc])*
        pub trait $trait {
            /// Called for every query and subquery (CTE bodies, derived tables, `IN`/`EXISTS` subqueries,
            /// parenthesised set operands).
            fn visit_query(&mut self, query: &$($mut_)? Query) {
                $walk_query(self, query);
            }

            /// Called for every `SELECT`.
            fn visit_select(&mut self, select: &$($mut_)? Select) {
                $walk_select(self, select);
            }

            /// Called for every FROM item, joins and their operands included.
            fn visit_table_ref(&mut self, table: &$($mut_)? TableRef) {
                $walk_table_ref(self, table);
            }

            /// Called for every table name in FROM.
            fn visit_table_name(&mut self, _name: &$($mut_)? TableName) {}

            /// Called for every expression, conditions included.
            fn visit_expr(&mut self, expr: &$($mut_)? Expr) {
                $walk_expr(self, expr);
            }

            /// Called for every column reference (after `visit_expr` on the enclosing expression).
            fn visit_column(&mut self, _column: &$($mut_)? ColumnRef) {}

            /// Called for every function call before its arguments are visited.
            fn visit_function(&mut self, _function: &$($mut_)? Function) {}
        }

        /// Visits the parts of a query.
        pub fn $walk_query<V: $trait + ?Sized>(v: &mut V, query: &$($mut_)? Query) {
            for cte in & $($mut_)? query.with {
                v.visit_query(& $($mut_)? cte.query);
            }
            $walk_set_expr(v, & $($mut_)? query.body);
            for item in & $($mut_)? query.order_by {
                v.visit_expr(& $($mut_)? item.expr);
            }
        }

        fn $walk_set_expr<V: $trait + ?Sized>(v: &mut V, body: &$($mut_)? SetExpr) {
            match body {
                SetExpr::Select(select) => v.visit_select(select),
                SetExpr::Query(query) => v.visit_query(query),
                SetExpr::SetOperation { left, right, .. } => {
                    $walk_set_expr(v, left);
                    $walk_set_expr(v, right);
                }
            }
        }

        /// Visits the parts of a `SELECT`: FROM first (it introduces the names), then the select list,
        /// WHERE, GROUP BY and HAVING.
        pub fn $walk_select<V: $trait + ?Sized>(v: &mut V, select: &$($mut_)? Select) {
            for table in & $($mut_)? select.from {
                v.visit_table_ref(table);
            }
            if let SelectList::Items(items) = & $($mut_)? select.items {
                for item in items {
                    if let SelectItem::Expr { expr, .. } = item {
                        v.visit_expr(expr);
                    }
                }
            }
            if let Some(e) = & $($mut_)? select.selection {
                v.visit_expr(e);
            }
            for e in & $($mut_)? select.group_by {
                v.visit_expr(e);
            }
            if let Some(e) = & $($mut_)? select.having {
                v.visit_expr(e);
            }
        }

        /// Visits the parts of a FROM item.
        pub fn $walk_table_ref<V: $trait + ?Sized>(v: &mut V, table: &$($mut_)? TableRef) {
            match table {
                TableRef::Table { name, .. } => v.visit_table_name(name),
                TableRef::Derived { subquery, .. } => v.visit_query(subquery),
                TableRef::Join(join) => {
                    v.visit_table_ref(& $($mut_)? join.left);
                    v.visit_table_ref(& $($mut_)? join.right);
                    if let Some(JoinConstraint::On(e)) = & $($mut_)? join.constraint {
                        v.visit_expr(e);
                    }
                }
            }
        }

        /// Visits the children of an expression.
        pub fn $walk_expr<V: $trait + ?Sized>(v: &mut V, expr: &$($mut_)? Expr) {
            match expr {
                Expr::Literal(_) | Expr::CountStar(_) => {}
                Expr::Column(c) => v.visit_column(c),
                Expr::Unary { expr, .. } | Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } => v.visit_expr(expr),
                Expr::Binary { left, right, .. } => {
                    v.visit_expr(left);
                    v.visit_expr(right);
                }
                Expr::Between { expr, low, high, .. } => {
                    v.visit_expr(expr);
                    v.visit_expr(low);
                    v.visit_expr(high);
                }
                Expr::InList { expr, list, .. } => {
                    v.visit_expr(expr);
                    for e in list {
                        v.visit_expr(e);
                    }
                }
                Expr::InSubquery { expr, subquery, .. } => {
                    v.visit_expr(expr);
                    v.visit_query(subquery);
                }
                Expr::Like { expr, pattern, .. } => {
                    v.visit_expr(expr);
                    v.visit_expr(pattern);
                }
                Expr::Exists { subquery, .. } => v.visit_query(subquery),
                Expr::Function(f) => {
                    v.visit_function(f);
                    if let Some(cs) = & $($mut_)? f.coord_sys {
                        v.visit_expr(cs);
                    }
                    for e in & $($mut_)? f.args {
                        v.visit_expr(e);
                    }
                }
            }
        }
    };
}

visitor!(
    /// Read-only traversal.
    Visitor, walk_query, walk_set_expr, walk_select, walk_table_ref, walk_expr,
);
visitor!(
    /// Traversal that may change nodes in place.
    VisitorMut, walk_query_mut, walk_set_expr_mut, walk_select_mut, walk_table_ref_mut, walk_expr_mut, mut
);
