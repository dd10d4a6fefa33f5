//! Lowering of value expressions, predicates and function calls, with the unit inference `IN_UNIT` needs.

use adql_syntax::ast::{self, BuiltinFunction as B, Spanned};
use datafusion::sql::sqlparser::ast as sq;

use super::{Lowerer, NameMode};
use crate::error::EngineError;
use crate::functions::cast as cast_fn;
use crate::functions::geometry::types::GeomKind;
use crate::units;

/// The longest `CHAR(n)`/`VARCHAR(n)` a CAST accepts, PostgreSQL's (so DaCHS's) limit: `CHAR(n)` pads every
/// value to `n` characters, and a larger `n` would only exhaust memory.
const MAX_CHAR_LENGTH: u64 = 10_485_760;

/// A lowered expression with what the select list and `IN_UNIT` need to know about it.
pub(super) struct LoweredExpr {
    pub(super) expr: sq::Expr,
    /// The VOUnit of its values, when known.
    pub(super) unit: Option<String>,
    /// The output name it gets without an alias (a column's name, a function's name).
    pub(super) name: Option<String>,
}

impl LoweredExpr {
    fn plain(expr: sq::Expr) -> Self {
        Self {
            expr,
            unit: None,
            name: None,
        }
    }
}

/// Wraps operands that are themselves operations in parentheses, so that the printed SQL keeps the tree's
/// grouping (and `-(-x)` never prints as the comment `--x`). Planning ignores the parentheses.
fn nested(expr: sq::Expr) -> Box<sq::Expr> {
    match expr {
        sq::Expr::BinaryOp { .. }
        | sq::Expr::UnaryOp { .. }
        | sq::Expr::Between { .. }
        | sq::Expr::Like { .. }
        | sq::Expr::ILike { .. }
        | sq::Expr::InList { .. }
        | sq::Expr::InSubquery { .. }
        | sq::Expr::IsNull(_)
        | sq::Expr::IsNotNull(_) => Box::new(sq::Expr::Nested(Box::new(expr))),
        other => Box::new(other),
    }
}

/// The unit of a product or quotient of two values.
fn combine_units(left: Option<&str>, right: Option<&str>, divide: bool) -> Option<String> {
    match (left, right, divide) {
        (None, None, _) => None,
        (Some(l), None, _) => Some(l.to_owned()),
        (None, Some(r), false) => Some(r.to_owned()),
        (None, Some(r), true) => Some(format!("({r})**-1")),
        (Some(l), Some(r), false) => Some(format!("({l}).({r})")),
        (Some(l), Some(r), true) => Some(format!("({l})/({r})")),
    }
}

