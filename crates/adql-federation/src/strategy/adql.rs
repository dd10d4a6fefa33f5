//! The queries the strategies send, as ADQL trees: an upload join, a union of cones, and the circles
//! covering many cones.

use adql_syntax::ast::{
    BinaryOp, Expr, Ident, JoinConstraint, JoinKind, Query, Select, SelectItem, SelectList,
    TableName, TableRef,
};

use crate::unparser::point_in_circle;

/// A circle on the sky, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    /// Centre longitude.
    pub lon: f64,
    /// Centre latitude.
    pub lat: f64,
    /// Radius.
    pub radius: f64,
}

/// Where an upload join's radius comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum RadiusRef {
    /// A constant (padded) radius.
    Constant(f64),
    /// The uploaded column `xsj_r` (padded when uploaded).
    Uploaded,
    /// A column of the big side's remote query, plus a pad.
    BigColumn(Ident, f64),
}

/// The big side as the strategies query it: its remote query, the output names of that query's
/// columns, and which of them hold its position.
#[derive(Debug, Clone, Copy)]
pub struct BigQuery<'a> {
    /// The big side's remote query.
    pub query: &'a Query,
    /// Its output names, in order.
    pub names: &'a [Ident],
    /// The output names of its (lon, lat) columns.
    pub position: (&'a Ident, &'a Ident),
}

/// The correlation name of the big side's query as a derived table.
const BIG: &str = "q";
/// The correlation name of an uploaded table.
const UPLOAD: &str = "u";

/// A value that depends on the small side's rows, in `EXPLAIN` (never sent: [`placeholder_text`] turns
/// it back into `<name>`).
fn placeholder(name: &str) -> Expr {
    Expr::column([Ident::quoted(format!("<{name}>"))])
}

/// `text` with the placeholders of [`placeholder`] written as `<name>`.
pub fn placeholder_text(text: &str) -> String {
    ["lon", "lat", "r"]
        .iter()
        .fold(text.to_string(), |t, name| {
            t.replace(&format!("\"<{name}>\""), &format!("<{name}>"))
        })
}

/// A number, or the placeholder `name` for NaN (a value that depends on the rows, in `EXPLAIN`).
fn num(x: f64, name: &str) -> Expr {
    Expr::double(x).unwrap_or_else(|| placeholder(name))
}

impl Circle {
    /// `1 = CONTAINS(POINT('ICRS', lon, lat), <this circle>)`.
    fn contains(&self, lon: Expr, lat: Expr) -> Expr {
        point_in_circle(
            lon,
            lat,
            num(self.lon, "lon"),
            num(self.lat, "lat"),
            num(self.radius, "r"),
        )
    }
}

fn column(qualifier: &str, name: &Ident) -> Expr {
    Expr::column([Ident::new(qualifier), name.clone()])
}

fn upload_column(name: &str) -> Expr {
    Expr::column([UPLOAD, name])
}

/// `SELECT u.xsj_row, q.* FROM TAP_UPLOAD.<table> AS u JOIN (<big>) AS q ON <q's position in u's
/// circle>`, or, when the big side is a plain `SELECT ... FROM one_table [WHERE ...]`, the same join
/// written over that table directly (see [`inline_upload_join`]).
pub fn upload_join(big: BigQuery<'_>, table: &str, radius: &RadiusRef) -> Query {
    if let Some(query) = inline_upload_join(big, table, radius) {
        return query;
    }
    let r = match radius {
        RadiusRef::Constant(r) => num(*r, "r"),
        RadiusRef::Uploaded => upload_column("xsj_r"),
        RadiusRef::BigColumn(name, pad) => {
            column(BIG, name).binary(BinaryOp::Plus, num(*pad, "pad"))
        }
    };
    let on = point_in_circle(
        column(BIG, big.position.0),
        column(BIG, big.position.1),
        upload_column("xsj_lon"),
        upload_column("xsj_lat"),
        r,
    );
    let items = std::iter::once(SelectItem::expr(upload_column("xsj_row")))
        .chain(big.names.iter().map(|n| SelectItem::expr(column(BIG, n))))
        .collect();
    let from = upload_table(table).join(
        JoinKind::Inner,
        TableRef::derived(big.query.clone(), BIG),
        Some(JoinConstraint::On(on)),
    );
    Query::select(Select::new(SelectList::Items(items), vec![from]))
}

/// `TAP_UPLOAD.<table> AS u`.
fn upload_table(table: &str) -> TableRef {
    let name = TableName::from_parts([Ident::new("TAP_UPLOAD"), Ident::exact(table)])
        .unwrap_or_else(|| TableName::new(Ident::exact(table)));
    TableRef::aliased(name, UPLOAD)
}

