//! Simulated time: an instant ([`SimTime`]) and a span ([`SimDuration`]), both integer nanoseconds.
//!
//! Integer time makes the event order exact: two events are at the same instant only if they really
//! are, and no rounding can reorder them. P2PSimpy's unit is the millisecond, so both types have
//! millisecond constructors and display in milliseconds.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

const NANOS_PER_MILLI: u64 = 1_000_000;

/// An instant of simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(u64);

/// Converts milliseconds given as a float to whole nanoseconds, rounding to nearest.
///
/// Negative and NaN inputs give 0, values past `u64::MAX` nanoseconds saturate: a duration is never
/// negative. Callers that want P2PSimpy's `abs()` apply it before (see [`SimDuration::from_millis_abs`]).
fn millis_f64_to_nanos(ms: f64) -> u64 {
    if ms.is_nan() || ms <= 0.0 {
        return 0;
    }
    let ns = (ms * NANOS_PER_MILLI as f64).round();
    if ns >= u64::MAX as f64 { u64::MAX } else { ns as u64 }
}

/// Writes `ns` as milliseconds with up to six decimals and no trailing zeros: `1500ms`, `0.047ms`.
fn fmt_millis(ns: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let whole = ns / NANOS_PER_MILLI;
    let frac = ns % NANOS_PER_MILLI;
    if frac == 0 {
        write!(f, "{whole}ms")
    } else {
        let digits = format!("{frac:06}");
        write!(f, "{whole}.{}ms", digits.trim_end_matches('0'))
    }
}

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The end of time: never reached by a run, used as "no deadline".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `ns` nanoseconds after the start.
    pub const fn from_nanos(ns: u64) -> SimTime {
        SimTime(ns)
    }
    /// The instant `ms` whole milliseconds after the start.
    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms.saturating_mul(NANOS_PER_MILLI))
    }
    /// The instant `ms` milliseconds after the start, rounded to the nearest nanosecond; negative gives 0.
    pub fn from_millis_f64(ms: f64) -> SimTime {
        SimTime(millis_f64_to_nanos(ms))
    }
    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Milliseconds since the start, as a float (exact below 2^53 ns, about 104 days).
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_MILLI as f64
    }
    /// The time elapsed since `earlier`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    /// The time elapsed since `earlier`, or `None` if `earlier` is later.
    pub const fn checked_since(self, earlier: SimTime) -> Option<SimDuration> {
        match self.0.checked_sub(earlier.0) {
            Some(ns) => Some(SimDuration(ns)),
            None => None,
        }
    }
    /// `self + d`, saturating at [`SimTime::MAX`].
    pub const fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    /// The index of the whole second this instant falls in: P2PSimpy's monitor bucket `int(now_ms/1000)`.
    pub const fn whole_seconds(self) -> u64 {
        self.0 / (1000 * NANOS_PER_MILLI)
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The longest representable span.
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// A span of `ns` nanoseconds.
    pub const fn from_nanos(ns: u64) -> SimDuration {
        SimDuration(ns)
    }
    /// A span of `us` whole microseconds.
    pub const fn from_micros(us: u64) -> SimDuration {
        SimDuration(us.saturating_mul(1000))
    }
    /// A span of `ms` whole milliseconds.
    pub const fn from_millis(ms: u64) -> SimDuration {
        SimDuration(ms.saturating_mul(NANOS_PER_MILLI))
    }
    /// A span of `s` whole seconds.
    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s.saturating_mul(1000 * NANOS_PER_MILLI))
    }
    /// A span of `ms` milliseconds rounded to the nearest nanosecond; negative or NaN clamps to zero.
    ///
    /// This is P2PSimpy's rule for latencies: `max(sample, 0)`.
    pub fn from_millis_f64(ms: f64) -> SimDuration {
        SimDuration(millis_f64_to_nanos(ms))
    }
    /// A span of `|ms|` milliseconds: P2PSimpy's rule for timer draws (`abs()` on every disruption and
    /// pull-gossip sample). NaN gives zero.
    pub fn from_millis_abs(ms: f64) -> SimDuration {
        SimDuration(millis_f64_to_nanos(ms.abs()))
    }
    /// Nanoseconds in this span.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Milliseconds in this span, as a float.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_MILLI as f64
    }
    /// `self + other`, saturating.
    pub const fn saturating_add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
    /// `self * k`, saturating.
    pub const fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
    /// Half of this span, rounded down: P2PSimpy applies half of each latency draw.
    pub const fn half(self) -> SimDuration {
        SimDuration(self.0 / 2)
    }
    /// True for the empty span.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Saturates at [`SimTime::MAX`] rather than wrapping: an instant past the end of time is "never".
    fn add(self, d: SimDuration) -> SimTime {
        self.saturating_add(d)
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// Saturates at zero when `rhs` is later.
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.saturating_since(rhs)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, other: SimDuration) -> SimDuration {
        self.saturating_add(other)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_millis(self.0, f)
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SimTime(")?;
        fmt_millis(self.0, f)?;
        write!(f, ")")
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_millis(self.0, f)
    }
}

impl fmt::Debug for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SimDuration(")?;
        fmt_millis(self.0, f)?;
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millisecond_constructors_are_exact() {
        assert_eq!(SimTime::from_millis(1500).as_nanos(), 1_500_000_000);
        assert_eq!(SimDuration::from_millis_f64(0.5).as_nanos(), 500_000);
        assert_eq!(SimDuration::from_millis_f64(73.7).as_nanos(), 73_700_000);
        assert_eq!(SimDuration::from_millis_f64(1e-7).as_nanos(), 0, "rounds to nearest ns");
        assert_eq!(SimDuration::from_millis_f64(1.6e-6).as_nanos(), 2);
    }

    #[test]
    fn negative_durations_follow_p2psimpy() {
        assert_eq!(SimDuration::from_millis_f64(-3.0), SimDuration::ZERO, "latency: clamp at 0");
        assert_eq!(SimDuration::from_millis_abs(-3.0), SimDuration::from_millis(3), "timers: abs");
        assert_eq!(SimDuration::from_millis_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_millis_f64(f64::INFINITY), SimDuration::MAX);
    }

    #[test]
    fn display_in_milliseconds() {
        assert_eq!(SimTime::from_millis(1500).to_string(), "1500ms");
        assert_eq!(SimDuration::from_nanos(47_000).to_string(), "0.047ms");
        assert_eq!(SimDuration::from_nanos(1_000_001).to_string(), "1.000001ms");
        assert_eq!(format!("{:?}", SimTime::ZERO), "SimTime(0ms)");
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(SimTime::MAX + SimDuration::from_millis(1), SimTime::MAX);
        assert_eq!(SimTime::from_millis(1) - SimTime::from_millis(2), SimDuration::ZERO);
        assert_eq!(SimTime::from_millis(1).checked_since(SimTime::from_millis(2)), None);
        assert_eq!(SimTime::from_millis(5999).whole_seconds(), 5);
        assert_eq!(SimDuration::from_nanos(5).half().as_nanos(), 2);
    }
}
