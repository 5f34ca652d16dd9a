//! What both connection managers do: ping/pong liveness (P2PSimpy's `BaseConnectionManager`), the
//! `Hello` that makes a link, and the checks of their timing.

use std::collections::BTreeSet;

use p2psim_kernel::{ConfigError, Param, SimDuration, SimTime};
use p2psim_net::PeerId;

use crate::context::Context;
use crate::message::Message;
use crate::protocol::PeerParam;

/// The tag of a connection manager's periodic check.
pub(crate) const TICK: u32 = 0;

/// The checks of the liveness settings both managers share.
pub(crate) fn check_liveness(
    ping_interval: &Param,
    max_silence: &Param,
    min_keep_time: &Param,
) -> Result<(), ConfigError> {
    ping_interval.check_period("ping_interval")?;
    max_silence.check("max_silence", "a number of ms, at least 0", |x| x >= 0.0 && !x.is_nan())?;
    min_keep_time.check("min_keep_time", "a number of ms, at least 0", |x| x >= 0.0 && !x.is_nan())
}

/// Liveness as both managers run it: every `ping_interval` (from t = 0), ping neighbours not
/// heard from for more than `ping_interval`, then drop those silent for more than `max_silence`.
///
/// Unlike P2PSimpy (oddity D2), the checks pause while the peer is offline, and silence is counted
/// from its return at the earliest: an offline peer hears nothing, and would otherwise drop all
/// its links itself. Pings after a return go out as in P2PSimpy, to every neighbour not heard from
/// for more than `ping_interval`.
#[derive(Debug)]
pub(crate) struct Liveness {
    pub(crate) ping_interval: PeerParam,
    pub(crate) max_silence: PeerParam,
}

pub(crate) fn ms(p: &PeerParam, cx: &mut Context<'_, Message>) -> SimDuration {
    SimDuration::from_millis_f64(p.get(cx))
}

impl Liveness {
    /// One check: ping the quiet, drop the silent (`dropped` collects whom). Then the next check.
    pub(crate) fn tick(&self, cx: &mut Context<'_, Message>, dropped: Option<&mut BTreeSet<PeerId>>) {
        if cx.is_online() {
            let ping_interval = ms(&self.ping_interval, cx);
            let max_silence = ms(&self.max_silence, cx);
            check(cx, ping_interval, max_silence, dropped);
        }
        let next = ms(&self.ping_interval, cx);
        cx.set_timer(next, TICK);
    }
}

/// Hello, Ping, Pong; returns true if a Hello made a new link.
pub(crate) fn handle_basic(cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) -> bool {
    match msg {
        Message::Hello if !cx.is_neighbour(from) => {
            cx.connect(from);
            cx.mark_heard(from);
            cx.send(from, Message::Hello);
            true
        }
        Message::Ping => {
            cx.send(from, Message::Pong);
            false
        }
        _ => false,
    }
}

/// Ping the quiet, drop the silent. `dropped` collects who was dropped.
fn check(
    cx: &mut Context<'_, Message>,
    ping_interval: SimDuration,
    max_silence: SimDuration,
    mut dropped: Option<&mut BTreeSet<PeerId>>,
) {
    let now = cx.now();
    let neighbours = cx.neighbours().to_vec();
    for &q in &neighbours {
        // Never heard from counts as heard from at time 0 (P2PSimpy's default).
        let last = cx.last_heard(q).unwrap_or(SimTime::ZERO);
        if now - last > ping_interval {
            cx.send(q, Message::Ping);
        }
    }
    // Silence counts from the peer's own return at the earliest: an outage is not the
    // neighbours' fault (P2PSimpy's oddity D2 drops every link after a long outage).
    let back = cx.online_since();
    for &q in &neighbours {
        match cx.last_heard(q) {
            None => cx.mark_heard(q),
            Some(last) if now - last.max(back) > max_silence => {
                cx.disconnect(q);
                if let Some(d) = dropped.as_deref_mut() {
                    d.insert(q);
                }
            }
            Some(_) => {}
        }
    }
}

/// Liveness checks over a run, for the estimates: every peer checks every `ping_interval`, and
/// each check may ping every neighbour.
pub(crate) fn estimate(cx: &crate::config::EstimateCx, ping_interval: &Param) -> crate::config::Load {
    let checks = cx.rounds(ping_interval, 500.0);
    crate::config::Load {
        stores: false,
        ..crate::config::Load::events(
            checks * (1.0 + cx.degree),
            "ping_interval",
            format!("{checks:.0} liveness checks"),
        )
    }
}
