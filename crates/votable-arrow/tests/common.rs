//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The shared fixtures folder, or `None` (with a message) when this clone has none.
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures"
    ));
    if dir.is_dir() {
        Some(dir.to_path_buf())
    } else {
        eprintln!(
            "skipping: {} not found (no ../shared next to the workspace)",
            dir.display()
        );
        None
    }
}

/// Every file of the fixtures folder whose root element is VOTABLE, sorted.
pub fn votable_fixtures(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !matches!(ext, "vot" | "xml" | "b64" | "b264") {
                continue;
            }
            let text = std::fs::read(&path).unwrap();
            if is_votable(&text) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// True when the first element of the document is (prefix:)VOTABLE.
pub fn is_votable(text: &[u8]) -> bool {
    let mut i = 0;
    while let Some(k) = text[i..].iter().position(|b| *b == b'<') {
        let at = i + k + 1;
        match text.get(at) {
            Some(b'?') | Some(b'!') => {
                i = at;
                continue;
            }
            _ => {}
        }
        let name: Vec<u8> = text[at..]
            .iter()
            .take_while(|b| !b.is_ascii_whitespace() && **b != b'>' && **b != b'/')
            .copied()
            .collect();
        let local = name.rsplit(|b| *b == b':').next().unwrap_or(&name);
        return local == b"VOTABLE";
    }
    false
}
