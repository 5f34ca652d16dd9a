//! Changing an experiment's fields by name: what `--set NAME=VALUE` and sweep parameters do.
//!
//! A name is a path of fields, and starts with a peer type's name or a top-level field:
//! `peer.gossip.fanout` is the `fanout` of the service named `gossip` of the peer type `peer`;
//! `network.loss`, `topology.graph`, `faults[0].timing.up` name what they say (a variant's name may
//! be left out: `faults[0].probability` reaches into `Loss(...)`). A name starting with `/` is a
//! JSON pointer into the experiment (`/peer_types/0/services/1/1/PushGossip/fanout`), as sweeps
//! wrote them before names existed.
//!
//! A value is any RON value: `5`, `0.1`, `"Tokyo"`, `FirstCopy`, `RandomRegular(degree: 4)`,
//! `Dist(Norm(loc: 3, scale: 1))`. A change is made in the experiment's RON tree, which is then
//! read again (with the protocols its services may name), so that every value the files can hold,
//! infinity included, can be set.

use std::fmt;

use p2psim_services::Protocols;
use serde::de::{self, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::Error;
use crate::experiment::Experiment;
use crate::ron::{Field, Kind, Node, Pos, Services, Source};

/// Any value an experiment's field can take, as written in RON.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `()`.
    Unit,
    /// `true`, `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Str(String),
    /// `[…]` or `(…)`.
    Seq(Vec<Value>),
    /// `(name: value, …)`.
    Struct(Vec<(String, Value)>),
    /// `Name` or `Name(value)`.
    Variant(String, Option<Box<Value>>),
    /// `None`.
    Nothing,
}

impl Value {
    /// Reads a value written in RON (`--set`'s right-hand side).
    pub fn parse(text: &str) -> Result<Value, Error> {
        let source = Source::parse(text).map_err(|e| Error::input("value", format!("`{text}`: {}", e.message)))?;
        source.read(&Protocols::new()).map_err(|e| Error::input("value", format!("`{text}`: {}", e.message)))
    }

    /// As a node of an experiment's tree.
    fn to_node(&self) -> Node {
        let kind = match self {
            Value::Unit => Kind::Unit,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(x) => {
                let whole = x.fract() == 0.0 && x.abs() < 9e15;
                Kind::Number(*x, whole.then_some(*x as i128))
            }
            Value::Str(s) => Kind::Str(s.clone()),
            Value::Seq(v) => Kind::List(v.iter().map(Value::to_node).collect()),
            Value::Struct(fields) => Kind::Fields(
                fields
                    .iter()
                    .map(|(name, v)| Field { name: name.clone(), pos: Pos::default(), value: v.to_node() })
                    .collect(),
            ),
            Value::Variant(name, None) => Kind::Ident(name.clone()),
            Value::Variant(name, Some(v)) => {
                let body = match &**v {
                    Value::Struct(_) | Value::Unit => v.to_node(),
                    other => Node { kind: Kind::Tuple(vec![other.to_node()]), pos: Pos::default() },
                };
                Kind::Named(name.clone(), Box::new(body))
            }
            Value::Nothing => Kind::Ident("None".into()),
        };
        Node { kind, pos: Pos::default() }
    }

