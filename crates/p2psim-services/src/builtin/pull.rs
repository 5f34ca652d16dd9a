//! `PullGossip`: pull gossip (anti-entropy by index exchange), P2PSimpy's `PullGossipService`; also
//! the ranged variant's exchange (`RangedPullGossipService`) and the pull half of push-pull.
//!
//! Each round a peer sends `SyncPing(index)` to `fanout` partners. The index is a snapshot taken at
//! send time (P2PSimpy sent a live view, oddity G2): the set of ids held, or, ranged, the highest
//! counter held per producer. A receiver answers with `SyncPong` (what the sender lacks) and
//! `MsgRequest` (what it lacks); a `MsgRequest` is answered with `MsgResponse`, whose copies are
//! stored (and counted as copies, as P2PSimpy's `times_seen` does).
//!
//! Ranged, as in P2PSimpy (oddity G4, kept): learning that a producer reached counter `c` marks
//! every counter above my `last` up to `c` as a hole, without raising `last`; I then request all my
//! holes of that producer, even those above what the partner advertised, and a partner without the
//! message answers `None`, leaving the hole open for later rounds.

use p2psim_kernel::{ConfigError, Dist, Param};
use p2psim_net::PeerId;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use super::{check_count, check_rounds, param, send_via};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, ServiceConfig, mean};
use crate::context::Context;
use crate::message::{Body, Kind, Message, MsgId, StoredCopy, TAMPERED_SIZE};
use crate::protocol::{Injected, PeerInit, PeerParam, Protocol, StorageNeeds};
use crate::rounds::{RoundSchedule, Rounds};
use crate::select::{Exclusions, Selection};

/// Pull gossip (anti-entropy by index exchange): `PullGossipService` and `RangedPullGossipService`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PullGossipConfig {
    /// Partners synced with each round (3).
    pub fanout: Param,
    /// Period of the rounds, ms (500).
    pub round_time: Param,
    /// Wait before the first round, ms (N(200, 100), absolute value taken).
    pub init_timeout: Param,
    /// Peers never synced with.
    pub exclude_peers: Vec<u32>,
    /// Peer types never synced with.
    pub exclude_types: Vec<String>,
    /// Timing of the rounds.
    pub rounds: Rounds,
    /// Whom to sync with.
    pub selection: Selection,
}

impl Default for PullGossipConfig {
    fn default() -> Self {
        PullGossipConfig {
            fanout: Param::Const(3.0),
            round_time: Param::Const(500.0),
            init_timeout: Param::Dist(Dist::norm(200.0, 100.0).expect("valid")),
            exclude_peers: Vec::new(),
            exclude_types: Vec::new(),
            rounds: Rounds::P2psimpy,
            selection: Selection::Neighbours,
        }
    }
}

impl PullGossipConfig {
    pub(crate) fn check_fields(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        check_count("fanout", &self.fanout)?;
        check_rounds(&self.round_time, &self.rounds)?;
        self.init_timeout.check("init_timeout", "a finite number of ms", f64::is_finite)?;
        cx.check_type_names("exclude_types", &self.exclude_types)
    }

    pub(crate) fn protocol(&self, cx: &mut BuildCx<'_>, ranged: bool) -> PullGossip {
        PullGossip {
            ranged,
            fanout: param(cx, "fanout", &self.fanout),
            rounds: RoundSchedule {
                rounds: self.rounds.clone(),
                period: self.round_time.clone(),
                init: self.init_timeout.clone(),
            },
            selection: self.selection,
            exclude: cx.exclusions(&self.exclude_peers, &self.exclude_types),
        }
    }
}

impl ServiceConfig for PullGossipConfig {
    type Protocol = PullGossip;

