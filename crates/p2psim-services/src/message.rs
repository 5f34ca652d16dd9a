//! The wire vocabulary: message ids, the built-in message kinds, messages, and their sizes.
//!
//! Sizes follow P2PSimpy's rule: a base of 20 bytes plus the length of the Python `repr` of each
//! element of the data. Ids are structured `(producer, seq)`; P2PSimpy writes them
//! `"producer_seq"`, so an id in a set costs `digits(producer) + 1 + digits(seq) + 2` (the quotes),
//! and in a ranged index a `producer: last` pair costs `digits(producer) + digits(last)`.
//!
//! Protocols written outside this crate bring their own message types ([`UserMessage`]); on the
//! wire they travel as [`Message::User`], counted by their own kind names.
//!
//! What it is not: the routing of messages to protocols (the world's) or their kinds' registry
//! ([`Kinds`](crate::Kinds)).

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use p2psim_net::{Payload, PeerId};

use crate::kinds::KindId;

/// A message's id: the peer that produced it and its sequence number there (from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsgId {
    /// The producer.
    pub producer: PeerId,
    /// The producer's counter, from 1.
    pub seq: u32,
}

impl fmt::Display for MsgId {
    /// P2PSimpy's `"<producer>_<seq>"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.producer.0, self.seq)
    }
}

/// Dense index of a produced message in the [`Messages`](crate::Messages) registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsgIdx(pub u32);

impl MsgIdx {
    /// As a vector index.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

pub(crate) const fn digits(mut x: u32) -> u32 {
    let mut d = 1;
    while x >= 10 {
        x /= 10;
        d += 1;
    }
    d
}

/// Bytes of an id inside a set or list: `'12_345'`.
pub(crate) const fn quoted_id_len(id: MsgId) -> u32 {
    digits(id.producer.0) + 1 + digits(id.seq) + 2
}

/// What a message is, for routing to services and for traffic by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// Connection request (P2PSimpy `Hello`).
    Hello,
    /// Liveness probe.
    Ping,
    /// Liveness answer.
    Pong,
    /// Ask for a list of known peers.
    RequestPeers,
    /// A list of known peers.
    PeerList,
    /// A gossiped message with a TTL.
    Gossip,
    /// Anti-entropy: my index.
    SyncPing,
    /// Anti-entropy: what you are missing.
    SyncPong,
    /// Anti-entropy: send me these.
    MsgRequest,
    /// Anti-entropy: here they are.
    MsgResponse,
    /// Rumor mongering: a hot rumor.
    Rumor,
    /// Rumor mongering: "I knew it already", or "I did not".
    Feedback,
}

impl Kind {
    /// Every kind, in a fixed order.
    pub const ALL: [Kind; 12] = [
        Kind::Hello,
        Kind::Ping,
        Kind::Pong,
        Kind::RequestPeers,
        Kind::PeerList,
        Kind::Gossip,
        Kind::SyncPing,
        Kind::SyncPong,
        Kind::MsgRequest,
        Kind::MsgResponse,
        Kind::Rumor,
        Kind::Feedback,
    ];
    /// Number of kinds.
    pub const COUNT: usize = Kind::ALL.len();

    /// Index in [`Kind::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// P2PSimpy's class name.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Hello => "Hello",
            Kind::Ping => "Ping",
            Kind::Pong => "Pong",
            Kind::RequestPeers => "RequestPeers",
            Kind::PeerList => "PeerList",
            Kind::Gossip => "GossipMessage",
            Kind::SyncPing => "SyncPing",
            Kind::SyncPong => "SyncPong",
            Kind::MsgRequest => "MsgRequest",
            Kind::MsgResponse => "MsgResponse",
            Kind::Rumor => "Rumor",
            Kind::Feedback => "Feedback",
        }
    }
}

impl Kind {
    /// The kind's number in every run's kind table (built-in kinds come first, in this order).
    pub const fn id(self) -> KindId {
        KindId(self as u16)
    }
}

/// One stored copy handed out in a response: which data version, its size on the wire, and how
/// many hops it had made when it was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredCopy {
    /// The copy's data was altered by a malicious peer.
    pub tampered: bool,
    /// Size of the whole gossip message carrying it.
    pub size: u32,
    /// Index of the validation the producer attached (0 = none).
    pub validation: u8,
    /// Hops from the producer to the responder (the copy makes one more).
    pub hops: u8,
}

