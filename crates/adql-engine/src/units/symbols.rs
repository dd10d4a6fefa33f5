//! The unit symbols and SI prefixes the parser knows, each as a factor and a dimension.

use super::{Dim, Unit};

/// A known unit symbol.
pub(crate) struct Symbol {
    /// The symbol as written in a VOUnit string (case-sensitive).
    pub(crate) name: &'static str,
    /// Its value in coherent base units (m, kg, s, A, K, mol, cd, rad, mag, …).
    pub(crate) factor: f64,
    /// Its dimension as `(base, exponent)` pairs.
    pub(crate) dims: &'static [(Dim, i8)],
    /// Whether an SI prefix may precede it (`km`, `mJy`, `Myr`; not `kmin`).
    pub(crate) prefixable: bool,
}

const fn sym(
    name: &'static str,
    factor: f64,
    dims: &'static [(Dim, i8)],
    prefixable: bool,
) -> Symbol {
    Symbol {
        name,
        factor,
        dims,
        prefixable,
    }
}

use Dim::{
    Adu, Amount, Angle, Bit, Chan, Count, Current, Length, Luminous, Mag, Mass, Photon, Pixel,
    Temperature, Time, Voxel,
};

const DEG: f64 = std::f64::consts::PI / 180.0;
const DAY: f64 = 86_400.0;
const JULIAN_YEAR: f64 = 365.25 * DAY;
const AU: f64 = 1.495_978_707e11;
const PARSEC: f64 = AU * 648_000.0 / std::f64::consts::PI;

