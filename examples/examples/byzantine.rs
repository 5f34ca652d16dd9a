//! Tutorial 04: malicious relays, and validation that keeps altered data out.
//!
//! Run with `cargo run -p examples --example byzantine`; the experiment is `experiments/byzantine.ron`.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use p2psim::prelude::*;

fn main() -> Result<(), Error> {
    let scenario =
        Scenario::from_ron(include_str!("../experiments/byzantine.ron"), "byzantine.ron", &Protocols::new())?;
    let mut sim = Simulation::new(scenario);
    sim.run()?;
    let (summary, _) = p2psim::report(&sim);
    print!("{}", summary.to_json());
    Ok(())
}
