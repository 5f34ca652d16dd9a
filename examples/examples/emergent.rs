//! Tutorial 01, last part: a topology that emerges from peer discovery.
//!
//! Run with `cargo run -p examples --example emergent`; the experiment is `experiments/emergent.ron`.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use p2psim::prelude::*;

fn main() -> Result<(), Error> {
    let scenario = Scenario::from_ron(include_str!("../experiments/emergent.ron"), "emergent.ron", &Protocols::new())?;
    let mut sim = Simulation::new(scenario);
    sim.run()?;
    let (summary, _) = p2psim::report(&sim);
    print!("{}", summary.to_json());
    Ok(())
}
