//! The metadata documents: VOSI `/capabilities` (with TAPRegExt), `/tables`, `/availability`, and the DALI
//! `/examples` page.

use std::fmt::Write as _;

use adql_syntax::{Feature, ParseOptions};

use crate::config::Limits;
use crate::format::ResultFormat;
use crate::served::{Served, ServedTable};
use crate::xml::{escape, iso8601};

const HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// The TAPRegExt spelling of a feature type IVOID (`adql_syntax` folds it to lower case).
fn tapregext(ivoid: &str) -> String {
    ivoid.replace("tapregext", "TAPRegExt")
}

/// `/capabilities` of the service at `base`.
pub(crate) fn capabilities(base: &str, parse: &ParseOptions, limits: &Limits) -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "<vosi:capabilities xmlns:vosi=\"http://www.ivoa.net/xml/VOSICapabilities/v1.0\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xmlns:vs=\"http://www.ivoa.net/xml/VODataService/v1.1\" \
         xmlns:vr=\"http://www.ivoa.net/xml/VOResource/v1.0\" \
         xmlns:tr=\"http://www.ivoa.net/xml/TAPRegExt/v1.0\">\n",
    );
    let _ = writeln!(
        out,
        "  <capability standardID=\"ivo://ivoa.net/std/TAP\" xsi:type=\"tr:TableAccess\">\n    \
         <interface xsi:type=\"vs:ParamHTTP\" role=\"std\" version=\"1.1\">\n      \
         <accessURL use=\"base\">{}</accessURL>\n    </interface>",
        escape(base)
    );
    out.push_str("    <language>\n      <name>ADQL</name>\n");
    out.push_str("      <version ivo-id=\"ivo://ivoa.net/std/ADQL#v2.1\">2.1</version>\n");
    out.push_str("      <version ivo-id=\"ivo://ivoa.net/std/ADQL#v2.0\">2.0</version>\n");
    out.push_str(
        "      <description>ADQL 2.1 across the archives this server federates: remote tables are named \
         service.schema.table.</description>\n",
    );
    let mut types: Vec<&str> = Vec::new();
    for feature in Feature::ALL {
        // COALESCE (`features-adql-conditional`, ADQL 2.1) is left undeclared: TAPRegExt 1.0 does not
        // define the key, and validators (taplint) reject it. It works all the same.
        if !matches!(feature, Feature::UserDefinedFunctions | Feature::Coalesce)
            && !types.contains(&feature.type_ivoid())
        {
            types.push(feature.type_ivoid());
        }
    }
    for ty in types {
        let forms: Vec<&Feature> = Feature::ALL
            .iter()
            .filter(|f| f.type_ivoid() == ty && parse.features.contains(**f))
            .collect();
        if forms.is_empty() {
            continue;
        }
        let _ = writeln!(out, "      <languageFeatures type=\"{}\">", tapregext(ty));
        for f in forms {
            let _ = writeln!(
                out,
                "        <feature><form>{}</form></feature>",
                escape(f.form())
            );
        }
        out.push_str("      </languageFeatures>\n");
    }
    out.push_str("    </language>\n");
    for format in ResultFormat::ALL {
        match format.ivo_id() {
            Some(id) => {
                let _ = writeln!(out, "    <outputFormat ivo-id=\"{id}\">");
            }
            None => out.push_str("    <outputFormat>\n"),
        }
        let _ = writeln!(
            out,
            "      <mime>{}</mime>\n      <alias>{}</alias>\n    </outputFormat>",
            escape(format.mime()),
            format.alias()
        );
    }
    out.push_str("    <uploadMethod ivo-id=\"ivo://ivoa.net/std/TAPRegExt#upload-inline\"/>\n");
    out.push_str("    <uploadMethod ivo-id=\"ivo://ivoa.net/std/TAPRegExt#upload-http\"/>\n");
    out.push_str("    <uploadMethod ivo-id=\"ivo://ivoa.net/std/TAPRegExt#upload-https\"/>\n");
    let _ = writeln!(
        out,
        "    <retentionPeriod>\n      <default>{}</default>\n      <hard>{}</hard>\n    </retentionPeriod>",
        limits.retention_default.as_secs(),
        limits.retention_hard.as_secs()
    );
    let _ = writeln!(
        out,
        "    <executionDuration>\n      <default>{}</default>\n      <hard>{}</hard>\n    </executionDuration>",
        limits.execution_default.as_secs(),
        limits.execution_hard.as_secs()
    );
    let _ = writeln!(
        out,
        "    <outputLimit>\n      <default unit=\"row\">{}</default>\n      <hard unit=\"row\">{}</hard>\n    \
         </outputLimit>",
        limits.maxrec_default, limits.maxrec_hard
    );
    let _ = writeln!(
        out,
        "    <uploadLimit>\n      <hard unit=\"byte\">{}</hard>\n    </uploadLimit>",
        limits.max_upload_bytes
    );
    out.push_str("  </capability>\n");
    for (standard, path) in [
        ("ivo://ivoa.net/std/VOSI#capabilities", "capabilities"),
        ("ivo://ivoa.net/std/VOSI#availability", "availability"),
        ("ivo://ivoa.net/std/VOSI#tables-1.1", "tables"),
        ("ivo://ivoa.net/std/DALI#examples", "examples"),
    ] {
        let _ = writeln!(
            out,
            "  <capability standardID=\"{standard}\">\n    <interface xsi:type=\"vs:ParamHTTP\">\n      \
             <accessURL use=\"full\">{}/{path}</accessURL>\n    </interface>\n  </capability>",
            escape(base)
        );
    }
    out.push_str("</vosi:capabilities>\n");
    out
}

