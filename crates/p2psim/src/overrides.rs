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
//! `Dist(Norm(loc: 3, scale: 1))`.

use std::fmt;

use serde::de::{self, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value as Json};

use crate::error::Error;
use crate::experiment::Experiment;

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
        let source =
            crate::ron::Source::parse(text).map_err(|e| Error::input("value", format!("`{text}`: {}", e.message)))?;
        source.read().map_err(|e| Error::input("value", format!("`{text}`: {}", e.message)))
    }

    /// As the experiment's JSON holds it (variants externally tagged).
    pub(crate) fn to_json(&self) -> Json {
        match self {
            Value::Unit | Value::Nothing => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(x) => {
                if x.fract() == 0.0 && x.abs() < 9e15 {
                    Json::from(*x as i64)
                } else {
                    // Infinity as `apply` writes it in JSON.
                    let x = if x.is_infinite() { x.signum() * INFINITY_IN_JSON } else { *x };
                    serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
                }
            }
            Value::Str(s) => Json::String(s.clone()),
            Value::Seq(v) => Json::Array(v.iter().map(Value::to_json).collect()),
            Value::Struct(fields) => Json::Object(fields.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Variant(name, None) => Json::String(name.clone()),
            Value::Variant(name, Some(v)) => {
                // `Name()`: a variant holding a struct of defaults.
                let content = if **v == Value::Unit { Json::Object(Map::new()) } else { v.to_json() };
                let mut m = Map::new();
                m.insert(name.clone(), content);
                Json::Object(m)
            }
        }
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

/// The JSON pointer of the field `name` names in the experiment `exp` (as JSON `json`).
pub(crate) fn pointer(exp: &Experiment, json: &Json, name: &str) -> Result<String, Error> {
    if name.starts_with('/') {
        return json
            .pointer(name)
            .map(|_| name.to_owned())
            .ok_or_else(|| Error::input(name, "names nothing in the experiment"));
    }
    let segments = split(name);
    let mut path = String::new();
    let mut rest: &[String] = &segments;
    if let Some(first) = segments.first()
        && let Some(t) = exp.peer_types.iter().position(|t| t.name == *first)
    {
        path = format!("/peer_types/{t}");
        rest = &segments[1..];
        if let Some(second) = rest.first()
            && let Some(s) = exp.peer_types[t].services.iter().position(|(n, _)| n == second)
        {
            path += &format!("/services/{s}/1");
            rest = &rest[1..];
        }
    }
    let mut node = json.pointer(&path).expect("the peer type and service exist");
    for seg in rest {
        // A variant's name may be left out: step into `{"Variant": …}` when the segment is not it.
        if let Json::Object(m) = node
            && m.len() == 1
            && !m.contains_key(seg)
            && let Some((variant, inner)) = m.iter().next()
            && variant.starts_with(char::is_uppercase)
        {
            path += &format!("/{}", escape(variant));
            node = inner;
        }
        let next = match node {
            Json::Object(m) => m.get(seg),
            Json::Array(v) => seg.parse::<usize>().ok().and_then(|i| v.get(i)),
            _ => None,
        };
        let Some(next) = next else {
            return Err(Error::input(
                name,
                format!("names nothing in the experiment: `{seg}` is not there{}", hint(node)),
            ));
        };
        path += &format!("/{}", escape(seg));
        node = next;
    }
    Ok(path)
}

fn hint(node: &Json) -> String {
    match node {
        Json::Object(m) => format!(" (there is: {})", m.keys().cloned().collect::<Vec<_>>().join(", ")),
        Json::Array(v) => format!(" (a list of {})", v.len()),
        _ => String::new(),
    }
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// `a.b[2].c` as `["a", "b", "2", "c"]`.
fn split(name: &str) -> Vec<String> {
    name.replace('[', ".").replace(']', "").split('.').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The experiment with the fields named in `changes` set to their values, checked.
pub fn apply(exp: &Experiment, changes: &[(String, Value)]) -> Result<Experiment, Error> {
    if changes.is_empty() {
        return Ok(exp.clone());
    }
    let mut json = serde_json::to_value(infinities(exp, true)).expect("an experiment serialises");
    for (name, value) in changes {
        let p = pointer(exp, &json, name)?;
        *json.pointer_mut(&p).expect("the pointer was found") = value.to_json();
    }
    let changed: Experiment = serde_json::from_value(json).map_err(|e| {
        Error::input(
            &changes.iter().map(|c| c.0.as_str()).collect::<Vec<_>>().join(", "),
            format!("a value does not fit its field: {e}"),
        )
    })?;
    let changed = infinities(&changed, false);
    changed.check()?;
    Ok(changed)
}

/// JSON has no infinity (serde_json writes one as `null`), so an experiment goes through JSON
/// with every infinite number (an unlimited bandwidth, say) written as the largest finite one,
/// and comes back with that read as infinity again. (A finite number so large means the same as
/// infinity to every field.)
const INFINITY_IN_JSON: f64 = f64::MAX;

/// The experiment with its infinite numbers written as [`INFINITY_IN_JSON`] (`to_json`), or
/// with those read as infinity, through its RON tree.
fn infinities(exp: &Experiment, to_json: bool) -> Experiment {
    use crate::ron::{Kind, Node, Source};
    fn swap(node: &mut Node, to_json: bool) {
        match &mut node.kind {
            Kind::Ident(i) if to_json && i == "inf" => node.kind = Kind::Number(INFINITY_IN_JSON, None),
            Kind::Number(x, _) if to_json && x.is_infinite() => {
                node.kind = Kind::Number(x.signum() * INFINITY_IN_JSON, None);
            }
            Kind::Number(x, _) if !to_json && x.abs() == INFINITY_IN_JSON => {
                node.kind = Kind::Number(x.signum() * f64::INFINITY, None);
            }
            Kind::Named(_, body) => swap(body, to_json),
            Kind::Tuple(items) | Kind::List(items) => items.iter_mut().for_each(|n| swap(n, to_json)),
            Kind::Fields(fields) => fields.iter_mut().for_each(|f| swap(&mut f.value, to_json)),
            Kind::Map(entries) => entries.iter_mut().for_each(|(_, v)| swap(v, to_json)),
            _ => {}
        }
    }
    let mut source = Source::parse(&exp.to_ron()).expect("an experiment's RON reads back");
    swap(&mut source.root, to_json);
    source.read().expect("an experiment's RON reads back")
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
    use super::*;

    fn gossip() -> Experiment {
        Experiment::from_ron(crate::experiments::FAULTS_PUSH, "faults-push.ron").unwrap()
    }

    /// JSON has no infinity: an experiment with unlimited bandwidth once failed every `--set`
    /// ("invalid type: null"), and so did `--set ...upload=inf`.
    #[test]
    fn infinite_numbers_survive_a_change() {
        use p2psim_kernel::Param;
        let set = |exp: &Experiment, s: &str| apply(exp, &[parse_setting(s).unwrap()]).unwrap();
        let unlimited = set(&gossip(), "peer.physical.upload=inf");
        assert_eq!(unlimited.peer_types[0].physical.upload, Param::Const(f64::INFINITY));
        let changed = set(&unlimited, "peers[0].count=7");
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
        let json = serde_json::to_value(&exp).unwrap();
        assert_eq!(pointer(&exp, &json, "peer.gossip.fanout").unwrap(), "/peer_types/0/services/1/1/PushGossip/fanout");
        assert_eq!(pointer(&exp, &json, "network.loss").unwrap(), "/network/loss");
        assert_eq!(pointer(&exp, &json, "topology.graph.p").unwrap(), "/topology/graph/ErdosRenyi/p");
        assert_eq!(pointer(&exp, &json, "peers[1].count").unwrap(), "/peers/1/count");
        let e = pointer(&exp, &json, "peer.gossip.fan_out").unwrap_err();
        assert!(
            e.to_string().contains("`fan_out` is not there (there is: exclude_peers, exclude_types, fanout, relay)"),
            "{e}"
        );
        assert!(pointer(&exp, &json, "/peer_types/9").is_err());
    }

    #[test]
    fn values_of_any_kind_are_set_and_checked() {
        let exp = gossip();
        let set = |name: &str, value: &str| apply(&exp, &[(name.to_owned(), Value::parse(value).unwrap())]);
        let e = set("peer.gossip.fanout", "5").unwrap();
        let (_, p2psim_services::ServiceSpec::PushGossip(c)) = &e.peer_types[0].services[1] else { panic!() };
        assert_eq!(c.fanout, p2psim_kernel::Param::Const(5.0));
        let e = set("peer.gossip.relay", "FirstCopy").unwrap();
        let (_, p2psim_services::ServiceSpec::PushGossip(c)) = &e.peer_types[0].services[1] else { panic!() };
        assert_eq!(c.relay, p2psim_services::Relay::FirstCopy);
        let e = set("topology.graph", "RandomRegular(degree: 4)").unwrap();
        assert_eq!(e.topology.graph, crate::Graph::RandomRegular { degree: 4 });
        let e = set("peer.gossip.fanout", "Dist(Norm(loc: 3, scale: 1))").unwrap();
        let (_, p2psim_services::ServiceSpec::PushGossip(c)) = &e.peer_types[0].services[1] else { panic!() };
        assert!(matches!(c.fanout, p2psim_kernel::Param::Dist(_)));
        let bad = set("network.loss", "2").unwrap_err();
        assert_eq!(bad.to_string(), "network.loss: a probability must be in [0, 1], got 2");
        assert!(set("network.loss", "\"high\"").unwrap_err().to_string().contains("does not fit"));
        assert_eq!(parse_setting("a.b = 3").unwrap(), ("a.b".into(), Value::Number(3.0)));
        assert!(parse_setting("nothing").is_err());
        assert_eq!(Value::parse("RandomRegular(degree: 4)").unwrap().to_string(), "RandomRegular(degree: 4.000000)");
        assert_eq!(Value::parse("FirstCopy").unwrap(), Value::Variant("FirstCopy".into(), None));
        let e = apply(&exp, &[("client.cm".into(), Value::parse("ConnectionManager()").unwrap())]).unwrap();
        assert_eq!(e.peer_types[1].services[0].1, p2psim_services::ServiceSpec::ConnectionManager(Default::default()));
    }
}
