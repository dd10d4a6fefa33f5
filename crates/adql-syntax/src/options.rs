//! What the parser accepts: language version, optional features, user-defined functions, extensions.

use std::fmt;
use std::str::FromStr;

use crate::ast::{AdqlType, is_regular_identifier};

/// The ADQL version to parse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AdqlVersion {
    /// ADQL 2.0 (2008, with its errata).
    V2_0,
    /// ADQL 2.1 (2023 REC).
    #[default]
    V2_1,
}

impl AdqlVersion {
    /// The IVOID of the language version (`ivo://ivoa.net/std/ADQL#v2.1`).
    pub fn ivoid(&self) -> &'static str {
        match self {
            AdqlVersion::V2_0 => "ivo://ivoa.net/std/ADQL#v2.0",
            AdqlVersion::V2_1 => "ivo://ivoa.net/std/ADQL#v2.1",
        }
    }
}

impl fmt::Display for AdqlVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AdqlVersion::V2_0 => "2.0",
            AdqlVersion::V2_1 => "2.1",
        })
    }
}

/// Error for an unknown ADQL version string.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown ADQL version `{0}` (expected 2.0 or 2.1)")]
pub struct UnknownVersion(pub String);

impl FromStr for AdqlVersion {
    type Err = UnknownVersion;

    /// Accepts `2.0`, `2.1`, and the forms `v2.1`, `adql-2.1` and `ivo://ivoa.net/std/ADQL#v2.1`.
    fn from_str(s: &str) -> Result<AdqlVersion, UnknownVersion> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        let tail = lower
            .strip_prefix("ivo://ivoa.net/std/adql#")
            .or_else(|| lower.strip_prefix("adql-"))
            .unwrap_or(&lower);
        match tail.strip_prefix('v').unwrap_or(tail) {
            "2.0" => Ok(AdqlVersion::V2_0),
            "2.1" => Ok(AdqlVersion::V2_1),
            _ => Err(UnknownVersion(t.to_owned())),
        }
    }
}

macro_rules! features {
    ($($variant:ident => $type:ident, $form:literal;)*) => {
        /// One optional language feature of ADQL 2.1, as declared in TAPRegExt `languageFeatures`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Feature {
            $(#[doc = concat!("`", $form, "`")] $variant,)*
        }

        impl Feature {
            /// Every optional feature.
            pub const ALL: &'static [Feature] = &[$(Feature::$variant,)*];

            /// The TAPRegExt `form` of the feature (`UNION`, `CONTAINS`, ...).
            pub fn form(&self) -> &'static str {
                match self {
                    $(Feature::$variant => $form,)*
                }
            }

            /// The TAPRegExt feature type IVOID the feature belongs to, as the REC spells it.
            pub fn type_ivoid(&self) -> &'static str {
                match self {
                    $(Feature::$variant => $type,)*
                }
            }
        }
    };
}

const GEO: &str = "ivo://ivoa.net/std/tapregext#features-adqlgeo";
const STRING: &str = "ivo://ivoa.net/std/tapregext#features-adql-string";
const CTE: &str = "ivo://ivoa.net/std/tapregext#features-adql-common-table";
const SETS: &str = "ivo://ivoa.net/std/tapregext#features-adql-sets";
const TYPE: &str = "ivo://ivoa.net/std/tapregext#features-adql-type";
const CONDITIONAL: &str = "ivo://ivoa.net/std/tapregext#features-adql-conditional";
const UNIT: &str = "ivo://ivoa.net/std/tapregext#features-adql-unit";
const OFFSET: &str = "ivo://ivoa.net/std/tapregext#features-adql-offset";
const UDF: &str = "ivo://ivoa.net/std/tapregext#features-udf";

features! {
    Area => GEO, "AREA";
    Box => GEO, "BOX";
    Centroid => GEO, "CENTROID";
    Circle => GEO, "CIRCLE";
    Contains => GEO, "CONTAINS";
    Coord1 => GEO, "COORD1";
    Coord2 => GEO, "COORD2";
    Coordsys => GEO, "COORDSYS";
    Distance => GEO, "DISTANCE";
    Intersects => GEO, "INTERSECTS";
    Point => GEO, "POINT";
    Polygon => GEO, "POLYGON";
    Region => GEO, "REGION";
    Lower => STRING, "LOWER";
    Upper => STRING, "UPPER";
    Ilike => STRING, "ILIKE";
    With => CTE, "WITH";
    Union => SETS, "UNION";
    Except => SETS, "EXCEPT";
    Intersect => SETS, "INTERSECT";
    Cast => TYPE, "CAST";
    Coalesce => CONDITIONAL, "COALESCE";
    InUnit => UNIT, "IN_UNIT";
    Offset => OFFSET, "OFFSET";
    UserDefinedFunctions => UDF, "user-defined functions";
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.form())
    }
}

