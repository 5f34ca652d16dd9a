//! JSON, the form an experiment takes as Python data: written from the tree of its RON text, and
//! read back into such a tree.
//!
//! The shapes are serde's (the externally tagged form `serde_json` writes): a struct is an object;
//! a variant is its name (`"FirstCopy"`), or an object of one entry, its name and its content
//! (`{"PushGossip": {"fanout": 3}}`, `{"Const": 5}`); `None` is `null`; a tuple is an array.
//! Infinite numbers (an unlimited bandwidth) are written `Infinity`, as Python's `json` module
//! writes and reads them; so nothing is lost on the way.
//!
//! What it is not: a JSON reader of its own. JSON text is read by the RON parser (its objects
//! are RON maps), and [`from_json_tree`] turns the maps into the structs and variants they stand
//! for, keeping every value's line and column for errors.

use super::parse::{Field, Kind, Node};

/// Writes `node`, a value of an experiment's RON tree, as JSON.
pub(crate) fn write(node: &Node, out: &mut String) {
    match &node.kind {
        Kind::Unit | Kind::Absent => out.push_str("null"),
        Kind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Kind::Number(_, Some(i)) => out.push_str(&i.to_string()),
        Kind::Number(x, None) => number(*x, out),
        Kind::Str(s) => out.push_str(&serde_json::to_string(s).expect("a string serialises")),
        Kind::Char(c) => out.push_str(&serde_json::to_string(&c.to_string()).expect("a string serialises")),
        Kind::Ident(i) => match i.as_str() {
            "None" => out.push_str("null"),
            "inf" => out.push_str("Infinity"),
            "NaN" => out.push_str("NaN"),
            unit => out.push_str(&serde_json::to_string(unit).expect("a string serialises")),
        },
        Kind::Named(name, body) => match &body.kind {
            // `Some(x)` is `x`.
            Kind::Tuple(items) if name == "Some" && items.len() == 1 => write(&items[0], out),
            _ => {
                out.push('{');
                out.push_str(&serde_json::to_string(name).expect("a string serialises"));
                out.push(':');
                match &body.kind {
                    Kind::Tuple(items) if items.len() == 1 => write(&items[0], out),
                    Kind::Unit => out.push_str("{}"),
                    _ => write(body, out),
                }
                out.push('}');
            }
        },
        Kind::Tuple(items) | Kind::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Kind::Fields(fields) => {
            out.push('{');
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(&f.name).expect("a string serialises"));
                out.push(':');
                write(&f.value, out);
            }
            out.push('}');
        }
        Kind::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match &k.kind {
                    Kind::Str(_) => write(k, out),
                    _ => {
                        let mut key = String::new();
                        write(k, &mut key);
                        out.push_str(&serde_json::to_string(&key).expect("a string serialises"));
                    }
                }
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
    }
}

fn number(x: f64, out: &mut String) {
    if x.is_nan() {
        out.push_str("NaN");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        out.push_str(&serde_json::to_string(&x).expect("a finite number serialises"));
    }
}

/// Turns a tree the RON parser read from JSON text into the tree RON text would have given:
/// objects into structs, or into variants where they hold one entry named with a capital
/// (`{"PushGossip": {…}}`); `null` into `None`; `Infinity` into `inf`.
pub(crate) fn from_json_tree(node: &mut Node) {
    match &mut node.kind {
        Kind::Ident(i) if i == "null" => node.kind = Kind::Ident("None".into()),
        Kind::Ident(i) if i == "Infinity" => node.kind = Kind::Ident("inf".into()),
        Kind::Map(entries) => {
            let keys: Option<Vec<String>> =
                entries.iter().map(|(k, _)| if let Kind::Str(s) = &k.kind { Some(s.clone()) } else { None }).collect();
            let Some(keys) = keys else { return };
            let mut entries = std::mem::take(entries);
            for (_, v) in &mut entries {
                from_json_tree(v);
            }
            node.kind = if keys.len() == 1 && keys[0].starts_with(char::is_uppercase) {
                let (_, mut content) = entries.pop().expect("one entry");
                // The content of a variant: its fields, or its one value.
                if !matches!(content.kind, Kind::Fields(_)) {
                    let pos = content.pos;
                    content = Node { kind: Kind::Tuple(vec![content]), pos };
                }
                Kind::Named(keys[0].clone(), Box::new(content))
            } else {
                Kind::Fields(entries.into_iter().map(|(k, value)| Field { name: key(&k), pos: k.pos, value }).collect())
            };
        }
        Kind::List(items) | Kind::Tuple(items) => items.iter_mut().for_each(from_json_tree),
        _ => {}
    }
}

fn key(k: &Node) -> String {
    match &k.kind {
        Kind::Str(s) => s.clone(),
        _ => unreachable!("every key was checked to be a string"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ron::parse::parse;

    #[test]
    fn json_written_from_ron_reads_back_to_the_same_tree() {
        let ron = r#"(name: "x", upload: Const(inf), rate: Some(2.5), relay: FirstCopy, services: [("g", PushGossip(fanout: 3, relay: EveryCopy))], none: None, empty: Loss())"#;
        let tree = parse(ron).unwrap();
        let mut json = String::new();
        write(&tree, &mut json);
        assert_eq!(
            json,
            r#"{"name":"x","upload":{"Const":Infinity},"rate":2.5,"relay":"FirstCopy","services":[["g",{"PushGossip":{"fanout":3,"relay":"EveryCopy"}}]],"none":null,"empty":{"Loss":{}}}"#
        );
        let mut back = parse(&json).unwrap();
        from_json_tree(&mut back);
        let mut again = String::new();
        write(&back, &mut again);
        assert_eq!(again, json, "the same JSON from the tree read back");
    }
}
