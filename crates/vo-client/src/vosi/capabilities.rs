//! VOSI `/capabilities` with the TAPRegExt description of a TAP service: query languages and
//! their features (geometry functions, UDFs, …), output formats, upload methods and limits.

use url::Url;

use super::fetch::fetch_doc;
use crate::error::Result;
use crate::http::HttpClient;
use crate::xml::Element;

/// The `standardID` of TAP.
pub const TAP_STANDARD_ID: &str = "ivo://ivoa.net/std/TAP";

/// One `interface` of a capability.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interface {
    /// `xsi:type` (e.g. `vs:ParamHTTP`).
    pub xsi_type: Option<String>,
    /// `role` (e.g. `std`).
    pub role: Option<String>,
    /// The access URLs.
    pub access_urls: Vec<String>,
}

/// One `capability` element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capability {
    /// `standardID`.
    pub standard_id: String,
    /// Its interfaces.
    pub interfaces: Vec<Interface>,
}

/// A language feature (`languageFeatures/@type` and one `feature/form`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageFeature {
    /// The feature type URI, e.g. `ivo://ivoa.net/std/TAPRegExt#features-adqlgeo`.
    pub feature_type: String,
    /// The form: a keyword (`CIRCLE`) or, for UDFs, a signature
    /// (`ivo_healpix_index(order INTEGER, ra DOUBLE PRECISION, dec DOUBLE PRECISION) -> BIGINT`).
    pub form: String,
    /// Free-text description.
    pub description: Option<String>,
}

impl LanguageFeature {
    /// The part of the type after `#` (`features-adqlgeo`), lower-cased.
    pub fn kind(&self) -> String {
        self.feature_type
            .rsplit_once('#')
            .map_or(self.feature_type.as_str(), |(_, k)| k)
            .to_ascii_lowercase()
    }
}

/// A query language.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Language {
    /// `name` (e.g. `ADQL`).
    pub name: String,
    /// Versions: (version text, ivo-id).
    pub versions: Vec<(String, Option<String>)>,
    /// Declared features.
    pub features: Vec<LanguageFeature>,
}

/// An output format.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutputFormat {
    /// `mime`.
    pub mime: String,
    /// `alias`es.
    pub aliases: Vec<String>,
    /// `ivo-id`.
    pub ivo_id: Option<String>,
}

/// The unit of a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitUnit {
    /// Rows.
    Rows,
    /// Bytes.
    Bytes,
    /// Seconds (retention and execution durations).
    Seconds,
}

/// One limit value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitValue {
    /// The number.
    pub value: u64,
    /// Its unit.
    pub unit: LimitUnit,
}

/// A default and a hard limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limit {
    /// Applied when the client does not ask.
    pub default: Option<LimitValue>,
    /// The most the client can ask for.
    pub hard: Option<LimitValue>,
}

/// What TAPRegExt says about a TAP service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TapCapability {
    /// Query languages.
    pub languages: Vec<Language>,
    /// Output formats.
    pub output_formats: Vec<OutputFormat>,
    /// Upload methods (ivo-ids such as `ivo://ivoa.net/std/TAPRegExt#upload-inline`).
    pub upload_methods: Vec<String>,
    /// `retentionPeriod` (seconds).
    pub retention_period: Limit,
    /// `executionDuration` (seconds).
    pub execution_duration: Limit,
    /// `outputLimit` (rows or bytes).
    pub output_limit: Limit,
    /// `uploadLimit` (rows or bytes).
    pub upload_limit: Limit,
    /// Data models (ivo-ids).
    pub data_models: Vec<String>,
}

/// A parsed capabilities document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Every capability.
    pub capabilities: Vec<Capability>,
    /// The TAP capability with its TAPRegExt details, if the document has one.
    pub tap: Option<TapCapability>,
}

impl Capabilities {
    fn features(&self) -> impl Iterator<Item = &LanguageFeature> {
        self.tap
            .iter()
            .flat_map(|t| t.languages.iter())
            .flat_map(|l| l.features.iter())
    }

    /// Every declared feature as (type URI, form) pairs.
    pub fn feature_pairs(&self) -> Vec<(&str, &str)> {
        self.features()
            .map(|f| (f.feature_type.as_str(), f.form.as_str()))
            .collect()
    }