/// Every symbol, following the VOUnits 1.0 recommendation (section 2.4 and its tables of base, derived and
/// astronomy units) plus the handful of CDS spellings that catalogues use.
pub(crate) static SYMBOLS: &[Symbol] = &[
    // SI base units (the kilogram is prefixed through the gram).
    sym("m", 1.0, &[(Length, 1)], true),
    sym("g", 1e-3, &[(Mass, 1)], true),
    sym("s", 1.0, &[(Time, 1)], true),
    sym("A", 1.0, &[(Current, 1)], true),
    sym("K", 1.0, &[(Temperature, 1)], true),
    sym("mol", 1.0, &[(Amount, 1)], true),
    sym("cd", 1.0, &[(Luminous, 1)], true),
    // Angles are kept as a dimension of their own so that deg and rad convert, but deg and a pure number do not.
    sym("rad", 1.0, &[(Angle, 1)], true),
    sym("sr", 1.0, &[(Angle, 2)], true),
    sym("deg", DEG, &[(Angle, 1)], true),
    sym("arcmin", DEG / 60.0, &[(Angle, 1)], true),
    sym("arcsec", DEG / 3600.0, &[(Angle, 1)], true),
    sym("mas", DEG / 3.6e6, &[(Angle, 1)], false),
    sym("uas", DEG / 3.6e9, &[(Angle, 1)], false),
    // SI derived units.
    sym("Hz", 1.0, &[(Time, -1)], true),
    sym("N", 1.0, &[(Mass, 1), (Length, 1), (Time, -2)], true),
    sym("J", 1.0, &[(Mass, 1), (Length, 2), (Time, -2)], true),
    sym("W", 1.0, &[(Mass, 1), (Length, 2), (Time, -3)], true),
    sym("Pa", 1.0, &[(Mass, 1), (Length, -1), (Time, -2)], true),
    sym("C", 1.0, &[(Current, 1), (Time, 1)], true),
    sym(
        "V",
        1.0,
        &[(Mass, 1), (Length, 2), (Time, -3), (Current, -1)],
        true,
    ),
    sym(
        "Ohm",
        1.0,
        &[(Mass, 1), (Length, 2), (Time, -3), (Current, -2)],
        true,
    ),
    sym(
        "S",
        1.0,
        &[(Mass, -1), (Length, -2), (Time, 3), (Current, 2)],
        true,
    ),
    sym(
        "F",
        1.0,
        &[(Mass, -1), (Length, -2), (Time, 4), (Current, 2)],
        true,
    ),
    sym("T", 1.0, &[(Mass, 1), (Time, -2), (Current, -1)], true),
    sym(
        "Wb",
        1.0,
        &[(Mass, 1), (Length, 2), (Time, -2), (Current, -1)],
        true,
    ),
    sym(
        "H",
        1.0,
        &[(Mass, 1), (Length, 2), (Time, -2), (Current, -2)],
        true,
    ),
    sym("lm", 1.0, &[(Luminous, 1), (Angle, 2)], true),
    sym("lx", 1.0, &[(Luminous, 1), (Angle, 2), (Length, -2)], true),
    // Time.
    sym("min", 60.0, &[(Time, 1)], false),
    sym("h", 3600.0, &[(Time, 1)], false),
    sym("d", DAY, &[(Time, 1)], false),
    sym("yr", JULIAN_YEAR, &[(Time, 1)], true),
    sym("a", JULIAN_YEAR, &[(Time, 1)], true),
    // Astronomy and other non-SI units of VOUnits.
    sym("AU", AU, &[(Length, 1)], false),
    sym("au", AU, &[(Length, 1)], false),
    sym("pc", PARSEC, &[(Length, 1)], true),
    sym("lyr", 9.460_730_472_580_8e15, &[(Length, 1)], true),
    sym("Angstrom", 1e-10, &[(Length, 1)], false),
    sym("angstrom", 1e-10, &[(Length, 1)], false),
    sym("solRad", 6.957e8, &[(Length, 1)], false),
    sym("Rsun", 6.957e8, &[(Length, 1)], false),
    sym("solMass", 1.988_409_870_698_051e30, &[(Mass, 1)], false),
    sym("Msun", 1.988_409_870_698_051e30, &[(Mass, 1)], false),
    sym(
        "solLum",
        3.828e26,
        &[(Mass, 1), (Length, 2), (Time, -3)],
        false,
    ),
    sym(
        "Lsun",
        3.828e26,
        &[(Mass, 1), (Length, 2), (Time, -3)],
        false,
    ),
    sym("u", 1.660_539_066_60e-27, &[(Mass, 1)], false),
    sym(
        "eV",
        1.602_176_634e-19,
        &[(Mass, 1), (Length, 2), (Time, -2)],
        true,
    ),
    sym("erg", 1e-7, &[(Mass, 1), (Length, 2), (Time, -2)], true),
    sym("Jy", 1e-26, &[(Mass, 1), (Time, -2)], true),
    sym("G", 1e-4, &[(Mass, 1), (Time, -2), (Current, -1)], true),
    sym("barn", 1e-28, &[(Length, 2)], true),
    sym("l", 1e-3, &[(Length, 3)], true),
    sym("ct", 1.0, &[(Count, 1)], true),
    sym("count", 1.0, &[(Count, 1)], true),
    sym("ph", 1.0, &[(Photon, 1)], true),
    sym("photon", 1.0, &[(Photon, 1)], true),
    sym("pix", 1.0, &[(Pixel, 1)], true),
    sym("pixel", 1.0, &[(Pixel, 1)], true),
    sym("voxel", 1.0, &[(Voxel, 1)], true),
    sym("chan", 1.0, &[(Chan, 1)], true),
    sym("adu", 1.0, &[(Adu, 1)], true),
    sym("bit", 1.0, &[(Bit, 1)], true),
    sym("byte", 8.0, &[(Bit, 1)], true),
    sym("B", 8.0, &[(Bit, 1)], true),
    // Magnitudes are logarithmic: they convert to (milli)magnitudes only.
    sym("mag", 1.0, &[(Mag, 1)], true),
    // Dimensionless spellings.
    sym("%", 1e-2, &[], false),
    sym("---", 1.0, &[], false),
];

/// SI prefixes, longest first so that `da` wins over `d`.
pub(crate) static PREFIXES: &[(&str, f64)] = &[
    ("da", 1e1),
    ("y", 1e-24),
    ("z", 1e-21),
    ("a", 1e-18),
    ("f", 1e-15),
    ("p", 1e-12),
    ("n", 1e-9),
    ("u", 1e-6),
    ("m", 1e-3),
    ("c", 1e-2),
    ("d", 1e-1),
    ("h", 1e2),
    ("k", 1e3),
    ("M", 1e6),
    ("G", 1e9),
    ("T", 1e12),
    ("P", 1e15),
    ("E", 1e18),
    ("Z", 1e21),
    ("Y", 1e24),
];

/// Looks `text` up as a symbol, then as an SI prefix followed by a prefixable symbol.
pub(crate) fn lookup(text: &str) -> Option<Unit> {
    if let Some(symbol) = SYMBOLS.iter().find(|s| s.name == text) {
        return Some(Unit::from_symbol(symbol, 1.0));
    }
    PREFIXES.iter().find_map(|(prefix, scale)| {
        let rest = text.strip_prefix(prefix)?;
        let symbol = SYMBOLS.iter().find(|s| s.name == rest && s.prefixable)?;
        Some(Unit::from_symbol(symbol, *scale))
    })
}
