//! Sweeps: a base experiment, parameters varied over values (every combination is a point), each
//! point run over several seeds, in parallel across cores; results per run, per point with 95 %
//! confidence intervals, and a plot per chosen metric.
//!
//! Parameters are addressed by JSON-pointer paths into the experiment as JSON (enums externally
//! tagged): `/peer_types/0/services/1/1/PushGossip/fanout` is the fanout of the second service of
//! the first peer type, a push gossip. Each run's result is written whole (temporary name, then
//! rename) to `runs/`, so a sweep killed at any moment and started again recomputes nothing that had
//! finished and duplicates nothing. `runs.csv` and `points.csv` are sorted by point and seed: the
//! same bytes whatever the number of threads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::experiment::Experiment;
use crate::output::{io, write_file_atomically};
use crate::simulation::Simulation;

/// One varied parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepParam {
    /// Column name in the outputs.
    pub name: String,
    /// JSON pointer into the experiment.
    pub path: String,
    /// The values (whole numbers are written as integers).
    pub values: Vec<f64>,
}

/// The base experiment of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Base {
    /// An experiment file, relative to the sweep file.
    File(String),
    /// An experiment written in the sweep file.
    Inline(Box<Experiment>),
}

/// A sweep file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Name for reports.
    pub name: String,
    /// The base experiment.
    pub base: Base,
    /// The parameters; points are every combination, the first parameter varying slowest.
    pub parameters: Vec<SweepParam>,
    /// Seeds per point.
    pub seeds: u32,
    /// The first seed (seeds are `first_seed`, `first_seed + 1`, …).
    #[serde(default)]
    pub first_seed: u64,
    /// Summary metrics to plot against the first parameter (keys of `summary.json`, nested keys
    /// joined by `.`: `delivery_ratio`, `copies.mean`).
    #[serde(default)]
    pub metrics: Vec<String>,
}

/// One run of a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunKey {
    /// Index of the point.
    pub point: usize,
    /// The seed.
    pub seed: u64,
}

impl RunKey {
    /// The run's name, `p0003-s7`: the stem of its result file, and how task lists name it.
    pub fn name(&self) -> String {
        format!("p{:04}-s{}", self.point, self.seed)
    }

    /// Reads a name written by [`RunKey::name`].
    pub fn from_name(name: &str) -> Option<RunKey> {
        let (p, s) = name.strip_prefix('p')?.split_once("-s")?;
        Some(RunKey { point: p.parse().ok()?, seed: s.parse().ok()? })
    }
}

/// The file in a sweep's output folder that records which sweep the folder holds, its base
/// experiment written inline: a resumed sweep must be the same sweep, and a batch job reads its
/// work from here.
pub const SWEEP_FILE: &str = "sweep.ron";

/// What a sweep did.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepOutcome {
    /// Runs computed now.
    pub computed: usize,
    /// Runs whose results were already there.
    pub reused: usize,
    /// The `runs.csv` text.
    pub runs_csv: String,
    /// The `points.csv` text.
    pub points_csv: String,
}

fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9e15 { Value::from(v as i64) } else { Value::from(v) }
}

/// Flattens a summary's JSON into `key.sub` → number (nulls and strings left out).
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, f64>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                out.insert(prefix.to_owned(), x);
            }
        }
        _ => {}
    }
}

/// Two-sided 95 % quantile of Student's t with `df` degrees of freedom.
fn t95(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => 1.959_964 + 2.4 / df as f64,
    }
}

