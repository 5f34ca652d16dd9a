//! Writing a run's results: the resolved experiment, the summary, the tables as CSV, the plots.

use std::io::Write;
use std::path::Path;

use p2psim_analysis::{
    Summary, Tables, convergence_csv, copies_csv, delays_csv, messages_csv, plot, traffic_csv, traffic_per_second_csv,
};
use p2psim_disruption::GraphSnapshot;
use p2psim_net::PeerState;

use crate::error::Error;
use crate::html::Picture;
use crate::simulation::Simulation;

/// How long each frame of `graph.gif` shows, ms: 61 snapshots (every 100 ms of a 6 s run) play
/// in 9 s, slow enough to follow peers going down and coming back.
const GIF_FRAME_MS: u32 = 150;

/// The most peers `graph.png` draws: past a few thousand, a picture of every peer and link is a
/// grey disc that takes seconds to draw.
pub(crate) const GRAPH_MAX_PEERS: usize = 2_000;

/// The most points of convergence curves a report page draws as SVG.
const SVG_MAX_POINTS: usize = 50_000;

pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::io(path, e)
}

/// The summary and tables of a run (of its gossip service, if it has one). The tables read the
/// run's storage in place: they borrow the simulation.
pub fn report(sim: &Simulation) -> (Summary, Tables<'_>) {
    let slot = sim.gossip_service();
    let tables = Tables::new(sim.world(), slot, sim.now());
    let exp = sim.experiment();
    let summary = Summary::new(&exp.name, exp.seed, sim.now(), sim.events(), sim.world(), slot, &tables);
    (summary, tables)
}

/// A run's results, computed once: the summary, the tables, and what writes each text file.
pub struct Results<'w> {
    sim: &'w Simulation,
    /// The experiment as run (its `until_ms` the end of the run), rerunnable as is.
    exp: crate::Experiment,
    /// The summary.
    pub summary: Summary,
    /// The tables.
    pub tables: Tables<'w>,
    bytes: Vec<(f64, f64, f64)>,
    msgs: Vec<(f64, f64, f64)>,
    peer_tables: bool,
}

impl<'w> Results<'w> {
    /// The results of a finished (or paused) run.
    pub fn new(sim: &'w Simulation) -> Results<'w> {
        let mut exp = sim.experiment().clone();
        exp.until_ms = sim.now().as_nanos() / 1_000_000;
        let (summary, tables) = report(sim);
        let peer_tables =
            exp.analysis.peer_tables.wanted(tables.cells.peers().len() as u64, sim.world().messages().len() as u64);
        // Per second, over peers: the CSV and the two time-series plots.
        let bytes = tables.traffic.bytes().per_second();
        let msgs = tables.traffic.msgs().per_second();
        Results { sim, exp, summary, tables, bytes, msgs, peer_tables }
    }

    /// The text files, in the order they are written: `experiment.ron`, `topology.dot`,
    /// `summary.json`, the per-peer tables `delays.csv`, `copies.csv` and `traffic.csv` unless
    /// `analysis.peer_tables` leaves them out, `traffic-per-second.csv`, `convergence.csv`,
    /// `messages.csv`.
    pub fn text_names(&self) -> Vec<&'static str> {
        let mut names = vec!["experiment.ron", "topology.dot", "summary.json"];
        if self.peer_tables {
            names.extend(["delays.csv", "copies.csv", "traffic.csv"]);
        }
        names.extend(["traffic-per-second.csv", "convergence.csv", "messages.csv"]);
        names
    }

