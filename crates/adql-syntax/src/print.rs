//! The canonical ADQL printer: `Display` for every node.
//!
//! Keywords are upper case, tokens are separated by one space, identifiers are quoted only when they must
//! be, and parentheses appear exactly where precedence and left associativity need them, so that
//! `parse(&tree.to_string()) == tree` and printing is idempotent.

use std::fmt::{self, Display, Formatter, Write as _};

use crate::ast::{
    BinaryOp, ColumnRef, Cte, Expr, Function, FunctionName, HexLit, Ident, Join, JoinConstraint,
    JoinKind, Literal, NumberLit, OrderByItem, OrderDirection, Query, Select, SelectItem,
    SelectList, SetExpr, SetQuantifier, StringLit, TableName, TableRef, UnaryOp,
};

/// Precedence of `NOT`.
const NOT_PRECEDENCE: u8 = 3;
/// Precedence of the predicates `BETWEEN`, `IN`, `LIKE`, `IS NULL` (and of comparisons).
const PREDICATE_PRECEDENCE: u8 = 4;
/// Precedence of the sign operators.
const SIGN_PRECEDENCE: u8 = 11;
/// Precedence of primaries.
const ATOM_PRECEDENCE: u8 = 12;

/// How tightly `expr` binds, to decide where parentheses are needed.
pub(crate) fn precedence(expr: &Expr) -> u8 {
    match expr {
        Expr::Binary { op, .. } => op.precedence(),
        Expr::Unary {
            op: UnaryOp::Not, ..
        } => NOT_PRECEDENCE,
        Expr::Unary { .. } => SIGN_PRECEDENCE,
        Expr::Between { .. }
        | Expr::InList { .. }
        | Expr::InSubquery { .. }
        | Expr::Like { .. }
        | Expr::IsNull { .. } => PREDICATE_PRECEDENCE,
        Expr::Literal(_)
        | Expr::Column(_)
        | Expr::Function(_)
        | Expr::CountStar(_)
        | Expr::Cast { .. }
        | Expr::Exists { .. } => ATOM_PRECEDENCE,
    }
}

/// Writes `expr`, in parentheses when it binds less tightly than `min`.
fn operand(f: &mut Formatter<'_>, expr: &Expr, min: u8) -> fmt::Result {
    if precedence(expr) < min {
        write!(f, "({expr})")
    } else {
        write!(f, "{expr}")
    }
}

fn comma_list<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.needs_quotes() {
            f.write_char('"')?;
            for c in self.value.chars() {
                if c == '"' {
                    f.write_char('"')?;
                }
                f.write_char(c)?;
            }
            f.write_char('"')
        } else {
            f.write_str(&self.value)
        }
    }
}

impl Display for TableName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts().enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

impl Display for ColumnRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(table) = &self.table {
            write!(f, "{table}.")?;
        }
        write!(f, "{}", self.column)
    }
}

impl Display for NumberLit {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Display for StringLit {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('\'')?;
        for c in self.value.chars() {
            if c == '\'' {
                f.write_char('\'')?;
            }
            f.write_char(c)?;
        }
        f.write_char('\'')
    }
}

impl Display for HexLit {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", self.digits)
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Number(n) => n.fmt(f),
            Literal::String(s) => s.fmt(f),
            Literal::Null(_) => f.write_str("NULL"),
            Literal::Hex(h) => h.fmt(f),
        }
    }
}

