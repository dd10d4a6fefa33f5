//! Value expressions and search conditions.
//!
//! ADQL separates value expressions from search conditions; this tree uses one [`Expr`] type for both, as
//! sqlparser does, and the parser enforces where each kind may stand (a comparison is never an operand of
//! `+`, `WHERE a + b` is rejected). [`Expr::is_condition`] tells the two apart.

use super::{AdqlType, ColumnRef, Ident, Literal, NumberLit, Query, Span, Spanned, StringLit};

/// A value expression or a search condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    /// A literal.
    Literal(Literal),
    /// A column reference.
    Column(ColumnRef),
    /// A prefix operator: `-x`, `+x`, `~x` (extension), `NOT cond`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
        /// Where it was written.
        span: Span,
    },
    /// An infix operator: arithmetic, `||`, bitwise (extension), comparison, `AND`, `OR`.
    Binary {
        /// Left operand.
        left: Box<Expr>,
        /// The operator.
        op: BinaryOp,
        /// Right operand.
        right: Box<Expr>,
        /// Where it was written.
        span: Span,
    },
    /// `expr [NOT] BETWEEN low AND high`.
    Between {
        /// The tested value.
        expr: Box<Expr>,
        /// `NOT BETWEEN`.
        negated: bool,
        /// Lower bound.
        low: Box<Expr>,
        /// Upper bound.
        high: Box<Expr>,
        /// Where it was written.
        span: Span,
    },
    /// `expr [NOT] IN (v1, v2, ...)`.
    InList {
        /// The tested value.
        expr: Box<Expr>,
        /// `NOT IN`.
        negated: bool,
        /// The values (at least one).
        list: Vec<Expr>,
        /// Where it was written.
        span: Span,
    },
    /// `expr [NOT] IN (subquery)`.
    InSubquery {
        /// The tested value.
        expr: Box<Expr>,
        /// `NOT IN`.
        negated: bool,
        /// The subquery.
        subquery: Box<Query>,
        /// Where it was written.
        span: Span,
    },
    /// `expr [NOT] LIKE pattern` or `expr [NOT] ILIKE pattern`.
    Like {
        /// The matched value.
        expr: Box<Expr>,
        /// `NOT LIKE` / `NOT ILIKE`.
        negated: bool,
        /// `ILIKE` (case-insensitive, optional feature).
        case_insensitive: bool,
        /// The pattern.
        pattern: Box<Expr>,
        /// Where it was written.
        span: Span,
    },
    /// `column IS [NOT] NULL`.
    IsNull {
        /// The tested value (a column reference in standard ADQL).
        expr: Box<Expr>,
        /// `IS NOT NULL`.
        negated: bool,
        /// Where it was written.
        span: Span,
    },
    /// `EXISTS (subquery)`.
    Exists {
        /// The subquery.
        subquery: Box<Query>,
        /// Where it was written.
        span: Span,
    },
    /// A function call: math, trig, aggregate, string, geometry, `COALESCE`, `IN_UNIT` or user-defined.
    Function(Function),
    /// `COUNT(*)`.
    CountStar(Span),
    /// `CAST(expr AS type)`.
    Cast {
        /// The converted value.
        expr: Box<Expr>,
        /// The target type.
        target: AdqlType,
        /// Where it was written.
        span: Span,
    },
}

/// A prefix operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnaryOp {
    /// `+x`.
    Plus,
    /// `-x`.
    Minus,
    /// `~x` (bitwise not, extension).
    BitNot,
    /// `NOT cond`.
    Not,
}

/// An infix operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BinaryOp {
    /// `+`.
    Plus,
    /// `-`.
    Minus,
    /// `*`.
    Multiply,
    /// `/`.
    Divide,
    /// `||`.
    Concat,
    /// `&` (extension).
    BitAnd,
    /// `|` (extension).
    BitOr,
    /// `^` (extension).
    BitXor,
    /// `=`.
    Eq,
    /// `!=` or `<>` (printed `<>`).
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    LtEq,
    /// `>`.
    Gt,
    /// `>=`.
    GtEq,
    /// `AND`.
    And,
    /// `OR`.
    Or,
}

