//! The run's summary: the figures `summary.json` holds, computed from the cells in place.

use std::collections::BTreeMap;

use p2psim_kernel::SimTime;
use p2psim_net::DropReason;
use p2psim_services::{ServiceId, World};
use serde_json::{Value, json};

use crate::cells::{Cells, ms};
use crate::per_message::MessageStats;
use crate::quantiles::select;
use crate::scan::Scan;
#[cfg(doc)]
use crate::tables::quantile;
use crate::tables::{lerp, mean, quantile_ranks};
use crate::traffic::TrafficTable;

/// Every figure of a run's summary, each defined once. Floats are rounded to 6 decimals when
/// written, and keys are written in sorted order, so that the same run gives the same bytes.
///
/// The message figures are over the analysed peers (the gossip service's) and every message
/// produced; see `docs/experiments.md` for what each key of `summary.json` counts.
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
    /// Fraction of (message, peer) cells never reached: `1 − delivery_ratio` (Demers' residue
    /// s), NaN without messages.
    pub residue: f64,
    /// First-receipt delays of the reached cells, ms: mean, p50, p90, p99 (quantiles
    /// interpolated linearly, as pandas' `quantile`), max; and `last`, the mean over messages of
    /// each message's last first receipt.
    pub delay_ms: Delays,
    /// The tutorial's mean delay: each peer's mean over the messages it got, then the mean over
    /// peers (notebook 03's `df.mean().mean()`; peers weigh the same however many messages
    /// reached them, so it differs from `delay_ms.mean` when delivery is uneven).
    pub tutorial_mean_delay_ms: f64,
    /// Hops of first copies received: mean, max, and `last`, the mean over messages of each
    /// message's farthest first copy (dissemination latency in hops).
    pub hops: (f64, f64, f64),
    /// Copies per reached cell (every store counted, the producer's own included): mean, max.
    pub copies: (f64, u32),
    /// Relative message redundancy, mean over the messages someone received: copies received
    /// per receiver minus one (Plumtree's `m / (n − 1) − 1`).
    pub rmr: f64,
    /// Sent by the analysed peers, per peer and per message produced: messages of every kind the
    /// gossip service handles, update copies among them (Demers' traffic m), bytes.
    pub sent_per_peer: (f64, f64, f64),
    /// Messages and bytes sent by all peers, by message kind (the kinds services handle).
    pub sent_by_kind: BTreeMap<String, (u64, u64)>,
    /// Received bytes per second per peer: mean, median over peers.
    pub bytes_per_s_per_peer: (f64, f64),
    /// Received messages per second per peer: mean, median over peers.
    pub msgs_per_s_per_peer: (f64, f64),
    /// Messages dropped by the network, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Delivered messages no service handled.
    pub unhandled: u64,
    /// Links at the end of the run.
    pub links: usize,
    /// Mean number of links per peer at the end of the run.
    pub mean_degree: f64,
}

/// Delay figures, ms.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Delays {
    /// Mean over reached cells.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
    /// Mean over messages of the last first receipt.
    pub last: f64,
}

/// What a summary is computed from, kept for the CSV files and plots: the cells of the analysed
/// service read in place, what one pass over them gathered, and the traffic.
#[derive(Clone, Debug)]
pub struct Tables<'w> {
    /// The (message × peer) cells.
    pub cells: Cells<'w>,
    /// One pass over them.
    pub scan: Scan,
    /// Received traffic per second.
    pub traffic: TrafficTable<'w>,
}