impl Display for BinaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for SetQuantifier {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetQuantifier::All => "ALL",
            SetQuantifier::Distinct => "DISTINCT",
        })
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(l) => l.fmt(f),
            Expr::Column(c) => c.fmt(f),
            Expr::Unary {
                op: UnaryOp::Not,
                expr,
                ..
            } => {
                f.write_str("NOT ")?;
                operand(f, expr, NOT_PRECEDENCE)
            }
            Expr::Unary { op, expr, .. } => {
                f.write_str(match op {
                    UnaryOp::Plus => "+",
                    UnaryOp::Minus => "-",
                    UnaryOp::BitNot | UnaryOp::Not => "~",
                })?;
                // ADQL allows one sign per factor: a signed operand is parenthesised, `-(-x)`. (Never
                // `--x`, which starts a comment; `- -x` parses here but services such as DaCHS reject it.)
                if matches!(**expr, Expr::Unary { ref op, .. } if *op != UnaryOp::Not) {
                    write!(f, "({expr})")
                } else {
                    operand(f, expr, SIGN_PRECEDENCE)
                }
            }
            Expr::Binary {
                left, op, right, ..
            } => {
                let p = op.precedence();
                operand(f, left, p)?;
                write!(f, " {op} ")?;
                operand(f, right, p + 1)
            }
            Expr::Between {
                expr,
                negated,
                low,
                high,
                ..
            } => {
                operand(f, expr, PREDICATE_PRECEDENCE + 1)?;
                f.write_str(if *negated {
                    " NOT BETWEEN "
                } else {
                    " BETWEEN "
                })?;
                operand(f, low, PREDICATE_PRECEDENCE + 1)?;
                f.write_str(" AND ")?;
                operand(f, high, PREDICATE_PRECEDENCE + 1)
            }
            Expr::InList {
                expr,
                negated,
                list,
                ..
            } => {
                operand(f, expr, PREDICATE_PRECEDENCE + 1)?;
                f.write_str(if *negated { " NOT IN (" } else { " IN (" })?;
                comma_list(f, list)?;
                f.write_char(')')
            }
            Expr::InSubquery {
                expr,
                negated,
                subquery,
                ..
            } => {
                operand(f, expr, PREDICATE_PRECEDENCE + 1)?;
                write!(
                    f,
                    "{}({subquery})",
                    if *negated { " NOT IN " } else { " IN " }
                )
            }
            Expr::Like {
                expr,
                negated,
                case_insensitive,
                pattern,
                ..
            } => {
                operand(f, expr, PREDICATE_PRECEDENCE + 1)?;
                f.write_str(match (negated, case_insensitive) {
                    (false, false) => " LIKE ",
                    (true, false) => " NOT LIKE ",
                    (false, true) => " ILIKE ",
                    (true, true) => " NOT ILIKE ",
                })?;
                operand(f, pattern, PREDICATE_PRECEDENCE + 1)
            }
            Expr::IsNull { expr, negated, .. } => {
                operand(f, expr, PREDICATE_PRECEDENCE + 1)?;
                f.write_str(if *negated { " IS NOT NULL" } else { " IS NULL" })
            }
            Expr::Exists { subquery, .. } => write!(f, "EXISTS ({subquery})"),
            Expr::Function(func) => func.fmt(f),
            Expr::CountStar(_) => f.write_str("COUNT(*)"),
            Expr::Cast { expr, target, .. } => write!(f, "CAST({expr} AS {target})"),
        }
    }
}

impl Display for FunctionName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FunctionName::Builtin(b) => f.write_str(b.name()),
            FunctionName::Udf(name) => name.fmt(f),
        }
    }
}

impl Display for Function {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        if let Some(q) = self.quantifier {
            write!(f, "{q} ")?;
        }
        if let Some(cs) = &self.coord_sys {
            write!(f, "{cs}")?;
            if !self.args.is_empty() {
                f.write_str(", ")?;
            }
        }
        comma_list(f, &self.args)?;
        f.write_char(')')
    }
}

impl Display for JoinConstraint {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            JoinConstraint::On(e) => write!(f, "ON {e}"),
            JoinConstraint::Using(cols) => {
                f.write_str("USING (")?;
                comma_list(f, cols)?;
                f.write_char(')')
            }
        }
    }
}

impl Display for Join {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.left)?;
        if self.natural {
            f.write_str("NATURAL ")?;
        }
        f.write_str(match self.kind {
            JoinKind::Inner => "JOIN ",
            JoinKind::Left => "LEFT OUTER JOIN ",
            JoinKind::Right => "RIGHT OUTER JOIN ",
            JoinKind::Full => "FULL OUTER JOIN ",
        })?;
        // Joins associate to the left: a join on the right needs parentheses.
        if matches!(self.right, TableRef::Join(_)) {
            write!(f, "({})", self.right)?;
        } else {
            write!(f, "{}", self.right)?;
        }
        if let Some(c) = &self.constraint {
            write!(f, " {c}")?;
        }
        Ok(())
    }
}

