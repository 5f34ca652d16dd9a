//! The run's summary: the figures `summary.json` holds, computed from the tables.

use std::collections::BTreeMap;

use p2psim_kernel::SimTime;
use p2psim_net::DropReason;
use p2psim_services::{ServiceId, World};
use serde_json::{Value, json};

use crate::tables::{Table, copies_table, delay_table, mean, quantile, tutorial_mean_delay};
use crate::traffic::TrafficTable;

/// Every figure of a run's summary. Floats are rounded to 6 decimals when written, and keys are
/// written in sorted order, so that the same run gives the same bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The experiment's name.
    pub experiment: String,
    /// The master seed.
    pub seed: u64,
    /// The end of the run, ms.
    pub until_ms: u64,
    /// Peers per type.
    pub peers: BTreeMap<String, usize>,
    /// Events handled.
    pub events: u64,
    /// Arrivals counted when they were sent, without an event (known copies; see
    /// `World::account_known_copies`).
    pub arrivals_accounted: u64,
    /// Messages produced.
    pub messages_produced: usize,
    /// Fraction of (message, peer) cells reached.
    pub delivery_ratio: f64,
    /// Delay of reached cells, ms: mean, p50, p90, p99, max.
    pub delay_ms: [f64; 5],
    /// Copies per reached cell: mean, max.
    pub copies: (f64, u32),
    /// Relative message redundancy: copies received beyond the first, per reached cell
    /// (`mean copies − 1`; 0 means no redundant copy at all).
    pub rmr: f64,
    /// Received bytes per second per peer: mean, median over peers.
    pub bytes_per_s_per_peer: (f64, f64),
    /// Received messages per second per peer: mean, median over peers.
    pub msgs_per_s_per_peer: (f64, f64),
    /// Fraction of (message, peer) cells never reached.
    pub residue: f64,
    /// Messages sent by the gossip service, per peer and per message.
    pub traffic_per_peer: f64,
    /// Mean delay of reached cells, ms.
    pub t_ave_ms: f64,
    /// Mean over messages of the last first-receipt delay, ms.
    pub t_last_ms: f64,
    /// The tutorial's mean delay (per-peer means, then their mean), ms.
    pub tutorial_mean_delay_ms: f64,
    /// Messages dropped by the network, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Delivered messages no service handled.
    pub unhandled: u64,
    /// Links at the end of the run.
    pub links: usize,
    /// Mean number of links per peer at the end of the run.
    pub mean_degree: f64,
}

/// The tables a summary is computed from, kept for CSV and plots.
#[derive(Clone, Debug)]
pub struct Tables {
    /// First-receipt delays.
    pub delays: Table<f64>,
    /// Copies.
    pub copies: Table<u32>,
    /// Received traffic per second.
    pub traffic: TrafficTable,
}

impl Tables {
    /// Reads the tables of gossip service `slot` from a run that ended at `until`; without a gossip
    /// service, the message tables are empty and traffic covers every peer.
    pub fn new(world: &World, slot: Option<ServiceId>, until: SimTime) -> Tables {
        let (delays, copies) = match slot {
            Some(slot) => (delay_table(world, slot), copies_table(world, slot)),
            None => {
                let peers: Vec<_> = world.net().peers().collect();
                (
                    Table { messages: Vec::new(), peers: peers.clone(), cells: Vec::new() },
                    Table { messages: Vec::new(), peers, cells: Vec::new() },
                )
            }
        };
        let traffic = TrafficTable::new(world.net().monitors(), &delays.peers, until);
        Tables { delays, copies, traffic }
    }
}

impl Summary {
    /// Computes the summary of a run, for gossip service `slot` if there is one.
    pub fn new(
        name: &str,
        seed: u64,
        until: SimTime,
        events: u64,
        world: &World,
        slot: Option<ServiceId>,
        t: &Tables,
    ) -> Summary {
        let mut delays: Vec<f64> = t.delays.values().collect();
        delays.sort_by(f64::total_cmp);
        let copies: Vec<f64> = t.copies.values().map(f64::from).collect();
        let bytes = t.traffic.bytes_f64();
        let msgs = t.traffic.msgs_f64();
        let lasts: Vec<f64> =
            t.delays.cells.iter().filter_map(|row| row.iter().flatten().copied().max_by(f64::total_cmp)).collect();
        let n = t.delays.peers.len().max(1) as f64;
        let m = t.delays.messages.len().max(1) as f64;
        let sent: u64 = slot.map_or(0, |s| u64::from(world.service_traffic(s).msgs));
        let links = world.net().link_count();
        let peer_count = world.net().peer_count().max(1);
        let mut peers = BTreeMap::new();
        for name in world.peers().type_names() {
            let id = world.peers().type_id(name).expect("listed");
            peers.insert(name.clone(), world.peers().members(id).len());
        }
        let counters = world.net().counters();
        let dropped = DropReason::ALL.iter().map(|&r| (r.name(), counters.dropped(r))).collect();
        let ratio = t.delays.fill_ratio();
        Summary {
            experiment: name.to_owned(),
            seed,
            until_ms: until.as_nanos() / 1_000_000,
            peers,
            events,
            arrivals_accounted: counters.accounted,
            messages_produced: world.messages().len(),
            delivery_ratio: ratio,
            delay_ms: [
                mean(&delays),
                quantile(&delays, 0.5),
                quantile(&delays, 0.9),
                quantile(&delays, 0.99),
                delays.last().copied().unwrap_or(f64::NAN),
            ],
            copies: (mean(&copies), t.copies.values().max().unwrap_or(0)),
            rmr: mean(&copies) - 1.0,
            bytes_per_s_per_peer: (TrafficTable::mean_of_means(&bytes), TrafficTable::median_of_peer_means(&bytes)),
            msgs_per_s_per_peer: (TrafficTable::mean_of_means(&msgs), TrafficTable::median_of_peer_means(&msgs)),
            residue: if t.delays.cell_count() == 0 { f64::NAN } else { 1.0 - ratio },
            traffic_per_peer: sent as f64 / (n * m),
            t_ave_ms: mean(&delays),
            t_last_ms: mean(&lasts),
            tutorial_mean_delay_ms: tutorial_mean_delay(&t.delays),
            dropped,
            unhandled: world.unhandled(),
            links,
            mean_degree: 2.0 * links as f64 / peer_count as f64,
        }
    }

