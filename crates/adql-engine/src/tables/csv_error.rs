//! CSV read errors for people: the line and the column, not Arrow's error chain.
//!
//! DataFusion reports a malformed CSV file as a chain (`Error when processing CSV file <object store
//! path>` / `caused by` / `Arrow error: Csv error: ...`) whose path has lost its leading `/`. The file is
//! named by the caller ([`crate::EngineError::Table`]); this module turns the root cause into
//! `line 3: 3 fields, the header has 2` or `line 5, column 'mag': cannot read '4.x4' as Float64`.

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;

/// What went wrong reading a CSV file, as one line; `columns` are the header's names.
pub(crate) fn csv_message(error: &DataFusionError, columns: &[String]) -> String {
    let text = match error.find_root() {
        DataFusionError::ArrowError(error, _) => match error.as_ref() {
            ArrowError::CsvError(m) | ArrowError::ParseError(m) => m.clone(),
            other => other.to_string(),
        },
        other => other.message().into_owned(),
    };
    unequal_lengths(&text)
        .or_else(|| bad_value(&text, columns))
        .unwrap_or(text)
}

/// `Encountered unequal lengths between records on CSV file. Expected 2 records, found 3 records at line 3`.
fn unequal_lengths(text: &str) -> Option<String> {
    let rest = text.split_once("Expected ")?.1;
    let (expected, rest) = rest.split_once(" records, found ")?;
    let (found, rest) = rest.split_once(" records at line ")?;
    let line = rest.trim_end_matches('.');
    Some(format!(
        "line {line}: {found} field{}, the header has {expected}",
        if found == "1" { "" } else { "s" }
    ))
}

/// `Error while parsing value '4.x4' as type 'Float32' for column 1 at line 4. Row data: '[...]'`
/// (the column counted from 0).
fn bad_value(text: &str, columns: &[String]) -> Option<String> {
    let rest = text.split_once("Error while parsing value '")?.1;
    let (value, rest) = rest.split_once("' as type '")?;
    let (kind, rest) = rest.split_once("' for column ")?;
    let (column, rest) = rest.split_once(" at line ")?;
    let line: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let column = column
        .parse::<usize>()
        .ok()
        .and_then(|i| columns.get(i))
        .map_or_else(
            || format!("column {column}"),
            |name| format!("column '{name}'"),
        );
    Some(format!(
        "line {line}, {column}: cannot read '{value}' as {kind} (the type was inferred from the first rows; a \
         schema sidecar NAME.schema.json declares it)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(error: ArrowError) -> DataFusionError {
        DataFusionError::Context(
            "Error when processing CSV file tmp/bad.csv".into(),
            Box::new(DataFusionError::ArrowError(Box::new(error), None)),
        )
    }

    #[test]
    fn the_line_and_the_column_are_named() {
        let columns = vec!["id".to_owned(), "mag".to_owned()];
        let e = wrapped(ArrowError::CsvError(
            "Encountered unequal lengths between records on CSV file. Expected 2 records, found 3 records at line 3"
                .into(),
        ));
        assert_eq!(
            csv_message(&e, &columns),
            "line 3: 3 fields, the header has 2"
        );
        let e = wrapped(ArrowError::ParseError(
            "Error while parsing value '4.x4' as type 'Float64' for column 1 at line 4. Row data: '[4,4.x4]'"
                .into(),
        ));
        let text = csv_message(&e, &columns);
        assert!(
            text.starts_with("line 4, column 'mag': cannot read '4.x4' as Float64"),
            "{text}"
        );
        // Anything else is Arrow's own message, without the chain.
        let e = wrapped(ArrowError::CsvError("something new".into()));
        assert_eq!(csv_message(&e, &columns), "something new");
    }
}