impl Lowerer<'_> {
    /// Lowers one expression. Left-deep chains (`a OR b OR ...` of a thousand terms) recurse once per
    /// term: `recursive` grows the stack instead of overflowing it.
    #[recursive::recursive]
    pub(super) fn expr(
        &mut self,
        expr: &ast::Expr,
        mode: NameMode,
    ) -> Result<LoweredExpr, EngineError> {
        match expr {
            ast::Expr::Literal(literal) => self.literal(literal),
            ast::Expr::Column(column) => {
                let (expr, unit, name) = self.column(column, mode)?;
                Ok(LoweredExpr {
                    expr,
                    unit,
                    name: Some(name),
                })
            }
            ast::Expr::Unary {
                op,
                expr: operand,
                span,
            } => {
                let inner = self.expr(operand, mode)?;
                let unit = inner.unit.clone();
                let expr = match op {
                    ast::UnaryOp::Plus => sq::Expr::UnaryOp {
                        op: sq::UnaryOperator::Plus,
                        expr: nested(inner.expr),
                    },
                    ast::UnaryOp::Minus => sq::Expr::UnaryOp {
                        op: sq::UnaryOperator::Minus,
                        expr: nested(inner.expr),
                    },
                    ast::UnaryOp::Not => sq::Expr::UnaryOp {
                        op: sq::UnaryOperator::Not,
                        expr: nested(inner.expr),
                    },
                    // DataFusion has no bitwise NOT; x XOR -1 flips every bit of a two's-complement integer.
                    ast::UnaryOp::BitNot => {
                        self.hint("~", *span);
                        sq::Expr::BinaryOp {
                            left: nested(inner.expr),
                            op: sq::BinaryOperator::BitwiseXor,
                            right: Box::new(self.number_value("-1", *span)),
                        }
                    }
                };
                let unit = if matches!(op, ast::UnaryOp::Plus | ast::UnaryOp::Minus) {
                    unit
                } else {
                    None
                };
                Ok(LoweredExpr {
                    expr,
                    unit,
                    name: None,
                })
            }
            ast::Expr::Binary {
                left,
                op,
                right,
                span,
            } => self.binary(left, *op, right, *span, mode),
            ast::Expr::Between {
                expr,
                negated,
                low,
                high,
                ..
            } => {
                let expr = self.expr(expr, mode)?.expr;
                let low = self.expr(low, mode)?.expr;
                let high = self.expr(high, mode)?.expr;
                Ok(LoweredExpr::plain(sq::Expr::Between {
                    expr: nested(expr),
                    negated: *negated,
                    low: nested(low),
                    high: nested(high),
                }))
            }
            ast::Expr::InList {
                expr,
                negated,
                list,
                ..
            } => {
                let expr = self.expr(expr, mode)?.expr;
                let list = list
                    .iter()
                    .map(|e| self.expr(e, mode).map(|e| e.expr))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(LoweredExpr::plain(sq::Expr::InList {
                    expr: nested(expr),
                    list,
                    negated: *negated,
                }))
            }
            ast::Expr::InSubquery {
                expr,
                negated,
                subquery,
                span,
            } => {
                let expr = self.expr(expr, mode)?.expr;
                let (subquery, columns) = self.query(subquery)?;
                if columns.len() != 1 {
                    return Err(EngineError::plan(
                        format!(
                            "the subquery of IN must select one column, not {}",
                            columns.len()
                        ),
                        Some(span.range()),
                    ));
                }
                Ok(LoweredExpr::plain(sq::Expr::InSubquery {
                    expr: nested(expr),
                    subquery: Box::new(subquery),
                    negated: *negated,
                }))
            }
            ast::Expr::Like {
                expr,
                negated,
                case_insensitive,
                pattern,
                ..
            } => {
                let expr = nested(self.expr(expr, mode)?.expr);
                let pattern = nested(self.expr(pattern, mode)?.expr);
                let negated = *negated;
                Ok(LoweredExpr::plain(if *case_insensitive {
                    sq::Expr::ILike {
                        negated,
                        any: false,
                        expr,
                        pattern,
                        escape_char: None,
                    }
                } else {
                    sq::Expr::Like {
                        negated,
                        any: false,
                        expr,
                        pattern,
                        escape_char: None,
                    }
                }))
            }
            ast::Expr::IsNull { expr, negated, .. } => {
                let expr = nested(self.expr(expr, mode)?.expr);
                Ok(LoweredExpr::plain(if *negated {
                    sq::Expr::IsNotNull(expr)
                } else {
                    sq::Expr::IsNull(expr)
                }))
            }
            ast::Expr::Exists { subquery, .. } => {
                let (subquery, _) = self.query(subquery)?;
                Ok(LoweredExpr::plain(sq::Expr::Exists {
                    subquery: Box::new(subquery),
                    negated: false,
                }))
            }
            ast::Expr::Function(function) => self.function(function, mode),
            ast::Expr::CountStar(span) => {
                self.hint("count", *span);
                let name = self.function_name("count", *span)?;
                Ok(LoweredExpr {
                    expr: self.call(
                        name,
                        vec![sq::FunctionArg::Unnamed(sq::FunctionArgExpr::Wildcard)],
                        None,
                        *span,
                    ),
                    unit: None,
                    name: Some("count".to_owned()),
                })
            }
            ast::Expr::Cast { expr, target, span } => self.cast(expr, *target, *span, mode),
        }
    }

    fn number_value(&self, text: &str, span: ast::Span) -> sq::Expr {
        sq::Expr::Value(sq::ValueWithSpan {
            value: sq::Value::Number(text.to_owned(), false),
            span: self.sql_span(span),
        })
    }

    fn string_value(&self, text: &str, span: ast::Span) -> sq::Expr {
        sq::Expr::Value(sq::ValueWithSpan {
            value: sq::Value::SingleQuotedString(text.to_owned()),
            span: self.sql_span(span),
        })
    }

    fn literal(&self, literal: &ast::Literal) -> Result<LoweredExpr, EngineError> {
        let expr = match literal {
            ast::Literal::Number(n) => self.number_value(&n.text, n.span),
            ast::Literal::String(s) => self.string_value(&s.value, s.span),
            ast::Literal::Null(span) => sq::Expr::Value(sq::ValueWithSpan {
                value: sq::Value::Null,
                span: self.sql_span(*span),
            }),
            ast::Literal::Hex(h) => {
                // ADQL hexadecimal literals are integers (sqlparser would read them as binary strings).
                let value = u64::from_str_radix(&h.digits, 16).map_err(|_| {
                    EngineError::plan(
                        format!("hexadecimal literal 0x{} does not fit in 64 bits", h.digits),
                        Some(h.span.range()),
                    )
                })?;
                let text = i64::try_from(value)
                    .map_or_else(|_| value.cast_signed().to_string(), |v| v.to_string());
                self.number_value(&text, h.span)
            }
        };
        Ok(LoweredExpr::plain(expr))
    }

    fn binary(
        &mut self,
        left: &ast::Expr,
        op: ast::BinaryOp,
        right: &ast::Expr,
        span: ast::Span,
        mode: NameMode,
    ) -> Result<LoweredExpr, EngineError> {
        let l = self.expr(left, mode)?;
        let r = self.expr(right, mode)?;
        self.hint(op.as_str(), span);
        use ast::BinaryOp as O;
        let sql_op = match op {
            O::Plus => sq::BinaryOperator::Plus,
            O::Minus => sq::BinaryOperator::Minus,
            O::Multiply => sq::BinaryOperator::Multiply,
            O::Divide => sq::BinaryOperator::Divide,
            O::Concat => sq::BinaryOperator::StringConcat,
            O::BitAnd => sq::BinaryOperator::BitwiseAnd,
            O::BitOr => sq::BinaryOperator::BitwiseOr,
            O::BitXor => sq::BinaryOperator::BitwiseXor,
            O::Eq => sq::BinaryOperator::Eq,
            O::NotEq => sq::BinaryOperator::NotEq,
            O::Lt => sq::BinaryOperator::Lt,
            O::LtEq => sq::BinaryOperator::LtEq,
            O::Gt => sq::BinaryOperator::Gt,
            O::GtEq => sq::BinaryOperator::GtEq,
            O::And => sq::BinaryOperator::And,
            O::Or => sq::BinaryOperator::Or,
        };
        let unit = match op {
            O::Multiply => combine_units(l.unit.as_deref(), r.unit.as_deref(), false),
            O::Divide => combine_units(l.unit.as_deref(), r.unit.as_deref(), true),
            O::Plus | O::Minus => l.unit.clone().or_else(|| r.unit.clone()),
            _ => None,
        };
        Ok(LoweredExpr {
            expr: sq::Expr::BinaryOp {
                left: nested(l.expr),
                op: sql_op,
                right: nested(r.expr),
            },
            unit,
            name: None,
        })
    }

    /// The exact registered name of a function the emitted SQL calls, or an error at `span`.
    fn function_name(&self, name: &str, span: ast::Span) -> Result<String, EngineError> {
        self.catalog
            .function(name)
            .map(str::to_owned)
            .ok_or_else(|| {
                EngineError::plan(
                    format!(
                        "function {} is not available in this session",
                        name.to_uppercase()
                    ),
                    Some(span.range()),
                )
            })
    }

    fn call(
        &self,
        name: String,
        args: Vec<sq::FunctionArg>,
        quantifier: Option<ast::SetQuantifier>,
        span: ast::Span,
    ) -> sq::Expr {
        let duplicate_treatment = match quantifier {
            Some(ast::SetQuantifier::Distinct) => Some(sq::DuplicateTreatment::Distinct),
            Some(ast::SetQuantifier::All) => Some(sq::DuplicateTreatment::All),
            None => None,
        };
        sq::Expr::Function(sq::Function {
            name: sq::ObjectName(vec![sq::ObjectNamePart::Identifier(sq::Ident {
                value: name,
                quote_style: None,
                span: self.sql_span(span),
            })]),
            uses_odbc_syntax: false,
            parameters: sq::FunctionArguments::None,
            args: sq::FunctionArguments::List(sq::FunctionArgumentList {
                duplicate_treatment,
                args,
                clauses: Vec::new(),
            }),
            filter: None,
            null_treatment: None,
            over: None,
            within_group: Vec::new(),
        })
    }

    fn function(
        &mut self,
        function: &ast::Function,
        mode: NameMode,
    ) -> Result<LoweredExpr, EngineError> {
        let span = function.span;
        match &function.name {
            ast::FunctionName::Builtin(B::InUnit) => self.in_unit(function, mode),
            ast::FunctionName::Builtin(B::Mod) => self.modulo(function, mode),
            ast::FunctionName::Builtin(b) => self.builtin(function, *b, mode),
            ast::FunctionName::Udf(name) => {
                let registered = self.function_name(&name.value, span)?;
                self.hint(&registered, span);
                let args = self.args(&function.args, mode)?;
                let expr = self.call(
                    registered,
                    args.into_iter().map(|a| arg(a.expr)).collect(),
                    function.quantifier,
                    span,
                );
                Ok(LoweredExpr {
                    expr,
                    unit: None,
                    name: Some(name.value.to_lowercase()),
                })
            }
        }
    }

    fn args(
        &mut self,
        args: &[ast::Expr],
        mode: NameMode,
    ) -> Result<Vec<LoweredExpr>, EngineError> {
        args.iter().map(|a| self.expr(a, mode)).collect()
    }

    fn builtin(
        &mut self,
        function: &ast::Function,
        b: B,
        mode: NameMode,
    ) -> Result<LoweredExpr, EngineError> {
        let span = function.span;
        let target = match b {
            B::Log => "ln".to_owned(),
            B::Ceiling => "ceil".to_owned(),
            other => other.name().to_lowercase(),
        };
        let registered = self.function_name(&target, span)?;
        self.hint(&registered, span);
        let mut args = Vec::with_capacity(function.args.len() + 1);
        if let Some(coord_sys) = &function.coord_sys {
            args.push(arg(self.expr(coord_sys, mode)?.expr));
        }
        let lowered = self.args(&function.args, mode)?;
        let first_unit = lowered.first().and_then(|a| a.unit.clone());
        args.extend(lowered.into_iter().map(|a| arg(a.expr)));
        let unit = match b {
            B::Abs
            | B::Ceiling
            | B::Floor
            | B::Round
            | B::Truncate
            | B::Min
            | B::Max
            | B::Avg
            | B::Sum
            | B::Coalesce => first_unit,
            B::Degrees | B::Distance | B::Coord1 | B::Coord2 => Some("deg".to_owned()),
            B::Radians | B::Asin | B::Acos | B::Atan | B::Atan2 => Some("rad".to_owned()),
            B::Area => Some("deg**2".to_owned()),
            _ => None,
        };
        Ok(LoweredExpr {
            expr: self.call(registered, args, function.quantifier, span),
            unit,
            name: Some(b.name().to_lowercase()),
        })
    }

    /// `MOD(x, y)`: DataFusion's `%` keeps the sign of the dividend, as ADQL requires.
    fn modulo(
        &mut self,
        function: &ast::Function,
        mode: NameMode,
    ) -> Result<LoweredExpr, EngineError> {
        let mut args = self.args(&function.args, mode)?.into_iter();
        let (Some(x), Some(y), None) = (args.next(), args.next(), args.next()) else {
            return Err(EngineError::plan(
                "MOD takes two arguments",
                Some(function.span.range()),
            ));
        };
        self.hint("%", function.span);
        let unit = x.unit.clone();
        let expr = sq::Expr::Nested(Box::new(sq::Expr::BinaryOp {
            left: nested(x.expr),
            op: sq::BinaryOperator::Modulo,
            right: nested(y.expr),
        }));
        Ok(LoweredExpr {
            expr,
            unit,
            name: Some("mod".to_owned()),
        })
    }

    /// `IN_UNIT(x, 'unit')` → `in_unit(x, 'unit', 'unit of x')`, checked here so errors point at the query.
    fn in_unit(
        &mut self,
        function: &ast::Function,
        mode: NameMode,
    ) -> Result<LoweredExpr, EngineError> {
        let span = function.span;
        let [value, unit] = function.args.as_slice() else {
            return Err(EngineError::plan(
                "IN_UNIT takes a value and a unit string",
                Some(span.range()),
            ));
        };
        let ast::Expr::Literal(ast::Literal::String(target)) = unit else {
            return Err(EngineError::plan(
                "the unit of IN_UNIT must be a string literal",
                Some(unit.span().range()),
            ));
        };
        let lowered = self.expr(value, mode)?;
        let Some(source) = lowered.unit.clone() else {
            return Err(EngineError::plan(
                "IN_UNIT: the value has no unit (only columns with unit metadata, and expressions of them, do)",
                Some(value.span().range()),
            ));
        };
        if let Err(err) = units::Unit::parse(&target.value) {
            return Err(EngineError::plan(
                format!("IN_UNIT: {err}"),
                Some(target.span.range()),
            ));
        }
        if let Err(err) = units::conversion_factor(&source, &target.value) {
            return Err(EngineError::plan(
                format!("IN_UNIT: {err}"),
                Some(span.range()),
            ));
        }
        let registered = self.function_name("in_unit", span)?;
        self.hint(&registered, span);
        let args = vec![
            arg(lowered.expr),
            arg(self.string_value(&target.value, target.span)),
            arg(self.string_value(&source, span)),
        ];
        let name = lowered.name.unwrap_or_else(|| "in_unit".to_owned());
        Ok(LoweredExpr {
            expr: self.call(registered, args, None, span),
            unit: Some(target.value.clone()),
            name: Some(name),
        })
    }

    /// `CAST(x AS type)`. Beyond DataFusion's cast (see [`crate::functions::cast`] for why):
    /// approximate numbers cast to an integer type are rounded to nearest (ties to even) first, not truncated;
    /// `CHAR(n)` blank-pads or truncates to `n` characters and `VARCHAR(n)` truncates to `n` (SQL semantics;
    /// ADQL lets an implementation truncate a too-long string); POINT, CIRCLE and POLYGON are read from DALI
    /// text.
    fn cast(
        &mut self,
        expr: &ast::Expr,
        target: ast::AdqlType,
        span: ast::Span,
        mode: NameMode,
    ) -> Result<LoweredExpr, EngineError> {
        use ast::AdqlType as T;
        let inner = self.expr(expr, mode)?;
        self.hint("cast", span);
        let geometry = match target {
            T::Point => Some(GeomKind::Point),
            T::Circle => Some(GeomKind::Circle),
            T::Polygon => Some(GeomKind::Polygon),
            _ => None,
        };
        if let Some(kind) = geometry {
            let name = self.function_name(cast_fn::geometry_cast_name(kind), span)?;
            self.hint(&name, span);
            return Ok(LoweredExpr {
                expr: self.call(name, vec![arg(inner.expr)], None, span),
                unit: None,
                name: inner.name,
            });
        }
        let data_type = match target {
            T::Smallint => sq::DataType::SmallInt(None),
            T::Integer => sq::DataType::Integer(None),
            T::Bigint => sq::DataType::BigInt(None),
            T::Real => sq::DataType::Real,
            T::DoublePrecision => sq::DataType::DoublePrecision,
            // Strings are Utf8 whatever their declared length; the length is applied below.
            T::Char(_) | T::Varchar(_) | T::Clob => sq::DataType::Varchar(None),
            T::Timestamp => sq::DataType::Timestamp(None, sq::TimezoneInfo::None),
            other => {
                return Err(EngineError::plan(
                    format!("CAST to {other} is not supported by this engine"),
                    Some(span.range()),
                ));
            }
        };
        let unit = if matches!(
            target,
            T::Smallint | T::Integer | T::Bigint | T::Real | T::DoublePrecision
        ) {
            inner.unit
        } else {
            None
        };
        let value = if matches!(target, T::Smallint | T::Integer | T::Bigint) {
            let rint = self.function_name(cast_fn::RINT, span)?;
            self.call(rint, vec![arg(inner.expr)], None, span)
        } else {
            *nested(inner.expr)
        };
        let mut expr = sq::Expr::Cast {
            kind: sq::CastKind::Cast,
            expr: Box::new(value),
            data_type,
            array: false,
            format: None,
        };
        let length = |n: Option<ast::TypeLength>| match n {
            Some(ast::TypeLength::Fixed(n)) if n > MAX_CHAR_LENGTH => Err(EngineError::plan(
                format!(
                    "a character length of {n} is too large (at most {MAX_CHAR_LENGTH}, as in PostgreSQL)"
                ),
                Some(span.range()),
            )),
            Some(ast::TypeLength::Fixed(n)) => Ok(Some(n)),
            _ => Ok(None),
        };
        match target {
            // CHAR without a length is as long as its value (ADQL leaves it implementation-dependent).
            T::Char(n) => {
                if let Some(n) = length(n)? {
                    let rpad = self.function_name("rpad", span)?;
                    let n = self.number_value(&n.to_string(), span);
                    expr = self.call(rpad, vec![arg(expr), arg(n)], None, span);
                }
            }
            T::Varchar(n) => {
                if let Some(n) = length(n)? {
                    let left = self.function_name("left", span)?;
                    let n = self.number_value(&n.to_string(), span);
                    expr = self.call(left, vec![arg(expr), arg(n)], None, span);
                }
            }
            _ => {}
        }
        Ok(LoweredExpr {
            expr,
            unit,
            name: inner.name,
        })
    }
}

fn arg(expr: sq::Expr) -> sq::FunctionArg {
    sq::FunctionArg::Unnamed(sq::FunctionArgExpr::Expr(expr))
}
