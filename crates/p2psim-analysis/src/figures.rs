//! The one table of the summary's figures: for each, its key in `summary.json`, its unit, what it
//! means and how it is read from a [`Summary`]. `summary.json`, the figure names sweeps accept
//! (and so the columns of `runs.csv`), the command's printed line and the `summary.json` section
//! of the file-format reference are all produced from [`FIGURES`]; a figure added to
//! [`Summary`] and not here is missing from all of them at once, which a test notices.
//!
//! Not here: how a figure is computed from the cells (`summary.rs`, `scan.rs`).

use serde_json::{Map, Value, json};

use crate::summary::{Summary, fixed};

/// What a figure reads from a summary: one value, or one per name (peer type, message kind,
/// drop reason) under the key's upper-case segment.
pub enum Reading {
    /// One value.
    One(Value),
    /// A value per name, in name order.
    Each(Vec<(String, Value)>),
}

/// One figure of the summary.
pub struct Figure {
    /// Its key in `summary.json`, nested keys joined by `.`; an upper-case segment (`TYPE`,
    /// `KIND`, `REASON`) stands for each of several names.
    pub key: &'static str,
    /// Its unit (empty for a name or a count).
    pub unit: &'static str,
    /// What it means, for the file-format reference.
    pub meaning: &'static str,
    /// How it is read.
    pub read: fn(&Summary) -> Reading,
}

fn one(v: Value) -> Reading {
    Reading::One(v)
}

