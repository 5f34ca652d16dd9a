//! A serde deserializer over the tree of values: every error carries the position of the value it
//! is about, and a field that the type does not read is an error, whatever the type's serde
//! attributes say.
//!
//! It reads RON as the `ron` crate writes it with `UNWRAP_VARIANT_NEWTYPES` (`PushGossip(fanout: 3)`
//! for a variant holding a struct), and a little more: a plain value where an option is expected
//! is `Some(value)`, a variant written without parentheses holds its content's defaults, and
//! `deserialize_any` reports `Name(...)` as an enum (so that a type can accept either a number or
//! a variant: [`Param`](p2psim_kernel::Param)).

use std::fmt;

use std::cell::RefCell;

use p2psim_services::{Protocols, SERVICE_TOKEN, ServiceSpec};
use serde::de::{self, Visitor};

use super::access::{Enum, Map, Seq, ServiceSeed, Struct, Variant};
use super::parse::{Field, Kind, Node, Pos};

/// An error while reading values into types.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DeError {
    pub(crate) pos: Option<Pos>,
    pub(crate) message: String,
}

/// Marks the position in an error's text. A protocol's configuration is read through
/// erased-serde, which carries errors as text: the position travels in the text and
/// [`de::Error::custom`] takes it back out, so that errors inside a registered protocol's
/// configuration point at their field too. Users never see the marker.
const POSITION_MARK: char = '\u{1f}';

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match self.pos {
            Some(p) => write!(f, "{POSITION_MARK}{}:{}", p.line, p.col),
            None => Ok(()),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let text = msg.to_string();
        if let Some((message, place)) = text.rsplit_once(POSITION_MARK)
            && let Some((line, col)) = place.split_once(':')
            && let (Ok(line), Ok(col)) = (line.parse(), col.parse())
        {
            return DeError { pos: Some(Pos { line, col }), message: message.to_owned() };
        }
        DeError { pos: None, message: text }
    }
}

type Result<T> = std::result::Result<T, DeError>;

/// Places an error that has no position yet at `pos`: the innermost value that knows wins.
pub(super) fn at(pos: Pos) -> impl Fn(DeError) -> DeError {
    move |mut e| {
        e.pos.get_or_insert(pos);
        e
    }
}

/// The content of a variant written without parentheses: an empty struct, an absent option.
pub(super) const EMPTY: Node = Node { kind: Kind::Absent, pos: Pos { line: 0, col: 0 } };

/// What a read knows besides the tree: the protocols services may name, and the services read so
/// far, which the reader puts in place of their placeholders once the value is read (see
/// [`SERVICE_TOKEN`]).
pub(crate) struct ReadCx<'p> {
    pub(super) protocols: &'p Protocols,
    services: RefCell<Vec<ServiceSpec>>,
}

impl<'p> ReadCx<'p> {
    pub(crate) fn new(protocols: &'p Protocols) -> ReadCx<'p> {
        ReadCx { protocols, services: RefCell::new(Vec::new()) }
    }

    /// The services read, by the number their placeholders hold.
    pub(crate) fn into_services(self) -> Vec<ServiceSpec> {
        self.services.into_inner()
    }
}

/// Reads one value.
pub(crate) struct NodeDe<'a> {
    pub(super) node: &'a Node,
    /// The field this value belongs to, if it is a struct field's value.
    pub(super) field: Option<&'a Field>,
    /// The fields of the struct that field is in, where the type says (for errors).
    pub(super) siblings: &'static [&'static str],
    pub(super) cx: &'a ReadCx<'a>,
}

