//! Property test: every syntax tree the generator builds prints as ADQL that parses back to the same tree,
//! and printing is idempotent. The generator covers every node kind, nested a few levels deep.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use adql_syntax::ast::*;
use adql_syntax::{AdqlVersion, is_reserved, parse};
use proptest::prelude::*;

type Strat<T> = BoxedStrategy<T>;

fn regular_name() -> Strat<String> {
    "[a-zA-Z][a-zA-Z0-9_]{0,6}"
        .prop_filter("not reserved", |s| !is_reserved(s, AdqlVersion::V2_1))
        .boxed()
}

fn ident() -> Strat<Ident> {
    prop_oneof![
        4 => regular_name().prop_map(Ident::new),
        1 => "[ -~é\"]{1,8}".prop_map(Ident::quoted),
    ]
    .boxed()
}

fn table_name() -> Strat<TableName> {
    (
        proptest::option::of(ident()),
        proptest::option::of(ident()),
        ident(),
    )
        .prop_map(|(catalog, schema, name)| TableName {
            catalog: if schema.is_some() { catalog } else { None },
            schema,
            name,
            span: Span::EMPTY,
        })
        .boxed()
}

fn column() -> Strat<Expr> {
    (proptest::option::of(table_name()), ident())
        .prop_map(|(table, column)| {
            Expr::Column(ColumnRef {
                table: table.map(Box::new),
                column,
                span: Span::EMPTY,
            })
        })
        .boxed()
}

