//! The cost model that chooses a cross-service join strategy from row estimates.
//!
//! Every cost is an estimate of wall-clock seconds, built from a few constants ([`CostModel`]): a
//! request's latency, the time to download or upload one value (a "cell": one column of one row), the
//! fixed cost of a server ingesting an uploaded table, how many cone queries run at once, and what
//! each circle of a region query costs the server. With `ns`, `cs` the rows and columns of the small
//! side, `nb`, `cb` those of the big side and `pairs` the expected number of matches:
//!
//! | strategy | cost |
//! | --- | --- |
//! | (a) local crossmatch | `L + D·(ns·cs + nb·cb)` (both sides fetched at once) |
//! | (b) upload join | `L + D·ns·cs + ⌈blocks / P⌉·(L + O) + U·ns·k + D·pairs·(cb + 1)` |
//! | (c) batched cones | `L + D·ns·cs + ⌈ns / C⌉·L + D·pairs·cb` |
//! | (d) region prefetch | `L + D·ns·cs + L + R·circles + D·candidates·cb` |
//!
//! A side the session answers itself (a local table) costs nothing to fetch: its `L + D·n·c` terms are 0.
//! `P` uploads run at once ([`CostModel::upload_concurrency`]).
//!
//! `pairs` assumes the big side spread evenly over [`CostModel::footprint_deg2`]:
//! `ns · nb · area(r) / footprint`, but at least [`CostModel::min_matches_per_row`] per row of the
//! smaller side. A region query has at most [`CostModel::region_max_circles`]
//! circles; with more small rows the circles cover groups of rows, and the candidates grow toward the
//! whole big side: `pairs + (nb − pairs)·(1 − max_circles / ns)`.

use std::fmt;

use adql_engine::crossmatch::Side;

use crate::side::InputSource;

/// A way to answer a crossmatch between two services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// (a) Fetch each (filtered) side and crossmatch locally.
    LocalCrossmatch,
    /// (b) Upload the small side (`TAP_UPLOAD`) and let the big side's service join.
    UploadJoin,
    /// (c) One cone query on the big side per row of the small side, a few at a time.
    BatchedCones,
    /// (d) One query on the big side whose filter is the union of the small side's cones.
    RegionPrefetch,
}

impl Strategy {
    /// Every strategy, in the order.
    pub const ALL: [Strategy; 4] = [
        Strategy::LocalCrossmatch,
        Strategy::UploadJoin,
        Strategy::BatchedCones,
        Strategy::RegionPrefetch,
    ];

    /// Short name: `local`, `upload`, `cones`, `region`.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::LocalCrossmatch => "local",
            Strategy::UploadJoin => "upload",
            Strategy::BatchedCones => "cones",
            Strategy::RegionPrefetch => "region",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::LocalCrossmatch => "(a) local crossmatch",
            Strategy::UploadJoin => "(b) upload join",
            Strategy::BatchedCones => "(c) batched cones",
            Strategy::RegionPrefetch => "(d) region prefetch",
        })
    }
}

/// The constants of the cost model (seconds). The defaults describe a public archive over the
/// internet: a third of a second per request, and about 100 000 values a second through the
/// whole pipe (the server reading and serialising them, the transfer, VOTable parsing), both ways.
#[derive(Debug, Clone, PartialEq)]
pub struct CostModel {
    /// `L`: latency of one TAP request (submit, plan, first byte).
    pub request_latency_s: f64,
    /// `D`: downloading one value.
    pub download_per_cell_s: f64,
    /// `U`: uploading one value.
    pub upload_per_cell_s: f64,
    /// `O`: the server ingesting one uploaded table (creating and indexing it).
    pub upload_overhead_s: f64,
    /// Rows per uploaded table; a larger small side is uploaded in several requests (fewer when the
    /// service declares a smaller upload limit).
    pub upload_block_rows: usize,
    /// `P`: upload joins in flight at once.
    pub upload_concurrency: usize,
    /// `C`: cone queries in flight at once.
    pub cone_concurrency: usize,
    /// `R`: server cost of one circle of a region query.
    pub region_circle_cost_s: f64,
    /// Most circles in one region query; more small rows are covered by larger circles.
    pub region_max_circles: usize,
    /// Area (square degrees) the big side is assumed to spread over, for the expected matches.
    pub footprint_deg2: f64,
    /// Radius (degrees) assumed when it varies per row.
    pub assumed_radius_deg: f64,
    /// Rows assumed for a side whose COUNT failed.
    pub unknown_rows: u64,
    /// A local side is read while planning up to this many rows: that many are known exactly (and read
    /// once), more only as "at least" (the side is then read again when the join runs).
    pub local_rows_cap: u64,
    /// The COUNT probe stops counting past this many rows (the side is then "at least" that big): a
    /// server counts a million-row table in about half a second, as long as the crossmatch itself, while
    /// the choice of strategy only needs to know that the side is large.
    pub count_cap: u64,
    /// Matches expected per row of the smaller side at least: a crossmatch is usually asked of
    /// catalogues that overlap, where an even spread over the footprint underestimates.
    pub min_matches_per_row: f64,
}

