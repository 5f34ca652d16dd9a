//! `sweep FILE`: what is missing of a sweep, run here in parallel or submitted to Slurm.

use std::path::PathBuf;
use std::time::Instant;

use p2psim::overrides::parse_setting;
use p2psim::{Error, Limits, Protocols, RunKey, Sweep};

use crate::progress;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The sweep file (RON).
    file: PathBuf,
    /// Threads (default: the number of cores). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Output folder (default `out/<sweep file name without .ron>`); kept between runs, so that a
    /// sweep resumes.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Set a field of the base experiment (repeatable), as `experiment --set` does.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Run even what the estimate says cannot fit in this machine's memory or end in hours.
    #[arg(long)]
    force: bool,
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

#[allow(clippy::print_stdout, reason = "the command reports to its user")]
pub(crate) fn run(args: Args, protocols: &Protocols) -> Result<(), Error> {
    let settings: Vec<_> = args.set.iter().map(|s| parse_setting(s)).collect::<Result<_, _>>()?;
    let sweep = Sweep::load(&args.file, protocols)?.with_settings(&settings, protocols)?;
    if !args.force {
        // Every point's run must fit, with as many at once as there are threads.
        let limits = Limits::this_machine();
        let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
        let shared = Limits { memory: limits.memory / jobs as f64, ..limits };
        for point in sweep.points() {
            point.estimate().check(&shared)?;
        }
    }
    let spec = &sweep.spec;
    let stem = args.file.file_stem().map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned());
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("out").join(stem));
    if args.slurm {
        let opts = crate::slurm::Options {
            runs_per_task: args.runs_per_task,
            cpus_per_task: args.cpus_per_task,
            sbatch_args: args.sbatch_arg,
            wait: args.wait,
        };
        return crate::slurm::submit(&sweep, &out, &opts, protocols);
    }
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let total = spec.runs().len();
    let bar = progress::bar(total as u64, "{prefix} [{bar:40}] {pos}/{len} runs, {elapsed} (eta {eta})", &spec.name);
    let wall = Instant::now();
    let outcome = crate::run_sweep(&sweep, &out, jobs, protocols, &|done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    if !outcome.recomputed.is_empty() {
        let names: Vec<String> = outcome.recomputed.iter().map(RunKey::name).collect();
        println!(
            "{}: {} results were empty or corrupt and were computed again: {}",
            spec.name,
            names.len(),
            names.join(" ")
        );
    }
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
