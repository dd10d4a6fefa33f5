//! DataFusion [`Expr`](DfExpr) → ADQL [`Expr`] under a service's capabilities.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::logical_expr::expr::{
    AggregateFunction, Alias, Case, Cast, InList, Like, ScalarFunction,
};
use datafusion::logical_expr::{Between, BinaryExpr, Expr as DfExpr, ExprSchemable, Operator};

use super::NotPushable;
use super::ast::{BinaryOp, Expr};
use crate::capabilities::{FEATURE_CONDITIONAL, FEATURE_STRING, FEATURE_UNIT, ServiceCapabilities};

/// Translates expressions evaluated over one input: `schema` describes the input's fields, and
/// `cols[i]` is the ADQL expression that computes field `i` in the scope of the generated query.
pub(crate) struct ExprTranslator<'a> {
    pub(crate) caps: &'a ServiceCapabilities,
    pub(crate) schema: &'a DFSchema,
    pub(crate) cols: &'a [Expr],
}

fn np<T>(reason: impl Into<String>) -> Result<T, NotPushable> {
    Err(NotPushable::new(reason))
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// ADQL name of a DataFusion built-in or ADQL engine function that every ADQL service evaluates.
fn core_function(name: &str, arity: usize) -> Option<&'static str> {
    Some(match (name, arity) {
        ("abs", 1) => "ABS",
        ("acos", 1) => "ACOS",
        ("asin", 1) => "ASIN",
        ("atan", 1) => "ATAN",
        ("atan2", 2) => "ATAN2",
        ("cos", 1) => "COS",
        ("cot", 1) => "COT",
        ("sin", 1) => "SIN",
        ("tan", 1) => "TAN",
        ("degrees", 1) => "DEGREES",
        ("radians", 1) => "RADIANS",
        ("exp", 1) => "EXP",
        ("floor", 1) => "FLOOR",
        ("ceil" | "ceiling", 1) => "CEILING",
        // ADQL LOG is the natural logarithm; DataFusion's one-argument `log` is log10.
        ("ln", 1) => "LOG",
        ("log10", 1) | ("log", 1) => "LOG10",
        ("power" | "pow", 2) => "POWER",
        ("pi", 0) => "PI",
        ("sqrt", 1) => "SQRT",
        ("round", 1 | 2) => "ROUND",
        ("trunc" | "truncate", 1 | 2) => "TRUNCATE",
        ("mod", 2) => "MOD",
        _ => return None,
    })
}

/// ADQL geometry functions and the number of leading coordinates that take an implicit `'ICRS'`
/// coordinate system when the engine's function omits it.
fn geometry_function(name: &str) -> Option<&'static str> {
    Some(match name {
        "point" => "POINT",
        "circle" => "CIRCLE",
        "box" => "BOX",
        "polygon" => "POLYGON",
        "region" => "REGION",
        "contains" => "CONTAINS",
        "intersects" => "INTERSECTS",
        "distance" => "DISTANCE",
        "area" => "AREA",
        "centroid" => "CENTROID",
        "coord1" => "COORD1",
        "coord2" => "COORD2",
        "coordsys" => "COORDSYS",
        _ => return None,
    })
}

/// ADQL type name for a CAST target.
fn cast_type(data_type: &DataType) -> Option<&'static str> {
    Some(match data_type {
        DataType::Int16 | DataType::Int8 | DataType::UInt8 => "SMALLINT",
        DataType::Int32 | DataType::UInt16 => "INTEGER",
        DataType::Int64 | DataType::UInt32 => "BIGINT",
        DataType::Float32 => "REAL",
        DataType::Float64 => "DOUBLE PRECISION",
        _ => return None,
    })
}

fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_numeric()
}

fn is_comparison(op: Operator) -> bool {
    matches!(
        op,
        Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
    )
}

