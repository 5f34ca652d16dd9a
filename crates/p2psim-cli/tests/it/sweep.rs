//! Sweeps: results independent of the thread count; a killed sweep resumes without recomputing or
//! duplicating anything.

use p2psim::overrides::Value;
use p2psim::{Error, Experiment, Protocols, Sweep, SweepParam, SweepSpec, Values};
use p2psim_cli::{SweepOutcome, run_sweep};

fn example(name: &str) -> Experiment {
    let path = format!("{}/../../examples/experiments/{name}.ron", env!("CARGO_MANIFEST_DIR"));
    Experiment::load(std::path::Path::new(&path), &Protocols::new()).unwrap()
}

/// The sweep of `spec` over `base`, checked.
fn sweep(spec: &SweepSpec, base: &Experiment) -> Result<Sweep, Error> {
    Sweep::new(spec.clone(), base.clone(), &Protocols::new())
}

/// Runs the sweep into `dir` on `jobs` threads.
fn run(spec: &SweepSpec, base: &Experiment, dir: &std::path::Path, jobs: usize) -> Result<SweepOutcome, Error> {
    run_sweep(&sweep(spec, base)?, dir, jobs, &Protocols::new(), &|_, _| {})
}

fn spec() -> (SweepSpec, Experiment) {
    let mut base = example("gossip");
    base.until_ms = 2500;
    let spec = SweepSpec {
        name: "test".into(),
        base: p2psim::Base::Inline(Box::new(base.clone())),
        parameters: vec![SweepParam {
            name: "fanout".into(),
            path: "/peer_types/0/services/1/1/PushGossip/fanout".into(),
            values: Values::List(vec![Value::Number(1.0), Value::Number(2.0), Value::Number(3.0)]),
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
    let one = run(&spec, &base, &a, 1).unwrap();
    let two = run(&spec, &base, &b, 2).unwrap();
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
    // The report page: the chosen metric at each point, as points.csv has it, and its plot.
    let page = std::fs::read_to_string(a.join("index.html")).unwrap();
    assert_eq!(page, std::fs::read_to_string(b.join("index.html")).unwrap(), "the same page at any thread count");
    assert_eq!(page.matches("<td>delivery_ratio</td>").count(), 3, "one row per point");
    let mean = one.points_csv.lines().find(|l| l.starts_with("2,") && l.contains(",delivery_ratio,")).unwrap();
    assert!(page.contains(&format!("<td>{}</td>", mean.split(',').nth(3).unwrap())), "{mean}");
    assert!(page.contains("<figure><svg") && page.contains("<figcaption>delivery_ratio.png</figcaption>"));
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}

#[test]
fn a_killed_sweep_resumes_without_recomputing_or_duplicating() {
    let (spec, base) = spec();
    let dir = tmp("resume");
    let full = run(&spec, &base, &dir, 2).unwrap();
    // As if killed: two results never written, one half-written under its temporary name.
    std::fs::remove_file(dir.join("runs/p0001-s11.json")).unwrap();
    std::fs::remove_file(dir.join("runs/p0002-s12.json")).unwrap();
    std::fs::write(dir.join("runs/p0002-s12.tmp-99999"), "{ \"delivery_").unwrap();
    let resumed = run(&spec, &base, &dir, 2).unwrap();
    assert_eq!((resumed.computed, resumed.reused), (2, 7));
    assert_eq!(resumed.runs_csv, full.runs_csv);
    assert_eq!(resumed.points_csv, full.points_csv);
    let again = run(&spec, &base, &dir, 1).unwrap();
    assert_eq!((again.computed, again.reused), (0, 9));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_path_that_names_nothing_is_an_error() {
    let (mut spec, base) = spec();
    spec.parameters[0].path = "/peer_types/0/services/1/1/PushGossip/fan_out".into();
    let e = sweep(&spec, &base).unwrap_err();
    assert!(e.to_string().contains("names nothing"), "{e}");
    spec.parameters[0].path = "/peer_types/0/services/1/1/PushGossip/fanout".into();
    spec.parameters[0].values = Values::List(vec![Value::Number(2.0), Value::Number(-1.5)]);
    let e = sweep(&spec, &base).unwrap_err();
    assert_eq!(
        e.to_string(),
        "peer_types[0].services[1][1].fanout: must be a whole number, at least 0, got -1.5 (at point -1.500000)"
    );
}

#[test]
fn the_example_sweep_file_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/sweeps/fanout-downtime.ron");
    let sweep = Sweep::load(std::path::Path::new(path), &Protocols::new()).unwrap();
    assert_eq!(sweep.spec.points().len(), 8);
    assert_eq!(sweep.points().len(), 8);
    assert_eq!(sweep.spec.runs().len(), 160);
    assert_eq!(sweep.base.name, "faults-push");
}

#[test]
fn a_folder_refuses_a_different_sweep_and_keeps_its_own() {
    let (spec, base) = spec();
    let dir = tmp("other");
    let first = run(&spec, &base, &dir, 2).unwrap();
    // The recorded sweep reads back to the same sweep, base inline.
    let recorded = Sweep::load(&dir.join(p2psim::SWEEP_FILE), &Protocols::new()).unwrap();
    assert_eq!(recorded.spec, spec.with_inline_base(&base));
    assert_eq!(recorded.base, base);
    // Another seed count into the same folder would mix results: refused, nothing touched.
    let mut other = spec.clone();
    other.seeds = 4;
    let e = run(&other, &base, &dir, 2).unwrap_err();
    assert!(e.to_string().contains("different sweep"), "{e}");
    assert!(!dir.join("runs/p0000-s13.json").exists());
    assert_eq!(std::fs::read_to_string(dir.join("runs.csv")).unwrap(), first.runs_csv);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gathering_an_incomplete_folder_names_the_missing_runs_and_writes_nothing() {
    let (spec, base) = spec();
    let dir = tmp("incomplete");
    let sweep = sweep(&spec, &base).unwrap();
    let (lock, missing, corrupt) = p2psim_cli::prepare(&sweep, &dir, &Protocols::new()).unwrap();
    drop(lock);
    assert_eq!((missing.len(), corrupt.len()), (9, 0));
    let names: Vec<String> = missing.iter().map(p2psim::RunKey::name).collect();
    assert_eq!(names[0], "p0000-s10");
    assert!(names.iter().all(|n| p2psim::RunKey::from_name(n).map(|k| k.name()).as_ref() == Some(n)));
    for &r in &missing[..7] {
        p2psim_cli::run_one(&sweep, &dir, r).unwrap();
    }
    let e = p2psim_cli::gather(&spec, &dir).unwrap_err();
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
    let sweep = Sweep::load(&std::path::Path::new(root).join("fanout-downtime.ron"), &Protocols::new()).unwrap();
    let dir = tmp("example");
    let outcome = run_sweep(&sweep, &dir, 2, &Protocols::new(), &|_, _| {}).unwrap();
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

#[test]
fn parameters_are_named_and_valued_like_the_experiment_file() {
    let (mut spec, base) = spec();
    spec.parameters[0] = SweepParam {
        name: "relay".into(),
        path: "peer.gossip.relay".into(),
        values: Values::List(vec![Value::Variant("EveryCopy".into(), None), Value::Variant("FirstCopy".into(), None)]),
    };
    spec.seeds = 2;
    let dir = tmp("named");
    let out = run(&spec, &base, &dir, 2).unwrap();
    assert!(out.runs_csv.lines().nth(1).unwrap().starts_with("0,EveryCopy,10,"), "{}", out.runs_csv);
    assert!(out.runs_csv.lines().nth(3).unwrap().starts_with("1,FirstCopy,10,"), "{}", out.runs_csv);
    // No plot against a parameter whose values are not numbers.
    assert!(!dir.join("delivery_ratio.png").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn columns_are_the_union_of_every_run_and_empty_points_show_no_numbers() {
    // Loss 1 delivers nothing (no delay at all); loss 0 delivers: the first run has fewer figures.
    let (mut spec, base) = spec();
    spec.parameters[0] = SweepParam {
        name: "loss".into(),
        path: "network.loss".into(),
        values: Values::List(vec![Value::Number(1.0), Value::Number(0.0)]),
    };
    spec.seeds = 1;
    let (a, b) = (tmp("union-a"), tmp("union-b"));
    let one = run(&spec, &base, &a, 1).unwrap();
    spec.parameters[0].values = Values::List(vec![Value::Number(0.0), Value::Number(1.0)]);
    let two = run(&spec, &base, &b, 1).unwrap();
    let header = |csv: &str| csv.lines().next().unwrap().to_owned();
    assert_eq!(header(&one.runs_csv), header(&two.runs_csv), "the same columns whatever the order");
    assert!(header(&one.runs_csv).contains("delay_ms.mean"));
    let lossy = one.points_csv.lines().find(|l| l.starts_with("0,1.000000,delay_ms.mean,")).unwrap();
    assert_eq!(lossy, "0,1.000000,delay_ms.mean,,,,0", "no values: empty statistics, count 0");
    assert!(!one.points_csv.contains("-0.000000"));
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}

#[test]
fn bad_metrics_corrupt_results_locks_and_foreign_folders_are_handled_before_any_run() {
    let (mut spec, base) = spec();
    spec.metrics = vec!["delivery_ratoi".into()];
    let dir = tmp("checks");
    let file = dir.with_extension("ron");
    std::fs::write(&file, spec.with_inline_base(&base).to_ron()).unwrap();
    let e = Sweep::load(&file, &Protocols::new()).unwrap_err();
    assert!(e.to_string().contains("metrics[0]: `delivery_ratoi` is not a figure of the summary"), "{e}");
    std::fs::remove_file(&file).unwrap();
    let (spec, base) = self::spec();
    // A folder of the user's is refused, untouched.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let e = run(&spec, &base, &dir, 1).unwrap_err();
    assert!(e.to_string().contains("holds no sweep"), "{e}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
    // A result emptied or garbled by hand is computed again, and said so.
    run(&spec, &base, &dir, 2).unwrap();
    std::fs::write(dir.join("runs/p0001-s11.json"), "").unwrap();
    std::fs::write(dir.join("runs/p0002-s12.json"), "{ \"delivery_").unwrap();
    let again = run(&spec, &base, &dir, 2).unwrap();
    let names: Vec<String> = again.recomputed.iter().map(p2psim::RunKey::name).collect();
    assert_eq!(names, ["p0001-s11", "p0002-s12"]);
    assert_eq!(again.computed, 2);
    // While one holds the folder, a second sweep into it is refused.
    // Other tests of this binary start processes: a fork made while the sweep held its lock keeps
    // a copy of the lock until it execs, so the first try may find it still held.
    let held = (0..100)
        .find_map(|_| {
            p2psim_cli::Lock::acquire(&dir).ok().or_else(|| {
                std::thread::sleep(std::time::Duration::from_millis(20));
                None
            })
        })
        .expect("the lock is free once the sweep is done");
    let e = run(&spec, &base, &dir, 1).unwrap_err();
    assert!(e.to_string().contains("another sweep is working in this folder"), "{e}");
    drop(held);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sweeps_too_large_for_memory_are_refused_before_any_run() {
    let (mut spec, base) = spec();
    spec.seeds = 4_000_000_000;
    let e = spec.run_count().unwrap();
    assert_eq!(e, 12_000_000_000);
    let dir = tmp("huge");
    let file = dir.with_extension("ron");
    std::fs::write(&file, spec.with_inline_base(&base).to_ron()).unwrap();
    let e = Sweep::load(&file, &Protocols::new()).unwrap_err();
    assert!(e.to_string().contains("12000000000 runs (3 points × 4000000000 seeds); at most 1000000"), "{e}");
    // Twelve parameters of ten values each: 10^12 points.
    let (mut spec, _) = self::spec();
    spec.parameters = (0..12)
        .map(|i| SweepParam {
            name: format!("p{i}"),
            path: "network.loss".into(),
            values: Values::Range { from: 0.0, to: 0.9, step: 0.1 },
        })
        .collect();
    std::fs::write(&file, spec.with_inline_base(&base).to_ron()).unwrap();
    let e = Sweep::load(&file, &Protocols::new()).unwrap_err();
    assert!(e.to_string().contains("1000000000000 points"), "{e}");
    assert!(!dir.exists(), "nothing was created");
    std::fs::remove_file(&file).unwrap();
}
