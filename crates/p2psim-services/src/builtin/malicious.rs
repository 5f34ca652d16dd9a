//! `MaliciousGossip`: notebook 04's malicious relay (P2PSimpy's `MaliciousGossipService`), push
//! gossip that sends the original to half its fanout and altered data to the other half.

use p2psim_kernel::ConfigError;
use p2psim_net::PeerId;
use serde::{Deserialize, Serialize};

use super::push::{PushGossip, PushGossipConfig};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, ServiceConfig};
use crate::context::Context;
use crate::message::{Kind, Message};
use crate::protocol::{Injected, PeerInit, Protocol};

/// The malicious relay: `PushGossip`'s fields, written the same way.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MaliciousGossipConfig(pub PushGossipConfig);

impl ServiceConfig for MaliciousGossipConfig {
    type Protocol = MaliciousGossip;

    const REFERENCE: &'static str = "### `MaliciousGossip`

Notebook 04's malicious relay (P2PSimpy's `MaliciousGossipService`): push gossip that relays the
original to half its targets and tampered data to the other half. Its fields are `PushGossip`'s.
";

    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        self.0.check_fields(cx)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> MaliciousGossip {
        MaliciousGossip(self.0.protocol(cx, true))
    }

    fn estimate(&self, cx: &EstimateCx) -> Load {
        self.0.load(cx)
    }
}

/// Push gossip whose relays alter half of what they send.
#[derive(Debug)]
pub struct MaliciousGossip(PushGossip);

impl Protocol for MaliciousGossip {
    type Message = Message;
    type State = ();

    fn init(&self, _: &mut PeerInit<'_>) {}

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Gossip])
    }

    fn may_change_links(&self) -> bool {
        false
    }

    #[inline]
    fn on_message(&self, _: &mut (), cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        self.0.receive(cx, from, msg);
    }

    fn on_inject(&self, _: &mut (), cx: &mut Context<'_, Message>, injected: Injected) {
        self.0.inject(cx, injected);
    }
}