impl SweepSpec {
    /// Reads a sweep file.
    pub fn load(path: &Path) -> Result<(SweepSpec, Experiment), Error> {
        let file = path.display().to_string();
        let text = crate::experiment::read_text(path)?;
        let source = crate::ron::Source::parse(&text).map_err(|e| Error::at(&file, e.pos, "", e.message))?;
        let spec: SweepSpec = source.read().map_err(|e| Error::at(&file, e.pos, "", e.message))?;
        let base = match &spec.base {
            Base::Inline(exp) => {
                crate::scenario::Scenario::check(exp)
                    .map_err(|e| Error::located(&file, &source, &e.at("Inline").at("base")))?;
                (**exp).clone()
            }
            Base::File(rel) => Experiment::load(&path.parent().unwrap_or(Path::new(".")).join(rel))?,
        };
        spec.check(&base).map_err(|e| match e {
            Error::Input { file: f, position: None, field, message } if f.is_empty() => {
                let position = source.locate(&field_path(&field));
                Error::Input { file: file.clone(), position: Some((position.line, position.col)), field, message }
            }
            other => other,
        })?;
        Ok((spec, base))
    }

    /// The points: for each, the value of every parameter.
    pub fn points(&self) -> Vec<Vec<f64>> {
        let mut points = vec![Vec::new()];
        for p in &self.parameters {
            points = points
                .into_iter()
                .flat_map(|pt| p.values.iter().map(move |&v| [pt.clone(), vec![v]].concat()))
                .collect();
        }
        points
    }

    /// The experiment of one run.
    pub fn experiment(&self, base: &Experiment, point: &[f64], seed: u64) -> Result<Experiment, Error> {
        let mut json = serde_json::to_value(base).map_err(|e| Error::input("base", e.to_string()))?;
        for (p, &v) in self.parameters.iter().zip(point) {
            let slot = json.pointer_mut(&p.path).ok_or_else(|| {
                Error::input(&format!("parameters.{}", p.name), format!("`{}` names nothing in the experiment", p.path))
            })?;
            *slot = number(v);
        }
        let mut exp: Experiment = serde_json::from_value(json)
            .map_err(|e| Error::input("parameters", format!("a value does not fit its field: {e}")))?;
        exp.seed = seed;
        exp.analysis.plots = false;
        exp.analysis.snapshot_every_ms = None;
        exp.check()?;
        Ok(exp)
    }

    fn check(&self, base: &Experiment) -> Result<(), Error> {
        if self.seeds == 0 {
            return Err(Error::input("seeds", "at least one seed per point"));
        }
        if self.parameters.iter().any(|p| p.values.is_empty()) {
            return Err(Error::input("parameters", "every parameter needs at least one value"));
        }
        for point in self.points() {
            self.experiment(base, &point, self.first_seed)?;
        }
        Ok(())
    }

    /// This sweep with `base` written inline, as its output folder records it.
    pub fn with_inline_base(&self, base: &Experiment) -> SweepSpec {
        SweepSpec { base: Base::Inline(Box::new(base.clone())), ..self.clone() }
    }

    /// The sweep as RON text that [`SweepSpec::load`] reads back to the same value.
    pub fn to_ron(&self) -> String {
        crate::experiment::to_ron(self)
    }

    /// Every run, point by point, seed by seed.
    pub fn runs(&self) -> Vec<RunKey> {
        let n = self.points().len();
        (0..n)
            .flat_map(|point| (0..u64::from(self.seeds)).map(move |s| RunKey { point, seed: self.first_seed + s }))
            .collect()
    }
}