/// The variable-size part of a message, shared by reference (a snapshot taken at send time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// A set of ids (pull gossip's index, requests, anti-entropy digests).
    Ids(Vec<MsgId>),
    /// A ranged index: per producer, the highest counter seen.
    Index(Vec<(PeerId, u32)>),
    /// A response: each requested id with the stored copy, or `None` where the responder had none.
    Response(Vec<(MsgId, Option<StoredCopy>)>),
    /// A list of peers, with the length of each one's P2PSimpy repr (`Peer_<id>:<type>`).
    Peers(Vec<(PeerId, u32)>),
}

impl Body {
    /// Asks the CPU to bring the start of the body's list into the cache (the list is a second
    /// allocation behind the body; see `World::prefetch`).
    #[inline]
    pub(crate) fn prefetch_items(&self) {
        match self {
            Body::Ids(v) => prefetch_index::prefetch_index(v, 0),
            Body::Index(v) | Body::Peers(v) => prefetch_index::prefetch_index(v, 0),
            Body::Response(v) => prefetch_index::prefetch_index(v, 0),
        }
    }
}

/// The value of a message of a protocol written outside this crate, behind an `Arc` (cloning
/// shares it), with the size and update count it had when sent.
#[derive(Clone)]
pub struct UserBody(Arc<UserInner>);

/// The header and the boxed value. Two allocations per message sent, where one (an `Arc` of an
/// unsized value) would make the `Arc` a fat pointer and every [`Message`], built-in ones
/// included, 8 bytes larger in the event queue.
struct UserInner {
    size: u32,
    updates: u32,
    value: Box<dyn Any + Send + Sync>,
}

impl UserBody {
    pub(crate) fn new<T: Any + Send + Sync>(size: u32, updates: u32, value: T) -> UserBody {
        UserBody(Arc::new(UserInner { size, updates, value: Box::new(value) }))
    }

    /// The value, if it is a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.value.downcast_ref()
    }

    /// Size on the wire.
    pub fn size(&self) -> u32 {
        self.0.size
    }
}

impl fmt::Debug for UserBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserBody({} bytes)", self.0.size)
    }
}

/// Two user messages are equal when they are the same message (one sent value, cloned).
impl PartialEq for UserBody {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for UserBody {}

/// A message on the wire. Small and cheap to clone: variable parts are behind an `Arc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Connection request.
    Hello,
    /// Liveness probe.
    Ping,
    /// Liveness answer.
    Pong,
    /// Ask for peers.
    RequestPeers,
    /// A gossiped message.
    Gossip {
        /// The message.
        idx: MsgIdx,
        /// Hops left.
        ttl: u8,
        /// Altered data.
        tampered: bool,
        /// The validation attached by the producer (0 = none).
        validation: u8,
        /// Size on the wire.
        size: u16,
        /// Hops this copy has made from its producer, counting the one it is on.
        hops: u8,
    },
    /// A message with a body.
    With {
        /// Which kind.
        kind: Kind,
        /// The content.
        body: Arc<Body>,
        /// Size on the wire, computed once.
        size: u32,
    },
    /// Rumor mongering: a hot rumor.
    Rumor {
        /// The rumor.
        idx: MsgIdx,
        /// Hops this copy has made from its producer, counting the one it is on.
        hops: u8,
        /// The sender's round (synchronous rounds: the cycle), from 1; 0 outside rounds.
        round: u32,
    },
    /// Rumor mongering feedback on rumor `idx`: whether the push was necessary (the receiver did
    /// not know the rumor).
    Feedback {
        /// The rumor.
        idx: MsgIdx,
        /// The receiver did not know it.
        necessary: bool,
    },
    /// A message of a protocol written outside this crate.
    User {
        /// Its kind.
        kind: KindId,
        /// Its value.
        body: UserBody,
    },
}

/// Base size of every message.
pub(crate) const BASE_SIZE: u32 = 20;
/// Size of a message whose data is `None` (`Hello`, `Ping`, `Pong`, `RequestPeers`).
pub(crate) const EMPTY_SIZE: u32 = BASE_SIZE + 4;
/// Base size of a gossip message.
pub(crate) const GOSSIP_BASE_SIZE: u32 = 250;
/// The data a malicious peer substitutes (the course's `TEMPERED`).
pub(crate) const TAMPERED_DATA: &str = "ChangedData";

