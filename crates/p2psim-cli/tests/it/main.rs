//! Integration tests of the command line and the sweep runner: the `p2psim` binary from the
//! outside (exit statuses, output folders, bad input, Slurm), and sweeps run into folders.

mod cli;
mod fuzz;
mod slurm;
mod sweep;
