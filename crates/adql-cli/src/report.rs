//! The one place where errors become text for people.
//!
//! Every error starts `adql: error: `. One with a position in the query (a syntax error, an unknown
//! column, a type error) is then drawn by [`Diagnostic`] in the style of rustc: `--> file:line:column`,
//! the source line with a caret under the culprit, notes and a `help:` hint when there is one. A remote
//! failure names the service, its URL and the ADQL it was sent.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::Error;
use crate::diagnostic::Diagnostic;

/// Writes `err` on stderr and returns the exit code it maps to.
pub(crate) fn print_error(err: &Error) -> ExitCode {
    // Nothing sensible is left to do if stderr itself is closed.
    let _ = io::stderr().lock().write_all(render(err).as_bytes());
    ExitCode::from(err.exit_code())
}

/// A query that is not standard ADQL but is sent anyway (`adql tap` without `--strict`): the diagnostic as
/// a warning, then what happens next.
pub(crate) fn print_warning(err: &Error) {
    let text = render(err).replacen("adql: error: ", "adql: warning: ", 1);
    let _ = writeln!(
        io::stderr().lock(),
        "{text}  = note: sent as written: services accept their own dialects (--strict stops here)"
    );
}

/// The text [`print_error`] writes, ending with a newline.
pub(crate) fn render(err: &Error) -> String {
    let mut text = match err {
        Error::Syntax(syntax) => {
            Diagnostic::from_parse(&syntax.error).render(&syntax.text, &syntax.origin)
        }
        Error::Engine(failure) => match &failure.error {
            // A remote part failed while the query ran: the service's error names the service, its URL
            // and the ADQL sent; a position in the user's query would not help.
            adql_engine::EngineError::Execution(error) => match crate::error::remote_cause(error) {
                Some(remote) => format!("adql: error: {remote}"),
                None => {
                    Diagnostic::from_engine(&failure.error).render(&failure.text, &failure.origin)
                }
            },
            other => Diagnostic::from_engine(other).render(&failure.text, &failure.origin),
        },
        // Not a mistake to explain: the user asked to stop.
        Error::Interrupted => "adql: interrupted".to_owned(),
        other => format!("adql: error: {other}"),
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
    fn a_syntax_error_is_drawn_with_its_origin() {
        let text = "SELECT a\nFROM t WHERE\n".to_owned();
        let error = adql_syntax::parse(&text).unwrap_err();
        let rendered = render(&Error::Syntax(Box::new(SyntaxError {
            origin: "q.adql".into(),
            text,
            error,
        })));
        assert!(rendered.starts_with("adql: error: "), "{rendered}");
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
            rendered.starts_with("adql: error: cannot read q.adql: "),
            "{rendered}"
        );
        assert!(
            rendered.ends_with('\n') && rendered.lines().count() == 1,
            "{rendered}"
        );
    }
}
