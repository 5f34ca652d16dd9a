//! `CounterBroadcast` (Ni et al.'s counter-based scheme): by hand through the harness, and whole
//! runs whose traffic follows from the graph exactly at the two ends of the threshold.

use p2psim_kernel::{Kernel, Param, Seed, SimTime, StreamKey};
use p2psim_net::{NetConfig, PeerId, Topology};
use p2psim_services::testing::Harness;
use p2psim_services::{
    Bootstrap, CheckedTypes, CounterBroadcast, CounterBroadcastConfig, Effect, Event, Message, ServiceId, ServiceSpec,
    World,
};

use crate::{one_ms, p, ty};

fn gossip(idx: p2psim_services::MsgIdx, hops: u8) -> Message {
    Message::Gossip { idx, ttl: 5, tampered: false, validation: 0, size: 310, hops }
}

fn config(threshold: f64) -> CounterBroadcastConfig {
    CounterBroadcastConfig { threshold: Param::Const(threshold), ..Default::default() }
}

#[test]
fn a_rebroadcast_waits_its_delay_and_is_suppressed_by_threshold_copies() {
    for (threshold, sends) in [(2.0, 0), (3.0, 3)] {
        // A star: peer 0 linked to 1..=4.
        let mut h: Harness<CounterBroadcast> =
            Harness::from_config(&config(threshold), 5, &[(0, 1), (0, 2), (0, 3), (0, 4)], Seed(1));
        let m = h.produce(p(1));
        let first = h.deliver(p(0), p(1), gossip(m, 1));
        assert!(Harness::<CounterBroadcast>::sends(&first).is_empty(), "nothing is sent before the delay ends");
        let delay = first.iter().find_map(|e| if let Effect::Timer { after, .. } = e { Some(*after) } else { None });
        let delay = delay.expect("the first copy starts the assessment delay");
        assert!(delay.as_millis_f64() < 10.0, "drawn in [0, max_delay_ms)");
        assert!(h.deliver(p(0), p(2), gossip(m, 2)).is_empty(), "a second copy is only counted");
        assert_eq!(h.record(p(0), m).map(|r| r.copies), Some(2));
        let effects = h.timer(p(0), m.0);
        let out = Harness::<CounterBroadcast>::sends(&effects);
        assert_eq!(out.len(), sends, "threshold {threshold} after 2 copies");
        // The first copy goes on, one hop further and one TTL lower, never back to its sender.
        let relayed = Message::Gossip { idx: m, ttl: 4, tampered: false, validation: 0, size: 310, hops: 2 };
        assert!(out.iter().all(|(_, to, msg)| *to != p(1) && **msg == relayed));
    }
}

/// A run on a `d`-regular graph of `n` peers from one injection: peers reached, updates sent.
fn run(n: u32, d: u32, threshold: f64, seed: u64) -> (usize, u64) {
    let topology = Topology::random_regular(n, d, &mut Seed(seed).stream(StreamKey::new("topology"))).unwrap();
    let spec = ServiceSpec::from(config(threshold));
    let types = CheckedTypes::new(vec![ty("peer", vec![("b", spec)])], &one_ms()).unwrap();
    let config = NetConfig { monitors: false, ..NetConfig::default() };
    let mut w = World::new(Seed(seed), one_ms(), config, &types, &vec![0; n as usize], topology, Bootstrap::Instant);
    let mut k = Kernel::<Event>::new();
    w.start(&mut k);
    w.inject(&mut k, PeerId(0), 255);
    k.run_until(SimTime::from_millis(10_000), &mut w).unwrap();
    let s = ServiceId(0);
    let reached = (0..n).filter(|&q| w.record(s, PeerId(q), p2psim_services::MsgIdx(0)).is_some()).count();
    (reached, w.service_updates(s))
}

#[test]
fn above_every_degree_it_floods_and_at_one_only_the_source_sends() {
    let (n, d) = (300, 4);
    for seed in 0..5 {
        // Flooding: the source sends to its d neighbours, every other peer once to its d − 1
        // neighbours other than its first sender.
        let (reached, updates) = run(n, d, 5.0, seed);
        assert_eq!(reached, n as usize, "a random 4-regular graph is connected");
        assert_eq!(updates, u64::from(d) + (n as u64 - 1) * u64::from(d - 1));
        // Threshold 1: the first copy suppresses every rebroadcast.
        assert_eq!(run(n, d, 1.0, seed), (d as usize + 1, u64::from(d)));
    }
}

#[test]
fn a_threshold_between_saves_rebroadcasts() {
    let (n, d) = (300, 6);
    let flood = u64::from(d) + (n as u64 - 1) * u64::from(d - 1);
    for seed in 0..5 {
        let (reached, updates) = run(n, d, 2.0, seed);
        assert!(updates < flood, "seed {seed}: {updates} updates, flooding sends {flood}");
        assert!(reached > d as usize + 1, "seed {seed}: some peers rebroadcast ({reached} reached)");
    }
}