    /// The number, if it is one.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(*x),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    /// RON text; numbers with six decimals, as the sweep tables write them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Unit => f.write_str("()"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(x) => write!(f, "{x:.6}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Seq(v) => {
                f.write_str("[")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
            Value::Struct(fields) => {
                f.write_str("(")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str(")")
            }
            Value::Variant(n, None) => f.write_str(n),
            Value::Variant(n, Some(v)) => match &**v {
                Value::Struct(_) | Value::Unit => write!(f, "{n}{v}"),
                other => write!(f, "{n}({other})"),
            },
            Value::Nothing => f.write_str("None"),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Unit)
            }
            fn visit_none<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Nothing)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some(x) = a.next_element()? {
                    out.push(x);
                }
                Ok(Value::Seq(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                Ok(Value::Struct(out))
            }
            fn visit_enum<A: EnumAccess<'de>>(self, a: A) -> Result<Value, A::Error> {
                let (name, v): (String, _) = a.variant()?;
                let content: Option<Value> = v.newtype_variant()?;
                Ok(Value::Variant(name, content.map(Box::new)))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Unit => s.serialize_unit(),
            Value::Nothing => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(x) => s.serialize_f64(*x),
            Value::Str(v) => s.serialize_str(v),
            Value::Seq(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for x in v {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            Value::Struct(fields) => {
                let mut m = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            Value::Variant(n, None) => {
                let name: &'static str = Box::leak(n.clone().into_boxed_str());
                s.serialize_unit_variant("Value", 0, name)
            }
            Value::Variant(n, Some(v)) => {
                let name: &'static str = Box::leak(n.clone().into_boxed_str());
                s.serialize_newtype_variant("Value", 0, name, &**v)
            }
        }
    }
}

/// A value read on its own holds no service.
impl Services for Value {
    fn services_mut(&mut self) -> Vec<&mut p2psim_services::ServiceSpec> {
        Vec::new()
    }
}

/// One step down an experiment's tree.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// Into a variant's (or a named struct's) content.
    Content,
    /// To a struct's field, or a map's entry.
    Field(String),
    /// To an element of a list or tuple.
    Index(usize),
}

fn child<'a>(node: &'a Node, step: &Step) -> Option<&'a Node> {
    match (&node.kind, step) {
        (Kind::Named(_, body), Step::Content) => Some(body),
        (Kind::Fields(fields), Step::Field(name)) => fields.iter().find(|f| f.name == *name).map(|f| &f.value),
        (Kind::Map(entries), Step::Field(name)) => {
            entries.iter().find(|(k, _)| matches!(&k.kind, Kind::Str(s) | Kind::Ident(s) if s == name)).map(|e| &e.1)
        }
        (Kind::List(items) | Kind::Tuple(items), Step::Index(i)) => items.get(*i),
        _ => None,
    }
}

fn child_mut<'a>(node: &'a mut Node, step: &Step) -> Option<&'a mut Node> {
    match (&mut node.kind, step) {
        (Kind::Named(_, body), Step::Content) => Some(body),
        (Kind::Fields(fields), Step::Field(name)) => fields.iter_mut().find(|f| f.name == *name).map(|f| &mut f.value),
        (Kind::Map(entries), Step::Field(name)) => entries
            .iter_mut()
            .find(|(k, _)| matches!(&k.kind, Kind::Str(s) | Kind::Ident(s) if s == name))
            .map(|e| &mut e.1),
        (Kind::List(items) | Kind::Tuple(items), Step::Index(i)) => items.get_mut(*i),
        _ => None,
    }
}

/// What there is at `node`, for an error about a name that is not there.
fn hint(node: &Node) -> String {
    let mut names: Vec<&str> = match &node.kind {
        Kind::Fields(fields) => fields.iter().map(|f| f.name.as_str()).collect(),
        Kind::Map(entries) => entries
            .iter()
            .filter_map(|(k, _)| if let Kind::Str(s) | Kind::Ident(s) = &k.kind { Some(s.as_str()) } else { None })
            .collect(),
        Kind::List(items) | Kind::Tuple(items) => return format!(" (a list of {})", items.len()),
        _ => return String::new(),
    };
    names.sort_unstable();
    format!(" (there is: {})", names.join(", "))
}

