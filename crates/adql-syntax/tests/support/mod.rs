//! Loading the lyonetia suite, shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use adql_syntax::{ParseOptions, UdfPolicy, UdfSignature};

/// How a directory of the suite is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Strict ADQL 2.1, every optional feature, only the UDFs declared in the file or query.
    Ivoa,
    /// Any UDF allowed (DaCHS behaviour).
    Gavo,
    /// Every feature, any UDF.
    Roe,
}

/// One query of the suite.
pub struct Case {
    /// `dir/file.xml`.
    pub file: String,
    /// 0-based position in the file.
    pub index: usize,
    /// The expected verdict.
    pub valid: bool,
    /// The raw query text.
    pub adql: String,
    /// UDF declarations (`<form>`s) in scope.
    pub udfs: Vec<String>,
    /// How its directory is run.
    pub profile: Profile,
}

/// Where the suite lives.
pub fn suite_dir() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/lyonetia/src/adql"
    ))
    .to_path_buf()
}

fn forms(node: roxmltree::Node<'_, '_>) -> Vec<String> {
    node.children()
        .filter(|c| c.has_tag_name("functions"))
        .flat_map(|f| f.descendants().filter(|d| d.has_tag_name("form")))
        .map(|f| text_of(f).trim().to_owned())
        .collect()
}

/// All the text under `node`, CDATA included, whitespace and newlines kept.
fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

/// Every query of the ivoa, gavo and roe directories, or `None` when the suite is absent.
pub fn load_cases() -> Option<Vec<Case>> {
    let root = suite_dir();
    if !root.is_dir() {
        return None;
    }
    let mut cases = Vec::new();
    for (dir, profile) in [
        ("ivoa", Profile::Ivoa),
        ("gavo", Profile::Gavo),
        ("roe", Profile::Roe),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let doc = roxmltree::Document::parse(&text).unwrap();
            let file_udfs = forms(doc.root_element());
            let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            for (index, query) in doc
                .root_element()
                .children()
                .filter(|c| c.has_tag_name("query"))
                .enumerate()
            {
                let adql = query.children().find(|c| c.has_tag_name("adql")).unwrap();
                let mut udfs = file_udfs.clone();
                udfs.extend(forms(query));
                cases.push(Case {
                    file: name.clone(),
                    index,
                    valid: adql.attribute("valid") == Some("true"),
                    adql: text_of(adql),
                    udfs,
                    profile,
                });
            }
        }
    }
    Some(cases)
}

/// The options a case is parsed with.
pub fn options(case: &Case) -> ParseOptions {
    let mut opts = ParseOptions::default();
    if case.profile == Profile::Ivoa {
        let sigs: Vec<UdfSignature> = case.udfs.iter().map(|f| f.parse().unwrap()).collect();
        opts.udfs = UdfPolicy::Declared(sigs);
    }
    opts
}
