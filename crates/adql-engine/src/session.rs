//! [`AdqlSession`]: a DataFusion session that speaks ADQL.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use adql_syntax::ParseOptions;
use adql_syntax::ast;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::TableReference;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::context::{QueryPlanner, SessionState};
use datafusion::execution::{FunctionRegistry, SessionStateBuilder};
use datafusion::logical_expr::LogicalPlan;
use datafusion::optimizer::OptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement;

use crate::error::EngineError;
use crate::lower::scope::ident_matches;
use crate::lower::span::SpanMap;
use crate::lower::{self, Catalog, Lowered, Resolution, ResolvedTable};
use crate::{crossmatch, functions, tables, topk_bound};

/// What a layer above the engine adds to an [`AdqlSession`].
///
/// DataFusion runs optimizer rules in list order, several passes over the plan. The list is: DataFusion's
/// own rules, then `early_rules`, then the engine's crossmatch rule, then `late_rules`. A rule that must see
/// joins before the crossmatch rule turns positional joins into [`crossmatch::CrossmatchNode`]s (the
/// federated planner's pushdown, which sends a same-service crossmatch out whole) is early; a rule that
/// works on crossmatch nodes (choosing a cross-service join strategy) is late.
#[derive(Clone, Default)]
pub struct SessionExtensions {
    /// Optimizer rules run before the crossmatch rule.
    pub early_rules: Vec<Arc<dyn OptimizerRule + Send + Sync>>,
    /// Optimizer rules run after the crossmatch rule.
    pub late_rules: Vec<Arc<dyn OptimizerRule + Send + Sync>>,
    /// Physical planners for the layer's logical extension nodes.
    pub extension_planners: Vec<Arc<dyn ExtensionPlanner + Send + Sync>>,
}

impl fmt::Debug for SessionExtensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |rules: &[Arc<dyn OptimizerRule + Send + Sync>]| {
            rules
                .iter()
                .map(|r| r.name().to_owned())
                .collect::<Vec<_>>()
        };
        f.debug_struct("SessionExtensions")
            .field("early_rules", &names(&self.early_rules))
            .field("late_rules", &names(&self.late_rules))
            .field("extension_planners", &self.extension_planners.len())
            .finish()
    }
}

/// A DataFusion [`SessionContext`] with the ADQL functions, the geometry functions and the crossmatch rules,
/// which plans and runs ADQL queries.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::sync::Arc;
/// use adql_engine::AdqlSession;
/// use datafusion::arrow::array::{Float64Array, Int64Array, RecordBatch};
/// use datafusion::arrow::datatypes::{DataType, Field, Schema};
/// use datafusion::datasource::MemTable;
///
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("id", DataType::Int64, false),
///     Field::new("Mag", DataType::Float64, true),
/// ]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![
///     Arc::new(Int64Array::from(vec![1, 2, 3])),
///     Arc::new(Float64Array::from(vec![12.5, 9.0, 15.25])),
/// ])?;
/// let session = AdqlSession::new();
/// session.register_table("stars", Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))?;
///
/// // Regular identifiers match stored names without case; TOP becomes the limit.
/// let rows = session.query("SELECT TOP 2 id, mag FROM stars ORDER BY mag").await?.collect().await?;
/// assert_eq!(rows[0].num_rows(), 2);
/// assert_eq!(rows[0].schema().field(1).name(), "Mag");
///
/// // Errors point into the ADQL text.
/// let err = session.query("SELECT id, nope FROM stars").await.unwrap_err();
/// assert_eq!(err.line_column("SELECT id, nope FROM stars"), Some((1, 12)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct AdqlSession {
    ctx: SessionContext,
    parse_options: ParseOptions,
}

impl fmt::Debug for AdqlSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdqlSession")
            .field("session_id", &self.ctx.session_id())
            .finish_non_exhaustive()
    }
}

impl Default for AdqlSession {
    fn default() -> Self {
        Self::new()
    }
}

impl AdqlSession {
    /// A session with DataFusion's default configuration.
    pub fn new() -> Self {
        Self::with_config(SessionConfig::new())
    }

