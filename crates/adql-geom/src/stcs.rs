//! STC-S text for [`Region`]: a [`FromStr`] parser and a [`Display`](std::fmt::Display) printer.
//!
//! The subset is TAP 1.0 §6 for regions: `Position`, `Circle`, `Box`, `Polygon`, `Union`, `Intersection`
//! and `Not`, each optionally followed by a frame (`ICRS`, `FK5`, `GALACTIC`, `UNKNOWNFrame`, ...), a
//! reference position (`BARYCENTER`, `GEOCENTER`, ...) and the flavor `SPHERICAL2`, then the coordinates
//! in degrees and optionally `unit deg`. Keywords are case-insensitive; `Point` is accepted for `Position`.
//! Printing gives the canonical spelling, and parsing what is printed gives back an equal region.

use std::fmt;
use std::str::FromStr;

use crate::circle::Circle;
use crate::error::{GeomError, Result};
use crate::point::Point;
use crate::polygon::Polygon;
use crate::region::{CoordSys, Frame, RefPos, Region, RegionKind, SkyBox};

impl FromStr for Region {
    type Err = GeomError;

    /// Parses an STC-S region.
    ///
    /// # Errors
    /// [`GeomError::Stcs`] with the 1-based column of the offending token, or the geometry errors of the
    /// shape constructors (e.g. a latitude out of range) reported at the column of the shape keyword.
    fn from_str(s: &str) -> Result<Self> {
        let mut parser = Parser {
            tokens: tokenize(s),
            pos: 0,
            end_column: s.chars().count() + 1,
        };
        let region = parser.region()?;
        match parser.peek() {
            None => Ok(region),
            Some(t) => Err(parser.error_at(
                t.column,
                format!("unexpected '{}' after the region", t.text),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    column: usize,
}

fn tokenize(s: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    for (column, (byte, ch)) in s.char_indices().enumerate() {
        let column = column + 1;
        let is_paren = ch == '(' || ch == ')';
        if ch.is_whitespace() || is_paren {
            if let Some((b, c)) = start.take() {
                tokens.push(Token {
                    text: &s[b..byte],
                    column: c,
                });
            }
            if is_paren {
                tokens.push(Token {
                    text: &s[byte..byte + 1],
                    column,
                });
            }
        } else if start.is_none() {
            start = Some((byte, column));
        }
    }
    if let Some((b, c)) = start {
        tokens.push(Token {
            text: &s[b..],
            column: c,
        });
    }
    tokens
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    pos: usize,
    end_column: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let t = self.peek();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn column(&self) -> usize {
        self.peek().map_or(self.end_column, |t| t.column)
    }

    fn error_at(&self, column: usize, message: String) -> GeomError {
        GeomError::Stcs { column, message }
    }

    fn region(&mut self) -> Result<Region> {
        let Some(kw) = self.next() else {
            return Err(self.error_at(
                self.end_column,
                "expected a region (Position, Circle, Box, Polygon, Union, Intersection, Not)"
                    .into(),
            ));
        };
        let keyword = kw.text.to_ascii_lowercase();
        let coordsys = self.coordsys()?;
        let shape_error = |e: GeomError| match e {
            GeomError::Stcs { .. } => e,
            other => GeomError::Stcs {
                column: kw.column,
                message: other.to_string(),
            },
        };
        let kind = match keyword.as_str() {
            "position" | "point" => {
                let [lon, lat] = self.numbers::<2>()?;
                RegionKind::Point(Point::new(lon, lat).map_err(shape_error)?)
            }
            "circle" => {
                let [lon, lat, r] = self.numbers::<3>()?;
                RegionKind::Circle(Circle::from_degrees(lon, lat, r).map_err(shape_error)?)
            }
            "box" => {
                let [lon, lat, w, h] = self.numbers::<4>()?;
                let center = Point::new(lon, lat).map_err(shape_error)?;
                RegionKind::Box(SkyBox::new(center, w, h).map_err(shape_error)?)
            }
            "polygon" => {
                let mut coords = Vec::new();
                while let Some(t) = self.peek() {
                    match t.text.parse::<f64>() {
                        Ok(v) => {
                            coords.push(v);
                            self.pos += 1;
                        }
                        Err(_) => break,
                    }
                }
                if coords.len() < 6 {
                    return Err(self.error_at(
                        self.column(),
                        format!(
                            "a Polygon needs at least 3 (lon, lat) pairs, got {} numbers",
                            coords.len()
                        ),
                    ));
                }
                RegionKind::Polygon(Polygon::from_flat_degrees(&coords).map_err(shape_error)?)
            }
            "union" | "intersection" => {
                let members = self.members()?;
                if members.len() < 2 {
                    return Err(
                        self.error_at(kw.column, format!("{} needs at least 2 regions", kw.text))
                    );
                }
                if keyword == "union" {
                    RegionKind::Union(members)
                } else {
                    RegionKind::Intersection(members)
                }
            }
            "not" => {
                let mut members = self.members()?;
                match (members.pop(), members.is_empty()) {
                    (Some(only), true) => RegionKind::Not(Box::new(only)),
                    _ => {
                        return Err(self.error_at(kw.column, "Not takes exactly one region".into()));
                    }
                }
            }
            _ => {
                return Err(self.error_at(kw.column, format!("expected a region (Position, Circle, Box, Polygon, Union, Intersection, Not), found '{}'", kw.text)));
            }
        };
        if matches!(
            kind,
            RegionKind::Point(_)
                | RegionKind::Circle(_)
                | RegionKind::Box(_)
                | RegionKind::Polygon(_)
        ) {
            self.unit()?;
        }
        Ok(Region { coordsys, kind })
    }

    fn coordsys(&mut self) -> Result<CoordSys> {
        let mut cs = CoordSys::default();
        if let Some(frame) = self.peek().and_then(|t| Frame::parse(t.text)) {
            cs.frame = Some(frame);
            self.pos += 1;
        }
        if let Some(refpos) = self.peek().and_then(|t| RefPos::parse(t.text)) {
            cs.refpos = Some(refpos);
            self.pos += 1;
        }
        if let Some(t) = self.peek() {
            match t.text.to_ascii_uppercase().as_str() {
                "SPHERICAL2" => {
                    cs.spherical2 = true;
                    self.pos += 1;
                }
                "CARTESIAN2" | "CARTESIAN3" => {
                    return Err(self.error_at(
                        t.column,
                        format!("flavor {} is not supported; only SPHERICAL2 is", t.text),
                    ));
                }
                _ => {}
            }
        }
        Ok(cs)
    }

    fn numbers<const N: usize>(&mut self) -> Result<[f64; N]> {
        let mut out = [0.0; N];
        for (i, slot) in out.iter_mut().enumerate() {
            let column = self.column();
            let t = self
                .next()
                .ok_or_else(|| self.error_at(column, format!("expected {N} numbers, got {i}")))?;
            *slot = t.text.parse().map_err(|_| {
                self.error_at(t.column, format!("expected a number, found '{}'", t.text))
            })?;
        }
        Ok(out)
    }

    fn members(&mut self) -> Result<Vec<Region>> {
        match self.next() {
            Some(t) if t.text == "(" => {}
            Some(t) => {
                return Err(self.error_at(t.column, format!("expected '(', found '{}'", t.text)));
            }
            None => return Err(self.error_at(self.end_column, "expected '('".into())),
        }
        let mut members = Vec::new();
        loop {
            match self.peek() {
                Some(t) if t.text == ")" => {
                    self.pos += 1;
                    return Ok(members);
                }
                Some(_) => members.push(self.region()?),
                None => return Err(self.error_at(self.end_column, "expected ')'".into())),
            }
        }
    }

    fn unit(&mut self) -> Result<()> {
        if self
            .peek()
            .is_some_and(|t| t.text.eq_ignore_ascii_case("unit"))
        {
            self.pos += 1;
            match self.next() {
                Some(t) if t.text.eq_ignore_ascii_case("deg") => {}
                Some(t) => {
                    return Err(self.error_at(
                        t.column,
                        format!("unit '{}' is not supported; use deg", t.text),
                    ));
                }
                None => {
                    return Err(
                        self.error_at(self.end_column, "expected a unit after 'unit'".into())
                    );
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match &self.kind {
            RegionKind::Point(_) => "Position",
            RegionKind::Circle(_) => "Circle",
            RegionKind::Box(_) => "Box",
            RegionKind::Polygon(_) => "Polygon",
            RegionKind::Union(_) => "Union",
            RegionKind::Intersection(_) => "Intersection",
            RegionKind::Not(_) => "Not",
        };
        f.write_str(name)?;
        if !self.coordsys.is_empty() {
            write!(f, " {}", self.coordsys)?;
        }
        match &self.kind {
            RegionKind::Point(p) => write!(f, " {} {}", p.lon(), p.lat()),
            RegionKind::Circle(c) => write!(
                f,
                " {} {} {}",
                c.center().lon(),
                c.center().lat(),
                c.radius()
            ),
            RegionKind::Box(b) => write!(
                f,
                " {} {} {} {}",
                b.center().lon(),
                b.center().lat(),
                b.width(),
                b.height()
            ),
            RegionKind::Polygon(p) => p
                .vertices()
                .iter()
                .try_for_each(|v| write!(f, " {} {}", v.lon(), v.lat())),
            RegionKind::Union(members) | RegionKind::Intersection(members) => {
                f.write_str(" (")?;
                for (i, m) in members.iter().enumerate() {
                    write!(f, "{}{m}", if i == 0 { "" } else { " " })?;
                }
                f.write_str(")")
            }
            RegionKind::Not(inner) => write!(f, " ({inner})"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn round_trip(s: &str) -> Region {
        let r: Region = s.parse().unwrap();
        let printed = r.to_string();
        let again: Region = printed.parse().unwrap();
        assert_eq!(r, again, "{s} -> {printed}");
        r
    }

    #[test]
    fn shapes_and_frames() {
        let r = round_trip("Circle ICRS 10 20 1.5");
        assert_eq!(r.to_string(), "Circle ICRS 10 20 1.5");
        assert_eq!(r.coordsys.frame, Some(Frame::Icrs));
        let r = round_trip("circle icrs geocenter 10 20 1");
        assert_eq!(r.coordsys.refpos, Some(RefPos::Geocenter));
        assert_eq!(r.to_string(), "Circle ICRS GEOCENTER 10 20 1");
        let r = round_trip("Position GALACTIC BARYCENTER SPHERICAL2 1 2");
        assert_eq!(r.to_string(), "Position GALACTIC BARYCENTER SPHERICAL2 1 2");
        assert_eq!(round_trip("Point 1 2").to_string(), "Position 1 2");
        assert_eq!(
            round_trip("BOX fk5 180 0 2 1 unit deg").to_string(),
            "Box FK5 180 0 2 1"
        );
        assert_eq!(
            round_trip("Polygon UNKNOWN 0 0 1 0 0 1").to_string(),
            "Polygon UNKNOWNFrame 0 0 1 0 0 1"
        );
    }

    #[test]
    fn composites() {
        let s = "Union ICRS (Circle 10 10 1 Intersection (Polygon 0 0 2 0 2 2 0 2 Not (Circle 1 1 0.1)))";
        let r = round_trip(s);
        assert_eq!(r.to_string(), s);
        assert!(Point::new(10.5, 10.0).is_ok_and(|p| Region::from(p).contains_in(&r)));
        assert!(Point::new(0.5, 0.5).is_ok_and(|p| Region::from(p).contains_in(&r)));
        assert!(Point::new(1.0, 1.0).is_ok_and(|p| !Region::from(p).contains_in(&r)));
    }

    #[test]
    fn errors_have_columns() {
        let e = "Circle ICRS 10 x 1".parse::<Region>().unwrap_err();
        assert_eq!(
            e,
            GeomError::Stcs {
                column: 16,
                message: "expected a number, found 'x'".into()
            }
        );
        let e = "Circle ICRS 10 20".parse::<Region>().unwrap_err();
        assert!(matches!(e, GeomError::Stcs { column: 18, .. }), "{e:?}");
        let e = "Ellipse ICRS 1 2 3 4 5".parse::<Region>().unwrap_err();
        assert!(matches!(e, GeomError::Stcs { column: 1, .. }));
        let e = "Circle ICRS 10 95 1".parse::<Region>().unwrap_err();
        assert!(
            matches!(&e, GeomError::Stcs { column: 1, message } if message.contains("latitude")),
            "{e:?}"
        );
        let e = "Union ICRS (Circle 1 1 1".parse::<Region>().unwrap_err();
        assert!(matches!(e, GeomError::Stcs { column: 25, .. }), "{e:?}");
        let e = "Circle CARTESIAN2 1 1 1".parse::<Region>().unwrap_err();
        assert!(matches!(e, GeomError::Stcs { column: 8, .. }));
        let e = "Circle 1 1 1 extra".parse::<Region>().unwrap_err();
        assert!(matches!(e, GeomError::Stcs { column: 14, .. }));
        assert!("Not (Circle 1 1 1 Circle 2 2 2)".parse::<Region>().is_err());
        assert!("Polygon 1 1 2 2".parse::<Region>().is_err());
        assert!("".parse::<Region>().is_err());
    }
}