/// Every figure, in the order the reference lists them.
pub const FIGURES: &[Figure] = &[
    Figure { key: "experiment", unit: "", meaning: "the experiment's name", read: |s| one(json!(s.experiment)) },
    Figure { key: "seed", unit: "", meaning: "the master seed", read: |s| one(json!(s.seed)) },
    Figure { key: "until_ms", unit: "ms", meaning: "the end of the run", read: |s| one(json!(s.until_ms)) },
    Figure {
        key: "rng",
        unit: "",
        meaning: "the random generator every stream is drawn from",
        read: |_| one(json!(p2psim_kernel::RNG_NAME)),
    },
    Figure {
        key: "peers.TYPE",
        unit: "peers",
        meaning: "peers of each type",
        read: |s| Reading::Each(s.peers.iter().map(|(t, &n)| (t.clone(), json!(n))).collect()),
    },
    Figure { key: "events", unit: "events", meaning: "events the kernel handled", read: |s| one(json!(s.events)) },
    Figure {
        key: "arrivals_accounted",
        unit: "messages",
        meaning: "arrivals counted at send without an event (`network.account_known_copies`)",
        read: |s| one(json!(s.arrivals_accounted)),
    },
    Figure {
        key: "messages_produced",
        unit: "messages",
        meaning: "messages produced (by producers, protocols or the workload)",
        read: |s| one(json!(s.messages_produced)),
    },
    Figure {
        key: "delivery_ratio",
        unit: "fraction",
        meaning: "fraction of cells reached",
        read: |s| one(fixed(s.delivery_ratio)),
    },
    Figure {
        key: "residue",
        unit: "fraction",
        meaning: "fraction of cells never reached, 1 − `delivery_ratio` (Demers' s)",
        read: |s| one(fixed(s.residue)),
    },
    Figure {
        key: "delay_ms.mean",
        unit: "ms",
        meaning: "first-receipt delay of reached cells (receipt minus production), mean; exact at any size (summed in integer nanoseconds)",
        read: |s| one(fixed(s.delay_ms.mean)),
    },
    Figure {
        key: "delay_ms.p50",
        unit: "ms",
        meaning: "the median of those delays, interpolated linearly as pandas' `quantile` computes it from `delays.csv`; exact (found by counting passes over the cells in place, without a sorted copy)",
        read: |s| one(fixed(s.delay_ms.p50)),
    },
    Figure {
        key: "delay_ms.p90",
        unit: "ms",
        meaning: "their 90th percentile, the same way",
        read: |s| one(fixed(s.delay_ms.p90)),
    },
    Figure {
        key: "delay_ms.p99",
        unit: "ms",
        meaning: "their 99th percentile, the same way",
        read: |s| one(fixed(s.delay_ms.p99)),
    },
    Figure { key: "delay_ms.max", unit: "ms", meaning: "the largest of them", read: |s| one(fixed(s.delay_ms.max)) },
    Figure {
        key: "delay_ms.last",
        unit: "ms",
        meaning: "for each message the delay of its last first receipt (the time to reach every peer it reached), averaged over messages",
        read: |s| one(fixed(s.delay_ms.last)),
    },
    Figure {
        key: "tutorial_mean_delay_ms",
        unit: "ms",
        meaning: "notebook 03's `df.mean().mean()`: each peer's mean delay, then the mean over peers; differs from `delay_ms.mean` when some peers got fewer messages",
        read: |s| one(fixed(s.tutorial_mean_delay_ms)),
    },
    Figure {
        key: "hops.mean",
        unit: "hops",
        meaning: "hops of first copies received, the mean over all receipts (the producer's own copy not counted)",
        read: |s| one(fixed(s.hops.0)),
    },
    Figure {
        key: "hops.max",
        unit: "hops",
        meaning: "the farthest first copy's hops, the largest over messages",
        read: |s| one(fixed(s.hops.1)),
    },
    Figure {
        key: "hops.last",
        unit: "hops",
        meaning: "the farthest first copy's hops, the mean over messages (dissemination latency in hops)",
        read: |s| one(fixed(s.hops.2)),
    },
    Figure {
        key: "copies.mean",
        unit: "copies",
        meaning: "copies stored per reached cell (the producer's own included), mean",
        read: |s| one(fixed(s.copies.0)),
    },
    Figure {
        key: "copies.max",
        unit: "copies",
        meaning: "copies stored in one cell, the largest",
        read: |s| one(json!(s.copies.1)),
    },
    Figure {
        key: "relative_message_redundancy",
        unit: "",
        meaning: "per message, copies received by the analysed peers per receiver, minus one (Plumtree's m / (n − 1) − 1), averaged over messages; 0 when every receiver got one copy",
        read: |s| one(fixed(s.rmr)),
    },
    Figure {
        key: "sent_per_peer.messages",
        unit: "messages",
        meaning: "messages of every kind the analysed service handles, sent by its peers, per peer and per message produced (gossip copies, requests, digests, feedback)",
        read: |s| one(fixed(s.sent_per_peer.0)),
    },
    Figure {
        key: "sent_per_peer.updates",
        unit: "messages",
        meaning: "of those, the copies of messages (updates): Demers' traffic m",
        read: |s| one(fixed(s.sent_per_peer.1)),
    },
    Figure {
        key: "sent_per_peer.bytes",
        unit: "bytes",
        meaning: "bytes of those messages, per peer and per message produced",
        read: |s| one(fixed(s.sent_per_peer.2)),
    },
    Figure {
        key: "sent_by_kind.KIND.messages",
        unit: "messages",
        meaning: "all messages sent in the run by every peer, by kind (`GossipMessage`, `Ping`, `Hello`, a protocol's own kinds); kinds never sent are left out",
        read: |s| Reading::Each(s.sent_by_kind.iter().map(|(k, &(m, _))| (k.clone(), json!(m))).collect()),
    },
    Figure {
        key: "sent_by_kind.KIND.bytes",
        unit: "bytes",
        meaning: "their bytes, by kind",
        read: |s| Reading::Each(s.sent_by_kind.iter().map(|(k, &(_, b))| (k.clone(), json!(b))).collect()),
    },
    Figure {
        key: "bytes_per_s_per_peer.mean",
        unit: "bytes/s",
        meaning: "bytes received per second by each analysed peer (every kind, silent seconds as 0), the mean over seconds and peers (notebook 03's `mean(axis=1).mean()`)",
        read: |s| one(fixed(s.bytes_per_s_per_peer.0)),
    },
    Figure {
        key: "bytes_per_s_per_peer.median",
        unit: "bytes/s",
        meaning: "the median over peers of each peer's mean",
        read: |s| one(fixed(s.bytes_per_s_per_peer.1)),
    },
    Figure {
        key: "msgs_per_s_per_peer.mean",
        unit: "messages/s",
        meaning: "the same for messages received: the mean",
        read: |s| one(fixed(s.msgs_per_s_per_peer.0)),
    },
    Figure {
        key: "msgs_per_s_per_peer.median",
        unit: "messages/s",
        meaning: "and the median over peers",
        read: |s| one(fixed(s.msgs_per_s_per_peer.1)),
    },
    Figure {
        key: "dropped.REASON",
        unit: "messages",
        meaning: "messages the network dropped, by reason: `sender_offline`, `not_connected`, `lost`, `partitioned`, `link_gone_on_arrival`, `receiver_absent`, `receiver_offline`, `rejected` (by validation)",
        read: |s| Reading::Each(s.dropped.iter().map(|(r, &n)| ((*r).to_owned(), json!(n))).collect()),
    },
    Figure {
        key: "unhandled",
        unit: "messages",
        meaning: "messages delivered to a peer none of whose services handles their kind",
        read: |s| one(json!(s.unhandled)),
    },
    Figure { key: "links", unit: "links", meaning: "links at the end of the run", read: |s| one(json!(s.links)) },
    Figure {
        key: "mean_degree",
        unit: "links",
        meaning: "links per peer at the end of the run",
        read: |s| one(fixed(s.mean_degree)),
    },
];