impl BinaryOp {
    /// The operator's text.
    pub fn as_str(&self) -> &'static str {
        match self {
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Concat => "||",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "^",
            BinaryOp::Eq => "=",
            // Both spellings are ADQL; DaCHS 2.7, behind many TAP services, only parses `!=`.
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
        }
    }

    /// Whether this is a comparison (`=`, `<>`, `<`, ...), which makes a predicate.
    pub fn is_comparison(&self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
        )
    }

    /// Binding strength; higher binds tighter. All binary operators are left-associative.
    pub(crate) fn precedence(&self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            // 3: NOT; 4: predicates.
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq => 4,
            BinaryOp::BitOr => 5,
            BinaryOp::BitXor => 6,
            BinaryOp::BitAnd => 7,
            BinaryOp::Concat => 8,
            BinaryOp::Plus | BinaryOp::Minus => 9,
            BinaryOp::Multiply | BinaryOp::Divide => 10,
        }
    }
}

/// `ALL` or `DISTINCT`, in `SELECT` and in aggregates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SetQuantifier {
    /// `ALL`.
    All,
    /// `DISTINCT`.
    Distinct,
}

/// A function call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Function {
    /// Which function.
    pub name: FunctionName,
    /// `DISTINCT`/`ALL` inside an aggregate.
    pub quantifier: Option<SetQuantifier>,
    /// The optional leading coordinate-system argument of `POINT`, `CIRCLE`, `BOX` and `POLYGON`: a string
    /// literal or `NULL` in ADQL 2.1 (erratum 3), any string expression in ADQL 2.0.
    pub coord_sys: Option<Box<Expr>>,
    /// The arguments (after the coordinate system, if any).
    pub args: Vec<Expr>,
    /// Where it was written.
    pub span: Span,
}

impl Function {
    /// A call of a built-in function.
    pub fn builtin(name: BuiltinFunction, args: Vec<Expr>) -> Function {
        Function {
            name: FunctionName::Builtin(name),
            quantifier: None,
            coord_sys: None,
            args,
            span: Span::EMPTY,
        }
    }

    /// A call of a user-defined function.
    pub fn udf(name: impl Into<Ident>, args: Vec<Expr>) -> Function {
        Function {
            name: FunctionName::Udf(name.into()),
            quantifier: None,
            coord_sys: None,
            args,
            span: Span::EMPTY,
        }
    }

    /// This call with the leading coordinate-system argument `coord_sys` (POINT, CIRCLE, BOX, POLYGON).
    pub fn with_coord_sys(mut self, coord_sys: Expr) -> Function {
        self.coord_sys = Some(Box::new(coord_sys));
        self
    }

    /// This call with `DISTINCT` or `ALL` inside (aggregates).
    pub fn with_quantifier(mut self, quantifier: SetQuantifier) -> Function {
        self.quantifier = Some(quantifier);
        self
    }

    /// The built-in function called, if it is one.
    pub fn builtin_name(&self) -> Option<BuiltinFunction> {
        match &self.name {
            FunctionName::Builtin(b) => Some(*b),
            FunctionName::Udf(_) => None,
        }
    }
}

/// The name of a called function.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FunctionName {
    /// A function defined by ADQL.
    Builtin(BuiltinFunction),
    /// A user-defined function (a regular identifier, e.g. `ivo_healpix_index`).
    Udf(Ident),
}

