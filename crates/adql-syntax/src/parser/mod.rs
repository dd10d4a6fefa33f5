//! The nom parser.
//!
//! Parsers are methods of [`Parser`], which holds the options, the nesting depth and the farthest failure
//! seen so far: like a PEG parser, the error reported is the one at the farthest position any alternative
//! reached, listing everything that would have been accepted there. Recoverable failures are
//! `nom::Err::Error` and carry nothing (the details go to the tracker); errors that no alternative can fix
//! (a disabled feature, too deep nesting, an undeclared function) are `nom::Err::Failure` with a full
//! [`ParseError`].

mod expect;
mod expr;
mod function;
pub(crate) mod lexer;
mod query;

use std::cell::Cell;

use nom::IResult;

use crate::ast::{Ident, Query, Span};
use crate::error::ParseError;
use crate::keywords::is_reserved;
use crate::options::{AdqlVersion, Feature, ParseOptions};
pub(crate) use expect::{Expect, ExpectSet, Hint};
use lexer::{Punct, Tok, next_token, skip_ws};

/// The error type of the nom parsers.
#[derive(Debug)]
pub(crate) enum PErr {
    /// Recoverable: another alternative may match. Details are in [`Parser`]'s tracker.
    Backtrack,
    /// Final.
    Fatal(Box<ParseError>),
}

impl<'a> nom::error::ParseError<&'a str> for PErr {
    fn from_error_kind(_input: &'a str, _kind: nom::error::ErrorKind) -> PErr {
        PErr::Backtrack
    }

    fn append(_input: &'a str, _kind: nom::error::ErrorKind, other: PErr) -> PErr {
        other
    }
}

pub(crate) type PResult<'a, T> = IResult<&'a str, T, PErr>;

/// A token with its position.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lexed<'a> {
    pub tok: Tok<'a>,
    /// Offset of the token's first byte.
    pub start: usize,
    /// The input after the token.
    pub rest: &'a str,
}

impl Lexed<'_> {
    pub fn span(&self, p: &Parser<'_, '_>) -> Span {
        Span::new(self.start, p.offset(self.rest))
    }

    /// Whether this is the keyword `kw` (any case).
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    pub fn is_punct(&self, punct: Punct) -> bool {
        self.tok == Tok::Punct(punct)
    }
}

/// Parser state shared by all the parsing methods.
pub(crate) struct Parser<'a, 'o> {
    src: &'a str,
    opts: &'o ParseOptions,
    depth: Cell<usize>,
    far_pos: Cell<usize>,
    far_expected: Cell<ExpectSet>,
    far_hint: Cell<Option<(usize, Hint)>>,
    last_peek: Cell<Option<(usize, Lexed<'a>)>>,
    /// Address of a local of the parse entry point, to measure how much stack the recursion uses.
    stack_base: usize,
}

/// Stack the parser allows itself, whatever `max_depth` says: parsing stays safe on 2 MiB threads (Rust's
/// default for spawned threads) even in unoptimised builds, where frames are several times larger.
const STACK_BUDGET: usize = 1 << 20;

/// An address in the current stack frame. Only compared, never dereferenced.
#[inline(always)]
fn stack_address() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

/// Leaves one nesting level when dropped.
pub(crate) struct DepthGuard<'p> {
    depth: &'p Cell<usize>,
}

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }
}

impl<'a, 'o> Parser<'a, 'o> {
    pub fn new(src: &'a str, opts: &'o ParseOptions) -> Parser<'a, 'o> {
        Parser {
            src,
            opts,
            depth: Cell::new(0),
            far_pos: Cell::new(0),
            far_expected: Cell::new(ExpectSet::EMPTY),
            far_hint: Cell::new(None),
            last_peek: Cell::new(None),
            stack_base: stack_address(),
        }
    }

