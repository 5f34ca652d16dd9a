//! The command line, as a library: a program that registers its own protocols gets the whole
//! `experiment` and `sweep` commands (local and on Slurm) from one call.
//!
//! ```no_run
//! let mut protocols = p2psim::Protocols::new();
//! // protocols.register::<MyGossipConfig>("MyGossip");
//! p2psim::cli::main(&protocols);
//! ```
//!
//! The `p2psim` tool (`cargo install --path crates/p2psim-cli`) and `cargo xtask experiment` are
//! this entry with the built-in protocols. Bad input (a file, a field, a value, an output folder
//! p2psim did not write) exits with status 2 and writes nothing; a failure of the system (a full
//! disk) exits with 1.

mod experiment;
mod huge_pages;
mod log;
mod progress;
mod slurm;
mod sweep;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::error::Error;
pub use huge_pages::use_huge_pages;
use p2psim_services::Catalog;

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
pub fn run<I, T>(protocols: &Catalog, args: I) -> i32
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
    let result: Result<(), Error> = protocols.scope(|| match cli.command {
        Command::Experiment(args) => experiment::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::SlurmTask { out, submission, task } => slurm::task(&out, submission, task),
        Command::SlurmMerge { out, submission } => slurm::merge(&out, submission),
    });
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
pub fn main(protocols: &Catalog) -> ! {
    use_huge_pages();
    std::process::exit(run(protocols, std::env::args_os()))
}
