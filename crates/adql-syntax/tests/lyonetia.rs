//! The IVOA lyonetia ADQL validation suite (`/work/shared/conformance/lyonetia`): every query's verdict must
//! agree with `valid=`, except for a short, explained list of queries on which the suites contradict each
//! other, and every valid query must round-trip through the printer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use adql_syntax::{ParseOptions, UdfPolicy, UdfSignature, parse_with};

/// Queries whose verdict we knowingly do not match: `(file, 0-based index in the file, why)`.
///
/// The suites were written against different parsers and contradict each other (notes/adql.md §2.1 item 3);
/// we follow the ADQL 2.1 REC and the ivoa suite, which the IVOA's VOLLT-based validator checks.
const EXPECTED_DISAGREEMENTS: &[(&str, usize, &str)] = &[
    (
        "ivoa/2_from.xml",
        4,
        "`t1 INNER JOIN t2` without ON/USING: the 2.1 BNF makes the join specification optional and the gavo \
         suite has 13 valid queries relying on it (`t1 JOIN t2`, `... RIGHT OUTER JOIN t2`); we follow the BNF",
    ),
    (
        "ivoa/X1_obscore_eso.xml",
        36,
        "`SELECT a, ..., *`: the BNF allows `*` only as the whole select list (`SELECT *, x` is invalid); this \
         ESO sample query relies on a VOLLT leniency",
    ),
    (
        "gavo/simpleunit.xml",
        63,
        "`TAN2(x)`: a well-formed user-defined function call, valid under the gavo profile's any-UDF policy; \
         DaCHS rejects it only because it knows no such function",
    ),
];

/// How a directory of the suite is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Profile {
    /// Strict ADQL 2.1, every optional feature, only the UDFs declared in the file or query.
    Ivoa,
    /// Any UDF allowed (DaCHS behaviour).
    Gavo,
    /// Every feature, any UDF.
    Roe,
}

/// One query of the suite.
struct Case {
    file: String,
    index: usize,
    valid: bool,
    adql: String,
    udfs: Vec<String>,
    profile: Profile,
}

fn suite_dir() -> PathBuf {
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

fn options(case: &Case) -> ParseOptions {
    let mut opts = ParseOptions::default();
    if case.profile == Profile::Ivoa {
        let sigs: Vec<UdfSignature> = case.udfs.iter().map(|f| f.parse().unwrap()).collect();
        opts.udfs = UdfPolicy::Declared(sigs);
    }
    opts
}

#[test]
fn lyonetia_verdicts_agree() {
    let Some(cases) = load_cases() else {
        println!(
            "skipping: the lyonetia suite is not at {}",
            suite_dir().display()
        );
        return;
    };
    assert_eq!(
        cases.len(),
        495,
        "the suite has 495 queries in ivoa, gavo and roe"
    );
    let mut agree = 0;
    let mut unexpected = Vec::new();
    let mut expected_seen = Vec::new();
    for case in &cases {
        let result = parse_with(&case.adql, &options(case));
        if result.is_ok() == case.valid {
            agree += 1;
            continue;
        }
        let known = EXPECTED_DISAGREEMENTS
            .iter()
            .any(|(f, i, _)| *f == case.file && *i == case.index);
        let detail = match &result {
            Ok(q) => format!("accepted as: {q}"),
            Err(e) => e.render(&case.adql, &format!("{}#{}", case.file, case.index)),
        };
        let line = format!(
            "{}#{} (valid={}) {:?}\n{detail}",
            case.file,
            case.index,
            case.valid,
            case.adql.trim()
        );
        if known {
            expected_seen.push(line)
        } else {
            unexpected.push(line)
        }
    }
    println!("lyonetia: {agree} of {} verdicts agree", cases.len());
    for line in &expected_seen {
        println!("expected disagreement: {line}");
    }
    assert!(
        unexpected.is_empty(),
        "{} unexpected disagreements:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(agree >= 490, "only {agree} of 495 agree");
    assert_eq!(
        expected_seen.len(),
        EXPECTED_DISAGREEMENTS.len(),
        "a listed disagreement now agrees: update the list"
    );
}

#[test]
fn lyonetia_valid_queries_round_trip() {
    let Some(cases) = load_cases() else {
        println!(
            "skipping: the lyonetia suite is not at {}",
            suite_dir().display()
        );
        return;
    };
    let mut checked = 0;
    for case in cases.iter().filter(|c| c.valid) {
        let opts = options(case);
        let Ok(tree) = parse_with(&case.adql, &opts) else {
            continue;
        };
        let printed = tree.to_string();
        let reparsed = parse_with(&printed, &opts).unwrap_or_else(|e| {
            panic!(
                "{}#{}: printed query does not parse:\n{}",
                case.file,
                case.index,
                e.render(&printed, "printed")
            )
        });
        assert_eq!(
            reparsed, tree,
            "{}#{}: round trip changed the tree\nprinted: {printed}",
            case.file, case.index
        );
        assert_eq!(
            reparsed.to_string(),
            printed,
            "{}#{}: printing is not idempotent",
            case.file,
            case.index
        );
        checked += 1;
    }
    println!("lyonetia: {checked} valid queries round-trip");
    assert!(checked > 400);
}
