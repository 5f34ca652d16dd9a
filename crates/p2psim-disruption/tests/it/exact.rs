//! Schedule semantics and reconnection rules, exactly.

use p2psim_disruption::{FaultCheckCx, FaultSpec, Groups, Selector, Timing};
use p2psim_kernel::{Param, SimTime};
use p2psim_net::{DropReason, PeerId, PeerState};

use crate::{cm_world, locations, state_at};

const ON: PeerState = PeerState::Online;
const OFF: PeerState = PeerState::Offline;

#[test]
fn scheduled_durations_are_relative_to_the_previous_change() {
    let fault = FaultSpec::Downtime {
        peers: Selector::Peers(vec![0]),
        timing: Timing::Scheduled(vec![100.0, 200.0, 100.0, 300.0]),
    };
    let (mut k, mut f) = cm_world(1, 2, &[(0, 1)], &[fault]);
    let expected = [
        (99.0, ON),
        (101.0, OFF),
        (299.0, OFF),
        (301.0, ON),
        (399.0, ON),
        (401.0, OFF),
        (699.0, OFF),
        (701.0, ON),
        (5000.0, ON),
    ];
    for (t, s) in expected {
        assert_eq!(state_at(&mut k, &mut f, t, 0), s, "at {t} ms");
    }
    assert_eq!(state_at(&mut k, &mut f, 5000.0, 1), ON);
    assert_eq!(f.outages(PeerId(0)), 2);
    assert_eq!(f.downtime(PeerId(0)), p2psim_kernel::SimDuration::from_millis(500));
}

#[test]
fn random_timing_reads_p2psimpy_names_with_their_real_meaning() {
    // P2PSimpy: start 100, disruption_time 50 (really the up-time), disruption_intervals 10 (really
    // the down-time): offline at 150, back at 160, offline at 210, back at 220.
    let timing: Timing = serde_json::from_str(
        r#"{"Random": {"start_time": {"Const": 100}, "disruption_time": 50, "disruption_intervals": 10}}"#,
    )
    .unwrap();
    assert_eq!(timing, Timing::Random { start: Param::Const(100.0), up: Param::Const(50.0), down: Param::Const(10.0) });
    let fault = FaultSpec::Downtime { peers: Selector::All, timing };
    let (mut k, mut f) = cm_world(1, 2, &[(0, 1)], &[fault]);
    for (t, s) in [(149.0, ON), (151.0, OFF), (159.0, OFF), (161.0, ON), (209.0, ON), (211.0, OFF), (221.0, ON)] {
        assert_eq!(state_at(&mut k, &mut f, t, 0), s, "at {t} ms");
        assert_eq!(f.world.net().state(PeerId(1)), s, "both peers follow the same constants");
    }
}

#[test]
fn slowdown_throttles_both_bandwidths_and_restores_them_exactly() {
    let fault = FaultSpec::Slowdown {
        peers: Selector::Peers(vec![1]),
        timing: Timing::Scheduled(vec![100.0, 100.0]),
        factor: Param::Const(0.2),
    };
    let (mut k, mut f) = cm_world(1, 2, &[(0, 1)], &[fault]);
    let nominal = f.world.net().nominal_bandwidth(PeerId(1));
    k.run_until(SimTime::from_millis(150), &mut f).unwrap();
    assert_eq!(f.world.net().bandwidth(PeerId(1)), (nominal.0 * 0.2, nominal.1 * 0.2));
    k.run_until(SimTime::from_millis(250), &mut f).unwrap();
    assert_eq!(f.world.net().bandwidth(PeerId(1)), nominal, "bit for bit");
}

#[test]
fn a_returning_peer_restores_the_links_it_had_when_it_went_down() {
    // Peer 0 is down from 1000 to 6000. Its neighbours' managers drop it after 3 s of silence (at the
    // check after 4000); its own manager pauses, so it never drops them itself. Back at 6000, it says
    // Hello to both (a snapshot taken at 1000), and the links are back 1 ms later.
    let fault =
        FaultSpec::Downtime { peers: Selector::Peers(vec![0]), timing: Timing::Scheduled(vec![1000.0, 5000.0]) };
    let (mut k, mut f) = cm_world(2, 3, &[(0, 1), (0, 2), (1, 2)], &[fault]);
    k.run_until(SimTime::from_millis(5999), &mut f).unwrap();
    assert_eq!(f.world.net().degree(PeerId(0)), 0, "dropped by both neighbours during the outage");
    assert!(f.world.net().is_connected(PeerId(1), PeerId(2)));
    k.run_until(SimTime::from_millis_f64(6001.5), &mut f).unwrap();
    assert!(f.world.net().is_connected(PeerId(0), PeerId(1)) && f.world.net().is_connected(PeerId(0), PeerId(2)));
    k.run_until(SimTime::from_millis(20_000), &mut f).unwrap();
    assert_eq!(f.world.net().degree(PeerId(0)), 2, "and they stay");
}

