//! Checksums a product list may give (`md5:…`, `sha256:…`), checked over the file on disk.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use md5::Md5;
use sha2::{Digest, Sha256};

/// An expected digest, hex-encoded (lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    /// MD5 (what many archives publish).
    Md5(String),
    /// SHA-256.
    Sha256(String),
}

impl FromStr for Checksum {
    type Err = String;

    /// `md5:HEX` or `sha256:HEX` (`sha-256` and upper-case hex accepted).
    fn from_str(text: &str) -> Result<Self, String> {
        let (algorithm, hex) = text
            .split_once(':')
            .ok_or_else(|| format!("expected ALGORITHM:HEX, got '{text}'"))?;
        let hex = hex.trim().to_ascii_lowercase();
        let (checksum, len) = match algorithm.trim().to_ascii_lowercase().as_str() {
            "md5" => (Checksum::Md5(hex.clone()), 32),
            "sha256" | "sha-256" => (Checksum::Sha256(hex.clone()), 64),
            other => {
                return Err(format!(
                    "unknown checksum algorithm '{other}' (md5 or sha256)"
                ));
            }
        };
        if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("'{text}' is not {len} hexadecimal digits"));
        }
        Ok(checksum)
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Checksum::Md5(hex) => write!(f, "md5:{hex}"),
            Checksum::Sha256(hex) => write!(f, "sha256:{hex}"),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest_file<D: Digest>(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = D::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buffer[..n]);
    }
}

impl Checksum {
    /// The digest of the file at `path` in this checksum's algorithm, and whether it matches.
    pub(crate) fn check(&self, path: &Path) -> std::io::Result<(String, bool)> {
        let (got, want) = match self {
            Checksum::Md5(want) => (digest_file::<Md5>(path)?, want),
            Checksum::Sha256(want) => (digest_file::<Sha256>(path)?, want),
        };
        let matches = got == *want;
        Ok((got, matches))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn checksums_parse_and_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        let md5: Checksum = "MD5:900150983CD24FB0D6963F7D28E17F72".parse().unwrap();
        assert!(md5.check(&path).unwrap().1);
        let sha: Checksum =
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
                .parse()
                .unwrap();
        assert!(sha.check(&path).unwrap().1);
        let wrong: Checksum = "md5:00000000000000000000000000000000".parse().unwrap();
        assert!(!wrong.check(&path).unwrap().1);
        assert!("crc32:1234".parse::<Checksum>().is_err());
        assert!("md5:12".parse::<Checksum>().is_err());
        assert_eq!(md5.to_string(), "md5:900150983cd24fb0d6963f7d28e17f72");
    }
}