fn number() -> Strat<Expr> {
    prop_oneof![
        (0u64..100_000).prop_map(|n| n.to_string()),
        (0u32..1000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        (0u32..1000).prop_map(|a| format!("{a}.")),
        (0u32..1000).prop_map(|b| format!(".{b}")),
        (
            0u32..100,
            0u32..100,
            prop_oneof![Just(""), Just("-"), Just("+")],
            prop_oneof![Just("e"), Just("E")]
        )
            .prop_map(|(a, e, s, x)| format!("{a}.{e}{x}{s}{e}")),
    ]
    .prop_map(|t| Expr::number(&t).unwrap())
    .boxed()
}

fn string() -> Strat<Expr> {
    "[ -~\n'é]{0,10}".prop_map(Expr::string).boxed()
}

fn leaf() -> Strat<Expr> {
    prop_oneof![4 => column(), 3 => number(), 2 => string(), 1 => Just(Expr::null()), 1 => Just(Expr::CountStar(Span::EMPTY))]
        .boxed()
}

/// A numeric operand that is certainly not a geometry nor a string/NULL literal (for geometry arguments,
/// where a leading literal would be taken for the coordinate system).
fn coordinate() -> Strat<Expr> {
    prop_oneof![column(), number()].boxed()
}

fn point() -> Strat<Expr> {
    (
        proptest::option::of(string_lit()),
        coordinate(),
        coordinate(),
    )
        .prop_map(|(cs, x, y)| geometry(BuiltinFunction::Point, cs, vec![x, y]))
        .boxed()
}

fn string_lit() -> Strat<Expr> {
    prop_oneof![Just("ICRS"), Just(""), Just("fk5"), Just("GALACTIC")]
        .prop_map(Expr::string)
        .boxed()
}

fn geometry(name: BuiltinFunction, cs: Option<Expr>, args: Vec<Expr>) -> Expr {
    let mut f = Function::builtin(name, args);
    f.coord_sys = cs.map(Box::new);
    Expr::Function(f)
}

fn geometry_value() -> Strat<Expr> {
    let cs = || proptest::option::of(string_lit());
    prop_oneof![
        point(),
        (cs(), coordinate(), coordinate(), coordinate()).prop_map(|(cs, x, y, r)| geometry(
            BuiltinFunction::Circle,
            cs,
            vec![x, y, r]
        )),
        (cs(), point(), coordinate()).prop_map(|(cs, p, r)| geometry(
            BuiltinFunction::Circle,
            cs,
            vec![p, r]
        )),
        (cs(), coordinate(), coordinate(), coordinate(), coordinate())
            .prop_map(|(cs, x, y, w, h)| geometry(BuiltinFunction::Box, cs, vec![x, y, w, h])),
        (cs(), proptest::collection::vec(coordinate(), 3..5)).prop_map(|(cs, v)| {
            let args = v.iter().flat_map(|e| [e.clone(), e.clone()]).collect();
            geometry(BuiltinFunction::Polygon, cs, args)
        }),
        (cs(), proptest::collection::vec(point(), 3..5)).prop_map(|(cs, v)| geometry(
            BuiltinFunction::Polygon,
            cs,
            v
        )),
        "[A-Za-z0-9 ]{0,20}"
            .prop_map(|s| Expr::call(BuiltinFunction::Region, vec![Expr::string(s)])),
        point().prop_map(|p| Expr::call(BuiltinFunction::Centroid, vec![p])),
    ]
    .boxed()
}

/// Value expressions up to `depth` levels of operators and calls.
fn value(depth: u32) -> Strat<Expr> {
    if depth == 0 {
        return leaf();
    }
    let inner = value(depth - 1);
    let v = || inner.clone();
    let arith = prop_oneof![
        Just(BinaryOp::Plus),
        Just(BinaryOp::Minus),
        Just(BinaryOp::Multiply),
        Just(BinaryOp::Divide),
        Just(BinaryOp::Concat)
    ];
    let one_arg = prop_oneof![
        Just(BuiltinFunction::Abs),
        Just(BuiltinFunction::Ceiling),
        Just(BuiltinFunction::Degrees),
        Just(BuiltinFunction::Exp),
        Just(BuiltinFunction::Floor),
        Just(BuiltinFunction::Log),
        Just(BuiltinFunction::Log10),
        Just(BuiltinFunction::Radians),
        Just(BuiltinFunction::Sqrt),
        Just(BuiltinFunction::Acos),
        Just(BuiltinFunction::Asin),
        Just(BuiltinFunction::Atan),
        Just(BuiltinFunction::Cos),
        Just(BuiltinFunction::Cot),
        Just(BuiltinFunction::Sin),
        Just(BuiltinFunction::Tan),
        Just(BuiltinFunction::Lower),
        Just(BuiltinFunction::Upper),
    ];
    let two_args = prop_oneof![
        Just(BuiltinFunction::Mod),
        Just(BuiltinFunction::Power),
        Just(BuiltinFunction::Atan2)
    ];
    let aggregate = prop_oneof![
        Just(BuiltinFunction::Count),
        Just(BuiltinFunction::Avg),
        Just(BuiltinFunction::Min),
        Just(BuiltinFunction::Max),
        Just(BuiltinFunction::Sum)
    ];
    let geo_fn = prop_oneof![
        Just(BuiltinFunction::Area),
        Just(BuiltinFunction::Coord1),
        Just(BuiltinFunction::Coord2),
        Just(BuiltinFunction::Coordsys)
    ];
    let cast_type = prop_oneof![
        Just(AdqlType::Smallint),
        Just(AdqlType::Integer),
        Just(AdqlType::Bigint),
        Just(AdqlType::Real),
        Just(AdqlType::DoublePrecision),
        Just(AdqlType::Timestamp),
        Just(AdqlType::Point),
        Just(AdqlType::Circle),
        Just(AdqlType::Polygon),
        proptest::option::of(1u64..300).prop_map(|n| AdqlType::Char(n.map(TypeLength::Fixed))),
        proptest::option::of(1u64..300).prop_map(|n| AdqlType::Varchar(n.map(TypeLength::Fixed))),
    ];
    let udf_name = "(ivo|gavo|my)_[a-z]{1,6}".prop_map(Ident::new);
    let geometry = geometry_value();
    prop_oneof![
        3 => leaf(),
        3 => (v(), arith, v()).prop_map(|(l, op, r)| l.binary(op, r)),
        1 => (prop_oneof![Just(UnaryOp::Minus), Just(UnaryOp::Plus)], v()).prop_map(|(op, e)| Expr::unary(op, e)),
        1 => (one_arg, v()).prop_map(|(f, e)| Expr::call(f, vec![e])),
        1 => (two_args, v(), v()).prop_map(|(f, a, b)| Expr::call(f, vec![a, b])),
        1 => Just(Expr::call(BuiltinFunction::Pi, vec![])),
        1 => proptest::option::of(0u64..1000).prop_map(|s| Expr::call(BuiltinFunction::Rand, s.map(Expr::integer).into_iter().collect())),
        1 => (prop_oneof![Just(BuiltinFunction::Round), Just(BuiltinFunction::Truncate)], v(), proptest::option::of((any::<bool>(), 0u64..10)))
            .prop_map(|(f, x, n)| {
                let mut args = vec![x];
                if let Some((neg, n)) = n {
                    args.push(if neg { Expr::unary(UnaryOp::Minus, Expr::integer(n)) } else { Expr::integer(n) });
                }
                Expr::call(f, args)
            }),
        1 => (aggregate, proptest::option::of(prop_oneof![Just(SetQuantifier::All), Just(SetQuantifier::Distinct)]), v())
            .prop_map(|(f, q, e)| {
                let mut func = Function::builtin(f, vec![e]);
                func.quantifier = q;
                Expr::Function(func)
            }),
        1 => proptest::collection::vec(v(), 1..4).prop_map(|a| Expr::call(BuiltinFunction::Coalesce, a)),
        1 => (v(), "[a-z/]{1,5}").prop_map(|(e, u)| Expr::call(BuiltinFunction::InUnit, vec![e, Expr::string(u)])),
        1 => (v(), cast_type).prop_map(|(e, t)| Expr::Cast { expr: Box::new(e), target: t, span: Span::EMPTY }),
        1 => (udf_name, proptest::collection::vec(v(), 0..3)).prop_map(|(n, a)| Expr::Function(Function::udf(n, a))),
        1 => (geo_fn, geometry.clone()).prop_map(|(f, g)| Expr::call(f, vec![g])),
        1 => (prop_oneof![Just(BuiltinFunction::Contains), Just(BuiltinFunction::Intersects)], geometry.clone(), geometry)
            .prop_map(|(f, a, b)| Expr::call(f, vec![a, b])),
        1 => (point(), point()).prop_map(|(a, b)| Expr::call(BuiltinFunction::Distance, vec![a, b])),
        1 => proptest::collection::vec(coordinate(), 4).prop_map(|a| Expr::call(BuiltinFunction::Distance, a)),
    ]
    .boxed()
}

fn condition(depth: u32, query_depth: u32) -> Strat<Expr> {
    let values = value(depth.min(2));
    let v = || values.clone();
    let geometry = geometry_value();
    let comparison = prop_oneof![
        Just(BinaryOp::Eq),
        Just(BinaryOp::NotEq),
        Just(BinaryOp::Lt),
        Just(BinaryOp::LtEq),
        Just(BinaryOp::Gt),
        Just(BinaryOp::GtEq)
    ];
    let predicate = prop_oneof![
        4 => (v(), comparison, v()).prop_map(|(l, op, r)| l.binary(op, r)),
        1 => (geometry.clone(), geometry).prop_map(|(a, b)| a.eq(b)),
        1 => (v(), any::<bool>(), v(), v()).prop_map(|(e, negated, low, high)| Expr::Between {
            expr: Box::new(e), negated, low: Box::new(low), high: Box::new(high), span: Span::EMPTY }),
        1 => (v(), any::<bool>(), proptest::collection::vec(v(), 1..4)).prop_map(|(e, negated, list)| Expr::InList {
            expr: Box::new(e), negated, list, span: Span::EMPTY }),
        1 => (v(), any::<bool>(), any::<bool>(), v()).prop_map(|(e, negated, case_insensitive, p)| Expr::Like {
            expr: Box::new(e), negated, case_insensitive, pattern: Box::new(p), span: Span::EMPTY }),
        1 => (column(), any::<bool>()).prop_map(|(c, negated)| Expr::IsNull { expr: Box::new(c), negated, span: Span::EMPTY }),
    ]
    .boxed();
    let predicate = if query_depth > 0 {
        let sub = query(query_depth - 1, false);
        prop_oneof![
            6 => predicate,
            1 => sub.clone().prop_map(|q| Expr::Exists { subquery: Box::new(q), span: Span::EMPTY }),
            1 => (v(), any::<bool>(), sub).prop_map(|(e, negated, q)| Expr::InSubquery {
                expr: Box::new(e), negated, subquery: Box::new(q), span: Span::EMPTY }),
        ]
        .boxed()
    } else {
        predicate
    };
    if depth == 0 {
        return predicate;
    }
    let inner = condition(depth - 1, query_depth);
    let c = || inner.clone();
    prop_oneof![
        2 => predicate,
        1 => (c(), c()).prop_map(|(a, b)| a.and(b)),
        1 => (c(), c()).prop_map(|(a, b)| a.or(b)),
        1 => c().prop_map(|e| Expr::unary(UnaryOp::Not, e)),
    ]
    .boxed()
}

fn table_ref(depth: u32, query_depth: u32) -> Strat<TableRef> {
    let table = (table_name(), proptest::option::of(ident()))
        .prop_map(|(name, alias)| TableRef::Table {
            name,
            alias,
            span: Span::EMPTY,
        })
        .boxed();
    let primary = if query_depth > 0 {
        prop_oneof![
            4 => table,
            1 => (query(query_depth - 1, false), ident())
                .prop_map(|(q, alias)| TableRef::Derived { subquery: Box::new(q), alias, span: Span::EMPTY }),
        ]
        .boxed()
    } else {
        table
    };
    if depth == 0 {
        return primary;
    }
    let inner = table_ref(depth - 1, query_depth);
    let kind = prop_oneof![
        Just(JoinKind::Inner),
        Just(JoinKind::Left),
        Just(JoinKind::Right),
        Just(JoinKind::Full)
    ];
    let constraint = prop_oneof![
        Just(None),
        condition(1, 0).prop_map(|c| Some(JoinConstraint::On(c))),
        proptest::collection::vec(ident(), 1..3).prop_map(|c| Some(JoinConstraint::Using(c))),
    ];
    prop_oneof![
        2 => primary,
        1 => (inner.clone(), inner, kind, any::<bool>(), constraint)
            .prop_map(|(left, right, kind, natural, constraint)| TableRef::Join(Box::new(Join {
                left, right, kind, natural, constraint: if natural { None } else { constraint }, span: Span::EMPTY,
            }))),
    ]
    .boxed()
}

fn select(query_depth: u32) -> Strat<Select> {
    let item = prop_oneof![
        5 => (value(2), proptest::option::of(ident())).prop_map(|(expr, alias)| SelectItem::Expr { expr, alias, span: Span::EMPTY }),
        1 => (geometry_value(), proptest::option::of(ident())).prop_map(|(expr, alias)| SelectItem::Expr { expr, alias, span: Span::EMPTY }),
        1 => table_name().prop_map(|qualifier| SelectItem::QualifiedWildcard { qualifier, span: Span::EMPTY }),
    ];
    let items = prop_oneof![
        1 => Just(SelectList::Wildcard(Span::EMPTY)),
        4 => proptest::collection::vec(item, 1..4).prop_map(SelectList::Items),
    ];
    (
        proptest::option::of(prop_oneof![
            Just(SetQuantifier::All),
            Just(SetQuantifier::Distinct)
        ]),
        proptest::option::of(0u64..1000),
        items,
        proptest::collection::vec(table_ref(2, query_depth), 1..3),
        proptest::option::of(condition(2, query_depth)),
        proptest::collection::vec(value(1), 0..3),
        proptest::option::of(condition(1, 0)),
    )
        .prop_map(
            |(quantifier, top, items, from, selection, group_by, having)| Select {
                quantifier,
                top,
                items,
                from,
                selection,
                group_by,
                having,
                span: Span::EMPTY,
            },
        )
        .boxed()
}

fn order_item() -> Strat<OrderByItem> {
    (
        prop_oneof![1 => (1u64..10).prop_map(Expr::integer), 2 => column(), 1 => value(1)],
        proptest::option::of(prop_oneof![
            Just(OrderDirection::Asc),
            Just(OrderDirection::Desc)
        ]),
    )
        .prop_map(|(e, d)| OrderByItem::new(e, d))
        .boxed()
}

fn set_expr(depth: u32, query_depth: u32) -> Strat<SetExpr> {
    let sel = select(query_depth)
        .prop_map(|s| SetExpr::Select(Box::new(s)))
        .boxed();
    if depth == 0 {
        return sel;
    }
    let inner = set_expr(depth - 1, query_depth);
    let op = prop_oneof![
        Just(SetOperator::Union),
        Just(SetOperator::Except),
        Just(SetOperator::Intersect)
    ];
    // A parenthesised operand only stays in the tree when it scopes an ORDER BY or OFFSET.
    let scoped = (
        inner.clone(),
        proptest::collection::vec(order_item(), 0..2),
        proptest::option::of(0u64..50),
    )
        .prop_filter("scopes something", |(_, o, off)| {
            !o.is_empty() || off.is_some()
        })
        .prop_map(|(body, order_by, offset)| {
            SetExpr::Query(Box::new(Query {
                with: vec![],
                body,
                order_by,
                offset,
                span: Span::EMPTY,
            }))
        });
    prop_oneof![
        3 => sel,
        2 => (inner.clone(), op, any::<bool>(), inner)
            .prop_map(|(l, op, all, r)| l.combine(op, all, r)),
        1 => scoped,
    ]
    .boxed()
}

/// A query; `top` allows a WITH clause.
fn query(query_depth: u32, top: bool) -> Strat<Query> {
    let with = if top && query_depth > 0 {
        proptest::collection::vec(
            (ident(), query(query_depth - 1, false)).prop_map(|(name, q)| Cte {
                name,
                query: Box::new(q),
                span: Span::EMPTY,
            }),
            0..2,
        )
        .boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (
        with,
        set_expr(1, query_depth),
        proptest::collection::vec(order_item(), 0..3),
        proptest::option::of(0u64..100),
    )
        .prop_map(|(with, body, order_by, offset)| Query {
            with,
            body,
            order_by,
            offset,
            span: Span::EMPTY,
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn printed_trees_parse_back(tree in query(2, true)) {
        let printed = tree.to_string();
        let parsed = parse(&printed).map_err(|e| TestCaseError::fail(format!("printed at {:?}: {e}", e.line_col(&printed))))?;
        prop_assert_eq!(&parsed, &tree, "printed as {}", printed);
        prop_assert_eq!(parsed.to_string(), printed);
        let pretty = format!("{tree:#}");
        let parsed = parse(&pretty).map_err(|e| TestCaseError::fail(format!("pretty at {:?}: {e}", e.line_col(&pretty))))?;
        prop_assert_eq!(&parsed, &tree, "pretty-printed as {}", pretty);
    }

    #[test]
    fn value_expressions_round_trip(e in value(4)) {
        let tree = Query::select(Select::new(SelectList::Items(vec![SelectItem::expr(e)]), vec![TableRef::table(TableName::new("t"))]));
        let printed = tree.to_string();
        let parsed = parse(&printed).map_err(|err| TestCaseError::fail(format!("printed at {:?}: {err}", err.line_col(&printed))))?;
        prop_assert_eq!(&parsed, &tree, "printed as {}", printed);
    }

    #[test]
    fn conditions_round_trip(c in condition(4, 1)) {
        let tree = Query::select(Select::new(SelectList::Wildcard(Span::EMPTY), vec![TableRef::table(TableName::new("t"))]).filter(c));
        let printed = tree.to_string();
        let parsed = parse(&printed).map_err(|err| TestCaseError::fail(format!("printed at {:?}: {err}", err.line_col(&printed))))?;
        prop_assert_eq!(&parsed, &tree, "printed as {}", printed);
    }
}

/// Records which kinds of node a tree contains.
#[derive(Default)]
struct Kinds(std::collections::BTreeSet<String>);

impl Visitor for Kinds {
    fn visit_query(&mut self, query: &Query) {
        if !query.with.is_empty() {
            self.0.insert("with".into());
        }
        if !query.order_by.is_empty() {
            self.0.insert("order by".into());
        }
        if query.offset.is_some() {
            self.0.insert("offset".into());
        }
        let mut bodies = vec![&query.body];
        while let Some(body) = bodies.pop() {
            match body {
                SetExpr::Select(_) => {}
                SetExpr::Query(_) => {
                    self.0.insert("scoped operand".into());
                }
                SetExpr::SetOperation {
                    left, op, right, ..
                } => {
                    self.0.insert(format!("{op:?}"));
                    bodies.push(left);
                    bodies.push(right);
                }
            }
        }
        walk_query(self, query);
    }

    fn visit_select(&mut self, select: &Select) {
        for (present, kind) in [
            (select.top.is_some(), "top"),
            (select.quantifier.is_some(), "quantifier"),
            (select.selection.is_some(), "where"),
            (!select.group_by.is_empty(), "group by"),
            (select.having.is_some(), "having"),
            (matches!(select.items, SelectList::Wildcard(_)), "select *"),
        ] {
            if present {
                self.0.insert(kind.into());
            }
        }
        if let SelectList::Items(items) = &select.items {
            for item in items {
                match item {
                    SelectItem::QualifiedWildcard { .. } => self.0.insert("t.*".into()),
                    SelectItem::Expr { alias: Some(_), .. } => self.0.insert("alias".into()),
                    SelectItem::Expr { .. } => false,
                };
            }
        }
        walk_select(self, select);
    }

    fn visit_table_ref(&mut self, table: &TableRef) {
        let kind = match table {
            TableRef::Table { .. } => "table".to_owned(),
            TableRef::Derived { .. } => "derived".to_owned(),
            TableRef::Join(j) => format!(
                "join {:?} natural={} {}",
                j.kind,
                j.natural,
                match &j.constraint {
                    None => "none",
                    Some(JoinConstraint::On(_)) => "on",
                    Some(JoinConstraint::Using(_)) => "using",
                }
            ),
        };
        self.0.insert(kind);
        walk_table_ref(self, table);
    }

    fn visit_expr(&mut self, expr: &Expr) {
        let kind = match expr {
            Expr::Literal(Literal::Number(n)) => format!("number {:?}", n.kind),
            Expr::Literal(l) => format!("{:?}", std::mem::discriminant(l)),
            Expr::Unary { op, .. } => format!("unary {op:?}"),
            Expr::Binary { op, .. } => format!("binary {op:?}"),
            Expr::Function(f) => format!("function {}", f.name),
            other => format!("{:?}", std::mem::discriminant(other)),
        };
        self.0.insert(kind);
        walk_expr(self, expr);
    }
}

#[test]
fn the_generator_covers_every_node_kind() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = query(2, true);
    let mut kinds = Kinds::default();
    for _ in 0..400 {
        let tree = strategy.new_tree(&mut runner).unwrap().current();
        kinds.visit_query(&tree);
    }
    let found = &kinds.0;
    for f in BuiltinFunction::ALL {
        assert!(
            found.contains(&format!("function {}", f.name())),
            "no {} generated",
            f.name()
        );
    }
    for kind in [
        "with",
        "order by",
        "offset",
        "scoped operand",
        "Union",
        "Except",
        "Intersect",
        "top",
        "quantifier",
        "where",
        "group by",
        "having",
        "select *",
        "t.*",
        "alias",
        "table",
        "derived",
        "unary Minus",
        "unary Plus",
        "unary Not",
        "binary Concat",
        "binary And",
        "binary Or",
        "binary NotEq",
        "number Integer",
        "number Decimal",
        "number Approximate",
    ] {
        assert!(found.contains(kind), "no {kind} generated; got {found:?}");
    }
    assert!(found.iter().any(|k| k.starts_with("function ivo_")
        || k.starts_with("function my_")
        || k.starts_with("function gavo_")));
    assert!(found.iter().any(|k| k.contains("natural=true")));
    assert!(found.iter().any(|k| k.ends_with("using")));
    assert!(found.len() > 60, "{found:?}");
}