    /// A session built on `config`. The settings ADQL depends on are forced: span collection (for
    /// positioned errors), no identifier normalisation (the lowering emits exact names), and plain `Utf8`
    /// strings rather than views (`CHAR`/`VARCHAR` are `Utf8`, and the output writers expect it).
    pub fn with_config(config: SessionConfig) -> Self {
        Self::with_extensions(config, SessionExtensions::default())
    }

    /// A session built on `config` with what a layer above the engine adds (the federated planner's
    /// rules and physical planners); see [`SessionExtensions`] for where each part goes.
    pub fn with_extensions(mut config: SessionConfig, extensions: SessionExtensions) -> Self {
        let options = config.options_mut();
        options.sql_parser.collect_spans = true;
        options.sql_parser.enable_ident_normalization = false;
        options.sql_parser.map_string_types_to_utf8view = false;
        options.execution.parquet.schema_force_view_types = false;
        let mut builder = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features();
        // Appended after the built-ins, so the ADQL `round` replaces DataFusion's.
        builder
            .scalar_functions()
            .get_or_insert_with(Vec::new)
            .extend(
                functions::udfs()
                    .into_iter()
                    .chain(functions::geometry::udfs()),
            );
        for rule in extensions
            .early_rules
            .into_iter()
            .chain(crossmatch::optimizer_rules())
            .chain(extensions.late_rules)
        {
            builder = builder.with_optimizer_rule(rule);
        }
        for rule in crossmatch::physical_optimizer_rules() {
            builder = builder.with_physical_optimizer_rule(rule);
        }
        builder = builder.with_physical_optimizer_rule(Arc::new(topk_bound::BoundTopKAggregation));
        let planners: Vec<_> = crossmatch::extension_planners()
            .into_iter()
            .chain(extensions.extension_planners)
            .collect();
        if !planners.is_empty() {
            builder = builder.with_query_planner(Arc::new(AdqlQueryPlanner { planners }));
        }
        Self {
            ctx: SessionContext::new_with_state(builder.build()),
            parse_options: ParseOptions::default(),
        }
    }

    /// Uses `options` (ADQL version, features, declared UDFs) to parse queries.
    #[must_use]
    pub fn with_parse_options(mut self, options: ParseOptions) -> Self {
        self.parse_options = options;
        self
    }

    /// The underlying DataFusion context (to register catalogs, functions, or run SQL).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Registers a file as table `name`, its format chosen by extension (see [`tables`]).
    ///
    /// # Errors
    /// The format is unknown, the file cannot be read, or the name is taken.
    pub async fn register_file(&self, name: &str, path: &Path) -> Result<(), EngineError> {
        self.register_file_with_units(name, path, &[]).await
    }

    /// Registers a file as table `name`, setting the `unit` metadata of the columns listed in `units`
    /// (column name → VOUnit).
    ///
    /// # Errors
    /// As [`register_file`](Self::register_file), or a unit is given for a column the file does not have.
    pub async fn register_file_with_units(
        &self,
        name: &str,
        path: &Path,
        units: &[(String, String)],
    ) -> Result<(), EngineError> {
        let table = tables::load(&self.ctx, path, units).await?;
        self.register_table(name, table)
    }

    /// Registers a table provider as table `name` in the default schema.
    ///
    /// # Errors
    /// The name is empty or already taken.
    pub fn register_table(
        &self,
        name: &str,
        table: Arc<dyn TableProvider>,
    ) -> Result<(), EngineError> {
        if name.is_empty() {
            return Err(EngineError::Name("a table name cannot be empty".to_owned()));
        }
        let reference = TableReference::bare(name);
        if self.ctx.table_exist(reference.clone()).unwrap_or(false) {
            return Err(EngineError::Name(format!(
                "a table named '{name}' is already registered"
            )));
        }
        self.ctx
            .register_table(reference, table)
            .map_err(|e| EngineError::Name(e.to_string()))?;
        Ok(())
    }

    /// Parses an ADQL query with the session's parse options.
    ///
    /// # Errors
    /// [`EngineError::Syntax`].
    pub fn parse(&self, adql: &str) -> Result<ast::Query, EngineError> {
        adql_syntax::parse_with(adql, &self.parse_options)
            .map_err(|e| EngineError::Syntax(Box::new(e)))
    }

