//! `PushGossip`: push gossip with a TTL (P2PSimpy's `GossipService`); also the push half of
//! push-pull and the relay the malicious variant alters.

use p2psim_kernel::{ConfigError, Param};
use p2psim_net::PeerId;
use serde::{Deserialize, Serialize};

use super::{check_count, param};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, ServiceConfig, count, mean};
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

    const REFERENCE: &'static str = "### `PushGossip`

P2PSimpy's `GossipService`: a message received with TTL left is stored and relayed to `fanout`
random neighbours other than its sender, with the TTL one lower.

| field | meaning | default |
|---|---|---|
| `fanout` | neighbours each relay goes to (*Param*) | 3 |
| `exclude_peers` | peer numbers never relayed to | none |
| `exclude_types` | peer types never relayed to (the tutorials exclude `client`) | none |
| `relay` | which copies are relayed (`Relay`) | `EveryCopy` |

### `Relay`

- `EveryCopy`: every copy received with TTL left, as P2PSimpy (its oddity G3: traffic then grows
  with the fanout to the power of the TTL, however many peers there are).
- `FirstCopy`: the first copy only.
";

    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        self.check_fields(cx)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> PushGossip {
        self.protocol(cx, false)
    }

    fn estimate(&self, cx: &EstimateCx) -> Load {
        self.load(cx)
    }
}

impl PushGossipConfig {
    /// Copies of each message: every copy relayed while the TTL lasts (1 + f + … + f^ttl), or
    /// each peer relaying its first copy to `fanout` of its neighbours.
    pub(crate) fn load(&self, cx: &EstimateCx) -> Load {
        let f = mean(&self.fanout, 3.0).max(0.0);
        let copies = match self.relay {
            Relay::EveryCopy => (0..=cx.ttl as i32).map(|i| f.powi(i)).sum::<f64>(),
            Relay::FirstCopy => cx.members * f.min(cx.degree.max(1.0)),
        };
        Load::events(cx.messages * copies * cx.per_arrival, "fanout", format!("{} copies of each message", count(copies)))
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

    fn may_change_links(&self) -> bool {
        false
    }

    /// A copy of a message the peer already has is only counted when the relay is on the first
    /// copy and honest: what lets the world account such copies when they are sent.
    fn counts_known_copies_only(&self) -> bool {
        self.relay == Relay::FirstCopy && !self.malicious
    }

    #[inline]
    fn on_message(&self, _: &mut (), cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        self.receive(cx, from, msg);
    }

    fn on_inject(&self, _: &mut (), cx: &mut Context<'_, Message>, injected: Injected) {
        self.inject(cx, injected);
    }
}