/// The value of an integer literal.
fn integer_value(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::Int8(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int16(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int32(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int64(Some(n)) => Some(*n),
        _ => None,
    }
}

/// Formats a finite float in ADQL syntax (`1.5`, `1e-7`, `1.0`).
fn float_literal(v: f64) -> Result<Expr, NotPushable> {
    if !v.is_finite() {
        return np(format!("ADQL has no literal for {v}"));
    }
    let text = format!("{:?}", v.abs());
    let number = Expr::Number(text);
    Ok(if v.is_sign_negative() && v != 0.0 {
        Expr::Negative(boxed(number))
    } else {
        number
    })
}

fn integer_literal(v: i128) -> Expr {
    let number = Expr::Number(v.unsigned_abs().to_string());
    if v < 0 {
        Expr::Negative(boxed(number))
    } else {
        number
    }
}

/// Translates a literal used as a value.
pub(crate) fn literal(value: &ScalarValue) -> Result<Expr, NotPushable> {
    if value.is_null() {
        return Ok(Expr::Null);
    }
    Ok(match value {
        ScalarValue::Int8(Some(v)) => integer_literal(i128::from(*v)),
        ScalarValue::Int16(Some(v)) => integer_literal(i128::from(*v)),
        ScalarValue::Int32(Some(v)) => integer_literal(i128::from(*v)),
        ScalarValue::Int64(Some(v)) => integer_literal(i128::from(*v)),
        ScalarValue::UInt8(Some(v)) => integer_literal(i128::from(*v)),
        ScalarValue::UInt16(Some(v)) => integer_literal(i128::from(*v)),
        ScalarValue::UInt32(Some(v)) => integer_literal(i128::from(*v)),
        ScalarValue::UInt64(Some(v)) => integer_literal(i128::from(*v)),
        ScalarValue::Float32(Some(v)) => float_literal(f64::from(*v))?,
        ScalarValue::Float64(Some(v)) => float_literal(*v)?,
        ScalarValue::Decimal128(Some(v), _, scale) => {
            let text = ScalarValue::Decimal128(Some(v.abs()), 38, *scale).to_string();
            let number = Expr::Number(text);
            if *v < 0 {
                Expr::Negative(boxed(number))
            } else {
                number
            }
        }
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Expr::String(s.clone()),
        other => return np(format!("ADQL has no literal of type {}", other.data_type())),
    })
}

impl ExprTranslator<'_> {
    fn column(&self, column: &Column) -> Result<Expr, NotPushable> {
        match self
            .schema
            .maybe_index_of_column(column)
            .and_then(|i| self.cols.get(i))
        {
            Some(e) => Ok(e.clone()),
            None => np(format!(
                "column {column} is not an input of the pushed part"
            )),
        }
    }

    fn data_type(&self, expr: &DfExpr) -> Option<DataType> {
        expr.get_type(self.schema).ok()
    }

    /// Translates a search condition (a boolean expression in WHERE, ON or HAVING).
    pub(crate) fn predicate(&self, expr: &DfExpr) -> Result<Expr, NotPushable> {
        match expr {
            DfExpr::Alias(Alias { expr, .. }) => self.predicate(expr),
            DfExpr::BinaryExpr(BinaryExpr {
                left,
                op: op @ (Operator::And | Operator::Or),
                right,
            }) => {
                let op = if *op == Operator::And {
                    BinaryOp::And
                } else {
                    BinaryOp::Or
                };
                Ok(Expr::binary(
                    self.predicate(left)?,
                    op,
                    self.predicate(right)?,
                ))
            }
            DfExpr::BinaryExpr(BinaryExpr { left, op, right }) if is_comparison(*op) => {
                self.comparison(left, *op, right)
            }
            DfExpr::BinaryExpr(BinaryExpr { op, .. }) => match op {
                Operator::LikeMatch
                | Operator::NotLikeMatch
                | Operator::ILikeMatch
                | Operator::NotILikeMatch => {
                    np(format!("operator {op} is planned as LIKE by the engine"))
                }
                _ => np(format!("operator {op} is not a condition in ADQL")),
            },
            DfExpr::Not(inner) => Ok(Expr::Not(boxed(self.predicate(inner)?))),
            DfExpr::IsNull(inner) | DfExpr::IsNotNull(inner) => {
                let value = self.value(inner)?;
                if !matches!(value, Expr::Column { .. }) {
                    return np("ADQL allows IS NULL on column references only");
                }
                Ok(Expr::IsNull {
                    expr: boxed(value),
                    negated: matches!(expr, DfExpr::IsNotNull(_)),
                })
            }
            DfExpr::Between(Between {
                expr,
                negated,
                low,
                high,
            }) => Ok(Expr::Between {
                expr: boxed(self.value(expr)?),
                low: boxed(self.value(low)?),
                high: boxed(self.value(high)?),
                negated: *negated,
            }),
            DfExpr::Like(Like {
                negated,
                expr,
                pattern,
                escape_char,
                case_insensitive,
            }) => {
                if escape_char.is_some() {
                    return np("ADQL LIKE has no ESCAPE clause");
                }
                if *case_insensitive && !self.caps.supports(FEATURE_STRING, "ILIKE") {
                    return np("the service does not declare ILIKE");
                }
                Ok(Expr::Like {
                    expr: boxed(self.value(expr)?),
                    pattern: boxed(self.value(pattern)?),
                    negated: *negated,
                    case_insensitive: *case_insensitive,
                })
            }
            DfExpr::InList(InList {
                expr,
                list,
                negated,
            }) => {
                if list.is_empty() {
                    return np("ADQL has no empty IN list");
                }
                Ok(Expr::InList {
                    expr: boxed(self.value(expr)?),
                    list: list
                        .iter()
                        .map(|e| self.value(e))
                        .collect::<Result<_, _>>()?,
                    negated: *negated,
                })
            }
            DfExpr::ScalarFunction(ScalarFunction { func, args })
                if matches!(func.name(), "contains" | "intersects") =>
            {
                // ADQL predicates are integer functions compared with 1.
                let call = self.scalar_function(func.name(), args)?;
                Ok(Expr::binary(Expr::Number("1".into()), BinaryOp::Eq, call))
            }
            DfExpr::Literal(ScalarValue::Boolean(Some(b)), _) => Ok(Expr::binary(
                Expr::Number("1".into()),
                BinaryOp::Eq,
                Expr::Number(if *b { "1" } else { "0" }.into()),
            )),
            other => np(format!("condition {other} has no ADQL form")),
        }
    }

    fn comparison(&self, left: &DfExpr, op: Operator, right: &DfExpr) -> Result<Expr, NotPushable> {
        // The engine simplifies `1 = CONTAINS(POINT, CIRCLE)` into the integer form of a boolean,
        // `CAST(distance(...) <= r AS INT) = 1`: that is the condition itself.
        if op == Operator::Eq {
            for (a, b) in [(left, right), (right, left)] {
                if let DfExpr::Cast(Cast { expr: inner, field }) = a
                    && field.data_type().is_integer()
                    && self.data_type(inner) == Some(DataType::Boolean)
                    && let DfExpr::Literal(v, _) = b
                    && let Some(n) = integer_value(v)
                {
                    return match n {
                        1 => self.predicate(inner),
                        0 => Ok(Expr::Not(boxed(self.predicate(inner)?))),
                        _ => np("an integer form of a condition compared with neither 0 nor 1"),
                    };
                }
            }
        }
        // `distance(lon1, lat1, lon2, lat2) <= r` is the engine's form of
        // `1 = CONTAINS(POINT(lon1, lat1), CIRCLE(lon2, lat2, r))`; services index CONTAINS (q3c,
        // pgsphere), not DISTANCE comparisons, so it goes out in its original form.
        if op == Operator::LtEq
            && let DfExpr::ScalarFunction(ScalarFunction { func, args }) = left
            && func.name() == "distance"
            && let [lon1, lat1, lon2, lat2] = args.as_slice()
            && self.caps.supports_geometry("CONTAINS")
            && self.caps.supports_geometry("POINT")
            && self.caps.supports_geometry("CIRCLE")
        {
            let icrs = || Expr::String("ICRS".into());
            let call = |name: &str, args: Vec<Expr>| Expr::Function {
                name: name.into(),
                args,
                distinct: false,
            };
            let point = call("POINT", vec![icrs(), self.value(lon1)?, self.value(lat1)?]);
            let circle = call(
                "CIRCLE",
                vec![
                    icrs(),
                    self.value(lon2)?,
                    self.value(lat2)?,
                    self.comparison_operand(right)?,
                ],
            );
            return Ok(Expr::binary(
                Expr::Number("1".into()),
                BinaryOp::Eq,
                call("CONTAINS", vec![point, circle]),
            ));
        }
        let op = match op {
            Operator::Eq => BinaryOp::Eq,
            Operator::NotEq => BinaryOp::NotEq,
            Operator::Lt => BinaryOp::Lt,
            Operator::LtEq => BinaryOp::LtEq,
            Operator::Gt => BinaryOp::Gt,
            _ => BinaryOp::GtEq,
        };
        Ok(Expr::binary(
            self.comparison_operand(left)?,
            op,
            self.comparison_operand(right)?,
        ))
    }

    /// A comparison operand: numeric widening casts inserted by type coercion are dropped, since
    /// ADQL compares numbers of any type by value.
    fn comparison_operand(&self, expr: &DfExpr) -> Result<Expr, NotPushable> {
        if let DfExpr::Cast(Cast { expr: inner, field }) = expr
            && is_numeric(field.data_type())
            && self.data_type(inner).is_some_and(|t| is_numeric(&t))
        {
            return self.value(inner);
        }
        self.value(expr)
    }

    /// Translates a value expression.
    pub(crate) fn value(&self, expr: &DfExpr) -> Result<Expr, NotPushable> {
        match expr {
            DfExpr::Alias(Alias { expr, .. }) => self.value(expr),
            DfExpr::Column(column) => self.column(column),
            DfExpr::Literal(value, _) => literal(value),
            DfExpr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let op = match op {
                    Operator::Plus => BinaryOp::Plus,
                    Operator::Minus => BinaryOp::Minus,
                    Operator::Multiply => BinaryOp::Multiply,
                    Operator::Divide => BinaryOp::Divide,
                    Operator::StringConcat => BinaryOp::Concat,
                    Operator::Modulo => {
                        return Ok(Expr::Function {
                            name: "MOD".into(),
                            args: vec![self.value(left)?, self.value(right)?],
                            distinct: false,
                        });
                    }
                    Operator::BitwiseAnd | Operator::BitwiseOr | Operator::BitwiseXor
                        if self.caps.supports_bitwise() =>
                    {
                        match op {
                            Operator::BitwiseAnd => BinaryOp::BitAnd,
                            Operator::BitwiseOr => BinaryOp::BitOr,
                            _ => BinaryOp::BitXor,
                        }
                    }
                    other => return np(format!("operator {other} has no ADQL value form")),
                };
                Ok(Expr::binary(self.value(left)?, op, self.value(right)?))
            }
            DfExpr::Negative(inner) => Ok(Expr::Negative(boxed(self.value(inner)?))),
            DfExpr::Cast(Cast { expr: inner, field }) => self.cast(inner, field.data_type()),
            DfExpr::ScalarFunction(ScalarFunction { func, args }) => {
                self.scalar_function(func.name(), args)
            }
            DfExpr::AggregateFunction(agg) => self.aggregate(agg),
            DfExpr::Case(case) => self.coalesce(case),
            other => np(format!("expression {other} has no ADQL form")),
        }
    }

    /// DataFusion simplifies `COALESCE(a, b, ...)` into `CASE WHEN a IS NOT NULL THEN a ELSE
    /// ... END`; that form (and only that one: ADQL has no CASE) maps back to COALESCE.
    fn coalesce(&self, case: &Case) -> Result<Expr, NotPushable> {
        let mut args = Vec::with_capacity(case.when_then_expr.len() + 1);
        for (when, then) in &case.when_then_expr {
            match when.as_ref() {
                DfExpr::IsNotNull(tested) if case.expr.is_none() && tested == then => {
                    args.push(self.value(then)?)
                }
                _ => return np("ADQL has no CASE"),
            }
        }
        match &case.else_expr {
            Some(e) => args.push(self.value(e)?),
            None => args.push(Expr::Null),
        }
        if args.len() < 2 {
            return np("ADQL has no CASE");
        }
        if !self.caps.supports(FEATURE_CONDITIONAL, "COALESCE") {
            return np("the service does not declare COALESCE");
        }
        Ok(Expr::Function {
            name: "COALESCE".into(),
            args,
            distinct: false,
        })
    }

    fn cast(&self, inner: &DfExpr, target: &DataType) -> Result<Expr, NotPushable> {
        let source = self.data_type(inner);
        if source.as_ref() == Some(target) {
            return self.value(inner);
        }
        // Integer widening keeps every value and every operation's meaning.
        if target.is_integer() && source.as_ref().is_some_and(|s| s.is_integer()) {
            return self.value(inner);
        }
        if !self.caps.supports_cast() {
            return np(format!(
                "the service does not declare CAST (needed for a cast to {target})"
            ));
        }
        match cast_type(target) {
            Some(name) => Ok(Expr::Cast {
                expr: boxed(self.value(inner)?),
                data_type: name.into(),
            }),
            None => np(format!("ADQL has no CAST to {target}")),
        }
    }

    fn args(&self, args: &[DfExpr]) -> Result<Vec<Expr>, NotPushable> {
        args.iter().map(|a| self.value(a)).collect()
    }

    fn scalar_function(&self, name: &str, args: &[DfExpr]) -> Result<Expr, NotPushable> {
        let call = |name: &str, args: Vec<Expr>| Expr::Function {
            name: name.into(),
            args,
            distinct: false,
        };
        if let Some(adql) = core_function(name, args.len()) {
            if matches!(adql, "ROUND" | "TRUNCATE") && args.len() == 2 {
                // The number of digits is a signed integer literal in ADQL.
                if !matches!(args.get(1), Some(DfExpr::Literal(v, _)) if v.data_type().is_integer())
                {
                    return np(format!(
                        "{adql} takes an integer literal as its second argument"
                    ));
                }
            }
            return Ok(call(adql, self.args(args)?));
        }
        match name {
            "lower" | "upper" => {
                let adql = if name == "lower" { "LOWER" } else { "UPPER" };
                if !self.caps.supports(FEATURE_STRING, adql) {
                    return np(format!("the service does not declare {adql}"));
                }
                return Ok(call(adql, self.args(args)?));
            }
            "coalesce" => {
                if !self.caps.supports(FEATURE_CONDITIONAL, "COALESCE") {
                    return np("the service does not declare COALESCE");
                }
                return Ok(call("COALESCE", self.args(args)?));
            }
            "in_unit" => {
                if !self.caps.supports(FEATURE_UNIT, "IN_UNIT") {
                    return np("the service does not declare IN_UNIT");
                }
                return Ok(call("IN_UNIT", self.args(args)?));
            }
            _ => {}
        }
        if let Some(adql) = geometry_function(name) {
            return self.geometry(adql, args);
        }
        if let Some(declared) = self.caps.udf(name) {
            return Ok(call(declared, self.args(args)?));
        }
        np(format!(
            "function {name} is neither ADQL nor declared by the service"
        ))
    }

    fn geometry(&self, adql: &str, args: &[DfExpr]) -> Result<Expr, NotPushable> {
        if !self.caps.supports_geometry(adql) {
            return np(format!(
                "the service does not declare the geometry function {adql}"
            ));
        }
        let mut out = self.args(args)?;
        let icrs = || Expr::String("ICRS".into());
        let first_is_string = matches!(out.first(), Some(Expr::String(_)));
        match adql {
            // Constructors: give the coordinate system explicitly, which every ADQL version accepts.
            "POINT" | "CIRCLE" | "BOX" | "POLYGON" if !first_is_string => out.insert(0, icrs()),
            "DISTANCE" if out.len() == 4 => {
                if !self.caps.supports_geometry("POINT") {
                    return np("the service does not declare POINT (needed by DISTANCE)");
                }
                if let [lon1, lat1, lon2, lat2] = out.as_slice() {
                    let point = |lon: &Expr, lat: &Expr| Expr::Function {
                        name: "POINT".into(),
                        args: vec![icrs(), lon.clone(), lat.clone()],
                        distinct: false,
                    };
                    out = vec![point(lon1, lat1), point(lon2, lat2)];
                }
            }
            _ => {}
        }
        Ok(Expr::Function {
            name: adql.into(),
            args: out,
            distinct: false,
        })
    }

    fn aggregate(&self, agg: &AggregateFunction) -> Result<Expr, NotPushable> {
        let params = &agg.params;
        if params.filter.is_some() || !params.order_by.is_empty() || params.null_treatment.is_some()
        {
            return np("ADQL aggregates take no FILTER, ORDER BY or null treatment");
        }
        let name = match agg.func.name() {
            "count" => "COUNT",
            "sum" => "SUM",
            "avg" | "mean" => "AVG",
            "min" => "MIN",
            "max" => "MAX",
            other => return np(format!("aggregate {other} is not ADQL")),
        };
        if name == "COUNT" && !params.distinct {
            // COUNT(*) is planned as count(1); a non-null literal argument counts every row.
            if let [DfExpr::Literal(v, _)] = params.args.as_slice()
                && !v.is_null()
            {
                return Ok(Expr::CountStar);
            }
        }
        if params.args.len() != 1 {
            return np(format!("{name} takes one argument in ADQL"));
        }
        Ok(Expr::Function {
            name: name.into(),
            args: self.args(&params.args)?,
            distinct: params.distinct,
        })
    }
}
