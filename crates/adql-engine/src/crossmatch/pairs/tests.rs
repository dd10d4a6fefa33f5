//! Unit tests of [`super::PairStep`] and [`super::Pairs`]: every step on small inputs, exact rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{JoinType, Operator};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr, Column, Literal};

use super::{PairStep, Pairs, SideColumns};
use crate::crossmatch::{CrossmatchSpec, ExecRadius, Side};

/// Left input: `lid` Int64, `name` Utf8 (one NULL).
fn left_columns() -> Vec<Option<ArrayRef>> {
    vec![
        Some(Arc::new(Int64Array::from(vec![10, 11, 12, 13]))),
        Some(Arc::new(StringArray::from(vec![
            Some("a"),
            Some("b"),
            None,
            Some("d"),
        ]))),
    ]
}

/// Right input: `rid` Int64, `mag` Float64 (one NULL).
fn right_columns() -> Vec<Option<ArrayRef>> {
    vec![
        Some(Arc::new(Int64Array::from(vec![20, 21, 22]))),
        Some(Arc::new(Float64Array::from(vec![
            Some(1.0),
            None,
            Some(3.0),
        ]))),
    ]
}

/// `lid, name, rid, mag`, all nullable (outer joins pad either side).
fn join_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("lid", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("rid", DataType::Int64, true),
        Field::new("mag", DataType::Float64, true),
    ]))
}

fn column(name: &str, i: usize) -> Arc<dyn PhysicalExpr> {
    Arc::new(Column::new(name, i))
}

fn literal(v: f64) -> Arc<dyn PhysicalExpr> {
    Arc::new(Literal::new(ScalarValue::Float64(Some(v))))
}

/// `mag > 2` over the join schema: NULL for the right row 1, and for padded rows.
fn mag_above_2() -> Arc<dyn PhysicalExpr> {
    Arc::new(BinaryExpr::new(
        column("mag", 3),
        Operator::Gt,
        literal(2.0),
    ))
}

/// A spec with a constant radius of 1°, inner, probing the right input, no filter. The positions are
/// never read by the pair step.
fn spec() -> CrossmatchSpec {
    CrossmatchSpec {
        left_position: (column("lid", 0), column("lid", 0)),
        right_position: (column("rid", 0), column("rid", 0)),
        radius: ExecRadius::Constant(1.0),
        strict: false,
        best: false,
        probe: Side::Right,
        join_type: JoinType::Inner,
        filter: None,
    }
}

fn step(spec: CrossmatchSpec, projection: Option<&[usize]>) -> PairStep {
    PairStep::new(Arc::new(spec), join_schema(), 2, projection.map(Into::into)).unwrap()
}

fn pairs(p: &[(u32, u32, f64)]) -> Pairs {
    Pairs {
        left: p.iter().map(|p| p.0).collect(),
        right: p.iter().map(|p| p.1).collect(),
        distance: p.iter().map(|p| p.2).collect(),
    }
}

fn side<'a>(columns: &'a [Option<ArrayRef>], radius: Option<&'a Float64Array>) -> SideColumns<'a> {
    SideColumns {
        rows: columns
            .iter()
            .flatten()
            .map(|c| c.len())
            .next()
            .unwrap_or(0),
        columns,
        radius,
    }
}

/// The rows of `step` over the two inputs above, as a table.
fn run(step: &PairStep, p: &[(u32, u32, f64)]) -> String {
    run_with(step, p, None, None)
}

fn run_with(
    step: &PairStep,
    p: &[(u32, u32, f64)],
    left_radius: Option<&Float64Array>,
    right_radius: Option<&Float64Array>,
) -> String {
    let (l, r) = (left_columns(), right_columns());
    let batch = step
        .rows(&side(&l, left_radius), &side(&r, right_radius), pairs(p))
        .unwrap();
    assert_eq!(batch.schema(), *step.schema());
    table(&batch)
}

fn table(batch: &RecordBatch) -> String {
    pretty_format_batches(std::slice::from_ref(batch))
        .unwrap()
        .to_string()
}

