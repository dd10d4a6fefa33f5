#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::MemTable;

use crate::AdqlSession;

struct Catalogue {
    ra: Vec<f64>,
    dec: Vec<f64>,
    radius: Vec<f64>,
}

/// Deterministic points: clustered around RA 0/360 at the equator, near the north pole, and spread out.
fn catalogue(seed: u64, n: usize) -> Catalogue {
    let mut s = seed;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut ra, mut dec, mut radius) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let (r, d) = match i % 3 {
            0 => ((next() - 0.5) * 0.2, (next() - 0.5) * 0.2),
            1 => (next() * 360.0, 89.9 + next() * 0.1),
            _ => (next() * 360.0, (next() * 2.0 - 1.0).asin().to_degrees()),
        };
        ra.push(r.rem_euclid(360.0));
        dec.push(d);
        radius.push(next() * 0.02);
    }
    Catalogue { ra, dec, radius }
}

fn table(c: &Catalogue) -> Arc<MemTable> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("ra", DataType::Float64, true),
        Field::new("dec", DataType::Float64, true),
        Field::new("r", DataType::Float64, true),
    ]));
    let n = c.ra.len() as i64;
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from((0..n).collect::<Vec<_>>())),
            Arc::new(Float64Array::from(c.ra.clone())),
            Arc::new(Float64Array::from(c.dec.clone())),
            Arc::new(Float64Array::from(c.radius.clone())),
        ],
    )
    .unwrap();
    // Two batches per table, so that streaming over several batches is exercised.
    let (b1, b2) = (
        batch.slice(0, c.ra.len() / 2),
        batch.slice(c.ra.len() / 2, c.ra.len() - c.ra.len() / 2),
    );
    Arc::new(MemTable::try_new(schema, vec![vec![b1], vec![b2]]).unwrap())
}

struct Fixture {
    session: AdqlSession,
    a: Catalogue,
    b: Catalogue,
}

fn fixture() -> Fixture {
    let session = AdqlSession::new();
    let (a, b) = (catalogue(0x1234_5678, 600), catalogue(0x9abc_def0, 700));
    session.context().register_table("a", table(&a)).unwrap();
    session.context().register_table("b", table(&b)).unwrap();
    Fixture { session, a, b }
}

/// Pairs (a.id, b.id) within the radius `r(i, j)`, by brute force with the same distance function.
fn brute(f: &Fixture, r: impl Fn(usize, usize) -> f64, strict: bool) -> BTreeSet<(i64, i64)> {
    let mut out = BTreeSet::new();
    for i in 0..f.a.ra.len() {
        for j in 0..f.b.ra.len() {
            let d = adql_geom::distance(f.a.ra[i], f.a.dec[i], f.b.ra[j], f.b.dec[j]);
            if (strict && d < r(i, j)) || (!strict && d <= r(i, j)) {
                out.insert((i as i64, j as i64));
            }
        }
    }
    out
}

/// The result of a SQL (not ADQL) query.
async fn run_sql(session: &AdqlSession, sql: &str) -> Vec<RecordBatch> {
    session
        .context()
        .sql(sql)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap()
}

async fn pairs_sql(f: &Fixture, sql: &str) -> (BTreeSet<(i64, i64)>, usize) {
    collect_pairs(&run_sql(&f.session, sql).await)
}

async fn pairs_adql(f: &Fixture, adql: &str) -> (BTreeSet<(i64, i64)>, usize) {
    let batches = f
        .session
        .query(adql)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    collect_pairs(&batches)
}

fn collect_pairs(batches: &[RecordBatch]) -> (BTreeSet<(i64, i64)>, usize) {
    let mut set = BTreeSet::new();
    let mut rows = 0;
    for b in batches {
        let (x, y) = (
            b.column(0).as_primitive::<Int64Type>(),
            b.column(1).as_primitive::<Int64Type>(),
        );
        for k in 0..b.num_rows() {
            rows += 1;
            if x.is_valid(k) && y.is_valid(k) {
                set.insert((x.value(k), y.value(k)));
            }
        }
    }
    (set, rows)
}

