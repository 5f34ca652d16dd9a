//! `p2psim.run`: one run, with the GIL released while it runs, its results returned as the
//! texts of the files the command line writes (the Python layer reads them into pandas).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::experiment::Experiment;
use crate::protocol::catalog;
use crate::to_py;

/// An experiment given to `run`: an `Experiment`, or the path of a file.
#[derive(FromPyObject)]
#[allow(clippy::large_enum_variant, reason = "one argument of one call")]
pub(crate) enum ExperimentArg {
    Experiment(Experiment),
    Path(PathBuf),
}

impl ExperimentArg {
    pub(crate) fn resolve(self, cat: &p2psim::Protocols) -> PyResult<p2psim::Scenario> {
        match self {
            ExperimentArg::Experiment(e) => Ok(e.inner),
            ExperimentArg::Path(p) => p2psim::Scenario::load(&p, cat).map_err(to_py),
        }
    }
}

/// Runs `experiment` (with `seed` and `until_ms` overriding its own) and returns its result
/// files by name: `summary.json`, `delays.csv`, `copies.csv`, `traffic.csv`,
/// `traffic-per-second.csv`, `convergence.csv`, `messages.csv`, `experiment.ron`, `topology.dot`.
#[pyfunction]
#[pyo3(signature = (experiment, seed = None, until_ms = None, protocols = None))]
pub(crate) fn run(
    py: Python<'_>,
    experiment: ExperimentArg,
    seed: Option<u64>,
    until_ms: Option<u64>,
    protocols: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<(&'static str, String)>> {
    let cat = catalog(py, protocols)?;
    let mut scenario = experiment.resolve(&cat)?;
    if let Some(s) = seed {
        scenario = scenario.with_seed(s);
    }
    if let Some(u) = until_ms {
        let mut exp = scenario.experiment().clone();
        exp.until_ms = u;
        scenario = p2psim::Scenario::new(&exp).map_err(to_py)?;
    }
    // The run holds no Python object but the protocols' classes and states, which their
    // callbacks reach by attaching again: the interpreter is free meanwhile.
    crate::protocol::clear_failure();
    let result = py.detach(move || {
        let mut sim = p2psim::Simulation::new(scenario);
        sim.run()?;
        Ok(p2psim::Results::new(&sim).texts())
    });
    if let Some(e) = crate::protocol::take_failure() {
        return Err(e);
    }
    result.map_err(to_py)
}
