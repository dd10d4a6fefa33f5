//! Plan nodes → an ADQL [`Query`].

use std::collections::HashSet;

use adql_syntax::ast::{
    Expr, Ident, JoinConstraint, JoinKind, OrderByItem, OrderDirection, Query, Select, SelectItem,
    SelectList, SetQuantifier, TableName, TableRef, is_regular_identifier,
};
use datafusion::common::{DFSchema, JoinType, NullEquality};
use datafusion::logical_expr::logical_plan::{
    Aggregate, Distinct, Filter, Join, Limit, Projection, Sort, SubqueryAlias, TableScan,
};
use datafusion::logical_expr::{Expr as DfExpr, FetchType, LogicalPlan, SkipType};

use super::expr::ExprTranslator;
use super::not_pushable::NotPushable;
use crate::capabilities::ServiceCapabilities;

/// How a scanned table is named on the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTableName {
    /// The table's name in the service's ADQL (`schema.table`).
    pub name: TableName,
    /// The ADQL identifier of every field of the table provider's schema, in order.
    pub columns: Vec<Ident>,
}

/// Maps the tables of a plan to their names on one service.
pub trait TableNaming {
    /// The service-side name of the table that `scan` reads, or `None` when that table does not
    /// live on the service (the scan then stays local).
    fn remote_table(&self, scan: &TableScan) -> Option<RemoteTableName>;
}

/// Names every table as DataFusion does (its table reference and field names). Used to run
/// generated ADQL against local tables, as the differential tests do.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalTableNaming;

impl TableNaming for LocalTableNaming {
    fn remote_table(&self, scan: &TableScan) -> Option<RemoteTableName> {
        let r = &scan.table_name;
        let name = TableName::from_parts(
            [r.catalog(), r.schema(), Some(r.table())]
                .into_iter()
                .flatten()
                .map(Ident::exact),
        )?;
        let columns = scan
            .source
            .schema()
            .fields()
            .iter()
            .map(|f| Ident::exact(f.name().as_str()))
            .collect();
        Some(RemoteTableName { name, columns })
    }
}

/// The ADQL query that computes `plan` on a service with capabilities `caps`.
///
/// The select list of the result has exactly the fields of `plan.schema()`, in order (with
/// unique output names). Anything that the service cannot evaluate, or that ADQL cannot express,
/// gives [`NotPushable`].
pub fn plan_to_adql(
    plan: &LogicalPlan,
    caps: &ServiceCapabilities,
    naming: &dyn TableNaming,
) -> Result<Query, NotPushable> {
    let mut generator = Generator {
        caps,
        naming,
        aliases: HashSet::new(),
        derived: 0,
    };
    let rel = generator.rel(plan, None)?;
    generator.finish(rel, plan.schema())
}

/// A `SELECT` under construction.
#[derive(Debug, Clone)]
struct Rel {
    /// Everything but the select list, which [`Generator::finish`] writes from `cols`.
    select: Select,
    order_by: Vec<OrderByItem>,
    offset: Option<u64>,
    /// For each output field of the node: its value in the scope of `select`.
    cols: Vec<Expr>,
    /// `GROUP BY`/aggregates applied: later filters go to HAVING.
    aggregated: bool,
}

impl Rel {
    fn new(from: Vec<TableRef>, cols: Vec<Expr>) -> Rel {
        Rel {
            select: Select::new(SelectList::Items(Vec::new()), from),
            order_by: Vec::new(),
            offset: None,
            cols,
            aggregated: false,
        }
    }

    fn limited(&self) -> bool {
        self.select.top.is_some() || self.offset.is_some()
    }

    fn distinct(&self) -> bool {
        self.select.quantifier == Some(SetQuantifier::Distinct)
    }

    /// Nothing but FROM, WHERE and column references: can be an operand of a join.
    fn is_plain(&self) -> bool {
        !self.aggregated && !self.limited() && !self.distinct()
    }
}

struct Generator<'a> {
    caps: &'a ServiceCapabilities,
    naming: &'a dyn TableNaming,
    /// Correlation names in use, lower-cased.
    aliases: HashSet<String>,
    derived: usize,
}

fn np<T>(reason: impl Into<String>) -> Result<T, NotPushable> {
    Err(NotPushable::new(reason))
}

/// `alias.column`.
fn qualified(alias: &Ident, column: &Ident) -> Expr {
    Expr::column([alias.clone(), column.clone()])
}

