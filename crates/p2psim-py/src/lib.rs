//! p2psim for Python: the extension module `p2psim._p2psim` under the Python package `p2psim`
//! (`python/p2psim/`), which turns its text results into pandas tables.
//!
//! What it is: experiments read, checked and written ([`experiment`]), runs that release the GIL
//! and return their result files as text ([`run`]), sweeps ([`sweep`]), and protocols written in
//! Python run as services ([`protocol`]). Everything goes through the `p2psim` facade, so the
//! numbers are the command line's, byte for byte.
//!
//! What it is not: the pandas layer and the `Protocol` base class, which are Python
//! (`python/p2psim/__init__.py`).

mod experiment;
mod protocol;
mod run;
mod sweep;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

/// A p2psim error as a Python exception: bad input (with the file, line:col and field as the
/// command line gives them) is a `ValueError`, a failure of the system an `OSError`.
pub(crate) fn to_py(e: p2psim::Error) -> PyErr {
    if e.is_input() { PyValueError::new_err(e.to_string()) } else { PyOSError::new_err(e.to_string()) }
}

#[pymodule]
fn _p2psim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<experiment::Experiment>()?;
    m.add_function(wrap_pyfunction!(experiment::tutorial, m)?)?;
    m.add_function(wrap_pyfunction!(experiment::tutorials, m)?)?;
    m.add_function(wrap_pyfunction!(run::run, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep, m)?)?;
    Ok(())
}
