//! The registry of produced messages: id, production time, size, attached validation.

use p2psim_kernel::SimTime;
use rustc_hash::FxHashMap;

use crate::message::{MsgId, MsgIdx};

/// Every message produced in the run, by dense index.
#[derive(Clone, Debug, Default)]
pub struct Messages {
    ids: Vec<MsgId>,
    produced_at: Vec<SimTime>,
    size: Vec<u16>,
    validation: Vec<u8>,
    by_id: FxHashMap<MsgId, MsgIdx>,
    counters: FxHashMap<u32, u32>,
}

impl Messages {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a new message; returns its index.
    pub fn register(&mut self, id: MsgId, at: SimTime, size: u16, validation: u8) -> MsgIdx {
        let idx = MsgIdx(u32::try_from(self.ids.len()).expect("more than 2^32 messages"));
        self.ids.push(id);
        self.produced_at.push(at);
        self.size.push(size);
        self.validation.push(validation);
        self.by_id.insert(id, idx);
        idx
    }

    /// Produces a new message at `producer`: the next sequence number there (from 1), registered.
    pub fn produce(&mut self, producer: p2psim_net::PeerId, at: SimTime, size: u16, validation: u8) -> (MsgIdx, MsgId) {
        let c = self.counters.entry(producer.0).or_insert(0);
        *c += 1;
        let id = MsgId { producer, seq: *c };
        (self.register(id, at, size, validation), id)
    }

    /// Number of messages produced.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True if nothing was produced.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of a message.
    pub fn id(&self, idx: MsgIdx) -> MsgId {
        self.ids[idx.index()]
    }

    /// The index of an id, if it was produced.
    pub fn lookup(&self, id: MsgId) -> Option<MsgIdx> {
        self.by_id.get(&id).copied()
    }

    /// When the message was produced.
    pub fn produced_at(&self, idx: MsgIdx) -> SimTime {
        self.produced_at[idx.index()]
    }

    /// Size on the wire of the original gossip message.
    pub fn size(&self, idx: MsgIdx) -> u16 {
        self.size[idx.index()]
    }

    /// The validation attached by the producer (0 = none).
    pub fn validation(&self, idx: MsgIdx) -> u8 {
        self.validation[idx.index()]
    }

    /// All indices, in production order.
    pub fn all(&self) -> impl ExactSizeIterator<Item = MsgIdx> + use<> {
        (0..self.ids.len() as u32).map(MsgIdx)
    }
}
