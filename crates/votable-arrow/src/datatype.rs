//! VOTable `datatype` and `arraysize`, and how a FIELD maps onto an Arrow column.
//!
//! | VOTable | Arrow |
//! | --- | --- |
//! | `boolean`, `bit` | `Boolean` |
//! | `unsignedByte` | `UInt8` |
//! | `short` / `int` / `long` | `Int16` / `Int32` / `Int64` |
//! | `float` / `double` | `Float32` / `Float64` |
//! | `floatComplex` / `doubleComplex` | `FixedSizeList<Float32/Float64>(2)` (real, imaginary) |
//! | `char` / `unicodeChar`, scalar or one dimension | `Utf8` |
//! | `char` / `unicodeChar` with `xtype="timestamp"` | `Timestamp(Microsecond, None)` |
//! | `char` / `unicodeChar`, two or more dimensions (`14x3`, `10x*`) | `List<Utf8>` (one string per first-dimension run) |
//! | any other type with a fixed `arraysize` (`3`, `2x4`) | `FixedSizeList<T>(product of the dimensions)` |
//! | any other type with a variable `arraysize` (`*`, `10*`, `2x4*`) | `List<T>` |
//!
//! Multi-dimensional arrays are flattened in VOTable (first index fastest); the original
//! `arraysize` stays in the field metadata under `votable:arraysize`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow_schema::{DataType, Field, FieldRef, Schema, TimeUnit};

use crate::error::{Error, Result};
use crate::metadata::{DocumentInfo, FieldInfo};
use crate::options::Limits;

/// A VOTable primitive datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Datatype {
    /// `boolean`
    Boolean,
    /// `bit`
    Bit,
    /// `unsignedByte`
    UnsignedByte,
    /// `short`
    Short,
    /// `int`
    Int,
    /// `long`
    Long,
    /// `char`
    Char,
    /// `unicodeChar`
    UnicodeChar,
    /// `float`
    Float,
    /// `double`
    Double,
    /// `floatComplex`
    FloatComplex,
    /// `doubleComplex`
    DoubleComplex,
}

impl Datatype {
    /// Parses the `datatype` attribute value.
    pub fn parse(s: &str) -> Option<Datatype> {
        Some(match s.trim() {
            "boolean" => Datatype::Boolean,
            "bit" => Datatype::Bit,
            "unsignedByte" => Datatype::UnsignedByte,
            "short" => Datatype::Short,
            "int" => Datatype::Int,
            "long" => Datatype::Long,
            "char" => Datatype::Char,
            "unicodeChar" => Datatype::UnicodeChar,
            "float" => Datatype::Float,
            "double" => Datatype::Double,
            "floatComplex" => Datatype::FloatComplex,
            "doubleComplex" => Datatype::DoubleComplex,
            _ => return None,
        })
    }

    /// The attribute spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::Boolean => "boolean",
            Datatype::Bit => "bit",
            Datatype::UnsignedByte => "unsignedByte",
            Datatype::Short => "short",
            Datatype::Int => "int",
            Datatype::Long => "long",
            Datatype::Char => "char",
            Datatype::UnicodeChar => "unicodeChar",
            Datatype::Float => "float",
            Datatype::Double => "double",
            Datatype::FloatComplex => "floatComplex",
            Datatype::DoubleComplex => "doubleComplex",
        }
    }
}

/// A parsed `arraysize`: the fixed leading dimensions, and whether the last one varies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArraySize {
    /// Fixed dimensions (all of them when `variable` is `None`).
    pub fixed: Vec<usize>,
    /// `Some(max)` when the last dimension is variable (`*` or `n*`).
    pub variable: Option<Option<usize>>,
}

impl ArraySize {
    pub(crate) fn scalar() -> Self {
        ArraySize {
            fixed: Vec::new(),
            variable: None,
        }
    }

    pub(crate) fn is_scalar(&self) -> bool {
        self.fixed.is_empty() && self.variable.is_none()
    }

