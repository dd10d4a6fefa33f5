//! Calls of the functions ADQL defines, with their exact arities and literal-argument rules, and `CAST`.

use crate::ast::{
    AdqlType, BuiltinFunction, Expr, Function, FunctionName, Literal, NumberKind, NumberLit,
    SetQuantifier, Span, Spanned, StringLit, TypeLength, UnaryOp,
};
use crate::error::ParseError;
use crate::options::{AdqlVersion, Feature};

use super::lexer::{Punct, Tok};
use super::{Expect, Lexed, PResult, Parser};

/// The optional feature a built-in function belongs to, if any.
fn feature_of(f: BuiltinFunction) -> Option<Feature> {
    use BuiltinFunction as B;
    Some(match f {
        B::Lower => Feature::Lower,
        B::Upper => Feature::Upper,
        B::Coalesce => Feature::Coalesce,
        B::InUnit => Feature::InUnit,
        B::Point => Feature::Point,
        B::Circle => Feature::Circle,
        B::Box => Feature::Box,
        B::Polygon => Feature::Polygon,
        B::Region => Feature::Region,
        B::Contains => Feature::Contains,
        B::Intersects => Feature::Intersects,
        B::Distance => Feature::Distance,
        B::Area => Feature::Area,
        B::Centroid => Feature::Centroid,
        B::Coord1 => Feature::Coord1,
        B::Coord2 => Feature::Coord2,
        B::Coordsys => Feature::Coordsys,
        _ => return None,
    })
}

/// Whether the function first appeared in ADQL 2.1.
fn new_in_2_1(f: BuiltinFunction) -> bool {
    matches!(
        f,
        BuiltinFunction::Lower
            | BuiltinFunction::Upper
            | BuiltinFunction::Coalesce
            | BuiltinFunction::InUnit
    )
}

/// What an argument of a geometry constructor is, as far as syntax tells.
#[derive(PartialEq, Eq)]
enum ArgShape {
    /// Certainly a number (a numeric literal or arithmetic).
    Coordinate,
    /// Certainly a point (a `POINT(...)` or `CENTROID(...)` call).
    Point,
    /// A column, a UDF call, ...: either.
    Unknown,
}

fn shape(e: &Expr) -> ArgShape {
    match e {
        Expr::Literal(Literal::Number(_) | Literal::Hex(_))
        | Expr::Unary { .. }
        | Expr::Binary { .. } => ArgShape::Coordinate,
        Expr::Function(f) => match f.builtin_name() {
            Some(BuiltinFunction::Point | BuiltinFunction::Centroid) => ArgShape::Point,
            Some(b) if returns_number(b) => ArgShape::Coordinate,
            _ => ArgShape::Unknown,
        },
        Expr::CountStar(_) => ArgShape::Coordinate,
        _ => ArgShape::Unknown,
    }
}

/// Whether the built-in function always returns a number.
fn returns_number(f: BuiltinFunction) -> bool {
    use BuiltinFunction as B;
    !matches!(
        f,
        B::Min
            | B::Max
            | B::Coalesce
            | B::Lower
            | B::Upper
            | B::Point
            | B::Circle
            | B::Box
            | B::Polygon
            | B::Region
            | B::Centroid
            | B::Coordsys
    )
}

fn is_coord_sys_literal(e: &Expr) -> bool {
    matches!(e, Expr::Literal(Literal::String(_) | Literal::Null(_)))
}

/// The quantifier and arguments of a call.
type Args = (Option<SetQuantifier>, Vec<Expr>);

