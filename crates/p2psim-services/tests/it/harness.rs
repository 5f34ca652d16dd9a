//! Built-in protocols as state machines, driven by hand through the testing harness: no kernel,
//! no network traffic, effects inspected as data.

use p2psim_kernel::{Param, Seed, SimDuration, SimTime};
use p2psim_services::testing::Harness;
use p2psim_services::{Effect, Message, PushGossip, PushGossipConfig, Relay, RumorMongering, RumorMongeringConfig};

use crate::p;

fn push(relay: Relay, fanout: f64) -> Harness<PushGossip> {
    let config = PushGossipConfig { fanout: Param::Const(fanout), relay, ..Default::default() };
    // A star: peer 0 linked to 1..=4.
    Harness::from_config(&config, 5, &[(0, 1), (0, 2), (0, 3), (0, 4)], Seed(1))
}

fn gossip(idx: p2psim_services::MsgIdx, ttl: u8, hops: u8) -> Message {
    Message::Gossip { idx, ttl, tampered: false, validation: 0, size: 310, hops }
}

#[test]
fn push_relays_to_fanout_neighbours_but_the_sender_while_the_ttl_lasts() {
    let mut h = push(Relay::EveryCopy, 2.0);
    let m = h.produce(p(1));
    h.at(SimTime::from_millis(5));
    let effects = h.deliver(p(0), p(1), gossip(m, 3, 1));
    let sends = Harness::<PushGossip>::sends(&effects);
    assert_eq!(sends.len(), 2, "fanout 2 of the 3 neighbours other than the sender");
    for (from, to, msg) in &sends {
        assert_eq!(*from, p(0));
        assert_ne!(*to, p(1), "never back to the sender");
        assert_eq!(**msg, gossip(m, 2, 2), "one hop more, one TTL less");
    }
    let r = h.record(p(0), m).unwrap();
    assert_eq!((r.first_seen, r.copies, r.hops), (SimTime::from_millis(5), 1, 1));
    // Every copy is relayed (P2PSimpy), until the TTL runs out.
    assert_eq!(Harness::<PushGossip>::sends(&h.deliver(p(0), p(2), gossip(m, 1, 4))).len(), 2);
    assert!(h.deliver(p(0), p(3), gossip(m, 0, 4)).is_empty(), "TTL 0: stored, not relayed");
    assert_eq!(h.record(p(0), m).unwrap().copies, 3);
    assert_eq!(h.record(p(0), m).unwrap().hops, 1, "the first copy's hops");
}

#[test]
fn push_first_copy_relays_once() {
    let mut h = push(Relay::FirstCopy, 3.0);
    let m = h.produce(p(1));
    assert_eq!(Harness::<PushGossip>::sends(&h.deliver(p(0), p(1), gossip(m, 3, 1))).len(), 3);
    assert!(h.deliver(p(0), p(2), gossip(m, 3, 2)).is_empty());
    // Injected at a peer: stored with 0 hops, sent to `fanout` neighbours with 1.
    let n = h.produce(p(0));
    let sends: Vec<_> = Harness::<PushGossip>::sends(&h.inject(p(0), n, 4)).into_iter().map(|s| s.2.clone()).collect();
    assert_eq!(sends, vec![gossip(n, 4, 1); 3]);
    assert_eq!(h.record(p(0), n).unwrap().hops, 0);
}

#[test]
fn rumor_monger_pushes_each_round_and_a_counter_resets_on_a_necessary_push() {
    let config = RumorMongeringConfig {
        k: Param::Const(2.0),
        loss: p2psim_services::LossOfInterest::Counter,
        ..Default::default()
    };
    let mut h = Harness::<RumorMongering>::from_config(&config, 6, &[], Seed(3));
    let m = h.produce(p(0));
    h.inject(p(0), m, 0);
    // Round 1 (at 1000 ms: offset 0 + period 1000): one push to a uniformly chosen peer.
    h.at(SimTime::from_millis(1000));
    let effects = h.round(p(0));
    let sends = Harness::<RumorMongering>::sends(&effects);
    assert_eq!(sends.len(), 1);
    assert!(matches!(sends[0].2, Message::Rumor { round: 1, hops: 1, .. }));
    assert!(
        effects.iter().all(|e| matches!(e, Effect::Send { connectionless: true, .. })),
        "uniform partners: no link"
    );
    let feedback = |necessary| Message::Feedback { idx: m, necessary };
    // Unnecessary, necessary (resets), unnecessary: still hot; a second unnecessary in a row: k = 2 reached.
    h.deliver(p(0), p(1), feedback(false));
    h.deliver(p(0), p(1), feedback(true));
    h.deliver(p(0), p(2), feedback(false));
    assert_eq!(Harness::<RumorMongering>::sends(&h.at(SimTime::from_millis(2000)).round(p(0))).len(), 1, "still hot");
    h.deliver(p(0), p(3), feedback(false));
    assert!(h.at(SimTime::from_millis(3000)).round(p(0)).is_empty(), "lost interest after 2 unnecessary in a row");
    // The receiving side judges at the start of the sender's cycle: peer 4 learnt it in cycle 3
    // (3000 ms), so a push of cycle 3 arriving later is still necessary, one of cycle 4 is not.
    let mut h = Harness::<RumorMongering>::from_config(&config, 6, &[], Seed(3));
    let m = h.produce(p(0));
    h.at(SimTime::from_millis(3001));
    let first = h.deliver(p(4), p(1), Message::Rumor { idx: m, hops: 1, round: 3 });
    let again = h.deliver(p(4), p(2), Message::Rumor { idx: m, hops: 2, round: 3 });
    h.at(SimTime::from_millis(4001));
    let later = h.deliver(p(4), p(3), Message::Rumor { idx: m, hops: 2, round: 4 });
    let verdict = |effects: &[Effect]| match Harness::<RumorMongering>::sends(effects)[..] {
        [(_, _, Message::Feedback { necessary, .. })] => *necessary,
        ref other => panic!("one feedback expected: {other:?}"),
    };
    assert!(verdict(&first) && verdict(&again), "both pushes of cycle 3 reached a peer that did not know it then");
    assert!(!verdict(&later), "a push of cycle 4 reached a peer that knew it since cycle 3");
    let _ = SimDuration::ZERO;
}
