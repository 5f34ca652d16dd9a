//! `Producer`: P2PSimpy's `MessageProducer` (and `LimitedMessageProducer` with `times`): a message every
//! `1000 / msg_rate` ms from `init_timeout` on, sent to `init_fanout` neighbours.

use p2psim_kernel::{ConfigError, Dist, Param, SimDuration};
use p2psim_net::{PeerId, PeerState};
use serde::{Deserialize, Serialize};

use super::{check_count, check_positive, param};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, Role, ServiceConfig, mean};
use crate::context::Context;
use crate::message::{Kind, Message, gossip_size};
use crate::protocol::{PeerInit, PeerParam, Protocol, StorageNeeds};
use crate::select::Exclusions;

/// A validation step the producer attaches to its messages (P2PSimpy's `pre_task`): each receiver
/// spends a drawn time on it, then accepts or rejects the message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationConfig {
    /// Time spent validating, in ms, drawn at every message (the tutorials use N(1, 0.2)).
    pub delay: Dist,
    /// Reject messages whose data was altered (the Byzantine tutorial's check).
    #[serde(default = "yes")]
    pub reject_tampered: bool,
}

fn yes() -> bool {
    true
}

/// A message source (`MessageProducer`, and `LimitedMessageProducer` with `times`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProducerConfig {
    /// Wait before the first message, ms (1000).
    pub init_timeout: Param,
    /// Messages per second (5, so one every 200 ms).
    pub msg_rate: Param,
    /// Neighbours each message is first sent to, capped by the degree (5).
    pub init_fanout: Param,
    /// TTL of each message (4; at most 255).
    pub init_ttl: Param,
    /// Letters of random payload (20, so 310-byte messages).
    pub data_letters: Param,
    /// Stop after this many messages (P2PSimpy's `LimitedMessageProducer`, whose `times` is broken
    /// there, oddity M1). `None`: never stop.
    pub times: Option<Param>,
    /// Peer types never sent to.
    pub exclude_types: Vec<String>,
    /// Validation attached to every message.
    pub validation: Option<ValidationConfig>,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            init_timeout: Param::Const(1000.0),
            msg_rate: Param::Const(5.0),
            init_fanout: Param::Const(5.0),
            init_ttl: Param::Const(4.0),
            data_letters: Param::Const(20.0),
            times: None,
            exclude_types: Vec::new(),
            validation: None,
        }
    }
}

impl ServiceConfig for ProducerConfig {
    type Protocol = Producer;

