//! Shared test support: in-memory tables, running generated ADQL locally, and a TAP executor
//! that answers from a local DataFusion context.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod sky;

use std::ops::ControlFlow;
use std::sync::Arc;

use adql_federation::{ColumnMetadata, TableMetadata};
use adql_federation::{FederationError, Result as FedResult};
use adql_federation::{RemoteEvent, RemoteRequest, RemoteStream, TapExecutor};
use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::catalog::{MemoryCatalogProvider, MemorySchemaProvider};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{
    self, BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, LimitClause,
    ObjectNamePart, SetExpr, Statement, TopQuantity, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// `stars` and `obs`: small tables with NULLs, duplicates, a mixed-case and a reserved column name.
pub fn stars() -> (SchemaRef, RecordBatch) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("ra", DataType::Float64, true),
        Field::new("dec", DataType::Float64, true),
        Field::new("mag", DataType::Float64, true),
        Field::new("Name", DataType::Utf8, true),
        Field::new("size", DataType::Int32, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6, 7, 8])),
        Arc::new(Float64Array::from(vec![
            10.0, 10.5, 200.25, 45.0, 10.2, 300.0, 0.5, 359.5,
        ])),
        Arc::new(Float64Array::from(vec![
            -5.0, -5.5, 30.0, 0.0, -4.9, 60.0, 89.0, -89.5,
        ])),
        Arc::new(Float64Array::from(vec![
            Some(12.5),
            Some(8.25),
            None,
            Some(15.0),
            Some(9.5),
            Some(8.25),
            Some(20.0),
            Some(3.0),
        ])),
        Arc::new(StringArray::from(vec![
            Some("Alpha"),
            Some("O'Brien"),
            Some("beta"),
            None,
            Some("Alpha"),
            Some("gamma"),
            Some("Delta"),
            Some("a%b"),
        ])),
        Arc::new(Int32Array::from(vec![
            Some(1),
            Some(2),
            Some(2),
            None,
            Some(3),
            Some(1),
            Some(5),
            Some(2),
        ])),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).unwrap();
    (schema, batch)
}

pub fn obs() -> (SchemaRef, RecordBatch) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("obs_id", DataType::Int64, false),
        Field::new("target_id", DataType::Int64, true),
        Field::new("filter", DataType::Utf8, true),
        Field::new("exptime", DataType::Float64, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![100, 101, 102, 103, 104, 105, 106])),
        Arc::new(Int64Array::from(vec![
            Some(1),
            Some(1),
            Some(2),
            Some(5),
            None,
            Some(9),
            Some(2),
        ])),
        Arc::new(StringArray::from(vec![
            Some("F200W"),
            Some("F444W"),
            Some("F200W"),
            Some("F090W"),
            Some("F200W"),
            None,
            Some("F444W"),
        ])),
        Arc::new(Float64Array::from(vec![
            Some(120.0),
            Some(300.0),
            Some(50.0),
            None,
            Some(1000.0),
            Some(60.0),
            Some(300.0),
        ])),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).unwrap();
    (schema, batch)
}

pub fn mem_table((schema, batch): (SchemaRef, RecordBatch)) -> Arc<MemTable> {
    Arc::new(MemTable::try_new(schema, vec![vec![batch]]).unwrap())
}

/// A context with `stars` and `obs` as bare table names.
pub fn local_context() -> SessionContext {
    let ctx = SessionContext::new();
    ctx.register_table("stars", mem_table(stars())).unwrap();
    ctx.register_table("obs", mem_table(obs())).unwrap();
    ctx
}

/// Registers `table` as `catalog.schema.name` in `ctx`, creating the catalog and schema.
pub fn register_qualified(
    ctx: &SessionContext,
    catalog: &str,
    schema: &str,
    name: &str,
    table: Arc<MemTable>,
) {
    let cat = match ctx.catalog(catalog) {
        Some(c) => c,
        None => {
            ctx.register_catalog(catalog, Arc::new(MemoryCatalogProvider::new()));
            ctx.catalog(catalog).unwrap()
        }
    };
    let sch = match cat.schema(schema) {
        Some(s) => s,
        None => {
            cat.register_schema(schema, Arc::new(MemorySchemaProvider::new()))
                .unwrap();
            cat.schema(schema).unwrap()
        }
    };
    sch.register_table(name.to_string(), table).unwrap();
}

/// TAP metadata describing an Arrow schema (as VOSI would for the same table).
pub fn table_metadata(schema_name: &str, table: &str, schema: &Schema) -> TableMetadata {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            let (datatype, arraysize) = match f.data_type() {
                DataType::Int64 => ("long", None),
                DataType::Int32 => ("int", None),
                DataType::Float64 => ("double", None),
                _ => ("char", Some("*".to_string())),
            };
            let regular = f
                .name()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            let name = if regular {
                f.name().clone()
            } else {
                format!("\"{}\"", f.name())
            };
            ColumnMetadata {
                name,
                datatype: datatype.into(),
                arraysize,
                unit: Some("deg".into()),
                ..Default::default()
            }
        })
        .collect();
    TableMetadata {
        schema: schema_name.into(),
        name: format!("{schema_name}.{table}"),
        description: None,
        columns,
        rows: None,
    }
}

