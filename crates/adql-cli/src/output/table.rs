//! [`TableWriter`]: the aligned text table for people, streamed.
//!
//! The first rows ([`SIZING_ROWS`], or all of a smaller result) set the column widths; the header and
//! those rows are printed as soon as they are there, and later rows follow with the same widths (a wider
//! value widens its own line, never cut). With a row limit only that many rows are printed, but every row
//! is counted and the footer says how many there were: nothing is left out silently.
//!
//! Numbers are right-aligned, floating-point values shown with a number of significant digits (10 for
//! doubles, 7 for floats, or `--precision`), NULL as `NULL` (an empty string stays empty), and a second
//! header line gives the units when any column has one.

use std::io::Write;
use std::time::Duration;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float16Type, Float32Type, Float64Type, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use super::error::OutputError;
use super::text::text_compatible;

/// Rows that size the columns before anything is printed.
pub(crate) const SIZING_ROWS: usize = 100;

/// What the table shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// Print at most this many rows (the others are counted).
    pub max_rows: Option<usize>,
    /// Significant digits of floating-point values (default: 10 for doubles, 7 for floats).
    pub precision: Option<usize>,
}

/// One column's header.
struct Header {
    name: String,
    unit: String,
    right: bool,
}

/// Writes record batches as an aligned text table.
pub(crate) struct TableWriter<W: Write> {
    out: W,
    headers: Vec<Header>,
    options: TableOptions,
    pending: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
    total: u64,
    shown: usize,
}

impl<W: Write> TableWriter<W> {
    /// A table of `schema` written to `out`.
    pub(crate) fn new(out: W, schema: &SchemaRef, options: TableOptions) -> Self {
        let headers = schema
            .fields()
            .iter()
            .map(|f| Header {
                name: f.name().clone(),
                unit: f
                    .metadata()
                    .get("unit")
                    .filter(|u| !u.is_empty())
                    .map(|u| format!("[{u}]"))
                    .unwrap_or_default(),
                right: f.data_type().is_numeric(),
            })
            .collect();
        Self {
            out,
            headers,
            options,
            pending: Vec::new(),
            widths: None,
            total: 0,
            shown: 0,
        }
    }