impl Default for CostModel {
    fn default() -> Self {
        Self {
            request_latency_s: 0.3,
            download_per_cell_s: 1e-5,
            upload_per_cell_s: 1e-5,
            upload_overhead_s: 0.1,
            upload_block_rows: 5000,
            upload_concurrency: 4,
            cone_concurrency: 8,
            region_circle_cost_s: 0.001,
            region_max_circles: 64,
            footprint_deg2: 41_253.0,
            assumed_radius_deg: 10.0 / 3600.0,
            unknown_rows: 1_000_000,
            local_rows_cap: 1_000_000,
            count_cap: 100_000,
            min_matches_per_row: 1.0,
        }
    }
}

/// What is known of one side before choosing.
#[derive(Debug, Clone, PartialEq)]
pub struct SideEstimate {
    /// Who answers the side.
    pub input: InputSource,
    /// Rows, when the COUNT probe (or a hint) answered.
    pub rows: Option<u64>,
    /// Columns of the side.
    pub columns: usize,
    /// Where `rows` comes from (`COUNT(*)`, or why it is unknown).
    pub source: String,
}

/// One strategy with one side as the small side: its cost, or why it cannot preserve the query's meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The strategy.
    pub strategy: Strategy,
    /// The side uploaded or probed with cones (the other side's service is queried); `None` for (a).
    pub small: Option<Side>,
    /// Estimated seconds, or the reason it is not a candidate.
    pub cost: Result<f64, String>,
}

/// The model's choice and everything that went into it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The cheapest candidate.
    pub chosen: Candidate,
    /// Left side estimate.
    pub left: SideEstimate,
    /// Right side estimate.
    pub right: SideEstimate,
    /// Expected matching pairs.
    pub pairs: f64,
    /// Every candidate considered, in order.
    pub candidates: Vec<Candidate>,
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Left => "left",
        Side::Right => "right",
    }
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.strategy)?;
        if let Some(small) = self.small {
            write!(f, " small={}", side_name(small))?;
        }
        match &self.cost {
            Ok(c) => write!(f, " cost={c:.3}s"),
            Err(why) => write!(f, " not possible: {why}"),
        }
    }
}

impl fmt::Display for SideEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rows {
            Some(n) => write!(f, "{} rows={n}", self.input)?,
            None => write!(f, "{} rows=?", self.input)?,
        }
        write!(f, " columns={} ({})", self.columns, self.source)
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "strategy={} because it is the cheapest; estimates: left {}, right {}, pairs≈{:.1}; candidates: ",
            self.chosen, self.left, self.right, self.pairs
        )?;
        for (i, c) in self.candidates.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// What the planner found possible, per strategy and small side: `Err(reason)` when a strategy would
/// change the query's meaning or the services cannot do it.
#[derive(Debug, Clone)]
pub struct Feasibility {
    /// (b), (c), (d) with the left side small.
    pub small_left: [Option<String>; 3],
    /// (b), (c), (d) with the right side small.
    pub small_right: [Option<String>; 3],
    /// Rows per uploaded table with the left side small (the big side's service may limit uploads).
    pub block_rows_small_left: usize,
    /// Rows per uploaded table with the right side small.
    pub block_rows_small_right: usize,
}

impl Default for Feasibility {
    /// Every strategy possible, uploads in blocks of the default model's size.
    fn default() -> Self {
        let block = CostModel::default().upload_block_rows;
        Self {
            small_left: Default::default(),
            small_right: Default::default(),
            block_rows_small_left: block,
            block_rows_small_right: block,
        }
    }
}

impl Feasibility {
    /// Rows per uploaded table when `small` is the small side.
    pub fn block_rows(&self, small: Side) -> usize {
        match small {
            Side::Left => self.block_rows_small_left,
            Side::Right => self.block_rows_small_right,
        }
        .max(1)
    }
}

