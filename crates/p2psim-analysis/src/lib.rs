//! The analysis of p2psim runs.
//!
//! What it is: the tutorial's tables and figures, computed from a finished (or paused) run — the
//! delay table (message × peer: first receipt minus production), convergence (time to reach a
//! fraction of the peers), redundancy (copies per peer and message), hops, the figures of each
//! message (reach, last receipt, farthest hop, relative message redundancy), traffic per second per peer
//! with silent seconds as zeros, and the run's [`Summary`] with stable key order and fixed float
//! formatting; CSV text of each table; and plots drawn in pure Rust with a shipped font.
//!
//! The cells are read in place from the storage ([`Cells`]), in one pass for every figure but the
//! delay quantiles, which take two or three more and stay exact: reporting on 10^8 cells needs no
//! memory beyond the run's.
//!
//! What it knows nothing about: how the run was set up (experiment files) or driven (faults); it
//! reads storages, the message registry and the traffic monitors.

mod cells;
mod csv_out;
mod figures;
mod per_message;
pub mod plot;
mod quantiles;
mod scan;
mod summary;
mod tables;
mod traffic;

pub use cells::{Cell, Cells};
pub use csv_out::{convergence_csv, copies_csv, delays_csv, messages_csv, traffic_csv, traffic_per_second_csv};
pub use figures::{FIGURES, Figure, Reading, reference as summary_reference};
pub use per_message::MessageStats;
pub use scan::{CONVERGENCE_FRACTIONS, Scan};
pub use summary::{Delays, Summary, Tables, fixed, numbers};
pub use tables::{Table, lerp, mean, median, quantile, quantile_ranks};
pub use traffic::{Series, TrafficTable};

/// A JSON value, as the summaries use.
pub type JsonValue = serde_json::Value;

/// Pretty JSON text of anything serialisable, with a final newline.
pub fn to_json_pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("plain data serialises") + "\n"
}
