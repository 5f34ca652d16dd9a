//! The lookahead of a network: the least latency any message between two of its peers can have.

use p2psim_kernel::{Dist, Seed, SimDuration};
use p2psim_net::{Delay, LatencyModel, Locations, NetConfig, Network, NoLookahead, PeerSpec};

use crate::{Msg, const_locations};

fn net(locations: &Locations, at: &[&str], halve: bool) -> Network<Msg> {
    let peers: Vec<PeerSpec> = at
        .iter()
        .map(|l| PeerSpec { location: locations.id(l).unwrap(), upload: f64::INFINITY, download: f64::INFINITY })
        .collect();
    let config = NetConfig { latency: LatencyModel { halve, ..LatencyModel::default() }, ..NetConfig::default() };
    Network::new(Seed(1), locations.clone(), &peers, config).unwrap()
}

#[test]
fn the_least_latency_of_the_pairs_peers_occupy_halved_as_applied() {
    let l = const_locations();
    // A–A 2, A–B 10, B–B 1 (round trips, halved by default).
    assert_eq!(net(&l, &["A", "A", "B"], true).lookahead(), Ok(SimDuration::from_millis(1)));
    assert_eq!(net(&l, &["A", "B", "B"], true).lookahead(), Ok(SimDuration::from_micros(500)));
    // One peer in B: B–B carries nothing.
    assert_eq!(net(&l, &["A", "B"], true).lookahead(), Ok(SimDuration::from_millis(5)));
    assert_eq!(net(&l, &["A", "B"], false).lookahead(), Ok(SimDuration::from_millis(10)));
}

#[test]
fn a_latency_that_can_be_zero_or_is_unbounded_below_gives_no_lookahead_and_says_where() {
    let s = |x: &str| x.to_owned();
    let d = |dist: Dist| Delay::Dist(dist);
    let l = Locations::new(
        vec![s("X"), s("Y")],
        vec![
            (s("X"), s("X"), d(Dist::expon(3.0, 1.0).unwrap())),
            (s("X"), s("Y"), d(Dist::norm(70.0, 1.0).unwrap())),
            (s("Y"), s("Y"), d(Dist::uniform(0.0, 4.0).unwrap())),
        ],
    )
    .unwrap();
    assert_eq!(net(&l, &["X", "X"], true).lookahead(), Ok(SimDuration::from_micros(1_500)));
    let err = net(&l, &["X", "Y"], true).lookahead().unwrap_err();
    assert_eq!(err, NoLookahead { from: s("X"), to: s("Y"), bound_ms: 0.0 });
    assert!(err.to_string().contains("from X to Y") && err.to_string().contains("runs as one"), "{err}");
    assert!(net(&l, &["Y", "Y"], true).lookahead().is_err(), "uniform from 0");
    // The tutorial's AWS matrix: its cross-region pairs are normal, unbounded below.
    let aws = Locations::aws();
    assert!(net(&aws, &["Ohio", "Ireland"], true).lookahead().is_err());
    assert_eq!(net(&aws, &["Ohio"], true).lookahead(), Ok(SimDuration::MAX), "one peer sends to no one");
}

#[test]
fn no_message_arrives_sooner_than_the_lookahead_and_some_come_close() {
    let s = |x: &str| x.to_owned();
    let l = Locations::new(
        vec![s("X"), s("Y")],
        vec![
            (s("X"), s("X"), Delay::Dist(Dist::expon(3.0, 1.0).unwrap())),
            (s("X"), s("Y"), Delay::Dist(Dist::pareto(2.0, 1.0, 4.0).unwrap())),
            (s("Y"), s("Y"), Delay::Dist(Dist::weibull_min(1.5, 2.5, 1.0).unwrap())),
        ],
    )
    .unwrap();
    let at = ["X", "X", "Y", "Y"];
    let lookahead = net(&l, &at, true).lookahead().unwrap();
    assert_eq!(lookahead, SimDuration::from_micros(1_250), "Y–Y: 2.5 ms halved");
    let peers: Vec<PeerSpec> =
        at.iter().map(|x| PeerSpec { location: l.id(x).unwrap(), upload: 1e9, download: f64::INFINITY }).collect();
    let (mut k, mut h) = crate::harness(3, l, &peers, NetConfig::default(), ());
    for (a, b) in [(0, 1), (0, 2), (1, 3), (2, 3)] {
        h.net.connect(p2psim_net::PeerId(a), p2psim_net::PeerId(b), p2psim_kernel::SimTime::ZERO);
    }
    for id in 0..4_000u32 {
        let (a, b) = [(0, 1), (0, 2), (1, 3), (2, 3)][(id % 4) as usize];
        let (a, b) = if id % 8 < 4 { (a, b) } else { (b, a) };
        k.set_actor(a);
        h.net.send(&mut k, p2psim_net::PeerId(a), p2psim_net::PeerId(b), Msg { id, size: 1 }).unwrap();
    }
    k.run_until(p2psim_kernel::SimTime::from_millis(1_000), &mut h).unwrap();
    assert_eq!(h.log.len(), 4_000);
    let least = h.log.iter().map(|e| e.0 - p2psim_kernel::SimTime::ZERO).min().unwrap();
    assert!(least >= lookahead, "{least} arrived before the lookahead {lookahead}");
    // Within 0.1 ms of the bound means a Y–Y draw within 0.2 ms of 2.5: 1 − exp(−0.2^1.5) ≈ 0.086 of
    // each of its 1,000 draws, so none at all has odds of about e^−89.
    assert!(least < lookahead + SimDuration::from_micros(100), "the bound is tight: least {least}");
}