    /// True when the feature of type `…#<kind>` (e.g. `features-adql-offset`) with this form
    /// (compared case-insensitively) is declared.
    pub fn supports_feature(&self, kind: &str, form: &str) -> bool {
        let kind = kind.to_ascii_lowercase();
        self.features()
            .any(|f| f.kind() == kind && f.form.trim().eq_ignore_ascii_case(form))
    }

    /// True when the ADQL geometry function (`CONTAINS`, `INTERSECTS`, `POINT`, …) is declared.
    pub fn supports_geometry(&self, function: &str) -> bool {
        self.supports_feature("features-adqlgeo", function)
    }

    /// The declared user-defined functions, as their TAPRegExt form strings.
    pub fn udfs(&self) -> Vec<&str> {
        self.features()
            .filter(|f| f.kind() == "features-udf")
            .map(|f| f.form.as_str())
            .collect()
    }

    /// True when the service accepts inline uploads (the only kind this client sends).
    pub fn supports_upload(&self) -> bool {
        self.tap.as_ref().is_some_and(|t| {
            t.upload_methods
                .iter()
                .any(|m| m.to_ascii_lowercase().ends_with("#upload-inline"))
        })
    }

    /// The hard row limit of results, when declared in rows.
    pub fn hard_maxrec(&self) -> Option<u64> {
        self.tap
            .as_ref()?
            .output_limit
            .hard
            .filter(|l| l.unit == LimitUnit::Rows)
            .map(|l| l.value)
    }

    /// The upload limit in `unit` (the hard limit, else the default), when declared in that unit.
    pub fn upload_limit(&self, unit: LimitUnit) -> Option<u64> {
        let limit = self.tap.as_ref()?.upload_limit;
        [limit.hard, limit.default]
            .into_iter()
            .flatten()
            .find(|l| l.unit == unit)
            .map(|l| l.value)
    }

    /// The default row limit of results, when declared in rows.
    pub fn default_maxrec(&self) -> Option<u64> {
        self.tap
            .as_ref()?
            .output_limit
            .default
            .filter(|l| l.unit == LimitUnit::Rows)
            .map(|l| l.value)
    }

    /// The ADQL versions (e.g. `2.0`, `2.1`).
    pub fn adql_versions(&self) -> Vec<&str> {
        self.tap
            .iter()
            .flat_map(|t| t.languages.iter())
            .filter(|l| l.name.eq_ignore_ascii_case("ADQL"))
            .flat_map(|l| l.versions.iter().map(|(v, _)| v.as_str()))
            .collect()
    }
}

fn limit(el: Option<&Element>, default_unit: LimitUnit) -> Limit {
    let value = |name: &str| {
        let e = el?.child(name)?;
        let value = e.text.trim().parse::<u64>().ok()?;
        let unit = match e.attr("unit").map(str::to_ascii_lowercase).as_deref() {
            Some("row") | Some("rows") => LimitUnit::Rows,
            Some("byte") | Some("bytes") => LimitUnit::Bytes,
            _ => default_unit,
        };
        Some(LimitValue { value, unit })
    };
    Limit {
        default: value("default"),
        hard: value("hard"),
    }
}

/// Interprets a capabilities document.
pub fn parse(doc: &[u8]) -> std::result::Result<Capabilities, String> {
    from_element(&crate::xml::parse(doc)?)
}

pub(crate) fn from_element(root: &Element) -> std::result::Result<Capabilities, String> {
    if root.name != "capabilities" {
        return Err(format!(
            "expected a VOSI capabilities document, found <{}>",
            root.name
        ));
    }
    let mut out = Capabilities::default();
    for cap in root.children_named("capability") {
        let standard_id = cap.attr("standardID").unwrap_or_default().trim().to_owned();
        let interfaces = cap
            .children_named("interface")
            .map(|i| Interface {
                xsi_type: i.attr("type").map(str::to_owned),
                role: i.attr("role").map(str::to_owned),
                access_urls: i
                    .children_named("accessURL")
                    .map(|u| u.text.trim().to_owned())
                    .collect(),
            })
            .collect();
        let is_tap = standard_id.eq_ignore_ascii_case(TAP_STANDARD_ID)
            || cap.attr("type").is_some_and(|t| t.ends_with("TableAccess"));
        if is_tap && out.tap.is_none() {
            out.tap = Some(parse_tap(cap));
        }
        out.capabilities.push(Capability {
            standard_id,
            interfaces,
        });
    }
    Ok(out)
}

