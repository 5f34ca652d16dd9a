//! `CounterBroadcast`: the counter-based scheme of Ni et al. ("The broadcast storm problem in a
//! mobile ad hoc network", MobiCom 1999). A peer that receives a message for the first time
//! waits a random assessment delay, counting the copies it hears meanwhile; when the delay ends
//! it rebroadcasts to its neighbours only if it heard fewer than `threshold` copies.

use p2psim_kernel::{ConfigError, Param, SimDuration};
use p2psim_net::PeerId;
use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::{check_count, param};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, ServiceConfig, count};
use crate::context::Context;
use crate::message::{Kind, Message, MsgIdx};
use crate::protocol::{Injected, PeerInit, PeerParam, Protocol};
use crate::select::Exclusions;

/// Counter-based broadcast: rebroadcast after a random delay unless `threshold` copies were heard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CounterBroadcastConfig {
    /// Copies (the first included) that suppress the rebroadcast.
    pub threshold: Param,
    /// The assessment delay is drawn uniformly from `[0, max_delay_ms)`.
    pub max_delay_ms: f64,
    /// Peer types never sent to.
    pub exclude_types: Vec<String>,
}

impl Default for CounterBroadcastConfig {
    fn default() -> Self {
        CounterBroadcastConfig { threshold: Param::Const(3.0), max_delay_ms: 10.0, exclude_types: Vec::new() }
    }
}

impl ServiceConfig for CounterBroadcastConfig {
    type Protocol = CounterBroadcast;

    const REFERENCE: &'static str = "### `CounterBroadcast`

The counter-based scheme of Ni et al. (the broadcast storm paper, MobiCom 1999): a peer that
receives a message for the first time draws an assessment delay uniformly in
`[0, max_delay_ms)` and counts the copies it receives meanwhile (the first included); when the
delay ends it sends the message to every neighbour but the first sender if it counted fewer
than `threshold`, and never otherwise. The TTL is lowered at each rebroadcast.

| field | meaning | default |
|---|---|---|
| `threshold` | copies that suppress the rebroadcast (*Param*; 1 never rebroadcasts, a number above every degree floods) | 3 |
| `max_delay_ms` | upper end of the assessment delay, ms | 10 |
| `exclude_types` | peer types never sent to | none |
";

    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        check_count("threshold", &self.threshold)?;
        p2psim_kernel::check_duration_ms("max_delay_ms", self.max_delay_ms)?;
        cx.check_type_names("exclude_types", &self.exclude_types)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> CounterBroadcast {
        CounterBroadcast {
            threshold: param(cx, "threshold", &self.threshold),
            max_delay_ms: self.max_delay_ms,
            exclude: cx.exclusions(&[], &self.exclude_types),
        }
    }

    /// At most one rebroadcast per peer and message, to every neighbour.
    fn estimate(&self, cx: &EstimateCx) -> Load {
        let copies = cx.members * cx.degree.max(1.0);
        Load::events(cx.messages * copies * cx.per_arrival, "threshold", format!("{} copies of each message", count(copies)))
    }
}

/// A message waiting for its assessment delay to end at one peer.
#[derive(Clone, Debug)]
pub struct Pending {
    msg: Message,
    /// Who sent the first copy (not sent back to).
    from: Option<PeerId>,
}

/// Counter-based broadcast.
#[derive(Debug)]
pub struct CounterBroadcast {
    threshold: PeerParam,
    max_delay_ms: f64,
    exclude: Exclusions,
}

impl CounterBroadcast {
    /// Holds `msg` for an assessment delay; the timer's tag is the message's index.
    fn assess(&self, pending: &mut Vec<Pending>, cx: &mut Context<'_, Message>, from: Option<PeerId>, msg: Message) {
        let Message::Gossip { idx, .. } = msg else { return };
        let delay = if self.max_delay_ms > 0.0 { cx.rng().random_range(0.0..self.max_delay_ms) } else { 0.0 };
        pending.push(Pending { msg, from });
        cx.set_timer(SimDuration::from_millis_f64(delay), idx.0);
    }
}

impl Protocol for CounterBroadcast {
    type Message = Message;
    /// The messages in their assessment delay.
    type State = Vec<Pending>;

    fn init(&self, _: &mut PeerInit<'_>) -> Vec<Pending> {
        Vec::new()
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Gossip])
    }

    fn may_change_links(&self) -> bool {
        false
    }

    fn on_message(&self, pending: &mut Vec<Pending>, cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        let Message::Gossip { idx, hops, tampered, .. } = *msg else { return };
        // Every copy is counted in the peer's storage; the first starts the assessment.
        if cx.store_version(idx, hops, tampered) {
            self.assess(pending, cx, Some(from), msg.clone());
        }
    }

    fn on_timer(&self, pending: &mut Vec<Pending>, cx: &mut Context<'_, Message>, tag: u32) {
        let Some(at) = pending.iter().position(|p| matches!(p.msg, Message::Gossip { idx, .. } if idx == MsgIdx(tag)))
        else {
            return;
        };
        let Pending { msg, from } = pending.swap_remove(at);
        let Message::Gossip { idx, ttl, tampered, validation, size, hops } = msg else { return };
        let heard = cx.record(idx).map_or(0, |r| r.copies as usize);
        if ttl == 0 || heard >= self.threshold.count(cx) {
            return;
        }
        let relayed = Message::Gossip { idx, ttl: ttl - 1, tampered, validation, size, hops: hops.saturating_add(1) };
        let degree = cx.degree();
        for q in cx.choose_neighbours(degree, from, &self.exclude) {
            cx.send(q, relayed.clone());
        }
    }

    /// The message appears at the peer, which broadcasts it to every neighbour at once.
    fn on_inject(&self, _: &mut Vec<Pending>, cx: &mut Context<'_, Message>, injected: Injected) {
        let idx = injected.msg;
        cx.store(idx, 0);
        let (size, validation) = (cx.messages().size(idx), cx.messages().validation(idx));
        let msg = Message::Gossip { idx, ttl: injected.ttl, tampered: false, validation, size, hops: 1 };
        let degree = cx.degree();
        for q in cx.choose_neighbours(degree, None, &self.exclude) {
            cx.send(q, msg.clone());
        }
    }
}
