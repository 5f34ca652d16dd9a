//! Integration tests of the facade: experiments in, summaries out.

mod determinism;
mod errors;
mod golden;
mod known_copies;
mod liveness;
mod loader;
mod measures;
mod output;
mod reference;
mod report;
mod sweep;
mod tutorial;
mod workload;

use p2psim::Experiment;

/// The example experiments shipped in `examples/experiments/`.
pub(crate) fn example(name: &str) -> (String, Experiment) {
    let path = format!("{}/../../examples/experiments/{name}.ron", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let exp = Experiment::from_ron(&text, &path).unwrap();
    (text, exp)
}

/// Runs an experiment to its end; returns its `summary.json` text.
pub(crate) fn summary_json(exp: &Experiment) -> String {
    let mut sim = p2psim::Simulation::new(exp).unwrap();
    sim.run().unwrap();
    p2psim::report(&sim).0.to_json()
}
