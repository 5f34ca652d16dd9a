//! Same experiment and seed: byte-identical summary; another seed: a different one; chunked runs
//! equal one run.

use p2psim::Simulation;
use p2psim::kernel::SimTime;

use crate::{example, summary_json};

#[test]
fn same_seed_gives_byte_identical_summaries_and_another_seed_differs() {
    for name in ["faults-push", "faults-pull", "gossip", "byzantine"] {
        let (_, mut exp) = example(name);
        exp.analysis.snapshot_every_ms = None;
        let a = summary_json(&exp);
        assert_eq!(a, summary_json(&exp), "{name}");
        exp.seed += 1;
        assert_ne!(a, summary_json(&exp), "{name}: the seed must matter");
    }
}

#[test]
fn a_run_in_chunks_equals_one_run() {
    let (_, exp) = example("faults-push");
    let one = summary_json(&exp);
    let mut sim = Simulation::new(&exp).unwrap();
    for t in [1, 999, 1000, 1001, 2500, 4321, 5999] {
        sim.run_until(SimTime::from_millis(t)).unwrap();
    }
    sim.run().unwrap();
    assert_eq!(p2psim::report(&sim).0.to_json(), one);
}
