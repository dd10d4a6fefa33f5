//! The ADQL type system (section 3 of the standard), as used by CAST targets and UDF signatures.

use std::fmt;
use std::str::FromStr;

/// The length of a character or binary type: `CHAR(10)` or `VARCHAR(*)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TypeLength {
    /// A fixed number.
    Fixed(u64),
    /// `*`: unbounded.
    Unbounded,
}

/// An ADQL data type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AdqlType {
    /// `BIT`.
    Bit,
    /// `SMALLINT`.
    Smallint,
    /// `INTEGER`.
    Integer,
    /// `BIGINT`.
    Bigint,
    /// `REAL`.
    Real,
    /// `DOUBLE PRECISION` (also `DOUBLE` in UDF declarations).
    DoublePrecision,
    /// `CHAR[(n)]`.
    Char(Option<TypeLength>),
    /// `VARCHAR[(n)]`.
    Varchar(Option<TypeLength>),
    /// `BINARY[(n)]`.
    Binary(Option<TypeLength>),
    /// `VARBINARY[(n)]`.
    Varbinary(Option<TypeLength>),
    /// `CLOB`.
    Clob,
    /// `BLOB`.
    Blob,
    /// `TIMESTAMP`.
    Timestamp,
    /// `INTERVAL`.
    Interval,
    /// `POINT`.
    Point,
    /// `CIRCLE`.
    Circle,
    /// `POLYGON`.
    Polygon,
    /// `REGION`.
    Region,
}

impl AdqlType {
    /// Whether ADQL 2.1 allows this type as the target of `CAST`.
    pub fn is_cast_target(&self) -> bool {
        matches!(
            self,
            AdqlType::Smallint
                | AdqlType::Integer
                | AdqlType::Bigint
                | AdqlType::Real
                | AdqlType::DoublePrecision
                | AdqlType::Char(_)
                | AdqlType::Varchar(_)
                | AdqlType::Timestamp
                | AdqlType::Point
                | AdqlType::Circle
                | AdqlType::Polygon
        ) && !matches!(
            self,
            AdqlType::Char(Some(TypeLength::Unbounded))
                | AdqlType::Varchar(Some(TypeLength::Unbounded))
        )
    }

    /// Whether the type is one of the geometry types.
    pub fn is_geometry(&self) -> bool {
        matches!(
            self,
            AdqlType::Point | AdqlType::Circle | AdqlType::Polygon | AdqlType::Region
        )
    }

    /// The type named by `word` (any case) when it takes no length; `None` otherwise.
    pub(crate) fn simple_from_keyword(word: &str) -> Option<AdqlType> {
        const SIMPLE: [(&str, AdqlType); 13] = [
            ("BIT", AdqlType::Bit),
            ("SMALLINT", AdqlType::Smallint),
            ("INTEGER", AdqlType::Integer),
            ("BIGINT", AdqlType::Bigint),
            ("REAL", AdqlType::Real),
            ("CLOB", AdqlType::Clob),
            ("BLOB", AdqlType::Blob),
            ("TIMESTAMP", AdqlType::Timestamp),
            ("INTERVAL", AdqlType::Interval),
            ("POINT", AdqlType::Point),
            ("CIRCLE", AdqlType::Circle),
            ("POLYGON", AdqlType::Polygon),
            ("REGION", AdqlType::Region),
        ];
        SIMPLE
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(word))
            .map(|(_, t)| *t)
    }
}

impl fmt::Display for TypeLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeLength::Fixed(n) => write!(f, "{n}"),
            TypeLength::Unbounded => f.write_str("*"),
        }
    }
}

impl fmt::Display for AdqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_len = |f: &mut fmt::Formatter<'_>, name: &str, len: &Option<TypeLength>| match len
        {
            Some(n) => write!(f, "{name}({n})"),
            None => f.write_str(name),
        };
        match self {
            AdqlType::Bit => f.write_str("BIT"),
            AdqlType::Smallint => f.write_str("SMALLINT"),
            AdqlType::Integer => f.write_str("INTEGER"),
            AdqlType::Bigint => f.write_str("BIGINT"),
            AdqlType::Real => f.write_str("REAL"),
            AdqlType::DoublePrecision => f.write_str("DOUBLE PRECISION"),
            AdqlType::Char(n) => with_len(f, "CHAR", n),
            AdqlType::Varchar(n) => with_len(f, "VARCHAR", n),
            AdqlType::Binary(n) => with_len(f, "BINARY", n),
            AdqlType::Varbinary(n) => with_len(f, "VARBINARY", n),
            AdqlType::Clob => f.write_str("CLOB"),
            AdqlType::Blob => f.write_str("BLOB"),
            AdqlType::Timestamp => f.write_str("TIMESTAMP"),
            AdqlType::Interval => f.write_str("INTERVAL"),
            AdqlType::Point => f.write_str("POINT"),
            AdqlType::Circle => f.write_str("CIRCLE"),
            AdqlType::Polygon => f.write_str("POLYGON"),
            AdqlType::Region => f.write_str("REGION"),
        }
    }
}