fn lines(rows: &[&str]) -> String {
    rows.join("\n")
}

#[test]
fn strict_and_not_strict_at_exactly_the_radius() {
    let p = [(0, 0, 0.5), (1, 1, 1.0), (2, 2, 1.5), (3, 0, f64::NAN)];
    let all = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 10  | a    | 20  | 1.0 |",
        "| 11  | b    | 21  |     |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(run(&step(spec(), None), &p), all);
    let strict = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 10  | a    | 20  | 1.0 |",
        "+-----+------+-----+-----+",
    ]);
    let s = CrossmatchSpec {
        strict: true,
        ..spec()
    };
    assert_eq!(run(&step(s, None), &p), strict);
}

#[test]
fn radius_per_left_row() {
    let s = CrossmatchSpec {
        radius: ExecRadius::Column(Side::Left, column("lid", 0)),
        ..spec()
    };
    // Row 1's radius is NULL and row 3's NaN: they never match.
    let radius = Float64Array::from(vec![Some(1.0), None, Some(0.2), Some(f64::NAN)]);
    let p = [
        (0, 0, 0.9),
        (1, 0, 0.1),
        (2, 1, 0.3),
        (2, 2, 0.2),
        (3, 2, 0.0),
    ];
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 10  | a    | 20  | 1.0 |",
        "| 12  |      | 22  | 3.0 |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(
        run_with(&step(s.clone(), None), &p, Some(&radius), None),
        expected
    );
    // At exactly the row's radius, strict drops the pair.
    let strict = CrossmatchSpec { strict: true, ..s };
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 10  | a    | 20  | 1.0 |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(
        run_with(&step(strict, None), &p, Some(&radius), None),
        expected
    );
}

#[test]
fn radius_per_right_row() {
    let s = CrossmatchSpec {
        radius: ExecRadius::Column(Side::Right, column("rid", 0)),
        ..spec()
    };
    let radius = Float64Array::from(vec![Some(0.5), Some(2.0), None]);
    let p = [(0, 0, 0.5), (1, 0, 0.6), (2, 1, 1.9), (3, 2, 0.0)];
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 10  | a    | 20  | 1.0 |",
        "| 12  |      | 21  |     |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(
        run_with(&step(s.clone(), None), &p, None, Some(&radius)),
        expected
    );
    // The radius of the input that gives it is required, and must have a value per row.
    let (l, r) = (left_columns(), right_columns());
    let err = step(s.clone(), None)
        .rows(&side(&l, None), &side(&r, None), pairs(&p))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("radius of the right input is missing"),
        "{err}"
    );
    let short = Float64Array::from(vec![1.0]);
    let err = step(s, None)
        .rows(&side(&l, None), &side(&r, Some(&short)), pairs(&p))
        .unwrap_err();
    assert!(err.to_string().contains("has 1 rows, not 3"), "{err}");
}

#[test]
fn best_match_per_probe_row_with_ties() {
    // Probing the left input: the nearest right row of each left row; ties go to the lower right row, and
    // a pair beyond the radius never wins, however near.
    let s = CrossmatchSpec {
        best: true,
        probe: Side::Left,
        ..spec()
    };
    let p = [
        (0, 2, 0.5),
        (0, 1, 0.5),
        (0, 0, 0.7),
        (1, 2, 0.1),
        (1, 0, 0.1),
        (2, 1, 0.2),
        (2, 1, 0.2),
        (3, 0, 1.5),
        (3, 2, 0.9),
    ];
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 10  | a    | 21  |     |",
        "| 11  | b    | 20  | 1.0 |",
        "| 12  |      | 21  |     |",
        "| 13  | d    | 22  | 3.0 |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(run(&step(s, None), &p), expected);
    // Probing the right input: the nearest left row of each right row.
    let s = CrossmatchSpec {
        best: true,
        probe: Side::Right,
        ..spec()
    };
    let p = [
        (3, 0, 0.3),
        (1, 0, 0.3),
        (2, 0, 0.4),
        (0, 2, 0.9),
        (2, 2, 0.8),
    ];
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 11  | b    | 20  | 1.0 |",
        "| 12  |      | 22  | 3.0 |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(run(&step(s, None), &p), expected);
}