    const REFERENCE: &'static str = "### `Producer`

P2PSimpy's `MessageProducer`: from `init_timeout`, `msg_rate` messages a second, each sent to
`init_fanout` random neighbours with TTL `init_ttl`.

| field | meaning | default |
|---|---|---|
| `init_timeout` | ms before the first message (*Param*) | 1000 |
| `msg_rate` | messages per second (*Param*) | 5 |
| `init_fanout` | neighbours each message is sent to (*Param*) | 5 |
| `init_ttl` | TTL each message starts with (*Param*) | 4 |
| `data_letters` | letters of the message's data, which sets its size by P2PSimpy's rule | 20 |
| `times` | stop after this many messages (P2PSimpy's `LimitedMessageProducer`) | never |
| `exclude_types` | peer types never sent to | none |
| `validation` | messages this producer sends are validated on arrival (`ValidationConfig`) | none |

### `ValidationConfig`

P2PSimpy's `pre_task`: the receiver's download queue stays busy for the validation, then the
message is accepted or rejected.

| field | meaning | default |
|---|---|---|
| `delay` | ms spent validating, drawn for every message (a distribution, `Dist` below) | required |
| `reject_tampered` | reject messages whose data was altered (notebook 04's check) | `true` |
";

    /// Every producer's messages over the run: one at `init_timeout`, then `msg_rate` a second,
    /// up to `times`. Its events are its messages' (counted where the messages are).
    fn estimate(&self, cx: &EstimateCx) -> Load {
        let rate = mean(&self.msg_rate, 0.0).max(0.0);
        let start = mean(&self.init_timeout, 0.0).abs() / 1000.0;
        let mut each = (rate * (cx.seconds - start).max(0.0)).floor() + 1.0;
        if let Some(times) = &self.times {
            each = each.min(mean(times, 0.0).max(0.0));
        }
        Load {
            produces: cx.members * each,
            ttl: Some(mean(&self.init_ttl, 4.0)),
            field: "msg_rate",
            what: format!("{} producers × {each:.0} messages", cx.members),
            ..Load::default()
        }
    }

    fn attaches_validation(&self) -> bool {
        self.validation.is_some()
    }

    fn role(&self) -> Role {
        Role::Source
    }

    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        self.init_timeout.check("init_timeout", "a finite number of ms", f64::is_finite)?;
        check_positive("msg_rate", &self.msg_rate)?;
        // A message every 1000 / rate ms: the interval must move the clock.
        let interval = |r: f64| 1000.0 / r;
        if let Param::Const(r) = self.msg_rate {
            p2psim_kernel::check_period_ms("msg_rate", interval(r))
                .map_err(|_| ConfigError::field("msg_rate", format!("{r} messages a second is more than one a ns")))?;
        }
        check_count("init_fanout", &self.init_fanout)?;
        self.init_ttl.check("init_ttl", "a whole number from 0 to 255", |t| (0.0..=255.0).contains(&t))?;
        self.data_letters
            .check("data_letters", "from 0 to 21,000 (sizes are kept in 16 bits)", |l| (0.0..=21_000.0).contains(&l))?;
        if let Some(t) = &self.times {
            check_count("times", t)?;
        }
        cx.check_type_names("exclude_types", &self.exclude_types)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> Producer {
        let validation = match &self.validation {
            None => 0,
            Some(v) => cx.add_validation(v.delay.clone(), v.reject_tampered),
        };
        Producer {
            init_timeout: param(cx, "init_timeout", &self.init_timeout),
            msg_rate: param(cx, "msg_rate", &self.msg_rate),
            fanout: param(cx, "init_fanout", &self.init_fanout),
            ttl: param(cx, "init_ttl", &self.init_ttl),
            letters: param(cx, "data_letters", &self.data_letters),
            times: self.times.as_ref().map(|t| param(cx, "times", t)),
            exclude: cx.exclusions(&[], &self.exclude_types),
            validation,
        }
    }
}

const PRODUCE: u32 = 0;

/// Produces a message every `1000 / msg_rate` ms from `init_timeout` on: registers it, stores it,
/// sends it to `init_fanout` neighbours (capped by the degree). An offline producer still counts
/// the message but sends nothing (P2PSimpy); one not in the network produces nothing.
#[derive(Debug)]
pub struct Producer {
    init_timeout: PeerParam,
    msg_rate: PeerParam,
    fanout: PeerParam,
    ttl: PeerParam,
    letters: PeerParam,
    times: Option<PeerParam>,
    exclude: Exclusions,
    validation: u8,
}

/// Messages produced so far by one peer.
#[derive(Debug, Default)]
pub struct Produced(u32);

impl Producer {
    fn interval(&self, cx: &mut Context<'_, Message>) -> SimDuration {
        SimDuration::from_millis_f64(1000.0 / self.msg_rate.get(cx))
    }
}

impl Protocol for Producer {
    type Message = Message;
    type State = Produced;

    fn init(&self, _: &mut PeerInit<'_>) -> Produced {
        Produced(0)
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[])
    }

    fn may_change_links(&self) -> bool {
        false
    }

    fn storage(&self) -> StorageNeeds {
        StorageNeeds { known: true, ranged: true }
    }

    fn on_start(&self, _: &mut Produced, cx: &mut Context<'_, Message>) {
        let ms = self.init_timeout.get(cx);
        cx.set_timer(SimDuration::from_millis_abs(ms), PRODUCE);
    }

    fn on_message(&self, _: &mut Produced, _: &mut Context<'_, Message>, _: PeerId, _: &Message) {}

    fn on_timer(&self, done: &mut Produced, cx: &mut Context<'_, Message>, _: u32) {
        if cx.state() == PeerState::Absent {
            // Not in the network (yet, or any more): nothing is produced.
            let interval = self.interval(cx);
            cx.set_timer(interval, PRODUCE);
            return;
        }
        let times = self.times.as_ref().map(|t| t.count(cx) as u32);
        if times.is_some_and(|t| done.0 >= t) {
            return;
        }
        done.0 += 1;
        let letters = self.letters.count(cx) as u32;
        let size = u16::try_from(gossip_size(letters)).unwrap_or(u16::MAX);
        let idx = cx.produce_with(u32::from(size), self.validation);
        cx.store(idx, 0);
        cx.note_stored(cx.messages().id(idx));
        let fanout = self.fanout.count(cx);
        let ttl = self.ttl.count(cx).min(255) as u8;
        for q in cx.choose_neighbours(fanout, None, &self.exclude) {
            let msg = Message::Gossip { idx, ttl, tampered: false, validation: self.validation, size, hops: 1 };
            cx.send(q, msg);
        }
        if times.is_none_or(|t| done.0 < t) {
            let interval = self.interval(cx);
            cx.set_timer(interval, PRODUCE);
        }
    }

    fn on_inject(&self, _: &mut Produced, cx: &mut Context<'_, Message>, injected: crate::Injected) {
        cx.store(injected.msg, 0);
        cx.note_stored(cx.messages().id(injected.msg));
    }
}
