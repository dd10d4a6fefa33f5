//! The flags shared by every subcommand that parses ADQL, and their translation into [`ParseOptions`].
//!
//! Together they describe the service a query is meant for: its ADQL version, the optional features and
//! user-defined functions it declares (TAPRegExt `languageFeatures`), and the non-standard extensions it has.

use std::fmt;
use std::str::FromStr;

use clap::builder::TypedValueParser as _;

use adql_syntax::{
    AdqlVersion, Extensions, Feature, FeatureSet, ParseOptions, UdfPolicy, UdfSignature, ast,
};

use crate::error::SyntaxError;
use crate::input::Input;
use crate::{Error, Result};

/// Flags describing what the target service accepts.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SyntaxArgs {
    /// ADQL version to check against.
    #[arg(long = "adql-version", value_name = "VERSION", default_value = "2.1",
          value_parser = clap::builder::PossibleValuesParser::new(["2.0", "2.1"])
              .try_map(|v| v.parse::<AdqlVersion>()))]
    pub(crate) adql_version: AdqlVersion,

    /// Declare a user-defined function, in the TAPRegExt form `name(arg TYPE, ...) -> TYPE` (repeatable).
    ///
    /// Without any --udf, every function name that is not an ADQL function is accepted as a UDF (as DaCHS
    /// does); once one is given, only the declared functions are, with their number of arguments checked.
    #[arg(long = "udf", value_name = "FORM")]
    pub(crate) udfs: Vec<UdfSignature>,

    /// Disable an optional feature (repeatable): a TAPRegExt form such as UNION, OFFSET, WITH, CAST, ILIKE,
    /// CONTAINS, or a whole feature type such as features-adql-sets or features-adqlgeo.
    #[arg(long = "no-feature", value_name = "NAME")]
    pub(crate) disabled: Vec<FeatureSelector>,

    /// Enable non-standard syntax: `hex` (0x2F literals), `bitwise` (& | ^ ~), comma-separated.
    #[arg(long, value_name = "EXT", value_delimiter = ',')]
    pub(crate) extensions: Vec<Extension>,
}

impl Default for SyntaxArgs {
    /// ADQL 2.1 with every optional feature, any UDF, no extension: what the flags give when none is set.
    fn default() -> Self {
        Self {
            adql_version: AdqlVersion::V2_1,
            udfs: Vec::new(),
            disabled: Vec::new(),
            extensions: Vec::new(),
        }
    }
}

impl SyntaxArgs {
    /// The parser options these flags describe.
    pub(crate) fn parse_options(&self) -> ParseOptions {
        let mut features = FeatureSet::all();
        for feature in self.disabled.iter().flat_map(|selector| &selector.0) {
            features.disable(*feature);
        }
        let udfs = if self.udfs.is_empty() {
            UdfPolicy::Any
        } else {
            UdfPolicy::Declared(self.udfs.clone())
        };
        let mut extensions = Extensions::default();
        for extension in &self.extensions {
            match extension {
                Extension::Hex => extensions.hex_literals = true,
                Extension::Bitwise => extensions.bitwise_operators = true,
            }
        }
        ParseOptions {
            version: self.adql_version,
            features,
            udfs,
            extensions,
            ..ParseOptions::default()
        }
    }
}

/// Parses `input`, keeping its text and origin in the error so the diagnostic can show where.
pub(crate) fn parse_query(input: Input, options: &ParseOptions) -> Result<ast::Query> {
    adql_syntax::parse_with(&input.text, options).map_err(|error| {
        Error::Syntax(Box::new(SyntaxError {
            origin: input.origin,
            text: input.text,
            error,
        }))
    })
}

/// A non-standard extension of the syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Extension {
    /// Hexadecimal integer literals (`0x2F`).
    Hex,
    /// The bitwise operators `&`, `|`, `^` and `~`.
    Bitwise,
}

/// A `--no-feature` value: one optional feature by its TAPRegExt form, or every feature of a feature type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FeatureSelector(Vec<Feature>);

/// The error for a `--no-feature` value that names no feature.
#[derive(Debug)]
pub(crate) struct UnknownFeature(String);

