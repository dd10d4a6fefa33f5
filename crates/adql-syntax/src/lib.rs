//! ADQL 2.0/2.1 syntax: the syntax tree with byte spans, the nom parser, the canonical printer and
//! diagnostics.
//!
//! ```
//! let query = adql_syntax::parse("SELECT TOP 10 ra, dec FROM gaia.source WHERE 1 = CONTAINS(POINT(ra, dec), \
//!                                 CIRCLE(10, 20, 0.5))").unwrap();
//! assert_eq!(
//!     query.to_string(),
//!     "SELECT TOP 10 ra, dec FROM gaia.source WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(10, 20, 0.5))"
//! );
//! ```
//!
//! What is accepted is set by [`ParseOptions`]: the language version, the optional features a service
//! declares ([`FeatureSet`], built from TAPRegExt with [`FeatureSet::from_tapregext`]), the user-defined
//! functions ([`UdfPolicy`]), non-standard [`Extensions`] and a nesting limit.

pub mod ast;
mod error;
mod keywords;
mod options;
pub(crate) mod parser;
mod print;
mod statement;

pub use error::{ParseError, line_column};
pub use keywords::{ADQL_RESERVED_WORDS_2_1, RESERVED_WORDS_2_1, SQL_RESERVED_WORDS, is_reserved};
pub use options::{
    AdqlVersion, Extensions, Feature, FeatureSet, InvalidSignature, ParseOptions, UdfPolicy,
    UdfSignature, UnknownVersion,
};
pub use statement::statement_end;

/// Parses an ADQL 2.1 query with every optional feature, any user-defined function and no extensions.
pub fn parse(text: &str) -> Result<ast::Query, ParseError> {
    parse_with(text, &ParseOptions::default())
}

/// Parses a query with the given options.
pub fn parse_with(text: &str, options: &ParseOptions) -> Result<ast::Query, ParseError> {
    parser::parse_query(text, options)
}
