//! Long runs over many peers: measured availability, mean up-time and down-time against the
//! configuration. Peers are independent, so per-peer figures give standard errors; every check is
//! within 5 of them. Each test reports its figures (`cargo test -- --nocapture`).

#![allow(clippy::print_stderr, reason = "the statistical tests report their figures")]

use p2psim_disruption::{FaultSpec, Selector, Timing};
use p2psim_kernel::{Dist, Param, SimTime};
use p2psim_net::PeerId;

use crate::cm_world;

const PEERS: u32 = 60;
const RUN_MS: u64 = 400_000;

fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Runs `fault` on `PEERS` unlinked peers; returns per-peer availability and the pooled mean outage.
fn measure(fault: FaultSpec) -> (f64, f64, f64, u32) {
    let fault_name = match &fault {
        FaultSpec::Downtime { timing, .. } => format!("{timing:?}").chars().take(60).collect::<String>(),
        _ => "churn".to_owned(),
    };
    let (mut k, mut f) = cm_world(11, PEERS, &[], &[fault]);
    let end = SimTime::from_millis(RUN_MS);
    k.run_until(end, &mut f).unwrap();
    let avail: Vec<f64> = (0..PEERS).map(|p| f.availability(PeerId(p), end)).collect();
    let (mean, se) = mean_se(&avail);
    let outages: u32 = (0..PEERS).map(|p| f.outages(PeerId(p))).sum();
    let down: f64 = (0..PEERS).map(|p| f.downtime(PeerId(p)).as_millis_f64()).sum();
    eprintln!(
        "{fault_name}: availability {mean:.4} ± {se:.4}, {outages} outages, mean outage {:.1} ms",
        down / f64::from(outages)
    );
    (mean, se, down / f64::from(outages), outages)
}

#[test]
fn availability_model_delivers_the_configured_availability() {
    let (a, mtbf) = (0.8, 1000.0);
    let timing = Timing::Availability {
        interval: Param::Const(10.0),
        mtbf: Param::Const(mtbf),
        availability: Param::Const(a),
        p2psimpy_formula: false,
    };
    let (mean, se, outage, n) = measure(FaultSpec::Downtime { peers: Selector::All, timing });
    assert!((mean - a).abs() < 5.0 * se, "availability {mean:.4} ± {se:.4}, configured {a}");
    // An outage lasts a geometric number of 10 ms checks with mean (1 − a) · mtbf = 200 ms and a
    // standard deviation just under its mean.
    let expected = (1.0 - a) * mtbf;
    let se_outage = expected / f64::from(n).sqrt();
    assert!((outage - expected).abs() < 5.0 * se_outage, "mean outage {outage:.1} ms over {n}, expected {expected}");
}

#[test]
fn p2psimpy_formula_gives_one_over_two_minus_availability() {
    let a = 0.8;
    let timing = Timing::Availability {
        interval: Param::Const(10.0),
        mtbf: Param::Const(1000.0),
        availability: Param::Const(a),
        p2psimpy_formula: true,
    };
    let (mean, se, _, _) = measure(FaultSpec::Downtime { peers: Selector::All, timing });
    let p2psimpy = 1.0 / (2.0 - a);
    assert!((mean - p2psimpy).abs() < 5.0 * se, "availability {mean:.4} ± {se:.4}, P2PSimpy's {p2psimpy:.4}");
}

#[test]
fn random_downtime_with_per_use_draws_matches_the_tutorial_numbers() {
    // The tutorial's DowntimeConfig: start N(1500, 200), up N(800, 200), down N(200, 100), each drawn
    // at every use; P2PSimpy takes absolute values, so an outage lasts E|N(200, 100)| = 201.7 ms.
    let d = |m, s| Param::DistAttr(Dist::norm(m, s).unwrap());
    let timing = Timing::Random { start: d(1500.0, 200.0), up: d(800.0, 200.0), down: d(200.0, 100.0) };
    let (mean, se, outage, n) = measure(FaultSpec::Downtime { peers: Selector::All, timing });
    let abs_mean = 100.0 * (2.0 / std::f64::consts::PI).sqrt() * (-2.0f64).exp() + 200.0 * (1.0 - 2.0 * 0.022_750_13);
    let se_outage = 100.0 / f64::from(n).sqrt();
    assert!((outage - abs_mean).abs() < 5.0 * se_outage, "mean outage {outage:.1} ms over {n}, expected {abs_mean:.1}");
    // After the start, down a fraction 201.7 / (800 + 201.7) of the time; the first 1500 ms are up.
    let after = 1.0 - abs_mean / (800.0 + abs_mean);
    let expected = (1500.0 + after * (RUN_MS as f64 - 1500.0)) / RUN_MS as f64;
    assert!((mean - expected).abs() < 5.0 * se, "availability {mean:.4} ± {se:.4}, expected {expected:.4}");
}

#[test]
fn churn_sessions_and_off_times_follow_their_distributions() {
    // Exponential sessions of mean 2000 ms and off-times of mean 500 ms: up 80 % of the time, and
    // an off-time lasts 500 ms on average (sd 500).
    let fault = FaultSpec::Churn {
        peers: Selector::All,
        session: Dist::expon(0.0, 2000.0).unwrap(),
        offtime: Dist::expon(0.0, 500.0).unwrap(),
        leave: Param::Const(0.0),
    };
    let (mean, se, outage, n) = measure(fault);
    assert!((mean - 0.8).abs() < 5.0 * se, "availability {mean:.4} ± {se:.4}");
    assert!((outage - 500.0).abs() < 5.0 * 500.0 / f64::from(n).sqrt(), "mean off-time {outage:.1} over {n}");
}

#[test]
fn churn_departures_are_permanent() {
    let fault = FaultSpec::Churn {
        peers: Selector::All,
        session: Dist::expon(0.0, 1000.0).unwrap(),
        offtime: Dist::expon(0.0, 100.0).unwrap(),
        leave: Param::Const(0.5),
    };
    let (mut k, mut f) = cm_world(12, PEERS, &[], &[fault]);
    k.run_until(SimTime::from_millis(60_000), &mut f).unwrap();
    // Each session ends in departure with probability 1/2: after 60 mean sessions, none is left.
    assert!((0..PEERS).all(|p| f.world.net().state(PeerId(p)) == p2psim_net::PeerState::Absent));
}
