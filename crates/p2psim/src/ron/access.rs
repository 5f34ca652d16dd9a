//! The parts of a value the deserializer hands to serde one by one: a struct's fields, a map's
//! entries, a list's or tuple's elements, a variant and its content, and a service's
//! configuration, read by the protocol its name names.
//!
//! What it is not: the deserializer of one value ([`NodeDe`](super::de::NodeDe)), which makes these.

use p2psim_services::{Protocols, ServiceSpec};
use serde::de::{self, DeserializeSeed, Visitor};

use super::de::{DeError, EMPTY, NodeDe, ReadCx, at};
use super::parse::{Field, Kind, Node};

type Result<T> = std::result::Result<T, DeError>;

/// A service's configuration, read by the protocol its name names.
pub(super) struct ServiceSeed<'p> {
    pub(super) name: &'p str,
    pub(super) protocols: &'p Protocols,
}

impl<'de> DeserializeSeed<'de> for ServiceSeed<'_> {
    type Value = ServiceSpec;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<ServiceSpec, D::Error> {
        self.protocols.read(self.name, d)
    }
}

/// The fields of a struct, as a map from names to values.
pub(super) struct Struct<'a> {
    pub(super) fields: std::slice::Iter<'a, Field>,
    pub(super) value: Option<&'a Field>,
    /// The type's field names, where it says them.
    pub(super) names: &'static [&'static str],
    pub(super) cx: &'a ReadCx<'a>,
}

impl<'de> de::MapAccess<'de> for Struct<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some(f) = self.fields.next() else { return Ok(None) };
        self.value = Some(f);
        let key = de::value::BorrowedStrDeserializer::<DeError>::new(f.name.as_str());
        seed.deserialize(key).map(Some).map_err(at(f.pos))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let f = self.value.take().expect("a value follows its key");
        seed.deserialize(NodeDe { node: &f.value, field: Some(f), siblings: self.names, cx: self.cx })
    }
}

/// The entries of a `{…}` map.
pub(super) struct Map<'a> {
    pub(super) entries: std::slice::Iter<'a, (Node, Node)>,
    pub(super) value: Option<&'a Node>,
    pub(super) cx: &'a ReadCx<'a>,
}

impl<'de> de::MapAccess<'de> for Map<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some((k, v)) = self.entries.next() else { return Ok(None) };
        self.value = Some(v);
        seed.deserialize(NodeDe::new(k, self.cx)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(NodeDe::new(self.value.take().expect("a value follows its key"), self.cx))
    }
}

/// The elements of a list or tuple.
pub(super) struct Seq<'a> {
    pub(super) items: std::slice::Iter<'a, Node>,
    pub(super) cx: &'a ReadCx<'a>,
}

impl<'de> de::SeqAccess<'de> for Seq<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.items.next() {
            Some(n) => seed.deserialize(NodeDe::new(n, self.cx)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A variant: `Name`, `Name(…)`, or (JSON-style) `"Name"`.
pub(super) struct Enum<'a> {
    pub(super) de: NodeDe<'a>,
}

impl<'de> de::EnumAccess<'de> for Enum<'de> {
    type Error = DeError;
    type Variant = Variant<'de>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Variant<'de>)> {
        let node = self.de.node;
        let (name, content) = match &node.kind {
            Kind::Ident(n) | Kind::Str(n) => (n.as_str(), None),
            Kind::Named(n, body) => (n.as_str(), Some(&**body)),
            _ => unreachable!("deserialize_enum checked the kind"),
        };
        let key = de::value::BorrowedStrDeserializer::<DeError>::new(name);
        let v = seed.deserialize(key).map_err(at(node.pos))?;
        Ok((v, Variant { node, content, cx: self.de.cx }))
    }
}

pub(super) struct Variant<'a> {
    pub(super) node: &'a Node,
    pub(super) content: Option<&'a Node>,
    pub(super) cx: &'a ReadCx<'a>,
}

impl<'de> de::VariantAccess<'de> for Variant<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<()> {
        match self.content.map(|c| &c.kind) {
            None | Some(Kind::Unit | Kind::Absent) => Ok(()),
            Some(_) => Err(DeError { pos: Some(self.node.pos), message: "this variant takes no value".into() }),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        match self.content {
            // `Name(value)`.
            Some(Node { kind: Kind::Tuple(items), .. }) if items.len() == 1 => {
                seed.deserialize(NodeDe::new(&items[0], self.cx))
            }
            // `Name(field: …)`, `Name()`: the value is a struct written in the variant's parentheses.
            Some(c @ Node { kind: Kind::Fields(_) | Kind::Unit, .. }) => seed.deserialize(NodeDe::new(c, self.cx)),
            Some(c) => seed.deserialize(NodeDe::new(c, self.cx)),
            // `Name`: the value's defaults.
            None => seed.deserialize(NodeDe::new(&EMPTY, self.cx)).map_err(at(self.node.pos)),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value> {
        match self.content {
            Some(c) => de::Deserializer::deserialize_tuple(NodeDe::new(c, self.cx), len, v),
            None => Err(DeError { pos: Some(self.node.pos), message: format!("this variant takes {len} values") }),
        }
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], v: V) -> Result<V::Value> {
        let c = self.content.unwrap_or(&EMPTY);
        de::Deserializer::deserialize_struct(NodeDe::new(c, self.cx), "", fields, v).map_err(at(self.node.pos))
    }
}