macro_rules! builtins {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// A function defined by ADQL 2.1.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum BuiltinFunction {
            $(#[doc = $doc] $variant,)*
        }

        impl BuiltinFunction {
            /// Every built-in function.
            pub const ALL: &'static [BuiltinFunction] = &[$(BuiltinFunction::$variant,)*];

            /// The function's name, upper case.
            pub fn name(&self) -> &'static str {
                match self {
                    $(BuiltinFunction::$variant => $name,)*
                }
            }

            /// The built-in function called `name` (any case).
            pub fn from_name(name: &str) -> Option<BuiltinFunction> {
                // Dispatch on length first: most words are rejected without comparing bytes.
                match name.len() {
                    $(n if n == $name.len() && name.eq_ignore_ascii_case($name) => Some(BuiltinFunction::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

builtins! {
    Abs => "ABS", "`ABS(x)`";
    Ceiling => "CEILING", "`CEILING(x)`";
    Degrees => "DEGREES", "`DEGREES(x)`";
    Exp => "EXP", "`EXP(x)`";
    Floor => "FLOOR", "`FLOOR(x)`";
    Log => "LOG", "`LOG(x)`, natural logarithm";
    Log10 => "LOG10", "`LOG10(x)`";
    Mod => "MOD", "`MOD(x, y)`";
    Pi => "PI", "`PI()`";
    Power => "POWER", "`POWER(x, y)`";
    Radians => "RADIANS", "`RADIANS(x)`";
    Rand => "RAND", "`RAND([seed])`, seed an unsigned literal";
    Round => "ROUND", "`ROUND(x [, n])`, n a signed integer literal";
    Sqrt => "SQRT", "`SQRT(x)`";
    Truncate => "TRUNCATE", "`TRUNCATE(x [, n])`, n a signed integer literal";
    Acos => "ACOS", "`ACOS(x)`";
    Asin => "ASIN", "`ASIN(x)`";
    Atan => "ATAN", "`ATAN(x)`";
    Atan2 => "ATAN2", "`ATAN2(y, x)`";
    Cos => "COS", "`COS(x)`";
    Cot => "COT", "`COT(x)`";
    Sin => "SIN", "`SIN(x)`";
    Tan => "TAN", "`TAN(x)`";
    Count => "COUNT", "`COUNT([DISTINCT|ALL] x)` (`COUNT(*)` is [`Expr::CountStar`])";
    Avg => "AVG", "`AVG([DISTINCT|ALL] x)`";
    Min => "MIN", "`MIN([DISTINCT|ALL] x)`";
    Max => "MAX", "`MAX([DISTINCT|ALL] x)`";
    Sum => "SUM", "`SUM([DISTINCT|ALL] x)`";
    Lower => "LOWER", "`LOWER(s)` (optional feature)";
    Upper => "UPPER", "`UPPER(s)` (optional feature)";
    Coalesce => "COALESCE", "`COALESCE(x, ...)` (optional feature)";
    InUnit => "IN_UNIT", "`IN_UNIT(x, 'unit')` (optional feature)";
    Point => "POINT", "`POINT([cs,] lon, lat)`";
    Circle => "CIRCLE", "`CIRCLE([cs,] lon, lat, r)` or `CIRCLE([cs,] point, r)`";
    Box => "BOX", "`BOX([cs,] lon, lat, w, h)` or `BOX([cs,] point, w, h)`";
    Polygon => "POLYGON", "`POLYGON([cs,] lon1, lat1, ...)` or `POLYGON([cs,] p1, p2, p3, ...)`";
    Region => "REGION", "`REGION('STC-S')`";
    Contains => "CONTAINS", "`CONTAINS(g1, g2)`: 1 or 0";
    Intersects => "INTERSECTS", "`INTERSECTS(g1, g2)`: 1 or 0";
    Distance => "DISTANCE", "`DISTANCE(p1, p2)` or `DISTANCE(lon1, lat1, lon2, lat2)`";
    Area => "AREA", "`AREA(g)`";
    Centroid => "CENTROID", "`CENTROID(g)`";
    Coord1 => "COORD1", "`COORD1(p)`";
    Coord2 => "COORD2", "`COORD2(p)`";
    Coordsys => "COORDSYS", "`COORDSYS(g)`";
}

impl BuiltinFunction {
    /// Whether this is an aggregate (set function).
    pub fn is_aggregate(&self) -> bool {
        matches!(
            self,
            BuiltinFunction::Count
                | BuiltinFunction::Avg
                | BuiltinFunction::Min
                | BuiltinFunction::Max
                | BuiltinFunction::Sum
        )
    }

    /// Whether this function takes the optional leading coordinate-system literal.
    pub fn takes_coord_sys(&self) -> bool {
        matches!(
            self,
            BuiltinFunction::Point
                | BuiltinFunction::Circle
                | BuiltinFunction::Box
                | BuiltinFunction::Polygon
        )
    }
}

impl Expr {
    /// A column reference from one to four name parts, outermost first (`Expr::column(["g", "ra"])`).
    ///
    /// Meant for building trees from known-good names; a malformed list (none, or more than four parts)
    /// gives a reference to its last part alone (an empty delimited name when there are no parts). Use
    /// [`ColumnRef::from_parts`] to detect that case.
    pub fn column<I: Into<Ident>>(parts: impl IntoIterator<Item = I>) -> Expr {
        let parts: Vec<Ident> = parts.into_iter().map(Into::into).collect();
        let fallback = parts.last().cloned().unwrap_or_else(|| Ident::quoted(""));
        Expr::Column(ColumnRef::from_parts(parts).unwrap_or(ColumnRef {
            table: None,
            column: fallback,
            span: Span::EMPTY,
        }))
    }

    /// An integer literal.
    pub fn integer(value: u64) -> Expr {
        Expr::Literal(Literal::Number(NumberLit::integer(value)))
    }

    /// A signed integer: a literal, under a unary minus when negative (ADQL literals are unsigned).
    pub fn signed(value: i128) -> Expr {
        let literal = Expr::Literal(Literal::Number(NumberLit {
            text: value.unsigned_abs().to_string(),
            kind: super::NumberKind::Integer,
            span: Span::EMPTY,
        }));
        if value < 0 {
            Expr::unary(UnaryOp::Minus, literal)
        } else {
            literal
        }
    }

    /// A double as the shortest literal that reads back as the same value (`0.5`, `1e-7`, `3.0`), under a
    /// unary minus when negative; `None` for NaN and infinities, which ADQL cannot write.
    pub fn double(value: f64) -> Option<Expr> {
        if !value.is_finite() {
            return None;
        }
        // `{:?}` prints the shortest round-tripping form, with an exponent where that is shorter.
        let literal = Expr::number(&format!("{:?}", value.abs()))?;
        Some(if value.is_sign_negative() && value != 0.0 {
            Expr::unary(UnaryOp::Minus, literal)
        } else {
            literal
        })
    }

    /// The conjunction (`AND`) of `conditions`, left to right; `None` when there are none.
    pub fn conjunction(conditions: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        conditions.into_iter().reduce(Expr::and)
    }

    /// A numeric literal from its text, or `None` if `text` is not an unsigned ADQL number.
    pub fn number(text: &str) -> Option<Expr> {
        NumberLit::parse(text).map(|n| Expr::Literal(Literal::Number(n)))
    }

    /// A string literal.
    pub fn string(value: impl Into<String>) -> Expr {
        Expr::Literal(Literal::String(StringLit::new(value)))
    }

    /// `NULL`.
    pub fn null() -> Expr {
        Expr::Literal(Literal::Null(Span::EMPTY))
    }

    /// `self op right`.
    pub fn binary(self, op: BinaryOp, right: Expr) -> Expr {
        Expr::Binary {
            left: Box::new(self),
            op,
            right: Box::new(right),
            span: Span::EMPTY,
        }
    }

    /// `op self`.
    pub fn unary(op: UnaryOp, expr: Expr) -> Expr {
        Expr::Unary {
            op,
            expr: Box::new(expr),
            span: Span::EMPTY,
        }
    }

    /// `self AND right`.
    pub fn and(self, right: Expr) -> Expr {
        self.binary(BinaryOp::And, right)
    }

    /// `self OR right`.
    pub fn or(self, right: Expr) -> Expr {
        self.binary(BinaryOp::Or, right)
    }

    /// `self = right`.
    pub fn eq(self, right: Expr) -> Expr {
        self.binary(BinaryOp::Eq, right)
    }

    /// A call of a built-in function.
    pub fn call(name: BuiltinFunction, args: Vec<Expr>) -> Expr {
        Expr::Function(Function::builtin(name, args))
    }

    /// A call of the geometry constructor `f` (`POINT`, `CIRCLE`, `BOX`, `POLYGON`) with the coordinate
    /// system written: `POINT('ICRS', ra, dec)`.
    pub fn geometry(f: BuiltinFunction, coord_sys: &str, args: Vec<Expr>) -> Expr {
        Expr::Function(Function::builtin(f, args).with_coord_sys(Expr::string(coord_sys)))
    }

    /// Whether this expression is a search condition (a predicate, `AND`, `OR`, `NOT`) rather than a value.
    pub fn is_condition(&self) -> bool {
        match self {
            Expr::Unary { op, .. } => *op == UnaryOp::Not,
            Expr::Binary { op, .. } => {
                op.is_comparison() || matches!(op, BinaryOp::And | BinaryOp::Or)
            }
            Expr::Between { .. }
            | Expr::InList { .. }
            | Expr::InSubquery { .. }
            | Expr::Like { .. }
            | Expr::IsNull { .. }
            | Expr::Exists { .. } => true,
            Expr::Literal(_)
            | Expr::Column(_)
            | Expr::Function(_)
            | Expr::CountStar(_)
            | Expr::Cast { .. } => false,
        }
    }
}

impl Spanned for Expr {
    fn span(&self) -> Span {
        match self {
            Expr::Literal(l) => l.span(),
            Expr::Column(c) => c.span,
            Expr::Function(f) => f.span,
            Expr::CountStar(span) => *span,
            Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::Between { span, .. }
            | Expr::InList { span, .. }
            | Expr::InSubquery { span, .. }
            | Expr::Like { span, .. }
            | Expr::IsNull { span, .. }
            | Expr::Exists { span, .. }
            | Expr::Cast { span, .. } => *span,
        }
    }
}

impl Spanned for Function {
    fn span(&self) -> Span {
        self.span
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_round_trip() {
        for f in BuiltinFunction::ALL {
            assert_eq!(BuiltinFunction::from_name(f.name()), Some(*f));
            assert_eq!(
                BuiltinFunction::from_name(&f.name().to_ascii_lowercase()),
                Some(*f)
            );
        }
        assert_eq!(BuiltinFunction::from_name("ivo_foo"), None);
    }

    #[test]
    fn builders_make_the_expected_nodes() {
        let e = Expr::column(["g", "ra"]).binary(BinaryOp::Plus, Expr::integer(1));
        assert!(!e.is_condition());
        assert!(e.clone().eq(Expr::integer(2)).is_condition());
        assert!(Expr::number("1.5e3").is_some());
        assert!(Expr::number("-1").is_none());
    }

    #[test]
    fn numbers_and_conjunctions_print_as_adql() {
        assert_eq!(Expr::signed(-3).to_string(), "-3");
        assert_eq!(
            Expr::signed(i128::from(i64::MIN)).to_string(),
            "-9223372036854775808"
        );
        assert_eq!(Expr::double(1e-7).unwrap().to_string(), "1e-7");
        assert_eq!(Expr::double(-2.5).unwrap().to_string(), "-2.5");
        assert_eq!(Expr::double(-0.0).unwrap().to_string(), "0.0");
        assert_eq!(Expr::double(3.0).unwrap().to_string(), "3.0");
        assert!(Expr::double(f64::NAN).is_none());
        let c = Expr::conjunction([
            Expr::column(["a"]).eq(Expr::integer(1)),
            Expr::column(["b"])
                .eq(Expr::integer(2))
                .or(Expr::column(["c"]).eq(Expr::integer(3))),
        ])
        .unwrap();
        assert_eq!(c.to_string(), "a = 1 AND (b = 2 OR c = 3)");
        assert!(Expr::conjunction([]).is_none());
    }
}