/// The upload join over the big side's table itself: `SELECT u.xsj_row, <big's items> FROM
/// TAP_UPLOAD.<table> AS u, <big's table> WHERE 1 = CONTAINS(<position>, <u's circle>) AND <big's WHERE>`.
///
/// Servers plan this form far better: DaCHS (PostgreSQL with q3c) runs the derived-table form of 1000
/// uploaded rows against a million-row table in about 1.2 s and this one in about 0.45 s, because the
/// spatial index of the table is used only when the condition names its columns directly. `None` when
/// the big side is anything else (a join, an aggregate, `TOP`, `DISTINCT`, `ORDER BY`), or its table's
/// name could be confused with the upload's alias `u`.
pub fn inline_upload_join(big: BigQuery<'_>, table: &str, radius: &RadiusRef) -> Option<Query> {
    let query = big.query;
    if !query.with.is_empty() || !query.order_by.is_empty() || query.offset.is_some() {
        return None;
    }
    let select = query.as_select()?;
    if select.quantifier.is_some()
        || select.top.is_some()
        || !select.group_by.is_empty()
        || select.having.is_some()
    {
        return None;
    }
    let [from @ TableRef::Table { .. }] = select.from.as_slice() else {
        return None;
    };
    if from
        .correlation_name()
        .is_none_or(|c| c.matches(&Ident::new(UPLOAD)))
    {
        return None;
    }
    let SelectList::Items(items) = &select.items else {
        return None;
    };
    if items.len() != big.names.len() {
        return None;
    }
    let exprs = items
        .iter()
        .map(|item| match item {
            SelectItem::Expr { expr, .. } => Some(expr),
            SelectItem::QualifiedWildcard { .. } => None,
        })
        .collect::<Option<Vec<&Expr>>>()?;
    let expr_of = |name: &Ident| {
        big.names
            .iter()
            .position(|n| n == name)
            .and_then(|i| exprs.get(i))
            .map(|e| (*e).clone())
    };
    let (lon, lat) = (expr_of(big.position.0)?, expr_of(big.position.1)?);
    let r = match radius {
        RadiusRef::Constant(r) => num(*r, "r"),
        RadiusRef::Uploaded => upload_column("xsj_r"),
        RadiusRef::BigColumn(name, pad) => expr_of(name)?.binary(BinaryOp::Plus, num(*pad, "pad")),
    };
    let items = std::iter::once(SelectItem::expr(upload_column("xsj_row")))
        .chain(
            exprs
                .iter()
                .zip(big.names)
                .map(|(e, name)| SelectItem::aliased((*e).clone(), name.clone())),
        )
        .collect();
    let mut out = Select::new(
        SelectList::Items(items),
        vec![upload_table(table), from.clone()],
    );
    out.selection = Some(point_in_circle(
        lon,
        lat,
        upload_column("xsj_lon"),
        upload_column("xsj_lat"),
        r,
    ));
    if let Some(condition) = &select.selection {
        out.and_where(condition.clone());
    }
    Some(Query::select(out))
}

/// `SELECT q.* FROM (<big>) AS q WHERE <q's position in one of circles>`.
pub fn cone_union(big: BigQuery<'_>, circles: &[Circle]) -> Query {
    let condition = circles
        .iter()
        .map(|c| c.contains(column(BIG, big.position.0), column(BIG, big.position.1)))
        .reduce(Expr::or);
    let items = big
        .names
        .iter()
        .map(|n| SelectItem::expr(column(BIG, n)))
        .collect();
    let mut select = Select::new(
        SelectList::Items(items),
        vec![TableRef::derived(big.query.clone(), BIG)],
    );
    select.selection = condition;
    Query::select(select)
}

