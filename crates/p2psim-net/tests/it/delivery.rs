//! The path of a message: exact delays, FIFO downloads, admission, drops, monitors, determinism.

use p2psim_kernel::{Seed, SimDuration, SimTime};
use p2psim_net::{
    BandwidthUnit, Delay, DropReason, LatencyMode, LatencyModel, LocationError, LocationId, Locations, NetConfig,
    NetError, Network, PeerId, PeerSpec, PeerState, TransmissionModel, UploadModel,
};

use crate::{Msg, RejectOdd, const_locations, flood_run, harness};

const A: LocationId = LocationId(0);
const B: LocationId = LocationId(1);
const INF: f64 = f64::INFINITY;

fn spec(location: LocationId, upload: f64, download: f64) -> PeerSpec {
    PeerSpec { location, upload, download }
}

fn ms(x: f64) -> SimTime {
    SimTime::from_millis_f64(x)
}

#[test]
fn delivery_time_is_upload_plus_half_latency_plus_download() {
    let peers = [spec(A, 1000.0, INF), spec(B, INF, 2000.0)];
    let (mut k, mut h) = harness(1, const_locations(), &peers, NetConfig::default(), ());
    h.net.connect(PeerId(0), PeerId(1), SimTime::ZERO);
    // 100 B at 1000 B/s = 100 ms up; A–B round trip 10 ms, half applied; 100 B at 2000 B/s = 50 ms down.
    let arrival = h.net.send(&mut k, PeerId(0), PeerId(1), Msg { id: 1, size: 100 }).unwrap();
    assert_eq!(arrival, ms(105.0));
    k.run_until(SimTime::from_millis(1000), &mut h).unwrap();
    assert_eq!(h.log, vec![(ms(155.0), PeerId(1), PeerId(0), 1)]);

    let full = NetConfig { latency: LatencyModel { halve: false, ..LatencyModel::default() }, ..NetConfig::default() };
    let (mut k, mut h) = harness(1, const_locations(), &peers, full, ());
    h.net.connect(PeerId(0), PeerId(1), SimTime::ZERO);
    h.net.send(&mut k, PeerId(0), PeerId(1), Msg { id: 1, size: 100 }).unwrap();
    k.run_until(SimTime::from_millis(1000), &mut h).unwrap();
    assert_eq!(h.log[0].0, ms(160.0), "the whole draw when the matrix is one-way");
}

#[test]
fn p2psimpy_compat_unit_reads_bandwidth_per_millisecond() {
    let config = NetConfig {
        transmission: TransmissionModel { unit: BandwidthUnit::P2psimpyCompat, ..TransmissionModel::default() },
        ..NetConfig::default()
    };
    let peers = [spec(A, 1000.0, INF), spec(B, INF, 2000.0)];
    let (mut k, mut h) = harness(1, const_locations(), &peers, config, ());
    h.net.connect(PeerId(0), PeerId(1), SimTime::ZERO);
    h.net.send(&mut k, PeerId(0), PeerId(1), Msg { id: 1, size: 100 }).unwrap();
    k.run_until(SimTime::from_millis(1000), &mut h).unwrap();
    assert_eq!(h.log[0].0, ms(0.1 + 5.0 + 0.05));
}

#[test]
fn downloads_are_one_fifo_server_per_peer() {
    // Peer 1 downloads 100 B in 100 ms. Id 2 and 3 arrive together at 0.5 ms (B–B), id 1 at 5 ms.
    let peers = [spec(A, INF, INF), spec(B, INF, 1000.0), spec(B, INF, INF)];
    let (mut k, mut h) = harness(1, const_locations(), &peers, NetConfig::default(), ());
    h.net.connect(PeerId(0), PeerId(1), SimTime::ZERO);
    h.net.connect(PeerId(2), PeerId(1), SimTime::ZERO);
    h.net.send(&mut k, PeerId(0), PeerId(1), Msg { id: 1, size: 100 }).unwrap();
    h.net.send(&mut k, PeerId(2), PeerId(1), Msg { id: 2, size: 100 }).unwrap();
    h.net.send(&mut k, PeerId(2), PeerId(1), Msg { id: 3, size: 100 }).unwrap();
    k.run_until(SimTime::from_millis(1000), &mut h).unwrap();
    let got: Vec<(SimTime, u32)> = h.log.iter().map(|e| (e.0, e.3)).collect();
    assert_eq!(got, vec![(ms(100.5), 2), (ms(200.5), 3), (ms(300.5), 1)]);
}