impl<'a> NodeDe<'a> {
    pub(crate) fn new(node: &'a Node, cx: &'a ReadCx<'a>) -> NodeDe<'a> {
        NodeDe { node, field: None, siblings: &[], cx }
    }

    /// Another value of the same read.
    fn of(&self, node: &'a Node) -> NodeDe<'a> {
        NodeDe { node, field: None, siblings: &[], cx: self.cx }
    }

    /// A service, `Name(…)`, read with the protocols it may name; the visitor is given the number
    /// it is kept under.
    fn service<V: Visitor<'a>>(self, v: V) -> Result<V::Value> {
        let pos = self.node.pos;
        let (name, content) = match &self.node.kind {
            Kind::Ident(n) | Kind::Str(n) => (n.as_str(), None),
            Kind::Named(n, body) => (n.as_str(), Some(&**body)),
            _ => return Err(self.expected("a service, such as `PushGossip(fanout: 3)`")),
        };
        let variant = Variant { node: self.node, content, cx: self.cx };
        let seed = ServiceSeed { name, protocols: self.cx.protocols };
        let spec = de::VariantAccess::newtype_variant_seed(variant, seed).map_err(at(pos))?;
        let mut services = self.cx.services.borrow_mut();
        services.push(spec);
        v.visit_u64((services.len() - 1) as u64).map_err(at(pos))
    }

    fn kind_name(&self) -> String {
        match &self.node.kind {
            Kind::Unit => "`()`".into(),
            Kind::Bool(b) => format!("`{b}`"),
            Kind::Number(..) => "a number".into(),
            Kind::Str(s) => format!("the string \"{s}\""),
            Kind::Char(c) => format!("the character '{c}'"),
            Kind::Ident(i) => format!("`{i}`"),
            Kind::Named(n, _) => format!("`{n}(…)`"),
            Kind::Tuple(_) => "a tuple `(…)`".into(),
            Kind::Fields(_) => "a struct `(name: …)`".into(),
            Kind::List(_) => "a list `[…]`".into(),
            Kind::Map(_) => "a map `{…}`".into(),
            Kind::Absent => "nothing".into(),
        }
    }

    fn expected(&self, what: &str) -> DeError {
        DeError { pos: Some(self.node.pos), message: format!("expected {what}, found {}", self.kind_name()) }
    }

    /// The number, for the numeric types.
    fn number(&self, what: &str) -> Result<(f64, Option<i128>)> {
        match &self.node.kind {
            Kind::Number(f, i) => Ok((*f, *i)),
            Kind::Ident(i) if i == "NaN" => Ok((f64::NAN, None)),
            Kind::Ident(i) if i == "inf" => Ok((f64::INFINITY, None)),
            _ => Err(self.expected(what)),
        }
    }

    /// A whole number in `[min, max]`.
    fn integer(&self, what: &str, min: i128, max: i128) -> Result<i128> {
        let (f, i) = self.number(what)?;
        let v = match i {
            Some(v) => v,
            // `1e6` is a whole number written as a float.
            None if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e38 => f as i128,
            None => {
                return Err(DeError {
                    pos: Some(self.node.pos),
                    message: format!("expected {what}, found {f}, which is not a whole number"),
                });
            }
        };
        if v < min || v > max {
            return Err(DeError {
                pos: Some(self.node.pos),
                message: format!("expected {what}, found {v}, outside {min} to {max}"),
            });
        }
        Ok(v)
    }

    /// The parts of a struct-like value: its fields, whatever its name.
    fn fields(&self) -> Option<&'a [Field]> {
        match &self.node.kind {
            Kind::Fields(f) => Some(f),
            Kind::Unit | Kind::Absent => Some(&[]),
            Kind::Named(_, body) => match &body.kind {
                Kind::Fields(f) => Some(f),
                Kind::Unit => Some(&[]),
                _ => None,
            },
            _ => None,
        }
    }

    /// The elements of a sequence-like value.
    fn elements(&self) -> Option<&'a [Node]> {
        match &self.node.kind {
            Kind::Tuple(v) | Kind::List(v) => Some(v),
            Kind::Unit | Kind::Absent => Some(&[]),
            Kind::Named(_, body) => match &body.kind {
                Kind::Tuple(v) => Some(v),
                Kind::Unit => Some(&[]),
                _ => None,
            },
            _ => None,
        }
    }
}

