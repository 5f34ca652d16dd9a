//! Each service's exact behaviour on small scenarios, checked by hand. Every message takes 1 ms.

use p2psim_kernel::{Dist, Param, SimTime};
use p2psim_net::DropReason;
use p2psim_services::{
    Bootstrap, ConnectionManagerConfig, Kind, MaliciousGossipConfig, MsgIdx, ProducerConfig, PullGossipConfig,
    PushGossipConfig, RangedPullGossipConfig, Record, Relay, Rounds, ServiceSpec, ValidationConfig, gossip_size,
};

use crate::{ms, p, ty, world};

fn producer(ttl: u8) -> ServiceSpec {
    ServiceSpec::from(ProducerConfig { init_ttl: Param::Const(f64::from(ttl)), ..ProducerConfig::default() })
}

fn push(relay: Relay) -> ServiceSpec {
    ServiceSpec::from(PushGossipConfig { exclude_types: vec!["client".into()], relay, ..Default::default() })
}

fn rec(first_ms: f64, copies: u32, hops: u8) -> Option<Record> {
    Some(Record { first_seen: ms(first_ms), copies, hops, tampered: false })
}

#[test]
fn producer_sends_every_200_ms_from_1000_and_push_relays_every_copy_while_ttl_lasts() {
    // Client 3 linked to peer 0; peers 0, 1, 2 form a triangle. TTL 2, fanout 3, clients excluded.
    let types =
        vec![ty("peer", vec![("gossip", push(Relay::EveryCopy))]), ty("client", vec![("producer", producer(2))])];
    let (mut k, mut w) = world(1, types, vec![0, 0, 0, 1], &[(0, 1), (1, 2), (0, 2), (3, 0)], Bootstrap::Instant);
    k.run_until(SimTime::from_millis(1100), &mut w).unwrap();
    let g = w.service("peer", "gossip").unwrap();
    let m = MsgIdx(0);
    assert_eq!(w.messages().produced_at(m), ms(1000.0));
    // 0 gets it at 1001 (ttl 2) and relays ttl 1 to 1 and 2 (1002); each relays ttl 0 to the other
    // (1003): 5 receptions, 0 excluded as sender each time.
    assert_eq!(w.record(g, p(0), m), rec(1001.0, 1, 1));
    assert_eq!(w.record(g, p(1), m), rec(1002.0, 2, 2), "first from 0 (2 hops), then from 2 (3)");
    assert_eq!(w.record(g, p(2), m), rec(1002.0, 2, 2));
    let prod = w.service("client", "producer").unwrap();
    assert_eq!(w.record(prod, p(3), m), rec(1000.0, 1, 0), "the producer stores its own message");
    k.run_until(SimTime::from_millis(5000), &mut w).unwrap();
    assert_eq!(w.messages().len(), 20, "1000, 1200, …, 4800: the one due at 5000 is not processed");
    assert_eq!(w.sent_by_kind(p(0), Kind::Gossip.id()).msgs, 40, "peer 0 relays each message to 1 and 2");
    assert_eq!(w.sent_by_kind(p(0), Kind::Gossip.id()).bytes, 40 * u64::from(gossip_size(20)));
    assert_eq!(w.unhandled(), 0);
}

#[test]
fn push_traffic_is_k_times_the_geometric_sum_without_duplicate_suppression() {
    // Complete graph of 40 peers plus a client linked to 5 of them: with enough candidates every
    // relay reaches 3 peers, so each message makes 5 · (1 + 3 + 9) = 65 receptions (ttl 2).
    let mut edges: Vec<(u32, u32)> = Vec::new();
    for a in 0..40 {
        for b in a + 1..40 {
            edges.push((a, b));
        }
    }
    edges.extend((0..5).map(|i| (40, i)));
    let mut types =
        vec![ty("peer", vec![("gossip", push(Relay::EveryCopy))]), ty("client", vec![("producer", producer(2))])];
    let mut kinds = vec![0u16; 40];
    kinds.push(1);
    let (mut k, mut w) = world(2, types.clone(), kinds.clone(), &edges, Bootstrap::Instant);
    k.run_until(SimTime::from_millis(1100), &mut w).unwrap();
    let g = w.service("peer", "gossip").unwrap();
    let copies: u32 = (0..40).filter_map(|i| w.record(g, p(i), MsgIdx(0))).map(|r| r.copies).sum();
    assert_eq!(copies, 65);
    // Relaying the first copy only: every reception of a first copy relays, later ones do not.
    types[0] = ty("peer", vec![("gossip", push(Relay::FirstCopy))]);
    let (mut k, mut w) = world(2, types, kinds, &edges, Bootstrap::Instant);
    k.run_until(SimTime::from_millis(1100), &mut w).unwrap();
    let recs: Vec<Record> = (0..40).filter_map(|i| w.record(g, p(i), MsgIdx(0))).collect();
    let firsts = recs.len() as u32;
    let copies: u32 = recs.iter().map(|r| r.copies).sum();
    // 5 initial copies; a first copy at ttl 2 or 1 makes 3 more; ttl-0 copies make none.
    assert!(copies < 65 && copies > firsts, "{copies} copies, {firsts} peers");
}