/// The steps from the root of the tree of `exp` (`root`) to the field `name` names.
fn path(exp: &Experiment, root: &Node, name: &str) -> Result<Vec<Step>, Error> {
    let pointer = name.starts_with('/');
    let segments: Vec<String> = if pointer {
        name[1..].split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
    } else {
        name.replace('[', ".").replace(']', "").split('.').filter(|s| !s.is_empty()).map(str::to_owned).collect()
    };
    // `Experiment(…)` or a bare `(…)`, as `to_ron` writes it.
    let mut steps = if matches!(root.kind, Kind::Named(..)) { vec![Step::Content] } else { Vec::new() };
    let mut rest: &[String] = &segments;
    if !pointer
        && let Some(first) = segments.first()
        && let Some(t) = exp.peer_types.iter().position(|t| t.name == *first)
    {
        steps.extend([Step::Field("peer_types".into()), Step::Index(t)]);
        rest = &segments[1..];
        if let Some(second) = rest.first()
            && let Some(s) = exp.peer_types[t].services.iter().position(|(n, _)| n == second)
        {
            steps.extend([Step::Field("services".into()), Step::Index(s), Step::Index(1)]);
            rest = &rest[1..];
        }
    }
    let mut node = root;
    for s in &steps {
        node = child(node, s).expect("the peer type and service exist");
    }
    for seg in rest {
        // A variant's name may be left out: step into `Variant(…)` when the segment is not it.
        if let Kind::Named(variant, body) = &node.kind
            && variant.starts_with(char::is_uppercase)
        {
            steps.push(Step::Content);
            node = body;
            if variant == seg {
                continue;
            }
        }
        let step = match &node.kind {
            Kind::List(_) | Kind::Tuple(_) => seg.parse::<usize>().map_or(Step::Field(seg.clone()), Step::Index),
            _ => Step::Field(seg.clone()),
        };
        let Some(next) = child(node, &step) else {
            return Err(Error::input(
                name,
                format!("names nothing in the experiment: `{seg}` is not there{}", hint(node)),
            ));
        };
        steps.push(step);
        node = next;
    }
    Ok(steps)
}

/// The experiment with the fields named in `changes` set to their values (not checked: make a
/// [`Scenario`](crate::Scenario) of it); its services may name `protocols`.
pub fn apply(exp: &Experiment, changes: &[(String, Value)], protocols: &Protocols) -> Result<Experiment, Error> {
    if changes.is_empty() {
        return Ok(exp.clone());
    }
    let mut source = Source::parse(&exp.to_ron()).expect("an experiment's RON reads back");
    for (name, value) in changes {
        let mut node = &mut source.root;
        for step in path(exp, node, name)? {
            node = child_mut(node, &step).expect("the path was found in this tree");
        }
        *node = value.to_node();
    }
    source.read(protocols).map_err(|e| {
        Error::input(
            &changes.iter().map(|c| c.0.as_str()).collect::<Vec<_>>().join(", "),
            format!("a value does not fit its field: {}", e.message),
        )
    })
}

/// Reads `NAME=VALUE` (a `--set`).
pub fn parse_setting(text: &str) -> Result<(String, Value), Error> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(Error::input("--set", format!("`{text}` is not NAME=VALUE (for example peer.gossip.fanout=5)")));
    };
    Ok((name.trim().to_owned(), Value::parse(value.trim())?))
}

#[cfg(test)]
mod tests {
    use p2psim_kernel::Param;
    use p2psim_services::{ConnectionManagerConfig, PushGossipConfig, Relay};

    use super::*;

    fn gossip() -> Experiment {
        Experiment::from_ron(crate::experiments::FAULTS_PUSH, "faults-push.ron", &Protocols::new()).unwrap()
    }

    fn set(exp: &Experiment, name: &str, value: &str) -> Result<Experiment, Error> {
        apply(exp, &[(name.to_owned(), Value::parse(value).unwrap())], &Protocols::new())
    }

    fn push(exp: &Experiment) -> &PushGossipConfig {
        exp.peer_types[0].services[1].1.config::<PushGossipConfig>().expect("the tutorial's push gossip")
    }

