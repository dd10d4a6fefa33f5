//! A small ADQL query model and its printer: what the plan → ADQL generator produces.
//!
//! The model covers exactly the shapes the generator emits (one `SELECT` with derived tables and
//! joins), and its printer writes canonical ADQL 2.x text: every identifier that is not a plain
//! lower-case regular identifier, or that is a reserved word, is printed as a delimited identifier;
//! strings double their quotes; binary operands are parenthesised so that printing never depends on
//! operator precedence and never produces `--` (a comment in ADQL).

use std::fmt::{self, Display, Formatter, Write as _};

/// Is `word` (any case) a reserved word of ADQL 2.1? (The parser's own list, so that what the
/// generator quotes and what the parser rejects unquoted never disagree.)
pub fn is_reserved(word: &str) -> bool {
    adql_syntax::is_reserved(word, adql_syntax::AdqlVersion::V2_1)
}

/// Is `name` an ADQL regular identifier: a Latin letter followed by letters, digits and `_`?
pub fn is_regular_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() => chars.all(|c| c.is_ascii_alphanumeric() || c == '_'),
        _ => false,
    }
}

/// An identifier as it will be printed.
///
/// A name made of lower-case letters, digits and `_` that is a regular identifier and not a
/// reserved word prints bare; anything else (mixed case, reserved words, other characters) prints
/// delimited, with `"` doubled.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The name, exactly as the service stores it.
    pub name: String,
    /// Print as a delimited identifier even if it could print bare.
    pub force_quote: bool,
}

impl Ident {
    /// An identifier for `name`, quoted only when needed.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            force_quote: false,
        }
    }

    /// An identifier that always prints delimited.
    pub fn quoted(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            force_quote: true,
        }
    }

    /// Does this identifier print as a delimited identifier?
    pub fn needs_quotes(&self) -> bool {
        self.force_quote
            || !is_regular_identifier(&self.name)
            || self.name.chars().any(|c| c.is_ascii_uppercase())
            || is_reserved(&self.name)
    }
}

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.needs_quotes() {
            f.write_char('"')?;
            for c in self.name.chars() {
                if c == '"' {
                    f.write_str("\"\"")?;
                } else {
                    f.write_char(c)?;
                }
            }
            f.write_char('"')
        } else {
            f.write_str(&self.name)
        }
    }
}

/// A possibly qualified table name as the service knows it (`schema.table`, `catalog.schema.table`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName {
    /// The parts, outermost first.
    pub parts: Vec<Ident>,
}

impl Display for TableName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

/// A binary operator of ADQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `=`
    Eq,
    /// `!=` (the same as `<>`)
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `||`
    Concat,
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `&` (optional bitwise feature)
    BitAnd,
    /// `|` (optional bitwise feature)
    BitOr,
    /// `^` (optional bitwise feature)
    BitXor,
}

impl BinaryOp {
    fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Eq => "=",
            // DaCHS 2.7 rejects `<>` and parses `!=`, which adql_syntax's printer writes as well.
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Concat => "||",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "^",
        }
    }
}

/// An ADQL value expression or search condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `[qualifier.]name`
    Column {
        /// Table alias or name.
        qualifier: Option<Ident>,
        /// Column name.
        name: Ident,
    },
    /// An unsigned numeric literal, already in ADQL syntax (`12`, `1.5`, `1e-7`).
    Number(String),
    /// A character string literal (printed with `''` escapes).
    String(String),
    /// `NULL`
    Null,
    /// `left op right`
    Binary(Box<Expr>, BinaryOp, Box<Expr>),
    /// `-expr`
    Negative(Box<Expr>),
    /// `NOT expr`
    Not(Box<Expr>),
    /// `expr IS [NOT] NULL`
    IsNull {
        /// Operand (a column reference in valid ADQL).
        expr: Box<Expr>,
        /// `IS NOT NULL`?
        negated: bool,
    },
    /// `expr [NOT] BETWEEN low AND high`
    Between {
        /// Operand.
        expr: Box<Expr>,
        /// Lower bound.
        low: Box<Expr>,
        /// Upper bound.
        high: Box<Expr>,
        /// `NOT BETWEEN`?
        negated: bool,
    },
    /// `expr [NOT] LIKE|ILIKE pattern`
    Like {
        /// Operand.
        expr: Box<Expr>,
        /// Pattern.
        pattern: Box<Expr>,
        /// `NOT LIKE`?
        negated: bool,
        /// `ILIKE`?
        case_insensitive: bool,
    },
    /// `expr [NOT] IN (list)`
    InList {
        /// Operand.
        expr: Box<Expr>,
        /// Values (never empty).
        list: Vec<Expr>,
        /// `NOT IN`?
        negated: bool,
    },
    /// `NAME([DISTINCT] args)`
    Function {
        /// Function name as printed (upper case for ADQL functions, declared case for UDFs).
        name: String,
        /// Arguments.
        args: Vec<Expr>,
        /// `DISTINCT` inside an aggregate.
        distinct: bool,
    },
    /// `COUNT(*)`
    CountStar,
    /// `CAST(expr AS type)`
    Cast {
        /// Operand.
        expr: Box<Expr>,
        /// ADQL type name (`DOUBLE PRECISION`, `BIGINT`, ...).
        data_type: String,
    },
}