    const REFERENCE: &'static str = "### `PullGossip`

P2PSimpy's `PullGossipService`: every `round_time` each peer sends `fanout` neighbours the ids it
holds, and they answer with what it lacks.

| field | meaning | default |
|---|---|---|
| `fanout` | partners per round (*Param*) | 3 |
| `round_time` | ms between rounds (*Param*) | 500 |
| `init_timeout` | ms before the first round, per peer (*Param*) | `Dist(Norm(loc: 200, scale: 100))` |
| `exclude_peers` | peer numbers never contacted | none |
| `exclude_types` | peer types never contacted | none |
| `rounds` | when rounds happen (`Rounds`) | `P2psimpy` |
| `selection` | whom a round contacts (`Selection`) | `Neighbours` |
";

    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        self.check_fields(cx)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> PullGossip {
        self.protocol(cx, false)
    }

    fn estimate(&self, cx: &EstimateCx) -> Load {
        self.load(cx)
    }
}

impl PullGossipConfig {
    /// Each round, `fanout` exchanges of about four messages.
    pub(crate) fn load(&self, cx: &EstimateCx) -> Load {
        let rounds = cx.rounds(&self.round_time, 500.0);
        let f = mean(&self.fanout, 3.0).max(0.0);
        Load::events(rounds * f * 4.0 * cx.per_arrival, "round_time", format!("{rounds:.0} rounds"))
    }
}

/// Pull gossip, plain or ranged.
#[derive(Debug)]
pub struct PullGossip {
    ranged: bool,
    fanout: PeerParam,
    rounds: RoundSchedule,
    selection: Selection,
    exclude: Exclusions,
}

/// The kinds pull gossip (and push-pull) handles.
pub(crate) const PULL_KINDS: &[Kind] =
    &[Kind::Gossip, Kind::SyncPing, Kind::SyncPong, Kind::MsgRequest, Kind::MsgResponse];

impl PullGossip {
    fn index(&self, cx: &Context<'_, Message>) -> Body {
        if self.ranged {
            Body::Index(cx.ranges().map(|(p, r)| (p, r.last)).collect())
        } else {
            Body::Ids(cx.known().iter().map(|&m| cx.messages().id(m)).collect())
        }
    }

    pub(crate) fn schedule(&self) -> RoundSchedule {
        self.rounds.clone()
    }

    /// One round: the index to `fanout` partners.
    pub(crate) fn sync(&self, cx: &mut Context<'_, Message>) {
        if !cx.is_online() {
            return;
        }
        let fanout = self.fanout.count(cx);
        let partners = match self.selection {
            Selection::Neighbours => cx.choose_neighbours(fanout, None, &self.exclude),
            Selection::Uniform => cx.choose_members(fanout, None),
        };
        if partners.is_empty() {
            return;
        }
        let ping = Message::with(Kind::SyncPing, self.index(cx));
        for q in partners {
            send_via(cx, self.selection, q, ping.clone());
        }
    }

    /// Everything but pushed gossip: the exchange (the pull half of push-pull too).
    pub(crate) fn receive(&self, cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        match msg {
            Message::Gossip { idx, tampered, hops, .. } => {
                cx.store_version(*idx, *hops, *tampered);
                cx.note_stored(cx.messages().id(*idx));
            }
            Message::With { kind, body, .. } => match (kind, &**body) {
                (Kind::SyncPing, theirs) => {
                    self.peer_missing(cx, from, theirs);
                    self.self_missing(cx, from, theirs);
                }
                (Kind::SyncPong, theirs) => self.self_missing(cx, from, theirs),
                (Kind::MsgRequest, Body::Ids(ids)) => respond(cx, self.selection, from, ids),
                (Kind::MsgResponse, Body::Response(items)) => store_response(cx, items),
                _ => {}
            },
            _ => {}
        }
    }

