//! What a run will need, estimated before it starts: peers, messages, events, memory; and the
//! refusal of a run that cannot fit in this machine's memory or would not end in hours.
//!
//! The estimate is meant to catch the runs that cannot be (a producer at a million messages a
//! second for hours, a billion peers, push gossip relaying every copy with a TTL of 64), not to
//! predict a run's footprint: each part is a simple model (bytes per peer, per link, per stored
//! cell, per pending event) of the structures the run keeps, rounded up. A refusal names the field
//! whose part dominates, and `--force` (for users who know better) runs it anyway.

use p2psim_disruption::Selector;
use p2psim_kernel::Param;
use p2psim_services::EstimateCx;

use crate::error::Error;
use crate::experiment::{Experiment, Graph};
use crate::scenario::Scenario;

/// What a run will need.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Peers.
    pub peers: u64,
    /// Messages produced.
    pub messages: f64,
    /// Events handled, in all.
    pub events: f64,
    /// Memory at the peak, bytes.
    pub bytes: f64,
    /// The part of the memory that dominates: the field responsible, and what it is.
    pub memory_field: (String, String),
    /// The part of the events that dominates: the field responsible, and what it is.
    pub events_field: (String, String),
}

/// What a run may take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Memory available, bytes.
    pub memory: f64,
    /// Events in one run (about an hour at a few million a second).
    pub events: f64,
}

/// Events beyond this take hours.
const MAX_EVENTS: f64 = 1e10;