    pub fn opts(&self) -> &'o ParseOptions {
        self.opts
    }

    pub fn version(&self) -> AdqlVersion {
        self.opts.version
    }

    /// Byte offset of `rest` in the source.
    pub fn offset(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    /// The next token, past whitespace and comments.
    ///
    /// The parser looks at the same position many times (every optional clause checks for its keyword), so
    /// the last answer is kept: long comments are skipped once, not once per question.
    pub fn peek(&self, i: &'a str) -> Lexed<'a> {
        let at = self.offset(i);
        if let Some((cached_at, lexed)) = self.last_peek.get()
            && cached_at == at
        {
            return lexed;
        }
        let j = skip_ws(i);
        let (tok, len) = next_token(j);
        let lexed = Lexed {
            tok,
            start: self.offset(j),
            rest: j.get(len..).unwrap_or_default(),
        };
        self.last_peek.set(Some((at, lexed)));
        lexed
    }

    /// Offset of the next token.
    pub fn token_start(&self, i: &str) -> usize {
        self.offset(skip_ws(i))
    }

    /// Notes that `what` would have been accepted at `pos`.
    pub fn expected_at(&self, pos: usize, what: Expect) {
        let far = self.far_pos.get();
        if pos > far {
            self.far_pos.set(pos);
            self.far_expected.set(ExpectSet::EMPTY.with(what));
        } else if pos == far {
            self.far_expected.set(self.far_expected.get().with(what));
        }
    }

    /// Notes that `what` would have been accepted before the next token of `i`.
    pub fn expected(&self, i: &str, what: Expect) {
        self.expected_at(self.token_start(i), what);
    }

    /// Records a hint for a failure at `pos`.
    pub fn hint_at(&self, pos: usize, hint: Hint) {
        if pos >= self.far_pos.get() {
            self.far_hint.set(Some((pos, hint)));
        }
    }

    /// A recoverable failure expecting `what` at the next token of `i`.
    pub fn fail<T>(&self, i: &str, what: Expect) -> PResult<'a, T> {
        self.expected(i, what);
        Err(nom::Err::Error(PErr::Backtrack))
    }

    /// A final failure, built by `error` (out of line: recursive parsing functions keep small frames).
    #[cold]
    #[inline(never)]
    pub fn fatal_with<T>(&self, error: impl FnOnce() -> ParseError) -> PResult<'a, T> {
        Err(nom::Err::Failure(PErr::Fatal(Box::new(error()))))
    }

    /// Enters one nesting level, failing when `max_depth` or the stack budget is passed.
    pub fn enter(&self, i: &str) -> Result<DepthGuard<'_>, nom::Err<PErr>> {
        let depth = self.depth.get() + 1;
        let too_deep = depth > self.opts.max_depth;
        if too_deep || self.stack_base.abs_diff(stack_address()) > STACK_BUDGET {
            let pos = self.token_start(i);
            let (tok, len) = next_token(skip_ws(i));
            let end = if tok == Tok::Eof { pos } else { pos + len };
            let max = self.opts.max_depth;
            return Err(fatal_err_with(|| {
                let message = if too_deep {
                    format!("the query is nested too deeply (more than {max} levels)")
                } else {
                    "the query is nested too deeply (the parser's stack budget is exhausted)"
                        .to_owned()
                };
                ParseError::new(message, Span::new(pos, end))
                    .with_label("nesting limit reached here")
                    .with_hint("simplify the query, or raise `ParseOptions::max_depth`")
            }));
        }
        self.depth.set(depth);
        Ok(DepthGuard { depth: &self.depth })
    }

    /// Consumes the keyword `kw` or fails expecting it.
    pub fn kw(&self, i: &'a str, kw: Expect) -> PResult<'a, Span> {
        let t = self.peek(i);
        if t.is_kw(kw.keyword()) {
            Ok((t.rest, t.span(self)))
        } else {
            self.fail(i, kw)
        }
    }

    /// Consumes the keyword `kw` if present (noting it as expected otherwise).
    pub fn opt_kw(&self, i: &'a str, kw: Expect) -> (&'a str, Option<Span>) {
        let t = self.peek(i);
        if t.is_kw(kw.keyword()) {
            (t.rest, Some(t.span(self)))
        } else {
            self.expected_at(t.start, kw);
            (i, None)
        }
    }

    /// Consumes the punctuation `p` or fails expecting it.
    pub fn punct(&self, i: &'a str, p: Punct, what: Expect) -> PResult<'a, Span> {
        let t = self.peek(i);
        if t.is_punct(p) {
            Ok((t.rest, t.span(self)))
        } else {
            self.fail(i, what)
        }
    }

    /// Consumes `p` if present (noting it as expected otherwise).
    pub fn opt_punct(&self, i: &'a str, p: Punct, what: Expect) -> (&'a str, Option<Span>) {
        let t = self.peek(i);
        if t.is_punct(p) {
            (t.rest, Some(t.span(self)))
        } else {
            self.expected_at(t.start, what);
            (i, None)
        }
    }

    /// Whether `word` is reserved in the version being parsed.
    pub fn is_reserved(&self, word: &str) -> bool {
        is_reserved(word, self.opts.version)
    }

    /// An identifier: a regular one that is not reserved, or a delimited one.
    pub fn ident(&self, i: &'a str, what: Expect) -> PResult<'a, Ident> {
        let t = self.peek(i);
        match t.tok {
            Tok::Word(w) if !self.is_reserved(w) => Ok((
                t.rest,
                Ident {
                    value: w.to_owned(),
                    quoted: false,
                    span: t.span(self),
                },
            )),
            Tok::Quoted(raw) if !raw.is_empty() => Ok((
                t.rest,
                Ident {
                    value: unescape(raw, '"'),
                    quoted: true,
                    span: t.span(self),
                },
            )),
            _ => self.fail(i, what),
        }
    }

    /// Fails unless `feature` is available, naming the construct `what` that needs it.
    pub fn require(
        &self,
        feature: Feature,
        since_2_1: bool,
        what: &str,
        span: Span,
    ) -> Result<(), nom::Err<PErr>> {
        if since_2_1 && self.opts.version == AdqlVersion::V2_0 {
            return Err(nom::Err::Failure(PErr::Fatal(Box::new(
                ParseError::new(format!("{what} is not supported in ADQL 2.0"), span)
                    .with_label("ADQL 2.1 only")
                    .with_hint(
                        "this construct was introduced in ADQL 2.1; parse the query as ADQL 2.1",
                    ),
            ))));
        }
        if !self.opts.features.contains(feature) {
            return Err(nom::Err::Failure(PErr::Fatal(Box::new(
                ParseError::new(format!("{what} is not supported by this service"), span)
                    .with_label("optional feature not declared")
                    .with_hint(format!(
                        "{what} is the optional ADQL feature `{}` of type {}, which the service does not declare",
                        feature.form(),
                        feature.type_ivoid()
                    )),
            ))));
        }
        Ok(())
    }

    /// Fails in ADQL 2.0 mode, naming the construct.
    pub fn require_2_1(&self, what: &str, span: Span) -> Result<(), nom::Err<PErr>> {
        if self.opts.version == AdqlVersion::V2_0 {
            return Err(nom::Err::Failure(PErr::Fatal(Box::new(
                ParseError::new(format!("{what} is not supported in ADQL 2.0"), span)
                    .with_label("ADQL 2.1 only")
                    .with_hint(
                        "this construct was introduced in ADQL 2.1; parse the query as ADQL 2.1",
                    ),
            ))));
        }
        Ok(())
    }

    /// The error to report after a recoverable failure: the farthest one.
    fn farthest_error(&self) -> ParseError {
        let pos = self.far_pos.get();
        let expected = self.far_expected.get();
        let hint = self
            .far_hint
            .get()
            .filter(|(p, _)| *p == pos)
            .map(|(_, h)| h);
        expect::build_error(self.src, pos, expected, hint, self.opts)
    }
}

/// A final failure as a nom error, built out of line.
#[cold]
#[inline(never)]
pub(crate) fn fatal_err_with(error: impl FnOnce() -> ParseError) -> nom::Err<PErr> {
    nom::Err::Failure(PErr::Fatal(Box::new(error())))
}

/// Removes the doubling of `quote` inside a quoted token.
pub(crate) fn unescape(raw: &str, quote: char) -> String {
    let (doubled, single) = if quote == '"' {
        ("\"\"", "\"")
    } else {
        ("''", "'")
    };
    if raw.contains(doubled) {
        raw.replace(doubled, single)
    } else {
        raw.to_owned()
    }
}

/// Parses a whole query.
pub(crate) fn parse_query(src: &str, opts: &ParseOptions) -> Result<Query, ParseError> {
    let p = Parser::new(src, opts);
    match p.top_query(src) {
        Ok((_, q)) => Ok(q),
        Err(nom::Err::Failure(PErr::Fatal(e)) | nom::Err::Error(PErr::Fatal(e))) => Err(*e),
        Err(
            nom::Err::Error(PErr::Backtrack)
            | nom::Err::Failure(PErr::Backtrack)
            | nom::Err::Incomplete(_),
        ) => Err(p.farthest_error()),
    }
}

/// Counts the length of an operator chain (`a + b + c ...`, `x AND y AND ...`) as nesting, since the tree it
/// builds is that deep; restores the depth when dropped.
pub(crate) struct Chain<'p> {
    depth: &'p Cell<usize>,
    base: usize,
}

impl Drop for Chain<'_> {
    fn drop(&mut self) {
        self.depth.set(self.base);
    }
}

impl Parser<'_, '_> {
    /// Starts counting an operator chain.
    pub fn chain(&self) -> Chain<'_> {
        Chain {
            depth: &self.depth,
            base: self.depth.get(),
        }
    }

    /// One more link of `chain`.
    pub fn step(&self, _chain: &Chain<'_>, i: &str) -> Result<(), nom::Err<PErr>> {
        let guard = self.enter(i)?;
        // The chain's drop restores the depth for all its links at once.
        std::mem::forget(guard);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
