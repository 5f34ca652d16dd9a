//! `sweep FILE --slurm`: the runs a sweep still lacks, submitted to Slurm as one array
//! job (several runs per task, since starting a task costs seconds) and a merge job that runs after
//! the array, whatever became of its tasks, and writes the same `runs.csv` and `points.csv` as a
//! local sweep, or a report of which tasks left which runs undone.
//!
//! Everything of a submission lives in `OUT/slurm/<k>/` (`k` = 1, 2, … for each submission):
//!
//! - `tasks.txt`: one line per array task, the names of its runs (`p0003-s7 p0003-s8 …`);
//! - `p2psim`: the binary the jobs run (the one that submitted them, with the protocols it
//!   registered), linked (or copied) at submission, so that a rebuild while jobs wait cannot mix
//!   two versions of the code into one sweep;
//! - `array.sh`, `merge.sh`: the batch scripts, readable and resubmittable by hand;
//! - `jobs`: the two job ids; `logs/`: the jobs' output; `report`: what the merge found.
//!
//! The work itself is read from `OUT/sweep.ron` (the sweep with its base inline), and results go
//! to `OUT/runs/` exactly as in a local sweep, so the folder can be finished by either. Submitting
//! again submits only the runs still missing, and refuses while jobs of an earlier submission are
//! queued or running.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use p2psim::{Error, Protocols, RunKey, SWEEP_FILE, Sweep};

type Result<T> = std::result::Result<T, Error>;

/// A failure of the batch system (a command that fails, a job that says nothing).
fn failed(what: impl Into<String>) -> Error {
    Error::Io { file: "slurm".into(), message: what.into() }
}

/// How to submit.
pub(crate) struct Options {
    /// Runs per array task.
    pub(crate) runs_per_task: usize,
    /// CPUs per task (the task runs that many runs at once).
    pub(crate) cpus_per_task: usize,
    /// Extra arguments for both `sbatch` calls (`--partition=…`, `--time=…`, `--account=…`).
    pub(crate) sbatch_args: Vec<String>,
    /// Wait for the merge and print its report.
    pub(crate) wait: bool,
}

const REPORT_OK: &str = "complete";

fn slurm_dir(out: &Path) -> PathBuf {
    out.join("slurm")
}

