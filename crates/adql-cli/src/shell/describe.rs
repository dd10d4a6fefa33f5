//! `\d` and `\d NAME`: the services and local tables of the session, and the columns of one table.

use adql_federation::ServiceKind;
use arrow::datatypes::Field;
use arrow::record_batch::RecordBatch;

use super::{ORIGIN, Shell};
use crate::Result;
use crate::error::{engine_error, query_error};
use crate::output::{one_line, text_batch};

/// Pushes one row of values onto `columns`.
fn push<const N: usize>(columns: &mut [Vec<Option<String>>], row: [Option<String>; N]) {
    for (column, value) in columns.iter_mut().zip(row) {
        column.push(value);
    }
}

impl Shell {
    /// `\d`: every service of the catalogue, then the local tables.
    pub(super) fn services_and_tables(&self) -> Result<RecordBatch> {
        let names = ["name", "kind", "url", "description"];
        let mut columns = vec![Vec::new(); names.len()];
        for service in self.engine.catalogue().services() {
            let kind = match service.kind {
                ServiceKind::Tap => "TAP",
                ServiceKind::Mashup => "Mashup",
                ServiceKind::ConeSearch => "cone search",
                ServiceKind::DataLink => "DataLink",
                ServiceKind::Sia => "SIA",
                ServiceKind::Ssa => "SSA",
            };
            push(
                &mut columns,
                [
                    Some(service.name.clone()),
                    Some(kind.to_owned()),
                    Some(service.url.clone()),
                    service.description.clone(),
                ],
            );
        }
        for (name, path) in &self.local {
            push(
                &mut columns,
                [
                    Some(name.clone()),
                    Some("local table".to_owned()),
                    Some(path.display().to_string()),
                    None,
                ],
            );
        }
        text_batch(&names, columns)
    }

    /// `\d NAME`: the columns of a local or remote table with their types, units, UCDs and descriptions
    /// (a remote service is described, from the cache when it can be; no row is fetched).
    pub(super) async fn columns(&self, name: &str) -> Result<RecordBatch> {
        let names = ["column", "type", "unit", "ucd", "description"];
        let mut columns = vec![Vec::new(); names.len()];
        for field in self.fields(name).await? {
            let metadata = field.metadata();
            let text = |key: &str| metadata.get(key).filter(|v| !v.is_empty()).cloned();
            // The type the service declares (VOTable datatype and arraysize), else the Arrow type.
            let datatype = match (text("votable:datatype"), text("votable:arraysize")) {
                (Some(datatype), Some(size)) => format!("{datatype}[{size}]"),
                (Some(datatype), None) => datatype,
                (None, _) => field.data_type().to_string(),
            };
            let description = one_line(text("description").as_deref());
            push(
                &mut columns,
                [
                    Some(field.name().clone()),
                    Some(datatype),
                    text("unit"),
                    text("ucd"),
                    description,
                ],
            );
        }
        text_batch(&names, columns)
    }

    /// The fields (with their metadata) of the table `name`, as `SELECT *` plans them.
    pub(super) async fn fields(&self, name: &str) -> Result<Vec<Field>> {
        let adql = format!("SELECT * FROM {name}");
        let session = self
            .engine
            .session_for(&adql)
            .await
            .map_err(|e| query_error(e, ORIGIN, &adql))?;
        let plan = session
            .logical_plan(&adql)
            .await
            .map_err(|e| engine_error(e, ORIGIN, &adql))?;
        Ok(plan
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect())
    }
}
