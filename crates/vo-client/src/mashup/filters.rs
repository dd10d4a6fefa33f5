//! Filters of the `*.Filtered*` Mashup services: exact values, `min`/`max` ranges and free
//! text with `%` wildcards. Filters are AND-ed; the values of one filter are OR-ed.

use serde_json::{Value, json};

use crate::error::{Error, Result};

/// What a filter constrains a column to.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValues {
    /// One of these values.
    Exact(Vec<Value>),
    /// Inside one of these closed ranges.
    Ranges(Vec<(f64, f64)>),
    /// An SQL `LIKE` pattern with explicit `%` wildcards.
    FreeText(String),
}

/// One filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The column (`paramName`).
    pub column: String,
    /// The constraint.
    pub values: FilterValues,
    /// The separator of multi-valued columns (CAOM `filters` uses `;`).
    pub separator: Option<String>,
}

impl Filter {
    /// Exact values.
    pub fn exact(column: &str, values: Vec<Value>) -> Self {
        Filter {
            column: column.to_owned(),
            values: FilterValues::Exact(values),
            separator: None,
        }
    }

    /// One range.
    pub fn range(column: &str, min: f64, max: f64) -> Self {
        Filter {
            column: column.to_owned(),
            values: FilterValues::Ranges(vec![(min, max)]),
            separator: None,
        }
    }

    /// A free-text pattern.
    pub fn free_text(column: &str, pattern: &str) -> Self {
        Filter {
            column: column.to_owned(),
            values: FilterValues::FreeText(pattern.to_owned()),
            separator: None,
        }
    }

    /// Sets the separator.
    pub fn with_separator(mut self, separator: &str) -> Self {
        self.separator = Some(separator.to_owned());
        self
    }

    /// The JSON object of the request's `filters` list.
    pub fn to_json(&self) -> Value {
        let mut obj = serde_json::Map::new();
        obj.insert("paramName".to_owned(), Value::String(self.column.clone()));
        match &self.values {
            FilterValues::Exact(values) => {
                obj.insert("values".to_owned(), Value::Array(values.clone()));
            }
            FilterValues::Ranges(ranges) => {
                obj.insert(
                    "values".to_owned(),
                    Value::Array(
                        ranges
                            .iter()
                            .map(|(lo, hi)| json!({"min": lo, "max": hi}))
                            .collect(),
                    ),
                );
            }
            FilterValues::FreeText(pattern) => {
                obj.insert("values".to_owned(), Value::Array(Vec::new()));
                obj.insert("freeText".to_owned(), Value::String(pattern.clone()));
            }
        }
        if let Some(sep) = &self.separator {
            obj.insert("separator".to_owned(), Value::String(sep.clone()));
        }
        Value::Object(obj)
    }
}

impl std::str::FromStr for Filter {
    type Err = Error;

    /// Parses the command-line forms `COL=V1,V2` (exact values), `COL=MIN..MAX` (a range) and
    /// `COL=%text%` (free text: any value containing `%`).
    fn from_str(s: &str) -> Result<Self> {
        let (column, spec) = s
            .split_once('=')
            .ok_or_else(|| Error::InvalidInput(format!("filter {s:?}: expected COL=VALUES")))?;
        let column = column.trim();
        if column.is_empty() || spec.trim().is_empty() {
            return Err(Error::InvalidInput(format!(
                "filter {s:?}: expected COL=VALUES"
            )));
        }
        let spec = spec.trim();
        if spec.contains('%') {
            return Ok(Filter::free_text(column, spec));
        }
        if let Some((lo, hi)) = spec.split_once("..") {
            let parse = |v: &str| {
                v.trim().parse::<f64>().map_err(|_| {
                    Error::InvalidInput(format!("filter {s:?}: {v:?} is not a number"))
                })
            };
            let (lo, hi) = (parse(lo)?, parse(hi)?);
            if lo.is_nan() || hi.is_nan() || lo > hi {
                return Err(Error::InvalidInput(format!("filter {s:?}: empty range")));
            }
            return Ok(Filter::range(column, lo, hi));
        }
        // Values stay strings, as MAST's own clients send them, even for numeric columns.
        let values = spec
            .split(',')
            .map(|v| Value::String(v.trim().to_owned()))
            .collect();
        Ok(Filter::exact(column, values))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_cli_forms() {
        let f: Filter = "obs_collection=JWST,HST".parse().unwrap();
        assert_eq!(
            f.to_json(),
            json!({"paramName": "obs_collection", "values": ["JWST", "HST"]})
        );
        let f: Filter = "t_max=52264.4586..54452.8914".parse().unwrap();
        assert_eq!(
            f.to_json(),
            json!({"paramName": "t_max", "values": [{"min": 52264.4586, "max": 54452.8914}]})
        );
        let f: Filter = "obsid=%200%".parse().unwrap();
        assert_eq!(
            f.to_json(),
            json!({"paramName": "obsid", "values": [], "freeText": "%200%"})
        );
        let f = Filter::exact("filters", vec![json!("NUV"), json!("FUV")]).with_separator(";");
        assert_eq!(
            f.to_json(),
            json!({"paramName": "filters", "values": ["NUV", "FUV"], "separator": ";"})
        );
        assert!("novalue".parse::<Filter>().is_err());
        assert!("x=5..1".parse::<Filter>().is_err());
        assert!("x=a..b".parse::<Filter>().is_err());
    }
}
