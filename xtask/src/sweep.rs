//! `cargo xtask sweep FILE.ron [--jobs N] [--out DIR] [--slurm]`: runs what is missing of a sweep,
//! in parallel, with a progress bar and an estimate of the time left; writes `runs.csv`,
//! `points.csv` and a plot per chosen metric. Start it again after a kill: finished runs are kept.
//! With `--slurm`, the missing runs go to a Slurm cluster instead (see `slurm.rs`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use p2psim::SweepSpec;

use crate::experiment::input;

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
    /// Submit the missing runs to Slurm as an array job plus a merge job, instead of running here.
    #[arg(long)]
    slurm: bool,
    /// With --slurm: runs per array task (starting a task costs seconds; pack many runs in one).
    #[arg(long, default_value_t = 20, requires = "slurm")]
    runs_per_task: usize,
    /// With --slurm: CPUs per array task; a task runs that many runs at once.
    #[arg(long, default_value_t = 1, requires = "slurm")]
    cpus_per_task: usize,
    /// With --slurm: an extra sbatch argument for both jobs, e.g. `--sbatch-arg=--partition=short`
    /// (repeatable).
    #[arg(long, allow_hyphen_values = true, requires = "slurm")]
    sbatch_arg: Vec<String>,
    /// With --slurm: wait for the merge job and report the result.
    #[arg(long, requires = "slurm")]
    wait: bool,
}

pub(crate) fn run(args: Args) -> Result<()> {
    let (spec, base) = SweepSpec::load(&args.file).map_err(input)?;
    let out = args.out.unwrap_or_else(|| PathBuf::from("out").join(&spec.name));
    if args.slurm {
        let opts = crate::slurm::Options {
            runs_per_task: args.runs_per_task,
            cpus_per_task: args.cpus_per_task,
            sbatch_args: args.sbatch_arg,
            wait: args.wait,
        };
        return crate::slurm::submit(&spec, &base, &out, &opts);
    }
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let total = spec.runs().len();
    let bar = crate::experiment::progress_bar(
        total as u64,
        "{prefix} [{bar:40}] {pos}/{len} runs, {elapsed} (eta {eta})",
        &spec.name,
    );
    let wall = Instant::now();
    let outcome =
        p2psim::run_sweep(&spec, &base, &out, jobs, &|done, _| bar.set_position(done as u64)).map_err(input)?;
    bar.finish_and_clear();
    println!(
        "{}: {} points × {} seeds; {} runs computed, {} reused, in {:.1} s wall with {jobs} thread{}; results in {}",
        spec.name,
        spec.points().len(),
        spec.seeds,
        outcome.computed,
        outcome.reused,
        wall.elapsed().as_secs_f64(),
        if jobs == 1 { "" } else { "s" },
        out.display()
    );
    Ok(())
}
