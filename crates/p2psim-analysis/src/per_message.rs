//! What each message did: how many analysed peers it reached, how fast (delays) and how far
//! (hops), and how many redundant copies it cost; the figures papers report per broadcast.
//!
//! Receipts are the cells of the tables, with one exception: a message's producer, when it is an
//! analysed peer, holds its own copy at delay 0 and hop 0 without having received it, so it is
//! left out of the hops and of the redundancy (and kept in the delays, where it counts as reached
//! at once, as in the delay table).

/// The figures of one message.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageStats {
    /// Analysed peers that have it, the producer included if it is one.
    pub reached: usize,
    /// Analysed peers that received it (`reached` without the producer).
    pub receivers: usize,
    /// Mean first-receipt delay over the peers that have it, ms.
    pub delay_mean: f64,
    /// The last first receipt, ms after production: the time to reach every peer it reached.
    pub delay_last: f64,
    /// Mean hops of the first copies received.
    pub hops_mean: f64,
    /// Hops of the farthest first copy: the dissemination latency in hops.
    pub hops_last: f64,
    /// Copies received by the analysed peers (the producer's own copy not counted).
    pub received: u64,
    /// Relative message redundancy (Leitão, Pereira, Rodrigues, "Epidemic Broadcast Trees",
    /// 2007): `received / receivers − 1`, that is `m / (n − 1) − 1` with `n` the peers reached
    /// counting the source. 0 when every receiver got exactly one copy; NaN when none received it.
    pub rmr: f64,
}
