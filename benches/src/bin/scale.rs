//! One scale run in its own process, so that its peak memory is its own.
//!
//! `scale <p2psim|yardstick|floor> <peers> [messages] [spacing_ms]` or `scale experiment <file.ron>`
//! prints one line: `impl peers messages events copies wall_s events_per_s peak_rss_bytes bytes_per_peer`
//! (the floor adds `accounted=` and `stored=`, as experiments do).
//!
//! `scale main <file.ron> <out>` runs the main command (`p2psim experiment FILE --out OUT`, the
//! same code as the installed tool) and prints `main wall_s peak_rss_bytes`: the whole process,
//! report and files included, to set against `scale experiment`'s run alone.
//!
//! The p2psim modes ask for transparent huge pages as the `p2psim` command does
//! ([`p2psim_cli::use_huge_pages`]); the yardstick and the floor do not (see `main`).

use std::time::Instant;

use benches::flood::{Flood, run_many};
use benches::floor::Floor;
use benches::yardstick::Yardstick;
use benches::{peak_rss_bytes, rss_bytes};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: scale <p2psim|yardstick|floor> <peers> [messages] [spacing_ms]";
    let which = args.get(1).expect(usage).clone();
    // p2psim runs as the `p2psim` command does, with transparent huge pages asked for: the runs
    // measured are the runs users get. The hand-written loops run as they always have: huge pages
    // made the yardstick slower (15.9 s against 8-9 s at 10^6 peers, 10 messages, and 2.44 GB
    // against 1.96 GB), and a yardstick slowed by our choice would flatter p2psim.
    if !["yardstick", "floor"].contains(&which.as_str()) {
        p2psim_cli::use_huge_pages();
    }
    if which == "experiment" {
        return experiment(args.get(2).expect(usage));
    }
    if which == "main" {
        let (file, out) = (args.get(2).expect(usage), args.get(3).expect(usage));
        let start = Instant::now();
        let status =
            p2psim_cli::run(&p2psim::Protocols::new(), ["p2psim", "experiment", file.as_str(), "--out", out.as_str()]);
        assert_eq!(status, 0, "the main command failed");
        #[allow(clippy::print_stdout, reason = "this binary's output is its report")]
        {
            println!("main {:.3} {}", start.elapsed().as_secs_f64(), peak_rss_bytes().unwrap_or(0));
        }
        return;
    }
    let peers: u32 = args.get(2).expect(usage).parse().expect("peers is a number");
    let messages: u32 = args.get(3).map_or(1, |s| s.parse().expect("messages is a number"));
    let spacing_ms: u64 = args.get(4).map_or(10, |s| s.parse().expect("spacing is a number"));
    let base = rss_bytes().unwrap_or(0);
    let start = Instant::now();
    let mut tail = String::new();
    let (events, copies, build_s) = match which.as_str() {
        "p2psim" => {
            let mut f = Flood::new(peers, 1, messages);
            let build = start.elapsed().as_secs_f64();
            let (events, copies, _) = run_many(&mut f, messages, spacing_ms);
            (events, copies, build)
        }
        "floor" => {
            let mut f = Floor::new(peers, 1, messages);
            let build = start.elapsed().as_secs_f64();
            let run = f.run(messages, spacing_ms * 1_000_000);
            // The source stores each of its messages once; the fraction is over the other peers.
            let stored = (run.stored - u64::from(messages)) as f64 / (f64::from(peers) * f64::from(messages));
            tail = format!(" accounted={} stored={stored:.6}", run.accounted);
            (run.events, run.copies, build)
        }
        "yardstick" => {
            let mut y = Yardstick::new(peers, 1, messages);
            let build = start.elapsed().as_secs_f64();
            let (events, copies) = y.run(messages, spacing_ms * 1_000_000);
            (events, copies, build)
        }
        other => panic!("unknown implementation {other}; {usage}"),
    };
    let wall = start.elapsed().as_secs_f64() - build_s;
    let peak = peak_rss_bytes().unwrap_or(0);
    let per_peer = peak.saturating_sub(base) / u64::from(peers.max(1));
    #[allow(clippy::print_stdout, reason = "this binary's output is its report")]
    {
        println!(
            "{which} {peers} {messages} {events} {copies} {wall:.3} {:.0} {peak} {per_peer}{tail}",
            events as f64 / wall.max(1e-9)
        );
    }
}

/// Runs an experiment file to its end (build excluded from the wall time, as for the floods).
fn experiment(path: &str) {
    let base = rss_bytes().unwrap_or(0);
    let scenario =
        p2psim::Scenario::load(std::path::Path::new(path), &p2psim::Protocols::new()).unwrap_or_else(|e| panic!("{e}"));
    let name = scenario.experiment().name.clone();
    let mut sim = p2psim::Simulation::new(scenario);
    let start = Instant::now();
    sim.run().unwrap_or_else(|e| panic!("{e}"));
    let wall = start.elapsed().as_secs_f64();
    let peers = sim.world().net().peer_count() as u64;
    let peak = peak_rss_bytes().unwrap_or(0);
    let events = sim.events();
    let counters = sim.world().net().counters();
    // How far the gossip got: (peer, message) records stored over peers × messages.
    let stored = sim.gossip_service().map_or(0.0, |slot| {
        let s = sim.world().storage(slot);
        s.records() as f64 / (s.members() * sim.world().messages().len()).max(1) as f64
    });
    #[allow(clippy::print_stdout, reason = "this binary's output is its report")]
    {
        println!(
            "{} {peers} {} {events} {} {wall:.3} {:.0} {peak} {} accounted={} stored={stored:.6}",
            name,
            sim.world().messages().len(),
            counters.delivered,
            events as f64 / wall.max(1e-9),
            peak.saturating_sub(base) / peers.max(1),
            counters.accounted,
        );
    }
}
