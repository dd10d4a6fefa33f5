//! A recursive-descent parser for VOUnit strings.
//!
//! ```text
//! unit     := product
//! product  := factor { ('.' | '*' | ' ' | '/') factor }     -- '/' divides by the next factor only
//! factor   := primary [ ('**' | '^') exponent | signed-integer-suffix ]
//! primary  := '(' product ')' | number | symbol
//! exponent := signed-number | '(' signed-number [ '/' integer ] ')'
//! ```

use super::{Unit, UnitError, symbols};

pub(super) fn parse(text: &str) -> Result<Unit, UnitError> {
    let mut parser = Parser { text, pos: 0 };
    parser.skip_spaces();
    if parser.at_end() {
        return Err(parser.syntax("empty unit string"));
    }
    // CDS writes a pure number as "---"; it would otherwise read as three minus signs.
    if text.trim() == "---" {
        return Ok(Unit::one());
    }
    let unit = parser.product()?;
    parser.skip_spaces();
    if !parser.at_end() {
        return Err(parser.syntax("unexpected character"));
    }
    Ok(unit)
}

/// What a primary was, which decides what may follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Primary {
    Group,
    Number,
    Symbol,
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn bump(&mut self, c: char) {
        self.pos += c.len_utf8();
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(' ') {
            self.bump(' ');
        }
    }

    fn syntax(&self, message: &str) -> UnitError {
        UnitError::Syntax {
            unit: self.text.to_owned(),
            position: self.pos,
            message: message.to_owned(),
        }
    }

    fn product(&mut self) -> Result<Unit, UnitError> {
        let (mut unit, mut after_number) = self.factor()?;
        loop {
            let before_spaces = self.pos;
            self.skip_spaces();
            let divide = match self.peek() {
                Some('/') => true,
                Some('.' | '*') if !self.rest().starts_with("**") => false,
                // A space alone multiplies, unless it ends the group or the string; so does a symbol glued to a
                // scale factor (`1e-3Jy`).
                Some(c)
                    if (self.pos > before_spaces && c != ')')
                        || (after_number && c.is_ascii_alphabetic()) =>
                {
                    let (operand, is_number) = self.factor()?;
                    unit = unit.multiply(&operand);
                    after_number = is_number;
                    continue;
                }
                _ => {
                    self.pos = before_spaces;
                    return Ok(unit);
                }
            };
            self.pos += 1;
            self.skip_spaces();
            let (operand, is_number) = self.factor()?;
            after_number = is_number;
            unit = if divide {
                unit.divide(&operand)
            } else {
                unit.multiply(&operand)
            };
        }
    }

    /// A factor and whether it is a bare number.
    fn factor(&mut self) -> Result<(Unit, bool), UnitError> {
        let (base, kind) = self.primary()?;
        if self.eat("**") || self.eat("^") {
            let exponent = self.exponent()?;
            return Ok((base.powf(exponent), kind == Primary::Number));
        }
        let is_symbol = kind == Primary::Symbol;
        // The CDS form `cm-2`, `s-1`, `m2`: an integer glued to a symbol.
        if is_symbol && matches!(self.peek(), Some('0'..='9' | '+' | '-')) {
            let start = self.pos;
            let exponent = self.signed_integer()?;
            return Ok(match exponent {
                Some(exponent) => (base.powf(exponent), false),
                None => {
                    self.pos = start;
                    (base, false)
                }
            });
        }
        Ok((base, kind == Primary::Number))
    }

    fn primary(&mut self) -> Result<(Unit, Primary), UnitError> {
        match self.peek() {
            Some('(') => {
                self.bump('(');
                self.skip_spaces();
                let inner = self.product()?;
                self.skip_spaces();
                if !self.eat(")") {
                    return Err(self.syntax("expected ')'"));
                }
                Ok((inner, Primary::Group))
            }
            Some('0'..='9') => {
                let value = self.number()?;
                Ok((Unit::one().scaled(value), Primary::Number))
            }
            Some(c) if c.is_ascii_alphabetic() || c == '%' => {
                let start = self.pos;
                if c == '%' {
                    self.bump('%');
                } else {
                    while matches!(self.peek(), Some(c) if c.is_ascii_alphabetic()) {
                        self.pos += 1;
                    }
                }
                let name = self.text.get(start..self.pos).unwrap_or_default();
                let unit = symbols::lookup(name).ok_or_else(|| UnitError::UnknownSymbol {
                    unit: self.text.to_owned(),
                    symbol: name.to_owned(),
                })?;
                Ok((unit, Primary::Symbol))
            }
            Some(_) => Err(self.syntax("expected a unit symbol, a number or '('")),
            None => Err(self.syntax("unexpected end of the unit string")),
        }
    }

    /// An unsigned decimal number with an optional exponent (`10`, `1.5`, `1e-3`).
    fn number(&mut self) -> Result<f64, UnitError> {
        let start = self.pos;
        while matches!(self.peek(), Some('0'..='9' | '.')) {
            self.pos += 1;
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let mark = self.pos;
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            if matches!(self.peek(), Some('0'..='9')) {
                while matches!(self.peek(), Some('0'..='9')) {
                    self.pos += 1;
                }
            } else {
                // Not an exponent after all (e.g. `1erg`): leave the letter to the symbol parser.
                self.pos = mark;
            }
        }
        let digits = self.text.get(start..self.pos).unwrap_or_default();
        digits.parse::<f64>().map_err(|_| UnitError::Syntax {
            unit: self.text.to_owned(),
            position: start,
            message: "malformed number".to_owned(),
        })
    }

    /// An optionally signed integer; `None` when no digit follows the sign.
    fn signed_integer(&mut self) -> Result<Option<f64>, UnitError> {
        let start = self.pos;
        if matches!(self.peek(), Some('+' | '-')) {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while matches!(self.peek(), Some('0'..='9')) {
            self.pos += 1;
        }
        if self.pos == digits_start {
            return Ok(None);
        }
        let text = self.text.get(start..self.pos).unwrap_or_default();
        text.parse::<i32>()
            .map(|v| Some(f64::from(v)))
            .map_err(|_| self.syntax("exponent out of range"))
    }

    /// A signed number, or a parenthesised signed number or fraction.
    fn exponent(&mut self) -> Result<f64, UnitError> {
        if self.eat("(") {
            self.skip_spaces();
            let negative = self.eat("-");
            if !negative {
                self.eat("+");
            }
            if !matches!(self.peek(), Some('0'..='9')) {
                return Err(self.syntax("expected a number in the exponent"));
            }
            let mut value = self.number()?;
            self.skip_spaces();
            if self.eat("/") {
                self.skip_spaces();
                if !matches!(self.peek(), Some('0'..='9')) {
                    return Err(self.syntax("expected the denominator of the exponent"));
                }
                let denominator = self.number()?;
                if denominator == 0.0 {
                    return Err(self.syntax("zero denominator in the exponent"));
                }
                value /= denominator;
            }
            self.skip_spaces();
            if !self.eat(")") {
                return Err(self.syntax("expected ')' after the exponent"));
            }
            return Ok(if negative { -value } else { value });
        }
        let negative = self.eat("-");
        if !negative {
            self.eat("+");
        }
        if !matches!(self.peek(), Some('0'..='9')) {
            return Err(self.syntax("expected an exponent"));
        }
        let value = self.number()?;
        Ok(if negative { -value } else { value })
    }
}