    /// Parses `arraysize`, refusing element counts above `max_elements` so that a hostile
    /// declaration cannot make the reader allocate.
    pub(crate) fn parse(s: &str, max_elements: usize) -> std::result::Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(ArraySize::scalar());
        }
        let parts: Vec<&str> = s.split('x').collect();
        if parts.len() > 16 {
            return Err(format!("arraysize {s:?} has too many dimensions"));
        }
        let mut fixed = Vec::with_capacity(parts.len());
        let mut variable = None;
        for (i, part) in parts.iter().enumerate() {
            let part = part.trim();
            if let Some(max) = part.strip_suffix('*') {
                if i + 1 != parts.len() {
                    return Err(format!(
                        "arraysize {s:?}: only the last dimension may be variable"
                    ));
                }
                let max = if max.is_empty() {
                    None
                } else {
                    Some(parse_dim(max, s, max_elements)?)
                };
                variable = Some(max);
            } else {
                fixed.push(parse_dim(part, s, max_elements)?);
            }
        }
        let mut product: usize = 1;
        for d in &fixed {
            product = product
                .checked_mul(*d)
                .filter(|p| *p <= max_elements)
                .ok_or_else(|| {
                    format!("arraysize {s:?} exceeds the limit of {max_elements} elements")
                })?;
        }
        Ok(ArraySize { fixed, variable })
    }

    /// Product of the fixed dimensions (1 for none).
    pub(crate) fn fixed_product(&self) -> usize {
        self.fixed.iter().product()
    }
}

fn parse_dim(part: &str, whole: &str, max_elements: usize) -> std::result::Result<usize, String> {
    let n: usize = part
        .parse()
        .map_err(|_| format!("invalid arraysize {whole:?}"))?;
    if n > max_elements {
        return Err(format!(
            "arraysize {whole:?} exceeds the limit of {max_elements} elements"
        ));
    }
    Ok(n)
}

/// A primitive element of a non-character column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Elem {
    Bool,
    Bit,
    U8,
    I16,
    I32,
    I64,
    F32,
    F64,
    C32,
    C64,
}

impl Elem {
    /// Bytes of one element in BINARY (bits are handled separately).
    pub(crate) fn byte_size(self) -> usize {
        match self {
            Elem::Bool | Elem::Bit | Elem::U8 => 1,
            Elem::I16 => 2,
            Elem::I32 | Elem::F32 => 4,
            Elem::I64 | Elem::F64 | Elem::C32 => 8,
            Elem::C64 => 16,
        }
    }

    pub(crate) fn arrow_type(self) -> DataType {
        match self {
            Elem::Bool | Elem::Bit => DataType::Boolean,
            Elem::U8 => DataType::UInt8,
            Elem::I16 => DataType::Int16,
            Elem::I32 => DataType::Int32,
            Elem::I64 => DataType::Int64,
            Elem::F32 => DataType::Float32,
            Elem::F64 => DataType::Float64,
            Elem::C32 => DataType::FixedSizeList(item_field(DataType::Float32), 2),
            Elem::C64 => DataType::FixedSizeList(item_field(DataType::Float64), 2),
        }
    }
}

/// Length of a character string (or of the string count of a character array).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Len {
    /// Exactly n units.
    Fixed(usize),
    /// A BINARY length prefix counts items of `unit` units each.
    Var { unit: usize },
}

/// How a column is laid out, derived from datatype, arraysize and xtype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Scalar(Elem),
    FixedArray {
        elem: Elem,
        n: usize,
    },
    VarArray {
        elem: Elem,
        unit: usize,
    },
    Str {
        unicode: bool,
        len: Len,
    },
    StrArray {
        unicode: bool,
        width: usize,
        count: Len,
    },
    Timestamp {
        unicode: bool,
        len: Len,
    },
}

impl Kind {
    pub(crate) fn arrow_type(&self) -> DataType {
        match self {
            Kind::Scalar(e) => e.arrow_type(),
            Kind::FixedArray { elem, n } => {
                DataType::FixedSizeList(item_field(elem.arrow_type()), to_i32(*n))
            }
            Kind::VarArray { elem, .. } => DataType::List(item_field(elem.arrow_type())),
            Kind::Str { .. } => DataType::Utf8,
            Kind::StrArray { .. } => DataType::List(item_field(DataType::Utf8)),
            Kind::Timestamp { .. } => DataType::Timestamp(TimeUnit::Microsecond, None),
        }
    }
}

fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The child field of every list type: named `item`, nullable (docs/architecture.md).
pub(crate) fn item_field(data_type: DataType) -> FieldRef {
    Arc::new(Field::new("item", data_type, true))
}

