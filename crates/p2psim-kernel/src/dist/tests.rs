//! Each distribution's mean and variance checked against theory over many seeded streams.
//!
//! Tolerances come from the sampling distribution of the estimators, not from tuning: the sample mean
//! must lie within 5 standard errors (σ/√n, σ from theory) and the sample variance within 5 of its
//! delta-method standard errors (√((m4 − s⁴)/n), m4 the sample fourth central moment). With 5 standard
//! errors a correct implementation fails about once in two million checks.

use super::*;
use crate::rng::{Seed, StreamKey};

const SEEDS: u64 = 8;
const DRAWS_PER_SEED: usize = 50_000;

fn draws(d: &Dist) -> Vec<f64> {
    let mut out = Vec::with_capacity(SEEDS as usize * DRAWS_PER_SEED);
    for seed in 0..SEEDS {
        let mut rng = Seed(1000 + seed).stream(StreamKey::new("dist-test"));
        out.extend((0..DRAWS_PER_SEED).map(|_| d.draw(&mut rng)));
    }
    out
}

#[track_caller]
fn check_moments(d: Dist) {
    let xs = draws(&d);
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let m2 = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
    let low = xs.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(low >= d.lower_bound(), "{d:?}: a draw {low} below the lower bound {}", d.lower_bound());
    let (mu, var) = (d.mean().unwrap(), d.variance().unwrap());
    let se_mean = (var / n).sqrt();
    assert!((mean - mu).abs() < 5.0 * se_mean, "{d:?}: mean {mean} vs {mu} (se {se_mean})");
    let se_var = ((m4 - m2 * m2) / n).sqrt();
    assert!((m2 - var).abs() < 5.0 * se_var, "{d:?}: variance {m2} vs {var} (se {se_var})");
}

#[test]
fn norm_matches_theory() {
    check_moments(Dist::norm(73.70, 1.196).unwrap());
}

#[test]
fn uniform_matches_theory() {
    check_moments(Dist::uniform(-2.0, 10.0).unwrap());
}

#[test]
fn expon_matches_theory() {
    check_moments(Dist::expon(1.0, 3.0).unwrap());
}

#[test]
fn lognorm_matches_theory() {
    // Notebook 05's validation delay.
    check_moments(Dist::lognorm(0.495, 4.89, 0.0426).unwrap());
}

#[test]
fn gamma_matches_theory() {
    // Notebook 01's B–B latency: 1 + Exp(1).
    check_moments(Dist::scipy("gamma", &[1.0, 1.0, 1.0]).unwrap());
    check_moments(Dist::gamma(0.9275, 5.258, 50.0).unwrap());
}

#[test]
fn invgamma_matches_theory() {
    // The AWS Ireland–Ireland latency.
    check_moments(Dist::scipy("invgamma", &[6.436, 0.8313, 1.0862]).unwrap());
}

#[test]
fn weibull_min_matches_theory() {
    check_moments(Dist::weibull_min(1.5, 2.0, 4.0).unwrap());
}

#[test]
fn pareto_matches_theory() {
    check_moments(Dist::pareto(5.5, 0.0, 2.0).unwrap());
}

#[test]
fn sample_matches_weights() {
    let d = Dist::sample(vec![1.0, 2.0, 5.0], Some(vec![0.2, 0.3, 0.5])).unwrap();
    let xs = draws(&d);
    let n = xs.len() as f64;
    for (v, p) in [(1.0, 0.2), (2.0, 0.3), (5.0, 0.5)] {
        let freq = xs.iter().filter(|&&x| x == v).count() as f64 / n;
        let se = (p * (1.0 - p) / n).sqrt();
        assert!((freq - p).abs() < 5.0 * se, "value {v}: frequency {freq} vs {p}");
    }
    check_moments(Dist::sample(vec![1.0, 2.0, 3.0, 10.0], None).unwrap());
}

#[test]
fn scipy_form_is_checked() {
    assert_eq!(Dist::scipy("norm", &[12.0, 2.0]).unwrap(), Dist::norm(12.0, 2.0).unwrap());
    assert!(matches!(
        Dist::scipy("lognorm", &[1.0, 2.0]),
        Err(DistError::WrongArity { name: "lognorm", expected: 3, got: 2, .. })
    ));
    assert!(matches!(Dist::scipy("poisson", &[1.0]), Err(DistError::UnknownName(_))));
    assert!(matches!(Dist::norm(0.0, -1.0), Err(DistError::OutOfRange { param: "scale", .. })));
    assert!(matches!(Dist::gamma(0.0, 0.0, 1.0), Err(DistError::OutOfRange { param: "a", .. })));
    assert!(matches!(Dist::sample(vec![], None), Err(DistError::BadSample(_))));
    assert!(matches!(Dist::sample(vec![1.0], Some(vec![0.0])), Err(DistError::BadSample(_))));
}