    /// Parses and lowers an ADQL query to the SQL tree DataFusion plans (useful to inspect the lowering).
    ///
    /// # Errors
    /// Syntax errors and the lowering's positioned errors.
    pub async fn lower(&self, adql: &str) -> Result<Lowered, EngineError> {
        let query = self.parse(adql)?;
        let catalog = self.catalog(&query).await?;
        lower::lower(&query, &catalog, adql)
    }

    /// The (unoptimised, type-checked) DataFusion logical plan of an ADQL query.
    ///
    /// # Errors
    /// Syntax errors, and planning errors positioned in `adql`.
    pub async fn logical_plan(&self, adql: &str) -> Result<LogicalPlan, EngineError> {
        let planned = self.plan(adql).await?;
        let state = self.ctx.state();
        // Run the analyzer now so that type errors are reported with their position rather than at execution.
        state
            .analyzer()
            .execute_and_check(planned.plan.clone(), state.config_options(), |_, _| {})
            .map_err(|e| map_error(&e, &planned.lowered, adql))?;
        Ok(planned.plan)
    }

    /// Plans an ADQL query; the [`DataFrame`] runs it when collected or streamed.
    ///
    /// The plan is optimised here rather than when the frame runs, so that what fails while the optimiser
    /// folds constants (`CIRCLE('ICRS', 10, 95, 1)`, `dec > 'x'`) is reported with its position in `adql`.
    ///
    /// # Errors
    /// As [`logical_plan`](Self::logical_plan), and constant expressions that cannot be evaluated.
    pub async fn query(&self, adql: &str) -> Result<DataFrame, EngineError> {
        let planned = self.plan(adql).await?;
        let state = self.ctx.state();
        // `optimize` runs the analyzer (type checks) first.
        let optimized = state
            .optimize(&planned.plan)
            .map_err(|e| map_error(&e, &planned.lowered, adql))?;
        // The frame must not optimise the plan a second time.
        let state = SessionStateBuilder::new_from_existing(state)
            .with_optimizer_rules(Vec::new())
            .build();
        Ok(DataFrame::new(state, optimized))
    }

    /// Parses, lowers and plans `adql` (not yet type-checked).
    async fn plan(&self, adql: &str) -> Result<Planned, EngineError> {
        let lowered = self.lower(adql).await?;
        let mut state = self.ctx.state();
        // A fresh `rand` per query, so that a seeded RAND restarts its sequence.
        state
            .register_udf(functions::fresh_rand())
            .map_err(EngineError::from)?;
        let statement = Statement::Statement(Box::new(lowered.statement.clone()));
        let plan = state
            .statement_to_plan(statement)
            .await
            .map_err(|e| map_error(&e, &lowered, adql))?;
        Ok(Planned { plan, lowered })
    }

    /// Resolves the tables `query` names and lists the session's functions.
    async fn catalog(&self, query: &ast::Query) -> Result<Catalog, EngineError> {
        let mut catalog = Catalog::new();
        let state = self.ctx.state();
        for name in state
            .scalar_functions()
            .keys()
            .chain(state.aggregate_functions().keys())
        {
            catalog.insert_function(name);
        }
        let mut names = Vec::new();
        collect_tables_query(query, &mut names);
        let mut seen = HashSet::new();
        for name in names {
            if seen.insert(Catalog::key(name)) {
                let resolution = self.resolve(name).await?;
                catalog.insert_table(name, resolution);
            }
        }
        Ok(catalog)
    }

