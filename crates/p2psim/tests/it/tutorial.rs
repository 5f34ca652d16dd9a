//! The tutorials' conclusions, over several seeds.

use p2psim::services::MsgIdx;

use crate::example;

#[test]
fn pull_takes_longer_and_costs_less_bandwidth_than_push() {
    // The faults tutorial: "Pull based gossip takes more time to converge on average, but enjoys a
    // lesser overhead." Checked on every seed, not on average.
    for seed in 0..5 {
        let run = |name: &str| {
            let (_, mut exp) = example(name);
            exp.seed = seed;
            exp.analysis.snapshot_every_ms = None;
            let mut sim = crate::sim(&exp);
            sim.run().unwrap();
            p2psim::report(&sim).0
        };
        let (push, pull) = (run("faults-push"), run("faults-pull"));
        assert!(pull.tutorial_mean_delay_ms > push.tutorial_mean_delay_ms, "seed {seed}: delay");
        assert!(pull.bytes_per_s_per_peer.0 < push.bytes_per_s_per_peer.0, "seed {seed}: bandwidth");
    }
}

#[test]
fn validation_keeps_altered_data_out_of_honest_storages() {
    let (_, exp) = example("byzantine");
    let count_tampered = |exp: &p2psim::Experiment| {
        let mut sim = crate::sim(exp);
        sim.run().unwrap();
        let w = sim.world();
        let slot = sim.gossip_service().unwrap();
        let mut n = 0;
        for &p in w.service_members(slot) {
            for m in w.messages().all() {
                n += w.record(slot, p, m).is_some_and(|r| r.tampered) as u32;
            }
        }
        assert!(w.messages().len() > 5 && w.record(slot, w.service_members(slot)[0], MsgIdx(0)).is_some());
        n
    };
    assert_eq!(count_tampered(&exp), 0, "validation rejects every altered copy");
    let mut open = exp.clone();
    for t in &mut open.peer_types {
        for (_, s) in &mut t.services {
            if let Some(c) = s.config::<p2psim::services::ProducerConfig>() {
                *s = p2psim::services::ProducerConfig { validation: None, ..c.clone() }.into();
            }
        }
    }
    assert!(count_tampered(&open) > 0, "without validation, altered data spreads");
}
