//! Writing a run's results: the resolved experiment, the summary, the tables as CSV, the plots.

use std::path::{Path, PathBuf};

use p2psim_analysis::{
    Summary, Tables, convergence_csv, copies_csv, delays_csv, plot, traffic_csv, traffic_per_second_csv,
};
use p2psim_net::PeerState;

use crate::error::Error;
use crate::simulation::Simulation;

pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::io(path, e)
}

/// Writes `text` to `path` whole or not at all: under a temporary name unique to this host and
/// process, then renamed. Several writers of the same file (a requeued batch task) are harmless.
pub fn write_file_atomically(path: &Path, text: &str) -> Result<(), Error> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let tmp = path.with_extension(format!("tmp-{}-{}", host.trim(), std::process::id()));
    let written = std::fs::write(&tmp, text).map_err(|e| io(&tmp, e));
    let result = written.and_then(|()| std::fs::rename(&tmp, path).map_err(|e| io(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Fills a folder whole or not at all: `fill` writes into a fresh staging folder next to `out`,
/// which then replaces `out` in one rename. If `fill` fails, `out` is left as it was.
pub fn write_folder_atomically<T>(out: &Path, fill: impl FnOnce(&Path) -> Result<T, Error>) -> Result<T, Error> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let name = out.file_name().ok_or_else(|| io(out, "the output folder needs a name"))?.to_string_lossy().into_owned();
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| io(&staging, e))?;
    let result = fill(&staging);
    match result {
        Ok(v) => {
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            if out.exists() {
                std::fs::rename(out, &old).map_err(|e| io(out, e))?;
            }
            std::fs::rename(&staging, out).map_err(|e| io(out, e))?;
            let _ = std::fs::remove_dir_all(&old);
            Ok(v)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

/// The summary and tables of a run (of its gossip service, if it has one).
pub fn report(sim: &Simulation) -> (Summary, Tables) {
    let slot = sim.gossip_service();
    let tables = Tables::new(sim.world(), slot, sim.now());
    let exp = sim.experiment();
    let summary = Summary::new(&exp.name, exp.seed, sim.now(), sim.events(), sim.world(), slot, &tables);
    (summary, tables)
}

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf, Error> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    Ok(path)
}

/// Writes everything about a finished run into `dir` (which must exist): `experiment.ron` (the
/// resolved experiment, rerunnable as is), `summary.json`, `convergence.csv`,
/// `traffic-per-second.csv`, `topology.dot`, the per-peer tables `delays.csv`, `copies.csv` and
/// `traffic.csv` unless `analysis.peer_tables` leaves them out, and, when the experiment asks for
/// plots, PNG heatmaps (with the per-peer tables), histogram, traffic and convergence plots, and
/// graph frames with an animated GIF.
pub fn write_results(sim: &Simulation, dir: &Path) -> Result<Summary, Error> {
    let mut exp = sim.experiment().clone();
    exp.until_ms = sim.now().as_nanos() / 1_000_000;
    write(dir, "experiment.ron", &exp.to_ron())?;
    let (summary, tables) = report(sim);
    write(dir, "topology.dot", &live_dot(sim))?;
    let messages = sim.world().messages();
    let peer_tables = exp.analysis.peer_tables.wanted(tables.delays.peers.len() as u64, messages.len() as u64);
    write(dir, "summary.json", &summary.to_json())?;
    if peer_tables {
        write(dir, "delays.csv", &delays_csv(&tables, messages))?;
        write(dir, "copies.csv", &copies_csv(&tables, messages))?;
        write(dir, "traffic.csv", &traffic_csv(&tables))?;
    }
    // Per second, over peers: the CSV and the two time-series plots.
    let bytes = p2psim_analysis::TrafficTable::per_second(&tables.traffic.bytes_f64());
    let msgs = p2psim_analysis::TrafficTable::per_second(&tables.traffic.msgs_f64());
    write(dir, "traffic-per-second.csv", &traffic_per_second_csv(&bytes, &msgs))?;
    write(dir, "convergence.csv", &convergence_csv(&tables, messages))?;
    if exp.analysis.plots && !tables.delays.messages.is_empty() {
        let plot_err = |e: plot::PlotError| Error::Io { file: e.path, message: e.message };
        if peer_tables {
            plot::heatmap(&dir.join("delays.png"), "Delivery delay (ms)", &tables.delays).map_err(plot_err)?;
            let copies = p2psim_analysis::Table {
                messages: tables.copies.messages.clone(),
                peers: tables.copies.peers.clone(),
                cells: tables.copies.cells.iter().map(|r| r.iter().map(|c| c.map(f64::from)).collect()).collect(),
            };
            plot::heatmap(&dir.join("copies.png"), "Copies received per peer and message", &copies)
                .map_err(plot_err)?;
        }
        let counts: Vec<u32> = tables.copies.values().collect();
        plot::histogram(
            &dir.join("copies-histogram.png"),
            "Redundancy",
            "Copies of a message seen by one peer",
            &counts,
        )
        .map_err(plot_err)?;
        plot::time_series(&dir.join("bandwidth.png"), "Bandwidth overhead", "Bytes received per second", &bytes)
            .map_err(plot_err)?;
        plot::time_series(&dir.join("messages.png"), "Message count overhead", "Messages received per second", &msgs)
            .map_err(plot_err)?;
        plot::convergence(&dir.join("convergence.png"), "Convergence per message", &tables.delays).map_err(plot_err)?;
        if !sim.snapshots().is_empty() {
            let client: Vec<bool> = {
                let w = sim.world();
                let producers: Vec<u16> = exp
                    .peer_types
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.services.iter().any(|(_, s)| s.role() == p2psim_services::Role::Source))
                    .map(|(i, _)| i as u16)
                    .collect();
                w.net().peers().map(|p| producers.contains(&w.peers().type_of(p))).collect()
            };
            let frames: Vec<plot::Frame> = sim
                .snapshots()
                .iter()
                .map(|s| plot::Frame {
                    caption: format!("{}: {}", exp.name, s.at),
                    online: s.states.iter().map(|&st| st == PeerState::Online).collect(),
                    client: client.clone(),
                    links: s.links.iter().map(|&(a, b)| (a.index(), b.index())).collect(),
                })
                .collect();
            plot::graph_frames(&dir.join("frames"), &dir.join("graph.gif"), &frames, 10).map_err(plot_err)?;
        }
    }
    Ok(summary)
}

/// The live graph at the end of the run, in Graphviz DOT (online peers and their links).
fn live_dot(sim: &Simulation) -> String {
    let net = sim.world().net();
    let peers = sim.world().peers();
    let mut out = String::from("graph live {\n");
    for p in net.peers() {
        let color = if net.is_online(p) { "blue" } else { "red" };
        out += &format!("    {} [type=\"{}\", color={color}];\n", p.0, peers.type_name(peers.type_of(p)));
    }
    for (a, b) in net.live_links() {
        out += &format!("    {} -- {};\n", a.0, b.0);
    }
    out + "}\n"
}

/// The tutorial's comparison of two runs (pull against push): ratios of mean delay, bandwidth and
/// message count, as JSON with sorted keys.
pub fn comparison_json(base: &Summary, variant: &Summary) -> String {
    let ratio = |a: f64, b: f64| p2psim_analysis::fixed(a / b);
    serde_json_value(&[
        ("baseline", base.experiment.clone().into()),
        ("variant", variant.experiment.clone().into()),
        ("delay_ratio", ratio(variant.tutorial_mean_delay_ms, base.tutorial_mean_delay_ms)),
        ("bandwidth_ratio", ratio(variant.bytes_per_s_per_peer.0, base.bytes_per_s_per_peer.0)),
        ("msg_count_ratio", ratio(variant.msgs_per_s_per_peer.0, base.msgs_per_s_per_peer.0)),
        ("delivery_ratio_baseline", p2psim_analysis::fixed(base.delivery_ratio)),
        ("delivery_ratio_variant", p2psim_analysis::fixed(variant.delivery_ratio)),
    ])
}

fn serde_json_value(pairs: &[(&str, p2psim_analysis::JsonValue)]) -> String {
    let map: std::collections::BTreeMap<&str, &p2psim_analysis::JsonValue> =
        pairs.iter().map(|(k, v)| (*k, v)).collect();
    p2psim_analysis::to_json_pretty(&map)
}