/// A set of optional features the parser accepts; everything else in the standard is core and always on.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeatureSet {
    bits: u32,
}

impl FeatureSet {
    /// Every optional feature (the default).
    pub fn all() -> FeatureSet {
        Feature::ALL
            .iter()
            .fold(FeatureSet::none(), |s, f| s.with(*f))
    }

    /// Core ADQL only.
    pub const fn none() -> FeatureSet {
        FeatureSet { bits: 0 }
    }

    const fn bit(feature: Feature) -> u32 {
        1 << feature as u32
    }

    /// Turns `feature` on.
    pub fn enable(&mut self, feature: Feature) {
        self.bits |= Self::bit(feature);
    }

    /// Turns `feature` off.
    pub fn disable(&mut self, feature: Feature) {
        self.bits &= !Self::bit(feature);
    }

    /// This set with `feature` on.
    pub fn with(mut self, feature: Feature) -> FeatureSet {
        self.enable(feature);
        self
    }

    /// This set with `feature` off.
    pub fn without(mut self, feature: Feature) -> FeatureSet {
        self.disable(feature);
        self
    }

    /// Whether `feature` is on.
    pub fn contains(&self, feature: Feature) -> bool {
        self.bits & Self::bit(feature) != 0
    }

    /// The features that are on.
    pub fn iter(&self) -> impl Iterator<Item = Feature> + '_ {
        Feature::ALL.iter().copied().filter(|f| self.contains(*f))
    }

    /// The features declared by a TAPRegExt `languageFeatures` list of `(type IVOID, form)` pairs, e.g. from
    /// a VOSI capabilities document.
    ///
    /// Type IVOIDs compare case-insensitively; the 2018 draft spelling `features-adql-geo` is accepted for
    /// geometry. Any `features-udf` entry enables user-defined functions (their signatures go to
    /// [`UdfPolicy::Declared`] via [`UdfSignature::from_str`]). Unknown entries are ignored.
    pub fn from_tapregext<T: AsRef<str>, F: AsRef<str>>(
        features: impl IntoIterator<Item = (T, F)>,
    ) -> FeatureSet {
        let mut set = FeatureSet::none();
        for (ty, form) in features {
            let ty = ty.as_ref().trim();
            let form = form.as_ref().trim();
            let ty = if ty.eq_ignore_ascii_case("ivo://ivoa.net/std/tapregext#features-adql-geo") {
                GEO
            } else {
                ty
            };
            if ty.eq_ignore_ascii_case(UDF) {
                set.enable(Feature::UserDefinedFunctions);
                continue;
            }
            for f in Feature::ALL {
                if f.type_ivoid().eq_ignore_ascii_case(ty) && f.form().eq_ignore_ascii_case(form) {
                    set.enable(*f);
                }
            }
        }
        set
    }
}

impl Default for FeatureSet {
    fn default() -> FeatureSet {
        FeatureSet::all()
    }
}

impl fmt::Debug for FeatureSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Which user-defined functions a query may call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum UdfPolicy {
    /// Any function with a regular-identifier name (what DaCHS does).
    #[default]
    Any,
    /// Only these, with their arity checked.
    Declared(Vec<UdfSignature>),
}

impl UdfPolicy {
    /// The functions declared by a TAPRegExt `languageFeatures` list of `(type IVOID, form)` pairs: every
    /// `features-udf` form, parsed. Other entries are ignored.
    pub fn from_tapregext<T: AsRef<str>, F: AsRef<str>>(
        features: impl IntoIterator<Item = (T, F)>,
    ) -> Result<UdfPolicy, InvalidSignature> {
        let mut sigs = Vec::new();
        for (ty, form) in features {
            if ty.as_ref().trim().eq_ignore_ascii_case(UDF) {
                sigs.push(form.as_ref().parse()?);
            }
        }
        Ok(UdfPolicy::Declared(sigs))
    }

