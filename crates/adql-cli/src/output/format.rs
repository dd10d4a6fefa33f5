//! [`OutputFormat`]: the formats results are written in, and the one a file name implies.

use std::path::Path;

/// The formats results can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// An aligned text table, for people.
    #[default]
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of objects, one per row.
    Json,
    /// Apache Parquet.
    Parquet,
    /// VOTable 1.4 (BINARY2 serialisation).
    Votable,
}

impl OutputFormat {
    /// The format a file's extension names: `.csv`, `.json`, `.parquet`/`.pq`, `.vot`/`.votable`/`.xml`,
    /// `.txt` (a table); `None` for any other.
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match extension.as_str() {
            "csv" => Self::Csv,
            "json" => Self::Json,
            "parquet" | "pq" => Self::Parquet,
            "vot" | "votable" | "xml" => Self::Votable,
            "txt" => Self::Table,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_name_formats() {
        for (name, format) in [
            ("a.csv", Some(OutputFormat::Csv)),
            ("a.PARQUET", Some(OutputFormat::Parquet)),
            ("dir.x/a.pq", Some(OutputFormat::Parquet)),
            ("a.vot", Some(OutputFormat::Votable)),
            ("a.xml", Some(OutputFormat::Votable)),
            ("a.json", Some(OutputFormat::Json)),
            ("a.txt", Some(OutputFormat::Table)),
            ("a.fits", None),
            ("a", None),
        ] {
            assert_eq!(OutputFormat::from_path(Path::new(name)), format, "{name}");
        }
    }
}
