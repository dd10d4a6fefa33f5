//! DataFusion [`Expr`](DfExpr) → ADQL [`Expr`] under a service's capabilities.

use adql_syntax::ast::{
    AdqlType, BinaryOp, BuiltinFunction, Expr, Function, FunctionName, Ident, Literal,
    SetQuantifier, Span, UnaryOp,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::logical_expr::expr::{
    AggregateFunction, Alias, Case, Cast, InList, Like, ScalarFunction,
};
use datafusion::logical_expr::{Between, BinaryExpr, Expr as DfExpr, ExprSchemable, Operator};

use super::geometry::point_in_circle;
use super::not_pushable::NotPushable;
use crate::capabilities::{FEATURE_CONDITIONAL, FEATURE_STRING, FEATURE_UNIT, ServiceCapabilities};
use adql_engine::positional::positional;

/// Translates expressions evaluated over one input: `schema` describes the input's fields, and
/// `cols[i]` is the ADQL expression that computes field `i` in the scope of the generated query.
pub(super) struct ExprTranslator<'a> {
    pub(super) caps: &'a ServiceCapabilities,
    pub(super) schema: &'a DFSchema,
    pub(super) cols: &'a [Expr],
}

/// `condition` (over `schema`, whose field `i` is `cols[i]` in ADQL) as an ADQL search condition for a
/// service with capabilities `caps`.
pub(crate) fn condition_to_adql(
    condition: &DfExpr,
    schema: &DFSchema,
    cols: &[Expr],
    caps: &ServiceCapabilities,
) -> Result<Expr, NotPushable> {
    ExprTranslator { caps, schema, cols }.predicate(condition)
}

