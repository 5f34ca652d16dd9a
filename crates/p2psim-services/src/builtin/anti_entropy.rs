//! `AntiEntropy`: Demers et al.'s anti-entropy: each round a peer sends a digest of what it holds to `fanout`
//! random partners, and each exchange moves updates one way or both.

use p2psim_kernel::{ConfigError, Param};
use p2psim_net::PeerId;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use super::pull::{respond, store_response, stored_copy};
use super::{check_count, check_rounds, param, send_via};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, ServiceConfig, mean};
use crate::context::Context;
use crate::message::{Body, Kind, Message, MsgId, StoredCopy};
use crate::protocol::{Injected, PeerInit, PeerParam, Protocol, StorageNeeds};
use crate::rounds::{RoundSchedule, Rounds};
use crate::select::{Exclusions, Selection};

/// Which way anti-entropy moves updates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// I send what I have.
    Push,
    /// I ask, the partner sends what I lack.
    Pull,
    /// Both.
    #[default]
    PushPull,
}

/// Demers' anti-entropy: each round, `fanout` random partners, whole-state exchange.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AntiEntropyConfig {
    /// Push, pull or push-pull.
    pub direction: Direction,
    /// Partners contacted each round (1; the analyses with f partners per round use f).
    pub fanout: Param,
    /// Period of the rounds, ms.
    pub round_time: Param,
    /// Timing of the rounds (default synchronous).
    pub rounds: Rounds,
    /// Whom to pick (default uniformly among all peers).
    pub selection: Selection,
}

impl Default for AntiEntropyConfig {
    fn default() -> Self {
        AntiEntropyConfig {
            direction: Direction::PushPull,
            fanout: Param::Const(1.0),
            round_time: Param::Const(1000.0),
            rounds: Rounds::Synchronous { offset: 0.0 },
            selection: Selection::Uniform,
        }
    }
}

impl ServiceConfig for AntiEntropyConfig {
    type Protocol = AntiEntropy;

    const REFERENCE: &'static str = "### `AntiEntropy`

Demers et al.'s anti-entropy: every round each peer exchanges with `fanout` partners.

| field | meaning | default |
|---|---|---|
| `direction` | what an exchange does (`Direction`) | `PushPull` |
| `fanout` | partners per round (*Param*) | 1 |
| `round_time` | ms between rounds (*Param*) | 1000 |
| `rounds` | when rounds happen (`Rounds`) | `Synchronous(offset: 0)` |
| `selection` | whom a round contacts (`Selection`) | `Uniform` |

### `Direction`

- `Push`: a peer sends what it has.
- `Pull`: a peer asks, and the partner sends what it lacks.
- `PushPull`: both.
";

    fn estimate(&self, cx: &EstimateCx) -> Load {
        let rounds = cx.rounds(&self.round_time, 1000.0);
        let f = mean(&self.fanout, 1.0).max(0.0);
        Load::events(rounds * f * 4.0 * cx.per_arrival, "round_time", format!("{rounds:.0} rounds"))
    }

    fn check(&self, _: &CheckCx<'_>) -> Result<(), ConfigError> {
        check_count("fanout", &self.fanout)?;
        check_rounds(&self.round_time, &self.rounds)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> AntiEntropy {
        AntiEntropy {
            direction: self.direction,
            fanout: param(cx, "fanout", &self.fanout),
            rounds: RoundSchedule {
                rounds: self.rounds.clone(),
                period: self.round_time.clone(),
                init: Param::Const(0.0),
            },
            selection: self.selection,
        }
    }
}

/// Anti-entropy: each round, a digest (`SyncPing`) to `fanout` partners; a partner sends what the
/// initiator lacks (pull), asks for what it lacks itself (push), or both.
#[derive(Debug)]
pub struct AntiEntropy {
    direction: Direction,
    fanout: PeerParam,
    rounds: RoundSchedule,
    selection: Selection,
}

impl Protocol for AntiEntropy {
    type Message = Message;
    type State = ();

    fn init(&self, _: &mut PeerInit<'_>) {}

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Gossip, Kind::SyncPing, Kind::MsgRequest, Kind::MsgResponse])
    }

    fn storage(&self) -> StorageNeeds {
        StorageNeeds { known: true, ranged: false }
    }

    fn may_change_links(&self) -> bool {
        false
    }

    fn rounds(&self) -> Option<RoundSchedule> {
        Some(self.rounds.clone())
    }

    fn on_round(&self, _: &mut (), cx: &mut Context<'_, Message>) {
        if !cx.is_online() {
            return;
        }
        let fanout = self.fanout.count(cx);
        let partners = match self.selection {
            Selection::Neighbours => cx.choose_neighbours(fanout, None, &Exclusions::none()),
            Selection::Uniform => cx.choose_members(fanout, None),
        };
        if partners.is_empty() {
            return;
        }
        let digest =
            Message::with(Kind::SyncPing, Body::Ids(cx.known().iter().map(|&m| cx.messages().id(m)).collect()));
        for q in partners {
            send_via(cx, self.selection, q, digest.clone());
        }
    }

    fn on_message(&self, _: &mut (), cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        match msg {
            Message::Gossip { idx, tampered, hops, .. } => {
                cx.store_version(*idx, *hops, *tampered);
            }
            Message::With { kind, body, .. } => match (kind, &**body) {
                (Kind::SyncPing, Body::Ids(theirs)) => {
                    if self.direction != Direction::Push {
                        let have: FxHashSet<MsgId> = theirs.iter().copied().collect();
                        let items: Vec<(MsgId, Option<StoredCopy>)> = cx
                            .known()
                            .iter()
                            .map(|&m| cx.messages().id(m))
                            .filter(|i| !have.contains(i))
                            .map(|id| (id, stored_copy(cx, id)))
                            .collect();
                        if !items.is_empty() {
                            send_via(cx, self.selection, from, Message::with(Kind::MsgResponse, Body::Response(items)));
                        }
                    }
                    if self.direction != Direction::Pull {
                        let wanted: Vec<MsgId> = theirs
                            .iter()
                            .copied()
                            .filter(|&id| cx.messages().lookup(id).is_none_or(|m| !cx.has(m)))
                            .collect();
                        if !wanted.is_empty() {
                            send_via(cx, self.selection, from, Message::with(Kind::MsgRequest, Body::Ids(wanted)));
                        }
                    }
                }
                (Kind::MsgRequest, Body::Ids(ids)) => respond(cx, self.selection, from, ids),
                (Kind::MsgResponse, Body::Response(items)) => store_response(cx, items),
                _ => {}
            },
            _ => {}
        }
    }

    fn on_inject(&self, _: &mut (), cx: &mut Context<'_, Message>, injected: Injected) {
        cx.store(injected.msg, 0);
    }
}