    /// Finds the table an ADQL table name designates: each part matched against the session's catalogs,
    /// schemas and tables, exactly when quoted and without case otherwise.
    async fn resolve(&self, name: &ast::TableName) -> Result<Resolution, EngineError> {
        let config = self.ctx.copied_config();
        let defaults = &config.options().catalog;
        let pick = |candidates: Vec<String>,
                    wanted: Option<&ast::Ident>,
                    default: &str|
         -> Result<String, Vec<String>> {
            match wanted {
                None => Ok(default.to_owned()),
                Some(ident) => {
                    let mut found: Vec<String> = candidates
                        .iter()
                        .filter(|c| ident_matches(ident, c, true))
                        .cloned()
                        .collect();
                    if found.len() > 1 {
                        found.retain(|c| *c == ident.value);
                    }
                    found.pop().ok_or(candidates)
                }
            }
        };
        let Ok(catalog_name) = pick(
            self.ctx.catalog_names(),
            name.catalog.as_ref(),
            &defaults.default_catalog,
        ) else {
            return Ok(Resolution::NotFound(self.ctx.catalog_names()));
        };
        let Some(catalog) = self.ctx.catalog(&catalog_name) else {
            return Ok(Resolution::NotFound(Vec::new()));
        };
        let Ok(schema_name) = pick(
            catalog.schema_names(),
            name.schema.as_ref(),
            &defaults.default_schema,
        ) else {
            return Ok(Resolution::NotFound(catalog.schema_names()));
        };
        let Some(schema) = catalog.schema(&schema_name) else {
            return Ok(Resolution::NotFound(Vec::new()));
        };
        let mut table_names = schema.table_names();
        table_names.sort();
        let found: Vec<&String> = table_names
            .iter()
            .filter(|t| ident_matches(&name.name, t, true))
            .collect();
        let table_name = match found.as_slice() {
            [] => return Ok(Resolution::NotFound(table_names.clone())),
            [one] => (*one).clone(),
            many => match many.iter().find(|t| ***t == name.name.value) {
                Some(exact) => (*exact).clone(),
                None => {
                    return Ok(Resolution::Ambiguous(
                        many.iter().map(|t| format!("\"{t}\"")).collect(),
                    ));
                }
            },
        };
        let Some(provider) = schema.table(&table_name).await? else {
            return Ok(Resolution::NotFound(table_names));
        };
        let mut parts = Vec::with_capacity(3);
        if name.catalog.is_some() {
            parts.push(catalog_name);
        }
        if name.schema.is_some() {
            parts.push(schema_name);
        }
        parts.push(table_name);
        Ok(Resolution::Found(ResolvedTable {
            parts,
            schema: provider.schema(),
        }))
    }
}

/// A plan with the lowering it came from (whose hints place later errors).
struct Planned {
    plan: LogicalPlan,
    lowered: Lowered,
}

/// Turns a DataFusion planning error into a positioned [`EngineError`]: the diagnostic's span when
/// DataFusion gives one, otherwise the first function or operator the message names, otherwise the query.
fn map_error(err: &DataFusionError, lowered: &Lowered, source: &str) -> EngineError {
    let spans = SpanMap::new(source);
    let message = clean_message(err);
    if let Some(diagnostic) = err.diagnostic() {
        let span = diagnostic.span.and_then(|s| spans.diagnostic_to_bytes(s));
        if span.is_some() {
            let mut out = EngineError::plan(diagnostic.message.clone(), span);
            for note in &diagnostic.notes {
                out = out.with_note(
                    note.message.clone(),
                    note.span.and_then(|s| spans.diagnostic_to_bytes(s)),
                );
            }
            for help in &diagnostic.helps {
                out = out.with_note(
                    help.message.clone(),
                    help.span.and_then(|s| spans.diagnostic_to_bytes(s)),
                );
            }
            return out;
        }
    }
    let lower_message = message.to_lowercase();
    let named = lowered.hints.iter().find(|(name, _)| {
        let name = name.to_lowercase();
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            lower_message.contains(&format!("'{name}'"))
                || lower_message.contains(&format!("{name}("))
                || lower_message.contains(&format!("function {name}"))
                // The engine's own functions start their errors with their name: `CIRCLE: …`.
                || lower_message.starts_with(&format!("{name}:"))
        } else {
            lower_message.contains(&format!(" {name} "))
        }
    });
    let span = named
        .map(|(_, span)| span.clone())
        .or_else(|| quoted_literal(&message, source))
        .unwrap_or_else(|| {
            let start = source.len() - source.trim_start().len();
            start..source.trim_end().len().max(start)
        });
    EngineError::plan(message, Some(span))
}

/// The first string literal of `source` that `message` quotes (`Cannot cast string 'x' to …`).
fn quoted_literal(message: &str, source: &str) -> Option<Range<usize>> {
    message
        .split('\'')
        .skip(1)
        .step_by(2)
        .filter(|quoted| !quoted.is_empty())
        .find_map(|quoted| {
            let literal = format!("'{quoted}'");
            source
                .find(&literal)
                .map(|start| start..start + literal.len())
        })
}

