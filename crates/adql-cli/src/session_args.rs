//! The flags of `adql query`, `adql explain` and `adql shell` that make an [`Engine`]: what the target
//! service accepts (`SyntaxArgs`), the remote services (`FederationArgs`) and the local files registered as
//! tables, with their units.

use std::path::PathBuf;
use std::str::FromStr;

use adql_federation::Engine;

use crate::error::query_error;
use crate::federation_args::FederationArgs;
use crate::syntax_args::SyntaxArgs;
use crate::{Error, Result};

/// Everything that shapes an engine.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SessionArgs {
    #[command(flatten)]
    pub(crate) syntax: SyntaxArgs,
    /// Register a local file as a table (repeatable).
    #[arg(long = "table", short = 't', value_name = "NAME=PATH")]
    pub(crate) tables: Vec<TableSpec>,
    /// Set the unit of a column of a registered table (repeatable).
    #[arg(long = "unit", value_name = "TABLE.COLUMN=UNIT")]
    pub(crate) units: Vec<UnitSpec>,
    #[command(flatten)]
    pub(crate) federation: FederationArgs,
}

impl SessionArgs {
    /// Builds the engine: the services of the flags, and the `--table` files with their `--unit`s (`origin`
    /// names the query in errors).
    pub(crate) fn engine(&self, runtime: &tokio::runtime::Runtime, origin: &str) -> Result<Engine> {
        for unit in &self.units {
            if !self.tables.iter().any(|t| t.name == unit.table) {
                return Err(Error::Usage(format!(
                    "--unit {}.{}: no --table named '{}'",
                    unit.table, unit.column, unit.table
                )));
            }
        }
        let engine = self.federation.engine(&self.syntax)?;
        for table in &self.tables {
            let table_units: Vec<(String, String)> = self
                .units
                .iter()
                .filter(|u| u.table == table.name)
                .map(|u| (u.column.clone(), u.unit.clone()))
                .collect();
            crate::interrupt::block_on(runtime, async {
                engine
                    .register_file(&table.name, &table.path, &table_units)
                    .await
                    .map_err(|error| query_error(error, origin, ""))
            })?;
        }
        Ok(engine)
    }
}

/// `NAME=PATH`.
#[derive(Debug, Clone)]
pub(crate) struct TableSpec {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
}

impl FromStr for TableSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.split_once('=') {
            Some((name, path)) if !name.is_empty() && !path.is_empty() => Ok(Self {
                name: name.to_owned(),
                path: PathBuf::from(path),
            }),
            _ => Err(format!("expected NAME=PATH, got '{text}'")),
        }
    }
}

/// `TABLE.COLUMN=UNIT`.
#[derive(Debug, Clone)]
pub(crate) struct UnitSpec {
    pub(crate) table: String,
    pub(crate) column: String,
    pub(crate) unit: String,
}

impl FromStr for UnitSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let parsed = text.split_once('=').and_then(|(target, unit)| {
            target
                .split_once('.')
                .map(|(table, column)| (table, column, unit))
        });
        match parsed {
            Some((table, column, unit)) if !table.is_empty() && !column.is_empty() => Ok(Self {
                table: table.to_owned(),
                column: column.to_owned(),
                unit: unit.to_owned(),
            }),
            _ => Err(format!("expected TABLE.COLUMN=UNIT, got '{text}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn specs_parse() {
        assert!("t=a.csv".parse::<TableSpec>().is_ok());
        assert!("=a.csv".parse::<TableSpec>().is_err());
        let unit = "t.ra=deg".parse::<UnitSpec>().unwrap();
        assert_eq!(
            (
                unit.table.as_str(),
                unit.column.as_str(),
                unit.unit.as_str()
            ),
            ("t", "ra", "deg")
        );
        assert!("ra=deg".parse::<UnitSpec>().is_err());
    }
}
