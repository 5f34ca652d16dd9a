//! Schedule semantics and reconnection rules, exactly.

use p2psim_disruption::{FaultError, FaultSpec, Groups, Selector, Timing};
use p2psim_kernel::{Param, SimTime};
use p2psim_net::{DropReason, PeerId, PeerState};
use p2psim_services::Message;

use crate::{cm_world, state_at};

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
    let timing: Timing =
        ron::from_str("Random(start_time: Const(100), disruption_time: Const(50), disruption_intervals: Const(10))")
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
        factor: 0.2,
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
        timing: Timing::Once { at: 100.0, duration: 50.0 },
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
    f.world.send(&mut k, PeerId(0), PeerId(1), Message::Hello, true);
    k.run_until(SimTime::from_millis(5010), &mut f).unwrap();
    assert_eq!(f.world.net().counters().dropped(DropReason::Partitioned), before, "healed");
    assert!(f.world.net().is_connected(PeerId(0), PeerId(1)));
}

#[test]
fn joining_peers_are_absent_until_they_join_then_link() {
    let fault =
        FaultSpec::Join { peers: Selector::Peers(vec![3]), at: Param::Const(500.0), links: 2, to: vec!["peer".into()] };
    let (mut k, mut f) = cm_world(5, 4, &[(0, 1), (1, 2)], &[fault]);
    assert_eq!(state_at(&mut k, &mut f, 499.0, 3), PeerState::Absent);
    assert_eq!(state_at(&mut k, &mut f, 502.0, 3), ON);
    assert_eq!(f.world.net().degree(PeerId(3)), 2);
}

#[test]
fn bad_faults_are_named_errors() {
    let world = || cm_world(1, 2, &[], &[]).1.world;
    let e = p2psim_disruption::Faulty::new(
        world(),
        &[FaultSpec::Downtime { peers: Selector::Type("peers".into()), timing: Timing::Scheduled(vec![]) }],
    );
    assert_eq!(e.err(), Some(FaultError::Unknown { fault: 0, what: "peer type", name: "peers".into() }));
    let e = p2psim_disruption::Faulty::new(
        world(),
        &[FaultSpec::Slowdown { peers: Selector::All, timing: Timing::Scheduled(vec![]), factor: 1.5 }],
    );
    assert!(matches!(e.err(), Some(FaultError::Bad { field: "factor", .. })));
    let e = p2psim_disruption::Faulty::new(
        world(),
        &[FaultSpec::Downtime { peers: Selector::Peers(vec![9]), timing: Timing::Scheduled(vec![]) }],
    );
    assert_eq!(e.err(), Some(FaultError::UnknownPeer { fault: 0, peer: 9, peers: 2 }));
    let e = p2psim_disruption::Faulty::new(
        world(),
        &[FaultSpec::Downtime {
            peers: Selector::All,
            timing: Timing::Availability { interval: 10.0, mtbf: 100.0, availability: 1.0, p2psimpy_formula: false },
        }],
    );
    assert!(matches!(e.err(), Some(FaultError::Bad { field: "availability", .. })));
}