/// The error text without DataFusion's phase prefixes and backtraces.
fn clean_message(err: &DataFusionError) -> String {
    let root = err.find_root();
    let text = match root {
        DataFusionError::Plan(m)
        | DataFusionError::Execution(m)
        | DataFusionError::NotImplemented(m) => m.clone(),
        DataFusionError::SchemaError(e, _) => e.to_string(),
        other => other.strip_backtrace(),
    };
    text.lines().next().unwrap_or_default().trim().to_owned()
}

fn collect_tables_query<'q>(query: &'q ast::Query, out: &mut Vec<&'q ast::TableName>) {
    for cte in &query.with {
        collect_tables_query(&cte.query, out);
    }
    collect_tables_set(&query.body, out);
    for item in &query.order_by {
        collect_tables_expr(&item.expr, out);
    }
}

fn collect_tables_set<'q>(body: &'q ast::SetExpr, out: &mut Vec<&'q ast::TableName>) {
    match body {
        ast::SetExpr::Select(select) => {
            for table in &select.from {
                collect_tables_from(table, out);
            }
            if let ast::SelectList::Items(items) = &select.items {
                for item in items {
                    if let ast::SelectItem::Expr { expr, .. } = item {
                        collect_tables_expr(expr, out);
                    }
                }
            }
            for expr in select
                .selection
                .iter()
                .chain(&select.group_by)
                .chain(select.having.iter())
            {
                collect_tables_expr(expr, out);
            }
        }
        ast::SetExpr::Query(query) => collect_tables_query(query, out),
        ast::SetExpr::SetOperation { left, right, .. } => {
            collect_tables_set(left, out);
            collect_tables_set(right, out);
        }
    }
}

fn collect_tables_from<'q>(table: &'q ast::TableRef, out: &mut Vec<&'q ast::TableName>) {
    match table {
        ast::TableRef::Table { name, .. } => out.push(name),
        ast::TableRef::Derived { subquery, .. } => collect_tables_query(subquery, out),
        ast::TableRef::Join(join) => {
            collect_tables_from(&join.left, out);
            collect_tables_from(&join.right, out);
            if let Some(ast::JoinConstraint::On(condition)) = &join.constraint {
                collect_tables_expr(condition, out);
            }
        }
    }
}

fn collect_tables_expr<'q>(expr: &'q ast::Expr, out: &mut Vec<&'q ast::TableName>) {
    match expr {
        ast::Expr::Literal(_) | ast::Expr::Column(_) | ast::Expr::CountStar(_) => {}
        ast::Expr::Unary { expr, .. }
        | ast::Expr::IsNull { expr, .. }
        | ast::Expr::Cast { expr, .. } => {
            collect_tables_expr(expr, out);
        }
        ast::Expr::Binary { left, right, .. } => {
            collect_tables_expr(left, out);
            collect_tables_expr(right, out);
        }
        ast::Expr::Between {
            expr, low, high, ..
        } => {
            for e in [expr, low, high] {
                collect_tables_expr(e, out);
            }
        }
        ast::Expr::InList { expr, list, .. } => {
            collect_tables_expr(expr, out);
            for e in list {
                collect_tables_expr(e, out);
            }
        }
        ast::Expr::InSubquery { expr, subquery, .. } => {
            collect_tables_expr(expr, out);
            collect_tables_query(subquery, out);
        }
        ast::Expr::Like { expr, pattern, .. } => {
            collect_tables_expr(expr, out);
            collect_tables_expr(pattern, out);
        }
        ast::Expr::Exists { subquery, .. } => collect_tables_query(subquery, out),
        ast::Expr::Function(function) => {
            for arg in &function.args {
                collect_tables_expr(arg, out);
            }
        }
    }
}

/// The physical planner with the crossmatch extension planners.
struct AdqlQueryPlanner {
    planners: Vec<Arc<dyn ExtensionPlanner + Send + Sync>>,
}

impl fmt::Debug for AdqlQueryPlanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdqlQueryPlanner")
            .field("planners", &self.planners.len())
            .finish()
    }
}

#[async_trait]
impl QueryPlanner for AdqlQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let Some(state) = session.as_any().downcast_ref::<SessionState>() else {
            return datafusion::common::internal_err!(
                "the ADQL query planner needs a SessionState"
            );
        };
        DefaultPhysicalPlanner::with_extension_planners(self.planners.clone())
            .create_physical_plan(logical_plan, state)
            .await
    }
}
