//! The built-in protocols, each written against the public [`Protocol`](crate::Protocol) trait and
//! configured by a [`ServiceConfig`](crate::ServiceConfig), with the checks its numbers need.
//!
//! P2PSimpy's services (connection managers, producers, push, pull and ranged-pull gossip,
//! push-pull, the malicious relay) and the epidemic family of Demers et al. (anti-entropy, rumor
//! mongering, infect-and-die).

pub(crate) mod anti_entropy;
pub(crate) mod cm;
pub(crate) mod infect_and_die;
pub(crate) mod producer;
pub(crate) mod pull;
pub(crate) mod push;
pub(crate) mod push_pull;
pub(crate) mod rumor;

use p2psim_kernel::{ConfigError, Param};
use p2psim_net::PeerId;

use crate::catalog::BuildCx;
use crate::context::Context;
use crate::message::Message;
use crate::protocol::PeerParam;
use crate::rounds::Rounds;
use crate::select::Selection;

/// A count (a fanout, a number of peers): whole and at least 0 once rounded.
pub(crate) fn check_count(field: &'static str, p: &Param) -> Result<(), ConfigError> {
    p.check(field, "a whole number, at least 0", |x| x.round() >= 0.0 && x.is_finite())
}

/// A rate or a size: more than 0.
pub(crate) fn check_positive(field: &'static str, p: &Param) -> Result<(), ConfigError> {
    p.check(field, "more than 0", |x| x > 0.0 && x.is_finite())
}

/// A round-based protocol's period and timing.
pub(crate) fn check_rounds(round_time: &Param, rounds: &Rounds) -> Result<(), ConfigError> {
    round_time.check_period("round_time")?;
    if let Rounds::Synchronous { offset } = rounds {
        if !round_time.is_const() {
            return Err(ConfigError::field(
                "round_time",
                "synchronous rounds share one clock: the period must be a constant",
            ));
        }
        p2psim_kernel::check_duration_ms("offset", *offset).map_err(|e| e.at("rounds"))?;
    }
    Ok(())
}

/// A parameter for every peer of the service being built.
pub(crate) fn param(cx: &BuildCx<'_>, field: &str, p: &Param) -> PeerParam {
    cx.param(field, p)
}

/// Sends over the link, or without one when partners are picked uniformly.
#[inline]
pub(crate) fn send_via(cx: &mut Context<'_, Message>, selection: Selection, to: PeerId, msg: Message) {
    match selection {
        Selection::Neighbours => cx.send(to, msg),
        Selection::Uniform => cx.send_connectionless(to, msg),
    }
}
