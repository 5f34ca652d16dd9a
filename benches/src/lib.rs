//! Shared pieces of the benchmarks: the yardstick loop, the same flood through p2psim's kernel and
//! network model, and a reader of peak memory.
//!
//! The flood: N peers on a random 8-regular graph, peers spread over the tutorial's three AWS
//! locations, one latency per link drawn from the AWS matrix, no bandwidth limit; peer 0 sends one
//! message to its neighbours and every peer relays its first copy to all neighbours but the sender.
//! Every copy, first or duplicate, is one event: `8 + 7 (N − 1)` events per message.

pub mod flood;
pub mod floor;
pub mod gossip;
pub mod windowed;
pub mod yardstick;

/// Peak resident memory of this process so far, in bytes (`VmHWM` from `/proc/self/status`), if the
/// operating system tells.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Current resident memory of this process, in bytes (`VmRSS`).
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The number of events a flood of one message makes on a connected `d`-regular graph.
pub const fn flood_events(peers: u64, degree: u64) -> u64 {
    degree + (degree - 1) * (peers - 1)
}
