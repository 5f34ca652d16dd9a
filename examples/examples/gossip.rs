//! Tutorial 02: push gossip from one client over 25 peers.
//!
//! Run with `cargo run -p examples --example gossip`; the experiment is `experiments/gossip.ron`.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use p2psim::prelude::*;

fn main() -> Result<(), Error> {
    let scenario = Scenario::from_ron(include_str!("../experiments/gossip.ron"), "gossip.ron", &Protocols::new())?;
    let mut sim = Simulation::new(scenario);
    sim.run()?;
    let (summary, _) = p2psim::report(&sim);
    print!("{}", summary.to_json());
    Ok(())
}
