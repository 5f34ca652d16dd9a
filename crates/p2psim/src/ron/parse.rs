//! RON text into a tree of values, each with the line and column where it starts.

use std::fmt;

/// A line and column in the text, both from 1 (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One value of the text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) pos: Pos,
}

/// A struct field: its name, where the name is, and its value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) pos: Pos,
    pub(crate) value: Node,
}

/// The values RON has.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    /// `()`.
    Unit,
    Bool(bool),
    /// A number, and its value as an integer when it is written as one.
    Number(f64, Option<i128>),
    Str(String),
    Char(char),
    /// A bare identifier: a unit variant, `None`, `NaN`, `inf`.
    Ident(String),
    /// An identifier followed by parentheses: a variant or a named struct; the body is a
    /// [`Kind::Tuple`], a [`Kind::Fields`] or [`Kind::Unit`].
    Named(String, Box<Node>),
    /// `(a, b)`.
    Tuple(Vec<Node>),
    /// `(a: x, b: y)`.
    Fields(Vec<Field>),
    /// `[a, b]`.
    List(Vec<Node>),
    /// `{k: v}`.
    Map(Vec<(Node, Node)>),
    /// Nothing written: the content of a variant written without parentheses (never parsed,
    /// only made by the reader).
    Absent,
}

/// Why the text is not RON.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SyntaxError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
}

struct Parser<'t> {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
    _text: &'t str,
}

/// Parses a whole text: one value, then nothing but blanks and comments.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut p = Parser { chars: text.chars().collect(), i: 0, line: 1, col: 1, _text: text };
    p.skip_blank()?;
    // RON files may start with `#![enable(...)]` attributes.
    while p.peek() == Some('#') {
        p.skip_attribute()?;
        p.skip_blank()?;
    }
    let node = p.value(0)?;
    p.skip_blank()?;
    if p.peek().is_some() {
        return Err(p.error("unexpected text after the value"));
    }
    Ok(node)
}

/// Deeper than this is refused (no experiment nests nearly so deep; a hostile file could
/// otherwise overflow the stack).
const MAX_DEPTH: usize = 128;