    /// The declaration of `name` (case-insensitive), if declared.
    pub fn find(&self, name: &str) -> Option<&UdfSignature> {
        match self {
            UdfPolicy::Any => None,
            UdfPolicy::Declared(sigs) => sigs.iter().find(|s| s.name.eq_ignore_ascii_case(name)),
        }
    }
}

/// A user-defined function declaration in the TAPRegExt form `name(arg TYPE, ...) -> TYPE`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UdfSignature {
    /// The function name.
    pub name: String,
    /// Parameter names and types.
    pub params: Vec<(String, AdqlType)>,
    /// The result type.
    pub returns: AdqlType,
}

/// Error for a malformed UDF declaration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid function declaration `{form}`: {reason}")]
pub struct InvalidSignature {
    /// The declaration.
    pub form: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for UdfSignature {
    type Err = InvalidSignature;

    /// Parses `ivo_healpix_index(hpxOrder INTEGER, long REAL, lat REAL) -> BIGINT`.
    fn from_str(s: &str) -> Result<UdfSignature, InvalidSignature> {
        let err = |reason: &str| InvalidSignature {
            form: s.trim().to_owned(),
            reason: reason.to_owned(),
        };
        let text = s.trim();
        let open = text.find('(').ok_or_else(|| err("missing `(`"))?;
        let arrow = text.rfind("->").ok_or_else(|| err("missing `-> TYPE`"))?;
        let close = text
            .get(..arrow)
            .and_then(|h| h.rfind(')'))
            .ok_or_else(|| err("missing `)`"))?;
        let name = text.get(..open).unwrap_or_default().trim();
        if !is_regular_identifier(name) {
            return Err(err("the name must be a regular identifier"));
        }
        let params_text = text
            .get(open + 1..close)
            .ok_or_else(|| err("misplaced `)`"))?;
        let mut params = Vec::new();
        for param in split_params(params_text) {
            let param = param.trim();
            if param.is_empty() {
                if params_text.trim().is_empty() {
                    break;
                }
                return Err(err("empty parameter"));
            }
            let (pname, ty) = param
                .split_once(|c: char| c.is_ascii_whitespace())
                .ok_or_else(|| err("parameter without type"))?;
            let ty: AdqlType = ty
                .parse()
                .map_err(|e: crate::ast::UnknownType| err(&e.to_string()))?;
            params.push((pname.to_owned(), ty));
        }
        let returns = text.get(arrow + 2..).unwrap_or_default();
        let returns: AdqlType = returns
            .parse()
            .map_err(|e: crate::ast::UnknownType| err(&e.to_string()))?;
        Ok(UdfSignature {
            name: name.to_owned(),
            params,
            returns,
        })
    }
}

/// Splits on commas outside parentheses (`CHAR(3)` keeps its own).
fn split_params(text: &str) -> impl Iterator<Item = &str> {
    let mut depth = 0usize;
    let mut start = 0usize;
    let mut parts = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(text.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text.get(start..).unwrap_or_default());
    parts.into_iter()
}

impl fmt::Display for UdfSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        for (i, (name, ty)) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name} {ty}")?;
        }
        write!(f, ") -> {}", self.returns)
    }
}

/// Non-standard syntax, off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Extensions {
    /// Hexadecimal integer literals: `0x2F`.
    pub hex_literals: bool,
    /// Bitwise operators `&`, `|`, `^` and `~`.
    pub bitwise_operators: bool,
}

