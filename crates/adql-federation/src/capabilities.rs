//! What a service can evaluate: its ADQL version and TAPRegExt language features.
//!
//! The pushdown rule and the ADQL generator ask these records whether an operator, function or
//! clause may be sent to a service. Records are discovered over VOSI `/capabilities`
//! (TAPRegExt `languageFeatures`) and cached on disk as JSON (see [`crate::cache`]).

use std::collections::BTreeSet;

use adql_syntax::AdqlVersion;
use serde::{Deserialize, Serialize};

/// TAPRegExt feature type of the ADQL geometry functions.
pub const FEATURE_GEOMETRY: &str = "ivo://ivoa.net/std/tapregext#features-adqlgeo";
/// TAPRegExt feature type of user-defined functions (one signature per form).
pub const FEATURE_UDF: &str = "ivo://ivoa.net/std/tapregext#features-udf";
/// TAPRegExt feature type of LOWER, UPPER and ILIKE.
pub const FEATURE_STRING: &str = "ivo://ivoa.net/std/tapregext#features-adql-string";
/// TAPRegExt feature type of UNION, EXCEPT and INTERSECT.
pub const FEATURE_SETS: &str = "ivo://ivoa.net/std/tapregext#features-adql-sets";
/// TAPRegExt feature type of CAST.
pub const FEATURE_TYPE: &str = "ivo://ivoa.net/std/tapregext#features-adql-type";
/// TAPRegExt feature type of COALESCE.
pub const FEATURE_CONDITIONAL: &str = "ivo://ivoa.net/std/tapregext#features-adql-conditional";
/// TAPRegExt feature type of IN_UNIT.
pub const FEATURE_UNIT: &str = "ivo://ivoa.net/std/tapregext#features-adql-unit";
/// TAPRegExt feature type of OFFSET.
pub const FEATURE_OFFSET: &str = "ivo://ivoa.net/std/tapregext#features-adql-offset";
/// TAPRegExt feature type of WITH.
pub const FEATURE_COMMON_TABLE: &str = "ivo://ivoa.net/std/tapregext#features-adql-common-table";
/// Feature type of the bitwise operators (only in ADQL 2.1 drafts, still advertised by some services).
pub const FEATURE_BITWISE: &str = "ivo://ivoa.net/std/tapregext#features-adql-bitwise";

/// The geometry functions of ADQL (forms of [`FEATURE_GEOMETRY`]).
pub const GEOMETRY_FUNCTIONS: &[&str] = &[
    "AREA",
    "BOX",
    "CENTROID",
    "CIRCLE",
    "CONTAINS",
    "COORD1",
    "COORD2",
    "COORDSYS",
    "DISTANCE",
    "INTERSECTS",
    "POINT",
    "POLYGON",
    "REGION",
];

/// `adql_syntax::AdqlVersion` in the cache's JSON: `"2.0"` or `"2.1"`.
mod version_serde {
    use adql_syntax::AdqlVersion;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &AdqlVersion, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match v {
            AdqlVersion::V2_0 => "2.0",
            AdqlVersion::V2_1 => "2.1",
        })
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AdqlVersion, D::Error> {
        match String::deserialize(d)?.as_str() {
            "2.0" => Ok(AdqlVersion::V2_0),
            "2.1" => Ok(AdqlVersion::V2_1),
            other => Err(serde::de::Error::custom(format!(
                "unknown ADQL version `{other}`: expected \"2.0\" or \"2.1\""
            ))),
        }
    }
}

/// One TAPRegExt language feature: its type IVOID (stored lower-case) and form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LanguageFeature {
    /// Feature type IVOID, e.g. `ivo://ivoa.net/std/tapregext#features-adqlgeo`.
    #[serde(rename = "type")]
    pub feature_type: String,
    /// Form, e.g. `CONTAINS` or `gavo_specconv(flux REAL) -> REAL`.
    pub form: String,
}

impl LanguageFeature {
    /// A feature; the type IVOID is compared case-insensitively, so it is stored lower-case, and
    /// the 2018–2021 drafts' spelling `#features-adql-geo` is folded into `#features-adqlgeo`.
    pub fn new(feature_type: &str, form: &str) -> Self {
        let mut feature_type = feature_type.trim().to_ascii_lowercase();
        if feature_type.ends_with("#features-adql-geo") {
            feature_type = FEATURE_GEOMETRY.to_string();
        }
        Self {
            feature_type,
            form: form.trim().to_string(),
        }
    }
}

/// What one TAP service can evaluate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCapabilities {
    /// Highest ADQL version the service declares.
    #[serde(with = "version_serde")]
    pub adql_version: AdqlVersion,
    /// Declared optional language features.
    pub features: BTreeSet<LanguageFeature>,
    /// Does the service accept `UPLOAD` (TAP_UPLOAD tables)?
    pub upload: bool,
    /// Default output limit (rows), if declared.
    pub default_maxrec: Option<u64>,
    /// Hard output limit (rows), if declared.
    pub hard_maxrec: Option<u64>,
    /// The most rows an uploaded table may have, if the service declares its upload limit in rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_limit_rows: Option<u64>,
    /// The most bytes an upload may have, if the service declares its upload limit in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_limit_bytes: Option<u64>,
}

