//! `MessageProducer`: a message every `1000 / msg_rate` ms from `init_timeout` on.

use p2psim_kernel::{Resolved, SimDuration};
use p2psim_net::PeerId;

use super::{Exclusions, Shared};
use crate::config::ProducerConfig;
use crate::cx::Cx;
use crate::message::{Message, gossip_size};
use crate::select::Selection;

const PRODUCE: u32 = 0;

#[derive(Debug)]
pub(crate) struct Producer {
    init_timeout: Vec<Resolved>,
    interval: SimDuration,
    fanout: usize,
    ttl: u8,
    size: u16,
    times: Option<u32>,
    produced: Vec<u32>,
    exclude: Exclusions,
    validation: u8,
}

impl Producer {
    pub(crate) fn new(c: &ProducerConfig, init_timeout: Vec<Resolved>, exclude: Exclusions, validation: u8) -> Self {
        let members = init_timeout.len();
        Producer {
            init_timeout,
            interval: SimDuration::from_millis_f64(1000.0 / c.msg_rate),
            fanout: c.init_fanout as usize,
            ttl: c.init_ttl,
            size: u16::try_from(gossip_size(c.data_letters)).unwrap_or(u16::MAX),
            times: c.times,
            produced: vec![0; members],
            exclude,
            validation,
        }
    }

    pub(crate) fn start(&mut self, cx: &mut Cx<'_>, sh: &mut Shared) {
        for local in 0..sh.members.len() as u32 {
            let peer = sh.members[local as usize];
            let ms = self.init_timeout[local as usize].get(sh.rng(local));
            cx.timer(peer, SimDuration::from_millis_abs(ms), PRODUCE);
        }
    }

    /// Produces one message: registers it, stores it, sends it to `init_fanout` neighbours (capped by
    /// the degree). An offline producer still counts the message but sends nothing (P2PSimpy).
    pub(crate) fn on_timer(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId) {
        let local = cx.peers.local(peer);
        if cx.net.state(peer) == p2psim_net::PeerState::Absent {
            // Not in the network (yet, or any more): nothing is produced.
            cx.timer(peer, self.interval, PRODUCE);
            return;
        }
        let done = &mut self.produced[local as usize];
        if self.times.is_some_and(|t| *done >= t) {
            return;
        }
        *done += 1;
        let (idx, _) = cx.messages.produce(peer, cx.now, self.size, self.validation);
        sh.storage.add(local, idx, cx.now, false);
        let id = cx.messages.id(idx);
        sh.storage.ranged_add(local, id.producer.0, id.seq);
        let n = sh.choose(cx, peer, local, None, &self.exclude, Selection::Neighbours, self.fanout);
        for i in 0..n {
            let q = sh.scratch[i];
            let msg =
                Message::Gossip { idx, ttl: self.ttl, tampered: false, validation: self.validation, size: self.size };
            cx.send(peer, q, msg);
        }
        if self.times.is_none_or(|t| self.produced[local as usize] < t) {
            cx.timer(peer, self.interval, PRODUCE);
        }
    }
}