    /// Tells `from` what it lacks, by `SyncPong`.
    fn peer_missing(&self, cx: &mut Context<'_, Message>, from: PeerId, theirs: &Body) {
        let pong = match theirs {
            Body::Ids(their_ids) => {
                let have: FxHashSet<MsgId> = their_ids.iter().copied().collect();
                let missing: Vec<MsgId> =
                    cx.known().iter().map(|&m| cx.messages().id(m)).filter(|i| !have.contains(i)).collect();
                (!missing.is_empty()).then_some(Body::Ids(missing))
            }
            Body::Index(their_index) => {
                let missing: Vec<(PeerId, u32)> = cx
                    .ranges()
                    .filter(|&(p, r)| {
                        let theirs = their_index.iter().find(|e| e.0 == p).map_or(0, |e| e.1);
                        theirs == 0 || theirs < r.last
                    })
                    .map(|(p, r)| (p, r.last))
                    .collect();
                (!missing.is_empty()).then_some(Body::Index(missing))
            }
            _ => None,
        };
        if let Some(body) = pong {
            send_via(cx, self.selection, from, Message::with(Kind::SyncPong, body));
        }
    }

    /// Asks `from` for what I lack, by `MsgRequest`.
    fn self_missing(&self, cx: &mut Context<'_, Message>, from: PeerId, theirs: &Body) {
        let wanted: Vec<MsgId> = match theirs {
            Body::Ids(ids) => {
                ids.iter().copied().filter(|&id| cx.messages().lookup(id).is_none_or(|m| !cx.has(m))).collect()
            }
            Body::Index(index) => {
                let mut out = Vec::new();
                for &(p, last) in index {
                    cx.mark_holes(p, last);
                    if let Some(r) = cx.range(p) {
                        out.extend(r.holes.iter().map(|&seq| MsgId { producer: p, seq }));
                    }
                }
                out
            }
            _ => Vec::new(),
        };
        if !wanted.is_empty() {
            send_via(cx, self.selection, from, Message::with(Kind::MsgRequest, Body::Ids(wanted)));
        }
    }
}

impl Protocol for PullGossip {
    type Message = Message;
    type State = ();

    fn init(&self, _: &mut PeerInit<'_>) {}

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(PULL_KINDS)
    }

    fn storage(&self) -> StorageNeeds {
        StorageNeeds { known: true, ranged: self.ranged }
    }

    fn rounds(&self) -> Option<RoundSchedule> {
        Some(self.schedule())
    }

    fn may_change_links(&self) -> bool {
        false
    }

    fn on_round(&self, _: &mut (), cx: &mut Context<'_, Message>) {
        self.sync(cx);
    }

    fn on_message(&self, _: &mut (), cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        self.receive(cx, from, msg);
    }

    fn on_inject(&self, _: &mut (), cx: &mut Context<'_, Message>, injected: Injected) {
        cx.store(injected.msg, 0);
        cx.note_stored(cx.messages().id(injected.msg));
    }
}

/// The copy of `id` the peer would hand out: its data version, size and hops.
pub(crate) fn stored_copy(cx: &Context<'_, Message>, id: MsgId) -> Option<StoredCopy> {
    let m = cx.messages().lookup(id)?;
    cx.record(m).map(|r| StoredCopy {
        tampered: r.tampered,
        size: if r.tampered { u32::from(TAMPERED_SIZE) } else { u32::from(cx.messages().size(m)) },
        validation: cx.messages().validation(m),
        hops: r.hops,
    })
}

/// Answers a request with the stored copies (`None` for ids not held).
pub(crate) fn respond(cx: &mut Context<'_, Message>, selection: Selection, from: PeerId, ids: &[MsgId]) {
    cx.prefetch_cells(ids.iter().copied());
    let items: Vec<(MsgId, Option<StoredCopy>)> = ids.iter().map(|&id| (id, stored_copy(cx, id))).collect();
    send_via(cx, selection, from, Message::with(Kind::MsgResponse, Body::Response(items)));
}

/// Stores the copies of a response; `None`s are ignored. Each copy made one hop more than the
/// responder's.
pub(crate) fn store_response(cx: &mut Context<'_, Message>, items: &[(MsgId, Option<StoredCopy>)]) {
    cx.prefetch_cells(items.iter().filter(|i| i.1.is_some()).map(|i| i.0));
    for &(id, copy) in items {
        let (Some(copy), Some(m)) = (copy, cx.messages().lookup(id)) else { continue };
        cx.store_version(m, copy.hops.saturating_add(1), copy.tampered);
        cx.note_stored(id);
    }
}
