//! Gathering a sweep's results: `runs.csv` (one row per run), `points.csv` (per point and metric:
//! mean, standard deviation, 95 % confidence half-width, count) and a plot per chosen metric.
//!
//! The columns are every metric any run reports, sorted, empty where a run has none (a run that
//! delivered nothing has no delay); a point where no run has a metric shows empty statistics and
//! a count of 0.

use p2psim::html::Picture;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use p2psim::{Error, RunKey, SweepSpec};

use super::run::run_file;
use crate::outdir::write_file_atomically;

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

/// The statistics of one metric at one point.
struct Stats {
    mean: f64,
    sd: f64,
    ci: f64,
    count: usize,
}

type Row = (usize, u64, BTreeMap<String, f64>);

/// Mean, standard deviation, 95 % confidence half-width (NaN below two runs) and count of metric
/// `m` over the runs of point `pi`.
fn point_stats(rows: &[Row], pi: usize, m: &str) -> Stats {
    let xs: Vec<f64> = rows.iter().filter(|r| r.0 == pi).filter_map(|r| r.2.get(m).copied()).collect();
    let n = xs.len();
    if n == 0 {
        return Stats { mean: f64::NAN, sd: f64::NAN, ci: f64::NAN, count: 0 };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 { (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
    let ci = if n > 1 { t95(n - 1) * sd / (n as f64).sqrt() } else { f64::NAN };
    Stats { mean, sd, ci, count: n }
}

/// A number as the tables write it: six decimals, empty when there is none.
fn cell(x: f64) -> String {
    if x.is_finite() { format!("{:.6}", if x == 0.0 { 0.0 } else { x }) } else { String::new() }
}

fn csv_text(rows: Vec<Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(&r).expect("memory");
    }
    String::from_utf8(w.into_inner().expect("memory")).expect("utf-8")
}

/// Reads every run's result from `out` and writes `runs.csv`, `points.csv` and a plot per chosen
/// metric; returns the two tables' text. They depend only on the results, in point and seed order,
/// whoever computed them: threads here or batch tasks elsewhere. Fails with
/// [`Error::Incomplete`], writing nothing, when a run has no result.
pub fn gather(spec: &SweepSpec, out: &Path) -> Result<(String, String), Error> {
    let points = spec.points();
    let all: Vec<RunKey> = spec.runs();
    let missing = super::run::missing_runs(spec, out);
    if !missing.is_empty() {
        return Err(Error::Incomplete {
            folder: out.display().to_string(),
            missing: missing.iter().map(RunKey::name).collect(),
            total: all.len(),
        });
    }
    let mut rows: Vec<Row> = Vec::with_capacity(all.len());
    for r in &all {
        let path = run_file(out, r);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::io(&path, e))?;
        let mut flat = p2psim::analysis::numbers(&json);
        flat.remove("seed");
        rows.push((r.point, r.seed, flat));
    }
    let metrics: Vec<String> =
        rows.iter().flat_map(|r| r.2.keys().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
    let names: Vec<String> = spec.parameters.iter().map(|p| p.name.clone()).collect();

    let mut table = vec![[vec!["point".to_owned()], names.clone(), vec!["seed".to_owned()], metrics.clone()].concat()];
    for (point, seed, flat) in &rows {
        let mut rec = vec![point.to_string()];
        rec.extend(points[*point].iter().map(ToString::to_string));
        rec.push(seed.to_string());
        rec.extend(metrics.iter().map(|m| flat.get(m).map_or_else(String::new, |&x| cell(x))));
        table.push(rec);
    }
    let runs_csv = csv_text(table);

    let mut table = vec![
        [vec!["point".to_owned()], names, ["metric", "mean", "sd", "ci95", "count"].map(str::to_owned).to_vec()]
            .concat(),
    ];
    for (pi, point) in points.iter().enumerate() {
        for m in &metrics {
            let s = point_stats(&rows, pi, m);
            let mut rec = vec![pi.to_string()];
            rec.extend(point.iter().map(ToString::to_string));
            rec.extend([m.clone(), cell(s.mean), cell(s.sd), cell(s.ci), s.count.to_string()]);
            table.push(rec);
        }
    }
    let points_csv = csv_text(table.clone());
    write_file_atomically(&out.join("runs.csv"), &runs_csv)?;
    write_file_atomically(&out.join("points.csv"), &points_csv)?;
    let pictures = plot(spec, out, &points, &rows)?;
    write_file_atomically(&out.join("index.html"), &page(spec, out, &table, &pictures))?;
    Ok((runs_csv, points_csv))
}

/// The sweep's report page: the chosen metrics per point (every metric is in `points.csv`),
/// their plots, and the sweep as run.
fn page(spec: &SweepSpec, out: &Path, points_table: &[Vec<String>], pictures: &[(String, Picture)]) -> String {
    let header: Vec<&str> = points_table[0].iter().map(String::as_str).collect();
    let metric = header.iter().position(|h| *h == "metric").unwrap_or(0);
    let chosen: Vec<Vec<String>> = points_table[1..]
        .iter()
        .filter(|r| spec.metrics.is_empty() || spec.metrics.iter().any(|m| *m == r[metric]))
        .cloned()
        .collect();
    let intro = format!(
        "{} points × {} seeds; each row is one metric at one point (mean, standard deviation, 95 % interval, runs). points.csv and runs.csv hold every figure.",
        spec.points().len(),
        spec.seeds
    );
    let mut page = p2psim::html::Page::new(&spec.name, &intro);
    page.heading("Points").table("points", &header, &chosen);
    page.heading("Plots").pictures(out, pictures);
    page.heading("The sweep").pre("configuration", &spec.to_ron());
    page.finish()
}

/// One plot per chosen metric against the first parameter (when its values are numbers), with
/// 95 % confidence bars. Drawn in a staging folder, then moved into place one by one; returns
/// them as SVG for the report page.
fn plot(
    spec: &SweepSpec,
    out: &Path,
    points: &[Vec<p2psim::overrides::Value>],
    rows: &[Row],
) -> Result<Vec<(String, Picture)>, Error> {
    let Some(first) = spec.parameters.first() else { return Ok(Vec::new()) };
    if spec.metrics.is_empty() || points.iter().any(|p| p[0].as_number().is_none()) {
        return Ok(Vec::new());
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let staging = out.join(format!(".plots.partial-{}-{}", host.trim(), std::process::id()));
    std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
    let result = (|| {
        let mut pictures = Vec::new();
        for m in &spec.metrics {
            let series: Vec<(f64, f64, f64)> = points
                .iter()
                .enumerate()
                .map(|(pi, pt)| {
                    let s = point_stats(rows, pi, m);
                    (pt[0].as_number().unwrap_or(f64::NAN), s.mean, s.ci)
                })
                .filter(|s| s.1.is_finite())
                .collect();
            let name = format!("{}.png", m.replace('.', "_"));
            p2psim::analysis::plot::errorbars(
                &staging.join(&name),
                &format!("{m} against {}", first.name),
                &first.name,
                m,
                &series,
            )
            .map_err(|e| Error::Io { file: e.path, message: e.message })?;
            std::fs::rename(staging.join(&name), out.join(&name)).map_err(|e| Error::io(&out.join(&name), e))?;
            let title = format!("{m} against {}", first.name);
            let svg = p2psim::analysis::plot::errorbars_svg(&title, &first.name, m, &series)
                .map_err(|e| Error::Io { file: e.path, message: e.message })?;
            pictures.push((name, Picture::Svg(svg)));
        }
        Ok(pictures)
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}
