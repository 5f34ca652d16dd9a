//! The path of one message: sent as a plan (counted, possibly lost, its arrival drawn), then
//! scheduled as an arrival event or accounted as delivered at once; on arrival, the receiver's
//! FIFO download queue, the admission step, and delivery to the layer above. Also what the path
//! reports: drop reasons and the network's counters.
//!
//! What it is not: the peers, links and partitions the path reads (the parent module).

use p2psim_kernel::{EventQueue, Kernel, SimDuration, SimTime, StreamKey};
use rand::RngExt;

use super::{NIL, Network, Payload, PeerState, flag};
use crate::PeerId;
use crate::bandwidth::UploadModel;
use crate::location::LatencyMode;

/// Events of the network model; the model above wraps them in its own event type.
///
/// A message in flight travels inside its `Arrive` event, so the common path (an idle receiver with
/// no download delay) never touches a side table: keep `M` small (an id, or a handle into the
/// layer above's own storage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetEvent<M> {
    /// The message reaches its receiver's download queue.
    Arrive {
        /// The sender.
        from: PeerId,
        /// The receiver.
        to: PeerId,
        /// Sent without a link (no link check on arrival).
        connectionless: bool,
        /// The message.
        msg: M,
    },
    /// The head of the peer's download queue finished downloading.
    Downloaded(PeerId),
    /// The head of the peer's download queue finished its admission delay.
    Admitted(PeerId),
}

impl<M> NetEvent<M> {
    /// The peer whose state the event changes (the receiver of an arrival, the peer of a download
    /// or an admission): the event's actor, for [`p2psim_kernel::Model::actor`]. A model over the
    /// network names it as the actor, so that what the peer sends is ordered, and drawn, as the
    /// peer's own.
    #[inline]
    pub fn peer(&self) -> PeerId {
        match self {
            NetEvent::Arrive { to, .. } => *to,
            NetEvent::Downloaded(p) | NetEvent::Admitted(p) => *p,
        }
    }
}

/// Why a message did not reach its receiver's services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DropReason {
    /// The sender was not online.
    SenderOffline,
    /// The sender was not connected to the receiver.
    NotConnected,
    /// Lost in transit (the loss probability).
    Lost,
    /// Sender and receiver are in different partitions.
    Partitioned,
    /// The receiver had dropped the link by the time the message arrived.
    LinkGoneOnArrival,
    /// The receiver is not in the network.
    ReceiverAbsent,
    /// The receiver was offline when the message was processed.
    ReceiverOffline,
    /// The admission step rejected it.
    Rejected,
}

impl DropReason {
    /// Every reason, in a fixed order (for reports).
    pub const ALL: [DropReason; 8] = [
        DropReason::SenderOffline,
        DropReason::NotConnected,
        DropReason::Lost,
        DropReason::Partitioned,
        DropReason::LinkGoneOnArrival,
        DropReason::ReceiverAbsent,
        DropReason::ReceiverOffline,
        DropReason::Rejected,
    ];

    /// A short snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::SenderOffline => "sender_offline",
            DropReason::NotConnected => "not_connected",
            DropReason::Lost => "lost",
            DropReason::Partitioned => "partitioned",
            DropReason::LinkGoneOnArrival => "link_gone_on_arrival",
            DropReason::ReceiverAbsent => "receiver_absent",
            DropReason::ReceiverOffline => "receiver_offline",
            DropReason::Rejected => "rejected",
        }
    }
}

/// Message counts of the whole network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetCounters {
    /// Messages that left their sender (lost ones included; per peer and kind:
    /// [`Monitors::sent_by_kind`]).
    pub sent: u64,
    /// Messages handed to the receiver's services.
    pub delivered: u64,
    /// Of the delivered, those whose arrival was accounted when they were sent, without an event
    /// (see [`Network::account`]).
    pub accounted: u64,
    dropped: [u64; 8],
}

impl NetCounters {
    /// Messages dropped for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason as usize]
    }
    /// Messages dropped for any reason.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
}

/// A message that has left its sender, before it is either scheduled as an arrival event
/// ([`Network::schedule`]) or accounted as delivered at once ([`Network::account`]).
///
/// Making the plan counts the sent traffic and draws the loss and the latency, so both ways of
/// finishing it see the same draws: a run that accounts some arrivals at send makes exactly the
/// draws of one that schedules them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a plan is finished by Network::schedule or Network::account"]
pub struct SendPlan {
    from: PeerId,
    to: PeerId,
    arrival: SimTime,
    size: u32,
    connectionless: bool,
    plain: bool,
}

