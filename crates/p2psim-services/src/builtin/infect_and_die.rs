//! `InfectAndDie`: on its first copy of a message a peer forwards it once to `fanout` random
//! partners, then stays silent about it.

use p2psim_kernel::{ConfigError, Param};
use p2psim_net::PeerId;
use serde::{Deserialize, Serialize};

use super::{check_count, param, send_via};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, ServiceConfig, mean};
use crate::context::Context;
use crate::message::{Kind, Message, MsgIdx};
use crate::protocol::{Injected, PeerInit, PeerParam, Protocol};
use crate::select::{Exclusions, Selection};

/// Infect-and-die: on the first copy, forward once to `fanout` random peers, then stay silent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InfectAndDieConfig {
    /// Peers each new holder forwards to.
    pub fanout: Param,
    /// Whom to pick (default uniformly among all peers).
    pub selection: Selection,
}

impl Default for InfectAndDieConfig {
    fn default() -> Self {
        InfectAndDieConfig { fanout: Param::Const(3.0), selection: Selection::Uniform }
    }
}

impl ServiceConfig for InfectAndDieConfig {
    type Protocol = InfectAndDie;

    const REFERENCE: &'static str = "### `InfectAndDie`

A peer that receives a message for the first time forwards it once to `fanout` partners and
never again.

| field | meaning | default |
|---|---|---|
| `fanout` | partners (*Param*) | 3 |
| `selection` | whom it picks (`Selection`) | `Uniform` |
";

    fn estimate(&self, cx: &EstimateCx) -> Load {
        let f = mean(&self.fanout, 3.0).max(0.0);
        Load::events(cx.messages * cx.members * f * cx.per_arrival, "fanout", format!("{f} copies per peer"))
    }

    fn check(&self, _: &CheckCx<'_>) -> Result<(), ConfigError> {
        check_count("fanout", &self.fanout)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> InfectAndDie {
        InfectAndDie { fanout: param(cx, "fanout", &self.fanout), selection: self.selection }
    }
}

/// Infect-and-die.
#[derive(Debug)]
pub struct InfectAndDie {
    fanout: PeerParam,
    selection: Selection,
}

impl InfectAndDie {
    fn forward(&self, cx: &mut Context<'_, Message>, idx: MsgIdx, hops: u8) {
        let fanout = self.fanout.count(cx);
        let partners = match self.selection {
            Selection::Neighbours => cx.choose_neighbours(fanout, None, &Exclusions::none()),
            Selection::Uniform => cx.choose_members(fanout, None),
        };
        for q in partners {
            send_via(cx, self.selection, q, Message::Rumor { idx, hops: hops.saturating_add(1), round: 0 });
        }
    }
}

impl Protocol for InfectAndDie {
    type Message = Message;
    type State = ();

    fn init(&self, _: &mut PeerInit<'_>) {}

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Gossip, Kind::Rumor])
    }

    fn on_message(&self, _: &mut (), cx: &mut Context<'_, Message>, _: PeerId, msg: &Message) {
        let (Message::Rumor { idx, hops, .. } | Message::Gossip { idx, hops, .. }) = *msg else { return };
        if cx.store(idx, hops) {
            self.forward(cx, idx, hops);
        }
    }

    fn on_inject(&self, _: &mut (), cx: &mut Context<'_, Message>, injected: Injected) {
        if cx.store(injected.msg, 0) {
            self.forward(cx, injected.msg, 0);
        }
    }
}
