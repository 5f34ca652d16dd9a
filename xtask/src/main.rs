//! `cargo xtask`: the project's automation, as a plain Rust binary.
//!
//! - `cargo xtask experiment [ARGS]`: builds the `p2psim` command at release speed (cargo shows
//!   the build) and runs its `experiment` command: the built-in default experiment with no file.
//! - `cargo xtask sweep FILE [ARGS]`: the same for `sweep`, here or on Slurm.
//! - `cargo xtask bench [--quick] [--skip-criterion] [--million] [--ten-million]`: criterion
//!   benches, then the scale table.
//! - `cargo xtask tidy`: repository rules, also run as a test.

#![allow(clippy::print_stdout, clippy::print_stderr, reason = "xtask talks to its user on the terminal")]

mod bench;
mod tidy;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command as Process;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "p2psim's automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment with the `p2psim` command built at release speed (see `p2psim experiment
    /// --help`); with no file, the built-in default.
    #[command(disable_help_flag = true)]
    Experiment {
        /// Passed to `p2psim experiment`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Run a sweep with the `p2psim` command built at release speed (see `p2psim sweep --help`).
    #[command(disable_help_flag = true)]
    Sweep {
        /// Passed to `p2psim sweep`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Run the criterion benches and the scale runs, and print the table for BENCHMARKS.md.
    Bench(bench::Args),
    /// Check repository rules: layering, module docs, manifests, no paths outside the repository.
    Tidy,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Experiment { args } => p2psim("experiment", args),
        Command::Sweep { args } => p2psim("sweep", args),
        Command::Bench(args) => bench::run(args),
        Command::Tidy => tidy::check(&project_root()).map(|()| println!("tidy: ok")),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

/// Builds the `p2psim` command in release mode (cargo prints the build as it goes) and runs
/// `command` with `args`, in the current folder; exits with its status.
fn p2psim(command: &str, args: Vec<OsString>) -> anyhow::Result<()> {
    let manifest = project_root().join("Cargo.toml");
    let status = Process::new(cargo())
        .args(["run", "--release", "--manifest-path"])
        .arg(&manifest)
        .args(["-p", "p2psim-cli", "--bin", "p2psim", "--"])
        .arg(command)
        .args(args)
        .status()?;
    std::process::exit(status.code().unwrap_or(1));
}

/// The workspace root, derived from this crate's manifest directory.
pub(crate) fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace root").to_path_buf()
}

/// The cargo that runs us, as the cargo-xtask convention asks.
pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}
