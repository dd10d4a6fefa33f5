//! What the parser expected where it failed, and turning that into a [`ParseError`] with a hint.

use crate::ast::Span;
use crate::error::ParseError;
use crate::keywords::is_reserved;
use crate::options::ParseOptions;

use super::lexer::{Punct, Tok, next_token, skip_ws};

macro_rules! expectations {
    ($($variant:ident => $label:literal, $keyword:literal;)*) => {
        /// Something the parser would have accepted at a position.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Expect {
            $($variant,)*
        }

        impl Expect {
            const ALL: &'static [Expect] = &[$(Expect::$variant,)*];

            /// How an error message names it.
            pub fn label(&self) -> &'static str {
                match self {
                    $(Expect::$variant => $label,)*
                }
            }

            /// The keyword itself, for keyword expectations (empty otherwise).
            pub fn keyword(&self) -> &'static str {
                match self {
                    $(Expect::$variant => $keyword,)*
                }
            }
        }
    };
}

expectations! {
    Expression => "an expression", "";
    Condition => "a search condition", "";
    Identifier => "an identifier", "";
    TableName => "a table name", "";
    ColumnName => "a column name", "";
    Alias => "an alias", "";
    UnsignedInteger => "an unsigned integer", "";
    SignedInteger => "a signed integer literal", "";
    StringLiteral => "a string literal", "";
    DataType => "a type name", "";
    ComparisonOp => "a comparison operator", "";
    TableRef => "a table reference", "";
    Select => "`SELECT`", "SELECT";
    From => "`FROM`", "FROM";
    Where => "`WHERE`", "WHERE";
    Group => "`GROUP`", "GROUP";
    By => "`BY`", "BY";
    Having => "`HAVING`", "HAVING";
    Order => "`ORDER`", "ORDER";
    Offset => "`OFFSET`", "OFFSET";
    Union => "`UNION`", "UNION";
    Except => "`EXCEPT`", "EXCEPT";
    Intersect => "`INTERSECT`", "INTERSECT";
    All => "`ALL`", "ALL";
    Distinct => "`DISTINCT`", "DISTINCT";
    Top => "`TOP`", "TOP";
    With => "`WITH`", "WITH";
    As => "`AS`", "AS";
    On => "`ON`", "ON";
    Using => "`USING`", "USING";
    Join => "`JOIN`", "JOIN";
    Inner => "`INNER`", "INNER";
    Outer => "`OUTER`", "OUTER";
    Left => "`LEFT`", "LEFT";
    Right => "`RIGHT`", "RIGHT";
    Full => "`FULL`", "FULL";
    Natural => "`NATURAL`", "NATURAL";
    And => "`AND`", "AND";
    Or => "`OR`", "OR";
    Not => "`NOT`", "NOT";
    Between => "`BETWEEN`", "BETWEEN";
    In => "`IN`", "IN";
    Like => "`LIKE`", "LIKE";
    Ilike => "`ILIKE`", "ILIKE";
    Is => "`IS`", "IS";
    Null => "`NULL`", "NULL";
    Asc => "`ASC`", "ASC";
    Desc => "`DESC`", "DESC";
    LParen => "`(`", "";
    RParen => "`)`", "";
    Comma => "`,`", "";
    Dot => "`.`", "";
    Star => "`*`", "";
    Semicolon => "`;`", "";
    EndOfInput => "end of input", "";
}

/// A set of [`Expect`]s, as a bit set so that noting an expectation costs nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExpectSet(u128);

impl ExpectSet {
    pub const EMPTY: ExpectSet = ExpectSet(0);

    pub fn with(self, e: Expect) -> ExpectSet {
        ExpectSet(self.0 | 1 << (e as u32))
    }

    pub fn contains(self, e: Expect) -> bool {
        self.0 & (1 << (e as u32)) != 0
    }

    fn iter(self) -> impl Iterator<Item = Expect> {
        Expect::ALL
            .iter()
            .copied()
            .filter(move |e| self.contains(*e))
    }
}

/// A hint noted while parsing, for a failure at a known position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hint {
    /// `WHERE CONTAINS(...)` without a comparison.
    BareGeometryPredicate(&'static str),
    /// `(SELECT ...)` where a value is expected.
    ScalarSubquery,
}