impl Message {
    /// A message with a body; the size follows P2PSimpy's repr rule.
    pub fn with(kind: Kind, body: Body) -> Message {
        let elems: u32 = match &body {
            Body::Ids(ids) => ids.iter().map(|&i| quoted_id_len(i)).sum(),
            Body::Index(ix) => ix.iter().map(|&(p, last)| digits(p.0) + digits(last)).sum(),
            Body::Response(r) => r.iter().map(|&(i, c)| quoted_id_len(i) + c.map_or(4, |c| c.size)).sum(),
            Body::Peers(p) => p.iter().map(|&(_, len)| len).sum(),
        };
        Message::With { kind, body: Arc::new(body), size: BASE_SIZE + elems }
    }

    /// The kind, in the run's kind table.
    #[inline]
    pub fn kind_id(&self) -> KindId {
        match self {
            Message::Hello => Kind::Hello.id(),
            Message::Ping => Kind::Ping.id(),
            Message::Pong => Kind::Pong.id(),
            Message::RequestPeers => Kind::RequestPeers.id(),
            Message::Gossip { .. } => Kind::Gossip.id(),
            Message::With { kind, .. } => kind.id(),
            Message::Rumor { .. } => Kind::Rumor.id(),
            Message::Feedback { .. } => Kind::Feedback.id(),
            Message::User { kind, .. } => *kind,
        }
    }

    /// The built-in kind, for a built-in message.
    pub fn kind(&self) -> Option<Kind> {
        Kind::ALL.get(usize::from(self.kind_id().0)).copied().filter(|_| !matches!(self, Message::User { .. }))
    }

    /// The body, if any.
    pub fn body(&self) -> Option<&Body> {
        match self {
            Message::With { body, .. } => Some(body),
            _ => None,
        }
    }
}

impl Payload for Message {
    #[inline]
    fn size(&self) -> u32 {
        match self {
            Message::Hello | Message::Ping | Message::Pong | Message::RequestPeers => EMPTY_SIZE,
            Message::Gossip { size, .. } => u32::from(*size),
            Message::With { size, .. } => *size,
            Message::Rumor { .. } => GOSSIP_BASE_SIZE,
            Message::Feedback { .. } => EMPTY_SIZE,
            Message::User { body, .. } => body.0.size,
        }
    }

    #[inline]
    fn kind(&self) -> usize {
        usize::from(self.kind_id().0)
    }

    /// Gossip messages and rumors carry one update; a response carries one per copy it holds.
    #[inline]
    fn updates(&self) -> u32 {
        match self {
            Message::Gossip { .. } | Message::Rumor { .. } => 1,
            Message::With { body, .. } => match &**body {
                Body::Response(items) => items.iter().filter(|i| i.1.is_some()).count() as u32,
                _ => 0,
            },
            Message::User { body, .. } => body.0.updates,
            _ => 0,
        }
    }
}

/// Size of a gossip message carrying the altered data.
pub(crate) const TAMPERED_SIZE: u16 = (GOSSIP_BASE_SIZE + 3 * TAMPERED_DATA.len() as u32) as u16;

/// Size of a gossip message whose data is a string of `letters` characters (each costs 3: `'X'`).
pub const fn gossip_size(letters: u32) -> u32 {
    GOSSIP_BASE_SIZE + 3 * letters
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(p: u32, s: u32) -> MsgId {
        MsgId { producer: PeerId(p), seq: s }
    }

    #[test]
    fn sizes_match_the_ones_measured_in_p2psimpy() {
        // P2PSimpy's course variant, measured (docs/p2psimpy.md, "Message sizes").
        assert_eq!(Message::Ping.size(), 24);
        assert_eq!(gossip_size(20), 310);
        assert_eq!(Message::with(Kind::SyncPing, Body::Index(vec![(PeerId(26), 20)])).size(), 24);
        let three = Body::Ids(vec![id(26, 1), id(26, 2), id(26, 3)]);
        assert_eq!(Message::with(Kind::SyncPing, three).size(), 38);
        assert_eq!(Message::with(Kind::MsgRequest, Body::Ids(vec![id(26, 5), id(26, 6)])).size(), 32);
        let copy = StoredCopy { tampered: false, size: 310, validation: 0, hops: 1 };
        assert_eq!(Message::with(Kind::MsgResponse, Body::Response(vec![(id(26, 5), Some(copy))])).size(), 336);
        assert_eq!(Message::with(Kind::MsgResponse, Body::Response(vec![(id(26, 5), None)])).size(), 30);
        let peers = Body::Peers(vec![(PeerId(1), 8), (PeerId(2), 8)]);
        assert_eq!(Message::with(Kind::PeerList, peers).size(), 36);
        assert_eq!(id(26, 5).to_string(), "26_5");
        assert_eq!(std::mem::size_of::<Message>(), 16);
    }
}