impl ServiceCapabilities {
    /// A service declaring `version` and the given (type IVOID, form) pairs.
    pub fn from_tapregext<'a>(
        version: AdqlVersion,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        Self {
            adql_version: version,
            features: pairs
                .into_iter()
                .map(|(t, f)| LanguageFeature::new(t, f))
                .collect(),
            upload: false,
            default_maxrec: None,
            hard_maxrec: None,
            upload_limit_rows: None,
            upload_limit_bytes: None,
        }
    }

    /// ADQL 2.0 core only: no geometry, no optional features (the most conservative record).
    pub fn adql_2_0_core() -> Self {
        Self::from_tapregext(AdqlVersion::V2_0, [])
    }

    /// ADQL 2.1 with every standard optional feature (as GAVO DaCHS declares), without UDFs.
    pub fn adql_2_1_full() -> Self {
        let mut pairs: Vec<(&str, &str)> = GEOMETRY_FUNCTIONS
            .iter()
            .map(|g| (FEATURE_GEOMETRY, *g))
            .collect();
        pairs.extend([
            (FEATURE_STRING, "LOWER"),
            (FEATURE_STRING, "UPPER"),
            (FEATURE_STRING, "ILIKE"),
            (FEATURE_SETS, "UNION"),
            (FEATURE_SETS, "EXCEPT"),
            (FEATURE_SETS, "INTERSECT"),
            (FEATURE_TYPE, "CAST"),
            (FEATURE_CONDITIONAL, "COALESCE"),
            (FEATURE_UNIT, "IN_UNIT"),
            (FEATURE_OFFSET, "OFFSET"),
            (FEATURE_COMMON_TABLE, "WITH"),
        ]);
        let mut caps = Self::from_tapregext(AdqlVersion::V2_1, pairs);
        caps.upload = true;
        caps
    }

    /// Adds a feature (builder style).
    pub fn with_feature(mut self, feature_type: &str, form: &str) -> Self {
        self.features
            .insert(LanguageFeature::new(feature_type, form));
        self
    }

    /// Does the service declare `form` (case-insensitive) under `feature_type`?
    pub fn supports(&self, feature_type: &str, form: &str) -> bool {
        let feature_type = feature_type.to_ascii_lowercase();
        self.features
            .iter()
            .any(|f| f.feature_type == feature_type && f.form.eq_ignore_ascii_case(form))
    }

    /// Does the service evaluate the ADQL geometry function `name` (any case)?
    pub fn supports_geometry(&self, name: &str) -> bool {
        self.supports(FEATURE_GEOMETRY, name)
    }

    /// The name of the user-defined function `name` as the service declares it, if it does.
    ///
    /// A UDF form is a signature such as `gavo_specconv(flux REAL) -> REAL`; the name is the text
    /// before `(`, compared case-insensitively.
    pub fn udf(&self, name: &str) -> Option<&str> {
        self.features
            .iter()
            .filter(|f| f.feature_type == FEATURE_UDF)
            .map(|f| f.form.split('(').next().unwrap_or_default().trim())
            .find(|declared| declared.eq_ignore_ascii_case(name))
    }

    /// Is `OFFSET` available?
    pub fn supports_offset(&self) -> bool {
        self.supports(FEATURE_OFFSET, "OFFSET")
    }

    /// Is `CAST` available?
    pub fn supports_cast(&self) -> bool {
        self.supports(FEATURE_TYPE, "CAST")
    }

    /// Are the bitwise operators available?
    pub fn supports_bitwise(&self) -> bool {
        self.features
            .iter()
            .any(|f| f.feature_type == FEATURE_BITWISE)
    }

    /// The options under which `adql_syntax` accepts exactly what this service does: its ADQL
    /// version, declared features, declared UDFs and (when declared) the bitwise operators.
    pub fn parse_options(&self) -> adql_syntax::ParseOptions {
        let pairs: Vec<(&str, &str)> = self
            .features
            .iter()
            .map(|f| (f.feature_type.as_str(), f.form.as_str()))
            .collect();
        let udfs = adql_syntax::UdfPolicy::from_tapregext(pairs.iter().copied())
            .unwrap_or(adql_syntax::UdfPolicy::Any);
        let mut options = adql_syntax::ParseOptions {
            version: self.adql_version,
            features: adql_syntax::FeatureSet::from_tapregext(pairs.iter().copied()),
            udfs,
            ..adql_syntax::ParseOptions::default()
        };
        options.extensions.bitwise_operators = self.supports_bitwise();
        options
    }

    /// Does the service accept ADQL 2.1 forms (expressions in ORDER BY and GROUP BY)?
    pub fn is_adql_2_1(&self) -> bool {
        self.adql_version >= AdqlVersion::V2_1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_compare_case_insensitively() {
        let caps = ServiceCapabilities::from_tapregext(
            AdqlVersion::V2_1,
            [
                ("ivo://ivoa.net/std/TAPRegExt#features-adql-geo", "CONTAINS"),
                (
                    "ivo://ivoa.net/std/TAPRegExt#features-udf",
                    "gavo_specconv(flux REAL) -> REAL",
                ),
                (
                    "ivo://ivoa.net/std/TAPRegExt#features-adql-offset",
                    "OFFSET",
                ),
            ],
        );
        assert!(caps.supports_geometry("contains"));
        assert!(!caps.supports_geometry("INTERSECTS"));
        assert_eq!(caps.udf("GAVO_SPECCONV"), Some("gavo_specconv"));
        assert_eq!(caps.udf("gavo_other"), None);
        assert!(caps.supports_offset());
        assert!(!caps.supports_cast());
    }

    #[test]
    fn capabilities_round_trip_through_json() {
        let caps = ServiceCapabilities::adql_2_1_full();
        let json = serde_json::to_string(&caps).unwrap_or_default();
        let back: ServiceCapabilities =
            serde_json::from_str(&json).unwrap_or_else(|_| ServiceCapabilities::adql_2_0_core());
        assert_eq!(back, caps);
    }
}
