//! Identifiers and qualified names.

use super::{Span, Spanned};
use crate::AdqlVersion;
use crate::keywords::is_reserved;

/// An identifier: a regular one (`ra`, case-insensitive in ADQL) or a delimited one (`"Ra"`, case kept).
///
/// `value` is the text as written for a regular identifier and the unescaped content for a delimited one
/// (`"a""b"` has the value `a"b`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident {
    /// The name as written (regular) or unescaped (delimited).
    pub value: String,
    /// Whether it was written between double quotes.
    pub quoted: bool,
    /// Where it was written.
    pub span: Span,
}

impl Ident {
    /// An identifier named `value`, regular when `value` can be written as a regular identifier of ADQL 2.1
    /// (a letter, then letters, digits and `_`, and not a reserved word), delimited otherwise.
    pub fn new(value: impl Into<String>) -> Ident {
        let value = value.into();
        let quoted = !is_regular_identifier(&value) || is_reserved(&value, AdqlVersion::V2_1);
        Ident {
            value,
            quoted,
            span: Span::EMPTY,
        }
    }

    /// An identifier naming exactly `value`, as a service stores it: regular when that spelling means the
    /// same name on any service (lower-case letters, digits and `_`, starting with a letter, not a reserved
    /// word), delimited otherwise. `ra` prints `ra`, `Mag` prints `"Mag"` (a regular `Mag` would be folded by
    /// the service to `mag` or `MAG`).
    pub fn exact(value: impl Into<String>) -> Ident {
        let value = value.into();
        let quoted = !is_regular_identifier(&value)
            || value.bytes().any(|b| b.is_ascii_uppercase())
            || is_reserved(&value, AdqlVersion::V2_1);
        Ident {
            value,
            quoted,
            span: Span::EMPTY,
        }
    }

    /// A delimited identifier (`"value"`), whose case is significant.
    pub fn quoted(value: impl Into<String>) -> Ident {
        Ident {
            value: value.into(),
            quoted: true,
            span: Span::EMPTY,
        }
    }

    /// Whether this identifier names `other` under ADQL's rules: regular identifiers compare without case,
    /// delimited ones exactly.
    pub fn matches(&self, other: &Ident) -> bool {
        if self.quoted && other.quoted {
            self.value == other.value
        } else if !self.quoted && !other.quoted {
            self.value.eq_ignore_ascii_case(&other.value)
        } else {
            // One side regular: it folds case, the delimited side does not. Follow VOLLT: match ignoring case.
            self.value.eq_ignore_ascii_case(&other.value)
        }
    }

    /// Whether printing this identifier needs double quotes.
    pub fn needs_quotes(&self) -> bool {
        self.quoted
            || !is_regular_identifier(&self.value)
            || is_reserved(&self.value, AdqlVersion::V2_1)
    }
}

impl Spanned for Ident {
    fn span(&self) -> Span {
        self.span
    }
}

impl From<&str> for Ident {
    fn from(value: &str) -> Ident {
        Ident::new(value)
    }
}