/// Error returned when a type name cannot be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an ADQL type: `{0}`")]
pub struct UnknownType(pub String);

impl FromStr for AdqlType {
    type Err = UnknownType;

    /// Parses `INTEGER`, `DOUBLE PRECISION`, `DOUBLE`, `CHAR(10)`, `VARCHAR(*)`, `POINT`, ... (any case,
    /// any spacing).
    fn from_str(s: &str) -> Result<AdqlType, UnknownType> {
        let bad = || UnknownType(s.trim().to_owned());
        let text = s.trim();
        let (name, len) = match text.find('(') {
            Some(open) => {
                let inner = text
                    .get(open + 1..)
                    .and_then(|r| r.trim_end().strip_suffix(')'))
                    .ok_or_else(bad)?
                    .trim();
                let len = if inner == "*" {
                    TypeLength::Unbounded
                } else {
                    TypeLength::Fixed(inner.parse().map_err(|_| bad())?)
                };
                (text.get(..open).ok_or_else(bad)?.trim(), Some(len))
            }
            None => (text, None),
        };
        let mut words = name.split_ascii_whitespace();
        let first = words.next().ok_or_else(bad)?;
        let second = words.next();
        if words.next().is_some() {
            return Err(bad());
        }
        let ty = match (
            first.to_ascii_uppercase().as_str(),
            second.map(str::to_ascii_uppercase),
        ) {
            ("DOUBLE", Some(p)) if p == "PRECISION" => AdqlType::DoublePrecision,
            ("DOUBLE", None) => AdqlType::DoublePrecision,
            (_, Some(_)) => return Err(bad()),
            ("CHAR" | "CHARACTER", None) => AdqlType::Char(len),
            ("VARCHAR", None) => AdqlType::Varchar(len),
            ("BINARY", None) => AdqlType::Binary(len),
            ("VARBINARY", None) => AdqlType::Varbinary(len),
            (word, None) => AdqlType::simple_from_keyword(word).ok_or_else(bad)?,
        };
        if len.is_some()
            && !matches!(
                ty,
                AdqlType::Char(_)
                    | AdqlType::Varchar(_)
                    | AdqlType::Binary(_)
                    | AdqlType::Varbinary(_)
            )
        {
            return Err(bad());
        }
        Ok(ty)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_types() {
        for (text, ty) in [
            ("INTEGER", AdqlType::Integer),
            ("double  precision", AdqlType::DoublePrecision),
            ("DOUBLE", AdqlType::DoublePrecision),
            ("CHAR(10)", AdqlType::Char(Some(TypeLength::Fixed(10)))),
            ("varchar(*)", AdqlType::Varchar(Some(TypeLength::Unbounded))),
            ("VARCHAR", AdqlType::Varchar(None)),
            ("POINT", AdqlType::Point),
            ("region", AdqlType::Region),
            ("TIMESTAMP", AdqlType::Timestamp),
        ] {
            assert_eq!(text.parse::<AdqlType>(), Ok(ty), "{text}");
        }
        assert!("INTEGER(3)".parse::<AdqlType>().is_err());
        assert!("WIDGET".parse::<AdqlType>().is_err());
        assert!("CHAR(x)".parse::<AdqlType>().is_err());
        assert_eq!(
            AdqlType::Char(Some(TypeLength::Fixed(3))).to_string(),
            "CHAR(3)"
        );
        assert_eq!(AdqlType::DoublePrecision.to_string(), "DOUBLE PRECISION");
        assert!(AdqlType::Varchar(None).is_cast_target());
        assert!(!AdqlType::Region.is_cast_target());
    }
}
