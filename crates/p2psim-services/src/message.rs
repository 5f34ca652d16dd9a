//! The wire vocabulary: message ids, message kinds, messages, and their sizes.
//!
//! Sizes follow P2PSimpy's rule (../shared/P2PSIMPY.md §6): a base of 20 bytes plus the length of the
//! Python `repr` of each element of the data. Ids are structured `(producer, seq)`; P2PSimpy writes
//! them `"producer_seq"`, so an id in a set costs `digits(producer) + 1 + digits(seq) + 2` (the
//! quotes), and in a ranged index a `producer: last` pair costs `digits(producer) + digits(last)`.

use std::fmt;
use std::sync::Arc;

use p2psim_net::{Payload, PeerId};

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
    /// Rumor mongering: "I already knew it".
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

/// One stored copy handed out in a response: which data version, and its size on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredCopy {
    /// The copy's data was altered by a malicious peer.
    pub tampered: bool,
    /// Size of the whole gossip message carrying it.
    pub size: u32,
    /// Index of the validation the producer attached (0 = none).
    pub validation: u8,
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
    /// Rumor mongering: the rumor `idx`.
    Rumor(MsgIdx),
    /// Rumor mongering feedback on rumor `idx`: the receiver already knew it.
    Feedback(MsgIdx),
}

/// Base size of every message.
pub const BASE_SIZE: u32 = 20;
/// Size of a message whose data is `None` (`Hello`, `Ping`, `Pong`, `RequestPeers`).
pub const EMPTY_SIZE: u32 = BASE_SIZE + 4;
/// Base size of a gossip message.
pub const GOSSIP_BASE_SIZE: u32 = 250;
/// The data a malicious peer substitutes (the course's `TEMPERED`).
pub const TAMPERED_DATA: &str = "ChangedData";

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

    /// The kind.
    pub fn kind(&self) -> Kind {
        match self {
            Message::Hello => Kind::Hello,
            Message::Ping => Kind::Ping,
            Message::Pong => Kind::Pong,
            Message::RequestPeers => Kind::RequestPeers,
            Message::Gossip { .. } => Kind::Gossip,
            Message::With { kind, .. } => *kind,
            Message::Rumor(_) => Kind::Rumor,
            Message::Feedback(_) => Kind::Feedback,
        }
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
            Message::Rumor(_) => GOSSIP_BASE_SIZE,
            Message::Feedback(_) => EMPTY_SIZE,
        }
    }
}

/// Size of a gossip message carrying the altered data.
pub const TAMPERED_SIZE: u16 = (GOSSIP_BASE_SIZE + 3 * TAMPERED_DATA.len() as u32) as u16;

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
        // ../shared/P2PSIMPY.md §6, "Sizes we measured (course)".
        assert_eq!(Message::Ping.size(), 24);
        assert_eq!(gossip_size(20), 310);
        assert_eq!(Message::with(Kind::SyncPing, Body::Index(vec![(PeerId(26), 20)])).size(), 24);
        let three = Body::Ids(vec![id(26, 1), id(26, 2), id(26, 3)]);
        assert_eq!(Message::with(Kind::SyncPing, three).size(), 38);
        assert_eq!(Message::with(Kind::MsgRequest, Body::Ids(vec![id(26, 5), id(26, 6)])).size(), 32);
        let copy = StoredCopy { tampered: false, size: 310, validation: 0 };
        assert_eq!(Message::with(Kind::MsgResponse, Body::Response(vec![(id(26, 5), Some(copy))])).size(), 336);
        assert_eq!(Message::with(Kind::MsgResponse, Body::Response(vec![(id(26, 5), None)])).size(), 30);
        let peers = Body::Peers(vec![(PeerId(1), 8), (PeerId(2), 8)]);
        assert_eq!(Message::with(Kind::PeerList, peers).size(), 36);
        assert_eq!(id(26, 5).to_string(), "26_5");
        assert_eq!(std::mem::size_of::<Message>(), 16);
    }
}