    /// Writes text file `name` (one of [`Results::text_names`]) to `out`, as it is computed.
    pub fn write_text(&self, name: &str, out: &mut dyn Write) -> std::io::Result<()> {
        let (t, messages) = (&self.tables, self.sim.world().messages());
        match name {
            "experiment.ron" => out.write_all(self.exp.to_ron().as_bytes()),
            "topology.dot" => live_dot(self.sim, out),
            "summary.json" => out.write_all(self.summary.to_json().as_bytes()),
            "delays.csv" => delays_csv(out, t, messages),
            "copies.csv" => copies_csv(out, t, messages),
            "traffic.csv" => traffic_csv(out, t),
            "traffic-per-second.csv" => traffic_per_second_csv(out, &self.bytes, &self.msgs),
            "convergence.csv" => convergence_csv(out, t, messages),
            "messages.csv" => messages_csv(out, t, messages),
            other => unreachable!("{other} is not a result file"),
        }
    }

    /// Every text file as text, named (for small runs: each is held whole).
    pub fn texts(&self) -> Vec<(&'static str, String)> {
        self.text_names()
            .into_iter()
            .map(|name| {
                let mut text = Vec::new();
                self.write_text(name, &mut text).expect("writing to memory cannot fail");
                (name, String::from_utf8(text).expect("the result files are UTF-8"))
            })
            .collect()
    }
}

/// Writes everything about a finished run into `dir` (which must exist): `experiment.ron` (the
/// resolved experiment, rerunnable as is), `summary.json`, `convergence.csv`, `messages.csv`,
/// `traffic-per-second.csv`, `topology.dot`, the per-peer tables `delays.csv`, `copies.csv` and
/// `traffic.csv` unless `analysis.peer_tables` leaves them out, and, when the experiment asks for
/// plots, the live graph at the end (`graph.png`, up to 2,000 peers), traffic
/// plots and, with messages, PNG heatmaps (with the per-peer tables), the redundancy histogram
/// and convergence curves; and, when it asks for an animation too, graph frames with an animated
/// GIF.
pub fn write_results(sim: &Simulation, dir: &Path) -> Result<Summary, Error> {
    let results = Results::new(sim);
    for name in results.text_names() {
        let path = dir.join(name);
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).map_err(|e| io(&path, e))?);
        results.write_text(name, &mut file).and_then(|()| file.flush()).map_err(|e| io(&path, e))?;
    }
    let Results { summary, tables, bytes, msgs, peer_tables, .. } = results;
    let exp = sim.experiment();
    let html = |frames: &[(String, String)], plots: &[(String, Picture)]| {
        let path = dir.join("index.html");
        let page = crate::html::run_page(&summary, frames, dir, plots, &exp.to_ron());
        std::fs::write(&path, page).map_err(|e| io(&path, e))
    };
    if !exp.analysis.plots {
        html(&[], &[])?;
        return Ok(summary);
    }
    let plot_err = |e: plot::PlotError| Error::Io { file: e.path, message: e.message };
    let net = sim.world().net();
    let mut pictures: Vec<(String, Picture)> = Vec::new();
    if net.peer_count() <= GRAPH_MAX_PEERS {
        let end = sim.faults().snapshot(sim.now());
        let end = frame(sim, &format!("{}: the live graph at {}", exp.name, end.at), &end);
        plot::graph(&dir.join("graph.png"), &end).map_err(plot_err)?;
        let svg = plot::graph_svg(std::slice::from_ref(&end)).map_err(plot_err)?;
        pictures.push(("the live graph at the end (graph.png)".into(), Picture::Svg(svg.concat())));
    }
    for (name, title, y, series) in [
        ("bandwidth", "Bandwidth overhead", "Bytes received per second", &bytes),
        ("messages", "Message count overhead", "Messages received per second", &msgs),
    ] {
        plot::time_series(&dir.join(format!("{name}.png")), title, y, series).map_err(plot_err)?;
        let svg = plot::time_series_svg(title, y, series).map_err(plot_err)?;
        pictures.push((format!("{name}.png"), Picture::Svg(svg)));
    }
    if !tables.cells.messages().is_empty() {
        if peer_tables {
            let delays = tables.cells.table(|c| c.delay_ms());
            plot::heatmap(&dir.join("delays.png"), "Delivery delay (ms)", &delays).map_err(plot_err)?;
            let copies = tables.cells.table(|c| f64::from(c.copies));
            plot::heatmap(&dir.join("copies.png"), "Copies received per peer and message", &copies)
                .map_err(plot_err)?;
            for name in ["delays.png", "copies.png"] {
                pictures.push((name.into(), Picture::Png(name.into())));
            }
        }
        plot::histogram(
            &dir.join("copies-histogram.png"),
            "Redundancy",
            "Copies of a message seen by one peer",
            &tables.scan.copies_count,
        )
        .map_err(plot_err)?;
        let svg = plot::histogram_svg("Redundancy", "Copies of a message seen by one peer", &tables.scan.copies_count)
            .map_err(plot_err)?;
        pictures.push(("copies-histogram.png".into(), Picture::Svg(svg)));
        let curves: Vec<Vec<(f64, f64)>> = (0..tables.cells.messages().len())
            .map(|row| {
                let mut delays = Vec::new();
                tables.cells.for_each_in_row(row, |c| delays.push(c.delay_ms()));
                delays.sort_by(f64::total_cmp);
                plot::convergence_curve(&delays, tables.cells.peers().len())
            })
            .collect();
        plot::convergence(&dir.join("convergence.png"), "Convergence per message", &curves).map_err(plot_err)?;
        // Past this many points the SVG outweighs the PNG many times over: the page embeds that.
        let points: usize = curves.iter().map(Vec::len).sum();
        pictures.push((
            "convergence.png".into(),
            if points <= SVG_MAX_POINTS {
                Picture::Svg(plot::convergence_svg("Convergence per message", &curves).map_err(plot_err)?)
            } else {
                Picture::Png("convergence.png".into())
            },
        ));
    }
    let frames: Vec<plot::Frame> = if net.peer_count() <= GRAPH_MAX_PEERS {
        sim.snapshots().iter().map(|s| frame(sim, &format!("{}: {}", exp.name, s.at), s)).collect()
    } else {
        Vec::new()
    };
    if exp.analysis.animation && !frames.is_empty() {
        plot::graph_frames(&dir.join("frames"), &dir.join("graph.gif"), &frames, GIF_FRAME_MS).map_err(plot_err)?;
    }
    let svg = plot::graph_svg(&frames).map_err(plot_err)?;
    html(&frames.iter().map(|f| f.caption.clone()).zip(svg).collect::<Vec<_>>(), &pictures)?;
    Ok(summary)
}

