//! `RangedPullGossip`: pull gossip that exchanges per-producer counters and asks for the holes
//! (P2PSimpy's `RangedPullGossipService`); the exchange is pull gossip's.

use p2psim_kernel::ConfigError;
use p2psim_net::PeerId;
use serde::{Deserialize, Serialize};

use super::pull::{PullGossip, PullGossipConfig};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, ServiceConfig};
use crate::context::Context;
use crate::message::{Kind, Message};
use crate::protocol::{Injected, PeerInit, Protocol, StorageNeeds};
use crate::rounds::RoundSchedule;

/// Ranged pull gossip: `PullGossip`'s fields, written the same way.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RangedPullGossipConfig(pub PullGossipConfig);

impl ServiceConfig for RangedPullGossipConfig {
    type Protocol = RangedPullGossip;

    const REFERENCE: &'static str = "### `RangedPullGossip`

P2PSimpy's `RangedPullGossipService`: pull gossip whose index is the highest counter held per
producer; a peer that learns of higher counters asks for every counter it lacks below them (the
holes). Its fields are `PullGossip`'s.
";

    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        self.0.check_fields(cx)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> RangedPullGossip {
        RangedPullGossip(self.0.protocol(cx, true))
    }

    fn estimate(&self, cx: &EstimateCx) -> Load {
        self.0.load(cx)
    }
}

/// Pull gossip over per-producer counters.
#[derive(Debug)]
pub struct RangedPullGossip(PullGossip);

impl Protocol for RangedPullGossip {
    type Message = Message;
    type State = ();

    fn init(&self, _: &mut PeerInit<'_>) {}

    fn kinds(&self) -> Option<&'static [Kind]> {
        self.0.kinds()
    }

    fn storage(&self) -> StorageNeeds {
        self.0.storage()
    }

    fn rounds(&self) -> Option<RoundSchedule> {
        self.0.rounds()
    }

    fn may_change_links(&self) -> bool {
        false
    }

    fn on_round(&self, _: &mut (), cx: &mut Context<'_, Message>) {
        self.0.sync(cx);
    }

    fn on_message(&self, _: &mut (), cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        self.0.receive(cx, from, msg);
    }

    fn on_inject(&self, state: &mut (), cx: &mut Context<'_, Message>, injected: Injected) {
        self.0.on_inject(state, cx, injected);
    }
}
