//! `cargo xtask sweep FILE.ron [--jobs N] [--out DIR]`: runs what is missing of a sweep, in
//! parallel, with a progress bar and an estimate of the time left; writes `runs.csv`, `points.csv`
//! and a plot per chosen metric. Start it again after a kill: finished runs are kept.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use p2psim::{Error, SweepSpec};

use crate::experiment::InputError;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The sweep file (RON).
    file: PathBuf,
    /// Threads (default: the number of cores). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Output folder (default `out/<sweep name>`); kept between runs, so a sweep resumes.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> Result<()> {
    let input = |e: Error| -> anyhow::Error {
        match e {
            Error::Io { .. } => anyhow::Error::new(e),
            other => InputError(other.to_string()).into(),
        }
    };
    let (spec, base) = SweepSpec::load(&args.file).map_err(input)?;
    let out = args.out.unwrap_or_else(|| PathBuf::from("out").join(&spec.name));
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let total = spec.runs().len();
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(total as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} runs, {elapsed} (eta {eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b.set_prefix(spec.name.clone());
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let wall = Instant::now();
    let outcome =
        p2psim::run_sweep(&spec, &base, &out, jobs, &|done, _| bar.set_position(done as u64)).map_err(input)?;
    bar.finish_and_clear();
    println!(
        "{}: {} points × {} seeds; {} runs computed, {} reused, in {:.1} s wall with {jobs} threads; results in {}",
        spec.name,
        spec.points().len(),
        spec.seeds,
        outcome.computed,
        outcome.reused,
        wall.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}