fn unit(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// At most `max` circles covering every circle of `circles`: each one's centre and radius inside
/// one of them. With more circles than `max`, circles are grouped by cells of a grid whose side
/// doubles until there are few enough groups; each group gets the circle around its mean direction
/// reaching the farthest member's edge.
pub fn cover(circles: &[Circle], max: usize) -> Vec<Circle> {
    if circles.len() <= max {
        return circles.to_vec();
    }
    let largest = circles.iter().map(|c| c.radius).fold(0.0f64, f64::max);
    let mut side = (2.0 * largest).max(1e-3);
    let mut groups: Vec<Vec<Circle>> = vec![circles.to_vec()];
    for _ in 0..40 {
        let mut cells: std::collections::BTreeMap<(i64, i64), Vec<Circle>> = Default::default();
        for c in circles {
            let band = ((c.lat + 90.0) / side).floor();
            let mid = (band + 0.5) * side - 90.0;
            let width = side / mid.to_radians().cos().abs().max(1e-3);
            let column = (c.lon.rem_euclid(360.0) / width).floor();
            cells
                .entry((band as i64, column as i64))
                .or_default()
                .push(*c);
        }
        if cells.len() <= max {
            groups = cells.into_values().collect();
            break;
        }
        side *= 2.0;
    }
    groups
        .iter()
        .map(|group| {
            let mut sum = [0.0f64; 3];
            for c in group {
                let v = unit(c.lon, c.lat);
                for (s, x) in sum.iter_mut().zip(v) {
                    *s += x;
                }
            }
            let [x, y, z] = sum;
            let (lon, lat) = if x * x + y * y + z * z < 1e-24 {
                (0.0, 90.0)
            } else {
                (
                    y.atan2(x).to_degrees().rem_euclid(360.0),
                    z.atan2((x * x + y * y).sqrt()).to_degrees(),
                )
            };
            let radius = group
                .iter()
                .map(|c| adql_geom::distance(lon, lat, c.lon, c.lat) + c.radius)
                .fold(0.0f64, f64::max);
            Circle {
                lon,
                lat,
                radius: (radius * (1.0 + 1e-9) + 1e-9).min(180.0),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn cover_contains_every_circle() {
        let circles: Vec<Circle> = (0..500)
            .map(|i| Circle {
                lon: (i as f64 * 7.3) % 360.0,
                lat: ((i as f64 * 3.1) % 170.0) - 85.0,
                radius: 0.01 + (i % 5) as f64 * 0.001,
            })
            .collect();
        let covered = cover(&circles, 16);
        assert!(covered.len() <= 16, "{}", covered.len());
        for c in &circles {
            assert!(covered.iter().any(|k| {
                adql_geom::distance(k.lon, k.lat, c.lon, c.lat) + c.radius <= k.radius
            }));
        }
        assert_eq!(cover(&circles[..3], 16), circles[..3].to_vec());
    }

    fn idents(names: &[&str]) -> Vec<Ident> {
        names.iter().map(|n| Ident::exact(*n)).collect()
    }

    /// The printed query, which must read back as the tree.
    fn text(query: &Query) -> String {
        let text = query.to_string();
        assert_eq!(adql_syntax::parse(&text).unwrap(), *query, "{text}");
        text
    }

    #[test]
    fn queries() {
        let names = idents(&["id", "ra", "dec"]);
        let big = adql_syntax::parse("SELECT s.id, s.ra, s.dec FROM cat.s AS s").unwrap();
        let side = BigQuery {
            query: &big,
            names: &names,
            position: (&names[1], &names[2]),
        };
        let circle = Circle {
            lon: 10.5,
            lat: -5.0,
            radius: 0.001,
        };
        assert_eq!(
            text(&cone_union(side, &[circle])),
            "SELECT q.id, q.ra, q.dec FROM (SELECT s.id, s.ra, s.dec FROM cat.s AS s) AS q \
             WHERE 1 = CONTAINS(POINT('ICRS', q.ra, q.dec), CIRCLE('ICRS', 10.5, -5.0, 0.001))"
        );
        // A plain select goes inline, so that the server can use its spatial index.
        assert_eq!(
            text(&upload_join(side, "xsj_1", &RadiusRef::Uploaded)),
            "SELECT u.xsj_row, s.id AS id, s.ra AS ra, s.dec AS dec FROM TAP_UPLOAD.xsj_1 AS u, \
             cat.s AS s WHERE 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), \
             CIRCLE('ICRS', u.xsj_lon, u.xsj_lat, u.xsj_r))"
        );
        let filtered = adql_syntax::parse(
            "SELECT s.id, s.ra + 0 AS ra, s.dec FROM cat.s AS s WHERE s.mag < 18.0 OR s.mag IS NULL",
        )
        .unwrap();
        let up = text(&upload_join(
            BigQuery {
                query: &filtered,
                ..side
            },
            "xsj_2",
            &RadiusRef::Constant(0.01),
        ));
        assert!(
            up.ends_with(
                "WHERE 1 = CONTAINS(POINT('ICRS', s.ra + 0, s.dec), \
                 CIRCLE('ICRS', u.xsj_lon, u.xsj_lat, 0.01)) AND (s.mag < 18.0 OR s.mag IS NULL)"
            ),
            "{up}"
        );
        // Anything else stays a derived table.
        for other in [
            "SELECT TOP 5 s.id, s.ra, s.dec FROM cat.s AS s",
            "SELECT DISTINCT s.id, s.ra, s.dec FROM cat.s AS s",
            "SELECT s.id, s.ra, s.dec FROM cat.s AS s ORDER BY s.id",
            "SELECT s.id, t.ra, t.dec FROM cat.s AS s JOIN cat.t AS t ON s.id = t.id",
            "SELECT u.id, u.ra, u.dec FROM cat.s AS u",
        ] {
            let other = adql_syntax::parse(other).unwrap();
            let up = text(&upload_join(
                BigQuery {
                    query: &other,
                    ..side
                },
                "xsj_1",
                &RadiusRef::Uploaded,
            ));
            assert!(
                up.starts_with(
                    "SELECT u.xsj_row, q.id, q.ra, q.dec FROM TAP_UPLOAD.xsj_1 AS u JOIN"
                ),
                "{up}"
            );
        }
        // Placeholders print as <name> in EXPLAIN.
        let nan = Circle {
            lon: f64::NAN,
            lat: f64::NAN,
            radius: f64::NAN,
        };
        assert!(
            placeholder_text(&cone_union(side, &[nan]).to_string())
                .ends_with("CIRCLE('ICRS', <lon>, <lat>, <r>))")
        );
    }
}