fn parse_tap(cap: &Element) -> TapCapability {
    let languages = cap
        .children_named("language")
        .map(|l| Language {
            name: l.child_text("name").unwrap_or_default(),
            versions: l
                .children_named("version")
                .map(|v| {
                    (
                        v.text.trim().to_owned(),
                        v.attr("ivo-id").map(str::to_owned),
                    )
                })
                .collect(),
            features: l
                .children_named("languageFeatures")
                .flat_map(|lf| {
                    let feature_type = lf.attr("type").unwrap_or_default().to_owned();
                    lf.children_named("feature").filter_map(move |f| {
                        Some(LanguageFeature {
                            feature_type: feature_type.clone(),
                            form: f.child_text("form")?,
                            description: f.child_text("description"),
                        })
                    })
                })
                .collect(),
        })
        .collect();
    TapCapability {
        languages,
        output_formats: cap
            .children_named("outputFormat")
            .map(|f| OutputFormat {
                mime: f.child_text("mime").unwrap_or_default(),
                aliases: f
                    .children_named("alias")
                    .map(|a| a.text.trim().to_owned())
                    .collect(),
                ivo_id: f.attr("ivo-id").map(str::to_owned),
            })
            .collect(),
        upload_methods: cap
            .children_named("uploadMethod")
            .filter_map(|m| m.attr("ivo-id").map(str::to_owned))
            .collect(),
        retention_period: limit(cap.child("retentionPeriod"), LimitUnit::Seconds),
        execution_duration: limit(cap.child("executionDuration"), LimitUnit::Seconds),
        output_limit: limit(cap.child("outputLimit"), LimitUnit::Rows),
        upload_limit: limit(cap.child("uploadLimit"), LimitUnit::Rows),
        data_models: cap
            .children_named("dataModel")
            .filter_map(|d| d.attr("ivo-id").map(str::to_owned))
            .collect(),
    }
}

pub(crate) async fn fetch(http: &HttpClient, service: &str, url: Url) -> Result<Capabilities> {
    fetch_doc(http, service, url, from_element).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Option<Capabilities> {
        Some(parse(&crate::testing::fixture(path)?).unwrap())
    }

    #[test]
    fn dachs_capabilities() {
        let Some(caps) = fixture("pyvo/dal_tap_capabilities.xml") else {
            return;
        };
        assert!(caps.supports_geometry("INTERSECTS"));
        assert!(caps.supports_geometry("distance"));
        assert!(!caps.supports_geometry("ivo_healpix_index"));
        assert!(caps.supports_upload());
        assert_eq!(caps.hard_maxrec(), Some(10_000_000));
        assert_eq!(caps.default_maxrec(), Some(20_000));
        assert_eq!(caps.adql_versions(), vec!["2.0"]);
        assert!(
            caps.udfs()
                .iter()
                .any(|u| u.starts_with("ivo_healpix_index(order INTEGER"))
        );
        assert!(caps.supports_feature("features-adql-offset", "OFFSET"));
        let tap = caps.tap.as_ref().unwrap();
        assert_eq!(
            tap.upload_limit.hard,
            Some(LimitValue {
                value: 100_000_000,
                unit: LimitUnit::Bytes
            })
        );
        assert_eq!(
            tap.retention_period.default,
            Some(LimitValue {
                value: 172_800,
                unit: LimitUnit::Seconds
            })
        );
        assert!(
            tap.output_formats
                .iter()
                .any(|f| f.aliases.contains(&"votable/b2".to_owned()))
        );
        assert!(
            caps.capabilities
                .iter()
                .any(|c| c.standard_id == "ivo://ivoa.net/std/VOSI#tables")
        );
    }

    #[test]
    fn mast_capabilities_have_no_upload() {
        let Some(caps) = fixture("astroquery_mast_tap_pr3582/tap_capabilities.xml") else {
            return;
        };
        assert!(!caps.supports_upload());
        assert!(caps.supports_geometry("CONTAINS"));
        assert!(!caps.supports_geometry("POLYGON"));
        assert_eq!(caps.hard_maxrec(), Some(100_000));
    }

    #[test]
    fn minimal_tapregext() {
        let Some(caps) = fixture("pyvo/io_vosi_capabilities_minimal-tapregext.xml") else {
            return;
        };
        assert!(caps.tap.is_some());
    }
}