macro_rules! integer {
    ($method:ident, $visit:ident, $t:ty, $what:expr) => {
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
            let n = self.integer($what, <$t>::MIN as i128, <$t>::MAX as i128)?;
            v.$visit(n as $t).map_err(at(self.node.pos))
        }
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let pos = self.node.pos;
        match &self.node.kind {
            Kind::Unit | Kind::Absent => v.visit_unit(),
            Kind::Bool(b) => v.visit_bool(*b),
            Kind::Number(_, Some(i)) if i64::try_from(*i).is_ok() => v.visit_i64(*i as i64),
            Kind::Number(_, Some(i)) if u64::try_from(*i).is_ok() => v.visit_u64(*i as u64),
            Kind::Number(f, _) => v.visit_f64(*f),
            Kind::Str(s) => v.visit_borrowed_str(s),
            Kind::Char(c) => v.visit_char(*c),
            Kind::Ident(i) if i == "None" => v.visit_none(),
            Kind::Ident(i) if i == "NaN" => v.visit_f64(f64::NAN),
            Kind::Ident(i) if i == "inf" => v.visit_f64(f64::INFINITY),
            Kind::Ident(_) => v.visit_enum(Enum { de: self }),
            Kind::Named(n, body) if n == "Some" => match &body.kind {
                Kind::Tuple(items) if items.len() == 1 => v.visit_some(self.of(&items[0])),
                _ => v.visit_some(self.of(body)),
            },
            Kind::Named(..) => v.visit_enum(Enum { de: self }),
            Kind::Tuple(items) | Kind::List(items) => v.visit_seq(Seq { items: items.iter(), cx: self.cx }),
            Kind::Fields(fields) => v.visit_map(Struct { fields: fields.iter(), value: None, names: &[], cx: self.cx }),
            Kind::Map(entries) => v.visit_map(Map { entries: entries.iter(), value: None, cx: self.cx }),
        }
        .map_err(at(pos))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match self.node.kind {
            Kind::Bool(b) => v.visit_bool(b).map_err(at(self.node.pos)),
            _ => Err(self.expected("`true` or `false`")),
        }
    }

    integer!(deserialize_i8, visit_i8, i8, "a whole number (i8)");
    integer!(deserialize_i16, visit_i16, i16, "a whole number (i16)");
    integer!(deserialize_i32, visit_i32, i32, "a whole number (i32)");
    integer!(deserialize_i64, visit_i64, i64, "a whole number (i64)");
    integer!(deserialize_u8, visit_u8, u8, "a whole number from 0 to 255");
    integer!(deserialize_u16, visit_u16, u16, "a whole number from 0 to 65535");
    integer!(deserialize_u32, visit_u32, u32, "a whole number from 0 to 4294967295");
    integer!(deserialize_u64, visit_u64, u64, "a whole number, at least 0");

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let (f, _) = self.number("a number")?;
        v.visit_f32(f as f32).map_err(at(self.node.pos))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let (f, _) = self.number("a number")?;
        v.visit_f64(f).map_err(at(self.node.pos))
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match self.node.kind {
            Kind::Char(c) => v.visit_char(c).map_err(at(self.node.pos)),
            _ => Err(self.expected("a character")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match &self.node.kind {
            Kind::Str(s) => v.visit_borrowed_str(s).map_err(at(self.node.pos)),
            _ => Err(self.expected("a string in double quotes")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(self.expected("bytes, which experiment files do not have"))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        self.deserialize_bytes(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let pos = self.node.pos;
        match &self.node.kind {
            Kind::Ident(i) if i == "None" => v.visit_none(),
            Kind::Absent => v.visit_none(),
            Kind::Named(n, body) if n == "Some" => match &body.kind {
                Kind::Tuple(items) if items.len() == 1 => v.visit_some(self.of(&items[0])),
                _ => v.visit_some(self.of(body)),
            },
            // A plain value where an option is expected is that value.
            _ => v.visit_some(self),
        }
        .map_err(at(pos))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match &self.node.kind {
            Kind::Unit | Kind::Absent => v.visit_unit().map_err(at(self.node.pos)),
            _ => Err(self.expected("`()`")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value> {
        match &self.node.kind {
            Kind::Unit | Kind::Ident(_) => v.visit_unit().map_err(at(self.node.pos)),
            _ => Err(self.expected("`()`")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value> {
        if name == SERVICE_TOKEN {
            return self.service(v);
        }
        let pos = self.node.pos;
        match &self.node.kind {
            Kind::Named(_, body) => match &body.kind {
                Kind::Tuple(items) if items.len() == 1 => v.visit_newtype_struct(self.of(&items[0])),
                _ => v.visit_newtype_struct(self),
            },
            _ => v.visit_newtype_struct(self),
        }
        .map_err(at(pos))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match self.elements() {
            Some(items) => v.visit_seq(Seq { items: items.iter(), cx: self.cx }).map_err(at(self.node.pos)),
            None => Err(self.expected("a list `[…]` or a tuple `(…)`")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value> {
        match self.elements() {
            Some(items) if items.len() == len => {
                v.visit_seq(Seq { items: items.iter(), cx: self.cx }).map_err(at(self.node.pos))
            }
            Some(items) => Err(DeError {
                pos: Some(self.node.pos),
                message: format!("expected a tuple of {len}, found one of {}", items.len()),
            }),
            None => Err(self.expected(&format!("a tuple of {len} `(…)`"))),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _: &'static str, len: usize, v: V) -> Result<V::Value> {
        self.deserialize_tuple(len, v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match &self.node.kind {
            Kind::Map(entries) => {
                v.visit_map(Map { entries: entries.iter(), value: None, cx: self.cx }).map_err(at(self.node.pos))
            }
            _ => match self.fields() {
                Some(fields) => v
                    .visit_map(Struct { fields: fields.iter(), value: None, names: &[], cx: self.cx })
                    .map_err(at(self.node.pos)),
                None => Err(self.expected("a map `{…}`")),
            },
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        names: &'static [&'static str],
        v: V,
    ) -> Result<V::Value> {
        match self.fields() {
            Some(fields) => v
                .visit_map(Struct { fields: fields.iter(), value: None, names, cx: self.cx })
                .map_err(at(self.node.pos)),
            None => Err(self.expected("a struct `(name: value, …)`")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _: &'static str, _: &'static [&'static str], v: V) -> Result<V::Value> {
        match &self.node.kind {
            Kind::Ident(_) | Kind::Named(..) | Kind::Str(_) => {
                let pos = self.node.pos;
                v.visit_enum(Enum { de: self }).map_err(at(pos))
            }
            _ => Err(self.expected("a variant, such as `Name` or `Name(…)`")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match &self.node.kind {
            Kind::Ident(s) | Kind::Str(s) => v.visit_borrowed_str(s).map_err(at(self.node.pos)),
            _ => Err(self.expected("a name")),
        }
    }

    /// A value nothing reads: a field the type does not have.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        match self.field {
            Some(f) if self.siblings.is_empty() => {
                Err(DeError { pos: Some(f.pos), message: format!("unknown field `{}`", f.name) })
            }
            Some(f) => Err(DeError {
                pos: Some(f.pos),
                message: format!("unknown field `{}` (the fields are {})", f.name, self.siblings.join(", ")),
            }),
            None => Err(DeError { pos: Some(self.node.pos), message: "a value that nothing reads".into() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::ron::parse::parse;

    fn read<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T> {
        let node = parse(text).unwrap();
        let protocols = Protocols::new();
        let cx = ReadCx::new(&protocols);
        T::deserialize(NodeDe::new(&node, &cx))
    }

    #[derive(Debug, PartialEq, Deserialize)]
    enum Graph {
        None,
        ErdosRenyi { p: f64 },
        Cycle(Vec<u32>),
    }

    #[derive(Debug, PartialEq, Default, Deserialize)]
    #[serde(default)]
    struct Inner {
        a: u32,
        b: Option<u8>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    enum Service {
        Push(Inner),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct S {
        g: Graph,
        s: Vec<(String, Service)>,
        #[serde(default)]
        n: Option<u32>,
    }

    #[test]
    fn structs_enums_and_newtype_variants_read_as_ron_writes_them() {
        let s: S = read(
            "S(g: ErdosRenyi(p: 0.5), s: [(\"x\", Push(a: 3, b: Some(4))), (\"y\", Push()), (\"z\", Push)], n: 7)",
        )
        .unwrap();
        assert_eq!(s.g, Graph::ErdosRenyi { p: 0.5 });
        assert_eq!(s.s[0].1, Service::Push(Inner { a: 3, b: Some(4) }));
        assert_eq!(s.s[1].1, Service::Push(Inner::default()));
        assert_eq!(s.s[2].1, Service::Push(Inner::default()));
        assert_eq!(s.n, Some(7), "a plain value where an option is expected");
        assert_eq!(read::<Graph>("Cycle([1, 2])").unwrap(), Graph::Cycle(vec![1, 2]));
        assert_eq!(read::<Graph>("None").unwrap(), Graph::None);
        assert_eq!(read::<u32>("1e6").unwrap(), 1_000_000, "a whole number written as a float");
        assert!(read::<f64>("NaN").unwrap().is_nan());
        let p: p2psim_kernel::Param = read("DistAttr(Norm(loc: 1, scale: 2))").unwrap();
        assert_eq!(p.mean(), Some(1.0));
        assert_eq!(read::<p2psim_kernel::Param>("3").unwrap(), p2psim_kernel::Param::Const(3.0));
        assert_eq!(read::<p2psim_kernel::Param>("Const(2)").unwrap(), p2psim_kernel::Param::Const(2.0));
    }

    #[test]
    fn every_error_has_a_position_and_unknown_fields_are_refused() {
        let e = read::<S>("S(\n  g: ErdosRenyi(p: 0.4, q: 7),\n  s: [])").unwrap_err();
        assert_eq!(
            (e.pos, e.message.as_str()),
            (Some(Pos { line: 2, col: 25 }), "unknown field `q` (the fields are p)")
        );
        let e = read::<S>("S(g: None, s: [(\"x\", Push(a: 3, bb: 1))])").unwrap_err();
        assert!(e.message.starts_with("unknown field `bb`"), "even in a type that does not deny unknown fields");
        assert_eq!(e.pos.map(|p| p.col), Some(33));
        let e = read::<S>("S(g: None, s: [(\"x\", Push(a: -1))])").unwrap_err();
        assert_eq!(e.pos.map(|p| p.col), Some(30));
        assert!(e.message.contains("-1"), "{}", e.message);
        let e = read::<S>("S(g: Nope, s: [])").unwrap_err();
        assert_eq!(e.pos.map(|p| p.col), Some(6));
        assert!(e.message.contains("unknown variant `Nope`"), "{}", e.message);
        let e = read::<u8>("300").unwrap_err();
        assert!(e.message.contains("0 to 255"), "{}", e.message);
        let e = read::<u32>("2.5").unwrap_err();
        assert!(e.message.contains("not a whole number"), "{}", e.message);
    }
}
