//! `cargo xtask experiment`: the built-in default experiment.
//!
//! Until experiment files and the protocol layers land, the default is a network-level one: the
//! tutorial's AWS network (peers spread over Ohio, Ireland and Tokyo, bandwidths drawn per peer from
//! N(50 MBit, 10 MBit)), a random 8-regular graph, and a source that floods a message every 200 ms
//! from 1000 ms on; every peer relays its first copy to all its neighbours but the sender. It writes
//! `summary.json` and `delays.csv` into the output folder, whole or not at all.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use p2psim_kernel::{Dist, EventQueue, Kernel, Model, RNG_NAME, Seed, SimTime, StreamKey};
use p2psim_net::{LocationId, Locations, MBIT, NetConfig, NetEvent, Network, Payload, PeerId, PeerSpec, Topology};

/// Bad input from the user: reported with exit status 2.
#[derive(Debug)]
pub(crate) struct InputError(pub(crate) String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Master seed of the run.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output folder (replaced whole).
    #[arg(long, default_value = "out/default")]
    out: PathBuf,
    /// Simulated time to run, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    until: u64,
    /// Number of peers.
    #[arg(long, default_value_t = 1000)]
    peers: u32,
}

#[derive(Clone, Copy)]
struct Gossip {
    id: u32,
}

impl Payload for Gossip {
    fn size(&self) -> u32 {
        // P2PSimpy's GossipMessage: base 250 bytes plus a 20-letter payload at 3 bytes a letter.
        310
    }
}

#[derive(Clone, Copy)]
enum Ev {
    Net(NetEvent<Gossip>),
    Produce(u32),
}

impl From<NetEvent<Gossip>> for Ev {
    fn from(e: NetEvent<Gossip>) -> Ev {
        Ev::Net(e)
    }
}

struct FloodExperiment {
    net: Network<Gossip>,
    first_seen: Vec<Vec<Option<SimTime>>>,
    produced: Vec<SimTime>,
}

impl FloodExperiment {
    fn relay<Q: EventQueue<Ev>>(&mut self, k: &mut Kernel<Ev, Q>, p: PeerId, except: Option<PeerId>, msg: Gossip) {
        for i in 0..self.net.degree(p) {
            let q = self.net.neighbours(p)[i];
            if Some(q) != except {
                let _ = self.net.send(k, p, q, msg);
            }
        }
    }
}

impl Model<Ev> for FloodExperiment {
    fn handle<Q: EventQueue<Ev>>(&mut self, k: &mut Kernel<Ev, Q>, ev: Ev) {
        match ev {
            Ev::Produce(id) => {
                self.produced.push(k.now());
                self.first_seen.push(vec![None; self.net.peer_count()]);
                self.first_seen[id as usize][0] = Some(k.now());
                self.relay(k, PeerId(0), None, Gossip { id });
                k.schedule_in(p2psim_kernel::SimDuration::from_millis(200), Ev::Produce(id + 1));
            }
            Ev::Net(e) => {
                let Some(d) = self.net.handle(k, e, &mut ()) else { return };
                let slot = &mut self.first_seen[d.msg.id as usize][d.to.index()];
                if slot.is_none() {
                    *slot = Some(k.now());
                    self.relay(k, d.to, Some(d.from), d.msg);
                }
            }
        }
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

/// Writes the folder under a temporary name, then renames it into place.
fn write_atomically(out: &std::path::Path, files: &[(&str, String)]) -> Result<()> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = out.file_name().context("the output folder needs a name")?.to_string_lossy();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    for (file, text) in files {
        std::fs::write(tmp.join(file), text).with_context(|| format!("writing {file}"))?;
    }
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("replacing {}", out.display()))?;
    }
    std::fs::rename(&tmp, out).with_context(|| format!("moving results into {}", out.display()))?;
    Ok(())
}

pub(crate) fn run(args: Args) -> Result<()> {
    if args.peers < 10 {
        return Err(InputError(format!("--peers must be at least 10, got {}", args.peers)).into());
    }
    let wall = Instant::now();
    let seed = Seed(args.seed);
    let n = args.peers + (args.peers % 2);
    let topology = Topology::random_regular(n, 8, &mut seed.stream(StreamKey::new("topology")))
        .map_err(|e| InputError(e.to_string()))?;
    let bandwidth = Dist::norm(50.0 * MBIT, 10.0 * MBIT).expect("valid");
    let mut physical = seed.stream(StreamKey::new("physical"));
    let peers: Vec<PeerSpec> = (0..n)
        .map(|i| PeerSpec {
            location: LocationId((i % 3) as u16),
            upload: bandwidth.draw(&mut physical).max(MBIT),
            download: bandwidth.draw(&mut physical).max(MBIT),
        })
        .collect();
    let mut net = Network::new(seed, Locations::aws(), &peers, NetConfig::default())?;
    net.connect_topology(&topology, SimTime::ZERO)?;
    let mut model = FloodExperiment { net, first_seen: Vec::new(), produced: Vec::new() };
    let mut kernel = Kernel::new();
    kernel.schedule_at(SimTime::from_millis(1000), Ev::Produce(0)).expect("in the future");
    kernel.run_until(SimTime::from_millis(args.until), &mut model)?;

    let mut delays = Vec::new();
    let mut csv = String::from("message,peer,delay_ms\n");
    let mut reached = 0u64;
    for (m, row) in model.first_seen.iter().enumerate() {
        for (p, t) in row.iter().enumerate().skip(1) {
            match t {
                Some(t) => {
                    let d = (*t - model.produced[m]).as_millis_f64();
                    delays.push(d);
                    reached += 1;
                    let _ = writeln!(csv, "{m},{p},{d:.6}");
                }
                None => {
                    let _ = writeln!(csv, "{m},{p},");
                }
            }
        }
    }
    delays.sort_by(f64::total_cmp);
    let cells = model.produced.len() as u64 * u64::from(n - 1);
    let mean = delays.iter().sum::<f64>() / delays.len().max(1) as f64;
    let c = model.net.counters();
    let summary = serde_json::json!({
        "experiment": "network-flood",
        "seed": args.seed,
        "rng": RNG_NAME,
        "until_ms": args.until,
        "peers": n,
        "events": kernel.events_processed(),
        "messages_produced": model.produced.len(),
        "delivery_ratio": format!("{:.6}", reached as f64 / cells.max(1) as f64),
        "delay_ms": {
            "mean": format!("{mean:.6}"),
            "p50": format!("{:.6}", percentile(&delays, 0.5)),
            "p90": format!("{:.6}", percentile(&delays, 0.9)),
            "p99": format!("{:.6}", percentile(&delays, 0.99)),
            "max": format!("{:.6}", delays.last().copied().unwrap_or(f64::NAN)),
        },
        "messages_sent": c.sent,
        "messages_delivered": c.delivered,
    });
    let text = serde_json::to_string_pretty(&summary)? + "\n";
    write_atomically(&args.out, &[("summary.json", text), ("delays.csv", csv)])?;
    println!(
        "network flood: {n} peers, {} messages, {} events in {:.2} s wall; {:.1}% of (message, peer) pairs reached, mean delay {mean:.1} ms; results in {}",
        model.produced.len(),
        kernel.events_processed(),
        wall.elapsed().as_secs_f64(),
        100.0 * reached as f64 / cells.max(1) as f64,
        args.out.display()
    );
    Ok(())
}
