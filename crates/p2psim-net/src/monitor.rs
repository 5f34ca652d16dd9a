//! Per-peer traffic monitors: bytes and messages received and sent, per one-second bucket.
//!
//! P2PSimpy's `bytes_load` and `msg_count_load` count received messages only, after validation, by
//! the integer second `int(now_ms / 1000)`, and have no bucket for silent seconds (oddity M2). Here
//! every second from 0 to the end of the run exists, silent ones as zeros, and sent traffic is counted
//! too (when an online peer sends, whether or not the message arrives).

use p2psim_kernel::SimTime;

use crate::PeerId;

/// Traffic of one peer in one second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Bytes of messages received and accepted.
    pub bytes_in: u64,
    /// Messages received and accepted.
    pub msgs_in: u32,
    /// Bytes of messages sent.
    pub bytes_out: u64,
    /// Messages sent.
    pub msgs_out: u32,
}

/// The monitors of every peer. Memory is seconds × peers × 24 bytes; switch off for huge runs.
#[derive(Clone, Debug)]
pub struct Monitors {
    enabled: bool,
    peers: usize,
    /// `seconds[s][peer]`.
    seconds: Vec<Vec<Traffic>>,
}

impl Monitors {
    pub(crate) fn new(peers: usize, enabled: bool) -> Monitors {
        Monitors { enabled, peers, seconds: Vec::new() }
    }

    /// True if traffic is being recorded.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    #[inline]
    fn bucket(&mut self, p: PeerId, t: SimTime) -> Option<&mut Traffic> {
        if !self.enabled {
            return None;
        }
        let s = t.whole_seconds() as usize;
        while self.seconds.len() <= s {
            self.seconds.push(vec![Traffic::default(); self.peers]);
        }
        Some(&mut self.seconds[s][p.index()])
    }

    #[inline]
    pub(crate) fn received(&mut self, p: PeerId, t: SimTime, size: u32) {
        if let Some(b) = self.bucket(p, t) {
            b.bytes_in += u64::from(size);
            b.msgs_in += 1;
        }
    }

    #[inline]
    pub(crate) fn sent(&mut self, p: PeerId, t: SimTime, size: u32) {
        if let Some(b) = self.bucket(p, t) {
            b.bytes_out += u64::from(size);
            b.msgs_out += 1;
        }
    }

    /// The traffic of `p` in whole second `s` (zero if nothing happened, or if `s` is in the future).
    pub fn at(&self, p: PeerId, s: u64) -> Traffic {
        self.seconds.get(s as usize).map(|v| v[p.index()]).unwrap_or_default()
    }

    /// The traffic of `p` for every second in `[0, until)`, silent seconds as zeros.
    ///
    /// Seconds are whole seconds of simulated time; a run until 5000 ms has seconds 0 to 4.
    pub fn series(&self, p: PeerId, until: SimTime) -> Vec<Traffic> {
        let n = until.as_nanos().div_ceil(1_000_000_000);
        (0..n).map(|s| self.at(p, s)).collect()
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.seconds.iter().map(|v| v.capacity() * std::mem::size_of::<Traffic>()).sum()
    }
}
