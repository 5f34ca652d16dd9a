//! `RumorMongering`: Demers et al.'s rumor mongering (push): a peer that learns a rumor becomes infective (hot) and,
//! each round, pushes it to `fanout` random partners until it loses interest.
//!
//! The variants of the paper (Demers et al., "Epidemic algorithms for replicated database
//! maintenance", 1987):
//! - with feedback, the sender learns from each partner whether the push was *necessary* (the
//!   partner did not know the rumor) and loses interest only on unnecessary pushes; blind, it
//!   loses interest whatever the outcome;
//! - by coin, it loses interest with probability 1/k at each such push; by counter, after k of
//!   them.
//!
//! Table 1 of the paper (feedback and counter) needs the paper's exact definitions: a push is
//! unnecessary if the partner knew the rumor *at the start of the cycle* (two pushes reaching the
//! same susceptible peer in one cycle are both necessary), and the counter counts *consecutive*
//! unnecessary pushes, reset by a necessary one. [`LossOfInterest::Counter`] with
//! [`Judge::CycleStart`] is that. [`LossOfInterest::CounterNoReset`] with [`Judge::Arrival`] is the
//! counter p2psim had before (its numbers are the feedback-and-coin ones).

use p2psim_kernel::{ConfigError, Param};
use p2psim_net::PeerId;
use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::{check_count, check_rounds, param, send_via};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, ServiceConfig, mean};
use crate::context::Context;
use crate::message::{Kind, Message, MsgIdx};
use crate::protocol::{Injected, PeerInit, PeerParam, Protocol};
use crate::rounds::{RoundSchedule, Rounds};
use crate::select::{Exclusions, Selection};

/// How a rumor monger loses interest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossOfInterest {
    /// With probability `1/k` after each unnecessary push (each push, blind).
    #[default]
    Coin,
    /// After `k` consecutive unnecessary pushes; a necessary push resets the count (blind: after
    /// `k` pushes). Demers' counter.
    Counter,
    /// After `k` unnecessary pushes in all, never reset (blind: after `k` pushes).
    CounterNoReset,
}

/// When a push is judged unnecessary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Judge {
    /// The partner knew the rumor when the sender's cycle started (synchronous rounds only):
    /// Demers' definition.
    CycleStart,
    /// The partner knew the rumor when the push arrived.
    Arrival,
}

/// Demers' rumor mongering (push): hot peers push each hot rumor to `fanout` random partners per
/// round until they lose interest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RumorMongeringConfig {
    /// The parameter k (at least 1).
    pub k: Param,
    /// With feedback, only unnecessary pushes count; blind, every push does.
    pub feedback: bool,
    /// Coin or counter.
    pub loss: LossOfInterest,
    /// When a push is unnecessary; default: at the start of the cycle with synchronous rounds, on
    /// arrival otherwise.
    pub judge: Option<Judge>,
    /// Partners each hot rumor is pushed to per round (1).
    pub fanout: Param,
    /// Period of the rounds, ms.
    pub round_time: Param,
    /// Timing of the rounds (default synchronous).
    pub rounds: Rounds,
    /// Whom to pick (default uniformly among all peers).
    pub selection: Selection,
}

impl Default for RumorMongeringConfig {
    fn default() -> Self {
        RumorMongeringConfig {
            k: Param::Const(2.0),
            feedback: true,
            loss: LossOfInterest::Coin,
            judge: None,
            fanout: Param::Const(1.0),
            round_time: Param::Const(1000.0),
            rounds: Rounds::Synchronous { offset: 0.0 },
            selection: Selection::Uniform,
        }
    }
}

impl ServiceConfig for RumorMongeringConfig {
    type Protocol = RumorMongering;

    const REFERENCE: &'static str = "### `RumorMongering`

Demers et al.'s rumor mongering (push): a peer with a hot rumor pushes it to `fanout` partners a
round until it loses interest.

| field | meaning | default |
|---|---|---|
| `k` | the loss-of-interest parameter, at least 1 (*Param*) | 2 |
| `feedback` | with feedback, only unnecessary pushes count toward losing interest; blind, every push does | `true` |
| `loss` | how interest is lost (`LossOfInterest`) | `Coin` |
| `judge` | when a push is unnecessary (`Judge`) | `CycleStart` with synchronous rounds, else `Arrival` |
| `fanout` | partners per round (*Param*) | 1 |
| `round_time` | ms between rounds (*Param*) | 1000 |
| `rounds` | when rounds happen (`Rounds`) | `Synchronous(offset: 0)` |
| `selection` | whom a round contacts (`Selection`) | `Uniform` |

### `LossOfInterest`

- `Coin`: with probability 1/k after each unnecessary push (each push, blind).
- `Counter`: after k consecutive unnecessary pushes; a necessary one resets the count (blind:
  after k pushes). Demers' counter, which reproduces his Table 1.
- `CounterNoReset`: after k unnecessary pushes in all.

### `Judge`

- `CycleStart`: the partner knew the rumor when the sender's cycle started (synchronous rounds
  only): Demers' definition.
