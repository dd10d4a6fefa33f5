//! VOUnit strings and the dimensional analysis behind `IN_UNIT`.
//!
//! [`Unit::parse`] reads a unit string of the kind catalogues put in their `unit` metadata — `deg`, `mas/yr`,
//! `km/s`, `m**2`, `erg/s/cm2`, `10**-3 Jy` — following the VOUnits 1.0 recommendation: SI and astronomy symbols
//! with SI prefixes, products (`.`, `*` or a space), quotients (`/`), powers (`**n`, `^n`, `**(p/q)`, or the CDS
//! suffix form `cm-2`), parentheses and numeric scale factors. A parsed unit is a factor to coherent base units
//! and a vector of exponents over the base quantities; two units convert into each other when their exponents
//! agree, and the factor is the ratio of their scales:
//!
//! ```
//! use adql_engine::units::Unit;
//!
//! let factor = Unit::parse("mas/yr")?.conversion_factor(&Unit::parse("deg/d")?)?;
//! assert!((factor - 1.0 / 3.6e6 / 365.25).abs() < 1e-18);
//! assert!(Unit::parse("mag")?.conversion_factor(&Unit::parse("Jy")?).is_err());
//! # Ok::<(), adql_engine::units::UnitError>(())
//! ```
//!
//! Angles form a dimension of their own (so `deg` converts to `rad` but not to a pure number), and magnitudes
//! are logarithmic: `mag` converts to `mmag` and nothing else.

mod parse;
mod symbols;

use std::fmt;

/// A base quantity: one axis of a unit's dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Dim {
    Length,
    Mass,
    Time,
    Current,
    Temperature,
    Amount,
    Luminous,
    Angle,
    Mag,
    Count,
    Photon,
    Pixel,
    Voxel,
    Chan,
    Adu,
    Bit,
}

impl Dim {
    const ALL: [Dim; 16] = [
        Dim::Length,
        Dim::Mass,
        Dim::Time,
        Dim::Current,
        Dim::Temperature,
        Dim::Amount,
        Dim::Luminous,
        Dim::Angle,
        Dim::Mag,
        Dim::Count,
        Dim::Photon,
        Dim::Pixel,
        Dim::Voxel,
        Dim::Chan,
        Dim::Adu,
        Dim::Bit,
    ];

    /// The symbol naming the axis in messages.
    fn symbol(self) -> &'static str {
        match self {
            Dim::Length => "m",
            Dim::Mass => "kg",
            Dim::Time => "s",
            Dim::Current => "A",
            Dim::Temperature => "K",
            Dim::Amount => "mol",
            Dim::Luminous => "cd",
            Dim::Angle => "rad",
            Dim::Mag => "mag",
            Dim::Count => "ct",
            Dim::Photon => "ph",
            Dim::Pixel => "pix",
            Dim::Voxel => "voxel",
            Dim::Chan => "chan",
            Dim::Adu => "adu",
            Dim::Bit => "bit",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Exponents closer than this are equal (rational exponents such as `**(1/3)` are stored as floats).
const EXPONENT_TOLERANCE: f64 = 1e-9;

/// A parsed unit: a scale factor to coherent base units and the exponent of each base quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    factor: f64,
    exponents: [f64; Dim::ALL.len()],
}

impl Unit {
    /// The dimensionless unit 1.
    pub fn one() -> Self {
        Self {
            factor: 1.0,
            exponents: [0.0; Dim::ALL.len()],
        }
    }

    /// Parses a VOUnit string.
    ///
    /// # Errors
    /// [`UnitError::Syntax`] for a malformed string, [`UnitError::UnknownSymbol`] for a symbol that is neither
    /// known nor a prefixed known symbol.
    pub fn parse(text: &str) -> Result<Self, UnitError> {
        parse::parse(text)
    }

    fn from_symbol(symbol: &symbols::Symbol, scale: f64) -> Self {
        let mut unit = Self::one();
        unit.factor = symbol.factor * scale;
        for (dim, exponent) in symbol.dims {
            unit.exponents[dim.index()] = f64::from(*exponent);
        }
        unit
    }

    /// The product of two units.
    pub fn multiply(&self, other: &Self) -> Self {
        let mut out = self.clone();
        out.factor *= other.factor;
        for (e, o) in out.exponents.iter_mut().zip(other.exponents) {
            *e += o;
        }
        out
    }