    /// Formats (and, once the columns are sized, prints) the rows of `batch` still within the limit.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        let rows = batch.num_rows();
        self.total += rows as u64;
        let take = match self.options.max_rows {
            Some(max) => max.saturating_sub(self.shown).min(rows),
            None => rows,
        };
        if take > 0 {
            let cells = format_rows(batch, take, self.options.precision)?;
            self.shown += take;
            if self.widths.is_some() {
                for row in &cells {
                    self.print_row(row)?;
                }
            } else {
                self.pending.extend(cells);
            }
        }
        let full = self.options.max_rows.is_some_and(|max| self.shown >= max);
        if self.widths.is_none() && (self.pending.len() >= SIZING_ROWS || full) {
            self.start()?;
        }
        Ok(())
    }

    /// Prints what is left, the bottom border and the footer: the row count when rows were left out
    /// (always) or when `elapsed` is given (on a terminal, with the time taken).
    pub(crate) fn finish(mut self, elapsed: Option<Duration>) -> Result<W, OutputError> {
        if self.widths.is_none() {
            self.start()?;
        }
        let border = self.border();
        writeln!(self.out, "{border}")?;
        let rows = plural(self.total, "row");
        let time = elapsed.map(|t| format!(" ({:.2} s)", t.as_secs_f64()));
        if (self.shown as u64) < self.total {
            writeln!(
                self.out,
                "{rows}, {} shown{} (--max-rows N shows N, 0 all)",
                thousands(self.shown as u64),
                time.unwrap_or_default()
            )?;
        } else if let Some(time) = time {
            writeln!(self.out, "{rows}{time}")?;
        }
        self.out.flush()?;
        Ok(self.out)
    }

    /// Sizes the columns and prints the header and the rows held so far.
    fn start(&mut self) -> Result<(), OutputError> {
        let units = self.headers.iter().any(|h| !h.unit.is_empty());
        let mut widths: Vec<usize> = self
            .headers
            .iter()
            .map(|h| width(&h.name).max(if units { width(&h.unit) } else { 0 }))
            .collect();
        for row in &self.pending {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        self.widths = Some(widths);
        let border = self.border();
        writeln!(self.out, "{border}")?;
        let names: Vec<String> = self.headers.iter().map(|h| h.name.clone()).collect();
        self.print_line(&names, false)?;
        if units {
            let units: Vec<String> = self.headers.iter().map(|h| h.unit.clone()).collect();
            self.print_line(&units, false)?;
        }
        writeln!(self.out, "{border}")?;
        for row in std::mem::take(&mut self.pending) {
            self.print_row(&row)?;
        }
        Ok(())
    }

    fn border(&self) -> String {
        let mut line = String::from("+");
        for w in self.widths.iter().flatten() {
            line.push_str(&"-".repeat(w + 2));
            line.push('+');
        }
        line
    }

    fn print_row(&mut self, cells: &[String]) -> Result<(), OutputError> {
        self.print_line(cells, true)
    }

    fn print_line(&mut self, cells: &[String], align: bool) -> Result<(), OutputError> {
        let mut line = String::from("|");
        let widths = self.widths.as_deref().unwrap_or(&[]);
        for ((cell, w), header) in cells.iter().zip(widths).zip(&self.headers) {
            let pad = w.saturating_sub(width(cell));
            line.push(' ');
            if align && header.right {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
            line.push_str(" |");
        }
        writeln!(self.out, "{line}")?;
        Ok(())
    }
}

/// Characters a cell takes on the screen (one per `char`: tables of astronomical data are ASCII).
fn width(text: &str) -> usize {
    text.chars().count()
}

/// `1 row`, `1,234 rows`.
fn plural(n: u64, what: &str) -> String {
    format!("{} {what}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The first `take` rows of `batch` as display strings, row by row.
fn format_rows(
    batch: &RecordBatch,
    take: usize,
    precision: Option<usize>,
) -> Result<Vec<Vec<String>>, OutputError> {
    let batch = text_compatible(batch)?;
    let options = FormatOptions::default().with_null("NULL");
    let mut columns: Vec<Vec<String>> = Vec::with_capacity(batch.num_columns());
    for column in batch.columns() {
        let cells = match column.data_type() {
            DataType::Float64 => floats(
                column.as_primitive::<Float64Type>().iter().take(take),
                precision.unwrap_or(10),
            ),
            DataType::Float32 => floats(
                column
                    .as_primitive::<Float32Type>()
                    .iter()
                    .take(take)
                    .map(|v| v.map(f64::from)),
                precision.unwrap_or(7),
            ),
            DataType::Float16 => floats(
                column
                    .as_primitive::<Float16Type>()
                    .iter()
                    .take(take)
                    .map(|v| v.map(f64::from)),
                precision.unwrap_or(4),
            ),
            _ => {
                let formatter =
                    ArrayFormatter::try_new(column.as_ref(), &options).map_err(|source| {
                        OutputError::Arrow {
                            format: "table",
                            source,
                        }
                    })?;
                (0..take.min(column.len()))
                    .map(|i| formatter.value(i).to_string())
                    .collect()
            }
        };
        columns.push(cells);
    }
    Ok((0..take)
        .map(|i| {
            columns
                .iter()
                .map(|c| c.get(i).cloned().unwrap_or_default())
                .collect()
        })
        .collect())
}

fn floats(values: impl Iterator<Item = Option<f64>>, significant: usize) -> Vec<String> {
    values
        .map(|v| v.map_or_else(|| "NULL".to_owned(), |v| format_float(v, significant)))
        .collect()
}

/// `v` with at most `significant` significant digits, trailing zeros dropped; scientific notation for
/// magnitudes below 1e-5 or from 1e15 up.
pub(crate) fn format_float(v: f64, significant: usize) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let significant = significant.clamp(1, 17);
    let exponent = v.abs().log10().floor() as i32;
    if !(-5..15).contains(&exponent) {
        let text = format!("{:.*e}", significant - 1, v);
        return match text.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa)),
            None => text,
        };
    }
    let decimals = (significant as i32 - 1 - exponent).max(0) as usize;
    trim_zeros(&format!("{v:.decimals$}")).to_owned()
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::HashMap;
    use std::sync::Arc;

    use arrow::array::{Float32Array, Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    fn batch() -> RecordBatch {
        let unit = |u: &str| HashMap::from([("unit".to_owned(), u.to_owned())]);
        let schema = Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("ra", DataType::Float64, true).with_metadata(unit("deg")),
            Field::new("mag", DataType::Float32, true),
            Field::new("name", DataType::Utf8, true),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Int64Array::from(vec![Some(1), Some(1234), None])),
                Arc::new(Float64Array::from(vec![
                    Some(0.1 + 0.2),
                    Some(180.2029070),
                    None,
                ])),
                Arc::new(Float32Array::from(vec![
                    Some(17.15625),
                    None,
                    Some(f32::NAN),
                ])),
                Arc::new(StringArray::from(vec![Some(""), None, Some("M 31")])),
            ],
        )
        .unwrap()
    }

    fn render(options: TableOptions, batches: &[RecordBatch], elapsed: Option<Duration>) -> String {
        let schema = batch().schema();
        let mut w = TableWriter::new(Vec::new(), &schema, options);
        for b in batches {
            w.write(b).unwrap();
        }
        String::from_utf8(w.finish(elapsed).unwrap()).unwrap()
    }

    #[test]
    fn numbers_right_aligned_nulls_distinct_units_under_names() {
        let text = render(TableOptions::default(), &[batch()], None);
        let expected = "\
+------+------------+----------+------+
| id   | ra         | mag      | name |
|      | [deg]      |          |      |
+------+------------+----------+------+
|    1 |        0.3 | 17.15625 |      |
| 1234 | 180.202907 |     NULL | NULL |
| NULL |       NULL |      NaN | M 31 |
+------+------------+----------+------+
";
        assert_eq!(text, expected, "{text}");
    }

    #[test]
    fn a_row_limit_says_how_many_rows_there_were() {
        let text = render(
            TableOptions {
                max_rows: Some(2),
                precision: None,
            },
            &[batch(), batch()],
            None,
        );
        assert_eq!(
            text.lines().filter(|l| l.starts_with("| ")).count(),
            4,
            "{text}"
        );
        assert!(
            text.ends_with("6 rows, 2 shown (--max-rows N shows N, 0 all)\n"),
            "{text}"
        );
    }

    #[test]
    fn on_a_terminal_the_footer_gives_count_and_time() {
        let text = render(
            TableOptions::default(),
            &[batch()],
            Some(Duration::from_millis(1234)),
        );
        assert!(text.ends_with("+\n3 rows (1.23 s)\n"), "{text}");
        let empty = render(TableOptions::default(), &[], Some(Duration::ZERO));
        assert!(empty.contains("| id | ra    | mag | name |"), "{empty}");
        assert!(empty.ends_with("0 rows (0.00 s)\n"), "{empty}");
    }

    #[test]
    fn floats_keep_significant_digits() {
        assert_eq!(format_float(0.1 + 0.2, 10), "0.3");
        assert_eq!(format_float(180.202907, 10), "180.202907");
        assert_eq!(format_float(-1.0 / 3.0, 4), "-0.3333");
        assert_eq!(format_float(1.5e-7, 10), "1.5e-7");
        assert_eq!(format_float(6.02214076e23, 10), "6.02214076e23");
        assert_eq!(format_float(1234567.0, 3), "1234567");
        assert_eq!(format_float(f64::NEG_INFINITY, 3), "-Infinity");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }
}
