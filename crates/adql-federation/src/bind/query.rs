//! The queries a bind join sends: the big side restricted to the small side's keys, as `IN` lists or
//! joined with an uploaded table of keys, and the probes a `NOT IN` needs.

use adql_syntax::ast::{
    Expr, Ident, JoinConstraint, JoinKind, Query, Select, SelectItem, SelectList, Span, TableName,
    TableRef,
};

/// The correlation name of the big side's query as a derived table.
const BIG: &str = "q";
/// The correlation name of the uploaded keys.
const UPLOAD: &str = "u";
/// The column of the uploaded table holding the keys.
pub(super) const KEY_COLUMN: &str = "xbj_key";

/// The big side as a bind join queries it: its remote query, its output names, and the output name of
/// the key column.
#[derive(Debug, Clone, Copy)]
pub(super) struct Keyed<'a> {
    pub query: &'a Query,
    pub names: &'a [Ident],
    pub key: &'a Ident,
}

impl Keyed<'_> {
    fn column(&self, name: &Ident) -> Expr {
        Expr::column([Ident::new(BIG), name.clone()])
    }

    /// `SELECT [TOP top] q.<names> FROM (<big>) AS q [, joined]`.
    fn select(&self, joined: Option<TableRef>) -> Select {
        let items = self
            .names
            .iter()
            .map(|n| SelectItem::expr(self.column(n)))
            .collect();
        let from = TableRef::derived(self.query.clone(), BIG);
        let from = match joined {
            Some(table) => {
                let on = self.column(self.key).eq(Expr::column([UPLOAD, KEY_COLUMN]));
                from.join(JoinKind::Inner, table, Some(JoinConstraint::On(on)))
            }
            None => from,
        };
        Select::new(SelectList::Items(items), vec![from])
    }

    /// `SELECT q.* FROM (<big>) AS q WHERE q.key IN (values)`.
    pub(super) fn in_list(&self, values: Vec<Expr>) -> Query {
        let condition = Expr::InList {
            expr: Box::new(self.column(self.key)),
            negated: false,
            list: values,
            span: Span::EMPTY,
        };
        Query::select(self.select(None).filter(condition))
    }

    /// `SELECT q.* FROM (<big>) AS q JOIN TAP_UPLOAD.<table> AS u ON q.key = u.xbj_key`.
    pub(super) fn upload_join(&self, table: &str) -> Query {
        let name = TableName::from_parts([Ident::new("TAP_UPLOAD"), Ident::exact(table)])
            .unwrap_or_else(|| TableName::new(Ident::exact(table)));
        Query::select(self.select(Some(TableRef::aliased(name, UPLOAD))))
    }

    /// `SELECT TOP 1 q.* FROM (<big>) AS q WHERE q.key IS NULL`: whether the big side has a NULL key
    /// (which makes every `NOT IN` unknown).
    pub(super) fn null_key(&self) -> Query {
        let condition = Expr::IsNull {
            expr: Box::new(self.column(self.key)),
            negated: false,
            span: Span::EMPTY,
        };
        Query::select(self.select(None).filter(condition).with_top(1))
    }

    /// `SELECT TOP 1 q.* FROM (<big>) AS q`: whether the big side has a row at all (`x NOT IN` an empty
    /// set is true even for a NULL `x`).
    pub(super) fn any_row(&self) -> Query {
        Query::select(self.select(None).with_top(1))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_big_side_restricted_to_keys() {
        let big = adql_syntax::parse("SELECT g.source_id, g.ra FROM gaia.src AS g WHERE g.ra > 1")
            .unwrap();
        let names = [Ident::exact("source_id"), Ident::exact("ra")];
        let keyed = Keyed {
            query: &big,
            names: &names,
            key: &names[0],
        };
        let inner = "(SELECT g.source_id, g.ra FROM gaia.src AS g WHERE g.ra > 1) AS q";
        let check = |query: Query, expected: String| {
            let text = query.to_string();
            assert_eq!(text, expected);
            assert_eq!(adql_syntax::parse(&text).unwrap(), query);
        };
        check(
            keyed.in_list(vec![Expr::integer(7), Expr::signed(-2)]),
            format!("SELECT q.source_id, q.ra FROM {inner} WHERE q.source_id IN (7, -2)"),
        );
        check(
            keyed.upload_join("xbj_1"),
            format!(
                "SELECT q.source_id, q.ra FROM {inner} JOIN TAP_UPLOAD.xbj_1 AS u ON q.source_id = u.xbj_key"
            ),
        );
        check(
            keyed.null_key(),
            format!("SELECT TOP 1 q.source_id, q.ra FROM {inner} WHERE q.source_id IS NULL"),
        );
        check(
            keyed.any_row(),
            format!("SELECT TOP 1 q.source_id, q.ra FROM {inner}"),
        );
    }
}