#[test]
fn ron_round_trip_and_positional_form() {
    let d: Dist = ron::from_str("Scipy(\"invgamma\", [5.5409, 0.3333, 0.9872])").unwrap();
    assert_eq!(d, Dist::invgamma(5.5409, 0.3333, 0.9872).unwrap());
    let text = ron::to_string(&d).unwrap();
    assert_eq!(text, "Invgamma(a:5.5409,loc:0.3333,scale:0.9872)");
    let back: Dist = ron::from_str(&text).unwrap();
    assert_eq!(back, d);
    let defaults: Dist = ron::from_str("Expon(scale: 5)").unwrap();
    assert_eq!(defaults, Dist::expon(0.0, 5.0).unwrap());
    let err = ron::from_str::<Dist>("Norm(loc: 1, scale: -2)").unwrap_err();
    assert!(err.to_string().contains("scale"), "{err}");
    let unknown = ron::from_str::<Dist>("Norm(loc: 1, sigma: 2)").unwrap_err();
    assert!(unknown.to_string().contains("sigma"), "{unknown}");
}

#[test]
fn param_draws_once_per_instance_or_at_every_use() {
    let d = Dist::norm(100.0, 20.0).unwrap();
    let mut rng = Seed(7).stream(StreamKey::new("param"));
    let per_peer = Param::Dist(d.clone()).resolve(&mut rng);
    let a = per_peer.get(&mut rng);
    assert_eq!(per_peer.get(&mut rng), a, "Dist: one value for the instance");
    let per_use = Param::DistAttr(d).resolve(&mut rng);
    assert_ne!(per_use.get(&mut rng), per_use.get(&mut rng), "DistAttr: a fresh draw each use");
    assert_eq!(Param::Const(3.0).resolve(&mut rng).get(&mut rng), 3.0);
    let p: Param = serde_json::from_str(r#"{"DistAttr": {"Norm": {"loc": 1500, "scale": 200}}}"#).unwrap();
    assert_eq!(p.mean(), Some(1500.0));
    // A constant is a plain number, both ways; the tagged form is read too.
    assert_eq!(serde_json::from_str::<Param>("3").unwrap(), Param::Const(3.0));
    assert_eq!(serde_json::from_str::<Param>(r#"{"Const": 2.5}"#).unwrap(), Param::Const(2.5));
    assert_eq!(serde_json::to_string(&Param::Const(3.0)).unwrap(), "3.0");
    assert!(serde_json::from_str::<Param>(r#"{"Konst": 2}"#).unwrap_err().to_string().contains("Konst"));
    // Compact per-instance values: drawn once for Dist, per use for DistAttr.
    let d = Dist::norm(100.0, 20.0).unwrap();
    let own = Param::Dist(d.clone()).per_instance(&mut rng);
    assert_eq!(Param::Dist(d.clone()).value(own, &mut rng), own);
    let attr = Param::DistAttr(d);
    assert_ne!(attr.value(f64::NAN, &mut rng), attr.value(f64::NAN, &mut rng));
    assert_eq!(Param::Const(4.0).value(f64::NAN, &mut rng), 4.0);
}

#[test]
fn params_are_checked_by_value_or_by_draws() {
    let positive = |x: f64| x > 0.0;
    assert!(Param::Const(3.0).check("fanout", "> 0", positive).is_ok());
    let e = Param::Const(-1.0).check("fanout", "> 0", positive).unwrap_err();
    assert_eq!(e.to_string(), "fanout: must be > 0, got -1");
    assert!(Param::Const(f64::NAN).check("fanout", "> 0", positive).is_err(), "NaN never passes");
    assert!(Param::Dist(Dist::norm(100.0, 1.0).unwrap()).check("x", "> 0", positive).is_ok());
    assert!(Param::Dist(Dist::norm(0.0, 1.0).unwrap()).check("x", "> 0", positive).is_err(), "half the draws fail");
    assert!(Param::Const(0.0).check_period("up").is_err());
    assert!(Param::Const(1e-9).check_period("up").is_err());
    assert!(Param::DistAttr(Dist::norm(200.0, 100.0).unwrap()).check_period("up").is_ok());
    assert!(Param::DistAttr(Dist::norm(0.0, 1e-12).unwrap()).check_period("up").is_err(), "rounds to 0 ns");
}

#[test]
fn lower_bounds_are_the_supports_infimum() {
    assert_eq!(Dist::norm(5.0, 1.0).unwrap().lower_bound(), f64::NEG_INFINITY);
    assert_eq!(Dist::uniform(2.0, 3.0).unwrap().lower_bound(), 2.0);
    assert_eq!(Dist::expon(1.5, 3.0).unwrap().lower_bound(), 1.5);
    assert_eq!(Dist::lognorm(0.5, 4.0, 2.0).unwrap().lower_bound(), 4.0);
    assert_eq!(Dist::gamma(2.0, 0.5, 1.0).unwrap().lower_bound(), 0.5);
    assert_eq!(Dist::invgamma(3.0, 1.0, 1.0).unwrap().lower_bound(), 1.0);
    assert_eq!(Dist::weibull_min(1.5, 2.5, 1.0).unwrap().lower_bound(), 2.5);
    // scipy's pareto: x >= loc + scale.
    assert_eq!(Dist::pareto(3.0, 1.0, 2.0).unwrap().lower_bound(), 3.0);
    assert_eq!(Dist::sample(vec![4.0, 1.0, 9.0], Some(vec![1.0, 0.0, 1.0])).unwrap().lower_bound(), 4.0);
    assert_eq!(Dist::sample(vec![4.0, 1.0, 9.0], None).unwrap().lower_bound(), 1.0);
}