impl fmt::Display for UnknownFeature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown feature `{}`; expected one of ", self.0)?;
        for (i, feature) in Feature::ALL
            .iter()
            .filter(|f| **f != Feature::UserDefinedFunctions)
            .enumerate()
        {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(feature.form())?;
        }
        f.write_str(", UDF, or a feature type such as features-adql-sets")
    }
}

impl std::error::Error for UnknownFeature {}

impl FromStr for FeatureSelector {
    type Err = UnknownFeature;

    fn from_str(name: &str) -> Result<Self, UnknownFeature> {
        let name = name.trim();
        // The form of user-defined functions is a signature, so it gets a short name of its own.
        if name.eq_ignore_ascii_case("UDF") {
            return Ok(Self(vec![Feature::UserDefinedFunctions]));
        }
        if let Some(feature) = Feature::ALL
            .iter()
            .find(|f| f.form().eq_ignore_ascii_case(name))
        {
            return Ok(Self(vec![*feature]));
        }
        // A feature type, by its IVOID or the fragment after `#`.
        let fragment = name.rsplit_once('#').map_or(name, |(_, fragment)| fragment);
        let group: Vec<Feature> = Feature::ALL
            .iter()
            .copied()
            .filter(|f| {
                f.type_ivoid()
                    .rsplit_once('#')
                    .is_some_and(|(_, t)| t.eq_ignore_ascii_case(fragment))
            })
            .collect();
        if group.is_empty() {
            Err(UnknownFeature(name.to_owned()))
        } else {
            Ok(Self(group))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Harness {
        #[command(flatten)]
        syntax: SyntaxArgs,
    }

    fn options(args: &[&str]) -> ParseOptions {
        Harness::try_parse_from([&["adql"], args].concat())
            .unwrap()
            .syntax
            .parse_options()
    }

    #[test]
    fn defaults_are_the_parser_defaults() {
        assert_eq!(options(&[]), ParseOptions::default());
    }

    #[test]
    fn version_and_extensions() {
        let o = options(&["--adql-version", "2.0", "--extensions", "hex,bitwise"]);
        assert_eq!(o.version, AdqlVersion::V2_0);
        assert_eq!(
            o.extensions,
            Extensions {
                hex_literals: true,
                bitwise_operators: true
            }
        );
        assert!(
            options(&["--extensions", "bitwise"])
                .extensions
                .bitwise_operators
        );
        assert!(
            !options(&["--extensions", "bitwise"])
                .extensions
                .hex_literals
        );
        assert!(Harness::try_parse_from(["adql", "--adql-version", "adql-2.1"]).is_err());
    }

    #[test]
    fn udf_declarations_switch_to_declared_only() {
        let o = options(&[
            "--udf",
            "ivo_f(a INTEGER) -> INTEGER",
            "--udf",
            "g() -> REAL",
        ]);
        let UdfPolicy::Declared(sigs) = o.udfs else {
            panic!("{:?}", o.udfs)
        };
        assert_eq!(
            sigs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["ivo_f", "g"]
        );
        let err = Harness::try_parse_from(["adql", "--udf", "ivo_f(a) -> INTEGER"]).unwrap_err();
        assert!(err.to_string().contains("--udf"), "{err}");
    }

    #[test]
    fn features_by_form_type_or_udf() {
        let o = options(&["--no-feature", "union", "--no-feature", "OFFSET"]);
        assert!(!o.features.contains(Feature::Union));
        assert!(!o.features.contains(Feature::Offset));
        assert!(o.features.contains(Feature::Except));
        let o = options(&["--no-feature", "features-adql-sets"]);
        for f in [Feature::Union, Feature::Except, Feature::Intersect] {
            assert!(!o.features.contains(f), "{f}");
        }
        assert!(o.features.contains(Feature::With));
        let o = options(&[
            "--no-feature",
            "ivo://ivoa.net/std/TAPRegExt#features-adqlgeo",
        ]);
        assert!(!o.features.contains(Feature::Contains));
        assert!(!o.features.contains(Feature::Point));
        assert!(
            !options(&["--no-feature", "udf"])
                .features
                .contains(Feature::UserDefinedFunctions)
        );
        let err = Harness::try_parse_from(["adql", "--no-feature", "TELEPORT"]).unwrap_err();
        assert!(err.to_string().contains("UNION"), "{err}");
    }
}