/// `/availability`: up since `started` (ms since the Unix epoch), with a note per listed service that
/// could not be described.
pub(crate) fn availability(started: i64, served: &Served) -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "<vosi:availability xmlns:vosi=\"http://www.ivoa.net/xml/VOSIAvailability/v1.0\">\n  \
         <vosi:available>true</vosi:available>\n",
    );
    let _ = writeln!(out, "  <vosi:upSince>{}</vosi:upSince>", iso8601(started));
    out.push_str("  <vosi:note>adql serve: ADQL across archives</vosi:note>\n");
    for failure in &served.failures {
        let _ = writeln!(
            out,
            "  <vosi:note>not listed, could not be described: {}</vosi:note>",
            escape(failure)
        );
    }
    out.push_str("</vosi:availability>\n");
    out
}

/// How much of each table `/tables` writes (VOSI 1.1 `detail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Names and descriptions only.
    Min,
    /// With the columns.
    Max,
}

fn optional(out: &mut String, indent: &str, name: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        let _ = writeln!(out, "{indent}<{name}>{}</{name}>", escape(v));
    }
}

fn table_into(out: &mut String, table: &ServedTable, detail: Detail, indent: &str) {
    let _ = writeln!(out, "{indent}<table type=\"output\">");
    let _ = writeln!(out, "{indent}  <name>{}</name>", escape(&table.name));
    optional(
        out,
        &format!("{indent}  "),
        "description",
        table.description.as_deref(),
    );
    if detail == Detail::Max {
        for c in &table.columns {
            let _ = writeln!(out, "{indent}  <column>");
            let _ = writeln!(out, "{indent}    <name>{}</name>", escape(&c.name));
            let inner = format!("{indent}    ");
            optional(out, &inner, "description", c.description.as_deref());
            optional(out, &inner, "unit", c.unit.as_deref());
            optional(out, &inner, "ucd", c.ucd.as_deref());
            optional(out, &inner, "utype", c.utype.as_deref());
            let mut attrs = String::new();
            if let Some(a) = &c.arraysize {
                let _ = write!(attrs, " arraysize=\"{}\"", escape(a));
            }
            if let Some(x) = &c.xtype {
                let _ = write!(attrs, " extendedType=\"{}\"", escape(x));
            }
            let _ = writeln!(
                out,
                "{inner}<dataType xsi:type=\"vs:VOTableType\"{attrs}>{}</dataType>",
                escape(&c.datatype)
            );
            let _ = writeln!(out, "{indent}  </column>");
        }
        for (target, from, to) in &table.foreign_keys {
            let _ = writeln!(
                out,
                "{indent}  <foreignKey>\n{indent}    <targetTable>{}</targetTable>\n{indent}    <fkColumn>\n\
                 {indent}      <fromColumn>{}</fromColumn>\n{indent}      <targetColumn>{}</targetColumn>\n\
                 {indent}    </fkColumn>\n{indent}  </foreignKey>",
                escape(target),
                escape(from),
                escape(to)
            );
        }
    }
    let _ = writeln!(out, "{indent}</table>");
}