/// The optimized logical plan of `sql` in `ctx`.
pub async fn optimized_plan(ctx: &SessionContext, sql: &str) -> LogicalPlan {
    let plan = ctx.state().create_logical_plan(sql).await.unwrap();
    ctx.state().optimize(&plan).unwrap()
}

/// Turns the ADQL that the generator writes into SQL DataFusion runs: `TOP n` becomes `LIMIT n`
/// (keeping OFFSET, which ADQL applies first too), and ADQL function names become DataFusion's.
struct AdqlToDataFusion;

impl VisitorMut for AdqlToDataFusion {
    type Break = ();

    fn post_visit_query(&mut self, query: &mut ast::Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut()
            && let Some(top) = select.top.take()
        {
            let n = match top.quantity {
                Some(TopQuantity::Constant(n)) => n,
                other => panic!("unexpected TOP {other:?}"),
            };
            let limit = Some(Expr::value(ast::Value::Number(n.to_string(), false)));
            query.limit_clause = Some(match query.limit_clause.take() {
                Some(LimitClause::LimitOffset {
                    offset, limit_by, ..
                }) => LimitClause::LimitOffset {
                    limit,
                    offset,
                    limit_by,
                },
                None => LimitClause::LimitOffset {
                    limit,
                    offset: None,
                    limit_by: vec![],
                },
                Some(other) => panic!("unexpected {other:?}"),
            });
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = expr {
            let name = f.name.to_string().to_ascii_uppercase();
            if name == "MOD"
                && let FunctionArguments::List(list) = &f.args
                && let [
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(a)),
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(b)),
                ] = list.args.as_slice()
            {
                *expr = Expr::Nested(Box::new(Expr::BinaryOp {
                    left: Box::new(a.clone()),
                    op: BinaryOperator::Modulo,
                    right: Box::new(b.clone()),
                }));
                return ControlFlow::Continue(());
            }
            let renamed = match name.as_str() {
                "LOG" => Some("ln"),
                "CEILING" => Some("ceil"),
                "TRUNCATE" => Some("trunc"),
                _ => None,
            };
            if let Some(new) = renamed {
                f.name.0 = vec![ObjectNamePart::Identifier(ast::Ident::new(new))];
            }
        }
        ControlFlow::Continue(())
    }
}

/// Parses generated ADQL with sqlparser (a syntax check until `adql_syntax::parse_with` lands)
/// and rewrites it into a statement DataFusion plans.
pub fn adql_to_statement(adql: &str) -> Statement {
    let mut statements =
        Parser::parse_sql(&GenericDialect {}, adql).unwrap_or_else(|e| panic!("{adql}\n{e}"));
    assert_eq!(statements.len(), 1, "{adql}");
    let mut statement = statements.remove(0);
    let _ = ast::VisitMut::visit(&mut statement, &mut AdqlToDataFusion);
    statement
}

/// The physical plan of `adql` in `session` (planning may send the planner's probes).
pub async fn physical(
    session: &adql_engine::AdqlSession,
    adql: &str,
) -> Arc<dyn datafusion::physical_plan::ExecutionPlan> {
    let frame = session
        .query(adql)
        .await
        .unwrap_or_else(|e| panic!("{adql}: {e}"));
    frame
        .create_physical_plan()
        .await
        .unwrap_or_else(|e| panic!("{adql}: {e}"))
}

/// Runs ADQL text in `ctx`.
pub async fn run_adql(
    ctx: &SessionContext,
    adql: &str,
) -> datafusion::error::Result<Vec<RecordBatch>> {
    let statement = adql_to_statement(adql);
    let plan = ctx
        .state()
        .statement_to_plan(DfStatement::Statement(Box::new(statement)))
        .await?;
    ctx.execute_logical_plan(plan).await?.collect().await
}

/// The rows of `batches` as text, one string per row.
pub fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for batch in batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            out.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect::<Vec<_>>()
                    .join(" | "),
            );
        }
    }
    out
}