/// Derives the layout of a FIELD.
pub(crate) fn kind_of(info: &FieldInfo, limits: &Limits) -> Result<Kind> {
    let err = |message: String| Error::Schema {
        field: info.name.clone(),
        message,
    };
    let datatype = Datatype::parse(&info.datatype)
        .ok_or_else(|| err(format!("unknown datatype {:?}", info.datatype)))?;
    let size = match &info.arraysize {
        Some(s) => ArraySize::parse(s, limits.max_array_elements).map_err(err)?,
        None => ArraySize::scalar(),
    };
    let is_timestamp = info
        .xtype
        .as_deref()
        .is_some_and(|x| x.eq_ignore_ascii_case("timestamp"));
    match datatype {
        Datatype::Char | Datatype::UnicodeChar => {
            let unicode = datatype == Datatype::UnicodeChar;
            if size.is_scalar() {
                let len = Len::Fixed(1);
                return Ok(if is_timestamp {
                    Kind::Timestamp { unicode, len }
                } else {
                    Kind::Str { unicode, len }
                });
            }
            if size.fixed.len() + usize::from(size.variable.is_some()) == 1 {
                let len = match size.variable {
                    Some(_) => Len::Var { unit: 1 },
                    None => Len::Fixed(size.fixed_product()),
                };
                return Ok(if is_timestamp {
                    Kind::Timestamp { unicode, len }
                } else {
                    Kind::Str { unicode, len }
                });
            }
            let width = size.fixed.first().copied().unwrap_or(1);
            let rest: usize = size.fixed.iter().skip(1).product();
            let count = match size.variable {
                Some(_) => Len::Var { unit: rest },
                None => Len::Fixed(rest),
            };
            Ok(Kind::StrArray {
                unicode,
                width,
                count,
            })
        }
        _ => {
            let elem = match datatype {
                Datatype::Boolean => Elem::Bool,
                Datatype::Bit => Elem::Bit,
                Datatype::UnsignedByte => Elem::U8,
                Datatype::Short => Elem::I16,
                Datatype::Int => Elem::I32,
                Datatype::Long => Elem::I64,
                Datatype::Float => Elem::F32,
                Datatype::Double => Elem::F64,
                Datatype::FloatComplex => Elem::C32,
                _ => Elem::C64,
            };
            if size.is_scalar() {
                Ok(Kind::Scalar(elem))
            } else if size.variable.is_some() {
                Ok(Kind::VarArray {
                    elem,
                    unit: size.fixed_product(),
                })
            } else {
                let n = size.fixed_product();
                if i32::try_from(n).is_err() {
                    return Err(err("arraysize too large".into()));
                }
                Ok(Kind::FixedArray { elem, n })
            }
        }
    }
}

/// Metadata keys of the Arrow fields (docs/architecture.md).
pub mod keys {
    /// VOUnit string.
    pub const UNIT: &str = "unit";
    /// UCD.
    pub const UCD: &str = "ucd";
    /// utype.
    pub const UTYPE: &str = "utype";
    /// DALI xtype.
    pub const XTYPE: &str = "xtype";
    /// Free text description.
    pub const DESCRIPTION: &str = "description";
    /// VOTable datatype, verbatim.
    pub const DATATYPE: &str = "votable:datatype";
    /// VOTable arraysize, verbatim.
    pub const ARRAYSIZE: &str = "votable:arraysize";
    /// FIELD ID.
    pub const ID: &str = "votable:ID";
    /// FIELD ref.
    pub const REF: &str = "votable:ref";
    /// FIELD width.
    pub const WIDTH: &str = "votable:width";
    /// FIELD precision.
    pub const PRECISION: &str = "votable:precision";
    /// VALUES null.
    pub const NULL: &str = "votable:null";
    /// The FIELD name as written in the document, when the Arrow name differs
    /// (empty or duplicate names).
    pub const NAME: &str = "votable:name";
    /// `system` of the COOSYS the field refers to.
    pub const COOSYS_SYSTEM: &str = "votable:coosys.system";
    /// `epoch` of the COOSYS the field refers to.
    pub const COOSYS_EPOCH: &str = "votable:coosys.epoch";
    /// `equinox` of the COOSYS the field refers to.
    pub const COOSYS_EQUINOX: &str = "votable:coosys.equinox";
    /// `timescale` of the TIMESYS the field refers to.
    pub const TIMESYS_TIMESCALE: &str = "votable:timesys.timescale";
    /// `timeorigin` of the TIMESYS the field refers to.
    pub const TIMESYS_TIMEORIGIN: &str = "votable:timesys.timeorigin";
    /// `refposition` of the TIMESYS the field refers to.
    pub const TIMESYS_REFPOSITION: &str = "votable:timesys.refposition";
}