#[test]
fn each_download_reads_the_bandwidth_when_it_starts_and_slowdown_restores_exactly() {
    let peers = [spec(B, INF, INF), spec(B, INF, 1000.0)];
    let (mut k, mut h) = harness(1, const_locations(), &peers, NetConfig::default(), ());
    h.net.connect(PeerId(0), PeerId(1), SimTime::ZERO);
    for id in [2, 4] {
        h.net.send(&mut k, PeerId(0), PeerId(1), Msg { id, size: 100 }).unwrap();
    }
    // The first download starts at 0.5 ms at full speed; halve the speed before the second starts.
    k.run_until(ms(50.0), &mut h).unwrap();
    h.net.set_slowdown(PeerId(1), 0.5).unwrap();
    assert_eq!(h.net.bandwidth(PeerId(1)), (INF, 500.0));
    k.run_until(SimTime::from_millis(1000), &mut h).unwrap();
    assert_eq!(h.log.iter().map(|e| e.0).collect::<Vec<_>>(), vec![ms(100.5), ms(300.5)]);
    h.net.set_slowdown(PeerId(1), 1.0).unwrap();
    assert_eq!(h.net.bandwidth(PeerId(1)), h.net.nominal_bandwidth(PeerId(1)));
    assert_eq!(h.net.set_slowdown(PeerId(1), 1.5), Err(NetError::BadSlowdown { peer: PeerId(1), value: 1.5 }));
}

#[test]
fn serialised_uploads_queue_behind_each_other() {
    let config = NetConfig {
        transmission: TransmissionModel { uploads: UploadModel::Serialised, ..TransmissionModel::default() },
        ..NetConfig::default()
    };
    let peers = [spec(B, 1000.0, INF), spec(B, INF, INF), spec(B, INF, INF)];
    let (mut k, mut h) = harness(1, const_locations(), &peers, config, ());
    h.net.connect(PeerId(0), PeerId(1), SimTime::ZERO);
    h.net.connect(PeerId(0), PeerId(2), SimTime::ZERO);
    assert_eq!(h.net.send(&mut k, PeerId(0), PeerId(1), Msg { id: 1, size: 100 }), Ok(ms(100.5)));
    assert_eq!(h.net.send(&mut k, PeerId(0), PeerId(2), Msg { id: 2, size: 100 }), Ok(ms(200.5)));
}

#[test]
fn admission_delay_keeps_the_queue_busy_and_rejections_are_counted() {
    let peers = [spec(B, INF, INF), spec(B, INF, INF)];
    let (mut k, mut h) =
        harness(1, const_locations(), &peers, NetConfig::default(), RejectOdd(SimDuration::from_millis(10)));
    h.net.connect(PeerId(0), PeerId(1), SimTime::ZERO);
    for id in [2, 3, 4] {
        h.net.send(&mut k, PeerId(0), PeerId(1), Msg { id, size: 100 }).unwrap();
    }
    k.run_until(SimTime::from_millis(1000), &mut h).unwrap();
    let got: Vec<(SimTime, u32)> = h.log.iter().map(|e| (e.0, e.3)).collect();
    assert_eq!(got, vec![(ms(10.5), 2), (ms(30.5), 4)], "id 3 is validated for 10 ms, then rejected");
    assert_eq!(h.net.counters().dropped(DropReason::Rejected), 1);
    let m = h.net.monitors().at(PeerId(1), 0);
    assert_eq!((m.msgs_in, m.bytes_in), (2, 200), "rejected messages are not counted as received");
}

