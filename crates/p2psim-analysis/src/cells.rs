//! The (message × peer) cells of the analysed service, read in place from its storage.
//!
//! Nothing is copied: a run of 10^8 cells (a million peers, 100 messages) is analysed in the
//! memory it ran in. Each pass over the cells reads one message's column after another, in peer
//! order, as the storage lays them out. The materialised [`Table`]s are built from here only for
//! what needs every cell at once (heatmaps and the per-peer CSV files, written for small runs).
//!
//! What it is not: the statistics; [`crate::scan`] and [`crate::quantiles`] compute them.

use std::borrow::Cow;

use p2psim_kernel::SimTime;
use p2psim_net::PeerId;
use p2psim_services::{MsgIdx, ServiceId, Storage, World};

use crate::tables::Table;

/// One stored cell: the peer's column, and what the peer knows of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Column of the peer (its position among the analysed peers).
    pub col: usize,
    /// First receipt minus production, ns.
    pub delay_ns: u64,
    /// Copies received (the producer's own copy counted as one).
    pub copies: u32,
    /// Hops of the first copy.
    pub hops: u8,
}

impl Cell {
    /// The delay in ms, as every table and figure gives it.
    pub fn delay_ms(&self) -> f64 {
        ms(self.delay_ns)
    }
}

/// Nanoseconds of simulated time as ms.
pub(crate) fn ms(ns: u64) -> f64 {
    SimTime::from_nanos(ns).as_millis_f64()
}

/// The cells of the analysed service's storage: one row per message produced, by production time,
/// producer and its sequence number ([`Messages::in_report_order`](p2psim_services::Messages::in_report_order));
/// one column per analysed peer, in id order. Without an analysed service there are no
/// rows, and the columns are every peer (for traffic).
#[derive(Clone, Debug)]
pub struct Cells<'w> {
    storage: Option<&'w Storage>,
    messages: Vec<MsgIdx>,
    /// The service's members, borrowed from the world (ten million peers are 40 MB).
    peers: Cow<'w, [PeerId]>,
    produced_ns: Vec<u64>,
}

impl<'w> Cells<'w> {
    /// The cells of service `slot` of `world` (or none, without a service).
    pub fn new(world: &'w World, slot: Option<ServiceId>) -> Cells<'w> {
        match slot {
            Some(slot) => {
                let messages = world.messages().in_report_order();
                let produced_ns = messages.iter().map(|&m| world.messages().produced_at(m).as_nanos()).collect();
                Cells {
                    storage: Some(world.storage(slot)),
                    peers: Cow::Borrowed(world.service_members(slot)),
                    messages,
                    produced_ns,
                }
            }
            None => Cells {
                storage: None,
                messages: Vec::new(),
                peers: Cow::Owned(world.net().peers().collect()),
                produced_ns: Vec::new(),
            },
        }
    }

    /// The messages (rows), by production time, producer and its sequence number.
    pub fn messages(&self) -> &[MsgIdx] {
        &self.messages
    }

    /// The analysed peers (columns), in id order.
    pub fn peers(&self) -> &[PeerId] {
        &self.peers
    }

    /// The analysed peers, to share with another view of the same run without a copy.
    pub(crate) fn peers_shared(&self) -> Cow<'w, [PeerId]> {
        self.peers.clone()
    }

    /// Rows × columns.
    pub fn cell_count(&self) -> usize {
        self.messages.len() * self.peers.len()
    }

    /// Calls `f` with every cell of row `row` that holds a value, in column order.
    pub fn for_each_in_row(&self, row: usize, mut f: impl FnMut(Cell)) {
        let Some(storage) = self.storage else { return };
        let produced = self.produced_ns[row];
        storage.for_each_stored(self.messages[row], |local, r| {
            f(Cell {
                col: local as usize,
                delay_ns: r.first_seen.as_nanos().saturating_sub(produced),
                copies: r.copies,
                hops: r.hops,
            });
        });
    }

    /// Calls `f` with every cell that holds a value, row by row.
    pub fn for_each(&self, mut f: impl FnMut(usize, Cell)) {
        for row in 0..self.messages.len() {
            self.for_each_in_row(row, |c| f(row, c));
        }
    }

    /// Row `row` as a value per column (`None` where empty), into `out` (resized to the columns).
    pub fn row_into<T: Copy>(&self, row: usize, out: &mut Vec<Option<T>>, value: impl Fn(&Cell) -> T) {
        out.clear();
        out.resize(self.peers.len(), None);
        self.for_each_in_row(row, |c| out[c.col] = Some(value(&c)));
    }

    /// Every cell as a value (`None` where empty), materialised: for small runs only.
    pub fn table<T: Copy>(&self, value: impl Fn(&Cell) -> T) -> Table<T> {
        let cells = (0..self.messages.len())
            .map(|row| {
                let mut cells = Vec::new();
                self.row_into(row, &mut cells, &value);
                cells
            })
            .collect();
        Table { messages: self.messages.clone(), peers: self.peers.to_vec(), cells }
    }
}
