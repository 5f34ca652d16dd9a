//! Known copies: counting, when it is sent, a gossip copy whose arrival can only be counted.
//!
//! In a big push gossip most copies reach peers that have the message already; when such a
//! peer's only gossip service relays first copies only, the copy's whole effect on arrival is
//! "one more copy, and the receiver's traffic monitor". If that is certain when the copy is sent,
//! the world counts it then and schedules no event (the million-peer push makes a quarter of its
//! copies events this way). Results are identical to scheduling every copy (tested).
//!
//! **Invariant.** A copy is accounted at send only if its arrival's outcome is fixed by then:
//! 1. the receiver's only service for gossip counts copies of known messages and does nothing
//!    else ([`Protocol::counts_known_copies_only`](crate::Protocol::counts_known_copies_only));
//! 2. the receiver is plain when the copy leaves ([`SendPlan::receiver_is_plain`]: online, idle,
//!    unlimited download, no partition, no link times) and arrives before the horizon;
//! 3. the receiver stores the message already, or a copy arriving no later is on its way to it
//!    (its storage cell is *pending*: [`Storage::count_known_copy`](crate::Storage::count_known_copy));
//! 4. nothing can change the receiver, its links or the partitions before the copy arrives.
//!
//! Points 1 to 3 are checked here at each send. Point 4 is kept by whatever could break it
//! turning the mechanism off itself: services that manage links and validations when the world is
//! built, the fault layer when it is set up ([`World::forbid_known_copies`](crate::World)).

use p2psim_kernel::SimTime;
use p2psim_net::{PeerId, SendPlan};

use crate::message::{Kind, Message, MsgIdx};
use crate::peers::PeerTable;

/// The state of the mechanism in one world.
#[derive(Debug, Default)]
pub(crate) struct KnownCopies {
    /// Copies arriving before this are accounted at send (zero: the mechanism is off).
    horizon: SimTime,
    /// Per peer type: the service that counts its known gossip copies, if it alone handles them.
    counters: Vec<Option<u16>>,
    /// Why the mechanism may not be turned on, if something said so.
    forbidden: Option<String>,
}

impl KnownCopies {
    /// Forbids the mechanism for this run (point 4 of the invariant).
    pub(crate) fn forbid(&mut self, reason: &str) {
        self.horizon = SimTime::ZERO;
        self.forbidden.get_or_insert_with(|| reason.to_owned());
    }

    /// Turns the mechanism on for copies arriving before `until`, with the per-type counting
    /// services; false (and off) if it was forbidden.
    pub(crate) fn enable(&mut self, until: SimTime, counters: Vec<Option<u16>>) -> bool {
        if self.forbidden.is_some() {
            return false;
        }
        self.horizon = until;
        self.counters = counters;
        true
    }

    /// True if the mechanism is on.
    #[inline]
    pub(crate) fn on(&self) -> bool {
        self.horizon != SimTime::ZERO
    }

    /// Why it is off, if it was forbidden.
    pub(crate) fn forbidden(&self) -> Option<&str> {
        self.forbidden.as_deref()
    }

    /// If a copy of `msg` to `to` might be accounted (points 1 and 2, but for the plan): the
    /// service that would count it, and the message.
    #[inline]
    pub(crate) fn counter(&self, peers: &PeerTable, to: PeerId, msg: &Message) -> Option<(u16, MsgIdx)> {
        if !self.on() {
            return None;
        }
        let Message::Gossip { idx, validation: 0, .. } = *msg else { return None };
        let service = (*self.counters.get(peers.type_of(to) as usize)?)?;
        Some((service, idx))
    }

    /// Point 2 for a planned copy.
    #[inline]
    pub(crate) fn plan_allows(&self, plan: &SendPlan) -> bool {
        plan.receiver_is_plain() && plan.arrival() < self.horizon
    }
}

/// The kind known copies are of.
pub(crate) const COUNTED: Kind = Kind::Gossip;