impl<'w> Tables<'w> {
    /// Reads gossip service `slot` of a run that ended at `until`; without a gossip service there
    /// are no messages, and traffic covers every peer.
    pub fn new(world: &'w World, slot: Option<ServiceId>, until: SimTime) -> Tables<'w> {
        let cells = Cells::new(world, slot);
        let scan = Scan::new(&cells, world.messages());
        let traffic = TrafficTable::new(world.net().monitors(), cells.peers_shared(), until);
        Tables { cells, scan, traffic }
    }

    /// The figures of every message, in production order.
    pub fn per_message(&self) -> &[MessageStats] {
        &self.scan.messages
    }

    /// The `q`-quantiles of the delays of the cells holding a value, ms, interpolated as
    /// [`quantile`] does; exact (see [`crate::quantiles`]).
    pub fn delay_quantiles(&self, qs: &[f64]) -> Vec<f64> {
        let n = self.scan.reached as usize;
        let Some(max) = self.scan.delay_max_ns else { return vec![f64::NAN; qs.len()] };
        // Cells hold values, so every quantile has its two ranks.
        let ranks: Vec<(usize, usize, f64)> = qs.iter().filter_map(|&q| quantile_ranks(n, q)).collect();
        let wanted: Vec<u64> = ranks.iter().flat_map(|&(lo, hi, _)| [lo as u64, hi as u64]).collect();
        let values = select(&wanted, max, |sink| self.cells.for_each(|_, c| sink(c.delay_ns)));
        ranks.iter().zip(values.chunks(2)).map(|(&(_, _, frac), v)| lerp(ms(v[0]), ms(v[1]), frac)).collect()
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
        t: &Tables<'_>,
    ) -> Summary {
        let stats = t.per_message();
        let of = |f: fn(&MessageStats) -> f64| -> Vec<f64> { stats.iter().map(f).filter(|x| !x.is_nan()).collect() };
        // Every first copy received weighs the same: messages weigh by their receivers.
        let receivers: usize = stats.iter().map(|s| s.receivers).sum();
        let hops_sum: f64 = stats.iter().filter(|s| s.receivers > 0).map(|s| s.hops_mean * s.receivers as f64).sum();
        let n = t.cells.peers().len().max(1) as f64;
        let m = t.cells.messages().len().max(1) as f64;
        let [p50, p90, p99] = t.delay_quantiles(&[0.5, 0.9, 0.99])[..] else { unreachable!("three asked") };
        let scan = &t.scan;
        let (sent, updates) = match slot {
            Some(s) => (world.service_traffic(s), world.service_updates(s)),
            None => (Default::default(), 0),
        };
        let links = world.net().link_count();
        let peer_count = world.net().peer_count().max(1);
        let mut peers = BTreeMap::new();
        for name in world.peers().type_names() {
            let id = world.peers().type_id(name).expect("listed");
            peers.insert(name.clone(), world.peers().members(id).len());
        }
        let mut sent_by_kind = BTreeMap::new();
        for k in world.kinds().all() {
            let (mut msgs, mut bytes) = (0u64, 0u64);
            for p in world.net().peers() {
                let t = world.sent_by_kind(p, k);
                msgs += u64::from(t.msgs);
                bytes += t.bytes;
            }
            if msgs > 0 {
                sent_by_kind.insert(world.kinds().name(k).to_owned(), (msgs, bytes));
            }
        }
        let counters = world.net().counters();
        let dropped = DropReason::ALL.iter().map(|&r| (r.name(), counters.dropped(r))).collect();
        let cells = t.cells.cell_count();
        let ratio = if cells == 0 { 0.0 } else { scan.reached as f64 / cells as f64 };
        Summary {
            experiment: name.to_owned(),
            seed,
            until_ms: until.as_nanos() / 1_000_000,
            peers,
            events,
            arrivals_accounted: counters.accounted,
            messages_produced: world.messages().len(),
            delivery_ratio: ratio,
            residue: if cells == 0 { f64::NAN } else { 1.0 - ratio },
            delay_ms: Delays {
                // Exact: the sum of integer nanoseconds, divided once.
                mean: if scan.reached == 0 { f64::NAN } else { scan.delay_sum_ns as f64 / scan.reached as f64 / 1e6 },
                p50,
                p90,
                p99,
                max: scan.delay_max_ns.map_or(f64::NAN, ms),
                last: mean(&of(|s| s.delay_last)),
            },
            tutorial_mean_delay_ms: scan.tutorial_mean_delay_ms,
            hops: (
                if receivers == 0 { f64::NAN } else { hops_sum / receivers as f64 },
                of(|s| s.hops_last).into_iter().reduce(f64::max).unwrap_or(f64::NAN),
                mean(&of(|s| s.hops_last)),
            ),
            copies: (scan.copies_mean(), scan.copies_max()),
            rmr: mean(&of(|s| s.rmr)),
            sent_per_peer: (f64::from(sent.msgs) / (n * m), updates as f64 / (n * m), sent.bytes as f64 / (n * m)),
            sent_by_kind,
            bytes_per_s_per_peer: (t.traffic.bytes().mean_of_means(), t.traffic.bytes().median_of_peer_means()),
            msgs_per_s_per_peer: (t.traffic.msgs().mean_of_means(), t.traffic.msgs().median_of_peer_means()),
            dropped,
            unhandled: world.unhandled(),
            links,
            mean_degree: 2.0 * links as f64 / peer_count as f64,
        }
    }

    /// The summary as JSON text: every figure of [`FIGURES`](crate::FIGURES), sorted keys,
    /// floats rounded to 6 decimals, NaN as `null`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&crate::figures::tree(self)).expect("plain data serialises") + "\n"
    }

    /// The figure at `key` (`delay_ms.p99`, `peers.client`) as a number, if there is one (NaN
    /// for a figure that is `null`).
    pub fn number(&self, key: &str) -> Option<f64> {
        crate::figures::number(self, key)
    }
}

impl Summary {
    /// Every number of `summary.json` by name (nested keys joined by `.`: `delay_ms.mean`), for a
    /// run whose peer types are `types`: what a sweep can report and plot. The figures by message
    /// kind (`sent_by_kind.KIND.messages`, `.bytes`) depend on the protocols and are not listed;
    /// [`Summary::is_metric`] accepts them.
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
            residue: 0.0,
            delay_ms: Delays::default(),
            tutorial_mean_delay_ms: 0.0,
            hops: (0.0, 0.0, 0.0),
            copies: (0.0, 0),
            rmr: 0.0,
            sent_per_peer: (0.0, 0.0, 0.0),
            sent_by_kind: BTreeMap::new(),
            bytes_per_s_per_peer: (0.0, 0.0),
            msgs_per_s_per_peer: (0.0, 0.0),
            dropped: DropReason::ALL.iter().map(|&r| (r.name(), 0)).collect(),
            unhandled: 0,
            links: 0,
            mean_degree: 0.0,
        };
        let json: Value = serde_json::from_str(&placeholder.to_json()).expect("the summary is JSON");
        numbers(&json).into_keys().filter(|k| k != "seed").collect()
    }

    /// True if `name` names a number of a summary of a run whose peer types are `types`.
    pub fn is_metric(name: &str, types: &[String]) -> bool {
        let by_kind = name
            .strip_prefix("sent_by_kind.")
            .and_then(|rest| rest.rsplit_once('.'))
            .is_some_and(|(kind, field)| !kind.is_empty() && matches!(field, "messages" | "bytes"));
        by_kind || Summary::metric_names(types).iter().any(|m| m == name)
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
