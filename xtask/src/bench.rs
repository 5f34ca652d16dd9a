//! `cargo xtask bench`: criterion benches, then scale runs each in its own process, as one table.

use std::process::Command;

use anyhow::{Context, Result, bail};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Shorter criterion runs and no million-peer run.
    #[arg(long)]
    quick: bool,
    /// Only the scale table.
    #[arg(long)]
    skip_criterion: bool,
    /// Also the million-peer gossip scenarios (push to completion, ranged pull for 10 s): about
    /// ten minutes each.
    #[arg(long, conflicts_with = "quick")]
    million: bool,
    /// Also ten million peers (`scale-10m-push.ron`: push gossip of 10 messages to completion),
    /// the run alone and through the main command: several minutes and about 11 GB.
    #[arg(long, conflicts_with = "quick")]
    ten_million: bool,
}

struct Row {
    implementation: String,
    peers: u64,
    messages: u64,
    events: u64,
    wall_s: f64,
    events_per_s: f64,
    peak_rss: u64,
    bytes_per_peer: u64,
}

fn scale_run(bin: &std::path::Path, which: &str, peers: u64, messages: u64) -> Result<Row> {
    scale_run_args(bin, &[which, &peers.to_string(), &messages.to_string()])
}

fn scale_run_args(bin: &std::path::Path, args: &[&str]) -> Result<Row> {
    let out = Command::new(bin).args(args).output().with_context(|| format!("running {}", bin.display()))?;
    if !out.status.success() {
        bail!("scale {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let line = String::from_utf8(out.stdout)?;
    let f: Vec<&str> = line.split_whitespace().collect();
    let num = |i: usize| -> Result<f64> { Ok(f.get(i).context("short scale output")?.parse()?) };
    Ok(Row {
        implementation: f[0].to_owned(),
        peers: num(1)? as u64,
        messages: num(2)? as u64,
        events: num(3)? as u64,
        wall_s: num(5)?,
        events_per_s: num(6)?,
        peak_rss: num(7)? as u64,
        bytes_per_peer: num(8)? as u64,
    })
}

/// `a / b` for the table: `n/a` when the yardstick took no measurable time.
fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() { format!("{:.2}×", a / b) } else { "n/a".to_owned() }
}

pub(crate) fn run(args: Args) -> Result<()> {
    let root = crate::project_root();
    if !args.skip_criterion {
        let mut cmd = Command::new(crate::cargo());
        // The bench targets only: their criterion harness takes `--quick`; a library's test harness
        // would refuse it.
        cmd.current_dir(&root).args(["bench", "-p", "benches", "--benches"]);
        if args.quick {
            cmd.args(["--", "--quick"]);
        }
        if !cmd.status()?.success() {
            bail!("cargo bench failed");
        }
    }
    let status = Command::new(crate::cargo())
        .current_dir(&root)
        .args(["build", "--release", "--quiet", "-p", "benches", "--bin", "scale"])
        .status()?;
    if !status.success() {
        bail!("building the scale runner failed");
    }
    let bin = root.join("target/release/scale");
    let mut sizes = vec![1_000u64, 10_000, 100_000];
    if !args.quick {
        sizes.push(1_000_000);
    }
    println!(
        "\n| scenario | implementation | events | events/s | wall (s) | peak memory | bytes/peer | vs yardstick |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for &n in &sizes {
        let y = scale_run(&bin, "yardstick", n, 1)?;
        let p = scale_run(&bin, "p2psim", n, 1)?;
        for r in [&y, &p] {
            println!(
                "| flood, {} peers, {} msg | {} | {} | {:.2} M | {:.3} | {:.1} MB | {} | {} |",
                r.peers,
                r.messages,
                r.implementation,
                r.events,
                r.events_per_s / 1e6,
                r.wall_s,
                r.peak_rss as f64 / 1e6,
                r.bytes_per_peer,
                ratio(r.wall_s, y.wall_s),
            );
        }
    }
    println!(
        "\n| scenario | events | copies delivered (accounted at send) | wall (s) | events/s | peak memory | bytes/peer | stored |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut scenarios = vec!["scale-1000", "scale-1000-pull"];
    let mut through_main = Vec::new();
    if args.million {
        scenarios.extend(["scale-1m-push", "scale-1m-pull"]);
        through_main.push("scale-1m-push");
    }
    if args.ten_million {
        scenarios.push("scale-10m-push");
        through_main.push("scale-10m-push");
    }
    let mut alone = std::collections::BTreeMap::new();
    for name in scenarios {
        let file = root.join(format!("examples/experiments/{name}.ron"));
        let out = Command::new(&bin).arg("experiment").arg(&file).output()?;
        if !out.status.success() {
            bail!("scale experiment {name} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let line = String::from_utf8(out.stdout)?;
        let f: Vec<&str> = line.split_whitespace().collect();
        let field = |i: usize| f.get(i).copied().unwrap_or("?");
        let tagged = |tag: &str| f.iter().find_map(|w| w.strip_prefix(tag)).unwrap_or("?");
        let mb = field(7).parse::<f64>().map_or("?".to_owned(), |b| format!("{:.1} MB", b / 1e6));
        let rate = field(6).parse::<f64>().map_or("?".to_owned(), |r| format!("{:.2} M", r / 1e6));
        println!(
            "| {name} | {} | {} ({}) | {} | {rate} | {mb} | {} | {} |",
            field(3),
            field(4),
            tagged("accounted="),
            field(5),
            field(8),
            tagged("stored="),
        );
        alone.insert(name, (field(5).parse::<f64>().unwrap_or(f64::NAN), field(7).parse::<f64>().unwrap_or(f64::NAN)));
    }
    if args.million {
        push_against_yardstick(&root, &bin)?;
    }
    if !through_main.is_empty() {
        main_command_table(&root, &bin, &through_main, &alone)?;
    }
    Ok(())
}

/// The million-peer push with 10 messages against the yardstick flooding the same copies, each
/// as an event: the target is at most 0.6 times the yardstick's time. The floor (the same model
/// as a hand-made loop, `benches/src/floor.rs`) shows what any implementation of the model costs
/// against the same yardstick.
fn push_against_yardstick(root: &std::path::Path, bin: &std::path::Path) -> Result<()> {
    // The same scenario with its producer stopped after 10 messages.
    let text = std::fs::read_to_string(root.join("examples/experiments/scale-1m-push.ron"))?;
    let ten = text.replace("times: Some(100)", "times: Some(10)");
    if ten == text {
        bail!("scale-1m-push.ron no longer says `times: Some(100)`");
    }
    let dir = root.join("target/bench-main");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("scale-1m-push-10.ron");
    std::fs::write(&file, ten)?;
    let y = scale_run(bin, "yardstick", 1_000_000, 10)?;
    let f = scale_run(bin, "floor", 1_000_000, 10)?;
    let p = scale_run_args(bin, &["experiment", file.to_str().context("a path in UTF-8")?])?;
    println!("\n| push, 10^6 peers, 10 messages | wall (s) | peak memory | vs yardstick (target ≤ 0.6) |");
    println!("|---|---|---|---|");
    for r in [&y, &f, &p] {
        println!(
            "| {} | {:.2} | {:.1} MB | {} |",
            r.implementation,
            r.wall_s,
            r.peak_rss as f64 / 1e6,
            ratio(r.wall_s, y.wall_s)
        );
    }
    Ok(())
}

/// The main command (`p2psim experiment FILE`, report and files included) against the run alone:
/// the targets are at most 1.3 times the time and 1.2 times the peak memory.
fn main_command_table(
    root: &std::path::Path,
    bin: &std::path::Path,
    names: &[&str],
    alone: &std::collections::BTreeMap<&str, (f64, f64)>,
) -> Result<()> {
    println!(
        "\n| scenario | run alone: wall (s), peak | main command: wall (s), peak | time ratio (≤ 1.3) | memory ratio (≤ 1.2) |"
    );
    println!("|---|---|---|---|---|");
    for &name in names {
        let file = root.join(format!("examples/experiments/{name}.ron"));
        let out_dir = root.join(format!("target/bench-main/{name}"));
        let out = Command::new(bin).arg("main").arg(&file).arg(&out_dir).output()?;
        if !out.status.success() {
            bail!("the main command on {name} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let text = String::from_utf8(out.stdout)?;
        let f: Vec<&str> = text.lines().last().unwrap_or("").split_whitespace().collect();
        let wall: f64 = f.get(1).context("short output of scale main")?.parse()?;
        let peak: f64 = f.get(2).context("short output of scale main")?.parse()?;
        let (run_wall, run_peak) = alone[name];
        println!(
            "| {name} | {run_wall:.1}, {:.2} GB | {wall:.1}, {:.2} GB | {} | {} |",
            run_peak / 1e9,
            peak / 1e9,
            ratio(wall, run_wall),
            ratio(peak, run_peak),
        );
    }
    Ok(())
}
