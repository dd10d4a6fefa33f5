//! What the lowering knows about the session: the tables a query names, resolved ahead of time, and the
//! functions the session has.

use std::collections::HashMap;

use adql_syntax::ast;
use datafusion::arrow::datatypes::SchemaRef;

/// A table named by the query, resolved against the session's catalogs.
#[derive(Debug, Clone)]
pub struct ResolvedTable {
    /// The exact name parts to emit (as many as the query wrote: `t`, `s.t` or `c.s.t`).
    pub parts: Vec<String>,
    /// Its columns, with their metadata (`unit` feeds `IN_UNIT`).
    pub schema: SchemaRef,
}

/// The outcome of resolving one table name.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Found exactly one table.
    Found(ResolvedTable),
    /// No such table; the payload lists the tables that do exist where it was looked for.
    NotFound(Vec<String>),
    /// An unquoted name matched several tables differing only by case.
    Ambiguous(Vec<String>),
}

/// A snapshot of the session for one lowering: resolved table names and the available function names.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    tables: HashMap<Vec<(String, bool)>, Resolution>,
    functions: HashMap<String, String>,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// The lookup key of a table name: its parts with their quoting, regular ones lowercased.
    pub(crate) fn key(name: &ast::TableName) -> Vec<(String, bool)> {
        name.parts()
            .map(|p| {
                if p.quoted {
                    (p.value.clone(), true)
                } else {
                    (p.value.to_lowercase(), false)
                }
            })
            .collect()
    }

    /// Records how `name` resolves.
    pub fn insert_table(&mut self, name: &ast::TableName, resolution: Resolution) {
        self.tables.insert(Self::key(name), resolution);
    }

    /// How `name` resolved, if it was resolved.
    pub fn table(&self, name: &ast::TableName) -> Option<&Resolution> {
        self.tables.get(&Self::key(name))
    }

    /// Records a function the session can call under `name`.
    pub fn insert_function(&mut self, name: &str) {
        self.functions.insert(name.to_lowercase(), name.to_owned());
    }

    /// The exact registered name of a function, looked up without case.
    pub fn function(&self, name: &str) -> Option<&str> {
        self.functions.get(&name.to_lowercase()).map(String::as_str)
    }
}
