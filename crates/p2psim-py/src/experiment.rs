//! `p2psim.Experiment`: an experiment read from a file, RON text or a Python dict (the same
//! structure as the files), checked as the command line checks it, and written back; and the
//! tutorials shipped with p2psim, by name.

use std::path::PathBuf;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::protocol::catalog;
use crate::to_py;

/// The tutorial series and scale scenarios of `examples/experiments/`, by name.
const TUTORIALS: &[(&str, &str)] = &[
    ("perfect-world", include_str!("../../../examples/experiments/perfect-world.ron")),
    ("gossip", include_str!("../../../examples/experiments/gossip.ron")),
    ("faults-push", p2psim::experiments::FAULTS_PUSH),
    ("faults-pull", p2psim::experiments::FAULTS_PULL),
    ("byzantine", include_str!("../../../examples/experiments/byzantine.ron")),
    ("emergent", include_str!("../../../examples/experiments/emergent.ron")),
    ("scale-1000", include_str!("../../../examples/experiments/scale-1000.ron")),
    ("scale-1000-pull", include_str!("../../../examples/experiments/scale-1000-pull.ron")),
];

/// An experiment: peers, locations, links, protocols, faults, a workload, a seed; checked once,
/// when it is made (a checked scenario, which every run starts from).
#[pyclass(module = "p2psim._p2psim", frozen)]
#[derive(Clone)]
pub struct Experiment {
    pub(crate) inner: p2psim::Scenario,
}

#[pymethods]
impl Experiment {
    /// Reads an experiment file (RON); `protocols` maps names to Python protocol classes.
    #[staticmethod]
    #[pyo3(signature = (path, protocols = None))]
    fn load(py: Python<'_>, path: PathBuf, protocols: Option<&Bound<'_, PyDict>>) -> PyResult<Experiment> {
        let cat = catalog(py, protocols)?;
        let inner = p2psim::Scenario::load(&path, &cat).map_err(to_py)?;
        Ok(Experiment { inner })
    }

    /// Reads RON text; errors name `file`, the line, column and field.
    #[staticmethod]
    #[pyo3(signature = (text, file = "<string>", protocols = None))]
    fn from_ron(py: Python<'_>, text: &str, file: &str, protocols: Option<&Bound<'_, PyDict>>) -> PyResult<Experiment> {
        let cat = catalog(py, protocols)?;
        let inner = p2psim::Scenario::from_ron(text, file, &cat).map_err(to_py)?;
        Ok(Experiment { inner })
    }

    /// Reads the JSON form (what `to_json` writes, and `p2psim.Experiment.from_dict` sends); errors
    /// name `<dict>`, the line and column of the JSON text, and the field.
    #[staticmethod]
    #[pyo3(signature = (text, protocols = None))]
    fn from_json(py: Python<'_>, text: &str, protocols: Option<&Bound<'_, PyDict>>) -> PyResult<Experiment> {
        let cat = catalog(py, protocols)?;
        let exp = p2psim::Experiment::from_json(text, "<dict>", &cat).map_err(to_py)?;
        Ok(Experiment { inner: p2psim::Scenario::new(&exp).map_err(to_py)? })
    }

    /// The experiment as RON text, which `from_ron` reads back to the same experiment.
    fn to_ron(&self) -> String {
        self.inner.experiment().to_ron()
    }

    /// The experiment as JSON text: the structure of the files, as `to_dict` gives it.
    fn to_json(&self) -> String {
        self.inner.experiment().to_json()
    }

    /// A copy with the field `name` set to `value` (RON text: `5`, `"Ohio"`, `FirstCopy`), named
    /// as `--set` names fields: `peer.gossip.fanout`, `network.loss`.
    #[pyo3(signature = (name, value, protocols = None))]
    fn set(
        &self,
        py: Python<'_>,
        name: &str,
        value: &str,
        protocols: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Experiment> {
        let cat = catalog(py, protocols)?;
        let v = p2psim::overrides::Value::parse(value).map_err(to_py)?;
        let exp = p2psim::overrides::apply(self.inner.experiment(), &[(name.to_owned(), v)], &cat).map_err(to_py)?;
        Ok(Experiment { inner: p2psim::Scenario::new(&exp).map_err(to_py)? })
    }

    /// The experiment's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.experiment().name.clone()
    }

    /// The master seed.
    #[getter]
    fn seed(&self) -> u64 {
        self.inner.experiment().seed
    }

    /// The end of the run, ms.
    #[getter]
    fn until_ms(&self) -> u64 {
        self.inner.experiment().until_ms
    }

    fn __repr__(&self) -> String {
        let e = self.inner.experiment();
        format!("Experiment(name={:?}, seed={}, until_ms={})", e.name, e.seed, e.until_ms)
    }
}

/// One of the experiments shipped with p2psim, by name (`tutorials()` lists them).
#[pyfunction]
pub(crate) fn tutorial(name: &str) -> PyResult<Experiment> {
    let Some((_, text)) = TUTORIALS.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = TUTORIALS.iter().map(|(n, _)| *n).collect();
        return Err(PyValueError::new_err(format!("no tutorial named `{name}` (there are: {})", names.join(", "))));
    };
    let inner = p2psim::Scenario::from_ron(text, &format!("{name}.ron"), &p2psim::Protocols::new()).map_err(to_py)?;
    Ok(Experiment { inner })
}

/// The names of the experiments shipped with p2psim.
#[pyfunction]
pub(crate) fn tutorials() -> Vec<&'static str> {
    TUTORIALS.iter().map(|(n, _)| *n).collect()
}
