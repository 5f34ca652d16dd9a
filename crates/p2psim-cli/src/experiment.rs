//! `experiment [FILE]`: one run into its folder; with no file, the faults tutorial's two runs and
//! the tutorial's ratios over many seeds.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use p2psim::analysis::Summary;
use p2psim::kernel::SimTime;
use p2psim::overrides::{apply, parse_setting};
use p2psim::{Error, Experiment, Limits, Protocols, Scenario, Simulation};

use crate::outdir::{check_output, write_folder_atomically};
use crate::{log, progress};

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The experiment file (RON); with none, the built-in default: the tutorial "Faults and
    /// Disruptions" (push gossip under random downtime, then ranged pull gossip) and its ratios.
    file: Option<PathBuf>,
    /// Override the experiment's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Output folder: written whole, replacing only a folder p2psim wrote. Default
    /// `out/<file name without .ron>`, or `out/default`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override the experiment's end time, ms.
    #[arg(long)]
    until: Option<u64>,
    /// Set a field of the experiment: `--set peer.gossip.fanout=5`, `--set network.loss=0.1`,
    /// `--set topology.graph='RandomRegular(degree: 4)'` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Write a log to `run.log` in each run's folder (RUST_LOG works too). Each level shows what
    /// the one before it shows, and:
    #[arg(long, value_parser = ["error", "warn", "info", "debug", "trace"], long_help = format!("Write a log to `run.log` in each run's folder (RUST_LOG works too). Each level shows what the one before it shows, and:\n{}", log::LEVELS))]
    log: Option<String>,
    /// Run even what the estimate says cannot fit in this machine's memory or end in hours.
    #[arg(long)]
    force: bool,
    /// Also draw `graph.gif` and its frames from the live-graph snapshots (`analysis.animation`);
    /// an experiment without snapshots gets them every 100 ms.
    #[arg(long)]
    animation: bool,
    /// With the default experiment: seeds over which the tutorial's ratios are estimated.
    #[arg(long, default_value_t = 20)]
    seeds: u32,
}

/// The seeds-and-settings changes of the command line, applied to an experiment and checked:
/// the scenario everything after runs, checked once.
fn configured(exp: Experiment, args: &Args, protocols: &Protocols) -> Result<Scenario, Error> {
    let settings: Vec<_> = args.set.iter().map(|s| parse_setting(s)).collect::<Result<_, _>>()?;
    let mut exp = apply(&exp, &settings, protocols)?;
    if let Some(seed) = args.seed {
        exp.seed = seed;
    }
    if let Some(until) = args.until {
        if until == 0 {
            return Err(Error::input("--until", "must be more than 0 ms"));
        }
        exp.until_ms = until;
    }
    if args.animation {
        exp.analysis.animation = true;
        exp.analysis.snapshot_every_ms.get_or_insert(100.0);
    }
    let scenario = Scenario::new(&exp)?;
    if !args.force {
        scenario.estimate().check(&Limits::this_machine())?;
    }
    Ok(scenario)
}

/// Times of one run: the simulation, and the report (tables, summary, plots).
struct Timed {
    summary: Summary,
    events: u64,
    simulation_s: f64,
    report_s: f64,
}

/// Runs `scenario` into `dir` (a staging folder), with a progress bar on a terminal.
fn run_into(scenario: &Scenario, dir: &Path, log_level: Option<&str>) -> Result<Timed, Error> {
    let start = Instant::now();
    let exp = scenario.experiment();
    let mut sim = Simulation::new(scenario.clone());
    let until = SimTime::from_millis(exp.until_ms);
    let bar = progress::bar(100, "{prefix:>14} [{bar:40}] {pos}% {elapsed} (eta {eta})", &exp.name);
    let step = |sim: &mut Simulation| -> Result<(), Error> {
        for i in 1..=100u64 {
            sim.run_until(SimTime::from_nanos(until.as_nanos() / 100 * i))?;
            bar.set_position(i);
        }
        sim.run_until(until)
    };
    let level = log_level.map(str::to_owned).or_else(|| std::env::var("RUST_LOG").ok());
    match level {
        Some(level) => log::with_log(dir, &level, || step(&mut sim))?,
        None => step(&mut sim)?,
    }
    bar.finish_and_clear();
    let simulation_s = start.elapsed().as_secs_f64();
    let report = Instant::now();
    let summary = p2psim::write_results(&sim, dir)?;
    Ok(Timed { summary, events: sim.events(), simulation_s, report_s: report.elapsed().as_secs_f64() })
}