#[test]
fn filter_counts_null_as_false() {
    let s = CrossmatchSpec {
        filter: Some(mag_above_2()),
        ..spec()
    };
    // mag: 1.0 (false), NULL (NULL), 3.0 (true).
    let p = [(0, 0, 0.1), (1, 1, 0.1), (2, 2, 0.1), (3, 2, 0.1)];
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 12  |      | 22  | 3.0 |",
        "| 13  | d    | 22  | 3.0 |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(run(&step(s, None), &p), expected);
}

#[test]
fn left_join_pads_unmatched_left_rows() {
    let s = CrossmatchSpec {
        join_type: JoinType::Left,
        probe: Side::Left,
        ..spec()
    };
    let p = [(2, 0, 0.1), (0, 2, 0.1), (2, 1, 0.2), (3, 1, 1.5)];
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 12  |      | 20  | 1.0 |",
        "| 10  | a    | 22  | 3.0 |",
        "| 12  |      | 21  |     |",
        "| 11  | b    |     |     |",
        "| 13  | d    |     |     |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(run(&step(s.clone(), None), &p), expected);
    // A row whose pairs the filter rejects is padded too (a LEFT JOIN's ON condition, not a WHERE).
    let filtered = CrossmatchSpec {
        filter: Some(mag_above_2()),
        ..s.clone()
    };
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 10  | a    | 22  | 3.0 |",
        "| 11  | b    |     |     |",
        "| 12  |      |     |     |",
        "| 13  | d    |     |     |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(run(&step(filtered, None), &p), expected);
    // The preserved input chunk by chunk, each row once: the same rows, chunk by chunk.
    let step = step(s, None);
    let (l, r) = (left_columns(), right_columns());
    let chunks: Vec<Vec<Option<ArrayRef>>> = [(0, 2), (2, 2)]
        .iter()
        .map(|&(o, n)| {
            l.iter()
                .map(|c| c.as_ref().map(|c| c.slice(o, n)))
                .collect()
        })
        .collect();
    let first = step
        .rows(
            &side(&chunks[0], None),
            &side(&r, None),
            pairs(&[(0, 2, 0.1)]),
        )
        .unwrap();
    let second = step
        .rows(
            &side(&chunks[1], None),
            &side(&r, None),
            pairs(&[(0, 0, 0.1), (0, 1, 0.2)]),
        )
        .unwrap();
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 10  | a    | 22  | 3.0 |",
        "| 11  | b    |     |     |",
        "| 12  |      | 20  | 1.0 |",
        "| 12  |      | 21  |     |",
        "| 13  | d    |     |     |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(
        pretty_format_batches(&[first, second]).unwrap().to_string(),
        expected
    );
}

#[test]
fn right_join_pads_unmatched_right_rows() {
    let s = CrossmatchSpec {
        join_type: JoinType::Right,
        probe: Side::Right,
        ..spec()
    };
    let p = [(3, 2, 0.1), (0, 2, 0.3), (1, 1, 1.1)];
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 13  | d    | 22  | 3.0 |",
        "| 10  | a    | 22  | 3.0 |",
        "|     |      | 20  | 1.0 |",
        "|     |      | 21  |     |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(run(&step(s.clone(), None), &p), expected);
    // With a filter, and the best match of each right row.
    let s = CrossmatchSpec {
        filter: Some(mag_above_2()),
        best: true,
        ..s
    };
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 13  | d    | 22  | 3.0 |",
        "|     |      | 20  | 1.0 |",
        "|     |      | 21  |     |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(run(&step(s, None), &p), expected);
}