#[test]
fn a_short_outage_keeps_links_and_the_returning_peer_does_not_drop_them() {
    // Down 4000 ms but the neighbour is also down then: nobody hears anybody; on return the links
    // count as fresh, so neither manager drops them for the silence.
    let fault = FaultSpec::Downtime { peers: Selector::All, timing: Timing::Scheduled(vec![1000.0, 4000.0]) };
    let (mut k, mut f) = cm_world(3, 2, &[(0, 1)], &[fault]);
    k.run_until(SimTime::from_millis(12_000), &mut f).unwrap();
    assert!(f.world.net().is_connected(PeerId(0), PeerId(1)));
}

#[test]
fn correlated_failure_takes_down_a_whole_location_at_once() {
    let fault = FaultSpec::Downtime {
        peers: Selector::Location("B".into()),
        timing: Timing::Once { at: Param::Const(100.0), duration: Param::Const(50.0) },
    };
    let (mut k, mut f) = cm_world(1, 6, &[], &[fault]);
    k.run_until(SimTime::from_millis(120), &mut f).unwrap();
    let states: Vec<PeerState> = (0..6).map(|p| f.world.net().state(PeerId(p))).collect();
    assert_eq!(states, vec![ON, OFF, ON, OFF, ON, OFF], "peers 1, 3, 5 are at B");
    k.run_until(SimTime::from_millis(151), &mut f).unwrap();
    assert!((0..6).all(|p| f.world.net().is_online(PeerId(p))));
}

#[test]
fn partitions_cut_traffic_between_groups_until_healed() {
    let fault = FaultSpec::Partition { groups: Groups::Lists(vec![vec![0]]), from: 100.0, until: Some(5000.0) };
    let (mut k, mut f) = cm_world(4, 2, &[(0, 1)], &[fault]);
    k.run_until(SimTime::from_millis(4000), &mut f).unwrap();
    assert!(f.world.net().counters().dropped(DropReason::Partitioned) > 0, "pings across are dropped");
    assert!(!f.world.net().is_connected(PeerId(0), PeerId(1)), "so the managers drop the link");
    let snap = f.snapshot(k.now());
    assert_eq!(snap.links, vec![]);
    let before = f.world.net().counters().dropped(DropReason::Partitioned);
    k.run_until(SimTime::from_millis(5001), &mut f).unwrap();
    f.world.control(&mut k).say_hello(PeerId(0), PeerId(1));
    k.run_until(SimTime::from_millis(5010), &mut f).unwrap();
    assert_eq!(f.world.net().counters().dropped(DropReason::Partitioned), before, "healed");
    assert!(f.world.net().is_connected(PeerId(0), PeerId(1)));
}

#[test]
fn joining_peers_are_absent_until_they_join_then_link() {
    let fault = FaultSpec::Join {
        peers: Selector::Peers(vec![3]),
        at: Param::Const(500.0),
        links: Param::Const(2.0),
        to: vec!["peer".into()],
    };
    let (mut k, mut f) = cm_world(5, 4, &[(0, 1), (1, 2)], &[fault]);
    assert_eq!(state_at(&mut k, &mut f, 499.0, 3), PeerState::Absent);
    assert_eq!(state_at(&mut k, &mut f, 502.0, 3), ON);
    assert_eq!(f.world.net().degree(PeerId(3)), 2);
}