    /// The summary as JSON text: sorted keys, floats rounded to 6 decimals, NaN as `null`.
    pub fn to_json(&self) -> String {
        let v = json!({
            "experiment": self.experiment,
            "seed": self.seed,
            "rng": p2psim_kernel::RNG_NAME,
            "until_ms": self.until_ms,
            "peers": self.peers,
            "events": self.events,
            "arrivals_accounted": self.arrivals_accounted,
            "messages_produced": self.messages_produced,
            "delivery_ratio": fixed(self.delivery_ratio),
            "delay_ms": {
                "mean": fixed(self.delay_ms[0]),
                "p50": fixed(self.delay_ms[1]),
                "p90": fixed(self.delay_ms[2]),
                "p99": fixed(self.delay_ms[3]),
                "max": fixed(self.delay_ms[4]),
            },
            "copies": { "mean": fixed(self.copies.0), "max": self.copies.1 },
            "relative_message_redundancy": fixed(self.rmr),
            "bytes_per_s_per_peer": { "mean": fixed(self.bytes_per_s_per_peer.0), "median": fixed(self.bytes_per_s_per_peer.1) },
            "msgs_per_s_per_peer": { "mean": fixed(self.msgs_per_s_per_peer.0), "median": fixed(self.msgs_per_s_per_peer.1) },
            "residue": fixed(self.residue),
            "traffic_per_peer": fixed(self.traffic_per_peer),
            "t_ave_ms": fixed(self.t_ave_ms),
            "t_last_ms": fixed(self.t_last_ms),
            "tutorial_mean_delay_ms": fixed(self.tutorial_mean_delay_ms),
            "dropped": self.dropped,
            "unhandled": self.unhandled,
            "links": self.links,
            "mean_degree": fixed(self.mean_degree),
        });
        serde_json::to_string_pretty(&v).expect("plain data serialises") + "\n"
    }
}

impl Summary {
    /// Every number of `summary.json` by name (nested keys joined by `.`: `delay_ms.mean`), for a
    /// run whose peer types are `types`: what a sweep can report and plot.
    pub fn metric_names(types: &[String]) -> Vec<String> {
        let placeholder = Summary {
            experiment: String::new(),
            seed: 0,
            until_ms: 0,
            peers: types.iter().map(|t| (t.clone(), 0)).collect(),
            events: 0,
            arrivals_accounted: 0,
            messages_produced: 0,
            delivery_ratio: 0.0,
            delay_ms: [0.0; 5],
            copies: (0.0, 0),
            rmr: 0.0,
            bytes_per_s_per_peer: (0.0, 0.0),
            msgs_per_s_per_peer: (0.0, 0.0),
            residue: 0.0,
            traffic_per_peer: 0.0,
            t_ave_ms: 0.0,
            t_last_ms: 0.0,
            tutorial_mean_delay_ms: 0.0,
            dropped: DropReason::ALL.iter().map(|&r| (r.name(), 0)).collect(),
            unhandled: 0,
            links: 0,
            mean_degree: 0.0,
        };
        let json: Value = serde_json::from_str(&placeholder.to_json()).expect("the summary is JSON");
        numbers(&json).into_keys().filter(|k| k != "seed").collect()
    }
}

/// Every number of a JSON value by its path (nested keys joined by `.`); nulls and strings are
/// left out.
pub fn numbers(json: &Value) -> BTreeMap<String, f64> {
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, f64>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&key, v, out);
                }
            }
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    out.insert(prefix.to_owned(), x);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    walk("", json, &mut out);
    out
}

/// A float rounded to 6 decimals, or `null`.
pub fn fixed(x: f64) -> Value {
    if x.is_finite() { json!((x * 1e6).round() / 1e6) } else { Value::Null }
}