impl CostModel {
    fn rows(&self, side: &SideEstimate) -> f64 {
        side.rows.unwrap_or(self.unknown_rows) as f64
    }

    /// Expected matching pairs of `left` × `right` within `radius` degrees.
    pub fn expected_pairs(&self, left: &SideEstimate, right: &SideEstimate, radius: f64) -> f64 {
        let (nl, nr) = (self.rows(left), self.rows(right));
        let r = radius.clamp(0.0, 180.0);
        // Area of a cap of radius r (square degrees), never more than the footprint.
        let cap = (2.0 * std::f64::consts::PI * (1.0 - r.to_radians().cos()))
            * (180.0 / std::f64::consts::PI).powi(2);
        let fraction = (cap / self.footprint_deg2.max(f64::MIN_POSITIVE)).min(1.0);
        (nl * nr * fraction)
            .max(nl.min(nr) * self.min_matches_per_row)
            .min(nl * nr)
    }

    /// The cost of `strategy` with `small` as the small side (`None` for (a)); an upload goes in
    /// tables of `block_rows` rows.
    pub fn cost(
        &self,
        strategy: Strategy,
        small: &SideEstimate,
        big: &SideEstimate,
        pairs: f64,
        uploaded_columns: usize,
        block_rows: usize,
    ) -> f64 {
        let (l, d) = (self.request_latency_s, self.download_per_cell_s);
        let (ns, nb) = (self.rows(small), self.rows(big));
        let (cs, cb) = (small.columns as f64, big.columns as f64);
        // Fetching a side: nothing when the session answers it.
        let fetch = |side: &SideEstimate, n: f64, c: f64| {
            if side.input.is_local() {
                0.0
            } else {
                l + d * n * c
            }
        };
        let fetch_small = fetch(small, ns, cs);
        match strategy {
            Strategy::LocalCrossmatch => {
                // Both remote sides are fetched at once: one latency.
                let remote = [(small, ns * cs), (big, nb * cb)]
                    .into_iter()
                    .filter(|(side, _)| !side.input.is_local());
                remote
                    .fold(None, |cost: Option<f64>, (_, cells)| {
                        Some(cost.unwrap_or(l) + d * cells)
                    })
                    .unwrap_or(0.0)
            }
            Strategy::UploadJoin => {
                let blocks = (ns / block_rows.max(1) as f64).ceil().max(1.0);
                let rounds = (blocks / self.upload_concurrency.max(1) as f64).ceil();
                fetch_small
                    + rounds * (l + self.upload_overhead_s)
                    + self.upload_per_cell_s * ns * uploaded_columns as f64
                    + d * pairs * (cb + 1.0)
            }
            Strategy::BatchedCones => {
                let rounds = (ns / self.cone_concurrency.max(1) as f64).ceil();
                fetch_small + rounds * l + d * pairs * cb
            }
            Strategy::RegionPrefetch => {
                let max = self.region_max_circles.max(1) as f64;
                let circles = ns.min(max);
                let candidates = if ns <= max {
                    pairs
                } else {
                    pairs + (nb - pairs).max(0.0) * (1.0 - max / ns)
                };
                fetch_small + l + self.region_circle_cost_s * circles + d * candidates * cb
            }
        }
    }