#[test]
fn every_kind_of_drop_is_counted_never_a_panic() {
    let peers = [spec(B, INF, INF), spec(B, INF, INF), spec(B, INF, INF)];
    let (mut k, mut h) = harness(1, const_locations(), &peers, NetConfig::default(), ());
    let (p0, p1, p2) = (PeerId(0), PeerId(1), PeerId(2));
    h.net.connect(p0, p1, SimTime::ZERO);
    let m = |id| Msg { id, size: 10 };
    assert_eq!(h.net.send(&mut k, p0, p2, m(1)), Err(DropReason::NotConnected));
    h.net.set_state(p0, PeerState::Offline);
    assert_eq!(h.net.send(&mut k, p0, p1, m(2)), Err(DropReason::SenderOffline));
    h.net.set_state(p0, PeerState::Online);
    // In flight when the link goes.
    h.net.send(&mut k, p0, p1, m(3)).unwrap();
    h.net.disconnect(p0, p1);
    k.run_until(SimTime::from_millis(10), &mut h).unwrap();
    assert_eq!(h.net.counters().dropped(DropReason::LinkGoneOnArrival), 1);
    // Offline receiver: downloaded, then dropped, not counted in its monitor.
    h.net.connect(p0, p1, k.now());
    h.net.send(&mut k, p0, p1, m(4)).unwrap();
    h.net.set_state(p1, PeerState::Offline);
    k.run_until(SimTime::from_millis(20), &mut h).unwrap();
    assert_eq!(h.net.counters().dropped(DropReason::ReceiverOffline), 1);
    // Absent receiver and partitions.
    h.net.set_state(p1, PeerState::Absent);
    h.net.send(&mut k, p0, p1, m(5)).unwrap();
    k.run_until(SimTime::from_millis(30), &mut h).unwrap();
    assert_eq!(h.net.counters().dropped(DropReason::ReceiverAbsent), 1);
    h.net.set_state(p1, PeerState::Online);
    h.net.partition(1, vec![0, 1, 1]);
    h.net.send(&mut k, p0, p1, m(6)).unwrap();
    k.run_until(SimTime::from_millis(40), &mut h).unwrap();
    assert_eq!(h.net.counters().dropped(DropReason::Partitioned), 1);
    // Partitions stack: a second one keeps 0 and 1 apart after the first heals.
    h.net.partition(2, vec![0, 1, 0]);
    h.net.heal(1);
    h.net.send(&mut k, p0, p1, m(7)).unwrap();
    k.run_until(SimTime::from_millis(45), &mut h).unwrap();
    assert_eq!(h.net.counters().dropped(DropReason::Partitioned), 2, "the other partition is still in force");
    h.net.heal(2);
    h.net.send(&mut k, p0, p1, m(8)).unwrap();
    k.run_until(SimTime::from_millis(50), &mut h).unwrap();
    assert_eq!(h.log.iter().map(|e| e.3).collect::<Vec<_>>(), vec![8]);
    let c = h.net.counters();
    assert_eq!((c.sent, c.delivered, c.dropped_total()), (6, 1, 7));
    assert_eq!(h.net.in_flight(), 0);
    assert_eq!(h.net.monitors().at(p1, 0).msgs_in, 1);
}

#[test]
fn loss_rate_matches_the_probability() {
    // 20 000 sends with p = 0.3: the lost fraction must be within 5 standard errors of p.
    let p = 0.3;
    let config = NetConfig { loss: p, ..NetConfig::default() };
    let peers = [spec(B, INF, INF), spec(B, INF, INF)];
    let n = 20_000;
    let mut lost = 0u64;
    for seed in 0..4 {
        let (mut k, mut h) = harness(seed, const_locations(), &peers, config, ());
        h.net.connect(PeerId(0), PeerId(1), SimTime::ZERO);
        for id in 0..n / 4 {
            let _ = h.net.send(&mut k, PeerId(0), PeerId(1), crate::Msg { id, size: 1 });
        }
        k.run_until(SimTime::from_millis(10), &mut h).unwrap();
        lost += h.net.counters().dropped(DropReason::Lost);
        assert_eq!(h.net.counters().delivered + h.net.counters().dropped(DropReason::Lost), u64::from(n / 4));
    }
    let frac = lost as f64 / f64::from(n);
    let se = (p * (1.0 - p) / f64::from(n)).sqrt();
    assert!((frac - p).abs() < 5.0 * se, "lost {frac}, expected {p}");
    let bad = Network::<crate::Msg>::new(Seed(1), const_locations(), &peers, NetConfig { loss: 1.5, ..config });
    assert_eq!(bad.unwrap_err(), NetError::BadProbability(1.5));
}

#[test]
fn loss_between_locations_stacks_with_the_global_loss_and_spares_other_pairs() {
    // Global loss 0.1, A–B 0.5: A→B and B→A lose 1 − 0.9 · 0.5 = 0.55; B→B only the 0.1.
    let config = NetConfig { loss: 0.1, ..NetConfig::default() };
    let peers = [spec(A, INF, INF), spec(B, INF, INF), spec(B, INF, INF)];
    let n = 10_000u32;
    let (mut k, mut h) = harness(3, const_locations(), &peers, config, ());
    h.net.set_loss_between(A, B, 0.5).unwrap();
    assert_eq!(h.net.set_loss_between(A, B, -0.1).unwrap_err(), NetError::BadProbability(-0.1));
    assert!((h.net.loss_between(B, A) - 0.55).abs() < 1e-12);
    assert!((h.net.loss_between(B, B) - 0.1).abs() < 1e-12);
    h.net.connect(PeerId(0), PeerId(1), SimTime::ZERO);
    h.net.connect(PeerId(1), PeerId(2), SimTime::ZERO);
    let lost = |h: &mut crate::Harness<()>, k: &mut p2psim_kernel::Kernel<_>, from: u32, to: u32| {
        let before = h.net.counters().dropped(DropReason::Lost);
        for id in 0..n {
            let _ = h.net.send(k, PeerId(from), PeerId(to), crate::Msg { id, size: 1 });
        }
        (h.net.counters().dropped(DropReason::Lost) - before) as f64 / f64::from(n)
    };
    for (from, to, p) in [(0, 1, 0.55), (1, 0, 0.55), (1, 2, 0.1)] {
        let frac = lost(&mut h, &mut k, from, to);
        let se = (p * (1.0 - p) / f64::from(n)).sqrt();
        assert!((frac - p).abs() < 5.0 * se, "{from} → {to}: lost {frac}, expected {p}");
    }
}

