//! [`AtomicFile`]: a file that appears under its name only when complete.
//!
//! Rows are written to a hidden temporary file beside the target (same directory, so the final rename
//! is atomic); [`AtomicFile::commit`] renames it. Dropped without a commit — the query failed, the
//! output could not be written, the user interrupted — the temporary file is removed, so a failed run
//! never leaves a partial file under the final name, nor replaces an older complete one.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A file being written under a temporary name.
#[derive(Debug)]
pub(crate) struct AtomicFile {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Creates the temporary file for `target` and returns it with its guard.
    ///
    /// # Errors
    /// The directory cannot be written.
    pub(crate) fn create(target: &Path) -> io::Result<(Self, File)> {
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.partial", std::process::id()));
        let temp = target.with_file_name(temp_name);
        let file = File::create(&temp)?;
        Ok((
            Self {
                temp,
                target: target.to_path_buf(),
                committed: false,
            },
            file,
        ))
    }

    /// Gives the complete file its name (replacing an older file of that name).
    ///
    /// # Errors
    /// The rename failed; the temporary file is then removed.
    pub(crate) fn commit(mut self) -> io::Result<()> {
        std::fs::rename(&self.temp, &self.target)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            // Nothing more can be done about a temporary file that cannot be removed.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::io::Write;

    use super::*;

    #[test]
    fn the_file_has_its_name_only_once_committed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let (guard, mut file) = AtomicFile::create(&target).unwrap();
        file.write_all(b"a\n1\n").unwrap();
        assert!(!target.exists());
        drop(file);
        guard.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "a\n1\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_abandoned_file_leaves_nothing_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        std::fs::write(&target, "old\n").unwrap();
        let (guard, mut file) = AtomicFile::create(&target).unwrap();
        file.write_all(b"half").unwrap();
        drop(guard);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