#[test]
fn empty_pairs() {
    let empty = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(run(&step(spec(), None), &[]), empty);
    let filtered = CrossmatchSpec {
        filter: Some(mag_above_2()),
        ..spec()
    };
    assert_eq!(run(&step(filtered, None), &[]), empty);
    // A LEFT join keeps every left row.
    let left = CrossmatchSpec {
        join_type: JoinType::Left,
        probe: Side::Left,
        ..spec()
    };
    let expected = lines(&[
        "+-----+------+-----+-----+",
        "| lid | name | rid | mag |",
        "+-----+------+-----+-----+",
        "| 10  | a    |     |     |",
        "| 11  | b    |     |     |",
        "| 12  |      |     |     |",
        "| 13  | d    |     |     |",
        "+-----+------+-----+-----+",
    ]);
    assert_eq!(run(&step(left.clone(), None), &[]), expected);
    // ... even against an empty right input (the NULL indices are never read).
    let l = left_columns();
    let r: Vec<Option<ArrayRef>> = vec![
        Some(Arc::new(Int64Array::from(Vec::<i64>::new()))),
        Some(Arc::new(Float64Array::from(Vec::<f64>::new()))),
    ];
    let batch = step(left, None)
        .rows(&side(&l, None), &side(&r, None), Pairs::default())
        .unwrap();
    assert_eq!(table(&batch), expected);
}

#[test]
fn projection_without_filter_reads_only_the_output_columns() {
    // Output `rid, lid`: `name` and `mag` are not needed, and not given.
    let step = step(spec(), Some(&[2, 0]));
    assert_eq!(step.needed(Side::Left), [true, false]);
    assert_eq!(step.needed(Side::Right), [true, false]);
    let (mut l, mut r) = (left_columns(), right_columns());
    l[1] = None;
    r[1] = None;
    let batch = step
        .rows(
            &side(&l, None),
            &side(&r, None),
            pairs(&[(1, 2, 0.1), (3, 0, 0.2)]),
        )
        .unwrap();
    let expected = lines(&[
        "+-----+-----+",
        "| rid | lid |",
        "+-----+-----+",
        "| 22  | 11  |",
        "| 20  | 13  |",
        "+-----+-----+",
    ]);
    assert_eq!(table(&batch), expected);
    // COUNT(*): no column at all, but the rows are counted.
    let none: Arc<[usize]> = Arc::from(Vec::new());
    let count = PairStep::new(Arc::new(spec()), join_schema(), 2, Some(none)).unwrap();
    assert_eq!(count.needed(Side::Left), [false, false]);
    let unread = [None, None];
    let rows = |rows| SideColumns {
        rows,
        columns: &unread,
        radius: None,
    };
    let batch = count
        .rows(&rows(4), &rows(3), pairs(&[(0, 0, 0.0), (3, 2, 0.0)]))
        .unwrap();
    assert_eq!((batch.num_columns(), batch.num_rows()), (0, 2));
}

#[test]
fn projection_with_filter_reads_every_column() {
    let s = CrossmatchSpec {
        filter: Some(mag_above_2()),
        ..spec()
    };
    let step = step(s, Some(&[1]));
    assert_eq!(step.needed(Side::Left), [true, true]);
    assert_eq!(step.needed(Side::Right), [true, true]);
    let expected = lines(&[
        "+------+", "| name |", "+------+", "| a    |", "|      |", "+------+",
    ]);
    assert_eq!(
        run(&step, &[(0, 2, 0.1), (1, 0, 0.1), (2, 2, 0.1)]),
        expected
    );
    // The filter's columns must be given even though the output drops them.
    let (l, mut r) = (left_columns(), right_columns());
    r[1] = None;
    let err = step
        .rows(&side(&l, None), &side(&r, None), Pairs::default())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("column 1 of the right input is needed"),
        "{err}"
    );
}

