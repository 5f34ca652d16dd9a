//! Bandwidth and transmission delay.
//!
//! Bandwidths are in bytes per second and a message of `size` bytes takes `size / bandwidth`
//! seconds to push through. P2PSimpy divides bytes by bytes-per-second and adds the result to
//! milliseconds (its oddity U1), making transmission about 1000 times too fast; the explicit switch
//! [`BandwidthUnit::P2psimpyCompat`] reproduces that for comparisons.

use p2psim_kernel::SimDuration;
use serde::{Deserialize, Serialize};

/// P2PSimpy's `KBit` constant: 1024 bits, i.e. 128 bytes (per second, as a bandwidth).
pub const KBIT: f64 = 128.0;
/// P2PSimpy's `MBit` constant: 2^20 bits, i.e. 131,072 bytes (per second, as a bandwidth).
pub const MBIT: f64 = 1024.0 * KBIT;

/// How bandwidth numbers are read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BandwidthUnit {
    /// Bytes per second (default): 310 bytes at 50 MBit take 47.3 µs.
    #[default]
    BytesPerSecond,
    /// P2PSimpy's arithmetic: `size / bandwidth` taken as milliseconds, i.e. bytes per millisecond.
    P2psimpyCompat,
}

/// How a peer's uploads share its upload bandwidth.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadModel {
    /// Every send gets the full upload bandwidth, in parallel (P2PSimpy).
    #[default]
    Parallel,
    /// Sends queue behind each other, first in first out.
    Serialised,
}

/// The transmission part of the network model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransmissionModel {
    /// Unit of bandwidth numbers.
    #[serde(default)]
    pub unit: BandwidthUnit,
    /// Sharing of the upload side. The download side is always one FIFO queue per peer.
    #[serde(default)]
    pub uploads: UploadModel,
}

impl TransmissionModel {
    /// Time to push `size` bytes through `bytes_per_unit` (already scaled by any slowdown).
    ///
    /// Infinite bandwidth takes no time; zero bandwidth (a slowdown factor of 0) never finishes and
    /// gives [`SimDuration::MAX`].
    #[inline]
    pub fn transmission_delay(&self, size: u32, bandwidth: f64) -> SimDuration {
        if size == 0 || bandwidth == f64::INFINITY {
            return SimDuration::ZERO;
        }
        if bandwidth <= 0.0 || bandwidth.is_nan() {
            return SimDuration::MAX;
        }
        let ns_per_unit = match self.unit {
            BandwidthUnit::BytesPerSecond => 1e9,
            BandwidthUnit::P2psimpyCompat => 1e6,
        };
        let ns = (f64::from(size) * ns_per_unit / bandwidth).round();
        if ns >= u64::MAX as f64 { SimDuration::MAX } else { SimDuration::from_nanos(ns as u64) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transmission_delay_is_size_over_bandwidth() {
        let m = TransmissionModel::default();
        // 310 bytes at 50 MBit/s = 310 / 6_553_600 s = 47.302246… µs.
        assert_eq!(m.transmission_delay(310, 50.0 * MBIT), SimDuration::from_nanos(47_302));
        assert_eq!(m.transmission_delay(1000, 1000.0), SimDuration::from_secs(1));
        assert_eq!(m.transmission_delay(0, 0.0), SimDuration::ZERO);
        assert_eq!(m.transmission_delay(10, f64::INFINITY), SimDuration::ZERO);
        assert_eq!(m.transmission_delay(10, 0.0), SimDuration::MAX);
        let compat = TransmissionModel { unit: BandwidthUnit::P2psimpyCompat, ..m };
        // P2PSimpy: 310 / 6_553_600 "ms" = 47.3 ns.
        assert_eq!(compat.transmission_delay(310, 50.0 * MBIT), SimDuration::from_nanos(47));
        assert_eq!(compat.transmission_delay(1000, 1000.0), SimDuration::from_millis(1));
    }
}