/// The summary as a JSON tree, every figure of [`FIGURES`] at its key (objects' keys sorted).
pub(crate) fn tree(s: &Summary) -> Value {
    let mut root = Map::new();
    for f in FIGURES {
        let segments: Vec<&str> = f.key.split('.').collect();
        match (f.read)(s) {
            Reading::One(v) => insert(&mut root, &segments, v),
            Reading::Each(entries) => {
                let at = segments.iter().position(|p| p.starts_with(char::is_uppercase)).expect("a name segment");
                // The object above the names is there even with no names (`"sent_by_kind": {}`).
                object_at(&mut root, &segments[..at]);
                for (name, v) in entries {
                    let mut path = segments.clone();
                    path[at] = &name;
                    insert(&mut root, &path, v);
                }
            }
        }
    }
    Value::Object(root)
}

fn object_at<'m>(mut map: &'m mut Map<String, Value>, path: &[&str]) -> &'m mut Map<String, Value> {
    for p in path {
        map = map
            .entry((*p).to_owned())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("figures' keys nest objects only");
    }
    map
}

fn insert(root: &mut Map<String, Value>, path: &[&str], v: Value) {
    let (last, above) = path.split_last().expect("a key");
    object_at(root, above).insert((*last).to_owned(), v);
}

/// A number of the summary by its key (`delay_ms.p99`), if it has that figure and the figure is
/// a number (NaN for `null`).
pub(crate) fn number(s: &Summary, key: &str) -> Option<f64> {
    let json = tree(s);
    let mut v = &json;
    for p in key.split('.') {
        v = v.get(p)?;
    }
    match v {
        Value::Null => Some(f64::NAN),
        v => v.as_f64(),
    }
}

