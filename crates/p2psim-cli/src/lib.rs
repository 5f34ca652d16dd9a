//! The `p2psim` command, and the command line as a library: a program that registers its own
//! protocols gets the whole `experiment` and `sweep` commands (local and on Slurm) from one call.
//!
//! ```no_run
//! let mut protocols = p2psim::Protocols::new();
//! // protocols.register::<MyGossipConfig>("MyGossip");
//! p2psim_cli::main(&protocols);
//! ```
//!
//! The `p2psim` tool (`cargo install --path crates/p2psim-cli`) and `cargo xtask experiment` are
//! this entry with the built-in protocols. Bad input (a file, a field, a value, an output folder
//! p2psim did not write) exits with status 2 and writes nothing; a failure of the system (a full
//! disk) exits with 1.
//!
//! Beside the command: output folders written whole or not at all ([`write_folder_atomically`],
//! [`check_output`]), the sweep runner that fills a folder with a sweep's results, resumably
//! ([`run_sweep`]), and the Slurm submission.
//!
//! What it is not: the simulator (the `p2psim` crate, the facade, which this calls).

mod experiment;
mod huge_pages;
mod log;
mod outdir;
mod progress;
mod runner;
mod slurm;
mod sweep;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use huge_pages::use_huge_pages;
pub use outdir::{Lock, MARKER, check_output, remove_stale, write_file_atomically, write_folder_atomically};
use p2psim::{Error, Protocols};
pub use runner::{SweepOutcome, gather, missing_runs, prepare, run_one, run_runs, run_sweep};

#[derive(Parser, Debug)]
#[command(name = "p2psim", version, about = "p2psim: a fast, deterministic simulator of peer-to-peer networks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run an experiment file (or, with none, the built-in default) and write its results.
    Experiment(experiment::Args),
    /// Run a sweep: parameters over values, seeds per point, in parallel or on Slurm; resumable.
    Sweep(sweep::Args),
    /// A Slurm array task of a sweep submitted with `sweep --slurm` (run by Slurm, not by hand).
    #[command(hide = true)]
    SlurmTask {
        /// The sweep's output folder.
        out: PathBuf,
        /// The submission number.
        submission: u32,
        /// The array task id.
        task: usize,
    },
    /// The merge job of a sweep submitted with `sweep --slurm` (run by Slurm, not by hand).
    #[command(hide = true)]
    SlurmMerge {
        /// The sweep's output folder.
        out: PathBuf,
        /// The submission number.
        submission: u32,
    },
}

/// Runs the command line given in `args` (the program's name first) with `protocols` registered,
/// and returns the exit status: 0, 2 for bad input, 1 for a failure of the system.
#[allow(clippy::print_stderr, reason = "the command reports its errors to its user")]
pub fn run<I, T>(protocols: &Protocols, args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let result: Result<(), Error> = match cli.command {
        Command::Experiment(args) => experiment::run(args, protocols),
        Command::Sweep(args) => sweep::run(args, protocols),
        Command::SlurmTask { out, submission, task } => slurm::task(&out, submission, task, protocols),
        Command::SlurmMerge { out, submission } => slurm::merge(&out, submission, protocols),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            if e.is_input() { 2 } else { 1 }
        }
    }
}

/// Runs the command line of this process with `protocols` registered, and exits with its status.
/// On Linux with glibc the process first starts itself again with transparent huge pages asked
/// for (see [`use_huge_pages`]).
pub fn main(protocols: &Protocols) -> ! {
    use_huge_pages();
    std::process::exit(run(protocols, std::env::args_os()))
}
