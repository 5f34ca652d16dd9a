//! `ConnectionManager`: ping/pong liveness (P2PSimpy's `BaseConnectionManager`).

use p2psim_kernel::{ConfigError, Param, SimDuration};
use p2psim_net::PeerId;
use serde::{Deserialize, Serialize};

use super::liveness::{Liveness, TICK, check_liveness, handle_basic};
use super::param;
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, Role, ServiceConfig};
use crate::context::Context;
use crate::message::{Kind, Message};
use crate::protocol::{PeerInit, Protocol};

/// Ping/pong liveness (`BaseConnectionManager`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectionManagerConfig {
    /// Ping a neighbour not heard from for this long; also the period of the checks (500 ms).
    pub ping_interval: Param,
    /// Disconnect a neighbour not heard from for longer than this (3000 ms).
    pub max_silence: Param,
    /// Kept for P2PSimpy's configurations; unused, as in P2PSimpy's base class (3000 ms).
    pub min_keep_time: Param,
}

impl Default for ConnectionManagerConfig {
    fn default() -> Self {
        ConnectionManagerConfig {
            ping_interval: Param::Const(500.0),
            max_silence: Param::Const(3000.0),
            min_keep_time: Param::Const(3000.0),
        }
    }
}

impl ServiceConfig for ConnectionManagerConfig {
    type Protocol = ConnectionManager;

    const REFERENCE: &'static str = "### `ConnectionManager`

P2PSimpy's `BaseConnectionManager`: every `ping_interval` (from time 0) it pings the neighbours
not heard from for more than `ping_interval`, then drops those silent for more than
`max_silence`; it answers `Ping` with `Pong` and accepts a `Hello` from a new peer by linking and
saying `Hello` back. Its checks pause while its peer is offline, and silence is counted from the
peer's return at the earliest (docs/p2psimpy.md, D2).

| field | meaning | default |
|---|---|---|
| `ping_interval` | ms between checks (*Param*) | 500 |
| `max_silence` | ms of silence before a link is dropped (*Param*) | 3000 |
| `min_keep_time` | kept for P2PSimpy's configurations; unused, as in P2PSimpy's base class | 3000 |
";

    fn role(&self) -> Role {
        Role::Links
    }

    fn check(&self, _: &CheckCx<'_>) -> Result<(), ConfigError> {
        check_liveness(&self.ping_interval, &self.max_silence, &self.min_keep_time)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> ConnectionManager {
        ConnectionManager(Liveness {
            ping_interval: param(cx, "ping_interval", &self.ping_interval),
            max_silence: param(cx, "max_silence", &self.max_silence),
        })
    }

    fn estimate(&self, cx: &EstimateCx) -> Load {
        super::liveness::estimate(cx, &self.ping_interval)
    }
}

/// `BaseConnectionManager`: ping/pong liveness; accepts `Hello` from a new peer by linking
/// and saying `Hello` back; answers `Ping` with `Pong`.
#[derive(Debug)]
pub struct ConnectionManager(Liveness);

impl Protocol for ConnectionManager {
    type Message = Message;
    type State = ();

    fn init(&self, _: &mut PeerInit<'_>) {}

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Hello, Kind::Ping, Kind::Pong])
    }

    fn on_start(&self, _: &mut (), cx: &mut Context<'_, Message>) {
        cx.set_timer(SimDuration::ZERO, TICK);
    }

    fn on_timer(&self, _: &mut (), cx: &mut Context<'_, Message>, _: u32) {
        self.0.tick(cx, None);
    }

    fn on_message(&self, _: &mut (), cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        handle_basic(cx, from, msg);
    }
}