impl Limits {
    /// This machine's available memory (`MemAvailable`, or 8 GB where it cannot be read) and
    /// [`MAX_EVENTS`].
    pub fn this_machine() -> Limits {
        let available = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find(|l| l.starts_with("MemAvailable:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
            .map_or(8e9, |kb| kb * 1024.0);
        Limits { memory: available, events: MAX_EVENTS }
    }
}

fn gb(bytes: f64) -> String {
    if bytes >= 1e15 {
        format!("{bytes:.1e} bytes")
    } else if bytes >= 1e9 {
        format!("{:.1} GB", bytes / 1e9)
    } else {
        format!("{:.0} MB", bytes / 1e6)
    }
}

/// A count, in full while it is readable.
fn count(x: f64) -> String {
    if x >= 1e12 { format!("{x:.1e}") } else { format!("{x:.0}") }
}

/// A part of the estimate: its size, the field responsible, and what it is.
struct Part {
    size: f64,
    field: String,
    what: String,
}

fn largest(parts: Vec<Part>) -> (f64, (String, String)) {
    let total: f64 = parts.iter().map(|p| p.size).sum();
    let top = parts.into_iter().max_by(|a, b| a.size.total_cmp(&b.size));
    (total, top.map_or_else(|| (String::new(), String::new()), |p| (p.field, p.what)))
}

/// Mean degree of the initial topology.
fn mean_degree(exp: &Experiment, n: f64) -> f64 {
    let m = n.max(1.0);
    let graph = match exp.topology.graph {
        Graph::None => 0.0,
        Graph::Complete => m - 1.0,
        Graph::ErdosRenyi { p } => p * (m - 1.0),
        Graph::RandomRegular { degree } => f64::from(degree),
        Graph::BarabasiAlbert { m: k } => 2.0 * f64::from(k),
        Graph::WattsStrogatz { k, .. } => f64::from(k),
    };
    let attached: f64 = exp.topology.attach.iter().map(|a| 2.0 * f64::from(a.links)).sum::<f64>() / m;
    graph + attached + 2.0 * exp.topology.edges.len() as f64 / m
}

impl Scenario {
    /// Estimates what the run will need: each service says what it adds
    /// ([`ServiceConfig::estimate`](p2psim_services::ServiceConfig::estimate)), the producers
    /// first, since the others' events follow from their messages.
    pub fn estimate(&self) -> Estimate {
        let exp = &self.experiment;
        let n = self.peer_count() as f64;
        let seconds = exp.until_ms as f64 / 1000.0;
        let degree = mean_degree(exp, n);
        let members = |t: usize| self.counts[t] as f64;
        let field = |t: usize, j: usize, f: &str| format!("peer_types[{t}].services[{j}][1].{f}");
        let cx = |t: usize, messages: f64, ttl: f64| {
            let finite = !matches!(exp.peer_types[t].physical.download, Param::Const(x) if x.is_infinite());
            EstimateCx {
                members: members(t),
                seconds,
                degree,
                messages,
                ttl,
                per_arrival: if finite { 2.0 } else { 1.0 },
            }
        };
        // Messages: every producer's count over the run, and the workload's.
        let mut messages = 0.0;
        let mut ttl: f64 = 0.0;
        let mut producer = ("peers".to_owned(), String::new());
        for (t, ty) in exp.peer_types.iter().enumerate() {
            for (j, (_, s)) in ty.services.iter().enumerate() {
                let load = s.estimate(&cx(t, 0.0, 0.0));
                if let Some(l) = load.ttl {
                    ttl = ttl.max(l);
                }
                if load.produces > 0.0 && load.produces >= messages {
                    producer = (field(t, j, load.field), load.what);
                }
                messages += load.produces;
            }
        }
        for (i, w) in exp.workload.iter().enumerate() {
            let selected = match &w.peers {
                Selector::All => n,
                Selector::Type(name) => exp.peer_types.iter().position(|t| t.name == *name).map_or(0.0, members),
                Selector::Peers(ids) => ids.len() as f64,
                // At most every peer: the estimate does not place peers.
                Selector::Location(_) => n,
            };
            let made = w.messages_at_most(selected as u64) as f64;
            if made > 0.0 && made >= messages {
                producer = (format!("workload[{i}].messages"), format!("{made:.0} injected messages"));
            }
            messages += made;
        }
        let mut memory = vec![
            Part { size: n * (250.0 + degree * 28.0), field: "peers".into(), what: format!("{n:.0} peers") },
            Part { size: messages * 48.0, field: producer.0.clone(), what: format!("{messages:.0} messages") },
        ];
        if exp.network.monitors {
            memory.push(Part {
                size: n * seconds.ceil() * 24.0,
                field: "network.monitors".into(),
                what: format!("traffic of {n:.0} peers over {:.0} seconds", seconds.ceil()),
            });
        }
        let mut events = vec![Part { size: messages, field: producer.0.clone(), what: producer.1.clone() }];
        for (t, ty) in exp.peer_types.iter().enumerate() {
            let m = members(t);
            for (j, (_, s)) in ty.services.iter().enumerate() {
                let load = s.estimate(&cx(t, messages, ttl));
                if load.stores {
                    memory.push(Part {
                        size: m * messages * 12.0 + m * 320.0,
                        field: producer.0.clone(),
                        what: format!("{m:.0} peers storing {messages:.0} messages"),
                    });
                }
                // A producer's field and words are about its messages, counted above.
                if load.events > 0.0 {
                    events.push(Part { size: load.events, field: field(t, j, load.field), what: load.what });
                } else {
                    events.push(Part { size: 0.0, field: String::new(), what: String::new() });
                }
            }
        }
        let (events_total, events_field) = largest(events);
        // Events in flight at once: the rate times a latency of the order of 100 ms.
        let pending = events_total / seconds.max(1e-3) * 0.1;
        memory.push(Part {
            size: pending.min(events_total) * 48.0,
            field: events_field.0.clone(),
            what: format!("{} events in flight ({})", count(pending.min(events_total)), events_field.1),
        });
        let (bytes, memory_field) = largest(memory);
        Estimate { peers: n as u64, messages, events: events_total, bytes, memory_field, events_field }
    }
}

impl Estimate {
    /// Refuses a run that needs more than `limits`, naming the field that dominates.
    pub fn check(&self, limits: &Limits) -> Result<(), Error> {
        let force = "; --force runs it anyway";
        // NaN (an estimate that overflowed) is refused too.
        if self.bytes.is_nan() || self.bytes > limits.memory {
            return Err(Error::input(
                &self.memory_field.0,
                format!(
                    "this run would need about {} of memory ({}), more than the {} available{force}",
                    gb(self.bytes),
                    self.memory_field.1,
                    gb(limits.memory)
                ),
            ));
        }
        if self.events.is_nan() || self.events > limits.events {
            return Err(Error::input(
                &self.events_field.0,
                format!(
                    "this run would handle about {:.1e} events ({}): hours of work, at most {:.0e}{force}",
                    self.events, self.events_field.1, limits.events
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(text: &str) -> Scenario {
        Scenario::from_ron(text, "x.ron", &p2psim_services::Protocols::new()).unwrap()
    }

    /// The faults tutorial's push half, with a producer of defaults (the crate's own file).
    fn gossip() -> String {
        crate::experiments::FAULTS_PUSH
            .replace("Producer(init_timeout: Const(1000), msg_rate: 5, init_fanout: 5, init_ttl: 4)", "Producer()")
    }

    /// `examples/experiments/scale-1m-push.ron`.
    const MILLION: &str = r#"Experiment(
    name: "scale-1m-push",
    until_ms: 10000,
    network: (monitors: false),
    peer_types: [
        (
            name: "peer",
            physical: (location: Cycle(["Ohio", "Ireland", "Tokyo"]), upload: Const(inf), download: Const(inf)),
            services: [("gossip", PushGossip(fanout: 8, relay: FirstCopy))],
        ),
        (
            name: "source",
            physical: (location: Cycle(["Ohio"]), upload: Const(inf), download: Const(inf)),
            services: [
                (
                    "producer",
                    Producer(init_timeout: Const(0), msg_rate: 100, init_fanout: 8, init_ttl: 64, times: Some(100)),
                ),
            ],
        ),
    ],
    peers: [(peer_type: "peer", count: 1000000), (peer_type: "source", count: 1)],
    topology: (graph: RandomRegular(degree: 8), among: ["peer"], attach: [(peer_type: "source", links: 8, to: ["peer"])]),
    analysis: (gossip: Some(peer_type: "peer", service: "gossip"), plots: false),
)"#;

    #[test]
    fn the_examples_fit_and_runs_that_cannot_are_refused_naming_the_field() {
        let limits = Limits { memory: 24e9, events: MAX_EVENTS };
        for text in [gossip().as_str(), MILLION] {
            let e = example(text).estimate();
            e.check(&limits).unwrap_or_else(|err| panic!("{err}: {e:?}"));
        }
        let m = example(MILLION).estimate();
        assert!(m.bytes > 1e9 && m.bytes < 6e9, "the million-peer push needs a few GB: {m:?}");
        // A billion peers.
        let e = example(&MILLION.replace("count: 1000000", "count: 1000000000")).estimate().check(&limits).unwrap_err();
        assert!(
            e.to_string().contains("this run would need about 2378.0 GB of memory (1000000000 peers storing"),
            "{e}"
        );
        // A producer at a hundred million messages a second: 4 × 10^8 messages, stored by 25 peers.
        let e =
            example(&gossip().replace("Producer()", "Producer(msg_rate: 1e8)")).estimate().check(&limits).unwrap_err();
        assert!(e.to_string().starts_with("peer_types[1].services[1][1].msg_rate: this run would"), "{e}");
        // Push relaying every copy with a long TTL.
        let e =
            example(&gossip().replace("Producer()", "Producer(init_ttl: 64)")).estimate().check(&limits).unwrap_err();
        assert!(e.to_string().starts_with("peer_types[0].services[1][1].fanout: this run would need about"), "{e}");
        assert!(e.to_string().contains("5.2e30 copies of each message"), "{e}");
    }
}