#[allow(clippy::print_stdout, reason = "the command reports to its user")]
fn describe(t: &Timed) {
    let s = &t.summary;
    // Read by key from the one table of figures, as summary.json is.
    let n = |key: &str| s.number(key).expect("a figure of the summary");
    let times = format!("simulation {:.3} s, report {:.3} s", t.simulation_s, t.report_s);
    if s.messages_produced == 0 {
        println!(
            "{:>14}: {} peers, {} events ({times}); {} links at the end (mean degree {:.2}), {:.0} bytes/s received per peer",
            s.experiment,
            s.peers.values().sum::<usize>(),
            t.events,
            n("links"),
            n("mean_degree"),
            n("bytes_per_s_per_peer.mean")
        );
        return;
    }
    println!(
        "{:>14}: {} peers, {} messages, {} events ({times}); delivered {:.1}% of (message, peer) pairs, mean delay {:.1} ms (p99 {:.1}), {:.1} hops on average, relative message redundancy {:.2}, {:.0} bytes/s received per peer",
        s.experiment,
        s.peers.values().sum::<usize>(),
        s.messages_produced,
        t.events,
        100.0 * n("delivery_ratio"),
        n("delay_ms.mean"),
        n("delay_ms.p99"),
        n("hops.mean"),
        n("relative_message_redundancy"),
        n("bytes_per_s_per_peer.mean"),
    );
}

/// The default output folder of a file: `out/<its name without .ron>`.
fn default_out(file: &Path) -> PathBuf {
    let stem = file.file_stem().map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("out").join(stem)
}

#[allow(clippy::print_stdout, reason = "the command reports to its user")]
pub(crate) fn run(args: Args, protocols: &Protocols) -> Result<(), Error> {
    match &args.file {
        Some(file) => {
            let text = p2psim::read_text(file)?;
            let name = file.display().to_string();
            let exp = Experiment::from_ron(&text, &name, protocols)?;
            let scenario = configured(exp, &args, protocols).map_err(|e| e.in_file(&name, &text))?;
            let out = args.out.clone().unwrap_or_else(|| default_out(file));
            check_output(&out, &[file])?;
            let timed = write_folder_atomically(&out, &[file], |dir| run_into(&scenario, dir, args.log.as_deref()))?;
            describe(&timed);
            println!("results in {}", out.display());
            Ok(())
        }
        None => default(&args, protocols),
    }
}

/// The tutorial's three ratios (pull against push) of one pair of runs.
fn ratios(push: &Summary, pull: &Summary) -> [f64; 3] {
    [
        pull.tutorial_mean_delay_ms / push.tutorial_mean_delay_ms,
        pull.bytes_per_s_per_peer.0 / push.bytes_per_s_per_peer.0,
        pull.msgs_per_s_per_peer.0 / push.msgs_per_s_per_peer.0,
    ]
}

/// Mean and 95 % confidence half-width (Student's t) of a sample.
fn interval(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, f64::NAN);
    }
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let t = if xs.len() <= 31 {
        [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
        ][xs.len() - 2]
    } else {
        1.96
    };
    (mean, t * sd / n.sqrt())
}

#[allow(clippy::print_stdout, reason = "the command reports to its user")]
fn default(args: &Args, protocols: &Protocols) -> Result<(), Error> {
    let read = |text: &str, file: &str| -> Result<Scenario, Error> {
        configured(Experiment::from_ron(text, file, protocols)?, args, protocols).map_err(|e| e.in_file(file, text))
    };
    let push = read(p2psim::experiments::FAULTS_PUSH, "faults-push.ron")?;
    let pull = read(p2psim::experiments::FAULTS_PULL, "faults-pull.ron")?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("out/default"));
    check_output(&out, &[])?;
    if args.seeds == 0 {
        return Err(Error::input("--seeds", "at least one seed"));
    }
    // The ratios over many seeds: each pair of runs (push, pull) shares its seed.
    let started = Instant::now();
    let pairs: Vec<Result<(u64, [f64; 3]), Error>> = (1..=u64::from(args.seeds))
        .into_par_iter()
        .map(|seed| {
            let summary = |scenario: &Scenario| -> Result<Summary, Error> {
                let mut sim = Simulation::new(scenario.with_seed(seed).numbers_only());
                sim.run()?;
                Ok(p2psim::report(&sim).0)
            };
            Ok((seed, ratios(&summary(&push)?, &summary(&pull)?)))
        })
        .collect();
    let pairs: Vec<(u64, [f64; 3])> = pairs.into_iter().collect::<Result<_, _>>()?;
    let seeds_s = started.elapsed().as_secs_f64();
    let results = write_folder_atomically(&out, &[], |dir| {
        let mut runs = Vec::new();
        for (name, exp) in [("push", &push), ("pull", &pull)] {
            let sub = dir.join(name);
            std::fs::create_dir_all(&sub).map_err(|e| Error::io(&sub, e))?;
            runs.push(run_into(exp, &sub, args.log.as_deref())?);
        }
        let mut csv = String::from("seed,delay_ratio,bandwidth_ratio,msg_count_ratio\n");
        for (seed, r) in &pairs {
            csv += &format!("{seed},{:.6},{:.6},{:.6}\n", r[0], r[1], r[2]);
        }
        std::fs::write(dir.join("ratios.csv"), csv).map_err(|e| Error::io(&dir.join("ratios.csv"), e))?;
        let stats: Vec<(f64, f64)> =
            (0..3).map(|i| interval(&pairs.iter().map(|p| p.1[i]).collect::<Vec<_>>())).collect();
        let comparison = comparison_json(&runs[0].summary, &runs[1].summary, &stats, pairs.len());
        std::fs::write(dir.join("comparison.json"), &comparison)
            .map_err(|e| Error::io(&dir.join("comparison.json"), e))?;
        let page = comparison_page(&runs[0].summary, &runs[1].summary, &stats, pairs.len());
        std::fs::write(dir.join("index.html"), page).map_err(|e| Error::io(&dir.join("index.html"), e))?;
        Ok((runs, stats))
    })?;
    let (runs, stats) = results;
    for t in &runs {
        describe(t);
    }
    let this = ratios(&runs[0].summary, &runs[1].summary);
    let names = ["delay", "bandwidth", "message count"];
    let over: Vec<String> = (0..3).map(|i| format!("{} {:.2} ± {:.2}", names[i], stats[i].0, stats[i].1)).collect();
    println!(
        "pull against push, the tutorial's ratios over {} seeds (mean ± 95 % interval, {seeds_s:.1} s): {}",
        pairs.len(),
        over.join(", ")
    );
    println!(
        "  this pair of runs (seed {}): delay {:.2}, bandwidth {:.2}, message count {:.2}. One run's delay ratio varies \
         widely from seed to seed; the interval says what the model does. The tutorial's notebook printed 4.09, 0.31, \
         0.95 in 2020, for one unseeded run of P2PSimpy's code of that time; its course version run over 20 seeds \
         gives bandwidth 0.63 and message count 1.07 (BENCHMARKS.md, \"Against P2PSimpy\")",
        push.experiment().seed,
        this[0],
        this[1],
        this[2]
    );
    println!("results in {}", out.display());
    Ok(())
}