async fn explain(f: &Fixture, sql: &str) -> String {
    let batches = f
        .session
        .context()
        .sql(&format!("EXPLAIN {sql}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    pretty_format_batches(&batches).unwrap().to_string()
}

const R: f64 = 0.01;

#[tokio::test]
async fn every_recognised_form_equals_brute_force_and_uses_the_operator() {
    let f = fixture();
    let expected = brute(&f, |_, _| R, false);
    assert!(
        expected.len() > 50,
        "fixture should produce matches: {}",
        expected.len()
    );
    for sql in [
        "SELECT a.id, b.id FROM a JOIN b ON distance(point(a.ra, a.dec), point(b.ra, b.dec)) <= 0.01",
        "SELECT a.id, b.id FROM a JOIN b ON distance(a.ra, a.dec, b.ra, b.dec) <= 0.01",
        "SELECT a.id, b.id FROM a JOIN b ON 0.01 >= distance(b.ra, b.dec, a.ra, a.dec)",
        "SELECT a.id, b.id FROM a, b WHERE distance(a.ra, a.dec, b.ra, b.dec) <= 0.01",
        "SELECT a.id, b.id FROM a JOIN b ON 1 = contains(point(b.ra, b.dec), circle(a.ra, a.dec, 0.01))",
        "SELECT a.id, b.id FROM a JOIN b ON contains(point('ICRS', a.ra, a.dec), circle('ICRS', b.ra, b.dec, 0.01)) = 1",
        "SELECT a.id, b.id FROM a, b WHERE 1 = intersects(circle(a.ra, a.dec, 0.01), point(b.ra, b.dec))",
    ] {
        let plan = explain(&f, sql).await;
        assert!(
            plan.contains("CrossmatchExec: radius=0.01, mode=all"),
            "{sql}\n{plan}"
        );
        assert!(!plan.contains("NestedLoopJoinExec"), "{sql}\n{plan}");
        let (got, rows) = pairs_sql(&f, sql).await;
        assert_eq!(got, expected, "{sql}");
        assert_eq!(rows, expected.len(), "{sql}: duplicate rows");
    }
    let strict = brute(&f, |_, _| R, true);
    let (got, _) = pairs_sql(
        &f,
        "SELECT a.id, b.id FROM a JOIN b ON distance(a.ra, a.dec, b.ra, b.dec) < 0.01",
    )
    .await;
    assert_eq!(got, strict);
}

#[tokio::test]
async fn adql_queries_are_crossmatched() {
    let f = fixture();
    let expected = brute(&f, |_, _| R, false);
    let adql = "SELECT a.id, b.id FROM a JOIN b ON 1 = CONTAINS(POINT('ICRS', b.ra, b.dec), CIRCLE('ICRS', a.ra, a.dec, 0.01))";
    let (got, _) = pairs_adql(&f, adql).await;
    assert_eq!(got, expected);
    let adql = "SELECT a.id, b.id FROM a, b WHERE DISTANCE(a.ra, a.dec, b.ra, b.dec) <= 0.01";
    let (got, _) = pairs_adql(&f, adql).await;
    assert_eq!(got, expected);
}

#[tokio::test]
async fn per_row_radius_on_either_side_and_extra_conditions() {
    let f = fixture();
    let expected = brute(&f, |i, _| f.a.radius[i], false);
    let sql = "SELECT a.id, b.id FROM a JOIN b ON distance(a.ra, a.dec, b.ra, b.dec) <= a.r";
    assert!(explain(&f, sql).await.contains("CrossmatchExec"));
    assert_eq!(pairs_sql(&f, sql).await.0, expected);
    let expected = brute(&f, |_, j| f.b.radius[j], false);
    let sql = "SELECT a.id, b.id FROM a JOIN b ON 1 = contains(point(a.ra, a.dec), circle(b.ra, b.dec, b.r))";
    assert_eq!(pairs_sql(&f, sql).await.0, expected);
    let expected: BTreeSet<_> = brute(&f, |_, _| R, false)
        .into_iter()
        .filter(|(i, j)| i < j)
        .collect();
    let sql = "SELECT a.id, b.id FROM a JOIN b ON distance(a.ra, a.dec, b.ra, b.dec) <= 0.01 AND a.id < b.id";
    let plan = explain(&f, sql).await;
    assert!(
        plan.contains("CrossmatchExec") && plan.contains("filter="),
        "{plan}"
    );
    assert_eq!(pairs_sql(&f, sql).await.0, expected);
}

#[tokio::test]
async fn left_join_keeps_unmatched_rows() {
    let f = fixture();
    let expected = brute(&f, |_, _| R, false);
    let matched_a: BTreeSet<i64> = expected.iter().map(|p| p.0).collect();
    let sql = "SELECT a.id, b.id FROM a LEFT JOIN b ON distance(a.ra, a.dec, b.ra, b.dec) <= 0.01";
    let plan = explain(&f, sql).await;
    assert!(plan.contains("join_type=Left, probe=left"), "{plan}");
    let batches = f
        .session
        .context()
        .sql(sql)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let (got, rows) = collect_pairs(&batches);
    assert_eq!(got, expected);
    assert_eq!(rows, expected.len() + (f.a.ra.len() - matched_a.len()));
}

#[tokio::test]
async fn best_match_is_the_argmin() {
    let f = fixture();
    let mut best = std::collections::BTreeMap::<i64, (f64, i64)>::new();
    for (i, j) in brute(&f, |_, _| 0.05, false) {
        let d = adql_geom::distance(
            f.a.ra[i as usize],
            f.a.dec[i as usize],
            f.b.ra[j as usize],
            f.b.dec[j as usize],
        );
        let e = best.entry(i).or_insert((d, j));
        if d < e.0 || (d == e.0 && j < e.1) {
            *e = (d, j);
        }
    }
    let expected: BTreeSet<(i64, i64)> = best.into_iter().map(|(i, (_, j))| (i, j)).collect();
    let sql = "SELECT a.id, b.id FROM a JOIN b ON 1 = xmatch_best(a.ra, a.dec, b.ra, b.dec, 0.05)";
    assert!(explain(&f, sql).await.contains("mode=best"));
    let (got, rows) = pairs_sql(&f, sql).await;
    assert_eq!(got, expected);
    assert_eq!(rows, expected.len());
    // From ADQL, as a declared-style function call in the ON clause.
    let (got, _) = pairs_adql(
        &f,
        "SELECT a.id, b.id FROM a JOIN b ON 1 = xmatch_best(a.ra, a.dec, b.ra, b.dec, 0.05)",
    )
    .await;
    assert_eq!(got, expected);
}

#[tokio::test]
async fn other_shapes_are_left_alone() {
    let f = fixture();
    for sql in [
        // Not a "within" predicate.
        "SELECT a.id, b.id FROM a JOIN b ON distance(a.ra, a.dec, b.ra, b.dec) > 179.99",
        // Both positions from one table.
        "SELECT a.id, b.id FROM a JOIN b ON distance(a.ra, a.dec, a.ra, b.dec) <= 0.01",
        // An equi-join is a hash join.
        "SELECT a.id, b.id FROM a JOIN b ON a.id = b.id AND distance(a.ra, a.dec, b.ra, b.dec) <= 0.01",
        // A cone on one table.
        "SELECT a.id FROM a WHERE distance(a.ra, a.dec, 0, 0) <= 0.01",
    ] {
        let plan = explain(&f, sql).await;
        assert!(!plan.contains("CrossmatchExec"), "{sql}\n{plan}");
    }
}

#[tokio::test]
async fn odd_radii_are_left_to_the_ordinary_join() {
    let f = fixture();
    let n = (f.a.ra.len() * f.b.ra.len()) as i64;
    // No pair is within a negative distance; every pair is within an infinite one, and within NaN, which
    // sorts above every number (as in PostgreSQL).
    for (radius, expected) in [("-1", 0), ("'NaN'", n), ("'Infinity'", n)] {
        let sql = format!(
            "SELECT COUNT(*) FROM a JOIN b ON distance(a.ra, a.dec, b.ra, b.dec) <= CAST({radius} AS DOUBLE)"
        );
        let plan = explain(&f, &sql).await;
        assert!(!plan.contains("CrossmatchExec"), "{sql}\n{plan}");
        assert_eq!(first_row(&f.session, &sql).await, [expected], "{sql}");
    }
}

/// The first [`super::CrossmatchExec`] in `plan`, depth first.
fn find_crossmatch(
    plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>,
) -> Option<Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
    if plan.is::<super::CrossmatchExec>() {
        return Some(Arc::clone(plan));
    }
    plan.children().into_iter().find_map(find_crossmatch)
}

#[tokio::test]
async fn output_has_a_partition_per_probe_partition() {
    use datafusion::physical_plan::ExecutionPlanProperties;

    let f = fixture();
    let expected = brute(&f, |_, _| R, false);
    let sql =
        format!("SELECT a.id, b.id FROM a JOIN b ON distance(a.ra, a.dec, b.ra, b.dec) <= {R}");
    let plan = f
        .session
        .context()
        .sql(&sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let xmatch = find_crossmatch(&plan).expect("a CrossmatchExec");
    let partitions = xmatch.output_partitioning().partition_count();
    assert!(partitions >= 2, "{partitions} output partitions");
    // Every partition shares the one build; together they give exactly the brute-force pairs.
    let context = f.session.context().task_ctx();
    let mut set = BTreeSet::new();
    let mut rows = 0;
    for partition in 0..partitions {
        let stream = xmatch.execute(partition, Arc::clone(&context)).unwrap();
        let batches: Vec<RecordBatch> = datafusion::physical_plan::common::collect(stream)
            .await
            .unwrap();
        for batch in batches {
            // The operator's output is both inputs' columns: the two `id`s are a's and b's.
            let ids: Vec<usize> = batch
                .schema()
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, f)| f.name() == "id")
                .map(|(i, _)| i)
                .collect();
            let pair = batch.project(&ids).unwrap();
            let (s, n) = collect_pairs(&[pair]);
            set.extend(s);
            rows += n;
        }
    }
    assert_eq!(set, expected);
    assert_eq!(rows, expected.len());
    // A radius per probe row keeps one partition (the index is sized by the largest radius).
    let sql = "SELECT a.id, b.id FROM a LEFT JOIN b ON distance(a.ra, a.dec, b.ra, b.dec) <= a.r";
    let plan = f
        .session
        .context()
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    if let Some(x) = find_crossmatch(&plan)
        && x.downcast_ref::<super::CrossmatchExec>()
            .is_some_and(|x| x.spec().probe_radius_per_row())
    {
        assert_eq!(x.output_partitioning().partition_count(), 1);
    }
}

