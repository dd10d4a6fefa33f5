//! The token layer beneath the nom parsers: whitespace and comments, and one token at a time.
//!
//! Tokens borrow from the input; nothing here allocates.

use crate::ast::NumberKind;

/// Whether `b` is ADQL whitespace.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Skips whitespace and `--` comments (which run to the end of the line or of the input).
pub(crate) fn skip_ws(mut i: &str) -> &str {
    loop {
        let trimmed = i.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
        if let Some(comment) = trimmed.strip_prefix("--") {
            i = match comment.find('\n') {
                Some(nl) => comment.get(nl + 1..).unwrap_or_default(),
                None => "",
            };
        } else {
            return trimmed;
        }
    }
}

/// A punctuation or operator token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Punct {
    LParen,
    RParen,
    Comma,
    Dot,
    Star,
    Plus,
    Minus,
    Slash,
    Concat,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Semicolon,
    Amp,
    Pipe,
    Caret,
    Tilde,
}

/// One token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// A letter then letters, digits and `_`: a keyword or a regular identifier.
    Word(&'a str),
    /// A delimited identifier; the text between the quotes, `""` escapes still in.
    Quoted(&'a str),
    /// A string literal; the text between the quotes, `''` escapes still in.
    Str(&'a str),
    /// An unsigned numeric literal.
    Number(&'a str, NumberKind),
    /// Punctuation.
    Punct(Punct),
    /// A string literal or delimited identifier without its closing quote.
    Unterminated(char),
    /// A character that starts no token.
    Unexpected(char),
    /// The end of the input.
    Eof,
}

/// Scans an unsigned numeric literal at the start of `text`: its length and form.
pub(crate) fn scan_number(text: &str) -> Option<(usize, NumberKind)> {
    let b = text.as_bytes();
    let digits = |from: usize| {
        b.get(from..)
            .map_or(0, |s| s.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    let int = digits(0);
    let mut len = int;
    let mut kind = NumberKind::Integer;
    if b.get(len) == Some(&b'.') {
        let frac = digits(len + 1);
        if int == 0 && frac == 0 {
            return None;
        }
        len += 1 + frac;
        kind = NumberKind::Decimal;
    } else if int == 0 {
        return None;
    }
    if matches!(b.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(len + 1), Some(b'+' | b'-')));
        let exp = digits(len + 1 + sign);
        if exp > 0 {
            len += 1 + sign + exp;
            kind = NumberKind::Approximate;
        }
    }
    Some((len, kind))
}

/// Length of the quoted token starting at `i` (whose first byte is `quote`), closing quote included, or
/// `None` if it never closes. A doubled quote is an escaped one.
fn scan_quoted(i: &str, quote: u8) -> Option<usize> {
    let b = i.as_bytes();
    let mut pos = 1;
    loop {
        let rel = memchr_byte(quote, b.get(pos..)?)?;
        pos += rel + 1;
        if b.get(pos) == Some(&quote) {
            pos += 1;
        } else {
            return Some(pos);
        }
    }
}

fn memchr_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

/// Splits the next token off `i`, which must already be past whitespace. Returns the token and its length.
pub(crate) fn next_token(i: &str) -> (Tok<'_>, usize) {
    let b = i.as_bytes();
    let Some(&first) = b.first() else {
        return (Tok::Eof, 0);
    };
    match first {
        b'A'..=b'Z' | b'a'..=b'z' => {
            let len = b
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            (Tok::Word(i.get(..len).unwrap_or_default()), len)
        }
        b'0'..=b'9' | b'.' => match scan_number(i) {
            Some((len, kind)) => (Tok::Number(i.get(..len).unwrap_or_default(), kind), len),
            None => (Tok::Punct(Punct::Dot), 1),
        },
        b'\'' | b'"' => match scan_quoted(i, first) {
            Some(len) => {
                let inner = i.get(1..len - 1).unwrap_or_default();
                (
                    if first == b'"' {
                        Tok::Quoted(inner)
                    } else {
                        Tok::Str(inner)
                    },
                    len,
                )
            }
            None => (Tok::Unterminated(first as char), 1),
        },
        _ => {
            let two = b.get(1).copied();
            let (p, len) = match (first, two) {
                (b'(', _) => (Punct::LParen, 1),
                (b')', _) => (Punct::RParen, 1),
                (b',', _) => (Punct::Comma, 1),
                (b'*', _) => (Punct::Star, 1),
                (b'+', _) => (Punct::Plus, 1),
                (b'-', _) => (Punct::Minus, 1),
                (b'/', _) => (Punct::Slash, 1),
                (b'|', Some(b'|')) => (Punct::Concat, 2),
                (b'|', _) => (Punct::Pipe, 1),
                (b'=', _) => (Punct::Eq, 1),
                (b'!', Some(b'=')) => (Punct::NotEq, 2),
                (b'<', Some(b'>')) => (Punct::NotEq, 2),
                (b'<', Some(b'=')) => (Punct::LtEq, 2),
                (b'<', _) => (Punct::Lt, 1),
                (b'>', Some(b'=')) => (Punct::GtEq, 2),
                (b'>', _) => (Punct::Gt, 1),
                (b';', _) => (Punct::Semicolon, 1),
                (b'&', _) => (Punct::Amp, 1),
                (b'^', _) => (Punct::Caret, 1),
                (b'~', _) => (Punct::Tilde, 1),
                _ => {
                    let c = i.chars().next().unwrap_or('\u{fffd}');
                    return (Tok::Unexpected(c), c.len_utf8());
                }
            };
            (Tok::Punct(p), len)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn tokens(mut i: &str) -> Vec<Tok<'_>> {
        let mut out = Vec::new();
        loop {
            i = skip_ws(i);
            let (t, len) = next_token(i);
            if t == Tok::Eof {
                return out;
            }
            out.push(t);
            i = &i[len..];
        }
    }

    #[test]
    fn numbers_in_every_form() {
        for (text, kind) in [
            ("12", NumberKind::Integer),
            ("12.", NumberKind::Decimal),
            ("12.3", NumberKind::Decimal),
            (".5", NumberKind::Decimal),
            ("1.2E-6", NumberKind::Approximate),
            ("10e3", NumberKind::Approximate),
            ("1.e+2", NumberKind::Approximate),
        ] {
            assert_eq!(scan_number(text), Some((text.len(), kind)), "{text}");
        }
        assert_eq!(scan_number("2desc"), Some((1, NumberKind::Integer)));
        assert_eq!(scan_number("1e"), Some((1, NumberKind::Integer)));
        assert_eq!(scan_number("."), None);
        assert_eq!(scan_number("x"), None);
    }

    #[test]
    fn tokens_separate_where_the_standard_says() {
        assert_eq!(
            tokens("2desc"),
            [Tok::Number("2", NumberKind::Integer), Tok::Word("desc")]
        );
        assert_eq!(tokens("selectxfrom"), [Tok::Word("selectxfrom")]);
        assert_eq!(
            tokens("a!=b--c\nd<>e"),
            [
                Tok::Word("a"),
                Tok::Punct(Punct::NotEq),
                Tok::Word("b"),
                Tok::Word("d"),
                Tok::Punct(Punct::NotEq),
                Tok::Word("e")
            ]
        );
        assert_eq!(
            tokens("'it''s' \"a\"\"b\""),
            [Tok::Str("it''s"), Tok::Quoted("a\"\"b")]
        );
        assert_eq!(
            tokens("'open"),
            [Tok::Unterminated('\''), Tok::Word("open")]
        );
        assert_eq!(tokens("x -- trailing"), [Tok::Word("x")]);
        assert_eq!(tokens("‘x’").first(), Some(&Tok::Unexpected('‘')));
    }
}