impl Display for TableRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            TableRef::Table { name, alias, .. } => {
                write!(f, "{name}")?;
                if let Some(alias) = alias {
                    write!(f, " AS {alias}")?;
                }
                Ok(())
            }
            TableRef::Derived {
                subquery, alias, ..
            } => write!(f, "({subquery}) AS {alias}"),
            TableRef::Join(join) => join.fmt(f),
        }
    }
}

impl Display for SelectItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Expr { expr, alias, .. } => {
                write!(f, "{expr}")?;
                if let Some(alias) = alias {
                    write!(f, " AS {alias}")?;
                }
                Ok(())
            }
            SelectItem::QualifiedWildcard { qualifier, .. } => write!(f, "{qualifier}.*"),
        }
    }
}

impl Display for SelectList {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SelectList::Wildcard(_) => f.write_char('*'),
            SelectList::Items(items) => comma_list(f, items),
        }
    }
}

/// The separator between clauses: a space, or a new line in the alternate (`{:#}`) form.
fn clause_break(f: &Formatter<'_>) -> &'static str {
    if f.alternate() { "\n" } else { " " }
}

impl Display for Select {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let br = clause_break(f);
        f.write_str("SELECT ")?;
        if let Some(q) = self.quantifier {
            write!(f, "{q} ")?;
        }
        if let Some(top) = self.top {
            write!(f, "TOP {top} ")?;
        }
        write!(f, "{}{br}FROM ", self.items)?;
        comma_list(f, &self.from)?;
        if let Some(c) = &self.selection {
            write!(f, "{br}WHERE {c}")?;
        }
        if !self.group_by.is_empty() {
            write!(f, "{br}GROUP BY ")?;
            comma_list(f, &self.group_by)?;
        }
        if let Some(c) = &self.having {
            write!(f, "{br}HAVING {c}")?;
        }
        Ok(())
    }
}

impl Display for OrderByItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        match self.direction {
            Some(OrderDirection::Asc) => f.write_str(" ASC"),
            Some(OrderDirection::Desc) => f.write_str(" DESC"),
            None => Ok(()),
        }
    }
}

/// Writes a set operand, parenthesised when it is a set operation binding less tightly than `min`.
fn set_operand(f: &mut Formatter<'_>, body: &SetExpr, min: u8) -> fmt::Result {
    let parenthesised = matches!(body, SetExpr::SetOperation { op, .. } if op.precedence() < min);
    match (parenthesised, f.alternate()) {
        (true, true) => write!(f, "({body:#})"),
        (true, false) => write!(f, "({body})"),
        (false, true) => write!(f, "{body:#}"),
        (false, false) => write!(f, "{body}"),
    }
}

impl Display for SetExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SetExpr::Select(s) if f.alternate() => write!(f, "{s:#}"),
            SetExpr::Select(s) => s.fmt(f),
            SetExpr::Query(q) if f.alternate() => write!(f, "({q:#})"),
            SetExpr::Query(q) => write!(f, "({q})"),
            SetExpr::SetOperation {
                left,
                op,
                all,
                right,
                ..
            } => {
                let p = op.precedence();
                let br = clause_break(f);
                set_operand(f, left, p)?;
                write!(
                    f,
                    "{br}{}{}{br}",
                    op.as_str(),
                    if *all { " ALL" } else { "" }
                )?;
                set_operand(f, right, p + 1)
            }
        }
    }
}

impl Display for Cte {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} AS ({})", self.name, self.query)
    }
}

