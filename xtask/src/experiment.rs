//! `cargo xtask experiment [FILE.ron] [--seed N] [--out DIR] [--until MS] [--log LEVEL]`
//!
//! With no file it runs the built-in default, the tutorial's faults experiment: push gossip under
//! random downtime, then ranged pull gossip with clients linked to 5 peers; it prints the tutorial's
//! ratios and writes both runs and `comparison.json`. The output folder is written whole or not at
//! all. Bad input exits with status 2 and one message naming the file, line, column and field.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use p2psim::analysis::Summary;
use p2psim::kernel::SimTime;
use p2psim::{Error, Experiment, Simulation};

/// Bad input from the user: reported with exit status 2.
#[derive(Debug)]
pub(crate) struct InputError(pub(crate) String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// Bad input (a file, a field, a folder holding another sweep) exits with status 2; what the
/// system refuses exits with 1.
pub(crate) fn input(e: Error) -> anyhow::Error {
    if e.is_input() { InputError(e.to_string()).into() } else { anyhow::Error::new(e) }
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The experiment file (RON); the built-in faults tutorial if absent.
    file: Option<PathBuf>,
    /// Override the experiment's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Output folder (replaced whole); default `out/<experiment>` or `out/default`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override the experiment's end time, ms.
    #[arg(long)]
    until: Option<u64>,
    /// Write a log (connects, disconnects, messages) at this level to `run.log` in each run's
    /// folder: error, warn, info, debug, trace. `RUST_LOG` works too.
    #[arg(long)]
    log: Option<String>,
}

/// A progress bar on a terminal (hidden otherwise, so logs and pipes stay clean).
pub(crate) fn progress_bar(len: u64, template: &str, prefix: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(len);
    b.set_style(indicatif::ProgressStyle::with_template(template).expect("valid template").progress_chars("=> "));
    b.set_prefix(prefix.to_owned());
    b
}

/// Runs one experiment into `dir` (an existing staging folder), with a progress bar on a terminal.
fn run_one(exp: &Experiment, dir: &Path, log: Option<&str>) -> Result<(Summary, u64, f64)> {
    let wall = Instant::now();
    let mut sim = Simulation::new(exp).map_err(input)?;
    let until = SimTime::from_millis(exp.until_ms);
    let bar = progress_bar(100, "{prefix:>12} [{bar:40}] {pos}% {elapsed} (eta {eta})", &exp.name);
    let filter = log.map(str::to_owned).or_else(|| std::env::var("RUST_LOG").ok());
    let step = |sim: &mut Simulation| -> Result<()> {
        for i in 1..=100u64 {
            sim.run_until(SimTime::from_nanos(until.as_nanos() / 100 * i)).map_err(input)?;
            bar.set_position(i);
        }
        sim.run_until(until).map_err(input)?;
        Ok(())
    };
    match filter {
        Some(level) => {
            let file = std::fs::File::create(dir.join("run.log"))?;
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(level))
                .with_writer(std::sync::Mutex::new(file))
                .with_ansi(false)
                .without_time()
                .finish();
            tracing::subscriber::with_default(subscriber, || step(&mut sim))?;
        }
        None => step(&mut sim)?,
    }
    bar.finish_and_clear();
    let summary = p2psim::write_results(&sim, dir).map_err(input)?;
    Ok((summary, sim.events(), wall.elapsed().as_secs_f64()))
}

fn describe(s: &Summary, events: u64, wall: f64) {
    if s.messages_produced == 0 {
        println!(
            "{:>12}: {} peers, {} events in {wall:.2} s wall; {} links at the end (mean degree {:.2}), {:.0} bytes/s received per peer",
            s.experiment,
            s.peers.values().sum::<usize>(),
            events,
            s.links,
            s.mean_degree,
            s.bytes_per_s_per_peer.0
        );
        return;
    }
    println!(
        "{:>12}: {} peers, {} messages, {} events in {wall:.2} s wall; delivered {:.1}% of (message, peer) pairs, mean delay {:.1} ms (p99 {:.1}), {:.2} copies per delivery, {:.0} bytes/s received per peer",
        s.experiment,
        s.peers.values().sum::<usize>(),
        s.messages_produced,
        events,
        100.0 * s.delivery_ratio,
        s.t_ave_ms,
        s.delay_ms[3],
        s.copies.0,
        s.bytes_per_s_per_peer.0,
    );
}

fn apply(exp: &mut Experiment, args: &Args) {
    if let Some(seed) = args.seed {
        exp.seed = seed;
    }
    if let Some(until) = args.until {
        exp.until_ms = until;
    }
}

pub(crate) fn run(args: Args) -> Result<()> {
    if args.until == Some(0) {
        return Err(InputError("--until: must be > 0 ms".into()).into());
    }
    match &args.file {
        Some(file) => {
            let mut exp = Experiment::load(file).map_err(input)?;
            apply(&mut exp, &args);
            let out = args.out.clone().unwrap_or_else(|| PathBuf::from("out").join(&exp.name));
            let (summary, events, wall) =
                p2psim::write_folder_atomically(&out, |dir| run_one(&exp, dir, args.log.as_deref()).map_err(to_facade))
                    .map_err(input)?;
            describe(&summary, events, wall);
            println!("results in {}", out.display());
        }
        None => {
            let mut push = Experiment::from_ron(p2psim::experiments::FAULTS_PUSH, "faults-push.ron").map_err(input)?;
            let mut pull = Experiment::from_ron(p2psim::experiments::FAULTS_PULL, "faults-pull.ron").map_err(input)?;
            apply(&mut push, &args);
            apply(&mut pull, &args);
            let out = args.out.clone().unwrap_or_else(|| PathBuf::from("out/default"));
            let results = p2psim::write_folder_atomically(&out, |dir| {
                let mut runs = Vec::new();
                for (name, exp) in [("push", &push), ("pull", &pull)] {
                    let sub = dir.join(name);
                    std::fs::create_dir_all(&sub)
                        .map_err(|e| Error::Io { file: sub.display().to_string(), message: e.to_string() })?;
                    runs.push(run_one(exp, &sub, args.log.as_deref()).map_err(to_facade)?);
                }
                let comparison = p2psim::comparison_json(&runs[0].0, &runs[1].0);
                std::fs::write(dir.join("comparison.json"), &comparison)
                    .map_err(|e| Error::Io { file: "comparison.json".into(), message: e.to_string() })?;
                Ok((runs, comparison))
            })
            .map_err(input)?;
            let (runs, _) = results;
            for (s, events, wall) in &runs {
                describe(s, *events, *wall);
            }
            let (p, q) = (&runs[0].0, &runs[1].0);
            println!(
                "pull against push (the tutorial's ratios; 2020 P2PSimpy output: 4.09, 0.31, 0.95): delay {:.2}, bandwidth {:.2}, message count {:.2}",
                q.tutorial_mean_delay_ms / p.tutorial_mean_delay_ms,
                q.bytes_per_s_per_peer.0 / p.bytes_per_s_per_peer.0,
                q.msgs_per_s_per_peer.0 / p.msgs_per_s_per_peer.0,
            );
            println!("results in {}", out.display());
        }
    }
    Ok(())
}

/// Carries an xtask error through the facade's folder writer.
fn to_facade(e: anyhow::Error) -> Error {
    match e.downcast::<InputError>() {
        Ok(InputError(m)) => Error::Input { file: String::new(), position: None, field: String::new(), message: m },
        Err(e) => Error::Io { file: String::new(), message: format!("{e:#}") },
    }
}