#[test]
fn monitors_have_a_bucket_for_every_second_silent_ones_zero() {
    let peers = [spec(B, INF, INF), spec(B, INF, INF)];
    let (mut k, mut h) = harness(1, const_locations(), &peers, NetConfig::default(), ());
    h.net.connect(PeerId(0), PeerId(1), SimTime::ZERO);
    h.net.send(&mut k, PeerId(0), PeerId(1), Msg { id: 1, size: 10 }).unwrap();
    k.run_until(SimTime::from_millis(2500), &mut h).unwrap();
    h.net.send(&mut k, PeerId(0), PeerId(1), Msg { id: 2, size: 30 }).unwrap();
    k.run_until(SimTime::from_millis(4000), &mut h).unwrap();
    let series: Vec<(u32, u64)> =
        h.net.monitors().series(PeerId(1), k.now()).iter().map(|t| (t.msgs_in, t.bytes_in)).collect();
    assert_eq!(series, vec![(1, 10), (0, 0), (1, 30), (0, 0)]);
    let sent: Vec<u32> = h.net.monitors().series(PeerId(0), k.now()).iter().map(|t| t.msgs_out).collect();
    assert_eq!(sent, vec![1, 0, 1, 0]);
}

#[test]
fn per_message_latency_lets_messages_overtake_and_fixed_latency_does_not() {
    let peers = [spec(A, INF, INF), spec(A, INF, INF)];
    let run = |mode| {
        let config = NetConfig { latency: LatencyModel { mode, halve: true }, ..NetConfig::default() };
        let (mut k, mut h) = harness(5, Locations::aws(), &peers, config, ());
        h.net.connect(PeerId(0), PeerId(1), SimTime::ZERO);
        for id in 0..200 {
            h.net.send(&mut k, PeerId(0), PeerId(1), Msg { id, size: 1 }).unwrap();
        }
        k.run_until(SimTime::from_millis(1000), &mut h).unwrap();
        h.log
    };
    let fresh = run(LatencyMode::PerMessage);
    let order: Vec<u32> = fresh.iter().map(|e| e.3).collect();
    assert!(order.windows(2).any(|w| w[0] > w[1]), "some message overtakes another");
    let fixed = run(LatencyMode::FixedPerLink);
    assert!(fixed.iter().all(|e| e.0 == fixed[0].0), "one latency for the link");
    assert_eq!(fixed.iter().map(|e| e.3).collect::<Vec<_>>(), (0..200).collect::<Vec<_>>());
}

#[test]
fn latency_falls_back_to_the_other_direction_and_missing_pairs_are_errors() {
    let locations = const_locations();
    assert_eq!(locations.delay(B, A), &Delay::Const(10.0));
    let s = |x: &str| x.to_owned();
    let missing = Locations::new(vec![s("A"), s("B")], vec![(s("A"), s("A"), Delay::Const(1.0))]);
    assert_eq!(missing.unwrap_err(), LocationError::MissingPair(s("A"), s("B")));
    let unknown = Locations::new(vec![s("A")], vec![(s("A"), s("C"), Delay::Const(1.0))]);
    assert!(matches!(unknown, Err(LocationError::UnknownLocation { .. })));
}

#[test]
fn bad_peers_are_errors() {
    let e =
        Network::<crate::Msg>::new(Seed(1), const_locations(), &[spec(LocationId(7), 1.0, 1.0)], NetConfig::default());
    assert_eq!(e.unwrap_err(), NetError::UnknownLocation { peer: PeerId(0), location: 7 });
    let e = Network::<crate::Msg>::new(Seed(1), const_locations(), &[spec(A, -1.0, 1.0)], NetConfig::default());
    assert!(matches!(e, Err(NetError::BadBandwidth { which: "upload", .. })));
}

#[test]
fn a_flood_is_deterministic_for_a_seed_and_differs_across_seeds() {
    let a = flood_run(11, 500);
    assert!(a.len() > 500 * 7 - 500, "every first copy is relayed to 7 neighbours: {}", a.len());
    assert_eq!(a, flood_run(11, 500));
    assert_ne!(a, flood_run(12, 500));
}
