//! The one place where errors become text for people.
//!
//! A query that does not parse is shown as the parser renders it, in the style of rustc (`error: ...`, then
//! `--> file:line:column`, the source line with a caret under the culprit, what was expected, and a `help:`
//! hint when there is one). Every other error is one line prefixed `adql: `.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::Error;

/// Writes `err` on stderr and returns the exit code it maps to.
pub(crate) fn print_error(err: &Error) -> ExitCode {
    // Nothing sensible is left to do if stderr itself is closed.
    let _ = io::stderr().lock().write_all(render(err).as_bytes());
    ExitCode::from(err.exit_code())
}

/// The text [`print_error`] writes, ending with a newline.
pub(crate) fn render(err: &Error) -> String {
    let mut text = match err {
        Error::Syntax(syntax) => syntax.error.render(&syntax.text, &syntax.origin),
        Error::Engine(failure) => match &failure.error {
            // A remote part failed while the query ran: the service's error names the service, its URL
            // and the ADQL sent; a position in the user's query would not help.
            adql_engine::EngineError::Execution(error) => match crate::error::remote_cause(error) {
                Some(remote) => format!("adql: {remote}"),
                None => failure.error.render(&failure.text, &failure.origin),
            },
            other => other.render(&failure.text, &failure.origin),
        },
        other => format!("adql: {other}"),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::error::SyntaxError;

    #[test]
    fn a_syntax_error_is_the_parsers_diagnostic_with_the_origin() {
        let text = "SELECT a\nFROM t WHERE\n".to_owned();
        let error = adql_syntax::parse(&text).unwrap_err();
        let expected = error.render(&text, "q.adql");
        let rendered = render(&Error::Syntax(Box::new(SyntaxError {
            origin: "q.adql".into(),
            text,
            error,
        })));
        assert_eq!(rendered, expected);
        assert!(rendered.contains("--> q.adql:"), "{rendered}");
        assert!(rendered.contains('^'), "{rendered}");
    }

    #[test]
    fn other_errors_are_one_line_prefixed_with_the_program_name() {
        let err = Error::Input {
            origin: "q.adql".into(),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        let rendered = render(&err);
        assert!(
            rendered.starts_with("adql: cannot read q.adql: "),
            "{rendered}"
        );
        assert!(
            rendered.ends_with('\n') && rendered.lines().count() == 1,
            "{rendered}"
        );
    }
}
