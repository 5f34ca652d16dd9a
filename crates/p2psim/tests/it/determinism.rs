//! Same experiment and seed: byte-identical summary; another seed: a different one; chunked runs
//! equal one run.

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
    let mut sim = crate::sim(&exp);
    for t in [1, 999, 1000, 1001, 2500, 4321, 5999] {
        sim.run_until(SimTime::from_millis(t)).unwrap();
    }
    sim.run().unwrap();
    assert_eq!(p2psim::report(&sim).0.to_json(), one);
}

#[test]
fn a_run_under_an_event_budget_stops_there_and_continues_exactly() {
    let (_, exp) = example("faults-push");
    let mut whole = crate::sim(&exp);
    whole.run().unwrap();
    let end = SimTime::from_millis(exp.until_ms);
    let mut sim = crate::sim(&exp);
    let mut stops = 0;
    while !sim.run_until_at_most(end, 997).unwrap() {
        stops += 1;
        assert_eq!(sim.events(), stops * 997, "a run stops short only at its budget");
        assert!(sim.now() < end);
    }
    assert!(stops > 5, "the budget should bite: {stops} stops for {} events", sim.events());
    assert_eq!(p2psim::report(&sim).0.to_json(), p2psim::report(&whole).0.to_json());
    assert_eq!(sim.snapshots().len(), 61, "snapshots at 0, 100, …, 6000 ms");
    assert_eq!(sim.snapshots(), whole.snapshots());
}
