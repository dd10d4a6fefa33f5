//! Reading a query from a file or from standard input.

use std::io::{self, Read};
use std::path::Path;

use crate::{Error, Result};

/// The name diagnostics use for standard input.
pub(crate) const STDIN_ORIGIN: &str = "<stdin>";

/// A query text and where it came from.
#[derive(Debug)]
pub(crate) struct Input {
    /// The file name as given on the command line, or `<stdin>`.
    pub(crate) origin: String,
    /// The whole text.
    pub(crate) text: String,
}

impl Input {
    /// Reads `path`, or standard input when `path` is absent or `-`.
    pub(crate) fn read(path: Option<&Path>) -> Result<Self> {
        match path {
            Some(path) if path != Path::new("-") => {
                let origin = path.display().to_string();
                match std::fs::read_to_string(path) {
                    Ok(text) => Ok(Self { origin, text }),
                    Err(source) => Err(Error::Input { origin, source }),
                }
            }
            _ => {
                let mut text = String::new();
                match io::stdin().lock().read_to_string(&mut text) {
                    Ok(_) => Ok(Self {
                        origin: STDIN_ORIGIN.to_owned(),
                        text,
                    }),
                    Err(source) => Err(Error::Input {
                        origin: STDIN_ORIGIN.to_owned(),
                        source,
                    }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn reads_a_file_and_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.adql");
        std::fs::write(&path, "SELECT a FROM t\n").unwrap();
        let input = Input::read(Some(&path)).unwrap();
        assert_eq!(input.text, "SELECT a FROM t\n");
        assert_eq!(input.origin, path.display().to_string());
    }

    #[test]
    fn a_missing_file_is_an_input_error() {
        let err = Input::read(Some(Path::new("/nonexistent/q.adql"))).unwrap_err();
        assert!(
            matches!(err, Error::Input { ref origin, .. } if origin == "/nonexistent/q.adql"),
            "{err:?}"
        );
    }

    #[test]
    fn invalid_utf8_is_an_input_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.adql");
        std::fs::write(&path, b"SELECT '\xe9' FROM t").unwrap();
        assert!(matches!(Input::read(Some(&path)), Err(Error::Input { .. })));
    }
}
