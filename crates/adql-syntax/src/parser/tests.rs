//! Unit tests of the parser: every construct, the version and feature switches, UDF declarations,
//! extensions, and the error positions and hints.

use crate::ast::*;
use crate::{
    AdqlVersion, Extensions, Feature, FeatureSet, ParseError, ParseOptions, UdfPolicy,
    UdfSignature, parse, parse_with,
};

/// Parses `text` and returns the canonical print, checking that it parses back to the same tree.
fn canon_with(text: &str, opts: &ParseOptions) -> String {
    let tree = parse_with(text, opts)
        .unwrap_or_else(|e| panic!("{text:?} should parse: {e} at {:?}", e.line_col(text)));
    let printed = tree.to_string();
    let again =
        parse_with(&printed, opts).unwrap_or_else(|e| panic!("{printed:?} should parse: {e}"));
    assert_eq!(again, tree, "round trip of {text:?}");
    assert_eq!(again.to_string(), printed);
    printed
}

fn canon(text: &str) -> String {
    canon_with(text, &ParseOptions::default())
}

fn err_with(text: &str, opts: &ParseOptions) -> ParseError {
    match parse_with(text, opts) {
        Ok(q) => panic!("{text:?} should be rejected, got {q}"),
        Err(e) => e,
    }
}

fn err(text: &str) -> ParseError {
    err_with(text, &ParseOptions::default())
}

fn v20() -> ParseOptions {
    ParseOptions {
        version: AdqlVersion::V2_0,
        ..ParseOptions::default()
    }
}

fn hint(text: &str) -> String {
    err(text)
        .hint()
        .unwrap_or_else(|| panic!("no hint for {text:?}"))
        .to_owned()
}

/// The select-list expression of `SELECT <e> FROM t`.
fn expr(e: &str) -> Expr {
    let q = parse(&format!("SELECT {e} FROM t")).unwrap_or_else(|err| panic!("{e}: {err}"));
    let SetExpr::Select(s) = q.body else {
        panic!("not a select")
    };
    let SelectList::Items(mut items) = s.items else {
        panic!("no items")
    };
    match items.remove(0) {
        SelectItem::Expr { expr, .. } => expr,
        SelectItem::QualifiedWildcard { .. } => panic!("wildcard"),
    }
}

// ---------------------------------------------------------------- lexical

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(
        canon("select A from T where B = 1"),
        "SELECT A FROM T WHERE B = 1"
    );
    assert_eq!(
        canon("SeLeCt DiStInCt a FrOm t"),
        "SELECT DISTINCT a FROM t"
    );
}

