//! The sweep runner: a sweep's runs computed in parallel across cores into its output folder,
//! resumably, and gathered into `runs.csv`, `points.csv` and a plot per chosen metric.
//!
//! Each run's result is written whole (temporary name, then rename) to `runs/`, so a sweep killed
//! at any moment and started again recomputes nothing that had finished and duplicates nothing;
//! a result found empty or corrupt is computed again. `runs.csv` and `points.csv` are sorted by
//! point and seed: the same bytes whatever the number of threads.
//!
//! What it is not: what a sweep is (`p2psim::SweepSpec`, the file format), or Slurm's submission.

mod gather;
mod run;

pub use gather::gather;
pub use run::{SweepOutcome, missing_runs, prepare, run_one, run_runs, run_sweep};
