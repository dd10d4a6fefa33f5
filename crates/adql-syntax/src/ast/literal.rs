//! Literals.

use super::{Span, Spanned};

/// A literal value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Literal {
    /// An unsigned numeric literal (signs are unary operators in ADQL).
    Number(NumberLit),
    /// A string literal.
    String(StringLit),
    /// `NULL` used as a value (ADQL 2.1).
    Null(Span),
    /// A hexadecimal integer literal such as `0x2F` (non-standard; [`crate::Extensions::hex_literals`]).
    Hex(HexLit),
}

impl Spanned for Literal {
    fn span(&self) -> Span {
        match self {
            Literal::Number(n) => n.span,
            Literal::String(s) => s.span,
            Literal::Null(span) => *span,
            Literal::Hex(h) => h.span,
        }
    }
}

/// The form of a numeric literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NumberKind {
    /// Digits only: `12`.
    Integer,
    /// With a decimal point: `12.`, `12.3`, `.5`.
    Decimal,
    /// With an exponent: `1.2E-6`, `10e3`.
    Approximate,
}

/// An unsigned numeric literal, kept as its exact source text so printing loses nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NumberLit {
    /// The literal as written, e.g. `1.2E-6`.
    pub text: String,
    /// Its form.
    pub kind: NumberKind,
    /// Where it was written.
    pub span: Span,
}

impl NumberLit {
    /// An integer literal.
    pub fn integer(value: u64) -> NumberLit {
        NumberLit {
            text: value.to_string(),
            kind: NumberKind::Integer,
            span: Span::EMPTY,
        }
    }

    /// A literal from its text, or `None` when `text` is not an unsigned ADQL numeric literal.
    pub fn parse(text: &str) -> Option<NumberLit> {
        let (len, kind) = crate::parser::lexer::scan_number(text)?;
        (len == text.len()).then(|| NumberLit {
            text: text.to_owned(),
            kind,
            span: Span::EMPTY,
        })
    }

    /// The value as an unsigned integer, when it is an integer literal that fits.
    pub fn as_u64(&self) -> Option<u64> {
        match self.kind {
            NumberKind::Integer => self.text.parse().ok(),
            NumberKind::Decimal | NumberKind::Approximate => None,
        }
    }

    /// The value as a double.
    pub fn as_f64(&self) -> Option<f64> {
        self.text.parse().ok()
    }
}

impl Spanned for NumberLit {
    fn span(&self) -> Span {
        self.span
    }
}

/// A string literal; `value` is unescaped (`'it''s'` has the value `it's`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StringLit {
    /// The unescaped content.
    pub value: String,
    /// Where it was written.
    pub span: Span,
}

impl StringLit {
    /// A string literal with the given content.
    pub fn new(value: impl Into<String>) -> StringLit {
        StringLit {
            value: value.into(),
            span: Span::EMPTY,
        }
    }
}

impl Spanned for StringLit {
    fn span(&self) -> Span {
        self.span
    }
}

/// A hexadecimal literal (non-standard), kept as written after the `0x` prefix.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HexLit {
    /// The hexadecimal digits, without `0x`.
    pub digits: String,
    /// Where it was written.
    pub span: Span,
}

impl Spanned for HexLit {
    fn span(&self) -> Span {
        self.span
    }
}