#[test]
fn identifiers_keep_quoting_and_case() {
    assert_eq!(
        canon(r#"SELECT "Ra", "a""b", "size", ra FROM "My Table""#),
        r#"SELECT "Ra", "a""b", "size", ra FROM "My Table""#
    );
    let e = expr(r#""a""b""#);
    let Expr::Column(c) = e else { panic!() };
    assert_eq!(c.column.value, "a\"b");
    assert!(c.column.quoted);
    let Expr::Column(c) = expr("RaDec") else {
        panic!()
    };
    assert_eq!(c.column.value, "RaDec");
    assert!(!c.column.quoted);
    assert_eq!(
        canon(r#"SELECT "B/avo.rad/catalog".x FROM "B/avo.rad/catalog""#),
        r#"SELECT "B/avo.rad/catalog".x FROM "B/avo.rad/catalog""#
    );
}

#[test]
fn string_literals_unescape_and_reescape() {
    let Expr::Literal(Literal::String(s)) = expr("'it''s'") else {
        panic!()
    };
    assert_eq!(s.value, "it's");
    assert_eq!(canon("SELECT 'it''s' FROM t"), "SELECT 'it''s' FROM t");
    // Adjacent literals separated by whitespace or comments are one literal (SQL-92, VOLLT, DaCHS).
    assert_eq!(canon("SELECT 'a' -- c\n 'b' FROM t"), "SELECT 'ab' FROM t");
}

#[test]
fn numeric_literals_keep_their_text() {
    for (text, kind) in [
        ("12", NumberKind::Integer),
        ("12.", NumberKind::Decimal),
        ("12.3", NumberKind::Decimal),
        (".5", NumberKind::Decimal),
        ("1.2E-6", NumberKind::Approximate),
        ("10e3", NumberKind::Approximate),
    ] {
        let Expr::Literal(Literal::Number(n)) = expr(text) else {
            panic!("{text}")
        };
        assert_eq!((n.text.as_str(), n.kind), (text, kind));
    }
    assert_eq!(canon("SELECT -2 FROM t"), "SELECT -2 FROM t");
}

#[test]
fn comments_stand_where_whitespace_may() {
    assert_eq!(
        canon("-- head\nSELECT --x\n a -- y\nFROM t -- at the end"),
        "SELECT a FROM t"
    );
    assert_eq!(
        canon("SELECT a FROM t WHERE a = 1 ---- many dashes"),
        "SELECT a FROM t WHERE a = 1"
    );
}

#[test]
fn tokens_separate_where_the_standard_says() {
    assert_eq!(
        canon("select foo from t order by foo asc, 2desc"),
        "SELECT foo FROM t ORDER BY foo ASC, 2 DESC"
    );
    assert_eq!(canon("SELECT TOP 4* FROM t"), "SELECT TOP 4 * FROM t");
    assert_eq!(
        canon("SELECT ROUND(5)as x FROM t"),
        "SELECT ROUND(5) AS x FROM t"
    );
    assert_eq!(
        canon("select all(a+b)X from most,(select*from t)q"),
        "SELECT ALL (a + b) AS X FROM most, (SELECT * FROM t) AS q"
            .replace("ALL (a + b)", "ALL a + b")
    );
    assert_eq!(canon("select 89x from z"), "SELECT 89 AS x FROM z");
    assert_eq!(
        canon("SELECT a FROM t WHERE c!=0"),
        "SELECT a FROM t WHERE c != 0"
    );
    err("selectxfromt");
    err("SELECT a FROMt");
}

#[test]
fn one_trailing_semicolon() {
    assert_eq!(canon("SELECT a FROM t;"), "SELECT a FROM t");
    assert_eq!(canon("SELECT a FROM t ; -- done"), "SELECT a FROM t");
    err("SELECT a FROM t;;");
    err("SELECT a FROM t; SELECT b FROM u");
}

// ---------------------------------------------------------------- query structure

#[test]
fn select_list_forms() {
    assert_eq!(canon("SELECT * FROM t"), "SELECT * FROM t");
    assert_eq!(
        canon("SELECT t.*, s.t.*, c.s.t.* FROM t"),
        "SELECT t.*, s.t.*, c.s.t.* FROM t"
    );
    assert_eq!(
        canon("SELECT a AS x, b y, c \"Z\" FROM t"),
        "SELECT a AS x, b AS y, c AS \"Z\" FROM t"
    );
    let e = err("SELECT *, x FROM t");
    assert_eq!(e.span().range(), 8..9);
    err("SELECT FROM t");
    err("SELECT a FROM");
    err("SELECT a");
}

#[test]
fn top_takes_an_unsigned_integer_literal() {
    assert_eq!(canon("SELECT TOP 0 a FROM t"), "SELECT TOP 0 a FROM t");
    assert_eq!(
        canon("SELECT DISTINCT TOP 10 a FROM t"),
        "SELECT DISTINCT TOP 10 a FROM t"
    );
    err("SELECT TOP -10 a FROM t");
    err("SELECT TOP 1.5 a FROM t");
    err("SELECT TOP n a FROM t");
    assert!(
        err("SELECT TOP 99999999999999999999999 a FROM t")
            .message()
            .contains("too large")
    );
}

#[test]
fn from_clause_forms() {
    assert_eq!(
        canon("SELECT a FROM t1, t2 AS b, c.s.t3"),
        "SELECT a FROM t1, t2 AS b, c.s.t3"
    );
    assert_eq!(
        canon("SELECT a FROM TAP_UPLOAD.mine"),
        "SELECT a FROM TAP_UPLOAD.mine"
    );
    assert_eq!(
        canon("SELECT a FROM t1 NATURAL JOIN t2"),
        "SELECT a FROM t1 NATURAL JOIN t2"
    );
    assert_eq!(
        canon("SELECT a FROM t1 INNER JOIN t2 ON t1.x = t2.x"),
        "SELECT a FROM t1 JOIN t2 ON t1.x = t2.x"
    );
    assert_eq!(
        canon("SELECT a FROM t1 LEFT JOIN t2 USING (x, y)"),
        "SELECT a FROM t1 LEFT OUTER JOIN t2 USING (x, y)"
    );
    assert_eq!(
        canon("SELECT a FROM t1 RIGHT OUTER JOIN t2 ON a=b"),
        "SELECT a FROM t1 RIGHT OUTER JOIN t2 ON a = b"
    );
    assert_eq!(
        canon("SELECT a FROM t1 NATURAL FULL JOIN t2"),
        "SELECT a FROM t1 NATURAL FULL OUTER JOIN t2"
    );
    assert_eq!(
        canon("select x from (t1 JOIN t4) FULL OUTER JOIN (t2 JOIN t3)"),
        "SELECT x FROM t1 JOIN t4 FULL OUTER JOIN (t2 JOIN t3)"
    );
    assert_eq!(
        canon("SELECT a FROM (SELECT b FROM u) AS q JOIN (SELECT c FROM v) w ON q.b = w.c"),
        "SELECT a FROM (SELECT b FROM u) AS q JOIN (SELECT c FROM v) AS w ON q.b = w.c"
    );
    // The BNF makes the join specification optional.
    assert_eq!(
        canon("SELECT a FROM t1 JOIN t2"),
        "SELECT a FROM t1 JOIN t2"
    );
    err("SELECT a FROM (SELECT b FROM u)");
    err("SELECT a FROM (t1)");
    err("SELECT a FROM t1 CROSS JOIN t2");
    err("SELECT a FROM t1 LEFT t2");
    assert!(err("SELECT a FROM a.b.c.d").message().contains("at most 3"));
    err("SELECT a FROM t1 NATURAL JOIN t2, t3 OUTER");
}

#[test]
fn column_references_have_up_to_four_parts() {
    assert_eq!(
        canon("SELECT c.s.t.x, s.t.x, t.x, x FROM t"),
        "SELECT c.s.t.x, s.t.x, t.x, x FROM t"
    );
    let e = err("select x.y.z.a.b from t");
    assert!(e.message().contains("at most 4"), "{}", e.message());
    let Expr::Column(c) = expr("s.t.x") else {
        panic!()
    };
    assert_eq!(
        c.table.as_ref().map(|t| t.to_string()),
        Some("s.t".to_owned())
    );
}

#[test]
fn where_group_by_having() {
    assert_eq!(
        canon("SELECT a, COUNT(*) FROM t WHERE b > 1 GROUP BY a, t.c, a + 1 HAVING COUNT(*) > 2"),
        "SELECT a, COUNT(*) FROM t WHERE b > 1 GROUP BY a, t.c, a + 1 HAVING COUNT(*) > 2"
    );
    err("SELECT a FROM t WHERE");
    err("SELECT a FROM t GROUP a");
    err("SELECT a FROM t HAVING a");
}

#[test]
fn order_by_and_offset() {
    assert_eq!(
        canon("SELECT a FROM t ORDER BY 1, t.a DESC, a + 1 ASC OFFSET 10"),
        "SELECT a FROM t ORDER BY 1, t.a DESC, a + 1 ASC OFFSET 10"
    );
    assert_eq!(
        canon("SELECT a FROM t OFFSET 0"),
        "SELECT a FROM t OFFSET 0"
    );
    err("SELECT a FROM t OFFSET -10");
    err("SELECT a FROM t OFFSET 10.5");
    err("SELECT a FROM t OFFSET 1 ORDER BY a");
}

#[test]
fn with_is_top_level_only() {
    assert_eq!(
        canon("WITH a AS (SELECT x FROM t), b AS (SELECT y FROM u) SELECT * FROM a, b"),
        "WITH a AS (SELECT x FROM t), b AS (SELECT y FROM u) SELECT * FROM a, b"
    );
    let e = err("SELECT * FROM (WITH a AS (SELECT x FROM t) SELECT * FROM a) AS q");
    assert!(e.message().contains("WITH"), "{}", e.message());
    err("SELECT a FROM t UNION WITH b AS (SELECT x FROM t) SELECT * FROM b");
    err("WITH a AS (WITH b AS (SELECT x FROM t) SELECT * FROM b) SELECT * FROM a");
}

#[test]
fn set_operations_follow_the_standard_precedence() {
    let q = parse("SELECT a FROM t UNION SELECT b FROM u INTERSECT SELECT c FROM v").unwrap();
    let SetExpr::SetOperation {
        op: SetOperator::Union,
        right,
        ..
    } = &q.body
    else {
        panic!("{q:?}")
    };
    assert!(matches!(
        **right,
        SetExpr::SetOperation {
            op: SetOperator::Intersect,
            ..
        }
    ));
    let q = parse("SELECT a FROM t EXCEPT SELECT b FROM u UNION ALL SELECT c FROM v").unwrap();
    let SetExpr::SetOperation {
        op: SetOperator::Union,
        all: true,
        left,
        ..
    } = &q.body
    else {
        panic!()
    };
    assert!(matches!(
        **left,
        SetExpr::SetOperation {
            op: SetOperator::Except,
            ..
        }
    ));
    assert_eq!(
        canon("(SELECT a FROM t UNION SELECT b FROM u) INTERSECT SELECT c FROM v"),
        "(SELECT a FROM t UNION SELECT b FROM u) INTERSECT SELECT c FROM v"
    );
    assert_eq!(
        canon("SELECT a FROM t EXCEPT (SELECT b FROM u EXCEPT SELECT c FROM v)"),
        "SELECT a FROM t EXCEPT (SELECT b FROM u EXCEPT SELECT c FROM v)"
    );
    // ORDER BY / OFFSET on an operand only inside parentheses; trailing ones apply to the whole set.
    assert_eq!(
        canon(
            "(SELECT TOP 10 a FROM t ORDER BY a ASC) UNION (SELECT TOP 10 a FROM t ORDER BY a DESC) ORDER BY 1"
        ),
        "(SELECT TOP 10 a FROM t ORDER BY a ASC) UNION (SELECT TOP 10 a FROM t ORDER BY a DESC) ORDER BY 1"
    );
    let q = parse("SELECT a FROM t UNION SELECT a FROM u ORDER BY a OFFSET 3").unwrap();
    assert!(matches!(q.body, SetExpr::SetOperation { .. }));
    assert_eq!((q.order_by.len(), q.offset), (1, Some(3)));
    err("SELECT a FROM t ORDER BY a UNION SELECT a FROM u");
    assert_eq!(
        canon("SELECT TOP 3 a FROM t UNION SELECT TOP 4 a FROM u"),
        "SELECT TOP 3 a FROM t UNION SELECT TOP 4 a FROM u"
    );
}

#[test]
fn subqueries() {
    assert_eq!(
        canon(
            "SELECT a FROM t WHERE a IN (SELECT b FROM u) AND NOT EXISTS (SELECT 1 FROM v WHERE v.c = t.a)"
        ),
        "SELECT a FROM t WHERE a IN (SELECT b FROM u) AND NOT EXISTS (SELECT 1 FROM v WHERE v.c = t.a)"
    );
    assert_eq!(
        canon("SELECT a FROM t WHERE a NOT IN (SELECT b FROM u UNION SELECT c FROM v)"),
        "SELECT a FROM t WHERE a NOT IN (SELECT b FROM u UNION SELECT c FROM v)"
    );
    let e = err("SELECT a FROM t WHERE a = (SELECT MAX(b) FROM u)");
    assert!(
        e.hint().unwrap_or_default().contains("scalar subqueries"),
        "{e:?}"
    );
}

// ---------------------------------------------------------------- predicates and expressions

#[test]
fn every_predicate() {
    for (text, printed) in [
        ("a = 1", "a = 1"),
        ("a != 1", "a != 1"),
        ("a <> 1", "a != 1"),
        ("a < 1", "a < 1"),
        ("a > 1", "a > 1"),
        ("a <= 1", "a <= 1"),
        ("a >= 1", "a >= 1"),
        ("a BETWEEN 1 AND 2", "a BETWEEN 1 AND 2"),
        (
            "a NOT BETWEEN 1 AND 2 AND b = 1",
            "a NOT BETWEEN 1 AND 2 AND b = 1",
        ),
        ("NOT a BETWEEN 1 AND 2", "NOT a BETWEEN 1 AND 2"),
        ("a IN (1, 2, 'x')", "a IN (1, 2, 'x')"),
        ("a NOT IN (1)", "a NOT IN (1)"),
        ("a LIKE 'x%'", "a LIKE 'x%'"),
        ("a NOT LIKE 'x%'", "a NOT LIKE 'x%'"),
        ("a ILIKE 'x%'", "a ILIKE 'x%'"),
        ("a NOT ILIKE 'x%'", "a NOT ILIKE 'x%'"),
        ("t.a IS NULL", "t.a IS NULL"),
        ("a IS NOT NULL", "a IS NOT NULL"),
        ("EXISTS (SELECT a FROM t)", "EXISTS (SELECT a FROM t)"),
        ("(a = 1)", "a = 1"),
        ("((a + 1) * 2 = b)", "(a + 1) * 2 = b"),
    ] {
        assert_eq!(
            canon(&format!("SELECT * FROM t WHERE {text}")),
            format!("SELECT * FROM t WHERE {printed}")
        );
    }
    err("SELECT * FROM t WHERE a IN ()");
    err("SELECT * FROM t WHERE a IN (1,)");
    err("SELECT * FROM t WHERE a BETWEEN 1");
    err("SELECT * FROM t WHERE a = b = c");
    err("SELECT * FROM t WHERE a NOT");
    assert!(
        err("SELECT * FROM t WHERE a + 1 IS NULL")
            .message()
            .contains("column reference")
    );
    err("SELECT * FROM t WHERE a");
    err("SELECT * FROM t WHERE a + b");
    err("SELECT a = b FROM t");
    err("SELECT * FROM t WHERE (a = 1) + 1 = 2");
    err("SELECT * FROM t WHERE a IS TRUE");
}

#[test]
fn boolean_operators_have_sql_precedence() {
    let q = parse("SELECT * FROM t WHERE a = 1 OR b = 2 AND NOT c = 3").unwrap();
    let SetExpr::Select(s) = &q.body else {
        panic!()
    };
    let Some(Expr::Binary {
        op: BinaryOp::Or,
        right,
        ..
    }) = &s.selection
    else {
        panic!()
    };
    let Expr::Binary {
        op: BinaryOp::And,
        right: not,
        ..
    } = &**right
    else {
        panic!()
    };
    assert!(matches!(
        **not,
        Expr::Unary {
            op: UnaryOp::Not,
            ..
        }
    ));
    assert_eq!(
        canon("SELECT * FROM t WHERE (a = 1 OR b = 2) AND c = 3"),
        "SELECT * FROM t WHERE (a = 1 OR b = 2) AND c = 3"
    );
    assert_eq!(
        canon("SELECT * FROM t WHERE NOT (a = 1 AND b = 2)"),
        "SELECT * FROM t WHERE NOT (a = 1 AND b = 2)"
    );
    assert_eq!(
        canon("SELECT * FROM t WHERE NOT NOT a = 1"),
        "SELECT * FROM t WHERE NOT NOT a = 1"
    );
}

#[test]
fn arithmetic_is_left_associative() {
    let Expr::Binary {
        left,
        op: BinaryOp::Minus,
        ..
    } = expr("a-1-2")
    else {
        panic!()
    };
    assert!(matches!(
        *left,
        Expr::Binary {
            op: BinaryOp::Minus,
            ..
        }
    ));
    assert_eq!(
        canon("SELECT a-1-2, a-(1-2), a/b/c, a/(b*c), (a+b)*c, a+b*c FROM t"),
        "SELECT a - 1 - 2, a - (1 - 2), a / b / c, a / (b * c), (a + b) * c, a + b * c FROM t"
    );
    assert_eq!(
        canon("SELECT -a*b, -(a*b), - -x, -+x, 1 - -2 FROM t"),
        "SELECT -a * b, -(a * b), -(-x), -(+x), 1 - -2 FROM t"
    );
    assert_eq!(
        canon("SELECT 'a' || b || 'c', 'a' || (b || 'c') FROM t"),
        "SELECT 'a' || b || 'c', 'a' || (b || 'c') FROM t"
    );
    assert_eq!(
        canon("SELECT '30' * 1323 FROM t"),
        "SELECT '30' * 1323 FROM t"
    );
}

#[test]
fn null_is_a_value_in_2_1() {
    assert_eq!(
        canon("SELECT NULL, NULL + 1, COALESCE(NULL, x) FROM t"),
        "SELECT NULL, NULL + 1, COALESCE(NULL, x) FROM t"
    );
    assert_eq!(
        canon("SELECT POINT(NULL, 2, 3) FROM t"),
        "SELECT POINT(NULL, 2, 3) FROM t"
    );
}

// ---------------------------------------------------------------- functions

#[test]
fn math_and_trig_functions_have_exact_arities() {
    assert_eq!(
        canon(
            "SELECT ABS(a), CEILING(a), DEGREES(a), EXP(a), FLOOR(a), LOG(a), LOG10(a), MOD(a, 2), PI(), \
               POWER(a, 2), RADIANS(a), RAND(), RAND(5), ROUND(a), ROUND(a, -2), ROUND(a, +1), SQRT(a), \
               TRUNCATE(a, 2), ACOS(a), ASIN(a), ATAN(a), ATAN2(a, b), COS(a), COT(a), SIN(a), TAN(a) FROM t"
        ),
        "SELECT ABS(a), CEILING(a), DEGREES(a), EXP(a), FLOOR(a), LOG(a), LOG10(a), MOD(a, 2), PI(), \
         POWER(a, 2), RADIANS(a), RAND(), RAND(5), ROUND(a), ROUND(a, -2), ROUND(a, +1), SQRT(a), \
         TRUNCATE(a, 2), ACOS(a), ASIN(a), ATAN(a), ATAN2(a, b), COS(a), COT(a), SIN(a), TAN(a) FROM t"
    );
    for bad in [
        "ABS()",
        "ABS(y, z)",
        "ATAN2(a)",
        "round(a,)",
        "ROUND(a, 1.5)",
        "ROUND(a, b)",
        "RAND(-1)",
        "RAND(a)",
        "RAND(1.5)",
        "PI",
        "PI(1)",
        "MOD(a)",
        "sum(a, b)",
        "COUNT()",
        "COUNT(DISTINCT *)",
    ] {
        err(&format!("SELECT {bad} FROM t"));
    }
}

#[test]
fn aggregates() {
    assert_eq!(
        canon(
            "SELECT COUNT(*), COUNT (*), COUNT(DISTINCT a), count(distinct(a)), AVG(ALL a), MIN(a), MAX(a), SUM(a + 1) FROM t"
        ),
        "SELECT COUNT(*), COUNT(*), COUNT(DISTINCT a), COUNT(DISTINCT a), AVG(ALL a), MIN(a), MAX(a), SUM(a + 1) FROM t"
    );
}

#[test]
fn optional_functions() {
    assert_eq!(
        canon(
            "SELECT LOWER(a), UPPER('x'), COALESCE(a), COALESCE(a, b, 1), IN_UNIT(a, 'deg') FROM t"
        ),
        "SELECT LOWER(a), UPPER('x'), COALESCE(a), COALESCE(a, b, 1), IN_UNIT(a, 'deg') FROM t"
    );
    err("SELECT COALESCE() FROM t");
    err("SELECT IN_UNIT(a, b) FROM t");
    err("SELECT IN_UNIT(a) FROM t");
}

#[test]
fn cast_targets() {
    assert_eq!(
        canon(
            "SELECT CAST(a AS SMALLINT), CAST(a AS INTEGER), CAST(a AS BIGINT), CAST(a AS REAL), \
               CAST(a AS DOUBLE PRECISION), CAST(a AS CHAR), CAST(a AS CHAR(3)), CAST(a AS VARCHAR), \
               CAST(a AS VARCHAR(20)), CAST(a AS TIMESTAMP), CAST('1 2' AS POINT), CAST(a AS CIRCLE), \
               CAST(a AS POLYGON), CAST(NULL AS VARCHAR) FROM t"
        ),
        "SELECT CAST(a AS SMALLINT), CAST(a AS INTEGER), CAST(a AS BIGINT), CAST(a AS REAL), \
         CAST(a AS DOUBLE PRECISION), CAST(a AS CHAR), CAST(a AS CHAR(3)), CAST(a AS VARCHAR), \
         CAST(a AS VARCHAR(20)), CAST(a AS TIMESTAMP), CAST('1 2' AS POINT), CAST(a AS CIRCLE), \
         CAST(a AS POLYGON), CAST(NULL AS VARCHAR) FROM t"
    );
    for bad in [
        "CAST(a AS FLOAT)",
        "CAST(a AS NULL)",
        "CAST(a AS DOUBLE)",
        "CAST(a INTEGER)",
        "CAST(a AS REGION)",
    ] {
        err(&format!("SELECT {bad} FROM t"));
    }
}

#[test]
fn geometry_functions() {
    assert_eq!(
        canon(
            "SELECT POINT('ICRS', 1, 2), POINT(ra, dec), CIRCLE('', 1, 2, 3), CIRCLE(1, 2, 3), CIRCLE(p, 3), \
               CIRCLE('ICRS', POINT(1, 2), 3), BOX(1, 2, 3, 4), BOX('fk5', p, 3, 4), \
               POLYGON(1, 2, 3, 4, 5, 6), POLYGON('ICRS', p, q, r), POLYGON(POINT(1, 2), POINT(3, 4), c), \
               REGION('Circle ICRS 1 2 3'), CENTROID(c), AREA(c), COORD1(p), COORD2(p), COORDSYS(p), \
               DISTANCE(p, q), DISTANCE(1, 2, 3, 4) FROM t"
        ),
        "SELECT POINT('ICRS', 1, 2), POINT(ra, dec), CIRCLE('', 1, 2, 3), CIRCLE(1, 2, 3), CIRCLE(p, 3), \
         CIRCLE('ICRS', POINT(1, 2), 3), BOX(1, 2, 3, 4), BOX('fk5', p, 3, 4), \
         POLYGON(1, 2, 3, 4, 5, 6), POLYGON('ICRS', p, q, r), POLYGON(POINT(1, 2), POINT(3, 4), c), \
         REGION('Circle ICRS 1 2 3'), CENTROID(c), AREA(c), COORD1(p), COORD2(p), COORDSYS(p), \
         DISTANCE(p, q), DISTANCE(1, 2, 3, 4) FROM t"
    );
    let Expr::Function(f) = expr("POINT('ICRS', 1, 2)") else {
        panic!()
    };
    assert_eq!(f.coord_sys.as_deref(), Some(&Expr::string("ICRS")));
    assert_eq!(f.args.len(), 2);
    assert_eq!(
        canon(
            "SELECT * FROM t WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 3)) AND INTERSECTS(a, b) = 0"
        ),
        "SELECT * FROM t WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 3)) AND INTERSECTS(a, b) = 0"
    );
    for bad in [
        "POINT(1)",
        "POINT(1, 2, 3)",
        "POINT(a, 'x', 1, 2)",
        "CIRCLE(1, 2)",
        "CIRCLE(1, 2, 3, 4, 5)",
        "POLYGON('fk5', 2, 3, 3, 0, 23, 0, 45)",
        "POLYGON(1, 2, 3, 4)",
        "POLYGON(POINT(1, 2), 3, 4)",
        "POLYGON(p, q)",
        "DISTANCE(p)",
        "DISTANCE(p, q, r)",
        "DISTANCE(1, 2)",
        "REGION(a)",
        "REGION('a' || 'b')",
        "POINT(1, 2) + 1",
        "'x' || POINT(1, 2)",
        "-POINT(1, 2)",
        "CONTAINS(p)",
    ] {
        err(&format!("SELECT {bad} FROM t"));
    }
    assert!(
        err("SELECT POINT(1, 2) || 'a' FROM t")
            .message()
            .contains("geometry")
    );
    // A geometry may be compared (no defined semantics, but grammatical).
    assert_eq!(
        canon("select x from y where Point(2,3)=x"),
        "SELECT x FROM y WHERE POINT(2, 3) = x"
    );
}

#[test]
fn user_defined_functions() {
    assert_eq!(
        canon("SELECT ivo_healpix_index(10, ra, dec), my_f() FROM t"),
        "SELECT ivo_healpix_index(10, ra, dec), my_f() FROM t"
    );
    assert_eq!(
        canon("SELECT * FROM t WHERE 1 = ivo_hashlist_has(lower(a), 'x')"),
        "SELECT * FROM t WHERE 1 = ivo_hashlist_has(LOWER(a), 'x')"
    );
    err("SELECT _foo(1) FROM t");
    err("SELECT \"foo\"(1) FROM t");
    let declared = ParseOptions {
        udfs: UdfPolicy::Declared(vec![
            "ivo_healpix_index(hpxOrder INTEGER, long REAL, lat REAL) -> BIGINT"
                .parse::<UdfSignature>()
                .unwrap(),
        ]),
        ..ParseOptions::default()
    };
    canon_with("SELECT IVO_HEALPIX_INDEX(10, ra, dec) FROM t", &declared);
    let e = err_with("SELECT my_undefined_function(ra, dec) FROM t", &declared);
    assert!(
        e.message()
            .contains("unknown function `my_undefined_function`"),
        "{}",
        e.message()
    );
    assert!(e.hint().unwrap_or_default().contains("ivo_healpix_index"));
    assert_eq!(e.span().range(), 7..28);
    let e = err_with("SELECT ivo_healpix_index(10, ra) FROM t", &declared);
    assert!(
        e.message().contains("takes 3 argument(s) but 2 were given"),
        "{}",
        e.message()
    );
    let none = ParseOptions {
        udfs: UdfPolicy::Declared(vec![]),
        ..ParseOptions::default()
    };
    assert!(
        err_with("SELECT f(1) FROM t", &none)
            .hint()
            .unwrap_or_default()
            .contains("no user-defined")
    );
    let no_udf = ParseOptions {
        features: FeatureSet::all().without(Feature::UserDefinedFunctions),
        ..ParseOptions::default()
    };
    err_with("SELECT f(1) FROM t", &no_udf);
}

// ---------------------------------------------------------------- versions, features, extensions

#[test]
fn adql_2_0_mode() {
    let opts = v20();
    canon_with(
        "SELECT TOP 5 a FROM t WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 1, 2, 3)) ORDER BY a DESC, 2",
        &opts,
    );
    canon_with(
        "SELECT BOX('ICRS', 1, 2, 3, 4), POLYGON('ICRS', 1, 2, 3, 4, 5, 6), DISTANCE(p, q) FROM t",
        &opts,
    );
    canon_with("SELECT a FROM t GROUP BY t.a", &opts);
    // OFFSET, ILIKE, IN_UNIT, BIGINT and COT are not reserved in 2.0 (the printer, which writes ADQL 2.1,
    // quotes them).
    let q = parse_with("SELECT offset, ilike, bigint FROM t", &opts).unwrap();
    assert_eq!(
        q.to_string(),
        r#"SELECT "offset", "ilike", "bigint" FROM t"#
    );
    for (text, what) in [
        ("WITH a AS (SELECT x FROM t) SELECT * FROM a", "WITH"),
        ("SELECT a FROM t UNION SELECT b FROM u", "UNION"),
        ("SELECT a FROM t EXCEPT SELECT b FROM u", "EXCEPT"),
        ("SELECT a FROM t INTERSECT SELECT b FROM u", "INTERSECT"),
        ("SELECT CAST(a AS INTEGER) FROM t", "CAST"),
        ("SELECT COALESCE(a, 1) FROM t", "COALESCE"),
        ("SELECT IN_UNIT(a, 'm') FROM t", "IN_UNIT"),
        ("SELECT LOWER(a) FROM t", "LOWER"),
        ("SELECT UPPER(a) FROM t", "UPPER"),
        ("SELECT a FROM t WHERE a ILIKE 'x'", "ILIKE"),
        ("SELECT a FROM t OFFSET 10", "OFFSET"),
        ("SELECT NULL FROM t", "NULL"),
    ] {
        let e = err_with(text, &opts);
        assert_eq!(
            e.message(),
            format!(
                "{what}{} is not supported in ADQL 2.0",
                if what == "NULL" { " as a value" } else { "" }
            ),
            "{text}"
        );
    }
    for text in [
        "SELECT DISTANCE(1, 2, 3, 4) FROM t",
        "SELECT POINT(1, 2) FROM t",
        "SELECT CIRCLE('ICRS', p, 3) FROM t",
        "SELECT BOX('ICRS', p, 3, 4) FROM t",
        "SELECT POLYGON('ICRS', p, q, r) FROM t",
        "SELECT a FROM t ORDER BY a + 1",
        "SELECT a FROM t ORDER BY t.a",
        "SELECT a FROM t GROUP BY a + 1",
    ] {
        err_with(text, &opts);
    }
    assert!(crate::is_reserved("offset", AdqlVersion::V2_1));
    assert!(
        err("SELECT offset FROM t")
            .hint()
            .unwrap_or_default()
            .contains("reserved")
    );
}

#[test]
fn features_switch_off_one_by_one() {
    let without = |f: Feature| ParseOptions {
        features: FeatureSet::all().without(f),
        ..ParseOptions::default()
    };
    for (feature, text) in [
        (Feature::Union, "SELECT a FROM t UNION SELECT b FROM u"),
        (Feature::Except, "SELECT a FROM t EXCEPT SELECT b FROM u"),
        (
            Feature::Intersect,
            "SELECT a FROM t INTERSECT SELECT b FROM u",
        ),
        (Feature::With, "WITH a AS (SELECT x FROM t) SELECT * FROM a"),
        (Feature::Cast, "SELECT CAST(a AS INTEGER) FROM t"),
        (Feature::Coalesce, "SELECT COALESCE(a) FROM t"),
        (Feature::InUnit, "SELECT IN_UNIT(a, 'm') FROM t"),
        (Feature::Offset, "SELECT a FROM t OFFSET 1"),
        (Feature::Lower, "SELECT LOWER(a) FROM t"),
        (Feature::Upper, "SELECT UPPER(a) FROM t"),
        (Feature::Ilike, "SELECT a FROM t WHERE a ILIKE 'x'"),
        (Feature::Point, "SELECT POINT(1, 2) FROM t"),
        (Feature::Circle, "SELECT CIRCLE(1, 2, 3) FROM t"),
        (Feature::Box, "SELECT BOX(1, 2, 3, 4) FROM t"),
        (Feature::Polygon, "SELECT POLYGON(1, 2, 3, 4, 5, 6) FROM t"),
        (Feature::Region, "SELECT REGION('x') FROM t"),
        (Feature::Contains, "SELECT CONTAINS(a, b) FROM t"),
        (Feature::Intersects, "SELECT INTERSECTS(a, b) FROM t"),
        (Feature::Distance, "SELECT DISTANCE(a, b) FROM t"),
        (Feature::Area, "SELECT AREA(a) FROM t"),
        (Feature::Centroid, "SELECT CENTROID(a) FROM t"),
        (Feature::Coord1, "SELECT COORD1(a) FROM t"),
        (Feature::Coord2, "SELECT COORD2(a) FROM t"),
        (Feature::Coordsys, "SELECT COORDSYS(a) FROM t"),
        (Feature::UserDefinedFunctions, "SELECT f(a) FROM t"),
    ] {
        assert!(parse(text).is_ok(), "{text}");
        let e = err_with(text, &without(feature));
        assert!(
            e.message().contains("not supported by this service"),
            "{text}: {}",
            e.message()
        );
        assert!(
            e.hint().unwrap_or_default().contains(feature.type_ivoid()),
            "{text}"
        );
    }
    // A service declaring only UNION among the set operators.
    let decl =
        FeatureSet::from_tapregext([("ivo://ivoa.net/std/TAPRegExt#features-adql-sets", "UNION")]);
    let opts = ParseOptions {
        features: decl,
        ..ParseOptions::default()
    };
    canon_with("SELECT a FROM t UNION SELECT b FROM u", &opts);
    err_with("SELECT a FROM t EXCEPT SELECT b FROM u", &opts);
    err_with("SELECT POINT(1, 2) FROM t", &opts);
    let core = ParseOptions {
        features: FeatureSet::none(),
        ..ParseOptions::default()
    };
    canon_with(
        "SELECT TOP 1 a, ABS(b) FROM t WHERE a LIKE 'x' ORDER BY 1",
        &core,
    );
}

#[test]
fn extensions_are_off_by_default() {
    let ext = ParseOptions {
        extensions: Extensions {
            hex_literals: true,
            bitwise_operators: true,
        },
        ..ParseOptions::default()
    };
    assert_eq!(
        canon_with(
            "SELECT 0x1F, a & 0xff, a | b ^ c, ~a FROM t WHERE (flags & 4) = 4",
            &ext
        ),
        "SELECT 0x1F, a & 0xff, a | b ^ c, ~a FROM t WHERE flags & 4 = 4"
    );
    // Bitwise operators bind tighter than comparisons (unlike C).
    let q = parse_with("SELECT a FROM t WHERE flags & 4 = 4", &ext).unwrap();
    let SetExpr::Select(s) = &q.body else {
        panic!()
    };
    assert!(matches!(
        &s.selection,
        Some(Expr::Binary {
            op: BinaryOp::Eq,
            ..
        })
    ));
    assert!(hint("SELECT a FROM t WHERE a = 0x1F").contains("hex_literals"));
    assert!(hint("SELECT a FROM t WHERE (flags & 4) = 4").contains("bitwise_operators"));
    assert!(hint("SELECT ~a FROM t").contains("bitwise_operators"));
    // Without the extension `0x1F` in a select list is `0 AS x1F`, as the standard says.
    assert_eq!(canon("SELECT 0x1F FROM t"), "SELECT 0 AS x1F FROM t");
}

// ---------------------------------------------------------------- diagnostics

#[test]
fn errors_point_at_the_farthest_failure() {
    let e = err("SELECT FROM t");
    assert_eq!(e.span().range(), 7..11);
    assert_eq!(
        e.message(),
        "expected an expression, `ALL`, `DISTINCT`, `TOP` or `*`, found `FROM`"
    );
    assert_eq!(
        e.expected(),
        ["an expression", "`ALL`", "`DISTINCT`", "`TOP`", "`*`"]
    );
    assert!(e.expected().iter().any(|x| x == "an expression"));
    let e = err("SELECT a FROM t WHERE a = 1 ORDER BY");
    assert_eq!(e.span().range(), 36..36);
    assert!(
        e.message().ends_with("found end of input"),
        "{}",
        e.message()
    );
    let e = err("SELECT a, b c d FROM t");
    assert_eq!(e.span().range(), 14..15);
    let e = err("SELECT a FROM t WHERE x IN (1, 2,)");
    assert_eq!(e.span().range(), 33..34);
    assert!(e.expected().iter().any(|x| x == "an expression"));
}

#[test]
fn errors_carry_line_column_span_and_help() {
    let text = "SELECT a\n  FROM t\n WHERE LIMIT 10";
    let e = err(text);
    // `LIMIT` is read as a column name; the error is at `10`.
    assert_eq!(e.line_col(text), (3, 14));
    assert!(e.message().starts_with("expected"), "{e}");
    assert_eq!(&text[e.span().range()], "10");
    assert!(
        e.hint().is_some_and(|h| h.contains("ADQL has no LIMIT")),
        "{e}"
    );
}

#[test]
fn hints_for_common_mistakes() {
    assert!(hint("SELECT a FROM t LIMIT 10").contains("SELECT TOP n"));
    assert!(hint("SELECT *, x FROM t").contains("whole select list"));
    assert!(hint("SELECT \"\" FROM t").contains("at least one character"));
    assert!(hint("SELECT a FROM t WHERE x > 0 LIMIT 10").contains("SELECT TOP n"));
    assert!(
        hint("SELECT a FROM t WHERE CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 3))")
            .contains("1 = CONTAINS")
    );
    assert!(hint("SELECT a FROM t WHERE INTERSECTS(a, b) AND b = 1").contains("1 = INTERSECTS"));
    assert!(hint("SELECT size FROM t").contains("\"size\""));
    // A reserved function name read as the start of a call (the user guide's first hint).
    assert!(
        hint("SELECT distance FROM t").contains("write it between double quotes: \"distance\"")
    );
    assert!(hint("SELECT ra, area FROM t").contains("\"area\""));
    assert!(hint("SELECT a FROM t WHERE point > 1").contains("\"point\""));
    assert!(hint("SELECT a FROM t WHERE date > 1").contains("\"date\""));
    assert!(hint("SELECT a FROM user").contains("\"user\""));
    assert!(hint("SELECT a FROM t WHERE b = ‘x’").contains("straight quotes"));
    assert!(hint("SELECT “a” FROM t").contains("straight quotes"));
    assert!(hint("SELECT a FROM t WHERE a == 1").contains("`=`"));
    assert!(hint("SELECT a FROM t WHERE a =< 1").contains("`<=`"));
    assert!(hint("SELECT a FROM t WHERE a ! 1").contains("<>"));
    assert!(hint("SELECT a % 2 FROM t").contains("MOD"));
    assert!(hint("SELECT _raj2000 FROM t").contains("\"_raj2000\""));
    assert!(hint("SELECT a FROM 2mass").contains("\"2mass\""));
    assert!(
        hint("SELECT a FROM t WHERE b IN (1, 2) AND c = (SELECT d FROM u)")
            .contains("scalar subqueries")
    );
    assert!(hint("SELECT a FROM t WHERE b = `x`").contains("straight quotes"));
    assert!(hint("SELECT a FROM t WHERE b = 'é' AND c = ¬1").contains("not an ADQL character"));
}

#[test]
fn unterminated_quotes_point_at_the_opening_quote() {
    let text = "SELECT a FROM t WHERE b = 'abc";
    let e = err(text);
    assert_eq!(e.message(), "unterminated string literal");
    assert_eq!(e.span().start, 26);
    assert!(e.hint().unwrap_or_default().contains("''"));
    let e = err("SELECT \"abc FROM t");
    assert_eq!(e.message(), "unterminated delimited identifier");
    assert_eq!(e.span().start, 7);
}

#[test]
fn depth_limit_is_an_error() {
    let opts = ParseOptions {
        max_depth: 3,
        ..ParseOptions::default()
    };
    canon_with("SELECT ((a)) FROM t", &opts);
    let e = err_with("SELECT ((((a)))) FROM t", &opts);
    assert!(
        e.message().contains("more than 3 levels"),
        "{}",
        e.message()
    );
    assert_eq!(e.span().start, 10);
}

// ---------------------------------------------------------------- spans and built trees

#[test]
fn nodes_carry_spans() {
    let text = "SELECT g.ra AS r, 1 + x FROM gaia.src AS g WHERE g.ra > 10";
    let q = parse(text).unwrap();
    assert_eq!(q.span.range(), 0..text.len());
    let SetExpr::Select(s) = &q.body else {
        panic!()
    };
    let SelectList::Items(items) = &s.items else {
        panic!()
    };
    assert_eq!(&text[items[0].span().range()], "g.ra AS r");
    let SelectItem::Expr { expr, .. } = &items[1] else {
        panic!()
    };
    assert_eq!(&text[expr.span().range()], "1 + x");
    assert_eq!(&text[s.from[0].span().range()], "gaia.src AS g");
    let Some(cond) = &s.selection else { panic!() };
    assert_eq!(&text[cond.span().range()], "g.ra > 10");
}

#[test]
fn built_trees_print_and_parse_back() {
    let select = Select::new(
        SelectList::Items(vec![
            SelectItem::aliased(Expr::column(["g", "ra"]), "ra"),
            SelectItem::expr(Expr::call(
                BuiltinFunction::Distance,
                vec![
                    Expr::call(
                        BuiltinFunction::Point,
                        vec![Expr::column(["g", "ra"]), Expr::column(["g", "dec"])],
                    ),
                    Expr::call(
                        BuiltinFunction::Point,
                        vec![Expr::number("10.5").unwrap(), Expr::integer(20)],
                    ),
                ],
            )),
        ]),
        vec![TableRef::aliased(
            TableName::from_parts(["gaiadr3", "gaia_source"]).unwrap(),
            "g",
        )],
    )
    .with_top(100)
    .filter(Expr::column(["size"]).binary(BinaryOp::Lt, Expr::integer(3)));
    let q = Query::select(select).order_by(OrderByItem::new(Expr::integer(2), None));
    let text = q.to_string();
    assert_eq!(
        text,
        "SELECT TOP 100 g.ra AS ra, DISTANCE(POINT(g.ra, g.dec), POINT(10.5, 20)) FROM gaiadr3.gaia_source AS g \
         WHERE \"size\" < 3 ORDER BY 2"
    );
    assert_eq!(parse(&text).unwrap(), q);
}

#[test]
fn visitors_collect_tables_and_columns() {
    struct Collect(Vec<String>, Vec<String>, Vec<String>);
    impl Visitor for Collect {
        fn visit_table_name(&mut self, name: &TableName) {
            self.0.push(name.to_string());
        }
        fn visit_column(&mut self, column: &ColumnRef) {
            self.1.push(column.to_string());
        }
        fn visit_function(&mut self, function: &Function) {
            self.2.push(function.name.to_string());
        }
    }
    let q = parse(
        "WITH w AS (SELECT a FROM s.t) SELECT x.b, ivo_f(c) FROM w JOIN u AS x ON w.a = x.a \
         WHERE EXISTS (SELECT 1 FROM v WHERE v.d = x.b) ORDER BY ABS(e)",
    )
    .unwrap();
    let mut c = Collect(vec![], vec![], vec![]);
    c.visit_query(&q);
    assert_eq!(c.0, ["s.t", "w", "u", "v"]);
    assert_eq!(c.1, ["a", "w.a", "x.a", "x.b", "c", "v.d", "x.b", "e"]);
    assert_eq!(c.2, ["ivo_f", "ABS"]);

    struct Upper;
    impl VisitorMut for Upper {
        fn visit_column(&mut self, column: &mut ColumnRef) {
            column.column.value.make_ascii_uppercase();
        }
    }
    let mut q = parse("SELECT a, t.b FROM t WHERE c = 1").unwrap();
    Upper.visit_query(&mut q);
    assert_eq!(q.to_string(), "SELECT A, t.B FROM t WHERE C = 1");
}