impl SendPlan {
    /// When the message will reach the receiver.
    pub fn arrival(&self) -> SimTime {
        self.arrival
    }

    /// True if the receiver's handling of this arrival depends on nothing but the layer above,
    /// as things stand when the message is sent: the receiver is online, idle, downloads without
    /// delay, no partition is in force and no link times are kept. Only such a plan may be
    /// accounted.
    pub fn receiver_is_plain(&self) -> bool {
        self.plain
    }
}

/// What happens to a downloaded message before it is accepted (P2PSimpy's `pre_task`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Accept at once.
    Now,
    /// Keep the download queue busy for `delay`, then accept or reject.
    After {
        /// The validation time.
        delay: SimDuration,
        /// The verdict.
        accept: bool,
    },
}

/// The admission policy, supplied by the layer above at each [`Network::handle`] call.
pub trait Admission<M> {
    /// Decides for a message that `to` finished downloading from `from`.
    fn admit(&mut self, now: SimTime, to: PeerId, from: PeerId, msg: &M) -> Admit;
}

/// Accepts everything at once.
impl<M> Admission<M> for () {
    fn admit(&mut self, _: SimTime, _: PeerId, _: PeerId, _: &M) -> Admit {
        Admit::Now
    }
}

/// A message handed to the receiver.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery<M> {
    /// The receiver.
    pub to: PeerId,
    /// The sender.
    pub from: PeerId,
    /// The message.
    pub msg: M,
}

/// A message waiting in, or at the head of, a download queue.
#[derive(Debug)]
pub(super) struct Queued<M> {
    from: PeerId,
    size: u32,
    /// Next in the receiver's download queue.
    next: u32,
    accept: bool,
    msg: Option<M>,
}

/// The key of `peer`'s stream of loss and latency draws.
#[inline]
fn send_key(peer: PeerId) -> StreamKey {
    const SEND: StreamKey = StreamKey::new("send");
    SEND.with(peer.0.into())
}

impl<M: Payload> Network<M> {
    #[inline]
    fn drop_msg(&mut self, reason: DropReason) {
        self.counters.dropped[reason as usize] += 1;
    }

