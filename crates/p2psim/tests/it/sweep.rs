//! Sweeps: results independent of the thread count; a killed sweep resumes without recomputing or
//! duplicating anything.

use p2psim::{SweepParam, SweepSpec, run_sweep};

use crate::example;

fn spec() -> (SweepSpec, p2psim::Experiment) {
    let (_, mut base) = example("gossip");
    base.until_ms = 2500;
    let spec = SweepSpec {
        name: "test".into(),
        base: p2psim::Base::Inline(Box::new(base.clone())),
        parameters: vec![SweepParam {
            name: "fanout".into(),
            path: "/peer_types/0/services/1/1/PushGossip/fanout".into(),
            values: vec![1.0, 2.0, 3.0],
        }],
        seeds: 3,
        first_seed: 10,
        metrics: vec!["delivery_ratio".into()],
    };
    (spec, base)
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("p2psim-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn one_thread_and_two_give_identical_results() {
    let (spec, base) = spec();
    let (a, b) = (tmp("a"), tmp("b"));
    let one = run_sweep(&spec, &base, &a, 1, &|_, _| {}).unwrap();
    let two = run_sweep(&spec, &base, &b, 2, &|_, _| {}).unwrap();
    assert_eq!((one.computed, one.reused), (9, 0));
    assert_eq!(one.runs_csv, two.runs_csv);
    assert_eq!(one.points_csv, two.points_csv);
    assert_eq!(one.runs_csv.lines().count(), 1 + 9);
    assert!(one.runs_csv.lines().nth(1).unwrap().starts_with("0,1.000000,10,"), "{}", one.runs_csv);
    // The fanout matters: delivery grows from fanout 1 to 3.
    let delivery: Vec<f64> = one
        .points_csv
        .lines()
        .filter(|l| l.contains(",delivery_ratio,"))
        .map(|l| l.split(',').nth(3).unwrap().parse().unwrap())
        .collect();
    assert!(delivery[0] < delivery[2], "{delivery:?}");
    assert!(a.join("delivery_ratio.png").is_file());
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}

#[test]
fn a_killed_sweep_resumes_without_recomputing_or_duplicating() {
    let (spec, base) = spec();
    let dir = tmp("resume");
    let full = run_sweep(&spec, &base, &dir, 2, &|_, _| {}).unwrap();
    // As if killed: two results never written, one half-written under its temporary name.
    std::fs::remove_file(dir.join("runs/p0001-s11.json")).unwrap();
    std::fs::remove_file(dir.join("runs/p0002-s12.json")).unwrap();
    std::fs::write(dir.join("runs/p0002-s12.tmp-99999"), "{ \"delivery_").unwrap();
    let resumed = run_sweep(&spec, &base, &dir, 2, &|_, _| {}).unwrap();
    assert_eq!((resumed.computed, resumed.reused), (2, 7));
    assert_eq!(resumed.runs_csv, full.runs_csv);
    assert_eq!(resumed.points_csv, full.points_csv);
    let again = run_sweep(&spec, &base, &dir, 1, &|_, _| {}).unwrap();
    assert_eq!((again.computed, again.reused), (0, 9));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_path_that_names_nothing_is_an_error() {
    let (mut spec, base) = spec();
    spec.parameters[0].path = "/peer_types/0/services/1/1/PushGossip/fan_out".into();
    let e = spec.experiment(&base, &[1.0], 1).unwrap_err();
    assert!(e.to_string().contains("names nothing"), "{e}");
    spec.parameters[0].path = "/peer_types/0/services/1/1/PushGossip/fanout".into();
    let e = spec.experiment(&base, &[-1.5], 1).unwrap_err();
    assert_eq!(e.to_string(), "peer_types[0].services[1][1].fanout: must be a whole number, at least 0, got -1.5");
}

#[test]
fn the_example_sweep_file_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/sweeps/fanout-downtime.ron");
    let (spec, base) = SweepSpec::load(std::path::Path::new(path)).unwrap();
    assert_eq!(spec.points().len(), 8);
    assert_eq!(spec.runs().len(), 160);
    assert_eq!(base.name, "faults-push");
}

#[test]
fn a_folder_refuses_a_different_sweep_and_keeps_its_own() {
    let (spec, base) = spec();
    let dir = tmp("other");
    let first = run_sweep(&spec, &base, &dir, 2, &|_, _| {}).unwrap();
    // The recorded sweep reads back to the same sweep, base inline.
    let (recorded, recorded_base) = SweepSpec::load(&dir.join(p2psim::SWEEP_FILE)).unwrap();
    assert_eq!(recorded, spec.with_inline_base(&base));
    assert_eq!(recorded_base, base);
    // Another seed count into the same folder would mix results: refused, nothing touched.
    let mut other = spec.clone();
    other.seeds = 4;
    let e = run_sweep(&other, &base, &dir, 2, &|_, _| {}).unwrap_err();
    assert!(e.to_string().contains("different sweep"), "{e}");
    assert!(!dir.join("runs/p0000-s13.json").exists());
    assert_eq!(std::fs::read_to_string(dir.join("runs.csv")).unwrap(), first.runs_csv);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gathering_an_incomplete_folder_names_the_missing_runs_and_writes_nothing() {
    let (spec, base) = spec();
    let dir = tmp("incomplete");
    let missing = p2psim::prepare(&spec, &base, &dir).unwrap();
    assert_eq!(missing.len(), 9);
    let names: Vec<String> = missing.iter().map(p2psim::RunKey::name).collect();
    assert_eq!(names[0], "p0000-s10");
    assert!(names.iter().all(|n| p2psim::RunKey::from_name(n).map(|k| k.name()).as_ref() == Some(n)));
    for &r in &missing[..7] {
        p2psim::run_one(&spec, &base, &dir, r).unwrap();
    }
    let e = p2psim::gather(&spec, &dir).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: 2 of 9 runs have no result (p0002-s11, p0002-s12); run the sweep again to compute them",
            dir.display()
        )
    );
    assert!(!dir.join("runs.csv").exists() && !dir.join("points.csv").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The example sweep's table and plots shipped in `examples/sweeps/fanout-downtime/` are what the
/// sweep produces now (`UPDATE_EXPECT=1` rewrites them after an intended change), and they say what
/// the example claims: delivery grows with the fanout and levels off, redundancy keeps growing.
#[test]
fn the_example_sweep_results_are_current() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/sweeps");
    let (spec, base) = SweepSpec::load(&std::path::Path::new(root).join("fanout-downtime.ron")).unwrap();
    let dir = tmp("example");
    let outcome = run_sweep(&spec, &base, &dir, 2, &|_, _| {}).unwrap();
    let shipped = std::path::Path::new(root).join("fanout-downtime");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    for name in ["points.csv", "delivery_ratio.png", "copies_mean.png"] {
        let got = std::fs::read(dir.join(name)).unwrap();
        match std::fs::read(shipped.join(name)) {
            Ok(want) if !update => assert!(got == want, "{name} changed; UPDATE_EXPECT=1 to accept"),
            _ => std::fs::write(shipped.join(name), got).unwrap(),
        }
    }
    let mean = |metric: &str| -> Vec<f64> {
        let tag = format!(",{metric},");
        outcome
            .points_csv
            .lines()
            .filter(|l| l.contains(&tag))
            .map(|l| l.split(',').nth(3).unwrap().parse().unwrap())
            .collect()
    };
    let (delivery, copies) = (mean("delivery_ratio"), mean("copies.mean"));
    assert!(delivery.windows(2).all(|w| w[1] >= w[0] - 0.01), "{delivery:?}");
    assert!(delivery[7] - delivery[4] < 0.05 && delivery[2] - delivery[0] > 0.3, "{delivery:?}");
    assert!(copies.windows(2).all(|w| w[1] > w[0]), "{copies:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