impl Generator<'_> {
    fn translator<'s>(&'s self, schema: &'s DFSchema, cols: &'s [Expr]) -> ExprTranslator<'s> {
        ExprTranslator {
            caps: self.caps,
            schema,
            cols,
        }
    }

    fn fresh_alias(&mut self, base: &str) -> Ident {
        let base = if base.is_empty() { "t" } else { base };
        let mut candidate = base.to_string();
        let mut n = 1;
        while !self.aliases.insert(candidate.to_ascii_lowercase()) {
            n += 1;
            candidate = format!("{base}{n}");
        }
        Ident::exact(candidate)
    }

    fn rel(&mut self, plan: &LogicalPlan, alias_hint: Option<&str>) -> Result<Rel, NotPushable> {
        match plan {
            LogicalPlan::TableScan(scan) => self.table_scan(scan, alias_hint),
            LogicalPlan::SubqueryAlias(SubqueryAlias { input, alias, .. }) => {
                self.rel(input, Some(alias.table()))
            }
            LogicalPlan::Projection(projection) => self.projection(projection),
            LogicalPlan::Filter(filter) => self.filter(filter),
            LogicalPlan::Sort(sort) => self.sort(sort),
            LogicalPlan::Limit(limit) => self.limit(limit),
            LogicalPlan::Aggregate(aggregate) => self.aggregate(aggregate),
            LogicalPlan::Join(join) => self.join(join),
            LogicalPlan::Distinct(Distinct::All(input)) => {
                let mut rel = self.rel(input, None)?;
                if rel.limited() {
                    rel = self.wrap(rel, input.schema())?;
                }
                rel.select.quantifier = Some(SetQuantifier::Distinct);
                Ok(rel)
            }
            other => np(format!("{} has no ADQL form", other.display())),
        }
    }

    fn table_scan(
        &mut self,
        scan: &TableScan,
        alias_hint: Option<&str>,
    ) -> Result<Rel, NotPushable> {
        let Some(remote) = self.naming.remote_table(scan) else {
            return np(format!("table {} is not on the service", scan.table_name));
        };
        let source_schema = scan.source.schema();
        if remote.columns.len() != source_schema.fields().len() {
            return np(format!(
                "table {} has inconsistent column metadata",
                scan.table_name
            ));
        }
        let base = alias_hint.unwrap_or_else(|| scan.table_name.table());
        let alias = self.fresh_alias(base);
        let all_cols: Vec<Expr> = remote
            .columns
            .iter()
            .map(|c| qualified(&alias, c))
            .collect();
        let mut rel = Rel::new(vec![TableRef::aliased(remote.name, alias)], Vec::new());
        if !scan.filters.is_empty() {
            let qualified =
                DFSchema::try_from_qualified_schema(scan.table_name.clone(), &source_schema)
                    .map_err(|e| NotPushable::new(e.to_string()))?;
            let translator = self.translator(&qualified, &all_cols);
            let conditions = scan
                .filters
                .iter()
                .map(|f| translator.predicate(f))
                .collect::<Result<Vec<_>, _>>()?;
            rel.select.selection = Expr::conjunction(conditions);
        }
        rel.cols = match &scan.projection {
            Some(indices) => indices
                .iter()
                .map(|&i| {
                    all_cols
                        .get(i)
                        .cloned()
                        .ok_or_else(|| NotPushable::new("projection out of range"))
                })
                .collect::<Result<_, _>>()?,
            None => all_cols,
        };
        if let Some(fetch) = scan.fetch {
            rel.select.top = Some(fetch as u64);
        }
        Ok(rel)
    }

    fn projection(&mut self, projection: &Projection) -> Result<Rel, NotPushable> {
        let input = projection.input.as_ref();
        let mut rel = self.rel(input, None)?;
        if rel.distinct() {
            rel = self.wrap(rel, input.schema())?;
        }
        let translator = self.translator(input.schema(), &rel.cols);
        let cols = projection
            .expr
            .iter()
            .map(|e| translator.value(e))
            .collect::<Result<Vec<_>, _>>()?;
        rel.cols = cols;
        Ok(rel)
    }

    fn filter(&mut self, filter: &Filter) -> Result<Rel, NotPushable> {
        let input = filter.input.as_ref();
        let mut rel = self.rel(input, None)?;
        if rel.limited() {
            rel = self.wrap(rel, input.schema())?;
        }
        let condition = self
            .translator(input.schema(), &rel.cols)
            .predicate(&filter.predicate)?;
        if rel.aggregated {
            rel.select.and_having(condition);
        } else {
            rel.select.and_where(condition);
        }
        Ok(rel)
    }

    fn sort(&mut self, sort: &Sort) -> Result<Rel, NotPushable> {
        let input = sort.input.as_ref();
        let mut rel = self.rel(input, None)?;
        if rel.limited() {
            rel = self.wrap(rel, input.schema())?;
        }
        let translator = self.translator(input.schema(), &rel.cols);
        let mut order_by = Vec::with_capacity(sort.expr.len());
        for key in &sort.expr {
            // ADQL has no NULLS FIRST/LAST; services sort NULLs as their database does, so the
            // generated order equals DataFusion's only up to the position of NULLs.
            let direction = if key.asc {
                OrderDirection::Asc
            } else {
                OrderDirection::Desc
            };
            order_by.push(OrderByItem::new(
                translator.value(&key.expr)?,
                Some(direction),
            ));
        }
        rel.order_by = order_by;
        if let Some(fetch) = sort.fetch {
            rel.select.top = Some(fetch as u64);
        }
        Ok(rel)
    }

    fn limit(&mut self, limit: &Limit) -> Result<Rel, NotPushable> {
        let skip = match limit.get_skip_type() {
            Ok(SkipType::Literal(n)) => n as u64,
            _ => return np("OFFSET must be a literal"),
        };
        let fetch = match limit.get_fetch_type() {
            Ok(FetchType::Literal(n)) => n.map(|n| n as u64),
            _ => return np("TOP must be a literal"),
        };
        let mut rel = self.rel(limit.input.as_ref(), None)?;
        // Rows [offset, offset + top) of the input; the outer limit skips `skip` of those and
        // keeps `fetch`: rows [offset + skip, offset + skip + min(top - skip, fetch)).
        let old_offset = rel.offset.unwrap_or(0);
        let remaining = rel.select.top.map(|top| top.saturating_sub(skip));
        let top = match (remaining, fetch) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let offset = old_offset.saturating_add(skip);
        if offset > 0 && !self.caps.supports_offset() {
            return np("the service does not declare OFFSET");
        }
        rel.offset = (offset > 0).then_some(offset);
        rel.select.top = top;
        Ok(rel)
    }

    fn aggregate(&mut self, aggregate: &Aggregate) -> Result<Rel, NotPushable> {
        let input = aggregate.input.as_ref();
        let mut rel = self.rel(input, None)?;
        if rel.aggregated || rel.limited() || rel.distinct() {
            rel = self.wrap(rel, input.schema())?;
        }
        // The order of the input does not matter to an aggregate.
        rel.order_by.clear();
        let translator = self.translator(input.schema(), &rel.cols);
        let mut group_by = Vec::with_capacity(aggregate.group_expr.len());
        for e in &aggregate.group_expr {
            if matches!(e, DfExpr::GroupingSet(_)) {
                return np("ADQL has no grouping sets");
            }
            let g = translator.value(e)?;
            if !self.caps.is_adql_2_1() && !matches!(g, Expr::Column(_)) {
                return np("ADQL 2.0 groups by column references only");
            }
            group_by.push(g);
        }
        let mut cols = group_by.clone();
        for e in &aggregate.aggr_expr {
            cols.push(translator.value(e)?);
        }
        rel.select.group_by = group_by;
        rel.cols = cols;
        rel.aggregated = true;
        Ok(rel)
    }

    fn join(&mut self, join: &Join) -> Result<Rel, NotPushable> {
        let kind = match join.join_type {
            JoinType::Inner => JoinKind::Inner,
            JoinType::Left => JoinKind::Left,
            JoinType::Right => JoinKind::Right,
            JoinType::Full => JoinKind::Full,
            other => return np(format!("{other} joins have no ADQL form")),
        };
        if join.null_equality != NullEquality::NullEqualsNothing || join.null_aware {
            return np("ADQL join keys never match NULL");
        }
        let (left_plan, right_plan) = (join.left.as_ref(), join.right.as_ref());
        let mut left = self.rel(left_plan, None)?;
        let mut right = self.rel(right_plan, None)?;
        // Which sides may be NULL-extended, and which sides' conditions may move to WHERE.
        let (left_nullable, right_nullable) = match kind {
            JoinKind::Inner => (false, false),
            JoinKind::Left => (false, true),
            JoinKind::Right => (true, false),
            JoinKind::Full => (true, true),
        };
        let needs_wrap = |rel: &Rel, nullable: bool, other_nullable: bool| {
            !rel.is_plain()
                || (kind != JoinKind::Inner && rel.select.from.len() != 1)
                // A computed column of a NULL-extended side must be NULL for unmatched rows.
                || (nullable && rel.cols.iter().any(|c| !matches!(c, Expr::Column(_))))
                // A full join keeps unmatched rows of both sides: conditions cannot move.
                || (nullable && other_nullable && rel.select.selection.is_some())
        };
        if needs_wrap(&left, left_nullable, right_nullable) {
            left = self.wrap(left, left_plan.schema())?;
        }
        if needs_wrap(&right, right_nullable, left_nullable) {
            right = self.wrap(right, right_plan.schema())?;
        }

        let mut on = Vec::new();
        {
            let lt = self.translator(left_plan.schema(), &left.cols);
            let rt = self.translator(right_plan.schema(), &right.cols);
            for (l, r) in &join.on {
                on.push(lt.value(l)?.eq(rt.value(r)?));
            }
        }
        let mut cols = left.cols;
        cols.extend(right.cols);
        if let Some(filter) = &join.filter {
            let combined = left_plan
                .schema()
                .as_ref()
                .clone()
                .join(right_plan.schema())
                .map_err(|e| NotPushable::new(e.to_string()))?;
            on.push(self.translator(&combined, &cols).predicate(filter)?);
        }
        // Conditions of a side that is never NULL-extended hold after the join as before it;
        // those of a NULL-extended side restrict its rows before matching, as part of ON.
        let mut selection = Vec::new();
        for (side, nullable) in [
            (&mut left.select, left_nullable),
            (&mut right.select, right_nullable),
        ] {
            if let Some(condition) = side.selection.take() {
                if nullable {
                    on.push(condition)
                } else {
                    selection.push(condition)
                }
            }
        }
        let single = left.select.from.len() == 1 && right.select.from.len() == 1;
        let from = if kind == JoinKind::Inner && (!single || on.is_empty()) {
            // A comma list is a cross product; the join condition filters it.
            selection.extend(on);
            let mut from = left.select.from;
            from.extend(right.select.from);
            from
        } else {
            let on = Expr::conjunction(on).unwrap_or_else(|| Expr::integer(1).eq(Expr::integer(1)));
            let (Some(l), Some(r)) = (left.select.from.pop(), right.select.from.pop()) else {
                return np("join operand without FROM");
            };
            vec![l.join(kind, r, Some(JoinConstraint::On(on)))]
        };
        let mut rel = Rel::new(from, cols);
        rel.select.selection = Expr::conjunction(selection);
        Ok(rel)
    }

    /// Makes `rel` a derived table of a new `SELECT`; `schema` is the schema of the node `rel`
    /// was built from.
    fn wrap(&mut self, rel: Rel, schema: &DFSchema) -> Result<Rel, NotPushable> {
        let inner = self.finish(rel, schema)?;
        self.derived += 1;
        let alias = self.fresh_alias(&format!("q{}", self.derived));
        let cols = inner
            .output_names()
            .ok_or_else(|| NotPushable::new("derived table column without a name"))?
            .into_iter()
            .map(|name| qualified(&alias, name))
            .collect();
        Ok(Rel::new(vec![TableRef::derived(inner, alias)], cols))
    }

    /// The finished query for `rel`: one select item per field of `schema`, with unique output
    /// names, and ORDER BY keys referring to output names where they can.
    fn finish(&self, rel: Rel, schema: &DFSchema) -> Result<Query, NotPushable> {
        let Rel {
            mut select,
            mut order_by,
            offset,
            cols,
            ..
        } = rel;
        if cols.is_empty() {
            // Only the number of rows is wanted (e.g. below COUNT(*)); ADQL selects something.
            select.items = SelectList::Items(vec![SelectItem::aliased(Expr::integer(1), "c1")]);
            order_by.retain(|_| self.caps.is_adql_2_1());
            return Ok(query(select, order_by, offset));
        }
        let mut used: HashSet<String> = HashSet::new();
        let mut items = Vec::with_capacity(cols.len());
        let mut names = Vec::with_capacity(cols.len());
        for (i, expr) in cols.iter().enumerate() {
            let field_name = schema
                .fields()
                .get(i)
                .map(|f| f.name().as_str())
                .unwrap_or_default();
            let mut name = if is_regular_identifier(field_name) {
                field_name.to_string()
            } else {
                format!("c{}", i + 1)
            };
            while used.contains(&name.to_ascii_lowercase()) {
                name = format!("{name}_{}", i + 1);
            }
            used.insert(name.to_ascii_lowercase());
            let ident = Ident::exact(name);
            let item = match expr {
                Expr::Column(c) if c.column == ident => SelectItem::expr(expr.clone()),
                _ => SelectItem::aliased(expr.clone(), ident.clone()),
            };
            names.push(ident);
            items.push(item);
        }
        for key in &mut order_by {
            if let Some(pos) = cols.iter().position(|c| *c == key.expr) {
                if let Some(name) = names.get(pos) {
                    key.expr = Expr::column([name.clone()]);
                }
            } else if select.quantifier == Some(SetQuantifier::Distinct) {
                return np("ORDER BY of SELECT DISTINCT must use selected columns");
            } else if !self.caps.is_adql_2_1()
                && !matches!(&key.expr, Expr::Column(c) if c.table.is_none())
            {
                return np("ADQL 2.0 orders by selected column names only");
            }
        }
        select.items = SelectList::Items(items);
        Ok(query(select, order_by, offset))
    }
}

fn query(select: Select, order_by: Vec<OrderByItem>, offset: Option<u64>) -> Query {
    Query {
        order_by,
        offset,
        ..Query::select(select)
    }
}
