//! Running a sweep's runs: the folder made ready (or refused), the runs without a valid result
//! found, each run computed and its result written whole.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use p2psim::{Error, Protocols, RunKey, SWEEP_FILE, Simulation, Sweep, SweepSpec};

use super::gather::gather;
use crate::outdir::{Lock, remove_stale, write_file_atomically};

/// What a sweep did.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepOutcome {
    /// Runs computed now.
    pub computed: usize,
    /// Runs whose results were already there.
    pub reused: usize,
    /// Runs whose results were found empty or corrupt, and computed again.
    pub recomputed: Vec<RunKey>,
    /// The `runs.csv` text.
    pub runs_csv: String,
    /// The `points.csv` text.
    pub points_csv: String,
}

pub(crate) fn run_file(dir: &Path, r: &RunKey) -> PathBuf {
    dir.join("runs").join(format!("{}.json", r.name()))
}

fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::io(path, e)
}

/// True if `path` holds a whole result: a JSON object (a kill can leave nothing else behind, but
/// a full disk or a hand edit can).
pub(crate) fn valid_result(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v.is_object())
}

/// Makes `out` ready to hold the sweep, locked for the caller: creates it, records the sweep in
/// [`SWEEP_FILE`] or checks that the sweep recorded there is this one (so that a resumed sweep
/// never mixes in results of another), removes what dead processes left, and returns the lock,
/// the runs that have no valid result yet, in order, and those whose result was found empty or
/// corrupt (removed, to be computed again).
///
/// An existing folder that is not empty and records no sweep is refused: p2psim writes into
/// folders it made.
pub fn prepare(sweep: &Sweep, out: &Path, protocols: &Protocols) -> Result<(Lock, Vec<RunKey>, Vec<RunKey>), Error> {
    let spec = &sweep.spec;
    let recorded = out.join(SWEEP_FILE);
    if let Ok(meta) = std::fs::symlink_metadata(out) {
        if !meta.is_dir() || meta.file_type().is_symlink() {
            return Err(Error::Refused {
                path: out.display().to_string(),
                message: "is not a folder p2psim made; choose another output folder".into(),
            });
        }
        let empty = std::fs::read_dir(out).map_err(|e| io(out, e))?.next().is_none();
        if !empty && !recorded.is_file() {
            return Err(Error::Refused {
                path: out.display().to_string(),
                message: "is a folder that holds no sweep; p2psim writes sweeps only into folders it made: choose another output folder, or empty this one".into(),
            });
        }
    }
    std::fs::create_dir_all(out.join("runs")).map_err(|e| io(out, e))?;
    let lock = Lock::acquire(out)?;
    let text = spec.with_inline_base(&sweep.base).to_ron();
    if recorded.is_file() {
        let old = Sweep::load(&recorded, protocols)?;
        if old.spec.with_inline_base(&old.base).to_ron() != text {
            return Err(Error::Refused {
                path: out.display().to_string(),
                message: "this folder holds the results of a different sweep (another base, parameters, seeds or \
                          metrics); choose another output folder or delete this one"
                    .into(),
            });
        }
    } else {
        write_file_atomically(&recorded, &text)?;
    }
    remove_stale(&out.join("runs"), "");
    remove_stale(out, "");
    let mut corrupt = Vec::new();
    for r in spec.runs() {
        let path = run_file(out, &r);
        if path.is_file() && !valid_result(&path) {
            std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
            corrupt.push(r);
        }
    }
    Ok((lock, missing_runs(spec, out), corrupt))
}

/// The runs of the sweep that have no result in `out` yet, in order.
pub fn missing_runs(spec: &SweepSpec, out: &Path) -> Vec<RunKey> {
    spec.runs().into_iter().filter(|r| !run_file(out, r).is_file()).collect()
}

/// Runs one run of the sweep and writes its result into `out`.
pub fn run_one(sweep: &Sweep, out: &Path, run: RunKey) -> Result<(), Error> {
    let mut sim = Simulation::new(sweep.scenario(run)?);
    sim.run()?;
    write_file_atomically(&run_file(out, &run), &p2psim::report(&sim).0.to_json())
}

/// Runs `runs` of the sweep into `out` on `jobs` threads. Every run is tried, even after one
/// fails, so that one bad run costs no others; `done(run, outcome)` is told of each. Returns the
/// first failure, in run order.
pub fn run_runs(
    sweep: &Sweep,
    out: &Path,
    runs: &[RunKey],
    jobs: usize,
    done: &(dyn Fn(RunKey, &Result<(), Error>) + Sync),
) -> Result<(), Error> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build().map_err(|e| io(out, e))?;
    let outcomes: Vec<Result<(), Error>> = pool.install(|| {
        runs.par_iter()
            .map(|&r| {
                let outcome = run_one(sweep, out, r);
                done(r, &outcome);
                outcome
            })
            .collect()
    });
    outcomes.into_iter().collect()
}

/// Runs what is missing of a sweep into `out` with `jobs` threads, holding the folder's lock, then
/// writes `runs.csv`, `points.csv` and the plots (see [`gather`]). `progress(done, total)` is
/// called after each run.
pub fn run_sweep(
    sweep: &Sweep,
    out: &Path,
    jobs: usize,
    protocols: &Protocols,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SweepOutcome, Error> {
    let (_lock, missing, recomputed) = prepare(sweep, out, protocols)?;
    let spec = &sweep.spec;
    let total = spec.runs().len();
    let reused = total - missing.len();
    let done = std::sync::atomic::AtomicUsize::new(reused);
    run_runs(sweep, out, &missing, jobs, &|_, _| {
        progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total);
    })?;
    let (runs_csv, points_csv) = gather(spec, out)?;
    Ok(SweepOutcome { computed: missing.len(), reused, recomputed, runs_csv, points_csv })
}