impl Expr {
    /// A column reference.
    pub fn column(qualifier: Option<Ident>, name: Ident) -> Self {
        Expr::Column { qualifier, name }
    }

    /// `left op right`.
    pub fn binary(left: Expr, op: BinaryOp, right: Expr) -> Self {
        Expr::Binary(Box::new(left), op, Box::new(right))
    }

    /// Conjunction of `conditions`, or `None` when there are none.
    pub fn conjunction(conditions: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        conditions
            .into_iter()
            .reduce(|a, b| Expr::binary(a, BinaryOp::And, b))
    }

    /// Does this expression print as a single token or a parenthesised/function form, so that it
    /// can be an operand without parentheses?
    fn is_atomic(&self) -> bool {
        matches!(
            self,
            Expr::Column { .. }
                | Expr::Number(_)
                | Expr::String(_)
                | Expr::Null
                | Expr::Function { .. }
                | Expr::CountStar
                | Expr::Cast { .. }
        )
    }
}

/// Writes `e`, in parentheses unless it is atomic.
fn operand(f: &mut Formatter<'_>, e: &Expr) -> fmt::Result {
    if e.is_atomic() {
        write!(f, "{e}")
    } else {
        write!(f, "({e})")
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

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Column {
                qualifier: Some(q),
                name,
            } => write!(f, "{q}.{name}"),
            Expr::Column {
                qualifier: None,
                name,
            } => write!(f, "{name}"),
            Expr::Number(n) => f.write_str(n),
            Expr::String(s) => {
                f.write_char('\'')?;
                for c in s.chars() {
                    if c == '\'' {
                        f.write_str("''")?;
                    } else {
                        f.write_char(c)?;
                    }
                }
                f.write_char('\'')
            }
            Expr::Null => f.write_str("NULL"),
            Expr::Binary(left, op, right) => {
                operand(f, left)?;
                write!(f, " {} ", op.as_str())?;
                operand(f, right)
            }
            Expr::Negative(e) => {
                f.write_char('-')?;
                match e.as_ref() {
                    Expr::Number(_)
                    | Expr::Column { .. }
                    | Expr::Function { .. }
                    | Expr::Cast { .. } => {
                        write!(f, "{e}")
                    }
                    _ => write!(f, "({e})"),
                }
            }
            Expr::Not(e) => {
                f.write_str("NOT ")?;
                operand(f, e)
            }
            Expr::IsNull { expr, negated } => {
                operand(f, expr)?;
                f.write_str(if *negated { " IS NOT NULL" } else { " IS NULL" })
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                operand(f, expr)?;
                f.write_str(if *negated {
                    " NOT BETWEEN "
                } else {
                    " BETWEEN "
                })?;
                operand(f, low)?;
                f.write_str(" AND ")?;
                operand(f, high)
            }
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => {
                operand(f, expr)?;
                f.write_str(if *negated { " NOT" } else { "" })?;
                f.write_str(if *case_insensitive {
                    " ILIKE "
                } else {
                    " LIKE "
                })?;
                operand(f, pattern)
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                operand(f, expr)?;
                f.write_str(if *negated { " NOT IN (" } else { " IN (" })?;
                comma_list(f, list)?;
                f.write_char(')')
            }
            Expr::Function {
                name,
                args,
                distinct,
            } => {
                write!(f, "{name}(")?;
                if *distinct {
                    f.write_str("DISTINCT ")?;
                }
                comma_list(f, args)?;
                f.write_char(')')
            }
            Expr::CountStar => f.write_str("COUNT(*)"),
            Expr::Cast { expr, data_type } => write!(f, "CAST({expr} AS {data_type})"),
        }
    }
}

/// One item of a select list: `expr [AS alias]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectItem {
    /// The value.
    pub expr: Expr,
    /// The output name, if it must be given.
    pub alias: Option<Ident>,
}

impl Display for SelectItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.alias {
            Some(alias) => write!(f, "{} AS {alias}", self.expr),
            None => write!(f, "{}", self.expr),
        }
    }
}

/// Join kinds of ADQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// `INNER JOIN`
    Inner,
    /// `LEFT OUTER JOIN`
    Left,
    /// `RIGHT OUTER JOIN`
    Right,
    /// `FULL OUTER JOIN`
    Full,
}