/// A TAP service simulated by a local DataFusion context: it runs the ADQL it receives and
/// honours MAXREC the way TAP does (at most MAXREC rows, then an overflow marker).
#[derive(Clone)]
pub struct LocalTap {
    pub ctx: SessionContext,
    pub log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl LocalTap {
    pub fn new(ctx: SessionContext) -> Self {
        Self {
            ctx,
            log: Arc::default(),
        }
    }

    pub fn queries(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl std::fmt::Debug for LocalTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTap").finish_non_exhaustive()
    }
}

#[async_trait]
impl TapExecutor for LocalTap {
    async fn execute(&self, request: RemoteRequest) -> FedResult<RemoteStream> {
        self.log.lock().unwrap().push(request.adql.clone());
        let remote = |message: String| FederationError::Remote {
            service: request.service.clone(),
            url: request.url.clone(),
            message,
        };
        // A task of its own, as a server runs the query apart from the client (see `AdqlTap::run`).
        let (ctx, adql) = (self.ctx.clone(), request.adql.clone());
        let batches = tokio::spawn(async move { run_adql(&ctx, &adql).await })
            .await
            .map_err(|e| remote(e.to_string()))?
            .map_err(|e| remote(e.to_string()))?;
        let mut events = Vec::new();
        let mut left = request.maxrec.unwrap_or(u64::MAX);
        let mut overflow = false;
        for batch in batches {
            let n = batch.num_rows() as u64;
            if n > left {
                events.push(Ok(RemoteEvent::Batch(batch.slice(0, left as usize))));
                overflow = true;
                break;
            }
            left -= n;
            events.push(Ok(RemoteEvent::Batch(batch)));
        }
        if overflow {
            events.push(Ok(RemoteEvent::Overflow));
        }
        Ok(Box::pin(futures::stream::iter(events)))
    }
}

/// One request an [`AdqlTap`] received: the ADQL and the rows of each uploaded table.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub adql: String,
    pub uploads: Vec<(String, usize)>,
}

/// A TAP service simulated by an `adql_engine::AdqlSession` (so geometry works): it runs the ADQL it
/// receives over its tables, makes uploaded tables visible as `TAP_UPLOAD.<name>` for that query, and
/// honours MAXREC like TAP (at most MAXREC rows, then an overflow marker).
#[derive(Clone)]
pub struct AdqlTap {
    pub session: adql_engine::AdqlSession,
    pub log: Arc<std::sync::Mutex<Vec<Received>>>,
    /// Serialises queries with uploads (they share the `tap_upload` schema).
    upload_lock: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for AdqlTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdqlTap").finish_non_exhaustive()
    }
}

impl AdqlTap {
    /// A service whose tables are `tables` (schema, table, data).
    pub fn new(tables: Vec<(&str, &str, Arc<MemTable>)>) -> Self {
        let session = adql_engine::AdqlSession::new();
        for (schema, name, table) in tables {
            register_qualified(session.context(), "datafusion", schema, name, table);
        }
        Self {
            session,
            log: Arc::default(),
            upload_lock: Arc::default(),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    pub fn queries(&self) -> Vec<String> {
        self.received().into_iter().map(|r| r.adql).collect()
    }

    pub fn clear(&self) {
        self.log.lock().unwrap().clear();
    }

    async fn run(&self, request: &RemoteRequest) -> std::result::Result<Vec<RecordBatch>, String> {
        // A task of its own, as a server runs the query apart from the client: nested inside the
        // client's planning, the service's planning would double the stack depth.
        let (session, adql) = (self.session.clone(), request.adql.clone());
        tokio::spawn(async move {
            let df = session.query(&adql).await.map_err(|e| format!("{e}"))?;
            df.collect().await.map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }
}

fn events(batches: Vec<RecordBatch>, maxrec: Option<u64>) -> RemoteStream {
    let mut events = Vec::new();
    let mut left = maxrec.unwrap_or(u64::MAX);
    let mut overflow = false;
    for batch in batches {
        let n = batch.num_rows() as u64;
        if n > left {
            events.push(Ok(RemoteEvent::Batch(batch.slice(0, left as usize))));
            overflow = true;
            break;
        }
        left -= n;
        events.push(Ok(RemoteEvent::Batch(batch)));
    }
    if overflow {
        events.push(Ok(RemoteEvent::Overflow));
    }
    Box::pin(futures::stream::iter(events))
}

#[async_trait]
impl TapExecutor for AdqlTap {
    async fn execute(&self, request: RemoteRequest) -> FedResult<RemoteStream> {
        self.log.lock().unwrap().push(Received {
            adql: request.adql.clone(),
            uploads: vec![],
        });
        let batches = self
            .run(&request)
            .await
            .map_err(|message| FederationError::Remote {
                service: request.service.clone(),
                url: request.url.clone(),
                message,
            })?;
        Ok(events(batches, request.maxrec))
    }

    async fn execute_with_uploads(
        &self,
        request: RemoteRequest,
        uploads: Vec<adql_federation::UploadTable>,
    ) -> FedResult<RemoteStream> {
        self.log.lock().unwrap().push(Received {
            adql: request.adql.clone(),
            uploads: uploads
                .iter()
                .map(|u| (u.name.clone(), u.batch.num_rows()))
                .collect(),
        });
        let _guard = self.upload_lock.lock().await;
        let ctx = self.session.context();
        for u in &uploads {
            let table =
                Arc::new(MemTable::try_new(u.batch.schema(), vec![vec![u.batch.clone()]]).unwrap());
            register_qualified(ctx, "datafusion", "tap_upload", &u.name, table);
        }
        let result = self.run(&request).await;
        if let Some(schema) = ctx
            .catalog("datafusion")
            .and_then(|c| c.schema("tap_upload"))
        {
            for u in &uploads {
                let _ = schema.deregister_table(&u.name);
            }
        }
        let batches = result.map_err(|message| FederationError::Remote {
            service: request.service.clone(),
            url: request.url.clone(),
            message,
        })?;
        Ok(events(batches, request.maxrec))
    }
}