/// Mean, standard deviation, 95 % confidence half-width (NaN below two runs) and count of metric
/// `m` over the runs of point `pi`.
fn point_stats(rows: &[(usize, u64, BTreeMap<String, f64>)], pi: usize, m: &str) -> (f64, f64, f64, usize) {
    let xs: Vec<f64> = rows.iter().filter(|r| r.0 == pi).filter_map(|r| r.2.get(m).copied()).collect();
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n.max(1) as f64;
    let sd = if n > 1 { (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
    let ci = if n > 1 { t95(n - 1) * sd / (n as f64).sqrt() } else { f64::NAN };
    (mean, sd, ci, n)
}

fn run_file(dir: &Path, r: &RunKey) -> PathBuf {
    dir.join("runs").join(format!("{}.json", r.name()))
}

/// Makes `out` ready to hold the sweep: creates it, records the sweep in [`SWEEP_FILE`] or checks
/// that the sweep recorded there is this one (so that a resumed sweep never mixes in results of
/// another), and returns the runs that have no result yet, in order.
pub fn prepare(spec: &SweepSpec, base: &Experiment, out: &Path) -> Result<Vec<RunKey>, Error> {
    std::fs::create_dir_all(out.join("runs")).map_err(|e| io(out, e))?;
    let recorded = out.join(SWEEP_FILE);
    let text = spec.with_inline_base(base).to_ron();
    if recorded.is_file() {
        let (old, old_base) = SweepSpec::load(&recorded)?;
        if old.with_inline_base(&old_base).to_ron() != text {
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
    Ok(missing_runs(spec, out))
}

/// The runs of the sweep that have no result in `out` yet, in order.
pub fn missing_runs(spec: &SweepSpec, out: &Path) -> Vec<RunKey> {
    spec.runs().into_iter().filter(|r| !run_file(out, r).is_file()).collect()
}

/// Runs one run of the sweep and writes its result into `out`.
pub fn run_one(spec: &SweepSpec, base: &Experiment, out: &Path, run: RunKey) -> Result<(), Error> {
    let points = spec.points();
    let point = points.get(run.point).ok_or_else(|| {
        Error::input("run", format!("point {} does not exist: the sweep has {}", run.point, points.len()))
    })?;
    let exp = spec.experiment(base, point, run.seed)?;
    let mut sim = Simulation::new(&exp)?;
    sim.run()?;
    write_file_atomically(&run_file(out, &run), &crate::output::report(&sim).0.to_json())
}

/// Runs `runs` of the sweep into `out` on `jobs` threads. Every run is tried, even after one
/// fails, so that one bad run costs no others; `done(run, outcome)` is told of each. Returns the
/// first failure, in run order.
pub fn run_runs(
    spec: &SweepSpec,
    base: &Experiment,
    out: &Path,
    runs: &[RunKey],
    jobs: usize,
    done: &(dyn Fn(RunKey, &Result<(), Error>) + Sync),
) -> Result<(), Error> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build().map_err(|e| io(out, e))?;
    let outcomes: Vec<Result<(), Error>> = pool.install(|| {
        runs.par_iter()
            .map(|&r| {
                let outcome = run_one(spec, base, out, r);
                done(r, &outcome);
                outcome
            })
            .collect()
    });
    outcomes.into_iter().collect()
}

/// Runs what is missing of a sweep into `out` with `jobs` threads, then writes `runs.csv`,
/// `points.csv` and the plots (see [`gather`]). `progress(done, total)` is called after each run.
pub fn run_sweep(
    spec: &SweepSpec,
    base: &Experiment,
    out: &Path,
    jobs: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SweepOutcome, Error> {
    let missing = prepare(spec, base, out)?;
    let total = spec.runs().len();
    let reused = total - missing.len();
    let done = std::sync::atomic::AtomicUsize::new(reused);
    run_runs(spec, base, out, &missing, jobs, &|_, _| {
        progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total);
    })?;
    let (runs_csv, points_csv) = gather(spec, out)?;
    Ok(SweepOutcome { computed: missing.len(), reused, runs_csv, points_csv })
}

/// Reads every run's result from `out` and writes `runs.csv`, `points.csv` and a plot per chosen
/// metric; returns the two tables' text. They depend only on the results, in point and seed order,
/// whoever computed them: threads here or batch tasks elsewhere. Fails with
/// [`Error::Incomplete`], writing nothing, when a run has no result.
pub fn gather(spec: &SweepSpec, out: &Path) -> Result<(String, String), Error> {
    let points = spec.points();
    let all = spec.runs();
    let missing = missing_runs(spec, out);
    if !missing.is_empty() {
        return Err(Error::Incomplete {
            folder: out.display().to_string(),
            missing: missing.iter().map(RunKey::name).collect(),
            total: all.len(),
        });
    }
    let mut rows: Vec<(usize, u64, BTreeMap<String, f64>)> = Vec::new();
    for r in &all {
        let path = run_file(out, r);
        let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
        let json: Value = serde_json::from_str(&text).map_err(|e| io(&path, e))?;
        let mut flat = BTreeMap::new();
        flatten("", &json, &mut flat);
        flat.remove("seed");
        rows.push((r.point, r.seed, flat));
    }
    let metrics: Vec<String> = rows.first().map(|r| r.2.keys().cloned().collect()).unwrap_or_default();
    let names: Vec<&str> = spec.parameters.iter().map(|p| p.name.as_str()).collect();
    let f = |x: f64| format!("{x:.6}");
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["point".to_owned()];
    header.extend(names.iter().map(|s| (*s).to_owned()));
    header.push("seed".into());
    header.extend(metrics.iter().cloned());
    w.write_record(&header).expect("memory");
    for (point, seed, flat) in &rows {
        let mut rec = vec![point.to_string()];
        rec.extend(points[*point].iter().map(|&v| f(v)));
        rec.push(seed.to_string());
        rec.extend(metrics.iter().map(|m| flat.get(m).map(|&x| f(x)).unwrap_or_default()));
        w.write_record(&rec).expect("memory");
    }
    let runs_csv = String::from_utf8(w.into_inner().expect("memory")).expect("utf-8");
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["point".to_owned()];
    header.extend(names.iter().map(|s| (*s).to_owned()));
    header.extend(["metric", "mean", "sd", "ci95", "count"].map(str::to_owned));
    w.write_record(&header).expect("memory");
    for (pi, point) in points.iter().enumerate() {
        for m in &metrics {
            let (mean, sd, ci, n) = point_stats(&rows, pi, m);
            let mut rec = vec![pi.to_string()];
            rec.extend(point.iter().map(|&v| f(v)));
            rec.extend([m.clone(), f(mean), f(sd), if ci.is_nan() { String::new() } else { f(ci) }, n.to_string()]);
            w.write_record(&rec).expect("memory");
        }
    }
    let points_csv = String::from_utf8(w.into_inner().expect("memory")).expect("utf-8");
    write_file_atomically(&out.join("runs.csv"), &runs_csv)?;
    write_file_atomically(&out.join("points.csv"), &points_csv)?;
    // One plot per chosen metric, against the first parameter, with 95 % confidence bars.
    if let Some(first) = spec.parameters.first() {
        for m in &spec.metrics {
            let series: Vec<(f64, f64, f64)> = points
                .iter()
                .enumerate()
                .map(|(pi, pt)| {
                    let (mean, _, ci, _) = point_stats(&rows, pi, m);
                    (pt[0], mean, ci)
                })
                .collect();
            // Drawn under a temporary name (plotters picks the format by the extension), then renamed.
            let name = format!("{}.png", m.replace('.', "_"));
            let tmp = out.join(format!(".tmp-{}-{name}", std::process::id()));
            p2psim_analysis::plot::errorbars(&tmp, &format!("{m} against {}", first.name), &first.name, m, &series)
                .map_err(|e| Error::Io { file: e.path, message: e.message })?;
            std::fs::rename(&tmp, out.join(&name)).map_err(|e| io(&out.join(&name), e))?;
        }
    }
    Ok((runs_csv, points_csv))
}

/// A field path as written in messages (`parameters[0].values`) as the segments the locator follows.
fn field_path(field: &str) -> Vec<p2psim_kernel::Segment> {
    let mut out = Vec::new();
    for part in field.split('.') {
        let (name, rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            out.push(p2psim_kernel::Segment::Field(name.to_owned().into()));
        }
        for index in rest.split('[') {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                out.push(p2psim_kernel::Segment::Index(i));
            }
        }
    }
    out
}
