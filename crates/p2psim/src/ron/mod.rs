//! Reading experiment files: RON text into a tree of values that remembers where each value is,
//! then into types through serde; and finding where a field named by a path is.
//!
//! p2psim reads RON itself rather than through the `ron` crate (which writes its files): every
//! error, whether the text's syntax, a type's field, or a check made long after reading, names the
//! line and column of the value it is about; unknown fields are refused in every type; and a plain
//! number reads as a constant parameter.

mod access;
mod de;
mod json;
mod parse;

use p2psim_kernel::Segment;
use p2psim_services::{Protocols, ServiceSpec};
use serde::de::DeserializeOwned;

pub(crate) use parse::{Field, Kind, Node, Pos};

/// What holds services, for the reader to put each in place once it is read (a service is read
/// with the protocols it may name: see `p2psim_services::SERVICE_TOKEN`).
pub(crate) trait Services {
    /// Every service held, in any order.
    fn services_mut(&mut self) -> Vec<&mut ServiceSpec>;
}

/// A file read into a tree.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub(crate) root: Node,
}

/// Why a text could not be read into a type: where, and what.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ReadError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
}

impl Source {
    /// Parses RON text.
    pub(crate) fn parse(text: &str) -> Result<Source, ReadError> {
        parse::parse(text).map(|root| Source { root }).map_err(|e| ReadError { pos: e.pos, message: e.message })
    }

    /// Parses JSON text in the shapes serde gives values (see [`json`]).
    pub(crate) fn parse_json(text: &str) -> Result<Source, ReadError> {
        let mut source = Source::parse(text)?;
        json::from_json_tree(&mut source.root);
        Ok(source)
    }

    /// The tree as JSON text (see [`json`]).
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::new();
        json::write(&self.root, &mut out);
        out
    }

    /// Reads the tree into a `T` whose services may name `protocols`.
    pub(crate) fn read<T: DeserializeOwned + Services>(&self, protocols: &Protocols) -> Result<T, ReadError> {
        let cx = de::ReadCx::new(protocols);
        let mut value = T::deserialize(de::NodeDe::new(&self.root, &cx))
            .map_err(|e| ReadError { pos: e.pos.unwrap_or(self.root.pos), message: e.message })?;
        let mut read: Vec<Option<ServiceSpec>> = cx.into_services().into_iter().map(Some).collect();
        for spec in value.services_mut() {
            if let Some(k) = spec.placeholder_index() {
                *spec = read[k].take().expect("each service read is kept once, under its own number");
            }
        }
        debug_assert!(read.iter().all(Option::is_none), "every service read was put in place");
        Ok(value)
    }

    /// Where the value at `path` is: as deep as the path can be followed (a field the file leaves
    /// out points at the value that would hold it).
    pub(crate) fn locate(&self, path: &[Segment]) -> Pos {
        let mut node = &self.root;
        let mut pos = node.pos;
        for seg in path {
            match step(node, seg) {
                Some(next) => {
                    pos = next.1;
                    node = next.0;
                }
                None => break,
            }
        }
        pos
    }
}

impl Source {
    /// The field a position is in, as a path (`peer_types[1].physical.location`), for errors that
    /// serde reports with a position only; empty at the top.
    pub(crate) fn path_at(&self, pos: Pos) -> String {
        let mut path = String::new();
        let mut best = String::new();
        path_to(&self.root, pos, &mut path, &mut best);
        best
    }
}

/// Depth first: the deepest path whose value (or field name) starts at `pos` goes into `best`.
fn path_to(node: &Node, pos: Pos, path: &mut String, best: &mut String) {
    if node.pos == pos && path.len() > best.len() {
        best.clone_from(path);
    }
    let len = path.len();
    match &node.kind {
        Kind::Fields(fields) => {
            for f in fields {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&f.name);
                if f.pos == pos && path.len() > best.len() {
                    best.clone_from(path);
                }
                path_to(&f.value, pos, path, best);
                path.truncate(len);
            }
        }
        Kind::Named(_, body) => path_to(body, pos, path, best),
        Kind::List(items) | Kind::Tuple(items) => {
            for (i, n) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                path_to(n, pos, path, best);
                path.truncate(len);
            }
        }
        Kind::Map(entries) => {
            for (k, v) in entries {
                if let Kind::Str(name) | Kind::Ident(name) = &k.kind {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                    path_to(v, pos, path, best);
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
}

/// One step along a path: the value, and where to point for it.
fn step<'a>(node: &'a Node, seg: &Segment) -> Option<(&'a Node, Pos)> {
    match (&node.kind, seg) {
        (Kind::Fields(fields), Segment::Field(name)) => {
            fields.iter().find(|f| f.name == *name).map(|f| (&f.value, f.value.pos))
        }
        // A variant's name on the path: its content.
        (Kind::Named(n, body), Segment::Field(name)) if n == name => Some(single(body)),
        (Kind::Named(_, body), Segment::Field(_)) => step(body, seg),
        (Kind::List(items) | Kind::Tuple(items), Segment::Index(i)) => items.get(*i).map(|n| (n, n.pos)),
        (Kind::Named(_, body), Segment::Index(_)) => step(body, seg),
        (Kind::Map(entries), Segment::Field(name)) => entries
            .iter()
            .find(|(k, _)| matches!(&k.kind, Kind::Str(s) | Kind::Ident(s) if s == name))
            .map(|(_, v)| (v, v.pos)),
        _ => None,
    }
}

/// A variant's content: the one value in `(…)`, or the struct.
fn single(body: &Node) -> (&Node, Pos) {
    match &body.kind {
        Kind::Tuple(items) if items.len() == 1 => (&items[0], items[0].pos),
        _ => (body, body.pos),
    }
}

#[cfg(test)]
mod tests {
    use p2psim_kernel::ConfigError;

    use super::*;

    #[test]
    fn paths_of_checks_point_at_their_values() {
        let text = "Experiment(\n  peer_types: [\n    (name: \"a\", services: [(\"g\", PushGossip(fanout: 3))]),\n  ],\n  faults: [Downtime(peers: Type(\"b\"), timing: Once(at: 1, duration: 2))],\n)";
        let s = Source::parse(text).unwrap();
        let at = |e: ConfigError| s.locate(e.path());
        let fanout =
            ConfigError::field("fanout", "x").at_index(1).at_index(0).at("services").at_index(0).at("peer_types");
        assert_eq!(at(fanout), Pos { line: 3, col: 53 });
        let ty = ConfigError::field("Type", "x").at("peers").at_index(0).at("faults");
        assert_eq!(at(ty), Pos { line: 5, col: 33 });
        // A field the file leaves out: the struct that would hold it.
        let missing =
            ConfigError::field("relay", "x").at_index(1).at_index(0).at("services").at_index(0).at("peer_types");
        assert_eq!(at(missing), Pos { line: 3, col: 34 });
        let duration = ConfigError::field("duration", "x").at("timing").at_index(0).at("faults");
        assert_eq!(at(duration), Pos { line: 5, col: 69 });
    }

    #[test]
    fn a_position_is_named_by_the_field_it_is_in() {
        let text = "Experiment(\n  peer_types: [\n    (name: \"a\", physical: (location: Const(\"Ohio\"))),\n  ],\n)";
        let s = Source::parse(text).unwrap();
        assert_eq!(s.path_at(Pos { line: 3, col: 38 }), "peer_types[0].physical.location");
        assert_eq!(s.path_at(Pos { line: 3, col: 17 }), "peer_types[0].physical", "a field's name");
        assert_eq!(s.path_at(Pos { line: 1, col: 1 }), "");
    }
}