#[test]
fn validation_delays_acceptance_and_rejects_tampered_data() {
    let one_ms = Dist::sample(vec![1.0], None).unwrap();
    let producer = ServiceSpec::from(ProducerConfig {
        init_ttl: Param::Const(2.0),
        validation: Some(ValidationConfig { delay: one_ms, reject_tampered: true }),
        ..ProducerConfig::default()
    });
    // Client 2 → honest 0 → malicious 1 (fanout 2: original to one, altered to the other) → 3, 4.
    let bad =
        ServiceSpec::from(MaliciousGossipConfig(PushGossipConfig { fanout: Param::Const(2.0), ..Default::default() }));
    let honest = ServiceSpec::from(PushGossipConfig { exclude_types: vec!["client".into()], ..Default::default() });
    let types = vec![
        ty("peer", vec![("gossip", honest)]),
        ty("malicious", vec![("gossip", bad)]),
        ty("client", vec![("producer", producer)]),
    ];
    let (mut k, mut w) = world(3, types, vec![0, 1, 2, 0, 0], &[(2, 0), (0, 1), (1, 3), (1, 4)], Bootstrap::Instant);
    k.run_until(SimTime::from_millis(1050), &mut w).unwrap();
    let g = w.service("peer", "gossip").unwrap();
    // 0: arrives 1001, validated by 1002, relayed; 1: arrives 1003, validated by 1004, relayed to 3
    // and 4: arrive 1005, validated by 1006.
    assert_eq!(w.record(g, p(0), MsgIdx(0)), rec(1002.0, 1, 1));
    let at3 = w.record(g, p(3), MsgIdx(0));
    let at4 = w.record(g, p(4), MsgIdx(0));
    assert_eq!(at3.is_some() as u32 + at4.is_some() as u32, 1, "one of 3 and 4 got the altered copy, rejected");
    assert_eq!(at3.or(at4), rec(1006.0, 1, 3));
    assert_eq!(w.net().counters().dropped(DropReason::Rejected), 1);
}

#[test]
fn connection_manager_pings_the_quiet_and_drops_the_silent_after_max_silence() {
    let cm = ServiceSpec::from(ConnectionManagerConfig::default());
    let types = vec![ty("peer", vec![("cm", cm)])];
    let (mut k, mut w) = world(4, types, vec![0, 0, 0], &[(0, 1), (0, 2)], Bootstrap::Instant);
    assert!(w.control(&mut k).take_offline(p(2)));
    // Checks at 0, 500, …: links never heard from count as heard from at the first check (0); a ping
    // goes out once last-seen is more than 500 ms old; the silent peer is dropped once more than
    // 3000 ms pass: at the check at 3500.
    k.run_until(ms(3499.0), &mut w).unwrap();
    assert!(w.net().is_connected(p(0), p(2)));
    k.run_until(ms(3501.0), &mut w).unwrap();
    assert!(!w.net().is_connected(p(0), p(2)), "dropped at 3500");
    assert!(w.net().is_connected(p(0), p(1)), "answered pings keep the link");
    k.run_until(ms(20_000.0), &mut w).unwrap();
    assert!(w.net().is_connected(p(0), p(1)));
    // 0 pings 1 at 1000, then whenever 1 was last heard more than 500 ms ago.
    assert!(w.sent_by_kind(p(0), Kind::Ping.id()).msgs > 10);
    assert_eq!(w.sent_by_kind(p(2), Kind::Ping.id()).msgs, 0, "an offline peer's checks pause");
}