    /// An experiment with unlimited bandwidth once failed every `--set` ("invalid type: null"),
    /// when changes went through JSON, which has no infinity; and so did `--set ...upload=inf`.
    #[test]
    fn infinite_numbers_survive_a_change() {
        let unlimited = set(&gossip(), "peer.physical.upload", "inf").unwrap();
        assert_eq!(unlimited.peer_types[0].physical.upload, Param::Const(f64::INFINITY));
        let changed = set(&unlimited, "peers[0].count", "7").unwrap();
        assert_eq!(changed.peers[0].count, 7);
        assert_eq!(changed.peer_types[0].physical.upload, Param::Const(f64::INFINITY));
        assert_eq!(
            changed.to_ron(),
            unlimited.to_ron().replacen(&format!("count: {}", unlimited.peers[0].count), "count: 7", 1)
        );
    }

    #[test]
    fn names_reach_service_fields_variants_and_top_level_fields() {
        let exp = gossip();
        assert_eq!(push(&set(&exp, "peer.gossip.fanout", "5").unwrap()).fanout, Param::Const(5.0));
        assert_eq!(set(&exp, "network.loss", "0.25").unwrap().network.loss, 0.25);
        assert_eq!(set(&exp, "peers[1].count", "3").unwrap().peers[1].count, 3);
        // A variant's name may be left out, or given (as JSON pointers give it).
        let p = |e: &Experiment| match e.topology.graph {
            crate::Graph::ErdosRenyi { p } => p,
            ref other => panic!("{other:?}"),
        };
        assert_eq!(p(&set(&exp, "topology.graph.p", "0.5").unwrap()), 0.5);
        assert_eq!(p(&set(&exp, "topology.graph.ErdosRenyi.p", "0.25").unwrap()), 0.25);
        let pointer = set(&exp, "/peer_types/0/services/1/1/PushGossip/fanout", "6").unwrap();
        assert_eq!(push(&pointer).fanout, Param::Const(6.0));
        let e = set(&exp, "peer.gossip.fan_out", "1").unwrap_err();
        assert!(
            e.to_string().contains("`fan_out` is not there (there is: exclude_peers, exclude_types, fanout, relay)"),
            "{e}"
        );
        assert!(set(&exp, "/peer_types/9", "1").unwrap_err().to_string().contains("`9` is not there (a list of 2)"));
    }

    #[test]
    fn values_of_any_kind_are_set() {
        let exp = gossip();
        assert_eq!(push(&set(&exp, "peer.gossip.relay", "FirstCopy").unwrap()).relay, Relay::FirstCopy);
        let e = set(&exp, "topology.graph", "RandomRegular(degree: 4)").unwrap();
        assert_eq!(e.topology.graph, crate::Graph::RandomRegular { degree: 4 });
        let e = set(&exp, "peer.gossip.fanout", "Dist(Norm(loc: 3, scale: 1))").unwrap();
        assert!(matches!(push(&e).fanout, Param::Dist(_)));
        // Checks come with the scenario; a value of the wrong kind does not read at all.
        let bad = crate::Scenario::new(&set(&exp, "network.loss", "2").unwrap()).unwrap_err();
        assert_eq!(bad.to_string(), "network.loss: a probability must be in [0, 1], got 2");
        assert!(set(&exp, "network.loss", "\"high\"").unwrap_err().to_string().contains("does not fit"));
        assert_eq!(parse_setting("a.b = 3").unwrap(), ("a.b".into(), Value::Number(3.0)));
        assert!(parse_setting("nothing").is_err());
        assert_eq!(Value::parse("RandomRegular(degree: 4)").unwrap().to_string(), "RandomRegular(degree: 4.000000)");
        assert_eq!(Value::parse("FirstCopy").unwrap(), Value::Variant("FirstCopy".into(), None));
        // A whole service, of defaults.
        let e = set(&exp, "client.cm", "ConnectionManager()").unwrap();
        assert_eq!(e.peer_types[1].services[0].1.config::<ConnectionManagerConfig>(), Some(&Default::default()));
    }
}