impl JoinKind {
    fn keyword(self) -> &'static str {
        match self {
            JoinKind::Inner => "INNER JOIN",
            JoinKind::Left => "LEFT OUTER JOIN",
            JoinKind::Right => "RIGHT OUTER JOIN",
            JoinKind::Full => "FULL OUTER JOIN",
        }
    }
}

/// A table reference in `FROM`.
#[derive(Debug, Clone, PartialEq)]
pub enum TableRef {
    /// `schema.table AS alias`
    Table {
        /// Name as the service knows it.
        name: TableName,
        /// Correlation name.
        alias: Ident,
    },
    /// `(SELECT ...) AS alias`
    Derived {
        /// The subquery.
        query: Box<Select>,
        /// Correlation name (mandatory in ADQL).
        alias: Ident,
    },
    /// `left <kind> JOIN right ON condition`
    Join {
        /// Left operand.
        left: Box<TableRef>,
        /// Right operand.
        right: Box<TableRef>,
        /// Kind of join.
        kind: JoinKind,
        /// Join condition.
        on: Expr,
    },
}

impl Display for TableRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            TableRef::Table { name, alias } => write!(f, "{name} AS {alias}"),
            TableRef::Derived { query, alias } => write!(f, "({query}) AS {alias}"),
            TableRef::Join {
                left,
                right,
                kind,
                on,
            } => {
                write!(f, "{left} {} ", kind.keyword())?;
                match right.as_ref() {
                    TableRef::Join { .. } => write!(f, "({right})")?,
                    _ => write!(f, "{right}")?,
                }
                write!(f, " ON {on}")
            }
        }
    }
}

/// One `ORDER BY` term.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    /// Sort key (a column, an output name, a select-list position or, in ADQL 2.1, an expression).
    pub expr: Expr,
    /// `ASC` (true) or `DESC`.
    pub asc: bool,
}

impl Display for OrderItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.expr, if self.asc { "ASC" } else { "DESC" })
    }
}

/// `SELECT [DISTINCT] [TOP n] items FROM ... [WHERE] [GROUP BY] [HAVING] [ORDER BY] [OFFSET m]`.
///
/// ADQL applies `OFFSET` first and `TOP` afterwards, both after `ORDER BY`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Select {
    /// `SELECT DISTINCT`?
    pub distinct: bool,
    /// `TOP n`.
    pub top: Option<u64>,
    /// The select list (never empty when printed by the generator).
    pub items: Vec<SelectItem>,
    /// `FROM` (comma-separated references form a cross product).
    pub from: Vec<TableRef>,
    /// `WHERE`.
    pub selection: Option<Expr>,
    /// `GROUP BY`.
    pub group_by: Vec<Expr>,
    /// `HAVING`.
    pub having: Option<Expr>,
    /// `ORDER BY`.
    pub order_by: Vec<OrderItem>,
    /// `OFFSET m`.
    pub offset: Option<u64>,
}

impl Display for Select {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        if let Some(top) = self.top {
            write!(f, "TOP {top} ")?;
        }
        comma_list(f, &self.items)?;
        f.write_str(" FROM ")?;
        comma_list(f, &self.from)?;
        if let Some(selection) = &self.selection {
            write!(f, " WHERE {selection}")?;
        }
        if !self.group_by.is_empty() {
            f.write_str(" GROUP BY ")?;
            comma_list(f, &self.group_by)?;
        }
        if let Some(having) = &self.having {
            write!(f, " HAVING {having}")?;
        }
        if !self.order_by.is_empty() {
            f.write_str(" ORDER BY ")?;
            comma_list(f, &self.order_by)?;
        }
        if let Some(offset) = self.offset {
            write!(f, " OFFSET {offset}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_come_from_the_parser() {
        assert!(is_reserved("distance"));
        assert!(is_reserved("Size"));
        assert!(!is_reserved("ra"));
    }

    #[test]
    fn identifiers_quote_when_needed() {
        assert_eq!(Ident::new("ra").to_string(), "ra");
        assert_eq!(Ident::new("Mag").to_string(), "\"Mag\"");
        assert_eq!(Ident::new("size").to_string(), "\"size\"");
        assert_eq!(Ident::new("2mass").to_string(), "\"2mass\"");
        assert_eq!(Ident::new("a\"b").to_string(), "\"a\"\"b\"");
        assert_eq!(Ident::new("_x").to_string(), "\"_x\"");
    }

    #[test]
    fn strings_and_negatives_print_safely() {
        assert_eq!(Expr::String("O'Hara".into()).to_string(), "'O''Hara'");
        let neg = Expr::Negative(Box::new(Expr::Negative(Box::new(Expr::Number("1".into())))));
        assert_eq!(neg.to_string(), "-(-1)");
        let minus = Expr::binary(
            Expr::Number("2".into()),
            BinaryOp::Minus,
            Expr::Negative(Box::new(Expr::Number("1".into()))),
        );
        assert_eq!(minus.to_string(), "2 - (-1)");
    }
}
