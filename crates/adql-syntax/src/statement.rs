//! Where a statement ends in text typed line by line (the `adql` shell reads until a query is complete).

use crate::parser::lexer::{Punct, Tok, next_token, skip_ws};

/// The byte offset of the `;` that ends the first statement of `text`: the first semicolon outside string
/// literals, delimited identifiers and `--` comments. `None` while the statement goes on (no such semicolon
/// yet, or a string or delimited identifier still open).
///
/// ```
/// assert_eq!(adql_syntax::statement_end("SELECT ';' FROM t; x"), Some(17));
/// assert_eq!(adql_syntax::statement_end("SELECT 'a;"), None);
/// assert_eq!(adql_syntax::statement_end("SELECT 1 -- ;\n"), None);
/// ```
pub fn statement_end(text: &str) -> Option<usize> {
    let mut rest = text;
    loop {
        rest = skip_ws(rest);
        let (token, len) = next_token(rest);
        match token {
            Tok::Eof | Tok::Unterminated(_) => return None,
            Tok::Punct(Punct::Semicolon) => return Some(text.len() - rest.len()),
            _ => rest = rest.get(len..)?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_in_strings_identifiers_and_comments_do_not_end_a_statement() {
        assert_eq!(statement_end(""), None);
        assert_eq!(statement_end("SELECT 1"), None);
        assert_eq!(statement_end("SELECT 1;"), Some(8));
        assert_eq!(statement_end("SELECT 'it''s;' ;"), Some(16));
        assert_eq!(statement_end("SELECT \"a;b\" FROM t\n;"), Some(20));
        assert_eq!(statement_end("SELECT 1 -- a;b\n FROM t;"), Some(23));
        assert_eq!(statement_end("SELECT \"open;"), None);
        assert_eq!(statement_end("SELECT 'é;' , ü;"), Some(17));
    }
}