impl<'a> Parser<'a, '_> {
    /// A built-in function call; `name` is the function's name token.
    pub fn builtin_call(&self, name: Lexed<'a>, f: BuiltinFunction) -> PResult<'a, Expr> {
        let name_span = name.span(self);
        if let Some(feature) = feature_of(f) {
            self.require(feature, new_in_2_1(f), f.name(), name_span)?;
        }
        let (i, _) = self.punct(name.rest, Punct::LParen, Expect::LParen)?;
        let _guard = self.enter(i)?;
        // Each form is its own function: deeply nested calls then keep small stack frames.
        use BuiltinFunction as B;
        let (i, (quantifier, args)) = match f {
            B::Pi => (i, (None, Vec::new())),
            B::Mod | B::Power | B::Atan2 | B::Contains | B::Intersects => self.fixed_args(i, 2)?,
            B::Rand => self.rand_args(i)?,
            B::Round | B::Truncate => self.round_args(i)?,
            B::Count | B::Avg | B::Min | B::Max | B::Sum => {
                let t = self.peek(i);
                if f == B::Count && t.is_punct(Punct::Star) {
                    let (rest, close) = self.punct(t.rest, Punct::RParen, Expect::RParen)?;
                    return Ok((rest, Expr::CountStar(name_span.union(close))));
                }
                self.aggregate_args(i, f == B::Count)?
            }
            B::InUnit => self.in_unit_args(i)?,
            B::Region => self.region_args(i)?,
            B::Coalesce | B::Point | B::Circle | B::Box | B::Polygon | B::Distance => {
                self.list_args(i)?
            }
            _ => self.fixed_args(i, 1)?,
        };
        let (rest, close) = self.punct(i, Punct::RParen, Expect::RParen)?;
        let span = name_span.union(close);
        let mut func = Function {
            name: FunctionName::Builtin(f),
            quantifier,
            coord_sys: None,
            args,
            span,
        };
        if f.takes_coord_sys() || f == B::Distance {
            self.check_geometry_args(&mut func)?;
        }
        Ok((rest, Expr::Function(func)))
    }

    /// Exactly `n` comma-separated value arguments.
    fn fixed_args(&self, mut i: &'a str, n: usize) -> PResult<'a, Args> {
        let mut args = Vec::with_capacity(n);
        for k in 0..n {
            if k > 0 {
                i = self.punct(i, Punct::Comma, Expect::Comma)?.0;
            }
            let (rest, e) = self.value_expr(i)?;
            args.push(e);
            i = rest;
        }
        Ok((i, (None, args)))
    }

    /// One or more value arguments.
    fn list_args(&self, i: &'a str) -> PResult<'a, Args> {
        let (i, args) = self.comma_list(i, |i| self.value_expr(i))?;
        Ok((i, (None, args)))
    }

    /// `RAND([unsigned integer literal])`.
    fn rand_args(&self, i: &'a str) -> PResult<'a, Args> {
        let t = self.peek(i);
        if let Tok::Number(text, NumberKind::Integer) = t.tok {
            let lit = NumberLit {
                text: text.to_owned(),
                kind: NumberKind::Integer,
                span: t.span(self),
            };
            return Ok((t.rest, (None, vec![Expr::Literal(Literal::Number(lit))])));
        }
        self.expected_at(t.start, Expect::UnsignedInteger);
        Ok((i, (None, Vec::new())))
    }

    /// `ROUND(x [, signed integer literal])`, `TRUNCATE(...)`.
    fn round_args(&self, i: &'a str) -> PResult<'a, Args> {
        let (i, x) = self.value_expr(i)?;
        let (i, comma) = self.opt_punct(i, Punct::Comma, Expect::Comma);
        if comma.is_none() {
            return Ok((i, (None, vec![x])));
        }
        let (i, digits) = self.signed_integer(i)?;
        Ok((i, (None, vec![x, digits])))
    }

    /// `[DISTINCT | ALL] x` of an aggregate.
    fn aggregate_args(&self, i: &'a str, count: bool) -> PResult<'a, Args> {
        let t = self.peek(i);
        let (i, quantifier) = if t.is_kw("DISTINCT") {
            (t.rest, Some(SetQuantifier::Distinct))
        } else if t.is_kw("ALL") {
            (t.rest, Some(SetQuantifier::All))
        } else {
            self.expected_at(t.start, Expect::Distinct);
            self.expected_at(t.start, Expect::All);
            if count {
                self.expected_at(t.start, Expect::Star);
            }
            (i, None)
        };
        let (i, x) = self.value_expr(i)?;
        Ok((i, (quantifier, vec![x])))
    }

    /// `IN_UNIT(x, 'unit')`.
    fn in_unit_args(&self, i: &'a str) -> PResult<'a, Args> {
        let (i, x) = self.value_expr(i)?;
        let (i, _) = self.punct(i, Punct::Comma, Expect::Comma)?;
        let t = self.peek(i);
        let Tok::Str(raw) = t.tok else {
            return self.fail(i, Expect::StringLiteral);
        };
        let unit = StringLit {
            value: super::unescape(raw, '\''),
            span: t.span(self),
        };
        Ok((
            t.rest,
            (None, vec![x, Expr::Literal(Literal::String(unit))]),
        ))
    }

    /// `REGION('literal')` (any string expression in ADQL 2.0).
    fn region_args(&self, i: &'a str) -> PResult<'a, Args> {
        let (i, x) = self.value_expr(i)?;
        if self.version() == AdqlVersion::V2_1 && !matches!(x, Expr::Literal(Literal::String(_))) {
            return self.fatal_with(|| {
                ParseError::new(
                    "the argument of REGION must be a string literal in ADQL 2.1",
                    x.span(),
                )
                .with_label("not a string literal")
                .with_hint(
                    "write the STC-S region as a literal, e.g. REGION('Circle ICRS 10 20 1')",
                )
            });
        }
        Ok((i, (None, vec![x])))
    }

    /// `[+|-] unsigned integer`, as an expression.
    fn signed_integer(&self, i: &'a str) -> PResult<'a, Expr> {
        let t = self.peek(i);
        let (sign, after) = match t.tok {
            Tok::Punct(Punct::Minus) => (Some(UnaryOp::Minus), self.peek(t.rest)),
            Tok::Punct(Punct::Plus) => (Some(UnaryOp::Plus), self.peek(t.rest)),
            _ => (None, t),
        };
        let Tok::Number(text, NumberKind::Integer) = after.tok else {
            self.expected_at(after.start, Expect::SignedInteger);
            return Err(nom::Err::Error(super::PErr::Backtrack));
        };
        let lit = Expr::Literal(Literal::Number(NumberLit {
            text: text.to_owned(),
            kind: NumberKind::Integer,
            span: after.span(self),
        }));
        Ok((
            after.rest,
            match sign {
                Some(op) => Expr::Unary {
                    op,
                    expr: Box::new(lit),
                    span: t.span(self).union(after.span(self)),
                },
                None => lit,
            },
        ))
    }

    /// Splits off the coordinate system and checks the argument forms of POINT, CIRCLE, BOX, POLYGON and
    /// DISTANCE.
    fn check_geometry_args(&self, func: &mut Function) -> Result<(), nom::Err<super::PErr>> {
        use BuiltinFunction as B;
        let Some(f) = func.builtin_name() else {
            return Ok(());
        };
        let v20 = self.version() == AdqlVersion::V2_0;
        let n = func.args.len();
        let first_is_cs = func.args.first().is_some_and(is_coord_sys_literal);
        // How many arguments come after an explicit coordinate system, per form.
        let takes_cs = match f {
            B::Point => n == 3,
            B::Circle => n == 4 || (n == 3 && first_is_cs),
            B::Box => n == 5 || (n == 4 && first_is_cs),
            B::Polygon => first_is_cs && n >= 4,
            _ => false,
        };
        if v20 && f.takes_coord_sys() && !takes_cs {
            return self.geometry_error(
                func,
                "in ADQL 2.0 the first argument must be the coordinate system",
            );
        }
        if takes_cs {
            let cs = func.args.remove(0);
            if !v20 && !is_coord_sys_literal(&cs) {
                return Err(super::fatal_err_with(|| {
                    ParseError::new(
                        format!(
                            "the coordinate system of {} must be a string literal",
                            f.name()
                        ),
                        cs.span(),
                    )
                    .with_label("not a string literal")
                    .with_hint("write it as a literal such as 'ICRS', or leave it out")
                }));
            }
            func.coord_sys = Some(Box::new(cs));
        }
        let args = &func.args;
        let shapes: Vec<ArgShape> = args.iter().map(shape).collect();
        let any_point = shapes.contains(&ArgShape::Point);
        let any_coord = shapes.contains(&ArgShape::Coordinate);
        let ok = match (f, args.len()) {
            (B::Point, 2) => !any_point,
            (B::Circle, 3) => {
                shapes.first() != Some(&ArgShape::Point) && shapes.get(1) != Some(&ArgShape::Point)
            }
            (B::Circle, 2) => !v20 && shapes.first() != Some(&ArgShape::Coordinate),
            (B::Box, 4) => !any_point,
            (B::Box, 3) => !v20 && shapes.first() != Some(&ArgShape::Coordinate),
            (B::Polygon, k) if k >= 3 => {
                if any_point {
                    !any_coord && !v20
                } else if any_coord || v20 {
                    k % 2 == 0 && k >= 6
                } else {
                    true
                }
            }
            (B::Distance, 2) => !any_coord,
            (B::Distance, 4) => !v20 && !any_point,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            let form = match f {
                B::Point => "POINT([coordsys,] lon, lat)",
                B::Circle => {
                    "CIRCLE([coordsys,] lon, lat, radius) or CIRCLE([coordsys,] point, radius)"
                }
                B::Box => {
                    "BOX([coordsys,] lon, lat, width, height) or BOX([coordsys,] point, width, height)"
                }
                B::Polygon => {
                    "POLYGON([coordsys,] lon1, lat1, lon2, lat2, lon3, lat3, ...) or POLYGON([coordsys,] p1, p2, p3, ...)"
                }
                _ => "DISTANCE(point1, point2) or DISTANCE(lon1, lat1, lon2, lat2)",
            };
            self.geometry_error(func, &format!("expected {form}"))
        }
    }

    fn geometry_error(&self, func: &Function, hint: &str) -> Result<(), nom::Err<super::PErr>> {
        let name = func.builtin_name().map_or("", |b| b.name());
        Err(super::fatal_err_with(|| {
            ParseError::new(format!("wrong arguments for {name}"), func.span)
                .with_label("invalid argument list")
                .with_hint(hint.to_owned())
        }))
    }

    /// `CAST(expr AS type)`; `name` is the `CAST` token.
    pub fn cast(&self, name: Lexed<'a>) -> PResult<'a, Expr> {
        let name_span = name.span(self);
        self.require(Feature::Cast, true, "CAST", name_span)?;
        let (i, _) = self.punct(name.rest, Punct::LParen, Expect::LParen)?;
        let _guard = self.enter(i)?;
        let (i, expr) = self.value_expr(i)?;
        let (i, _) = self.kw(i, Expect::As)?;
        let (i, target) = self.cast_type(i)?;
        let (rest, close) = self.punct(i, Punct::RParen, Expect::RParen)?;
        Ok((
            rest,
            Expr::Cast {
                expr: Box::new(expr),
                target,
                span: name_span.union(close),
            },
        ))
    }

    fn cast_type(&self, i: &'a str) -> PResult<'a, AdqlType> {
        let t = self.peek(i);
        let Tok::Word(w) = t.tok else {
            return self.fail(i, Expect::DataType);
        };
        let upper = |s: &str| w.eq_ignore_ascii_case(s);
        let ty = if upper("DOUBLE") {
            let (rest, _) = self.kw_word(t.rest, "PRECISION")?;
            return Ok((rest, AdqlType::DoublePrecision));
        } else if upper("CHAR") || upper("VARCHAR") {
            let (rest, len) = self.type_length(t.rest)?;
            let ty = if upper("CHAR") {
                AdqlType::Char(len)
            } else {
                AdqlType::Varchar(len)
            };
            return Ok((rest, ty));
        } else if upper("SMALLINT") {
            AdqlType::Smallint
        } else if upper("INTEGER") {
            AdqlType::Integer
        } else if upper("BIGINT") {
            AdqlType::Bigint
        } else if upper("REAL") {
            AdqlType::Real
        } else if upper("TIMESTAMP") {
            AdqlType::Timestamp
        } else if upper("POINT") {
            AdqlType::Point
        } else if upper("CIRCLE") {
            AdqlType::Circle
        } else if upper("POLYGON") {
            AdqlType::Polygon
        } else {
            return self.fail(i, Expect::DataType);
        };
        Ok((t.rest, ty))
    }

    /// The keyword `word`, expected as part of a type name.
    fn kw_word(&self, i: &'a str, word: &str) -> PResult<'a, Span> {
        let t = self.peek(i);
        if t.is_kw(word) {
            Ok((t.rest, t.span(self)))
        } else {
            self.fail(i, Expect::DataType)
        }
    }

    /// An optional `(n)` after CHAR or VARCHAR.
    fn type_length(&self, i: &'a str) -> PResult<'a, Option<TypeLength>> {
        let (i, open) = self.opt_punct(i, Punct::LParen, Expect::LParen);
        if open.is_none() {
            return Ok((i, None));
        }
        let (i, n) = self.unsigned_integer(i)?;
        let (i, _) = self.punct(i, Punct::RParen, Expect::RParen)?;
        Ok((i, Some(TypeLength::Fixed(n))))
    }

    /// An unsigned integer literal as a number (TOP, OFFSET, lengths).
    pub fn unsigned_integer(&self, i: &'a str) -> PResult<'a, u64> {
        let t = self.peek(i);
        let Tok::Number(text, NumberKind::Integer) = t.tok else {
            return self.fail(i, Expect::UnsignedInteger);
        };
        match text.parse::<u64>() {
            Ok(n) => Ok((t.rest, n)),
            Err(_) => self.fatal_with(|| {
                ParseError::new(format!("the number {text} is too large"), t.span(self))
                    .with_label("does not fit in 64 bits")
            }),
        }
    }
}