- `Arrival`: the partner knew it when the push arrived.
";

    fn estimate(&self, cx: &EstimateCx) -> Load {
        let rounds = cx.rounds(&self.round_time, 1000.0);
        let f = mean(&self.fanout, 1.0).max(0.0);
        Load::events(rounds * (1.0 + f * 2.0 * cx.messages.min(1e6)), "round_time", format!("{rounds:.0} rounds"))
    }

    fn check(&self, _: &CheckCx<'_>) -> Result<(), ConfigError> {
        self.k.check("k", "at least 1", |k| k.round() >= 1.0)?;
        check_count("fanout", &self.fanout)?;
        check_rounds(&self.round_time, &self.rounds)?;
        if self.judge == Some(Judge::CycleStart) && !matches!(self.rounds, Rounds::Synchronous { .. }) {
            return Err(ConfigError::field(
                "judge",
                "CycleStart needs synchronous rounds (the cycles of the paper); use Arrival with other timings",
            ));
        }
        Ok(())
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> RumorMongering {
        let synchronous = match self.rounds {
            Rounds::Synchronous { offset } => Some((offset, self.round_time.mean().unwrap_or(0.0))),
            _ => None,
        };
        let judge = self.judge.unwrap_or(if synchronous.is_some() { Judge::CycleStart } else { Judge::Arrival });
        RumorMongering {
            k: param(cx, "k", &self.k),
            feedback: self.feedback,
            loss: self.loss,
            judge,
            cycles: synchronous,
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

/// Rumor mongering.
#[derive(Debug)]
pub struct RumorMongering {
    k: PeerParam,
    feedback: bool,
    loss: LossOfInterest,
    judge: Judge,
    /// With synchronous rounds: their offset and period, ms (cycle `r` starts at offset + r · period).
    cycles: Option<(f64, f64)>,
    fanout: PeerParam,
    rounds: RoundSchedule,
    selection: Selection,
}

/// A peer's rumor mongering: its hot rumors (with their counts) and its rounds so far.
#[derive(Debug, Default)]
pub struct Monger {
    hot: Vec<(MsgIdx, u32)>,
    round: u32,
}

impl RumorMongering {
    /// True if the counter or the coin says to lose interest now.
    fn lose_interest(&self, cx: &mut Context<'_, Message>, count: &mut u32) -> bool {
        let k = self.k.count(cx).max(1) as u32;
        match self.loss {
            LossOfInterest::Counter | LossOfInterest::CounterNoReset => {
                *count += 1;
                *count >= k
            }
            LossOfInterest::Coin => cx.rng().random_ratio(1, k),
        }
    }

    /// True if the peer knew `idx` before this push: at the start of the sender's cycle `round`,
    /// or at arrival.
    fn knew(&self, cx: &Context<'_, Message>, idx: MsgIdx, round: u32) -> bool {
        match (self.judge, self.cycles) {
            (Judge::CycleStart, Some((offset, period))) if round > 0 => {
                let start = p2psim_kernel::SimTime::from_millis_f64(offset + f64::from(round) * period);
                cx.record(idx).is_some_and(|r| r.first_seen < start)
            }
            _ => cx.has(idx),
        }
    }

    /// Peers still spreading some rumor.
    pub fn hot_peers(states: &[Monger]) -> usize {
        states.iter().filter(|m| !m.hot.is_empty()).count()
    }
}

impl Protocol for RumorMongering {
    type Message = Message;
    type State = Monger;

    fn init(&self, _: &mut PeerInit<'_>) -> Monger {
        Monger::default()
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Gossip, Kind::Rumor, Kind::Feedback])
    }

    fn may_change_links(&self) -> bool {
        false
    }

    fn rounds(&self) -> Option<RoundSchedule> {
        Some(self.rounds.clone())
    }

    fn on_round(&self, m: &mut Monger, cx: &mut Context<'_, Message>) {
        m.round += 1;
        if !cx.is_online() || m.hot.is_empty() {
            return;
        }
        let mut hot = std::mem::take(&mut m.hot);
        hot.retain_mut(|(idx, count)| {
            let fanout = self.fanout.count(cx);
            let partners = match self.selection {
                Selection::Neighbours => cx.choose_neighbours(fanout, None, &Exclusions::none()),
                Selection::Uniform => cx.choose_members(fanout, None),
            };
            if partners.is_empty() {
                return true;
            }
            let hops = cx.record(*idx).map_or(0, |r| r.hops).saturating_add(1);
            for &q in &partners {
                send_via(cx, self.selection, q, Message::Rumor { idx: *idx, hops, round: m.round });
            }
            if self.feedback {
                return true;
            }
            // Blind: every push counts.
            let mut lost = false;
            for _ in 0..partners.len() {
                lost |= self.lose_interest(cx, count);
            }
            !lost
        });
        m.hot = hot;
    }

    fn on_message(&self, m: &mut Monger, cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        match *msg {
            Message::Rumor { idx, hops, round } => {
                let knew = self.knew(cx, idx, round);
                if cx.store(idx, hops) {
                    m.hot.push((idx, 0));
                }
                if self.feedback {
                    send_via(cx, self.selection, from, Message::Feedback { idx, necessary: !knew });
                }
            }
            Message::Gossip { idx, hops, .. } if cx.store(idx, hops) => m.hot.push((idx, 0)),
            Message::Feedback { idx, necessary } => {
                let Some(i) = m.hot.iter().position(|e| e.0 == idx) else { return };
                if necessary {
                    if self.loss == LossOfInterest::Counter {
                        m.hot[i].1 = 0;
                    }
                } else {
                    let mut count = m.hot[i].1;
                    if self.lose_interest(cx, &mut count) {
                        m.hot.remove(i);
                    } else {
                        m.hot[i].1 = count;
                    }
                }
            }
            _ => {}
        }
    }

    fn on_inject(&self, m: &mut Monger, cx: &mut Context<'_, Message>, injected: Injected) {
        if cx.store(injected.msg, 0) {
            m.hot.push((injected.msg, 0));
        }
    }
}
