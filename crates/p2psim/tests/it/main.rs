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
mod tutorial;
mod workload;

use p2psim::{Error, Experiment, Protocols, Scenario, Simulation};

/// The example experiments shipped in `examples/experiments/`.
pub(crate) fn example(name: &str) -> (String, Experiment) {
    let path = format!("{}/../../examples/experiments/{name}.ron", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let exp = read(&text, &path).unwrap();
    (text, exp)
}

/// Reads and checks an experiment with the built-in protocols (errors located in `file`).
pub(crate) fn read(text: &str, file: &str) -> Result<Experiment, Error> {
    Scenario::from_ron(text, file, &Protocols::new()).map(|s| s.experiment().clone())
}

/// The simulation of an experiment that passes its checks.
pub(crate) fn sim(exp: &Experiment) -> Simulation {
    Simulation::new(Scenario::new(exp).unwrap())
}

/// Runs an experiment to its end; returns its `summary.json` text.
pub(crate) fn summary_json(exp: &Experiment) -> String {
    let mut sim = sim(exp);
    sim.run().unwrap();
    p2psim::report(&sim).0.to_json()
}

/// Writes a finished run's results into a fresh folder `dir`; returns its summary.
pub(crate) fn write(sim: &Simulation, dir: &std::path::Path) -> Result<p2psim::Summary, Error> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    p2psim::write_results(sim, dir)
}