    /// Chooses the cheapest possible strategy. (a) is always possible.
    pub fn decide(
        &self,
        left: SideEstimate,
        right: SideEstimate,
        radius: Option<f64>,
        feasibility: &Feasibility,
        uploaded_columns: usize,
    ) -> Decision {
        let pairs = self.expected_pairs(&left, &right, radius.unwrap_or(self.assumed_radius_deg));
        let mut candidates = vec![Candidate {
            strategy: Strategy::LocalCrossmatch,
            small: None,
            cost: Ok(self.cost(Strategy::LocalCrossmatch, &left, &right, pairs, 0, 1)),
        }];
        let others = [
            Strategy::UploadJoin,
            Strategy::BatchedCones,
            Strategy::RegionPrefetch,
        ];
        for (i, strategy) in others.into_iter().enumerate() {
            for small in [Side::Left, Side::Right] {
                let (s, b, reasons) = match small {
                    Side::Left => (&left, &right, &feasibility.small_left),
                    Side::Right => (&right, &left, &feasibility.small_right),
                };
                let cost = match reasons.get(i).cloned().flatten() {
                    Some(why) => Err(why),
                    None => Ok(self.cost(
                        strategy,
                        s,
                        b,
                        pairs,
                        uploaded_columns,
                        feasibility.block_rows(small),
                    )),
                };
                candidates.push(Candidate {
                    strategy,
                    small: Some(small),
                    cost,
                });
            }
        }
        // The first cheapest wins: (a) on ties, so that an unsure model keeps the simplest plan.
        let mut chosen = candidates[0].clone();
        for c in &candidates[1..] {
            if let (Ok(cost), Ok(best)) = (&c.cost, &chosen.cost)
                && cost < best
            {
                chosen = c.clone();
            }
        }
        Decision {
            chosen,
            left,
            right,
            pairs,
            candidates,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(service: &str, rows: u64, columns: usize) -> SideEstimate {
        SideEstimate {
            input: InputSource::Service(service.into()),
            rows: Some(rows),
            columns,
            source: "COUNT(*)".into(),
        }
    }

    fn choose(small_rows: u64, big_rows: u64, big_columns: usize) -> (Strategy, Option<Side>) {
        let d = CostModel::default().decide(
            side("a", small_rows, 3),
            side("b", big_rows, big_columns),
            Some(0.01),
            &Feasibility::default(),
            3,
        );
        (d.chosen.strategy, d.chosen.small)
    }

    #[test]
    fn regimes_of_the_default_model() {
        // A handful of rows against a large catalogue: cones.
        assert_eq!(
            choose(3, 1_000_000, 5),
            (Strategy::BatchedCones, Some(Side::Left))
        );
        // Tens of rows: one region query.
        assert_eq!(
            choose(40, 1_000_000, 5),
            (Strategy::RegionPrefetch, Some(Side::Left))
        );
        // Thousands of rows: upload.
        assert_eq!(
            choose(3000, 1_000_000, 5),
            (Strategy::UploadJoin, Some(Side::Left))
        );
        // Both sides small: fetch both.
        assert_eq!(choose(300, 2000, 3), (Strategy::LocalCrossmatch, None));
    }

    #[test]
    fn excluded_candidates_are_reported_and_local_always_remains() {
        let reasons = || {
            [
                Some("no upload".to_string()),
                Some("no cones".to_string()),
                Some("no region".to_string()),
            ]
        };
        let feasibility = Feasibility {
            small_left: reasons(),
            small_right: reasons(),
            ..Feasibility::default()
        };
        let d = CostModel::default().decide(
            side("a", 3, 3),
            side("b", 1_000_000, 5),
            None,
            &feasibility,
            4,
        );
        assert_eq!(d.chosen.strategy, Strategy::LocalCrossmatch);
        assert_eq!(d.candidates.len(), 7);
        let text = d.to_string();
        assert!(text.contains("not possible: no upload"), "{text}");
        assert!(text.contains("strategy=(a) local crossmatch"), "{text}");
    }

    #[test]
    fn a_local_side_costs_nothing_to_fetch() {
        let model = CostModel::default();
        let local = SideEstimate {
            input: InputSource::Local,
            ..side("", 1000, 3)
        };
        let big = side("b", 1_000_000, 5);
        let d = model.decide(
            local.clone(),
            big.clone(),
            Some(0.01),
            &Feasibility::default(),
            3,
        );
        // A thousand local targets against a million remote rows: upload them, in one block.
        assert_eq!(d.chosen.strategy, Strategy::UploadJoin);
        assert_eq!(d.chosen.small, Some(Side::Left));
        let remote = side("a", 1000, 3);
        let pairs = model.expected_pairs(&local, &big, 0.01);
        let diff = model.cost(Strategy::UploadJoin, &remote, &big, pairs, 3, 5000)
            - model.cost(Strategy::UploadJoin, &local, &big, pairs, 3, 5000);
        let fetch = model.request_latency_s + model.download_per_cell_s * 3000.0;
        assert!((diff - fetch).abs() < 1e-9, "{diff}");
        assert!(d.to_string().contains("left local rows=1000"), "{d}");
    }

    #[test]
    fn unknown_rows_use_the_assumption() {
        let model = CostModel::default();
        let mut unknown = side("a", 0, 3);
        unknown.rows = None;
        let cost = model.cost(
            Strategy::LocalCrossmatch,
            &unknown,
            &side("b", 0, 3),
            0.0,
            3,
            5000,
        );
        assert!(cost > model.download_per_cell_s * model.unknown_rows as f64);
    }
}
