//! Push gossip with a TTL (`GossipService`), and the malicious variant of notebook 04.

use p2psim_net::PeerId;

use super::{Exclusions, Shared};
use crate::config::{PushGossipConfig, Relay};
use crate::cx::Cx;
use crate::message::{Message, MsgIdx, TAMPERED_SIZE};
use crate::select::Selection;

/// Stores every copy (first time seen, copies) and, while the TTL lasts, relays to `fanout`
/// neighbours other than the sender: on every copy (P2PSimpy, no duplicate suppression) or on the
/// first only. A malicious peer sends the original to half its fanout and altered data to the
/// other half.
#[derive(Debug)]
pub(crate) struct PushGossip {
    fanout: usize,
    relay: Relay,
    exclude: Exclusions,
    malicious: bool,
}

impl PushGossip {
    pub(crate) fn new(c: &PushGossipConfig, exclude: Exclusions, malicious: bool) -> Self {
        PushGossip { fanout: c.fanout as usize, relay: c.relay, exclude, malicious }
    }

    /// True if a copy of a message the peer already has is only counted (relay on the first copy,
    /// not malicious).
    pub(crate) fn counts_known_copies_only(&self) -> bool {
        self.relay == Relay::FirstCopy && !self.malicious
    }

    pub(crate) fn on_message(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, to: PeerId, from: PeerId, msg: &Message) {
        let Message::Gossip { idx, ttl, tampered, validation, size } = *msg else { return };
        let local = cx.peers.local(to);
        let first = sh.storage.add(local, idx, cx.now, tampered);
        let id = cx.messages.id(idx);
        sh.storage.ranged_add(local, id.producer.0, id.seq);
        if ttl > 0 && (first || self.relay == Relay::EveryCopy) {
            let relayed = Message::Gossip { idx, ttl: ttl - 1, tampered, validation, size };
            self.relay(cx, sh, to, local, Some(from), relayed);
        }
    }

    /// The message appears at `peer`, which sends it on with `ttl`.
    pub(crate) fn inject(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId, idx: MsgIdx, ttl: u8) {
        let local = cx.peers.local(peer);
        sh.storage.add(local, idx, cx.now, false);
        let size = cx.messages.size(idx);
        let validation = cx.messages.validation(idx);
        self.relay(cx, sh, peer, local, None, Message::Gossip { idx, ttl, tampered: false, validation, size });
    }

    fn relay(
        &mut self,
        cx: &mut Cx<'_>,
        sh: &mut Shared,
        peer: PeerId,
        local: u32,
        except: Option<PeerId>,
        msg: Message,
    ) {
        if self.malicious {
            let half = self.fanout / 2;
            let n = sh.choose(cx, peer, local, except, &self.exclude, Selection::Neighbours, 2 * half);
            let Message::Gossip { idx, ttl, validation, size, .. } = msg else { return };
            for i in 0..n {
                let altered = i >= half;
                let m = Message::Gossip {
                    idx,
                    ttl,
                    tampered: altered,
                    validation,
                    size: if altered { TAMPERED_SIZE } else { size },
                };
                cx.send(peer, sh.scratch[i], m);
            }
        } else {
            let n = sh.choose(cx, peer, local, except, &self.exclude, Selection::Neighbours, self.fanout);
            for i in 0..n {
                cx.send(peer, sh.scratch[i], msg.clone());
            }
        }
    }
}