/// The comparison's report page: the tutorial's three ratios for this pair and over the seeds,
/// each run's delivery, and links to the two runs' pages.
fn comparison_page(base: &Summary, variant: &Summary, over_seeds: &[(f64, f64)], seeds: usize) -> String {
    let this = ratios(base, variant);
    let names = ["delay (tutorial mean delay)", "bandwidth (bytes/s per peer)", "message count (messages/s per peer)"];
    let rows: Vec<Vec<String>> = (0..3)
        .map(|i| {
            let (mean, ci) = over_seeds.get(i).copied().unwrap_or((f64::NAN, f64::NAN));
            vec![names[i].to_owned(), format!("{:.2}", this[i]), format!("{mean:.2} ± {ci:.2}")]
        })
        .collect();
    let intro = format!(
        "{} against {}: the tutorial's ratios (variant over baseline), for this pair of runs (seed {}) and over {seeds} seeds (mean ± 95 % interval).",
        variant.experiment, base.experiment, base.seed
    );
    let mut page = p2psim::html::Page::new("pull against push", &intro);
    page.heading("Ratios").table("ratios", &["ratio", "this pair", &format!("over {seeds} seeds")], &rows);
    let delivery = |s: &Summary| vec![s.experiment.clone(), format!("{:.4}", s.delivery_ratio)];
    page.heading("Delivery").table("delivery", &["run", "delivery ratio"], &[delivery(base), delivery(variant)]);
    page.heading("The runs").links(&[("push: its report", "push/index.html"), ("pull: its report", "pull/index.html")]);
    page.finish()
}

/// The tutorial's comparison of two runs (pull against push): ratios of mean delay, bandwidth and
/// message count, and the same ratios over `seeds` seeds (mean and 95 % confidence half-width,
/// in the order delay, bandwidth, message count), as JSON with sorted keys.
pub(crate) fn comparison_json(base: &Summary, variant: &Summary, over_seeds: &[(f64, f64)], seeds: usize) -> String {
    let ratio = |a: f64, b: f64| p2psim::analysis::fixed(a / b);
    let stat = |i: usize| {
        let (mean, ci) = over_seeds.get(i).copied().unwrap_or((f64::NAN, f64::NAN));
        serde_json::json!({ "mean": p2psim::analysis::fixed(mean), "ci95": p2psim::analysis::fixed(ci) })
    };
    let v = serde_json::json!({
        "baseline": base.experiment,
        "variant": variant.experiment,
        "delay_ratio": ratio(variant.tutorial_mean_delay_ms, base.tutorial_mean_delay_ms),
        "bandwidth_ratio": ratio(variant.bytes_per_s_per_peer.0, base.bytes_per_s_per_peer.0),
        "msg_count_ratio": ratio(variant.msgs_per_s_per_peer.0, base.msgs_per_s_per_peer.0),
        "delivery_ratio_baseline": p2psim::analysis::fixed(base.delivery_ratio),
        "delivery_ratio_variant": p2psim::analysis::fixed(variant.delivery_ratio),
        "over_seeds": { "seeds": seeds, "delay_ratio": stat(0), "bandwidth_ratio": stat(1), "msg_count_ratio": stat(2) },
    });
    p2psim::analysis::to_json_pretty(&v)
}
