//! Per-peer traffic monitors: bytes and messages received and sent, per one-second bucket; and per
//! peer, totals of what it sent by kind of message.
//!
//! P2PSimpy's `bytes_load` and `msg_count_load` count received messages only, after validation, by
//! the integer second `int(now_ms / 1000)`, and have no bucket for silent seconds (oddity M2). Here
//! every second from 0 to the end of the run exists, silent ones as zeros, and sent traffic is counted
//! too (when an online peer sends, whether or not the message arrives).
//!
//! The totals by kind are the one count of sent messages: everything that reports what a peer or a
//! protocol sent reads them.

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

/// What one peer sent of one kind, over the whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindTotal {
    /// Messages.
    pub msgs: u32,
    /// Bytes.
    pub bytes: u64,
}

/// No column: the kind is not counted.
const NO_COLUMN: u8 = u8::MAX;

/// One column of a peer's row of totals: a kind's messages and bytes; the first column of each
/// row also holds the peer's updates sent, in the word that a [`KindTotal`] leaves as padding, so
/// that everything a send counts for its sender is one memory access.
#[derive(Clone, Copy, Debug, Default)]
struct Column {
    msgs: u32,
    /// Meaningful in a row's first column only.
    updates: u32,
    bytes: u64,
}

/// The monitors of every peer. Memory is seconds × peers × 24 bytes for the per-second buckets
/// (switch off for huge runs), plus 16 bytes per peer and counted kind (at least one).
#[derive(Clone, Debug)]
pub struct Monitors {
    enabled: bool,
    peers: usize,
    /// `seconds[s][peer]`.
    seconds: Vec<Vec<Traffic>>,
    /// Kind → column of `totals`, or `NO_COLUMN`.
    columns: Vec<u8>,
    /// Columns per row: the counted kinds, at least one (for the updates).
    stride: usize,
    /// `totals[peer * stride + column]`, empty until counting starts.
    totals: Vec<Column>,
}

impl Monitors {
    pub(crate) fn new(peers: usize, enabled: bool) -> Monitors {
        Monitors { enabled, peers, seconds: Vec::new(), columns: Vec::new(), stride: 1, totals: Vec::new() }
    }

    /// Counts what each peer sends of the kinds `counted` lists (kinds are [`Payload::kind`]
    /// numbers), and the updates it sends. Call before anything is sent.
    ///
    /// [`Payload::kind`]: crate::Payload::kind
    pub(crate) fn count_sent_by_kind(&mut self, counted: &[usize]) {
        let max = counted.iter().copied().max().map_or(0, |m| m + 1);
        self.columns = vec![NO_COLUMN; max];
        let mut width = 0;
        for &k in counted {
            if self.columns[k] == NO_COLUMN {
                assert!(width < usize::from(NO_COLUMN), "at most 254 kinds are counted");
                self.columns[k] = width as u8;
                width += 1;
            }
        }
        self.stride = width.max(1);
        self.totals = vec![Column::default(); self.peers * self.stride];
    }

    /// What `p` sent of `kind` so far (zero for a kind that is not counted).
    pub fn sent_by_kind(&self, p: PeerId, kind: usize) -> KindTotal {
        match self.columns.get(kind) {
            Some(&c) if c != NO_COLUMN => {
                let col = self.totals[p.index() * self.stride + usize::from(c)];
                KindTotal { msgs: col.msgs, bytes: col.bytes }
            }
            _ => KindTotal::default(),
        }
    }

    /// Asks the CPU to bring `p`'s totals by kind into the cache (see
    /// [`Network::prefetch_arrival`](crate::Network::prefetch_arrival)).
    #[inline]
    pub(crate) fn prefetch_totals(&self, p: PeerId) {
        prefetch_index::prefetch_index(&self.totals, p.index() * self.stride);
    }

    /// Updates `p` sent so far (see [`Payload::updates`](crate::Payload::updates)).
    pub fn updates_sent(&self, p: PeerId) -> u32 {
        self.totals.get(p.index() * self.stride).map_or(0, |c| c.updates)
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
    pub(crate) fn sent(&mut self, p: PeerId, t: SimTime, size: u32, kind: usize, updates: u32) {
        if let Some(&c) = self.columns.get(kind)
            && c != NO_COLUMN
        {
            let total = &mut self.totals[p.index() * self.stride + usize::from(c)];
            total.msgs = total.msgs.saturating_add(1);
            total.bytes += u64::from(size);
        }
        if updates > 0
            && let Some(first) = self.totals.get_mut(p.index() * self.stride)
        {
            first.updates = first.updates.saturating_add(updates);
        }
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
        self.seconds.iter().map(|v| v.capacity() * std::mem::size_of::<Traffic>()).sum::<usize>()
            + self.totals.capacity() * std::mem::size_of::<Column>()
    }
}