/// `/tables`: every listed table by schema.
pub(crate) fn tableset(served: &Served, detail: Detail) -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "<vosi:tableset xmlns:vosi=\"http://www.ivoa.net/xml/VOSITables/v1.0\" \
         xmlns:vs=\"http://www.ivoa.net/xml/VODataService/v1.1\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n",
    );
    let mut schemas: Vec<&str> = Vec::new();
    for t in &served.tables {
        if !schemas.contains(&t.schema.as_str()) {
            schemas.push(&t.schema);
        }
    }
    for schema in schemas {
        let _ = writeln!(out, "  <schema>\n    <name>{}</name>", escape(schema));
        for t in served.tables.iter().filter(|t| t.schema == schema) {
            table_into(&mut out, t, detail, "    ");
        }
        out.push_str("  </schema>\n");
    }
    out.push_str("</vosi:tableset>\n");
    out
}

/// `/tables/{name}`: one table with its columns (VOSI 1.1), if listed.
pub(crate) fn table(served: &Served, name: &str) -> Option<String> {
    let table = served.tables.iter().find(|t| t.name == name).or_else(|| {
        served
            .tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    })?;
    let mut out = String::from(HEADER);
    let mut body = String::new();
    table_into(&mut body, table, Detail::Max, "");
    let body = body.replacen(
        "<table type=\"output\">",
        "<vosi:table xmlns:vosi=\"http://www.ivoa.net/xml/VOSITables/v1.0\" \
         xmlns:vs=\"http://www.ivoa.net/xml/VODataService/v1.1\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" type=\"output\">",
        1,
    );
    let body = body.replacen("</table>", "</vosi:table>", 1);
    out.push_str(&body);
    Some(out)
}

/// `/examples`: a DALI examples page (XHTML with RDFa) — `TAP_SCHEMA`, and the first rows of the first
/// table of each listed schema.
pub(crate) fn examples(served: &Served) -> String {
    let mut examples: Vec<(String, String, String)> = vec![(
        "tap-schema".to_owned(),
        "The tables of this service".to_owned(),
        "SELECT schema_name, table_name, description FROM TAP_SCHEMA.tables ORDER BY table_index"
            .to_owned(),
    )];
    let mut seen: Vec<&str> = vec!["TAP_SCHEMA"];
    for t in &served.tables {
        // A few scalar columns: what a first look at a table wants, cheap on a table of 1e9 rows.
        let columns: Vec<&str> = t
            .columns
            .iter()
            .filter(|c| c.arraysize.is_none() || c.datatype == "char")
            .filter(|c| c.xtype.is_none())
            .take(3)
            .map(|c| c.name.as_str())
            .collect();
        if seen.contains(&t.schema.as_str()) || columns.is_empty() {
            continue;
        }
        seen.push(&t.schema);
        examples.push((
            format!("first-rows-{}", examples.len()),
            format!("The first rows of {}", t.name),
            format!("SELECT TOP 10 {} FROM {}", columns.join(", "), t.name),
        ));
    }
    let mut out = String::from(HEADER);
    out.push_str(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head><title>Examples of adql \
         serve</title></head>\n<body vocab=\"http://www.ivoa.net/rdf/examples#\">\n<h1>Examples</h1>\n",
    );
    for (id, name, query) in examples {
        let _ = writeln!(
            out,
            "<div id=\"{id}\" resource=\"#{id}\" typeof=\"example\">\n  <h2 property=\"name\">{}</h2>\n  \
             <pre property=\"query\">{}</pre>\n</div>",
            escape(&name),
            escape(&query)
        );
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_declare_the_parser_features_formats_and_limits() {
        let doc = capabilities("http://h", &ParseOptions::default(), &Limits::default());
        for part in [
            "<accessURL use=\"base\">http://h</accessURL>",
            "ivo://ivoa.net/std/TAPRegExt#features-adqlgeo",
            "<form>CONTAINS</form>",
            "<form>IN_UNIT</form>",
            "#output-votable-binary2",
            "<alias>parquet</alias>",
            "#upload-inline",
            "<hard unit=\"row\">10000000</hard>",
            "<accessURL use=\"full\">http://h/tables</accessURL>",
        ] {
            assert!(doc.contains(part), "{part} missing from {doc}");
        }
    }
}