/// The reference's table of `summary.json`: one row per figure (key, unit, meaning), Markdown.
pub fn reference() -> String {
    let mut out = String::from("| key | unit | meaning |\n|---|---|---|\n");
    for f in FIGURES {
        let unit = if f.unit.is_empty() { "" } else { f.unit };
        out += &format!("| `{}` | {unit} | {} |\n", f.key, f.meaning);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::summary::Delays;

    fn summary() -> Summary {
        Summary {
            experiment: "e".into(),
            seed: 1,
            until_ms: 2,
            peers: BTreeMap::from([("peer".into(), 3)]),
            events: 4,
            arrivals_accounted: 5,
            messages_produced: 6,
            delivery_ratio: 0.5,
            residue: 0.5,
            delay_ms: Delays { mean: 1.0, p50: 2.0, p90: 3.0, p99: 4.0, max: 5.0, last: 6.0 },
            tutorial_mean_delay_ms: 7.0,
            hops: (1.0, 2.0, 3.0),
            copies: (1.5, 2),
            rmr: 0.25,
            sent_per_peer: (1.0, 2.0, 3.0),
            sent_by_kind: BTreeMap::from([("Ping".into(), (1, 2))]),
            bytes_per_s_per_peer: (1.0, 2.0),
            msgs_per_s_per_peer: (3.0, 4.0),
            dropped: BTreeMap::from([("lost", 1)]),
            unhandled: 8,
            links: 9,
            mean_degree: 10.0,
        }
    }

    /// Every field of [`Summary`] is read by some figure: changing any one of them changes
    /// `summary.json`. The destructuring is exhaustive, so a new field does not compile here
    /// until it is given a change (and so a figure).
    #[test]
    fn every_field_of_the_summary_reaches_summary_json() {
        let base = summary();
        let Summary {
            experiment: _,
            seed: _,
            until_ms: _,
            peers: _,
            events: _,
            arrivals_accounted: _,
            messages_produced: _,
            delivery_ratio: _,
            residue: _,
            delay_ms: Delays { mean: _, p50: _, p90: _, p99: _, max: _, last: _ },
            tutorial_mean_delay_ms: _,
            hops: (_, _, _),
            copies: (_, _),
            rmr: _,
            sent_per_peer: (_, _, _),
            sent_by_kind: _,
            bytes_per_s_per_peer: (_, _),
            msgs_per_s_per_peer: (_, _),
            dropped: _,
            unhandled: _,
            links: _,
            mean_degree: _,
        } = &base;
        type Change = (&'static str, fn(&mut Summary));
        let changes: Vec<Change> = vec![
            ("experiment", |s| s.experiment.push('x')),
            ("seed", |s| s.seed += 1),
            ("until_ms", |s| s.until_ms += 1),
            ("peers", |s| *s.peers.get_mut("peer").unwrap() += 1),
            ("events", |s| s.events += 1),
            ("arrivals_accounted", |s| s.arrivals_accounted += 1),
            ("messages_produced", |s| s.messages_produced += 1),
            ("delivery_ratio", |s| s.delivery_ratio += 0.1),
            ("residue", |s| s.residue += 0.1),
            ("delay_ms.mean", |s| s.delay_ms.mean += 1.0),
            ("delay_ms.p50", |s| s.delay_ms.p50 += 1.0),
            ("delay_ms.p90", |s| s.delay_ms.p90 += 1.0),
            ("delay_ms.p99", |s| s.delay_ms.p99 += 1.0),
            ("delay_ms.max", |s| s.delay_ms.max += 1.0),
            ("delay_ms.last", |s| s.delay_ms.last += 1.0),
            ("tutorial_mean_delay_ms", |s| s.tutorial_mean_delay_ms += 1.0),
            ("hops.0", |s| s.hops.0 += 1.0),
            ("hops.1", |s| s.hops.1 += 1.0),
            ("hops.2", |s| s.hops.2 += 1.0),
            ("copies.0", |s| s.copies.0 += 1.0),
            ("copies.1", |s| s.copies.1 += 1),
            ("rmr", |s| s.rmr += 1.0),
            ("sent_per_peer.0", |s| s.sent_per_peer.0 += 1.0),
            ("sent_per_peer.1", |s| s.sent_per_peer.1 += 1.0),
            ("sent_per_peer.2", |s| s.sent_per_peer.2 += 1.0),
            ("sent_by_kind messages", |s| s.sent_by_kind.get_mut("Ping").unwrap().0 += 1),
            ("sent_by_kind bytes", |s| s.sent_by_kind.get_mut("Ping").unwrap().1 += 1),
            ("bytes_per_s_per_peer.0", |s| s.bytes_per_s_per_peer.0 += 1.0),
            ("bytes_per_s_per_peer.1", |s| s.bytes_per_s_per_peer.1 += 1.0),
            ("msgs_per_s_per_peer.0", |s| s.msgs_per_s_per_peer.0 += 1.0),
            ("msgs_per_s_per_peer.1", |s| s.msgs_per_s_per_peer.1 += 1.0),
            ("dropped", |s| *s.dropped.get_mut("lost").unwrap() += 1),
            ("unhandled", |s| s.unhandled += 1),
            ("links", |s| s.links += 1),
            ("mean_degree", |s| s.mean_degree += 1.0),
        ];
        let json = base.to_json();
        for (field, change) in changes {
            let mut s = summary();
            change(&mut s);
            assert_ne!(s.to_json(), json, "{field} does not reach summary.json: give it a figure in FIGURES");
        }
    }

    /// Every key of `summary.json` is a figure's key (names put back for the upper-case segment),
    /// once; and `Summary::number` reads each number at its key.
    #[test]
    fn summary_json_holds_exactly_the_figures() {
        let s = summary();
        let json: Value = serde_json::from_str(&s.to_json()).unwrap();
        let mut leaves = Vec::new();
        fn walk(prefix: &str, v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        walk(&if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, v, out);
                    }
                }
                _ => out.push(prefix.to_owned()),
            }
        }
        walk("", &json, &mut leaves);
        let named = |k: &str| k.replace("peers.peer", "peers.TYPE").replace("Ping", "KIND").replace("lost", "REASON");
        let mut keys: Vec<String> = leaves.iter().map(|k| named(k)).collect();
        keys.sort();
        let mut figures: Vec<String> = FIGURES.iter().map(|f| f.key.to_owned()).collect();
        figures.sort();
        assert_eq!(keys, figures);
        assert_eq!(s.number("delay_ms.p99"), Some(4.0));
        assert_eq!(s.number("sent_by_kind.Ping.bytes"), Some(2.0));
        assert_eq!(s.number("nothing"), None);
    }

    #[test]
    fn the_reference_has_a_row_per_figure() {
        let r = reference();
        assert_eq!(r.lines().count(), FIGURES.len() + 2);
        assert!(FIGURES.iter().all(|f| r.contains(&format!("| `{}` |", f.key))));
    }
}
