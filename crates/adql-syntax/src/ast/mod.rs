//! The ADQL syntax tree.
//!
//! Every node carries a [`Span`] (empty for built trees) that never takes part in equality. Nodes are built
//! with plain struct literals or the helper constructors (`Ident::new`, `Expr::column`, `Query::select`, ...),
//! printed as canonical ADQL with `Display`, and walked with [`Visitor`]/[`VisitorMut`].

mod expr;
mod ident;
mod literal;
mod query;
mod span;
mod table;
mod types;
mod visit;

pub use expr::{BinaryOp, BuiltinFunction, Expr, Function, FunctionName, SetQuantifier, UnaryOp};
pub use ident::{ColumnRef, Ident, TableName, is_regular_identifier};
pub use literal::{HexLit, Literal, NumberKind, NumberLit, StringLit};
pub use query::{
    Cte, OrderByItem, OrderDirection, Query, Select, SelectItem, SelectList, SetExpr, SetOperator,
};
pub use span::{Span, Spanned};
pub use table::{Join, JoinConstraint, JoinKind, TableRef};
pub use types::{AdqlType, TypeLength, UnknownType};
pub use visit::{
    Visitor, VisitorMut, walk_expr, walk_expr_mut, walk_query, walk_query_mut, walk_select,
    walk_select_mut, walk_table_ref, walk_table_ref_mut,
};