#[test]
fn bad_pairs_and_inputs_are_errors() {
    let step = step(spec(), None);
    let (l, r) = (left_columns(), right_columns());
    let rows = |p: Pairs| step.rows(&side(&l, None), &side(&r, None), p);
    let err = rows(pairs(&[(4, 0, 0.1)])).unwrap_err();
    assert!(err.to_string().contains("pair (4, 0) beyond"), "{err}");
    let err = rows(pairs(&[(0, 3, 0.1)])).unwrap_err();
    assert!(err.to_string().contains("pair (0, 3) beyond"), "{err}");
    let uneven = Pairs {
        left: vec![0, 1],
        right: vec![0],
        distance: vec![0.1, 0.1],
    };
    assert!(rows(uneven).is_err());
    let err = step
        .rows(&side(&l[..1], None), &side(&r, None), Pairs::default())
        .unwrap_err();
    assert!(
        err.to_string().contains("left input has 1 columns, not 2"),
        "{err}"
    );
    // A column shorter than the input's rows.
    let short = SideColumns {
        rows: 5,
        columns: &l,
        radius: None,
    };
    assert!(
        step.rows(&short, &side(&r, None), Pairs::default())
            .is_err()
    );
    // Only inner, left and right joins; the projection must be within the join schema.
    let full = CrossmatchSpec {
        join_type: JoinType::Full,
        ..spec()
    };
    assert!(PairStep::new(Arc::new(full), join_schema(), 2, None).is_err());
    assert!(PairStep::new(Arc::new(spec()), join_schema(), 5, None).is_err());
    assert!(PairStep::new(Arc::new(spec()), join_schema(), 2, Some(Arc::from([4]))).is_err());
}

#[test]
fn measured_pairs_are_the_kernel_s_distances() {
    let (lon, lat) = ([10.0, 20.0, f64::NAN], [0.0, 1.0, 2.0]);
    let (rlon, rlat) = ([10.5], [0.5]);
    let p = Pairs::measured(
        vec![0, 1, 2, 3],
        vec![0, 0, 0, 0],
        (&lon, &lat),
        (&rlon, &rlat),
    );
    assert_eq!(p.left, [0, 1, 2, 3]);
    assert_eq!(p.right, [0, 0, 0, 0]);
    assert_eq!(p.distance[0], adql_geom::distance(10.0, 0.0, 10.5, 0.5));
    assert_eq!(p.distance[1], adql_geom::distance(10.5, 0.5, 20.0, 1.0));
    // A NULL position, and an index beyond the positions.
    assert!(p.distance[2].is_nan() && p.distance[3].is_nan());
    // The same bits as the kernel, which measures from the probe row: here the right one.
    let matches = adql_geom::crossmatch::crossmatch(
        &lon[..2],
        &lat[..2],
        &rlon,
        &rlat,
        adql_geom::crossmatch::Radius::Constant(20.0),
        adql_geom::crossmatch::MatchMode::All,
        std::num::NonZeroUsize::MIN,
    )
    .unwrap();
    for (build, d) in matches.build.iter().zip(&matches.distance) {
        assert_eq!(p.distance[*build as usize].to_bits(), d.to_bits());
    }
    assert_eq!(matches.len(), 2);
}

#[test]
fn columns_of_batches() {
    let step = step(spec(), Some(&[0, 3]));
    let schema = Arc::new(Schema::new(vec![
        Field::new("lid", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
    ]));
    let batch = |ids: Vec<i64>| {
        let names: Vec<Option<&str>> = ids.iter().map(|_| Some("x")).collect();
        RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from(ids)),
                Arc::new(StringArray::from(names)),
            ],
        )
        .unwrap()
    };
    let columns = step
        .columns(Side::Left, &[batch(vec![1, 2]), batch(vec![3])])
        .unwrap();
    assert_eq!(columns.len(), 2);
    assert!(columns[1].is_none());
    let ids: &Int64Array = columns[0]
        .as_ref()
        .unwrap()
        .as_any()
        .downcast_ref()
        .unwrap();
    assert_eq!(ids.values(), &[1, 2, 3]);
    // No batch: an empty column of the input's type.
    let columns = step.columns(Side::Right, &[]).unwrap();
    assert!(columns[0].is_none());
    assert_eq!(columns[1].as_ref().unwrap().data_type(), &DataType::Float64);
    assert_eq!(columns[1].as_ref().unwrap().len(), 0);
    // A batch with another number of columns.
    let wrong = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)])),
        vec![Arc::new(Int64Array::from(vec![1])) as ArrayRef],
    )
    .unwrap();
    assert!(step.columns(Side::Left, &[wrong]).is_err());
}