/// One picture of the live graph `s`: who is online, the links, producers drawn apart.
fn frame(sim: &Simulation, caption: &str, s: &GraphSnapshot) -> plot::Frame {
    let w = sim.world();
    let producers: Vec<u16> = sim
        .experiment()
        .peer_types
        .iter()
        .enumerate()
        .filter(|(_, t)| t.services.iter().any(|(_, s)| s.role() == p2psim_services::Role::Source))
        .map(|(i, _)| i as u16)
        .collect();
    plot::Frame {
        caption: caption.to_owned(),
        online: s.states.iter().map(|&st| st == PeerState::Online).collect(),
        client: w.net().peers().map(|p| producers.contains(&w.peers().type_of(p))).collect(),
        links: s.links.iter().map(|&(a, b)| (a.index(), b.index())).collect(),
    }
}

/// The live graph at the end of the run, in Graphviz DOT (online peers and their links).
fn live_dot(sim: &Simulation, out: &mut dyn Write) -> std::io::Result<()> {
    let net = sim.world().net();
    let peers = sim.world().peers();
    writeln!(out, "graph live {{")?;
    for p in net.peers() {
        let color = if net.is_online(p) { "blue" } else { "red" };
        writeln!(out, "    {} [type=\"{}\", color={color}];", p.0, peers.type_name(peers.type_of(p)))?;
    }
    for (a, b) in net.live_links() {
        writeln!(out, "    {} -- {};", a.0, b.0)?;
    }
    writeln!(out, "}}")
}