impl Parser<'_> {
    fn pos(&self) -> Pos {
        Pos { line: self.line, col: self.col }
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { pos: self.pos(), message: message.into() }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.i).copied()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn skip_blank(&mut self) -> Result<(), SyntaxError> {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    let start = self.pos();
                    self.bump();
                    self.bump();
                    let mut depth = 1;
                    while depth > 0 {
                        match (self.peek(), self.peek_at(1)) {
                            (None, _) => {
                                return Err(SyntaxError { pos: start, message: "a /* comment is never closed".into() });
                            }
                            (Some('*'), Some('/')) => {
                                self.bump();
                                self.bump();
                                depth -= 1;
                            }
                            (Some('/'), Some('*')) => {
                                self.bump();
                                self.bump();
                                depth += 1;
                            }
                            _ => {
                                self.bump();
                            }
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn skip_attribute(&mut self) -> Result<(), SyntaxError> {
        let mut depth = 0;
        while let Some(c) = self.bump() {
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        Err(self.error("an attribute `#![...]` is never closed"))
    }

    fn expect(&mut self, c: char) -> Result<(), SyntaxError> {
        match self.peek() {
            Some(x) if x == c => {
                self.bump();
                Ok(())
            }
            Some(x) => Err(self.error(format!("expected `{c}`, found `{x}`"))),
            None => Err(self.error(format!("expected `{c}`, found the end of the file"))),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("values are nested more than {MAX_DEPTH} deep")));
        }
        let pos = self.pos();
        let kind = match self.peek() {
            None => return Err(self.error("expected a value, found the end of the file")),
            Some('(') => self.parens(depth)?,
            Some('[') => {
                self.bump();
                Kind::List(self.items(']', depth)?)
            }
            Some('{') => {
                self.bump();
                self.map(depth)?
            }
            Some('"') => Kind::Str(self.string()?),
            Some('r') if self.raw_string_ahead() => Kind::Str(self.raw_string()?),
            Some('\'') => Kind::Char(self.char_literal()?),
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => self.number()?,
            Some(c) if c.is_alphabetic() || c == '_' => {
                let name = self.ident();
                match name.as_str() {
                    "true" => Kind::Bool(true),
                    "false" => Kind::Bool(false),
                    _ => {
                        self.skip_blank()?;
                        if self.peek() == Some('(') {
                            let body_pos = self.pos();
                            let body = self.parens(depth)?;
                            Kind::Named(name, Box::new(Node { kind: body, pos: body_pos }))
                        } else {
                            Kind::Ident(name)
                        }
                    }
                }
            }
            Some(c) => return Err(self.error(format!("expected a value, found `{c}`"))),
        };
        Ok(Node { kind, pos })
    }

    /// True at `r"` or `r#…#"`, a raw string (not `r#name`, a raw identifier).
    fn raw_string_ahead(&self) -> bool {
        let mut k = 1;
        while self.peek_at(k) == Some('#') {
            k += 1;
        }
        self.peek_at(k) == Some('"')
    }

    /// A name; `r#name` (how RON writes a name that is also a keyword, `r#None`) is `name`.
    fn ident(&mut self) -> String {
        if self.peek() == Some('r')
            && self.peek_at(1) == Some('#')
            && self.peek_at(2).is_some_and(|c| c.is_alphabetic() || c == '_')
        {
            self.bump();
            self.bump();
        }
        let mut s = String::new();
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || c == '_' {
                s.push(c);
                self.bump();
            } else {
                break;
            }
        }
        s
    }

    /// `(…)`: unit, a tuple, or struct fields (told apart by `name:` at the start).
    fn parens(&mut self, depth: usize) -> Result<Kind, SyntaxError> {
        self.expect('(')?;
        self.skip_blank()?;
        if self.peek() == Some(')') {
            self.bump();
            return Ok(Kind::Unit);
        }
        if self.field_ahead() {
            let mut fields: Vec<Field> = Vec::new();
            loop {
                self.skip_blank()?;
                if self.peek() == Some(')') {
                    self.bump();
                    return Ok(Kind::Fields(fields));
                }
                let pos = self.pos();
                if !self.peek().is_some_and(|c| c.is_alphabetic() || c == '_') {
                    return Err(self.error("expected a field name"));
                }
                let name = self.ident();
                if fields.iter().any(|f| f.name == name) {
                    return Err(SyntaxError { pos, message: format!("field `{name}` is given twice") });
                }
                self.skip_blank()?;
                self.expect(':')?;
                self.skip_blank()?;
                let value = self.value(depth + 1)?;
                fields.push(Field { name, pos, value });
                self.skip_blank()?;
                match self.peek() {
                    Some(',') => {
                        self.bump();
                    }
                    Some(')') => {}
                    _ => return Err(self.error("expected `,` or `)` after a field")),
                }
            }
        }
        Ok(Kind::Tuple(self.items(')', depth)?))
    }

    /// True if the text ahead is `name :` (after blanks), the start of struct fields.
    fn field_ahead(&self) -> bool {
        let mut j = self.i;
        if self.chars.get(j) == Some(&'r') && self.chars.get(j + 1) == Some(&'#') {
            j += 2;
        }
        let starts = self.chars.get(j).is_some_and(|c| c.is_alphabetic() || *c == '_');
        if !starts {
            return false;
        }
        while self.chars.get(j).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
            j += 1;
        }
        while self.chars.get(j).is_some_and(|c| c.is_whitespace()) {
            j += 1;
        }
        self.chars.get(j) == Some(&':')
    }

    fn items(&mut self, close: char, depth: usize) -> Result<Vec<Node>, SyntaxError> {
        let mut out = Vec::new();
        loop {
            self.skip_blank()?;
            if self.peek() == Some(close) {
                self.bump();
                return Ok(out);
            }
            out.push(self.value(depth + 1)?);
            self.skip_blank()?;
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(c) if c == close => {}
                _ => return Err(self.error(format!("expected `,` or `{close}`"))),
            }
        }
    }

    fn map(&mut self, depth: usize) -> Result<Kind, SyntaxError> {
        let mut out = Vec::new();
        loop {
            self.skip_blank()?;
            if self.peek() == Some('}') {
                self.bump();
                return Ok(Kind::Map(out));
            }
            let k = self.value(depth + 1)?;
            self.skip_blank()?;
            self.expect(':')?;
            self.skip_blank()?;
            let v = self.value(depth + 1)?;
            out.push((k, v));
            self.skip_blank()?;
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some('}') => {}
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn number(&mut self) -> Result<Kind, SyntaxError> {
        let start = self.pos();
        let mut text = String::new();
        if let Some(c @ ('-' | '+')) = self.peek() {
            text.push(c);
            self.bump();
        }
        // `-inf`, `+inf`, `-NaN`.
        if self.peek().is_some_and(char::is_alphabetic) {
            let word = self.ident();
            let negative = text == "-";
            return match word.as_str() {
                "inf" => Ok(Kind::Number(if negative { f64::NEG_INFINITY } else { f64::INFINITY }, None)),
                "NaN" => Ok(Kind::Number(f64::NAN, None)),
                _ => Err(SyntaxError { pos: start, message: format!("`{text}{word}` is not a number") }),
            };
        }
        if self.peek() == Some('0') && matches!(self.peek_at(1), Some('x' | 'b' | 'o')) {
            self.bump();
            let radix = match self.bump() {
                Some('x') => 16,
                Some('b') => 2,
                _ => 8,
            };
            let mut digits = String::new();
            while let Some(c) = self.peek() {
                if c.is_digit(radix) || c == '_' {
                    if c != '_' {
                        digits.push(c);
                    }
                    self.bump();
                } else {
                    break;
                }
            }
            let v = i128::from_str_radix(&digits, radix)
                .map_err(|_| SyntaxError { pos: start, message: format!("`{digits}` is not a base-{radix} number") })?;
            let v = if text == "-" { -v } else { v };
            return Ok(Kind::Number(v as f64, Some(v)));
        }
        while let Some(c) = self.peek() {
            let exponent_sign = matches!(c, '-' | '+') && text.ends_with(['e', 'E']);
            if c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '_') || exponent_sign {
                if c != '_' {
                    text.push(c);
                }
                self.bump();
            } else {
                break;
            }
        }
        let integral = !text.contains(['.', 'e', 'E']);
        let f: f64 =
            text.parse().map_err(|_| SyntaxError { pos: start, message: format!("`{text}` is not a number") })?;
        Ok(Kind::Number(f, if integral { text.parse::<i128>().ok() } else { None }))
    }

    fn escape(&mut self) -> Result<char, SyntaxError> {
        let pos = self.pos();
        match self.bump() {
            Some('n') => Ok('\n'),
            Some('t') => Ok('\t'),
            Some('r') => Ok('\r'),
            Some('0') => Ok('\0'),
            Some('\\') => Ok('\\'),
            Some('"') => Ok('"'),
            Some('\'') => Ok('\''),
            // JSON's escapes, for JSON text read as RON.
            Some('/') => Ok('/'),
            Some('b') => Ok('\u{8}'),
            Some('f') => Ok('\u{c}'),
            Some('u') if self.peek() != Some('{') => {
                let mut hex = String::new();
                for _ in 0..4 {
                    hex.extend(self.bump());
                }
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or(SyntaxError { pos, message: format!("`\\u{hex}` is not a character") })
            }
            Some('u') => {
                self.expect('{')?;
                let mut hex = String::new();
                while let Some(c) = self.peek() {
                    if c == '}' {
                        break;
                    }
                    hex.push(c);
                    self.bump();
                }
                self.expect('}')?;
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or(SyntaxError { pos, message: format!("`\\u{{{hex}}}` is not a character") })
            }
            Some(c) => Err(SyntaxError { pos, message: format!("unknown escape `\\{c}`") }),
            None => Err(SyntaxError { pos, message: "the file ends inside a string".into() }),
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos();
        self.expect('"')?;
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(SyntaxError { pos: start, message: "a string is never closed".into() }),
                Some('"') => return Ok(s),
                Some('\\') => s.push(self.escape()?),
                Some(c) => s.push(c),
            }
        }
    }

    fn raw_string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos();
        self.bump();
        let mut hashes = 0;
        while self.peek() == Some('#') {
            self.bump();
            hashes += 1;
        }
        self.expect('"')?;
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(SyntaxError { pos: start, message: "a raw string is never closed".into() }),
                Some('"') if (0..hashes).all(|k| self.peek_at(k) == Some('#')) => {
                    for _ in 0..hashes {
                        self.bump();
                    }
                    return Ok(s);
                }
                Some(c) => s.push(c),
            }
        }
    }

    fn char_literal(&mut self) -> Result<char, SyntaxError> {
        self.expect('\'')?;
        let c = match self.bump() {
            Some('\\') => self.escape()?,
            Some(c) => c,
            None => return Err(self.error("the file ends inside a character")),
        };
        self.expect('\'')?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Kind {
        parse(text).unwrap().kind
    }

    #[test]
    fn values_and_their_positions() {
        let n = parse("// a comment\nExperiment(\n  name: \"x\", /* c */ count: 3,\n  list: [1, -2.5e3, 0x1f],\n)")
            .unwrap();
        assert_eq!(n.pos, Pos { line: 2, col: 1 });
        let Kind::Named(name, body) = n.kind else { panic!() };
        assert_eq!(name, "Experiment");
        let Kind::Fields(fields) = body.kind else { panic!() };
        assert_eq!(fields[0].name, "name");
        assert_eq!(fields[0].pos, Pos { line: 3, col: 3 });
        assert_eq!(fields[1].value.pos, Pos { line: 3, col: 29 });
        assert_eq!(fields[1].value.kind, Kind::Number(3.0, Some(3)));
        let Kind::List(items) = &fields[2].value.kind else { panic!() };
        assert_eq!(items[1].kind, Kind::Number(-2500.0, None));
        assert_eq!(items[2].kind, Kind::Number(31.0, Some(31)));
    }

    #[test]
    fn tuples_fields_units_and_names_are_told_apart() {
        assert_eq!(kind("()"), Kind::Unit);
        assert!(matches!(kind("(1, \"a\")"), Kind::Tuple(v) if v.len() == 2));
        assert!(matches!(kind("(a: 1)"), Kind::Fields(v) if v.len() == 1));
        assert!(matches!(kind("Some(x: 1)"), Kind::Named(n, b) if n == "Some" && matches!(b.kind, Kind::Fields(_))));
        assert!(
            matches!(kind("Const(5)"), Kind::Named(n, b) if n == "Const" && matches!(&b.kind, Kind::Tuple(v) if v.len() == 1))
        );
        assert_eq!(kind("None"), Kind::Ident("None".into()));
        assert_eq!(kind("r#\"a\"b\"#"), Kind::Str("a\"b".into()));
        assert_eq!(kind("r#None"), Kind::Ident("None".into()), "a raw identifier");
        assert!(matches!(kind("(r#type: 1)"), Kind::Fields(f) if f[0].name == "type"));
        assert_eq!(kind("\"\\u{e9}\\n\""), Kind::Str("é\n".into()));
        assert!(matches!(kind("-inf"), Kind::Number(x, None) if x == f64::NEG_INFINITY));
        assert!(matches!(kind("{\"a\": 1}"), Kind::Map(v) if v.len() == 1));
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = parse("(\n  a: 1,\n  a: 2)").unwrap_err();
        assert_eq!((e.pos, e.message.as_str()), (Pos { line: 3, col: 3 }, "field `a` is given twice"));
        let e = parse("(a: 1 b: 2)").unwrap_err();
        assert_eq!(e.pos.col, 7);
        assert!(parse("\"open").is_err());
        assert!(parse("/* open").is_err());
        assert!(parse("[1, 2] x").is_err());
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&deep).unwrap_err().message.contains("nested"));
    }
}
