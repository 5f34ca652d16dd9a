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

/// What to run.
#[derive(clap::Parser)]
#[command(name = "scale", about = "One scale run in its own process; prints one line of figures")]
enum Scale {
    /// The push flood on p2psim's engine.
    P2psim(FloodSize),
    /// The hand-written yardstick loop.
    Yardstick(FloodSize),
    /// The floor: the push model as a bare hand-written loop.
    Floor(FloodSize),
    /// The push flood on the kernel's partitioned engine alone, split into `lps` processes.
    Windowed {
        /// The size of the flood.
        #[command(flatten)]
        size: FloodSize,
        /// Logical processes (threads).
        #[arg(long, default_value_t = 1)]
        lps: u32,
    },
    /// An experiment file, run to its end (the build not timed).
    Experiment {
        /// The experiment file.
        file: std::path::PathBuf,
    },
    /// The main command (`p2psim experiment FILE --out OUT`), report and files included.
    Main {
        /// The experiment file.
        file: String,
        /// The output folder.
        out: String,
    },
}

/// The size of a flood.
#[derive(clap::Args)]
struct FloodSize {
    /// Peers.
    peers: u32,
    /// Messages.
    #[arg(default_value_t = 1)]
    messages: u32,
    /// Milliseconds between messages.
    #[arg(default_value_t = 10)]
    spacing_ms: u64,
}

fn main() -> std::process::ExitCode {
    // Bad arguments: usage and exit status 2 (clap's), never a panic.
    let scale = <Scale as clap::Parser>::parse();
    // p2psim runs as the `p2psim` command does, with transparent huge pages asked for: the runs
    // measured are the runs users get. The hand-written loops run as they always have: huge pages
    // made the yardstick slower (15.9 s against 8-9 s at 10^6 peers, 10 messages, and 2.44 GB
    // against 1.96 GB), and a yardstick slowed by our choice would flatter p2psim.
    if !matches!(scale, Scale::Yardstick(_) | Scale::Floor(_)) {
        p2psim_cli::use_huge_pages();
    }
    let (which, flood) = match scale {
        Scale::Experiment { file } => return experiment(&file),
        Scale::Windowed { size, lps } => return windowed(size, lps),
        Scale::Main { file, out } => {
            let start = Instant::now();
            let status = p2psim_cli::run(&p2psim::Protocols::new(), ["p2psim", "experiment", &file, "--out", &out]);
            if status != 0 {
                return std::process::ExitCode::from(u8::try_from(status).unwrap_or(1));
            }
            #[allow(clippy::print_stdout, reason = "this binary's output is its report")]
            {
                println!("main {:.3} {}", start.elapsed().as_secs_f64(), peak_rss_bytes().unwrap_or(0));
            }
            return std::process::ExitCode::SUCCESS;
        }
        Scale::P2psim(f) => ("p2psim", f),
        Scale::Yardstick(f) => ("yardstick", f),
        Scale::Floor(f) => ("floor", f),
    };
    let FloodSize { peers, messages, spacing_ms } = flood;
    let base = rss_bytes().unwrap_or(0);
    let start = Instant::now();
    let mut tail = String::new();
    let (events, copies, build_s) = match which {
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
        _ => {
            let mut y = Yardstick::new(peers, 1, messages);
            let build = start.elapsed().as_secs_f64();
            let (events, copies) = y.run(messages, spacing_ms * 1_000_000);
            (events, copies, build)
        }
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
    std::process::ExitCode::SUCCESS
}

/// Runs the flood on the partitioned engine; prints `windowed-LPS peers messages events copies
/// wall_s events_per_s peak_rss_bytes windows events_per_window crossed_share waited_s...`.
fn windowed(size: FloodSize, lps: u32) -> std::process::ExitCode {
    if lps == 0 || lps > size.peers {
        let message = format!("--lps must be from 1 to the number of peers ({})", size.peers);
        <Scale as clap::CommandFactory>::command().error(clap::error::ErrorKind::ValueValidation, message).exit();
    }
    let (events, copies, stats) = benches::windowed::run(size.peers, size.messages, size.spacing_ms, lps);
    // The run alone, as for the floods: the graph's build is not timed.
    let wall = stats.wall.as_secs_f64();
    let waited: Vec<String> = stats.waited.iter().map(|d| format!("{:.3}", d.as_secs_f64())).collect();
    #[allow(clippy::print_stdout, reason = "this binary's output is its report")]
    {
        println!(
            "windowed-{lps} {} {} {events} {copies} {wall:.3} {:.0} {} {} {:.0} {:.4} waited={}",
            size.peers,
            size.messages,
            events as f64 / wall.max(1e-9),
            peak_rss_bytes().unwrap_or(0),
            stats.windows,
            stats.events_per_window(),
            stats.crossed_share(),
            waited.join(",")
        );
    }
    std::process::ExitCode::SUCCESS
}

/// Runs an experiment file to its end (build excluded from the wall time, as for the floods).
#[allow(clippy::print_stderr, reason = "a bad file is reported to the user")]
fn experiment(path: &std::path::Path) -> std::process::ExitCode {
    let base = rss_bytes().unwrap_or(0);
    let scenario = match p2psim::Scenario::load(path, &p2psim::Protocols::new()) {
        Ok(s) => s,
        Err(e) => {
            // One clear error naming the file, line, column and field; exit 2 (bad input).
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let name = scenario.experiment().name.clone();
    let mut sim = p2psim::Simulation::new(scenario);
    let start = Instant::now();
    if let Err(e) = sim.run() {
        eprintln!("error: {e}");
        return std::process::ExitCode::FAILURE;
    }
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
    std::process::ExitCode::SUCCESS
}