/// `Display` writes the query on one line; the alternate form (`{:#}`) starts each clause of the outer query
/// (and each set operator) on a new line. Both parse back to the same tree.
impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let br = clause_break(f);
        if !self.with.is_empty() {
            f.write_str("WITH ")?;
            for (i, cte) in self.with.iter().enumerate() {
                if i > 0 {
                    write!(f, ",{br}")?;
                }
                write!(f, "{cte}")?;
            }
            f.write_str(br)?;
        }
        if f.alternate() {
            write!(f, "{:#}", self.body)?;
        } else {
            write!(f, "{}", self.body)?;
        }
        if !self.order_by.is_empty() {
            write!(f, "{br}ORDER BY ")?;
            comma_list(f, &self.order_by)?;
        }
        if let Some(offset) = self.offset {
            write!(f, "{br}OFFSET {offset}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::ast::*;

    fn col(name: &str) -> Expr {
        Expr::column([name])
    }

    #[test]
    fn parentheses_follow_precedence_and_associativity() {
        let e = col("a").binary(BinaryOp::Minus, col("b").binary(BinaryOp::Minus, col("c")));
        assert_eq!(e.to_string(), "a - (b - c)");
        let e = col("a")
            .binary(BinaryOp::Minus, col("b"))
            .binary(BinaryOp::Minus, col("c"));
        assert_eq!(e.to_string(), "a - b - c");
        let e = col("a")
            .binary(BinaryOp::Plus, col("b"))
            .binary(BinaryOp::Multiply, col("c"));
        assert_eq!(e.to_string(), "(a + b) * c");
        let e = Expr::unary(UnaryOp::Minus, Expr::unary(UnaryOp::Minus, col("x")));
        assert_eq!(e.to_string(), "-(-x)");
        let e = Expr::unary(UnaryOp::Minus, col("a").binary(BinaryOp::Plus, col("b")));
        assert_eq!(e.to_string(), "-(a + b)");
        let e = col("a")
            .eq(col("b"))
            .or(col("c").eq(col("d")))
            .and(col("e").eq(Expr::integer(1)));
        assert_eq!(e.to_string(), "(a = b OR c = d) AND e = 1");
        let e = Expr::unary(
            UnaryOp::Not,
            col("a").eq(col("b")).and(col("c").eq(col("d"))),
        );
        assert_eq!(e.to_string(), "NOT (a = b AND c = d)");
    }

    #[test]
    fn alternate_form_breaks_clauses() {
        let q = crate::parse(
            "WITH a AS (SELECT x FROM t) SELECT TOP 3 x FROM a WHERE x IN (SELECT y FROM u) GROUP BY x \
             HAVING COUNT(*) > 1 UNION (SELECT z FROM v ORDER BY z) ORDER BY 1 OFFSET 2",
        )
        .unwrap();
        let pretty = format!("{q:#}");
        assert_eq!(
            pretty,
            "WITH a AS (SELECT x FROM t)\nSELECT TOP 3 x\nFROM a\nWHERE x IN (SELECT y FROM u)\nGROUP BY x\n\
             HAVING COUNT(*) > 1\nUNION\n(SELECT z\nFROM v\nORDER BY z)\nORDER BY 1\nOFFSET 2"
        );
        assert_eq!(crate::parse(&pretty).unwrap(), q);
        assert_eq!(format!("{:#}", crate::parse(&pretty).unwrap()), pretty);
    }

    #[test]
    fn literals_and_identifiers_are_escaped() {
        assert_eq!(Expr::string("it's").to_string(), "'it''s'");
        assert_eq!(Ident::quoted("a\"b").to_string(), "\"a\"\"b\"");
        assert_eq!(Ident::new("size").to_string(), "\"size\"");
        assert_eq!(Ident::new("Ra").to_string(), "Ra");
        assert_eq!(
            Expr::column(["TAP_UPLOAD", "t", "x"]).to_string(),
            "TAP_UPLOAD.t.x"
        );
    }

    #[test]
    fn queries_print_canonically() {
        let select = Select::new(
            SelectList::Items(vec![SelectItem::aliased(Expr::column(["g", "ra"]), "r")]),
            vec![TableRef::aliased(
                TableName::from_parts(["gaia", "src"]).unwrap(),
                "g",
            )],
        )
        .with_top(10)
        .filter(
            Expr::call(
                BuiltinFunction::Contains,
                vec![
                    Expr::call(BuiltinFunction::Point, vec![col("ra"), col("dec")]),
                    Expr::call(
                        BuiltinFunction::Circle,
                        vec![
                            Expr::integer(1),
                            Expr::integer(2),
                            Expr::number("0.5").unwrap(),
                        ],
                    ),
                ],
            )
            .eq(Expr::integer(1)),
        );
        let q = Query::select(select).order_by(OrderByItem::new(
            Expr::integer(1),
            Some(OrderDirection::Desc),
        ));
        assert_eq!(
            q.to_string(),
            "SELECT TOP 10 g.ra AS r FROM gaia.src AS g WHERE CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 0.5)) = 1 \
             ORDER BY 1 DESC"
        );
    }
}