/// Arrow column names for the FIELDs.
///
/// Rule: the FIELD `name`; when it is empty (or blank), the `ID`; when that is empty too,
/// `col<N>` with N the 1-based position. A name already taken exactly gets the first free
/// suffix `_2`, `_3`, …; names that differ only by case are different columns and both
/// kept (VizieR's apparent `Rmag` beside absolute `RMag`: a query reaches each as a
/// delimited identifier). Other odd characters (`BP-RP`, `[Fe/H]`) are kept: Arrow allows
/// any string.
pub(crate) fn column_names(fields: &[FieldInfo]) -> Vec<String> {
    let mut used: HashSet<String> = HashSet::with_capacity(fields.len());
    let mut out = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let base = if !f.name.trim().is_empty() {
            f.name.clone()
        } else if let Some(id) = f.id.as_ref().filter(|id| !id.trim().is_empty()) {
            id.clone()
        } else {
            format!("col{}", i + 1)
        };
        let mut name = base.clone();
        let mut k = 2usize;
        while used.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        used.insert(name.clone());
        out.push(name);
    }
    out
}

/// The Arrow field of one FIELD, with its metadata.
pub(crate) fn arrow_field(name: &str, info: &FieldInfo, kind: &Kind, doc: &DocumentInfo) -> Field {
    let mut md: HashMap<String, String> = HashMap::new();
    fn put(md: &mut HashMap<String, String>, k: &str, v: &Option<String>) {
        if let Some(v) = v {
            md.insert(k.to_owned(), v.clone());
        }
    }
    put(&mut md, keys::UNIT, &info.unit);
    put(&mut md, keys::UCD, &info.ucd);
    put(&mut md, keys::UTYPE, &info.utype);
    put(&mut md, keys::XTYPE, &info.xtype);
    put(&mut md, keys::DESCRIPTION, &info.description);
    put(&mut md, keys::ARRAYSIZE, &info.arraysize);
    put(&mut md, keys::ID, &info.id);
    put(&mut md, keys::REF, &info.ref_);
    put(&mut md, keys::WIDTH, &info.width);
    put(&mut md, keys::PRECISION, &info.precision);
    put(&mut md, keys::NULL, &info.null);
    md.insert(keys::DATATYPE.to_owned(), info.datatype.clone());
    if info.name != name {
        md.insert(keys::NAME.to_owned(), info.name.clone());
    }
    if let Some(r) = &info.ref_ {
        if let Some(c) = doc.coosys_by_id(r) {
            put(&mut md, keys::COOSYS_SYSTEM, &c.system);
            put(&mut md, keys::COOSYS_EPOCH, &c.epoch);
            put(&mut md, keys::COOSYS_EQUINOX, &c.equinox);
        }
        if let Some(t) = doc.timesys_by_id(r) {
            put(&mut md, keys::TIMESYS_TIMESCALE, &t.timescale);
            put(&mut md, keys::TIMESYS_TIMEORIGIN, &t.timeorigin);
            put(&mut md, keys::TIMESYS_REFPOSITION, &t.refposition);
        }
    }
    Field::new(name, kind.arrow_type(), true).with_metadata(md)
}

/// Builds the Arrow schema of a table.
pub(crate) fn build_schema(fields: &[FieldInfo], kinds: &[Kind], doc: &DocumentInfo) -> Schema {
    let names = column_names(fields);
    Schema::new(
        fields
            .iter()
            .zip(kinds)
            .zip(&names)
            .map(|((f, k), n)| arrow_field(n, f, k, doc))
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn arraysize_forms() {
        let a = ArraySize::parse("14x3", 1000).unwrap();
        assert_eq!(a.fixed, vec![14, 3]);
        assert_eq!(a.variable, None);
        let a = ArraySize::parse("2x4*", 1000).unwrap();
        assert_eq!(a.fixed, vec![2]);
        assert_eq!(a.variable, Some(Some(4)));
        let a = ArraySize::parse("*", 1000).unwrap();
        assert!(a.fixed.is_empty());
        assert_eq!(a.variable, Some(None));
        assert!(ArraySize::parse("99999999999999999999", 1000).is_err());
        assert!(ArraySize::parse("100000x100000", 1 << 24).is_err());
        assert!(ArraySize::parse("*x3", 1000).is_err());
        assert!(ArraySize::parse("abc", 1000).is_err());
    }

    #[test]
    fn names_are_deduplicated() {
        let f = |n: &str, id: Option<&str>| FieldInfo {
            name: n.into(),
            id: id.map(Into::into),
            ..Default::default()
        };
        let names = column_names(&[
            f("ra", None),
            f("RA", None),
            f("", Some("x")),
            f("", None),
            f("BP-RP", None),
            f("ra", None),
        ]);
        assert_eq!(names, vec!["ra", "RA", "x", "col4", "BP-RP", "ra_2"]);
    }
}