    /// Sends `msg` from `from` to its neighbour `to`. Returns the arrival time, or why it was dropped.
    #[inline]
    pub fn send<E: From<NetEvent<M>>, Q: EventQueue<E>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        from: PeerId,
        to: PeerId,
        msg: M,
    ) -> Result<SimTime, DropReason> {
        let plan = self.plan(k.now(), from, to, &msg, false)?;
        Ok(self.schedule(k, plan, msg))
    }

    /// Sends `msg` to any peer, linked or not, like P2PSimpy's `Hello` ("like UDP"); also how
    /// protocols that pick partners uniformly among all peers reach them.
    pub fn send_connectionless<E: From<NetEvent<M>>, Q: EventQueue<E>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        from: PeerId,
        to: PeerId,
        msg: M,
    ) -> Result<SimTime, DropReason> {
        let plan = self.plan(k.now(), from, to, &msg, true)?;
        Ok(self.schedule(k, plan, msg))
    }

    /// The first half of a send: drops and counts `msg` if its sender is not online or (unless
    /// `connectionless`) not linked to `to`; otherwise counts it as sent, draws whether it is lost
    /// and when it arrives, and returns the plan (or [`DropReason::Lost`]). Finish the plan with
    /// [`Network::schedule`] or [`Network::account`].
    #[inline]
    pub fn plan(
        &mut self,
        now: SimTime,
        from: PeerId,
        to: PeerId,
        msg: &M,
        connectionless: bool,
    ) -> Result<SendPlan, DropReason> {
        if !self.is_online(from) {
            self.drop_msg(DropReason::SenderOffline);
            return Err(DropReason::SenderOffline);
        }
        let link = self.links.find(from, to);
        if link.is_none() && !connectionless {
            self.drop_msg(DropReason::NotConnected);
            return Err(DropReason::NotConnected);
        }
        let size = msg.size();
        self.monitors.sent(from, now, size, msg.kind(), msg.updates());
        self.counters.sent += 1;
        let loss = match self.pair_loss {
            None => self.config.loss,
            Some(_) => self.loss_between(self.location(from), self.location(to)),
        };
        if loss > 0.0 && self.send_rngs.get(from.index(), from.0, send_key(from)).random_bool(loss) {
            self.drop_msg(DropReason::Lost);
            return Err(DropReason::Lost);
        }
        let tx = if self.headers[from.index()].finite_up {
            self.config.transmission.transmission_delay(size, self.details[from.index()].up)
        } else {
            SimDuration::ZERO
        };
        let departure = match self.config.transmission.uploads {
            UploadModel::Parallel => now + tx,
            UploadModel::Serialised => {
                let free = &mut self.upload_free_at[from.index()];
                *free = (*free).max(now) + tx;
                *free
            }
        };
        let latency = match self.config.latency.mode {
            LatencyMode::PerMessage => {
                let (a, b) = (self.location(from), self.location(to));
                self.latency.per_message(a, b, self.send_rngs.get(from.index(), from.0, send_key(from)))
            }
            LatencyMode::FixedPerLink => match link.and_then(|i| self.links.fixed_latency(i)) {
                Some(l) => l,
                None => self.latency.per_link(from.0, to.0, self.location(from), self.location(to)),
            },
        };
        let plain = self.headers[to.index()].flags == 0 && self.partitions.is_empty() && !self.config.link_times;
        Ok(SendPlan { from, to, arrival: departure + latency, size, connectionless, plain })
    }

    /// The second half of a send: the message travels, and arrives as an event at the planned time.
    #[inline]
    pub fn schedule<E: From<NetEvent<M>>, Q: EventQueue<E>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        plan: SendPlan,
        msg: M,
    ) -> SimTime {
        self.in_flight += 1;
        let SendPlan { from, to, connectionless, arrival, .. } = plan;
        // The one event of the network for another peer: in a partitioned run it may leave for
        // another process, and the latency it is due after is at least the lookahead.
        k.schedule_to(to.0, arrival - k.now(), NetEvent::Arrive { from, to, connectionless, msg }.into());
        arrival
    }

    /// The other second half of a send, for a caller that knows already what the arrival will do
    /// in the layer above: counts the message as delivered now (the receiver's monitor at the
    /// arrival time), with no event. What `arrive` and `accept` would do at the arrival for a
    /// plain receiver.
    ///
    /// The plan must be [`SendPlan::receiver_is_plain`], and the caller vouches that nothing will
    /// change the receiver, its links or the partitions before the arrival.
    #[inline]
    pub fn account(&mut self, plan: SendPlan) {
        debug_assert!(plan.plain, "only an arrival at a plain receiver can be accounted at send");
        self.monitors.received(plan.to, plan.arrival, plan.size);
        self.counters.delivered += 1;
        self.counters.accounted += 1;
    }

    /// Advances the message path for one network event; returns the message if it reaches the
    /// receiver's services now.
    #[inline]
    pub fn handle<E: From<NetEvent<M>>, Q: EventQueue<E>, A: Admission<M>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        event: NetEvent<M>,
        admission: &mut A,
    ) -> Option<Delivery<M>> {
        match event {
            NetEvent::Arrive { from, to, connectionless, msg } => {
                self.arrive(k, from, to, connectionless, msg, admission)
            }
            NetEvent::Downloaded(p) => self.downloaded(k, p, admission),
            NetEvent::Admitted(p) => {
                let accept = self.queued[self.details[p.index()].fifo_head as usize].accept;
                self.complete(k, p, accept)
            }
        }
    }

    fn enqueue(&mut self, to: PeerId, item: Queued<M>) -> u32 {
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.queued[s as usize] = item;
                s
            }
            None => {
                self.queued.push(item);
                u32::try_from(self.queued.len() - 1).expect("more than 2^32 queued messages")
            }
        };
        self.headers[to.index()].flags |= flag::BUSY;
        let h = &mut self.details[to.index()];
        if h.fifo_head == NIL {
            h.fifo_head = slot;
        } else {
            let tail = h.fifo_tail;
            self.queued[tail as usize].next = slot;
        }
        self.details[to.index()].fifo_tail = slot;
        slot
    }

    #[inline]
    fn arrive<E: From<NetEvent<M>>, Q: EventQueue<E>, A: Admission<M>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        from: PeerId,
        to: PeerId,
        connectionless: bool,
        msg: M,
        admission: &mut A,
    ) -> Option<Delivery<M>> {
        let flags = self.headers[to.index()].flags;
        if flags != 0 || !self.partitions.is_empty() {
            let state = self.details[to.index()].state;
            let reason = if state == PeerState::Absent {
                Some(DropReason::ReceiverAbsent)
            } else if self.partitioned(from, to) {
                Some(DropReason::Partitioned)
            } else if !connectionless && flags & flag::LOST_LINK != 0 && self.links.find(to, from).is_none() {
                // The link existed when the message was sent; it can only be gone if the receiver lost one.
                Some(DropReason::LinkGoneOnArrival)
            } else {
                None
            };
            if let Some(reason) = reason {
                self.in_flight -= 1;
                self.drop_msg(reason);
                return None;
            }
            if flags & (flag::BUSY | flag::FINITE_DOWN) != 0 {
                let size = msg.size();
                let busy = flags & flag::BUSY != 0;
                self.enqueue(to, Queued { from, size, next: NIL, accept: true, msg: Some(msg) });
                if !busy {
                    let tx = self.config.transmission.transmission_delay(size, self.details[to.index()].down);
                    k.schedule_in(tx, NetEvent::Downloaded(to).into());
                }
                return None;
            }
        }
        let size = msg.size();
        // Idle receiver, nothing to download: admit at once, without queueing.
        match admission.admit(k.now(), to, from, &msg) {
            Admit::Now => {
                self.in_flight -= 1;
                self.accept(k.now(), to, from, size, msg)
            }
            Admit::After { delay, accept } => {
                self.enqueue(to, Queued { from, size, next: NIL, accept, msg: Some(msg) });
                k.schedule_in(delay, NetEvent::Admitted(to).into());
                None
            }
        }
    }

    fn downloaded<E: From<NetEvent<M>>, Q: EventQueue<E>, A: Admission<M>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        p: PeerId,
        admission: &mut A,
    ) -> Option<Delivery<M>> {
        let slot = self.details[p.index()].fifo_head;
        let q = &self.queued[slot as usize];
        let msg = q.msg.as_ref().expect("queued message is present");
        match admission.admit(k.now(), p, q.from, msg) {
            Admit::Now => self.complete(k, p, true),
            Admit::After { delay, accept } => {
                self.queued[slot as usize].accept = accept;
                k.schedule_in(delay, NetEvent::Admitted(p).into());
                None
            }
        }
    }

    /// Takes the head of `p`'s download queue, starts the next download, and delivers the head.
    fn complete<E: From<NetEvent<M>>, Q: EventQueue<E>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        p: PeerId,
        accept: bool,
    ) -> Option<Delivery<M>> {
        let pi = p.index();
        let slot = self.details[pi].fifo_head;
        let q = &mut self.queued[slot as usize];
        let (from, size, next) = (q.from, q.size, q.next);
        let msg = q.msg.take().expect("queued message is present");
        self.free_slots.push(slot);
        self.in_flight -= 1;
        self.details[pi].fifo_head = next;
        if next == NIL {
            self.details[pi].fifo_tail = NIL;
            self.headers[pi].flags &= !flag::BUSY;
        } else {
            // The next download starts now, at the bandwidth in effect now.
            let tx =
                self.config.transmission.transmission_delay(self.queued[next as usize].size, self.details[pi].down);
            k.schedule_in(tx, NetEvent::Downloaded(p).into());
        }
        if !accept {
            self.drop_msg(DropReason::Rejected);
            return None;
        }
        self.accept(k.now(), p, from, size, msg)
    }

    /// The last step: an online receiver counts the message and hands it up.
    #[inline]
    fn accept(&mut self, now: SimTime, p: PeerId, from: PeerId, size: u32, msg: M) -> Option<Delivery<M>> {
        if !self.is_online(p) {
            self.drop_msg(DropReason::ReceiverOffline);
            return None;
        }
        self.monitors.received(p, now, size);
        if self.config.link_times {
            self.set_last_seen(p, from, now);
        }
        self.counters.delivered += 1;
        Some(Delivery { to: p, from, msg })
    }
}
