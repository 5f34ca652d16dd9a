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

    /// All indices by (production time, producer, the producer's sequence number): the order of
    /// every report, because it depends only on each producer's own history. (Indices follow the
    /// order in which the run handled the productions, and two producers at the same instant are
    /// handled in the order of the events that made them produce, which a run split between
    /// threads does not keep.)
    pub fn in_report_order(&self) -> Vec<MsgIdx> {
        let mut order: Vec<MsgIdx> = self.all().collect();
        order.sort_unstable_by_key(|&m| (self.produced_at(m), self.id(m).producer, self.id(m).seq));
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p2psim_net::PeerId;

    #[test]
    fn the_report_order_follows_time_then_producer_then_its_count_not_the_order_of_handling() {
        let mut m = Messages::new();
        let (t1, t2) = (SimTime::from_millis(1), SimTime::from_millis(2));
        // Handled in this order: peer 9 before peer 3 at the same instant, then peer 3 again.
        let a = m.produce(PeerId(9), t1, 10, 0).0;
        let b = m.produce(PeerId(3), t1, 10, 0).0;
        let c = m.produce(PeerId(3), t1, 10, 0).0;
        let d = m.produce(PeerId(1), t2, 10, 0).0;
        let e = m.produce(PeerId(3), SimTime::ZERO, 10, 0).0;
        assert_eq!(m.in_report_order(), vec![e, b, c, a, d]);
        assert_eq!(m.all().collect::<Vec<_>>(), vec![a, b, c, d, e]);
    }
}
