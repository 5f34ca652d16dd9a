//! `p2psim.sweep`: a sweep run in a temporary folder on all cores (the GIL released), returning
//! the texts of `runs.csv` and `points.csv`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::protocol::catalog;
use crate::run::ExperimentArg;
use crate::to_py;

/// Runs a sweep of `base`: `parameters` are `(column name, field name, values as JSON)` (a list,
/// or a range as `"1..=8"`), `seeds` runs per point from `first_seed`; returns `(runs.csv,
/// points.csv)`.
#[pyfunction]
#[pyo3(signature = (base, parameters, seeds, jobs = None, metrics = Vec::new(), first_seed = 0, name = "sweep", protocols = None))]
#[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
pub(crate) fn sweep(
    py: Python<'_>,
    base: ExperimentArg,
    parameters: Vec<(String, String, String)>,
    seeds: u32,
    jobs: Option<usize>,
    metrics: Vec<String>,
    first_seed: u64,
    name: &str,
    protocols: Option<&Bound<'_, PyDict>>,
) -> PyResult<(String, String)> {
    let cat = catalog(py, protocols)?;
    let base = base.resolve(&cat)?.experiment().clone();
    let mut params = Vec::new();
    for (column, path, values) in parameters {
        let values: p2psim::Values = serde_json::from_str(&values)
            .map_err(|e| PyValueError::new_err(format!("the values of `{path}` are not values: {e}")))?;
        params.push(p2psim::SweepParam { name: column, path, values });
    }
    let spec = p2psim::SweepSpec {
        name: name.to_owned(),
        base: p2psim::Base::Inline(Box::new(base.clone())),
        parameters: params,
        seeds,
        first_seed,
        metrics,
    };
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let out = std::env::temp_dir().join(format!(
        "p2psim-py-sweep-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
    ));
    crate::protocol::clear_failure();
    let result = py.detach(|| {
        let sweep = p2psim::Sweep::new(spec, base, &cat)?;
        p2psim_cli::run_sweep(&sweep, &out, jobs, &cat, &|_, _| {})
    });
    let _ = std::fs::remove_dir_all(&out);
    if let Some(e) = crate::protocol::take_failure() {
        return Err(e);
    }
    let outcome = result.map_err(to_py)?;
    Ok((outcome.runs_csv, outcome.points_csv))
}
