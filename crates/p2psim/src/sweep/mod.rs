//! Sweeps: a base experiment, parameters varied over values (every combination is a point), each
//! point run over several seeds, in parallel across cores; results per run, per point with 95 %
//! confidence intervals, and a plot per chosen metric.
//!
//! A parameter names a field of the experiment (`peer.gossip.fanout`, `network.loss`; see
//! [`overrides`](crate::overrides) for names; a JSON pointer works too) and lists its values, of
//! any kind (`[1, 2, 3]`, `[FirstCopy, EveryCopy]`), or gives a range (`"1..=8"`,
//! `Range(from: 0, to: 0.5, step: 0.1)`, `LogRange(from: 0.001, to: 0.1, steps: 5)`).
//!
//! Each run's result is written whole (temporary name, then rename) to `runs/`, so a sweep killed
//! at any moment and started again recomputes nothing that had finished and duplicates nothing;
//! a result found empty or corrupt is computed again. `runs.csv` and `points.csv` are sorted by
//! point and seed: the same bytes whatever the number of threads.

mod gather;
mod run;
mod spec;

pub use gather::gather;
pub use run::{SweepOutcome, missing_runs, prepare, run_one, run_runs, run_sweep};
pub use spec::{Base, MAX_RUNS, RunKey, SWEEP_FILE, SweepParam, SweepSpec, Values};