#[test]
fn hello_bootstrap_makes_links_when_the_hellos_arrive() {
    let cm = ServiceSpec::from(ConnectionManagerConfig::default());
    let (mut k, mut w) = world(5, vec![ty("peer", vec![("cm", cm)])], vec![0, 0], &[(0, 1)], Bootstrap::Hello);
    assert!(!w.net().is_connected(p(0), p(1)));
    k.run_until(ms(0.999), &mut w).unwrap();
    assert!(!w.net().is_connected(p(0), p(1)));
    k.run_until(ms(1.001), &mut w).unwrap();
    assert!(w.net().is_connected(p(0), p(1)));
    k.run_until(ms(10.0), &mut w).unwrap();
    // Both Hellos arrive at 1 ms: the first links, the second finds the link and is not answered;
    // the first's answer arrives at 2 ms and is not answered either.
    assert_eq!(w.sent_by_kind(p(0), Kind::Hello.id()).msgs + w.sent_by_kind(p(1), Kind::Hello.id()).msgs, 3);
}

fn sync_pull(ranged: bool) -> ServiceSpec {
    let c = PullGossipConfig {
        fanout: Param::Const(1.0),
        round_time: Param::Const(500.0),
        init_timeout: Param::Const(0.0),
        rounds: Rounds::Synchronous { offset: 0.0 },
        ..Default::default()
    };
    if ranged { ServiceSpec::from(RangedPullGossipConfig(c)) } else { ServiceSpec::from(c) }
}

#[test]
fn pull_exchange_follows_p2psimpy_step_by_step() {
    // A (0) holds message 0_1, B (1) nothing. Round at 500: both send SyncPing. At 501 B asks for
    // what A advertised (MsgRequest) and A tells B what B lacks (SyncPong); at 502 A answers the
    // request and B asks again after the pong; at 503 B stores the first response, at 504 the second.
    let (mut k, mut w) =
        world(6, vec![ty("peer", vec![("pull", sync_pull(false))])], vec![0, 0], &[(0, 1)], Bootstrap::Instant);
    let m = w.inject(&mut k, p(0), 0);
    k.run_until(ms(600.0), &mut w).unwrap();
    let s = w.service("peer", "pull").unwrap();
    assert_eq!(w.record(s, p(1), m), rec(503.0, 2, 1), "pulled from the source: one hop");
    let a = |k: Kind| w.sent_by_kind(p(0), k.id());
    assert_eq!(a(Kind::SyncPing).msgs, 1);
    assert_eq!(a(Kind::SyncPing).bytes, 25, "20 + len(\"'0_1'\")");
    assert_eq!(a(Kind::SyncPong).msgs, 1);
    assert_eq!(a(Kind::MsgResponse).msgs, 2);
    assert_eq!(a(Kind::MsgResponse).bytes, 2 * (20 + 5 + 310));
    assert_eq!(w.sent_by_kind(p(1), Kind::SyncPing.id()).bytes, 20, "an empty index adds nothing to the base");
}

#[test]
fn ranged_pull_requests_holes_and_fills_them() {
    let (mut k, mut w) =
        world(7, vec![ty("peer", vec![("pull", sync_pull(true))])], vec![0, 0], &[(0, 1)], Bootstrap::Instant);
    let ms_ = [w.inject(&mut k, p(0), 0), w.inject(&mut k, p(0), 0), w.inject(&mut k, p(0), 0)];
    k.run_until(ms(600.0), &mut w).unwrap();
    let s = w.service("peer", "pull").unwrap();
    for m in ms_ {
        assert_eq!(w.record(s, p(1), m).map(|r| r.first_seen), Some(ms(503.0)));
    }
    let r = w.storage(s).range(1, 0).unwrap();
    assert_eq!((r.last, r.holes.len()), (3, 0));
    // A's ranged index {0: 3} costs 20 + 1 + 1 bytes.
    assert_eq!(w.sent_by_kind(p(0), Kind::SyncPing.id()).bytes, 22);
}
