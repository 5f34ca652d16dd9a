//! Push gossip with a TTL (P2PSimpy's `GossipService`), and the malicious variant of notebook 04.

use p2psim_kernel::{ConfigError, Param};
use p2psim_net::PeerId;
use serde::{Deserialize, Serialize};

use super::{check_count, param};
use crate::catalog::{BuildCx, CheckCx, ServiceConfig};
use crate::context::Context;
use crate::message::{Kind, Message, TAMPERED_SIZE};
use crate::protocol::{Injected, PeerInit, PeerParam, Protocol};
use crate::select::Exclusions;

/// When a push relay forwards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relay {
    /// On every copy received with TTL left (P2PSimpy's `GossipService`, oddity G3).
    #[default]
    EveryCopy,
    /// On the first copy only.
    FirstCopy,
}

/// Push gossip with a TTL (`GossipService`), also the push half of push-pull.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushGossipConfig {
    /// Neighbours each relay goes to (3).
    pub fanout: Param,
    /// Peers never sent to (by id).
    pub exclude_peers: Vec<u32>,
    /// Peer types never sent to (the tutorial excludes `client`).
    pub exclude_types: Vec<String>,
    /// Relay every copy (P2PSimpy) or the first only.
    pub relay: Relay,
}

impl Default for PushGossipConfig {
    fn default() -> Self {
        PushGossipConfig {
            fanout: Param::Const(3.0),
            exclude_peers: Vec::new(),
            exclude_types: Vec::new(),
            relay: Relay::EveryCopy,
        }
    }
}

impl PushGossipConfig {
    pub(crate) fn check_fields(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        check_count("fanout", &self.fanout)?;
        cx.check_type_names("exclude_types", &self.exclude_types)
    }

    pub(crate) fn protocol(&self, cx: &mut BuildCx<'_>, malicious: bool) -> PushGossip {
        PushGossip {
            fanout: param(cx, "fanout", &self.fanout),
            relay: self.relay,
            exclude: cx.exclusions(&self.exclude_peers, &self.exclude_types),
            malicious,
        }
    }
}

impl ServiceConfig for PushGossipConfig {
    type Protocol = PushGossip;

    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        self.check_fields(cx)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> PushGossip {
        self.protocol(cx, false)
    }
}

/// Stores every copy (first time seen, copies, hops) and, while the TTL lasts, relays to `fanout`
/// neighbours other than the sender: on every copy (P2PSimpy, no duplicate suppression) or on the
/// first only. A malicious peer sends the original to half its fanout and altered data to the
/// other half.
#[derive(Debug)]
pub struct PushGossip {
    fanout: PeerParam,
    relay: Relay,
    exclude: Exclusions,
    malicious: bool,
}

impl PushGossip {
    /// True if a copy of a message the peer already has is only counted (relay on the first copy,
    /// not malicious): what lets the world account such copies when they are sent.
    pub(crate) fn counts_known_copies_only(&self) -> bool {
        self.relay == Relay::FirstCopy && !self.malicious
    }

    /// A copy arrives (the push half of push-pull too).
    pub(crate) fn receive(&self, cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        let Message::Gossip { idx, ttl, tampered, validation, size, hops } = *msg else { return };
        let first = cx.store_version(idx, hops, tampered);
        if ttl > 0 && (first || self.relay == Relay::EveryCopy) {
            let relayed =
                Message::Gossip { idx, ttl: ttl - 1, tampered, validation, size, hops: hops.saturating_add(1) };
            self.relay(cx, Some(from), relayed);
        }
    }

    /// The message appears at the peer, which sends it on with `ttl` (the push half of push-pull
    /// too).
    pub(crate) fn inject(&self, cx: &mut Context<'_, Message>, injected: Injected) {
        let idx = injected.msg;
        cx.store(idx, 0);
        let size = cx.messages().size(idx);
        let validation = cx.messages().validation(idx);
        let msg = Message::Gossip { idx, ttl: injected.ttl, tampered: false, validation, size, hops: 1 };
        self.relay(cx, None, msg);
    }

    fn relay(&self, cx: &mut Context<'_, Message>, except: Option<PeerId>, msg: Message) {
        if self.malicious {
            let half = self.fanout.count(cx) / 2;
            let targets = cx.choose_neighbours(2 * half, except, &self.exclude);
            let Message::Gossip { idx, ttl, validation, size, hops, .. } = msg else { return };
            for (i, &q) in targets.iter().enumerate() {
                let altered = i >= half;
                let size = if altered { TAMPERED_SIZE } else { size };
                cx.send(q, Message::Gossip { idx, ttl, tampered: altered, validation, size, hops });
            }
        } else {
            let fanout = self.fanout.count(cx);
            for q in cx.choose_neighbours(fanout, except, &self.exclude) {
                cx.send(q, msg.clone());
            }
        }
    }
}

impl Protocol for PushGossip {
    type Message = Message;
    type State = ();

    fn init(&self, _: &mut PeerInit<'_>) {}

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Gossip])
    }

    #[inline]
    fn on_message(&self, _: &mut (), cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        self.receive(cx, from, msg);
    }

    fn on_inject(&self, _: &mut (), cx: &mut Context<'_, Message>, injected: Injected) {
        self.inject(cx, injected);
    }
}
