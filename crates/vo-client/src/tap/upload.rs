//! TAP_UPLOAD: tables sent inline with a query, as VOTable parts of a multipart body.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bytes::Bytes;

use crate::error::{Error, Result};
use crate::http::Part;

/// MIME type of an uploaded VOTable.
const VOTABLE_MIME: &str = "application/x-votable+xml";

/// A table to upload; the query names it `TAP_UPLOAD.<name>`.
#[derive(Debug, Clone)]
pub struct Upload {
    name: String,
    votable: Bytes,
}

impl Upload {
    /// An upload from a serialised VOTable document.
    pub fn from_votable(name: &str, votable: impl Into<Bytes>) -> Result<Self> {
        validate_name(name)?;
        Ok(Upload {
            name: name.to_owned(),
            votable: votable.into(),
        })
    }

    /// An upload from Arrow batches, serialised with the VOTable writer (BINARY2).
    pub fn from_batches(name: &str, schema: SchemaRef, batches: &[RecordBatch]) -> Result<Self> {
        validate_name(name)?;
        let mut out = Vec::new();
        votable_arrow::write_votable(
            &mut out,
            schema,
            batches,
            votable_arrow::WriterOptions::default(),
        )
        .map_err(|e| {
            Error::InvalidInput(format!(
                "upload {name}: cannot encode the table as VOTable: {e}"
            ))
        })?;
        Ok(Upload {
            name: name.to_owned(),
            votable: Bytes::from(out),
        })
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Size of the serialised table in bytes.
    pub fn len(&self) -> usize {
        self.votable.len()
    }

    /// True when the serialised table is empty (never for a valid VOTable).
    pub fn is_empty(&self) -> bool {
        self.votable.is_empty()
    }
}

/// The table name must be an ADQL regular identifier: it appears unquoted after
/// `TAP_UPLOAD.` and inside the `UPLOAD` parameter, whose syntax has `,` and `;` as separators.
fn validate_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "upload table name {name:?} is not an ADQL identifier (letters, digits, _; starting with a letter)"
        )))
    }
}

/// The `UPLOAD` parameter value: `a,param:a;b,param:b`.
pub(crate) fn upload_param(uploads: &[Upload]) -> String {
    uploads
        .iter()
        .map(|u| format!("{0},param:{0}", u.name))
        .collect::<Vec<_>>()
        .join(";")
}

/// The multipart parts carrying the tables.
pub(crate) fn upload_parts(uploads: &[Upload]) -> Vec<Part> {
    uploads
        .iter()
        .map(|u| Part::File {
            name: u.name.clone(),
            file_name: format!("{}.vot", u.name),
            mime: VOTABLE_MIME,
            bytes: u.votable.clone(),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_and_param() {
        assert!(Upload::from_votable("t1", "x").is_ok());
        assert!(Upload::from_votable("1t", "x").is_err());
        assert!(Upload::from_votable("a,b", "x").is_err());
        assert!(Upload::from_votable("", "x").is_err());
        let ups = vec![
            Upload::from_votable("a", "x").unwrap(),
            Upload::from_votable("b_2", "y").unwrap(),
        ];
        assert_eq!(upload_param(&ups), "a,param:a;b_2,param:b_2");
        assert_eq!(upload_parts(&ups).len(), 2);
    }
}