/// Whether `text` has the shape of a regular identifier: an ASCII letter, then ASCII letters, digits and `_`.
pub fn is_regular_identifier(text: &str) -> bool {
    let mut bytes = text.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A table name: `table`, `schema.table` or `catalog.schema.table`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableName {
    /// The catalog, present only with a schema.
    pub catalog: Option<Ident>,
    /// The schema (`TAP_UPLOAD` for uploaded tables).
    pub schema: Option<Ident>,
    /// The table itself.
    pub name: Ident,
    /// Where it was written.
    pub span: Span,
}

impl TableName {
    /// An unqualified table name.
    pub fn new(name: impl Into<Ident>) -> TableName {
        TableName {
            catalog: None,
            schema: None,
            name: name.into(),
            span: Span::EMPTY,
        }
    }

    /// A table name from one to three parts, outermost first; `None` for zero or more than three parts.
    pub fn from_parts<I: Into<Ident>>(parts: impl IntoIterator<Item = I>) -> Option<TableName> {
        let mut parts: Vec<Ident> = parts.into_iter().map(Into::into).collect();
        let name = parts.pop()?;
        let schema = parts.pop();
        let catalog = parts.pop();
        if !parts.is_empty() || (catalog.is_some() && schema.is_none()) {
            return None;
        }
        Some(TableName {
            catalog,
            schema,
            name,
            span: Span::EMPTY,
        })
    }

    /// The parts, outermost first.
    pub fn parts(&self) -> impl Iterator<Item = &Ident> {
        self.catalog
            .iter()
            .chain(self.schema.iter())
            .chain(std::iter::once(&self.name))
    }

    /// Whether this names an uploaded table (`TAP_UPLOAD.name`).
    pub fn is_upload(&self) -> bool {
        self.catalog.is_none()
            && self
                .schema
                .as_ref()
                .is_some_and(|s| s.value.eq_ignore_ascii_case("TAP_UPLOAD"))
    }
}

impl Spanned for TableName {
    fn span(&self) -> Span {
        self.span
    }
}

/// A column reference: `col`, or a column qualified by a table name or correlation name (`t.col`,
/// `schema.table.col`, `catalog.schema.table.col`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ColumnRef {
    /// The qualifier, if any (boxed: most columns have none, and this keeps [`crate::ast::Expr`] small).
    pub table: Option<Box<TableName>>,
    /// The column.
    pub column: Ident,
    /// Where it was written.
    pub span: Span,
}

impl ColumnRef {
    /// A column reference from one to four parts, outermost first; `None` for zero or more than four parts.
    pub fn from_parts<I: Into<Ident>>(parts: impl IntoIterator<Item = I>) -> Option<ColumnRef> {
        let mut parts: Vec<Ident> = parts.into_iter().map(Into::into).collect();
        let column = parts.pop()?;
        let table = if parts.is_empty() {
            None
        } else {
            Some(Box::new(TableName::from_parts(parts)?))
        };
        Some(ColumnRef {
            table,
            column,
            span: Span::EMPTY,
        })
    }

    /// The parts, outermost first.
    pub fn parts(&self) -> impl Iterator<Item = &Ident> {
        self.table
            .iter()
            .flat_map(|t| t.parts())
            .chain(std::iter::once(&self.column))
    }
}

impl Spanned for ColumnRef {
    fn span(&self) -> Span {
        self.span
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn new_quotes_only_when_needed() {
        assert!(!Ident::new("ra").quoted);
        assert!(Ident::new("size").quoted, "reserved");
        assert!(Ident::new("2mass").quoted);
        assert!(Ident::new("_x").quoted);
        assert!(Ident::new("a b").quoted);
        assert!(Ident::new("Ra").matches(&Ident::new("RA")));
        assert!(!Ident::quoted("Ra").matches(&Ident::quoted("RA")));
        assert!(!Ident::exact("ra").quoted);
        assert!(Ident::exact("Ra").quoted);
        assert!(Ident::exact("size").quoted);
        assert!(Ident::exact("a b").quoted);
    }

    #[test]
    fn names_from_parts() {
        let t = TableName::from_parts(["c", "s", "t"]).unwrap();
        assert_eq!(
            t.parts().map(|p| p.value.as_str()).collect::<Vec<_>>(),
            ["c", "s", "t"]
        );
        assert!(TableName::from_parts(["a", "b", "c", "d"]).is_none());
        assert!(TableName::from_parts(Vec::<&str>::new()).is_none());
        let c = ColumnRef::from_parts(["c", "s", "t", "x"]).unwrap();
        assert_eq!(c.parts().count(), 4);
        assert!(ColumnRef::from_parts(["a", "b", "c", "d", "e"]).is_none());
        assert!(
            TableName::from_parts(["TAP_UPLOAD", "t"])
                .unwrap()
                .is_upload()
        );
    }
}