    /// The quotient of two units.
    pub fn divide(&self, other: &Self) -> Self {
        self.multiply(&other.powf(-1.0))
    }

    /// This unit raised to a (possibly fractional) power.
    pub fn powf(&self, exponent: f64) -> Self {
        let mut out = self.clone();
        out.factor = self.factor.powf(exponent);
        for e in &mut out.exponents {
            *e *= exponent;
        }
        out
    }

    /// The unit scaled by a pure number (`10**-3 Jy`).
    pub fn scaled(&self, scale: f64) -> Self {
        let mut out = self.clone();
        out.factor *= scale;
        out
    }

    /// Whether the two units measure the same kind of quantity.
    pub fn is_compatible(&self, other: &Self) -> bool {
        self.exponents
            .iter()
            .zip(other.exponents)
            .all(|(a, b)| (a - b).abs() < EXPONENT_TOLERANCE)
    }

    /// The number a value in `self` is multiplied by to express it in `target`.
    ///
    /// # Errors
    /// [`UnitError::Incompatible`] when the dimensions differ.
    pub fn conversion_factor(&self, target: &Self) -> Result<f64, UnitError> {
        if self.is_compatible(target) {
            Ok(self.factor / target.factor)
        } else {
            Err(UnitError::Incompatible {
                from: self.dimension_string(),
                to: target.dimension_string(),
            })
        }
    }

    /// The dimension in base units, e.g. `m s^-1`, or `1` for a pure number.
    pub fn dimension_string(&self) -> String {
        let parts: Vec<String> = Dim::ALL
            .iter()
            .zip(self.exponents)
            .filter(|(_, e)| e.abs() >= EXPONENT_TOLERANCE)
            .map(|(dim, e)| {
                if (e - 1.0).abs() < EXPONENT_TOLERANCE {
                    dim.symbol().to_owned()
                } else if (e - e.round()).abs() < EXPONENT_TOLERANCE {
                    format!("{}^{}", dim.symbol(), e.round())
                } else {
                    format!("{}^{e}", dim.symbol())
                }
            })
            .collect();
        if parts.is_empty() {
            "1".to_owned()
        } else {
            parts.join(" ")
        }
    }
}

/// Converts a value between two unit strings: the factor to multiply by.
///
/// # Errors
/// Either string does not parse, or the units measure different quantities.
pub fn conversion_factor(from: &str, to: &str) -> Result<f64, UnitError> {
    let from_unit = Unit::parse(from)?;
    let to_unit = Unit::parse(to)?;
    from_unit
        .conversion_factor(&to_unit)
        .map_err(|err| match err {
            UnitError::Incompatible {
                from: from_dim,
                to: to_dim,
            } => UnitError::Incompatible {
                from: format!("'{from}' ({from_dim})"),
                to: format!("'{to}' ({to_dim})"),
            },
            other => other,
        })
}

/// Why a unit string could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum UnitError {
    /// The string is not a VOUnit expression.
    #[error("invalid unit '{unit}' at character {}: {message}", position + 1)]
    Syntax {
        /// The whole unit string.
        unit: String,
        /// Byte offset of the problem in `unit`.
        position: usize,
        /// What is wrong.
        message: String,
    },
    /// A symbol is not a known unit.
    #[error("unknown unit symbol '{symbol}' in '{unit}'")]
    UnknownSymbol {
        /// The whole unit string.
        unit: String,
        /// The symbol that is not known.
        symbol: String,
    },
    /// The units measure different kinds of quantity.
    #[error("cannot convert {from} to {to}: the dimensions differ")]
    Incompatible {
        /// The source unit (or its dimension).
        from: String,
        /// The target unit (or its dimension).
        to: String,
    },
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if (self.factor - 1.0).abs() > f64::EPSILON {
            write!(f, "{} ", self.factor)?;
        }
        f.write_str(&self.dimension_string())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn factor(from: &str, to: &str) -> f64 {
        conversion_factor(from, to).unwrap_or_else(|e| panic!("{from} -> {to}: {e}"))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
    }

    #[test]
    fn angles_convert() {
        assert!(close(factor("deg", "arcsec"), 3600.0));
        assert!(close(factor("deg", "arcmin"), 60.0));
        assert!(close(factor("arcsec", "mas"), 1000.0));
        assert!(close(factor("rad", "deg"), 180.0 / std::f64::consts::PI));
        assert!(close(factor("mas", "uas"), 1000.0));
        assert!(close(factor("deg**2", "arcmin**2"), 3600.0));
        assert!(close(
            factor("sr", "deg2"),
            (180.0 / std::f64::consts::PI).powi(2)
        ));
    }

