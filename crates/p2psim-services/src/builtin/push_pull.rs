//! `PushPullGossip`: push-pull gossip (`PushPullGossipService`): pushed copies are relayed the push way, everything
//! else is the pull exchange. The two halves have their own parameters (P2PSimpy shares one set,
//! oddity X3).

use p2psim_kernel::ConfigError;
use p2psim_net::PeerId;
use serde::{Deserialize, Serialize};

use super::pull::{PULL_KINDS, PullGossip, PullGossipConfig};
use super::push::{PushGossip, PushGossipConfig};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, ServiceConfig};
use crate::context::Context;
use crate::message::{Kind, Message};
use crate::protocol::{Injected, PeerInit, Protocol, StorageNeeds};
use crate::rounds::RoundSchedule;

/// Push-pull gossip, with separate push and pull parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushPullGossipConfig {
    /// The push half.
    pub push: PushGossipConfig,
    /// The pull half.
    pub pull: PullGossipConfig,
}

impl ServiceConfig for PushPullGossipConfig {
    type Protocol = PushPull;

    const REFERENCE: &'static str = "### `PushPullGossip`

P2PSimpy's `PushPullGossipService`, with separate settings for its halves (its oddity X3 fixed).

| field | meaning | default |
|---|---|---|
| `push` | the push half: `PushGossip`'s fields | `PushGossip`'s defaults |
| `pull` | the pull half: `PullGossip`'s fields | `PullGossip`'s defaults |
";

    fn estimate(&self, cx: &EstimateCx) -> Load {
        Load { field: "pull.round_time", ..self.pull.load(cx) }
    }

    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        self.push.check_fields(cx).map_err(|e| e.at("push"))?;
        self.pull.check_fields(cx).map_err(|e| e.at("pull"))
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> PushPull {
        PushPull { push: self.push.protocol(cx, false), pull: self.pull.protocol(cx, false) }
    }
}

/// Push-pull gossip: a push relay and a pull exchange sharing one storage.
#[derive(Debug)]
pub struct PushPull {
    push: PushGossip,
    pull: PullGossip,
}

impl Protocol for PushPull {
    type Message = Message;
    type State = ();

    fn init(&self, _: &mut PeerInit<'_>) {}

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(PULL_KINDS)
    }

    fn storage(&self) -> StorageNeeds {
        StorageNeeds { known: true, ranged: false }
    }

    fn may_change_links(&self) -> bool {
        false
    }

    fn rounds(&self) -> Option<RoundSchedule> {
        Some(self.pull.schedule())
    }

    fn on_round(&self, _: &mut (), cx: &mut Context<'_, Message>) {
        self.pull.sync(cx);
    }

    fn on_message(&self, _: &mut (), cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        match msg {
            Message::Gossip { .. } => self.push.receive(cx, from, msg),
            _ => self.pull.receive(cx, from, msg),
        }
    }

    fn on_inject(&self, _: &mut (), cx: &mut Context<'_, Message>, injected: Injected) {
        self.push.inject(cx, injected);
    }
}
