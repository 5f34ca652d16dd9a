//! One scale run in its own process, so that its peak memory is its own.
//!
//! `scale <p2psim|yardstick> <peers> [messages] [spacing_ms]` prints one line:
//! `impl peers messages events copies wall_s events_per_s peak_rss_bytes bytes_per_peer`.

use std::time::Instant;

use benches::flood::{Flood, run_many};
use benches::yardstick::Yardstick;
use benches::{peak_rss_bytes, rss_bytes};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: scale <p2psim|yardstick> <peers> [messages] [spacing_ms]";
    let which = args.get(1).expect(usage).clone();
    let peers: u32 = args.get(2).expect(usage).parse().expect("peers is a number");
    let messages: u32 = args.get(3).map_or(1, |s| s.parse().expect("messages is a number"));
    let spacing_ms: u64 = args.get(4).map_or(10, |s| s.parse().expect("spacing is a number"));
    let base = rss_bytes().unwrap_or(0);
    let start = Instant::now();
    let (events, copies, build_s) = match which.as_str() {
        "p2psim" => {
            let mut f = Flood::new(peers, 1, messages);
            let build = start.elapsed().as_secs_f64();
            let (events, copies, _) = run_many(&mut f, messages, spacing_ms);
            (events, copies, build)
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
            "{which} {peers} {messages} {events} {copies} {wall:.3} {:.0} {peak} {per_peer}",
            events as f64 / wall.max(1e-9)
        );
    }
}
