//! Writing a run's results: the resolved experiment, the summary, the tables as CSV, the plots.

use std::path::{Path, PathBuf};

use p2psim_analysis::{
    Summary, Tables, convergence_csv, copies_csv, delays_csv, messages_csv, per_message, plot, traffic_csv,
    traffic_per_second_csv,
};
use p2psim_net::PeerState;

use crate::error::Error;
use crate::simulation::Simulation;

/// How long each frame of `graph.gif` shows, ms: 61 snapshots (every 100 ms of a 6 s run) play
/// in 9 s, slow enough to follow peers going down and coming back.
const GIF_FRAME_MS: u32 = 150;

pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::io(path, e)
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

/// A run's results as text, named as their files, with what the plots are drawn from.
pub struct ResultFiles {
    /// `(file name, text)`: `experiment.ron`, `topology.dot`, `summary.json`, the per-peer tables
    /// `delays.csv`, `copies.csv` and `traffic.csv` unless `analysis.peer_tables` leaves them out,
    /// `traffic-per-second.csv`, `convergence.csv`, `messages.csv`.
    pub texts: Vec<(&'static str, String)>,
    /// The summary.
    pub summary: Summary,
    /// The tables.
    pub tables: Tables,
    bytes: Vec<(f64, f64, f64)>,
    msgs: Vec<(f64, f64, f64)>,
    peer_tables: bool,
}

/// The text files of a finished (or paused) run's results, as [`write_results`] writes them.
pub fn result_files(sim: &Simulation) -> ResultFiles {
    let mut exp = sim.experiment().clone();
    exp.until_ms = sim.now().as_nanos() / 1_000_000;
    let (summary, tables) = report(sim);
    let messages = sim.world().messages();
    let peer_tables = exp.analysis.peer_tables.wanted(tables.delays.peers.len() as u64, messages.len() as u64);
    let mut texts =
        vec![("experiment.ron", exp.to_ron()), ("topology.dot", live_dot(sim)), ("summary.json", summary.to_json())];
    if peer_tables {
        texts.push(("delays.csv", delays_csv(&tables, messages)));
        texts.push(("copies.csv", copies_csv(&tables, messages)));
        texts.push(("traffic.csv", traffic_csv(&tables)));
    }
    // Per second, over peers: the CSV and the two time-series plots.
    let bytes = p2psim_analysis::TrafficTable::per_second(&tables.traffic.bytes_f64());
    let msgs = p2psim_analysis::TrafficTable::per_second(&tables.traffic.msgs_f64());
    texts.push(("traffic-per-second.csv", traffic_per_second_csv(&bytes, &msgs)));
    texts.push(("convergence.csv", convergence_csv(&tables, messages)));
    texts.push(("messages.csv", messages_csv(&per_message(&tables, messages), &tables, messages)));
    ResultFiles { texts, summary, tables, bytes, msgs, peer_tables }
}

/// Writes everything about a finished run into `dir` (which must exist): `experiment.ron` (the
/// resolved experiment, rerunnable as is), `summary.json`, `convergence.csv`, `messages.csv`,
/// `traffic-per-second.csv`, `topology.dot`, the per-peer tables `delays.csv`, `copies.csv` and
/// `traffic.csv` unless `analysis.peer_tables` leaves them out, and, when the experiment asks for
/// plots, PNG heatmaps (with the per-peer tables), histogram, traffic and convergence plots, and
/// graph frames with an animated GIF.
pub fn write_results(sim: &Simulation, dir: &Path) -> Result<Summary, Error> {
    let files = result_files(sim);
    for (name, text) in &files.texts {
        write(dir, name, text)?;
    }
    let ResultFiles { summary, tables, bytes, msgs, peer_tables, .. } = files;
    let exp = sim.experiment();
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
            plot::graph_frames(&dir.join("frames"), &dir.join("graph.gif"), &frames, GIF_FRAME_MS).map_err(plot_err)?;
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
/// message count, and the same ratios over `seeds` seeds (mean and 95 % confidence half-width,
/// in the order delay, bandwidth, message count), as JSON with sorted keys.
pub fn comparison_json(base: &Summary, variant: &Summary, over_seeds: &[(f64, f64)], seeds: usize) -> String {
    let ratio = |a: f64, b: f64| p2psim_analysis::fixed(a / b);
    let stat = |i: usize| {
        let (mean, ci) = over_seeds.get(i).copied().unwrap_or((f64::NAN, f64::NAN));
        serde_json::json!({ "mean": p2psim_analysis::fixed(mean), "ci95": p2psim_analysis::fixed(ci) })
    };
    let v = serde_json::json!({
        "baseline": base.experiment,
        "variant": variant.experiment,
        "delay_ratio": ratio(variant.tutorial_mean_delay_ms, base.tutorial_mean_delay_ms),
        "bandwidth_ratio": ratio(variant.bytes_per_s_per_peer.0, base.bytes_per_s_per_peer.0),
        "msg_count_ratio": ratio(variant.msgs_per_s_per_peer.0, base.msgs_per_s_per_peer.0),
        "delivery_ratio_baseline": p2psim_analysis::fixed(base.delivery_ratio),
        "delivery_ratio_variant": p2psim_analysis::fixed(variant.delivery_ratio),
        "over_seeds": { "seeds": seeds, "delay_ratio": stat(0), "bandwidth_ratio": stat(1), "msg_count_ratio": stat(2) },
    });
    p2psim_analysis::to_json_pretty(&v)
}
