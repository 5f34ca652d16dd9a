//! Tutorial 01: peers that only keep their links alive.
//!
//! Run with `cargo run -p examples --example perfect_world`; the experiment is `experiments/perfect-world.ron`.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use p2psim::prelude::*;

fn main() -> Result<(), Error> {
    let scenario =
        Scenario::from_ron(include_str!("../experiments/perfect-world.ron"), "perfect-world.ron", &Protocols::new())?;
    let mut sim = Simulation::new(scenario);
    sim.run()?;
    let (summary, _) = p2psim::report(&sim);
    print!("{}", summary.to_json());
    Ok(())
}