#[test]
fn bad_faults_are_refused_with_the_path_of_the_field() {
    let names = ["peer".to_owned()];
    let locations = locations();
    let cx = FaultCheckCx { peers: 2, type_names: &names, locations: &locations };
    let refused = |f: FaultSpec| f.check(&cx).unwrap_err();
    let e = refused(FaultSpec::Downtime { peers: Selector::Type("peers".into()), timing: Timing::Scheduled(vec![]) });
    assert_eq!(e.to_string(), "peers.Type: unknown peer type `peers` (defined: peer)");
    let e = refused(FaultSpec::Slowdown {
        peers: Selector::All,
        timing: Timing::Scheduled(vec![]),
        factor: Param::Const(1.5),
    });
    assert_eq!(e.path_string(), "factor");
    let e = refused(FaultSpec::Downtime { peers: Selector::Peers(vec![1, 9]), timing: Timing::Scheduled(vec![]) });
    assert_eq!(e.to_string(), "peers.Peers[1]: peer 9 does not exist: the experiment has 2 peers (0 to 1)");
    let e = refused(FaultSpec::Partition { groups: Groups::Lists(vec![vec![0], vec![7]]), from: 0.0, until: None });
    assert_eq!(e.path_string(), "groups.Lists[1][0]", "a partition naming a peer that does not exist: {e}");
    let e = refused(FaultSpec::Downtime {
        peers: Selector::All,
        timing: Timing::Availability {
            interval: Param::Const(10.0),
            mtbf: Param::Const(100.0),
            availability: Param::Const(1.0),
            p2psimpy_formula: false,
        },
    });
    assert_eq!(e.path_string(), "timing.availability");
    // Random timings whose phases round to zero would repeat forever at one instant.
    for bad in [0.0, 1e-9, f64::NAN] {
        let e = refused(FaultSpec::Downtime {
            peers: Selector::All,
            timing: Timing::Random { start: Param::Const(0.0), up: Param::Const(bad), down: Param::Const(bad) },
        });
        assert_eq!(e.path_string(), "timing.up", "up = {bad}");
    }
    let e = refused(FaultSpec::Loss { probability: 0.5, from: 100.0, until: Some(50.0) });
    assert_eq!(e.path_string(), "until");
}

#[test]
fn overlapping_losses_stack_and_each_ends_on_its_own() {
    // Loss 0.5 from 0 to 10 s, and 0.5 from 5 to 15 s: survival 0.5, then 0.25, then 0.5, then 1.
    let a = FaultSpec::Loss { probability: 0.5, from: 0.0, until: Some(10_000.0) };
    let b = FaultSpec::Loss { probability: 0.5, from: 5000.0, until: Some(15_000.0) };
    let (mut k, mut f) = cm_world(8, 2, &[(0, 1)], &[a, b]);
    let mut at = |t: u64, f: &mut p2psim_disruption::RunModel| {
        k.run_until(SimTime::from_millis(t), f).unwrap();
        f.world.net().config().loss
    };
    assert_eq!(at(1000, &mut f), 0.5);
    assert_eq!(at(6000, &mut f), 0.75, "both windows: 1 - 0.5 · 0.5");
    assert_eq!(at(11_000, &mut f), 0.5, "the first ended; the second still holds");
    assert_eq!(at(16_000, &mut f), 0.0);
}

#[test]
fn overlapping_partitions_stack_and_each_heals_on_its_own() {
    // 0 | 1 2 from 100 to 300; 0 1 | 2 from 200 to 400. Pings (every 500 ms) cannot tell: send by hand.
    let a = FaultSpec::Partition { groups: Groups::Lists(vec![vec![0]]), from: 100.0, until: Some(300.0) };
    let b = FaultSpec::Partition { groups: Groups::Lists(vec![vec![0, 1]]), from: 200.0, until: Some(400.0) };
    let (mut k, mut f) = cm_world(9, 3, &[], &[a, b]);
    let mut dropped_after_hello = |t: u64, from: u32, to: u32, f: &mut p2psim_disruption::RunModel| {
        k.run_until(SimTime::from_millis(t), f).unwrap();
        let before = f.world.net().counters().dropped(DropReason::Partitioned);
        f.world.control(&mut k).say_hello(PeerId(from), PeerId(to));
        k.run_until(SimTime::from_millis(t + 5), f).unwrap();
        f.world.net().counters().dropped(DropReason::Partitioned) > before
    };
    assert!(dropped_after_hello(150, 0, 1, &mut f), "the first cuts 0 from 1");
    assert!(!dropped_after_hello(160, 1, 2, &mut f));
    assert!(dropped_after_hello(250, 1, 2, &mut f), "both in force: the second cuts 1 from 2");
    assert!(dropped_after_hello(260, 0, 1, &mut f), "and the first still cuts 0 from 1");
    assert!(!dropped_after_hello(310, 0, 1, &mut f), "the first healed");
    assert!(dropped_after_hello(320, 1, 2, &mut f), "the second has not");
    assert!(!dropped_after_hello(410, 1, 2, &mut f), "both healed");
}
