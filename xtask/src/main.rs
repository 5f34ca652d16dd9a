//! `cargo xtask`: the project's automation, as a plain Rust binary.
//!
//! - `cargo xtask experiment`: run the built-in default experiment and write its results.
//! - `cargo xtask sweep FILE.ron [--jobs N] [--out DIR] [--slurm]`: a resumable parameter sweep,
//!   here or on a Slurm cluster.
//! - `cargo xtask bench [--quick] [--skip-criterion]`: criterion benches, then the scale table.
//! - `cargo xtask tidy`: repository rules (the crate layering), also run as a test.

#![allow(clippy::print_stdout, clippy::print_stderr, reason = "xtask talks to its user on the terminal")]

mod bench;
mod experiment;
mod slurm;
mod sweep;
mod tidy;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "p2psim's automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment (today: the built-in network flood) and write its results.
    Experiment(experiment::Args),
    /// Run a sweep: parameters over values, seeds per point, in parallel; resumable.
    Sweep(sweep::Args),
    /// Run the criterion benches and the scale runs, and print the table for BENCHMARKS.md.
    Bench(bench::Args),
    /// Check repository rules: crates depend only on the layers below them.
    Tidy,
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

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Experiment(args) => experiment::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Tidy => tidy::check(&project_root()).map(|()| println!("tidy: ok")),
        Command::SlurmTask { out, submission, task } => slurm::task(&out, submission, task),
        Command::SlurmMerge { out, submission } => slurm::merge(&out, submission),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(e.downcast_ref::<experiment::InputError>().map_or(1, |_| 2));
    }
}

/// The workspace root, derived from this crate's manifest directory.
pub(crate) fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace root").to_path_buf()
}

/// The cargo that runs us, as the cargo-xtask convention asks.
pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}