fn write(path: &Path, text: &str) -> Result<()> {
    crate::outdir::write_file_atomically(path, text)
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// Runs a Slurm client command and returns its standard output.
fn slurm(program: &str, args: &[String]) -> Result<String> {
    let output = Command::new(program).args(args).output().map_err(|e| {
        failed(format!(
            "cannot run `{program}` ({e}): Slurm's client commands must be on PATH (a login node of the cluster)"
        ))
    })?;
    if !output.status.success() {
        return Err(failed(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Ids of the jobs in the queue (pending or running), array tasks under their array's id.
fn queued() -> Result<Vec<u64>> {
    let text = slurm("squeue", &["--noheader".into(), "--format=%F".into()])?;
    Ok(text.lines().filter_map(|l| l.trim().parse().ok()).collect())
}

/// The submissions so far, in order, with their job ids.
fn submissions(out: &Path) -> Vec<(u32, Vec<u64>)> {
    let mut subs: Vec<(u32, Vec<u64>)> = std::fs::read_dir(slurm_dir(out))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let k: u32 = e.file_name().to_str()?.parse().ok()?;
            let jobs = std::fs::read_to_string(e.path().join("jobs")).unwrap_or_default();
            Some((k, jobs.split_whitespace().filter_map(|w| w.parse().ok()).collect()))
        })
        .collect();
    subs.sort();
    subs
}

/// Submits what is missing of the sweep in `out`.
#[allow(clippy::print_stdout, reason = "the command reports to its user")]
pub(crate) fn submit(sweep: &Sweep, out: &Path, opts: &Options, protocols: &Protocols) -> Result<()> {
    let spec = &sweep.spec;
    let out = std::path::absolute(out).map_err(|e| Error::io(out, e))?;
    let subs = submissions(&out);
    let waiting: Vec<u64> = {
        let q = queued()?;
        subs.iter().flat_map(|s| s.1.iter().copied()).filter(|id| q.contains(id)).collect()
    };
    if !waiting.is_empty() {
        return Err(Error::Refused {
            path: out.display().to_string(),
            message: format!(
                "jobs {waiting:?} of an earlier submission are still queued or running; wait for them, or cancel \
                 them with `scancel`, before submitting again"
            ),
        });
    }
    let (lock, missing, _) = crate::runner::prepare(sweep, &out, protocols)?;
    if missing.is_empty() {
        crate::runner::gather(spec, &out)?;
        println!("{}: every run has its result; runs.csv and points.csv written in {}", spec.name, out.display());
        return Ok(());
    }
    let k = subs.last().map_or(1, |s| s.0 + 1);
    let dir = slurm_dir(&out).join(k.to_string());
    std::fs::create_dir_all(dir.join("logs")).map_err(|e| Error::io(&dir, e))?;

    let per_task = opts.runs_per_task.max(1);
    let tasks: Vec<&[RunKey]> = missing.chunks(per_task).collect();
    let mut list = String::new();
    for t in &tasks {
        let names: Vec<String> = t.iter().map(RunKey::name).collect();
        writeln!(list, "{}", names.join(" ")).expect("string");
    }
    write(&dir.join("tasks.txt"), &list)?;

    let exe = dir.join("p2psim");
    let me = std::env::current_exe().map_err(|e| failed(format!("finding this program to give to the jobs: {e}")))?;
    let _ = std::fs::remove_file(&exe);
    if std::fs::hard_link(&me, &exe).is_err() {
        std::fs::copy(&me, &exe).map_err(|e| Error::io(&exe, e))?;
    }

    let array = format!(
        "#!/bin/sh\n\
         #SBATCH --job-name=p2psim-{name}\n\
         #SBATCH --array=0-{last}\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --output={logs}/task-%a.out\n\
         # Each task runs the sweep runs on its line of tasks.txt (line = task id + 1).\n\
         exec {exe} slurm-task {out} {k} \"$SLURM_ARRAY_TASK_ID\"\n",
        name = spec.name,
        last = tasks.len() - 1,
        cpus = opts.cpus_per_task.max(1),
        logs = dir.join("logs").display(),
        exe = quote(&exe),
        out = quote(&out),
    );
    let merge = format!(
        "#!/bin/sh\n\
         #SBATCH --job-name=p2psim-{name}-merge\n\
         #SBATCH --output={logs}/merge.out\n\
         # Writes runs.csv and points.csv, or a report of the runs still missing.\n\
         exec {exe} slurm-merge {out} {k}\n",
        name = spec.name,
        logs = dir.join("logs").display(),
        exe = quote(&exe),
        out = quote(&out),
    );
    write(&dir.join("array.sh"), &array)?;
    write(&dir.join("merge.sh"), &merge)?;

    let sbatch = |extra: Vec<String>, script: &str| -> Result<u64> {
        let mut args = vec!["--parsable".to_owned()];
        args.extend(opts.sbatch_args.iter().cloned());
        args.extend(extra);
        args.push(dir.join(script).display().to_string());
        let text = slurm("sbatch", &args)?;
        // `--parsable` prints `id` or `id;cluster`.
        text.trim()
            .split(';')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| failed(format!("sbatch printed {text:?}")))
    };
    let array_id = sbatch(vec![], "array.sh")?;
    let merge_id = match sbatch(vec![format!("--dependency=afterany:{array_id}")], "merge.sh") {
        Ok(id) => id,
        Err(e) => {
            let _ = slurm("scancel", &[array_id.to_string()]);
            return Err(failed(format!("submitting the merge job (the array job was cancelled): {e}")));
        }
    };
    write(&dir.join("jobs"), &format!("{array_id}\n{merge_id}\n"))?;
    // The jobs are submitted: the merge job takes the folder's lock when it runs (and a second
    // submission is refused while these jobs are queued), so the lock is not held while waiting.
    drop(lock);
    println!(
        "{}: {} runs in {} array tasks submitted as job {array_id}, merge job {merge_id}; logs in {}",
        spec.name,
        missing.len(),
        tasks.len(),
        dir.join("logs").display()
    );
    if !opts.wait {
        println!(
            "when the merge has run, its report is in {}; submit again to run whatever is still missing",
            dir.join("report").display()
        );
        return Ok(());
    }
    while queued()?.iter().any(|&id| id == array_id || id == merge_id) {
        std::thread::sleep(Duration::from_millis(500));
    }
    match std::fs::read_to_string(dir.join("report")) {
        Ok(r) if r.trim() == REPORT_OK => {
            println!("{}: complete; runs.csv and points.csv written in {}", spec.name, out.display());
            Ok(())
        }
        Ok(r) => Err(failed(format!(
            "{}{}submit again to run only what is missing",
            r,
            if r.ends_with('\n') { "" } else { "\n" }
        ))),
        Err(_) => Err(failed(format!(
            "the merge job {merge_id} ended without a report (cancelled, or killed?); see {}",
            dir.join("logs/merge.out").display()
        ))),
    }
}

/// The runs of task `task` of submission `k`.
fn task_runs(out: &Path, k: u32, task: usize) -> Result<Vec<RunKey>> {
    let path = slurm_dir(out).join(k.to_string()).join("tasks.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let line = text.lines().nth(task).ok_or_else(|| failed(format!("{} has no task {task}", path.display())))?;
    line.split_whitespace()
        .map(|n| RunKey::from_name(n).ok_or_else(|| failed(format!("{}: `{n}` is not a run name", path.display()))))
        .collect()
}

/// An array task: runs its runs that have no result yet.
#[allow(clippy::print_stdout, reason = "the job's log")]
pub(crate) fn task(out: &Path, k: u32, task: usize, protocols: &Protocols) -> Result<()> {
    let sweep = Sweep::load(&out.join(SWEEP_FILE), protocols)?;
    let missing = crate::runner::missing_runs(&sweep.spec, out);
    let runs: Vec<RunKey> = task_runs(out, k, task)?.into_iter().filter(|r| missing.contains(r)).collect();
    let cpus = std::env::var("SLURM_CPUS_PER_TASK").ok().and_then(|c| c.parse().ok()).unwrap_or(1);
    println!("task {task} of submission {k}: {} runs to do on {cpus} threads", runs.len());
    crate::runner::run_runs(&sweep, out, &runs, cpus, &|r, outcome| match outcome {
        Ok(()) => println!("{}: done", r.name()),
        Err(e) => println!("{}: failed: {e}", r.name()),
    })
}

/// The merge: writes the tables, or reports which tasks left which runs undone. It holds the
/// folder's lock while it works.
#[allow(clippy::print_stdout, reason = "the job's log")]
pub(crate) fn merge(out: &Path, k: u32, protocols: &Protocols) -> Result<()> {
    let spec = Sweep::load(&out.join(SWEEP_FILE), protocols)?.spec;
    // The submitting command may still hold the lock for a moment after the array finished
    // (a fast cluster): wait for it, up to a minute.
    let mut tries = 0;
    let _lock = loop {
        match crate::outdir::Lock::acquire(out) {
            Ok(lock) => break lock,
            Err(_) if tries < 240 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(e) => return Err(e),
        }
    };
    let dir = slurm_dir(out).join(k.to_string());
    match crate::runner::gather(&spec, out) {
        Ok(_) => {
            write(&dir.join("report"), &format!("{REPORT_OK}\n"))?;
            println!("merge: runs.csv and points.csv written");
            Ok(())
        }
        Err(Error::Incomplete { missing, total, .. }) => {
            let mut report = format!("{} of {total} runs of {} have no result:\n", missing.len(), spec.name);
            let lines = std::fs::read_to_string(dir.join("tasks.txt")).unwrap_or_default();
            let jobs = std::fs::read_to_string(dir.join("jobs")).unwrap_or_default();
            let array_job = jobs.lines().next().unwrap_or("?");
            for (t, line) in lines.lines().enumerate() {
                let undone: Vec<&str> = line.split_whitespace().filter(|n| missing.iter().any(|m| m == n)).collect();
                if !undone.is_empty() {
                    writeln!(
                        report,
                        "- task {t} of job {array_job} failed or was killed, leaving {}: see {}",
                        undone.join(" "),
                        dir.join(format!("logs/task-{t}.out")).display()
                    )
                    .expect("string");
                }
            }
            write(&dir.join("report"), &report)?;
            print!("{report}");
            Err(failed("the sweep is incomplete"))
        }
        Err(e) => Err(e),
    }
}