fn np<T>(reason: impl Into<String>) -> Result<T, NotPushable> {
    Err(NotPushable::new(reason))
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// The ADQL function of a DataFusion built-in or ADQL engine function that every ADQL service evaluates.
fn core_function(name: &str, arity: usize) -> Option<BuiltinFunction> {
    use BuiltinFunction as B;
    Some(match (name, arity) {
        ("abs", 1) => B::Abs,
        ("acos", 1) => B::Acos,
        ("asin", 1) => B::Asin,
        ("atan", 1) => B::Atan,
        ("atan2", 2) => B::Atan2,
        ("cos", 1) => B::Cos,
        ("cot", 1) => B::Cot,
        ("sin", 1) => B::Sin,
        ("tan", 1) => B::Tan,
        ("degrees", 1) => B::Degrees,
        ("radians", 1) => B::Radians,
        ("exp", 1) => B::Exp,
        ("floor", 1) => B::Floor,
        ("ceil" | "ceiling", 1) => B::Ceiling,
        // ADQL LOG is the natural logarithm; DataFusion's one-argument `log` is log10.
        ("ln", 1) => B::Log,
        ("log10", 1) | ("log", 1) => B::Log10,
        ("power" | "pow", 2) => B::Power,
        ("pi", 0) => B::Pi,
        ("sqrt", 1) => B::Sqrt,
        ("round", 1 | 2) => B::Round,
        ("trunc" | "truncate", 1 | 2) => B::Truncate,
        ("mod", 2) => B::Mod,
        _ => return None,
    })
}

/// The ADQL geometry function of an engine geometry function.
fn geometry_function(name: &str) -> Option<BuiltinFunction> {
    use BuiltinFunction as B;
    Some(match name {
        "point" => B::Point,
        "circle" => B::Circle,
        "box" => B::Box,
        "polygon" => B::Polygon,
        "region" => B::Region,
        "contains" => B::Contains,
        "intersects" => B::Intersects,
        "distance" => B::Distance,
        "area" => B::Area,
        "centroid" => B::Centroid,
        "coord1" => B::Coord1,
        "coord2" => B::Coord2,
        "coordsys" => B::Coordsys,
        _ => return None,
    })
}

/// The ADQL type of a CAST target.
fn cast_type(data_type: &DataType) -> Option<AdqlType> {
    Some(match data_type {
        DataType::Int16 | DataType::Int8 | DataType::UInt8 => AdqlType::Smallint,
        DataType::Int32 | DataType::UInt16 => AdqlType::Integer,
        DataType::Int64 | DataType::UInt32 => AdqlType::Bigint,
        DataType::Float32 => AdqlType::Real,
        DataType::Float64 => AdqlType::DoublePrecision,
        _ => return None,
    })
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

/// `1 = call`: how ADQL writes an integer predicate function as a condition.
fn is_one(call: Expr) -> Expr {
    Expr::integer(1).eq(call)
}

fn float_literal(v: f64) -> Result<Expr, NotPushable> {
    Expr::double(v).ok_or_else(|| NotPushable::new(format!("ADQL has no literal for {v}")))
}

/// Translates a literal used as a value.
pub(crate) fn literal(value: &ScalarValue) -> Result<Expr, NotPushable> {
    if value.is_null() {
        return Ok(Expr::null());
    }
    Ok(match value {
        ScalarValue::Int8(Some(v)) => Expr::signed(i128::from(*v)),
        ScalarValue::Int16(Some(v)) => Expr::signed(i128::from(*v)),
        ScalarValue::Int32(Some(v)) => Expr::signed(i128::from(*v)),
        ScalarValue::Int64(Some(v)) => Expr::signed(i128::from(*v)),
        ScalarValue::UInt8(Some(v)) => Expr::signed(i128::from(*v)),
        ScalarValue::UInt16(Some(v)) => Expr::signed(i128::from(*v)),
        ScalarValue::UInt32(Some(v)) => Expr::signed(i128::from(*v)),
        ScalarValue::UInt64(Some(v)) => Expr::signed(i128::from(*v)),
        ScalarValue::Float32(Some(v)) => float_literal(f64::from(*v))?,
        ScalarValue::Float64(Some(v)) => float_literal(*v)?,
        ScalarValue::Decimal128(Some(v), _, scale) => {
            let text = ScalarValue::Decimal128(Some(v.abs()), 38, *scale).to_string();
            let number = Expr::number(&text)
                .ok_or_else(|| NotPushable::new(format!("ADQL has no literal for {text}")))?;
            if *v < 0 {
                Expr::unary(UnaryOp::Minus, number)
            } else {
                number
            }
        }
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Expr::string(s.clone()),
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
    pub(super) fn predicate(&self, expr: &DfExpr) -> Result<Expr, NotPushable> {
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
                Ok(self.predicate(left)?.binary(op, self.predicate(right)?))
            }
            DfExpr::BinaryExpr(BinaryExpr { left, op, right }) if is_comparison(*op) => {
                match self.contains(expr)? {
                    Some(contains) => Ok(contains),
                    None => self.comparison(left, *op, right),
                }
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
            DfExpr::Not(inner) => Ok(Expr::unary(UnaryOp::Not, self.predicate(inner)?)),
            DfExpr::IsNull(inner) | DfExpr::IsNotNull(inner) => {
                let value = self.value(inner)?;
                if !matches!(value, Expr::Column(_)) {
                    return np("ADQL allows IS NULL on column references only");
                }
                Ok(Expr::IsNull {
                    expr: boxed(value),
                    negated: matches!(expr, DfExpr::IsNotNull(_)),
                    span: Span::EMPTY,
                })
            }
            DfExpr::Between(Between {
                expr,
                negated,
                low,
                high,
            }) => Ok(Expr::Between {
                expr: boxed(self.value(expr)?),
                negated: *negated,
                low: boxed(self.value(low)?),
                high: boxed(self.value(high)?),
                span: Span::EMPTY,
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
                    negated: *negated,
                    case_insensitive: *case_insensitive,
                    pattern: boxed(self.value(pattern)?),
                    span: Span::EMPTY,
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
                    negated: *negated,
                    list: list
                        .iter()
                        .map(|e| self.value(e))
                        .collect::<Result<_, _>>()?,
                    span: Span::EMPTY,
                })
            }
            DfExpr::ScalarFunction(ScalarFunction { func, args })
                if matches!(func.name(), "contains" | "intersects") =>
            {
                // ADQL predicates are integer functions compared with 1.
                Ok(is_one(self.scalar_function(func.name(), args)?))
            }
            DfExpr::Literal(ScalarValue::Boolean(Some(b)), _) => {
                Ok(Expr::integer(1).eq(Expr::integer(u64::from(*b))))
            }
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
                        0 => Ok(Expr::unary(UnaryOp::Not, self.predicate(inner)?)),
                        _ => np("an integer form of a condition compared with neither 0 nor 1"),
                    };
                }
            }
        }
        let op = match op {
            Operator::Eq => BinaryOp::Eq,
            Operator::NotEq => BinaryOp::NotEq,
            Operator::Lt => BinaryOp::Lt,
            Operator::LtEq => BinaryOp::LtEq,
            Operator::Gt => BinaryOp::Gt,
            _ => BinaryOp::GtEq,
        };
        Ok(self
            .comparison_operand(left)?
            .binary(op, self.comparison_operand(right)?))
    }

    /// A positional predicate in any of the engine's forms (`distance(p1, p2) <= r` after
    /// simplification, `1 = CAST(... AS INT)`, ...) as `1 = CONTAINS(POINT(p1), CIRCLE(p2, r))`: services
    /// index CONTAINS (q3c, pgsphere), not DISTANCE comparisons. `None` for anything else, and for the
    /// strict `<` (which CONTAINS cannot say), a best match, or positions in other coordinate systems.
    fn contains(&self, expr: &DfExpr) -> Result<Option<Expr>, NotPushable> {
        let Some(p) = positional(expr) else {
            return Ok(None);
        };
        let icrs_only = p
            .frames
            .iter()
            .all(|f| f.trim().is_empty() || f.trim().eq_ignore_ascii_case("ICRS"));
        if p.strict
            || p.best
            || !icrs_only
            || !["CONTAINS", "POINT", "CIRCLE"]
                .iter()
                .all(|f| self.caps.supports_geometry(f))
        {
            return Ok(None);
        }
        Ok(Some(point_in_circle(
            self.value(&p.p1.0)?,
            self.value(&p.p1.1)?,
            self.value(&p.p2.0)?,
            self.value(&p.p2.1)?,
            self.value(&p.radius)?,
        )))
    }

    /// A comparison operand: numeric widening casts inserted by type coercion are dropped, since
    /// ADQL compares numbers of any type by value.
    fn comparison_operand(&self, expr: &DfExpr) -> Result<Expr, NotPushable> {
        if let DfExpr::Cast(Cast { expr: inner, field }) = expr
            && field.data_type().is_numeric()
            && self.data_type(inner).is_some_and(|t| t.is_numeric())
        {
            return self.value(inner);
        }
        self.value(expr)
    }

    /// Translates a value expression.
    pub(super) fn value(&self, expr: &DfExpr) -> Result<Expr, NotPushable> {
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
                        return Ok(Expr::call(
                            BuiltinFunction::Mod,
                            vec![self.value(left)?, self.value(right)?],
                        ));
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
                Ok(self.value(left)?.binary(op, self.value(right)?))
            }
            DfExpr::Negative(inner) => Ok(Expr::unary(UnaryOp::Minus, self.value(inner)?)),
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
            None => args.push(Expr::null()),
        }
        if args.len() < 2 {
            return np("ADQL has no CASE");
        }
        if !self.caps.supports(FEATURE_CONDITIONAL, "COALESCE") {
            return np("the service does not declare COALESCE");
        }
        Ok(Expr::call(BuiltinFunction::Coalesce, args))
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
            Some(target) => Ok(Expr::Cast {
                expr: boxed(self.value(inner)?),
                target,
                span: Span::EMPTY,
            }),
            None => np(format!("ADQL has no CAST to {target}")),
        }
    }

    fn args(&self, args: &[DfExpr]) -> Result<Vec<Expr>, NotPushable> {
        args.iter().map(|a| self.value(a)).collect()
    }

    fn scalar_function(&self, name: &str, args: &[DfExpr]) -> Result<Expr, NotPushable> {
        use BuiltinFunction as B;
        if let Some(f) = core_function(name, args.len()) {
            if matches!(f, B::Round | B::Truncate) && args.len() == 2 {
                // The number of digits is a signed integer literal in ADQL.
                if !matches!(args.get(1), Some(DfExpr::Literal(v, _)) if v.data_type().is_integer())
                {
                    return np(format!(
                        "{} takes an integer literal as its second argument",
                        f.name()
                    ));
                }
            }
            return Ok(Expr::call(f, self.args(args)?));
        }
        let optional = match name {
            "lower" => Some((B::Lower, FEATURE_STRING)),
            "upper" => Some((B::Upper, FEATURE_STRING)),
            "coalesce" => Some((B::Coalesce, FEATURE_CONDITIONAL)),
            "in_unit" => Some((B::InUnit, FEATURE_UNIT)),
            _ => None,
        };
        if let Some((f, feature)) = optional {
            if !self.caps.supports(feature, f.name()) {
                return np(format!("the service does not declare {}", f.name()));
            }
            return Ok(Expr::call(f, self.args(args)?));
        }
        if let Some(f) = geometry_function(name) {
            return self.geometry(f, args);
        }
        if let Some(declared) = self.caps.udf(name) {
            // A declared name is written as declared, never delimited (a function name cannot be).
            let udf = Function {
                name: FunctionName::Udf(Ident {
                    value: declared.to_string(),
                    quoted: false,
                    span: Span::EMPTY,
                }),
                quantifier: None,
                coord_sys: None,
                args: self.args(args)?,
                span: Span::EMPTY,
            };
            return Ok(Expr::Function(udf));
        }
        np(format!(
            "function {name} is neither ADQL nor declared by the service"
        ))
    }

    fn geometry(&self, f: BuiltinFunction, args: &[DfExpr]) -> Result<Expr, NotPushable> {
        use BuiltinFunction as B;
        if !self.caps.supports_geometry(f.name()) {
            return np(format!(
                "the service does not declare the geometry function {}",
                f.name()
            ));
        }
        let mut out = self.args(args)?;
        if f.takes_coord_sys() {
            // Constructors: give the coordinate system explicitly, which every ADQL version accepts.
            let given = match out.first() {
                Some(Expr::Literal(Literal::String(_))) => Some(out.remove(0)),
                _ => None,
            };
            let call = Function::builtin(f, out)
                .with_coord_sys(given.unwrap_or_else(|| Expr::string("ICRS")));
            return Ok(Expr::Function(call));
        }
        if f == B::Distance
            && let [lon1, lat1, lon2, lat2] = out.as_slice()
        {
            if !self.caps.supports_geometry("POINT") {
                return np("the service does not declare POINT (needed by DISTANCE)");
            }
            let p1 = Expr::geometry(B::Point, "ICRS", vec![lon1.clone(), lat1.clone()]);
            let p2 = Expr::geometry(B::Point, "ICRS", vec![lon2.clone(), lat2.clone()]);
            out = vec![p1, p2];
        }
        Ok(Expr::call(f, out))
    }

    fn aggregate(&self, agg: &AggregateFunction) -> Result<Expr, NotPushable> {
        use BuiltinFunction as B;
        let params = &agg.params;
        if params.filter.is_some() || !params.order_by.is_empty() || params.null_treatment.is_some()
        {
            return np("ADQL aggregates take no FILTER, ORDER BY or null treatment");
        }
        let f = match agg.func.name() {
            "count" => B::Count,
            "sum" => B::Sum,
            "avg" | "mean" => B::Avg,
            "min" => B::Min,
            "max" => B::Max,
            other => return np(format!("aggregate {other} is not ADQL")),
        };
        if f == B::Count && !params.distinct {
            // COUNT(*) is planned as count(1); a non-null literal argument counts every row.
            if let [DfExpr::Literal(v, _)] = params.args.as_slice()
                && !v.is_null()
            {
                return Ok(Expr::CountStar(Span::EMPTY));
            }
        }
        if params.args.len() != 1 {
            return np(format!("{} takes one argument in ADQL", f.name()));
        }
        let mut call = Function::builtin(f, self.args(&params.args)?);
        if params.distinct {
            call = call.with_quantifier(SetQuantifier::Distinct);
        }
        Ok(Expr::Function(call))
    }
}