/// The first row of a query whose `N` columns are all Int64 (SQL, not ADQL).
async fn first_row<const N: usize>(session: &AdqlSession, sql: &str) -> [i64; N] {
    let batches = run_sql(session, sql).await;
    std::array::from_fn(|c| batches[0].column(c).as_primitive::<Int64Type>().value(0))
}

#[tokio::test]
async fn count_star_gathers_no_column() {
    let f = fixture();
    let expected = brute(&f, |_, _| R, false);
    let sql = format!("SELECT COUNT(*) FROM a JOIN b ON distance(a.ra, a.dec, b.ra, b.dec) <= {R}");
    let plan = explain(&f, &sql).await;
    assert!(
        plan.contains("CrossmatchExec") && plan.contains("projection=[]"),
        "the empty projection should be embedded:\n{plan}"
    );
    let [count] = first_row(&f.session, &sql).await;
    assert_eq!(count as usize, expected.len());
}

#[tokio::test]
async fn probe_side_of_several_chunks() {
    // More probe rows than one chunk of the operator: points 0.001° apart on the equator, each matched by
    // its copy shifted by 1e-5°, and by nothing else within 1e-4°.
    let n = (super::stream::PROBE_CHUNK_ROWS * 2 + 1000) as i64;
    let session = AdqlSession::new();
    for (name, shift) in [("a", 0.0), ("b", 1e-5)] {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("ra", DataType::Float64, false),
            Field::new("dec", DataType::Float64, false),
        ]));
        let ids: Vec<i64> = (0..n).collect();
        let ra: Vec<f64> = ids
            .iter()
            .map(|&i| i as f64 * 0.001 % 360.0 + shift)
            .collect();
        let dec: Vec<f64> = ids
            .iter()
            .map(|&i| (i as f64 * 0.001 / 360.0).floor() * 0.01)
            .collect();
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from(ids)),
                Arc::new(Float64Array::from(ra)),
                Arc::new(Float64Array::from(dec)),
            ],
        )
        .unwrap();
        let batches: Vec<RecordBatch> = (0..n as usize)
            .step_by(8192)
            .map(|o| batch.slice(o, 8192.min(n as usize - o)))
            .collect();
        let table = MemTable::try_new(schema, vec![batches]).unwrap();
        session
            .context()
            .register_table(name, Arc::new(table))
            .unwrap();
    }
    let [count, same] = first_row(
        &session,
        "SELECT COUNT(*), SUM(CASE WHEN a.id = b.id THEN 1 ELSE 0 END) FROM a JOIN b \
         ON distance(a.ra, a.dec, b.ra, b.dec) <= 1e-4",
    )
    .await;
    assert_eq!((count, same), (n, n));
}

#[tokio::test]
async fn empty_sides() {
    let f = fixture();
    let (pairs, rows) = pairs_sql(
        &f,
        &format!(
            "SELECT a.id, b.id FROM a JOIN b ON distance(a.ra, a.dec, b.ra, b.dec) <= {R} WHERE a.id < 0"
        ),
    )
    .await;
    assert_eq!((pairs.len(), rows), (0, 0));
    // A left join over an empty indexed side keeps every probe row, padded with NULLs.
    let (pairs, rows) = pairs_sql(
        &f,
        &format!(
            "SELECT b.id, e.id FROM b LEFT JOIN (SELECT * FROM a WHERE id < 0) e \
             ON distance(b.ra, b.dec, e.ra, e.dec) <= {R}"
        ),
    )
    .await;
    assert_eq!((pairs.len(), rows), (0, f.b.ra.len()));
}