/// Keywords that start or separate clauses: finding one where a name was expected is a structural mistake
/// (a missing item), not a reserved word used as a name.
const STRUCTURAL: [&str; 19] = [
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "HAVING",
    "ORDER",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "AND",
    "OR",
    "ON",
    "JOIN",
    "AS",
    "USING",
    "ASC",
    "DESC",
    "TOP",
];

/// Describes the token found at the failure.
fn describe(tok: Tok<'_>, text: &str) -> String {
    match tok {
        Tok::Eof => "end of input".to_owned(),
        Tok::Str(_) => {
            let shown: String = text.chars().take(24).collect();
            if shown.len() < text.len() {
                format!("string literal `{shown}...`")
            } else {
                format!("string literal `{text}`")
            }
        }
        _ => format!("`{text}`"),
    }
}

/// Joins labels as `a, b or c`.
fn join_labels(labels: &[&str]) -> String {
    match labels {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Builds the error for a failure at `pos`.
pub(crate) fn build_error(
    src: &str,
    pos: usize,
    expected: ExpectSet,
    hint: Option<Hint>,
    opts: &ParseOptions,
) -> ParseError {
    let at = src.get(pos..).unwrap_or_default();
    let at = skip_ws(at);
    let pos = src.len() - at.len();
    let (tok, len) = next_token(at);
    let text = at.get(..len).unwrap_or_default();
    let span = Span::new(pos, pos + len);

    if let Tok::Unterminated(q) = tok {
        let (what, close) = if q == '"' {
            (
                "delimited identifier",
                "add the closing `\"` (write `\"\"` for a quote inside the name)",
            )
        } else {
            (
                "string literal",
                "add the closing `'` (write `''` for a quote inside the string)",
            )
        };
        return ParseError::new(format!("unterminated {what}"), span)
            .with_label(format!("this {what} is never closed"))
            .with_hint(close);
    }

    let mut labels: Vec<&str> = expected.iter().map(|e| e.label()).collect();
    // Keep messages readable: past a handful of alternatives, name the first few.
    let shown = if labels.len() > 6 {
        labels.truncate(6);
        format!("{}, ...", labels.join(", "))
    } else {
        join_labels(&labels)
    };
    let found = describe(tok, text);
    let message = if shown.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {shown}, found {found}")
    };
    let label = if !labels.is_empty() && labels.len() <= 2 {
        format!("expected {}", join_labels(&labels))
    } else {
        format!("unexpected {found}")
    };
    let error = ParseError::new(message, span)
        .with_label(label)
        .with_expected(expected.iter().map(|e| e.label().to_owned()).collect());
    let hint = hint.map(|h| match h {
        Hint::BareGeometryPredicate(name) => format!(
            "{name} returns 1 or 0, not a boolean: compare it, e.g. `1 = {name}(...)` (or `0 = ...` for the negation)"
        ),
        Hint::ScalarSubquery => {
            "ADQL has no scalar subqueries: use `IN (SELECT ...)`, `EXISTS (SELECT ...)` or a join".to_owned()
        }
    });
    let mut error = error;
    error.set_hint_if_none(hint.or_else(|| token_hint(src, pos, tok, text, expected, opts)));
    error
}

/// Reserved words that name functions (a name written bare reads as the start of a call).
fn is_function_word(word: &str) -> bool {
    const SQL_FUNCTIONS: [&str; 13] = [
        "AVG",
        "COUNT",
        "MAX",
        "MIN",
        "SUM",
        "LOWER",
        "UPPER",
        "TRIM",
        "POSITION",
        "SUBSTRING",
        "COALESCE",
        "NULLIF",
        "CAST",
    ];
    crate::keywords::ADQL_RESERVED_WORDS_2_1
        .iter()
        .filter(|w| !matches!(**w, "TOP" | "OFFSET" | "ILIKE" | "BIGINT"))
        .chain(SQL_FUNCTIONS.iter())
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// Hints derived from the token found and its surroundings.
fn token_hint(
    src: &str,
    pos: usize,
    tok: Tok<'_>,
    text: &str,
    expected: ExpectSet,
    opts: &ParseOptions,
) -> Option<String> {
    let before = src.get(..pos).unwrap_or_default().trim_end();
    let wants_name = expected.contains(Expect::Identifier)
        || expected.contains(Expect::ColumnName)
        || expected.contains(Expect::TableName)
        || expected.contains(Expect::Alias)
        || expected.contains(Expect::Expression);
    // The word just before the failure: `FROM t LIMIT 10` reads LIMIT as an alias and fails at `10`.
    let previous_word = before
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or_default();
    if previous_word.eq_ignore_ascii_case("LIMIT") && matches!(tok, Tok::Number(..)) {
        return Some(
            "ADQL has no LIMIT clause: write `SELECT TOP n ...` to limit the number of rows"
                .to_owned(),
        );
    }
    // `SELECT distance FROM t`: a reserved function name, read as the start of a call, with no `(` after it.
    if expected.contains(Expect::LParen)
        && !matches!(tok, Tok::Punct(Punct::LParen))
        && is_reserved(previous_word, opts.version)
        && is_function_word(previous_word)
    {
        return Some(format!(
            "`{previous_word}` is a reserved word in ADQL {} (a function); to use it as a column, table or alias \
             name, write it between double quotes: \"{}\"",
            opts.version,
            previous_word.to_ascii_lowercase()
        ));
    }
    match tok {
        Tok::Quoted("") => Some("a delimited identifier needs at least one character between its quotes".to_owned()),
        Tok::Punct(Punct::Comma) if before.ends_with('*') && expected.contains(Expect::From) => Some(
            "`*` must be the whole select list: name the columns, or qualify it as `t.*`".to_owned(),
        ),
        Tok::Word(w) if w.eq_ignore_ascii_case("LIMIT") => {
            Some("ADQL has no LIMIT clause: write `SELECT TOP n ...` to limit the number of rows".to_owned())
        }
        Tok::Word(w) if expected.contains(Expect::Expression) && w.eq_ignore_ascii_case("SELECT") && before.ends_with('(') => {
            Some("ADQL has no scalar subqueries: use `IN (SELECT ...)`, `EXISTS (SELECT ...)` or a join".to_owned())
        }
        Tok::Word(w)
            if (w.starts_with(['x', 'X']) && before.ends_with('0') && !opts.extensions.hex_literals)
                && w.get(1..).is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit())) =>
        {
            Some("hexadecimal literals are a non-standard extension (enable `Extensions::hex_literals`)".to_owned())
        }
        Tok::Word(w)
            if wants_name
                && is_reserved(w, opts.version)
                && !STRUCTURAL.iter().any(|s| s.eq_ignore_ascii_case(w)) =>
        {
            Some(format!(
                "`{w}` is a reserved word in ADQL {}; to use it as a column, table or alias name, write it between \
                 double quotes: \"{}\"",
                opts.version,
                w.to_ascii_lowercase()
            ))
        }
        Tok::Number(..) if wants_name && src.get(pos + text.len()..).is_some_and(|r| r.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')) => {
            let word: String = src
                .get(pos..)
                .unwrap_or_default()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            Some(format!(
                "a name cannot start with a digit unless it is quoted: write \"{word}\""
            ))
        }
        Tok::Unexpected('_') => {
            let word: String = src
                .get(pos..)
                .unwrap_or_default()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            Some(format!("a name cannot start with `_` unless it is quoted: write \"{word}\""))
        }
        Tok::Unexpected('‘' | '’' | '“' | '”' | '‚' | '„' | '′' | '″' | '´' | '`') => Some(
            "curly or typographic quotes (as pasted from a PDF or word processor) are not ADQL: use straight quotes, \
             `'` for strings and `\"` for delimited identifiers"
                .to_owned(),
        ),
        Tok::Unexpected('%') => Some("ADQL has no `%` operator: use `MOD(x, y)`".to_owned()),
        Tok::Unexpected('!') => Some("write \"not equal\" as `<>` or `!=`; negate conditions with `NOT`".to_owned()),
        Tok::Punct(Punct::Eq | Punct::Lt | Punct::Gt | Punct::NotEq | Punct::LtEq | Punct::GtEq)
            if before.ends_with(['=', '<', '>', '!']) =>
        {
            Some("the comparison operators are `=`, `<>`, `!=`, `<`, `<=`, `>` and `>=` (`==`, `=<` and `=>` are not ADQL)".to_owned())
        }
        Tok::Punct(Punct::Amp | Punct::Pipe | Punct::Caret | Punct::Tilde) if !opts.extensions.bitwise_operators => {
            Some("bitwise operators are a non-standard extension (enable `Extensions::bitwise_operators`)".to_owned())
        }
        Tok::Unexpected(c) if !c.is_ascii() => Some(format!(
            "`{c}` is not an ADQL character: outside string literals and delimited identifiers only ASCII is allowed"
        )),
        _ => None,
    }
}