    #[test]
    fn prefixes_apply() {
        assert!(close(factor("kpc", "pc"), 1000.0));
        assert!(close(factor("Mpc", "kpc"), 1000.0));
        assert!(close(factor("Jy", "mJy"), 1000.0));
        assert!(close(factor("mJy", "uJy"), 1000.0));
        assert!(close(factor("km", "m"), 1000.0));
        assert!(close(factor("dam", "m"), 10.0));
        assert!(close(factor("Gyr", "yr"), 1e9));
        assert!(close(factor("mag", "mmag"), 1000.0));
        assert!(close(factor("kg", "g"), 1000.0));
    }

    #[test]
    fn time_units() {
        assert!(close(factor("yr", "d"), 365.25));
        assert!(close(factor("d", "s"), 86400.0));
        assert!(close(factor("h", "min"), 60.0));
        assert!(close(factor("a", "yr"), 1.0));
    }

    #[test]
    fn compound_units() {
        assert!(close(factor("mas/yr", "arcsec/yr"), 1e-3));
        assert!(close(factor("km/s", "m/s"), 1000.0));
        assert!(close(factor("km.s**-1", "m/s"), 1000.0));
        assert!(close(factor("km s-1", "m/s"), 1000.0));
        assert!(close(factor("m**2", "cm**2"), 1e4));
        assert!(close(factor("m^2", "cm2"), 1e4));
        assert!(close(factor("erg/s/cm2", "W/m2"), 1e-3));
        assert!(close(factor("erg/(s.cm**2)", "W.m**-2"), 1e-3));
        assert!(close(factor("Jy", "W/m2/Hz"), 1e-26));
        assert!(close(factor("m**(1/2)", "cm**(1/2)"), 10.0));
        assert!(close(factor("m**(0.5)", "cm**(1/2)"), 10.0));
        assert!(close(factor("pc", "AU"), 648_000.0 / std::f64::consts::PI));
    }

    #[test]
    fn scale_factors() {
        assert!(close(factor("10**-3 Jy", "mJy"), 1.0));
        assert!(close(factor("1e-3Jy", "mJy"), 1.0));
        assert!(close(factor("%", "---"), 0.01));
    }

    #[test]
    fn incompatible_units_are_rejected() {
        let err = conversion_factor("mag", "Jy").unwrap_err();
        assert!(matches!(err, UnitError::Incompatible { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "cannot convert 'mag' (mag) to 'Jy' (kg s^-2): the dimensions differ"
        );
        assert!(conversion_factor("deg", "m").is_err());
        assert!(conversion_factor("deg", "---").is_err());
        assert!(conversion_factor("km/s", "km").is_err());
    }

    #[test]
    fn bad_strings_are_rejected() {
        assert!(
            matches!(Unit::parse("furlong"), Err(UnitError::UnknownSymbol { ref symbol, .. }) if symbol == "furlong")
        );
        assert!(matches!(
            Unit::parse("kmin"),
            Err(UnitError::UnknownSymbol { .. })
        ));
        assert!(matches!(Unit::parse(""), Err(UnitError::Syntax { .. })));
        assert!(matches!(Unit::parse("m**"), Err(UnitError::Syntax { .. })));
        assert!(matches!(
            Unit::parse("(m"),
            Err(UnitError::Syntax { position: 2, .. })
        ));
        assert!(matches!(
            Unit::parse("m)"),
            Err(UnitError::Syntax { position: 1, .. })
        ));
        assert!(matches!(Unit::parse("m/"), Err(UnitError::Syntax { .. })));
        assert!(matches!(
            Unit::parse("m**(1/0)"),
            Err(UnitError::Syntax { .. })
        ));
    }

    #[test]
    fn dimensions_print() {
        assert_eq!(Unit::parse("km/s").unwrap().dimension_string(), "m s^-1");
        assert_eq!(Unit::parse("---").unwrap().dimension_string(), "1");
        assert_eq!(
            Unit::parse("Jy").unwrap().to_string(),
            "0.00000000000000000000000001 kg s^-2"
        );
    }
}
