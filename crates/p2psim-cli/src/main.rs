//! The `p2psim` command: the command line of `p2psim-cli` with the built-in protocols.
//!
//! `p2psim experiment [FILE]` runs an experiment (or the built-in default, the tutorial "Faults
//! and Disruptions") and writes its results; `p2psim sweep FILE` runs a sweep, here or on Slurm.
//! A program of your own that registers protocols gets the same commands from
//! `p2psim_cli::main` (see `docs/protocols.md`).

fn main() {
    p2psim_cli::main(&p2psim::Protocols::new());
}