/// Everything that decides what [`crate::parse_with`] accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// Language version.
    pub version: AdqlVersion,
    /// Optional features (ADQL 2.1).
    pub features: FeatureSet,
    /// Allowed user-defined functions.
    pub udfs: UdfPolicy,
    /// Non-standard extensions.
    pub extensions: Extensions,
    /// Maximum nesting of parentheses, subqueries, function calls, unary operators and operator chains
    /// (the depth of the tree). Independently of it, the parser stops with the same error before using
    /// 1 MiB of stack, so that no input can overflow a 2 MiB thread.
    pub max_depth: usize,
}

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions {
            version: AdqlVersion::V2_1,
            features: FeatureSet::all(),
            udfs: UdfPolicy::Any,
            extensions: Extensions::default(),
            max_depth: 200,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::ast::TypeLength;

    #[test]
    fn versions_parse() {
        assert_eq!("2.0".parse(), Ok(AdqlVersion::V2_0));
        assert_eq!("adql-2.1".parse(), Ok(AdqlVersion::V2_1));
        assert_eq!(
            "ivo://ivoa.net/std/ADQL#v2.1".parse(),
            Ok(AdqlVersion::V2_1)
        );
        assert!("3.0".parse::<AdqlVersion>().is_err());
    }

    #[test]
    fn feature_sets() {
        let mut s = FeatureSet::all();
        assert!(s.contains(Feature::Union));
        s.disable(Feature::Union);
        assert!(!s.contains(Feature::Union));
        assert!(s.contains(Feature::Except));
        assert_eq!(FeatureSet::none().iter().count(), 0);
        assert_eq!(FeatureSet::all().iter().count(), Feature::ALL.len());
    }

    #[test]
    fn features_from_tapregext() {
        let s = FeatureSet::from_tapregext([
            ("ivo://ivoa.net/std/TAPRegExt#features-adqlgeo", "CONTAINS"),
            ("ivo://ivoa.net/std/TAPRegExt#features-adql-geo", "POINT"),
            ("ivo://ivoa.net/std/tapregext#features-adql-sets", "union"),
            (
                "ivo://ivoa.net/std/TAPRegExt#features-udf",
                "ivo_x(a INTEGER) -> INTEGER",
            ),
            ("ivo://example/unknown", "FOO"),
        ]);
        assert!(s.contains(Feature::Contains));
        assert!(s.contains(Feature::Point));
        assert!(s.contains(Feature::Union));
        assert!(s.contains(Feature::UserDefinedFunctions));
        assert!(!s.contains(Feature::Except));
        assert!(!s.contains(Feature::Circle));
    }

    #[test]
    fn udf_policy_from_tapregext() {
        let policy = UdfPolicy::from_tapregext([(
            "ivo://ivoa.net/std/TAPRegExt#features-udf",
            "ivo_hasword(haystack TEXT, needle TEXT) -> INTEGER",
        )]);
        assert!(policy.is_err(), "TEXT is not an ADQL type");
        let policy = UdfPolicy::from_tapregext([
            (
                "ivo://ivoa.net/std/TAPRegExt#features-udf",
                "ivo_hasword(haystack VARCHAR(*), needle VARCHAR(*)) -> INTEGER",
            ),
            ("ivo://ivoa.net/std/tapregext#features-adqlgeo", "POINT"),
        ])
        .unwrap();
        assert_eq!(policy.find("IVO_HASWORD").map(|s| s.params.len()), Some(2));
        assert!(policy.find("point").is_none());
    }

    #[test]
    fn udf_signatures() {
        let s: UdfSignature = "ivo_healpix_index(hpxOrder INTEGER, long REAL, lat REAL) -> BIGINT"
            .parse()
            .unwrap();
        assert_eq!(s.name, "ivo_healpix_index");
        assert_eq!(s.params.len(), 3);
        assert_eq!(s.params[1], ("long".to_owned(), AdqlType::Real));
        assert_eq!(s.returns, AdqlType::Bigint);
        let s: UdfSignature = "f(a CHAR(3), b VARCHAR(*), c POINT) -> DOUBLE PRECISION"
            .parse()
            .unwrap();
        assert_eq!(s.params[0].1, AdqlType::Char(Some(TypeLength::Fixed(3))));
        assert_eq!(
            s.params[1].1,
            AdqlType::Varchar(Some(TypeLength::Unbounded))
        );
        assert_eq!(s.returns, AdqlType::DoublePrecision);
        assert_eq!(
            s.to_string(),
            "f(a CHAR(3), b VARCHAR(*), c POINT) -> DOUBLE PRECISION"
        );
        let s: UdfSignature = "ivo_now() -> TIMESTAMP".parse().unwrap();
        assert!(s.params.is_empty());
        assert!("_f(a INTEGER) -> INTEGER".parse::<UdfSignature>().is_err());
        assert!("f(a) -> INTEGER".parse::<UdfSignature>().is_err());
        assert!("f(a INTEGER)".parse::<UdfSignature>().is_err());
        assert!("f(a WIDGET) -> INTEGER".parse::<UdfSignature>().is_err());
    }
}
