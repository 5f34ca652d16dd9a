//! Plots, in pure Rust (plotters) with a font shipped in the crate, so no system font is needed:
//! heatmaps, histograms, traffic over time with a spread band, convergence curves, and frames of
//! the live graph with one animated GIF.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
use plotters::style::{FontStyle, register_font};

use crate::tables::Table;

/// A plot could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("plot {path}: {message}")]
pub struct PlotError {
    /// The file.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

fn err(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError { path: path.display().to_string(), message: e.to_string() }
}

static FONT: Once = Once::new();

/// Registers the shipped DejaVu Sans as `sans-serif`, once per process.
fn font() {
    FONT.call_once(|| {
        register_font("sans-serif", FontStyle::Normal, include_bytes!("../assets/DejaVuSans.ttf"))
            .unwrap_or_else(|_| panic!("the shipped font is a valid TrueType file"));
    });
}

const SIZE: (u32, u32) = (900, 600);

type Root<DB> = DrawingArea<DB, plotters::coord::Shift>;

/// Draws on a white 900 × 600 canvas and writes it as a PNG at `path`.
fn png(path: &Path, draw: impl FnOnce(&Root<BitMapBackend<'_>>) -> Result<(), String>) -> Result<(), PlotError> {
    font();
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path, e))?;
    draw(&root).map_err(|e| err(path, e))?;
    root.present().map_err(|e| err(path, e))
}

/// Draws on a white 900 × 600 canvas and gives it as SVG text (`name` for errors).
fn svg(name: &str, draw: impl FnOnce(&Root<SVGBackend<'_>>) -> Result<(), String>) -> Result<String, PlotError> {
    font();
    let fail = |e: String| PlotError { path: format!("{name} (SVG)"), message: e };
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        draw(&root).map_err(fail)?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    Ok(text)
}

/// The chart frame every plot shares: a caption, margins, and label areas (`y_area` wide).
fn frame<'a, 'b, DB: DrawingBackend>(root: &'a Root<DB>, title: &str, y_area: u32) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(root);
    b.caption(title, ("sans-serif", 20)).margin(12).x_label_area_size(40).y_label_area_size(y_area);
    b
}

/// Grey: a cell with no value (the peer never got the message).
const MISSING: RGBColor = RGBColor(210, 210, 210);

/// The colour of `v` on the scale from `lo` to `hi` (the middle of the scale when they are equal,
/// which a plot of identical values is).
fn scale_color(v: f64, lo: f64, hi: f64) -> RGBColor {
    let x = if hi > lo { ((v - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.5 };
    ViridisRGB.get_color(if x.is_finite() { x as f32 } else { 0.5 })
}

/// A heatmap of a (message × peer) table: peers along x, messages along y, each cell coloured by
/// its value on the scale drawn at the right; grey where a peer never got the message.
pub fn heatmap(path: &Path, title: &str, table: &Table<f64>) -> Result<(), PlotError> {
    png(path, |root| draw_heatmap(root, title, table))
}

fn draw_heatmap<DB: DrawingBackend>(root: &Root<DB>, title: &str, table: &Table<f64>) -> Result<(), String> {
    let rows = table.cells.len().max(1);
    let cols = table.peers.len().max(1);
    let values: Vec<f64> = table.values().filter(|v| v.is_finite()).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if values.is_empty() { (0.0, 1.0) } else { (lo, hi) };
    let (left, right) = root.split_horizontally(SIZE.0 - 130);
    let mut chart = frame(&left, title, 50).build_cartesian_2d(0..cols, 0..rows).map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("Peer (column)")
        .y_desc("Message number")
        .draw()
        .map_err(|e| e.to_string())?;
    let cells = table.cells.iter().enumerate().flat_map(|(r, row)| {
        row.iter().enumerate().map(move |(c, v)| {
            let color = match v {
                Some(v) if v.is_finite() => scale_color(*v, lo, hi),
                _ => MISSING,
            };
            Rectangle::new([(c, r), (c + 1, r + 1)], color.filled())
        })
    });
    chart.draw_series(cells).map_err(|e| e.to_string())?;
    color_bar(&right, lo, hi).map_err(|e| e.to_string())?;
    Ok(())
}

/// The scale of a heatmap: a bar from its least value (bottom) to its greatest (top), and the grey
/// of a cell without a value.
fn color_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    lo: f64,
    hi: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (_, h) = area.dim_in_pixel();
    let (top, bottom) = (60i32, h as i32 - 130);
    let (x0, x1) = (20i32, 50i32);
    let steps = (bottom - top).max(1);
    for i in 0..steps {
        let v = hi - (hi - lo) * f64::from(i) / f64::from(steps);
        area.draw(&Rectangle::new([(x0, top + i), (x1, top + i + 1)], scale_color(v, lo, hi).filled()))?;
    }
    area.draw(&Rectangle::new([(x0, top), (x1, bottom)], BLACK.stroke_width(1)))?;
    let label = |v: f64| if v.abs() >= 100.0 || v == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") };
    let font = ("sans-serif", 14).into_font();
    area.draw(&Text::new(label(hi), (x1 + 5, top - 6), font.clone()))?;
    area.draw(&Text::new(label((lo + hi) / 2.0), (x1 + 5, (top + bottom) / 2 - 6), font.clone()))?;
    area.draw(&Text::new(label(lo), (x1 + 5, bottom - 6), font.clone()))?;
    area.draw(&Rectangle::new([(x0, bottom + 30), (x1, bottom + 50)], MISSING.filled()))?;
    area.draw(&Text::new("never", (x1 + 5, bottom + 28), font.clone()))?;
    area.draw(&Text::new("received", (x1 + 5, bottom + 44), font))?;
    Ok(())
}

/// A histogram of small non-negative integers (copies per peer and message): `counts[v]` is how
/// many cells hold `v`.
pub fn histogram(path: &Path, title: &str, x_desc: &str, counts: &[u64]) -> Result<(), PlotError> {
    png(path, |root| draw_histogram(root, title, x_desc, counts))
}

/// The same plot as SVG text, for a report page.
pub fn histogram_svg(title: &str, x_desc: &str, counts: &[u64]) -> Result<String, PlotError> {
    svg("histogram", |root| draw_histogram(root, title, x_desc, counts))
}

fn draw_histogram<DB: DrawingBackend>(
    root: &Root<DB>,
    title: &str,
    x_desc: &str,
    counts: &[u64],
) -> Result<(), String> {
    let max = counts.iter().rposition(|&n| n > 0).unwrap_or(0) as u32 + 1;
    let top = counts.iter().copied().max().unwrap_or(1).max(1);
    let mut chart = frame(root, title, 60)
        .build_cartesian_2d((0u32..max).into_segmented(), 0u64..top + top / 10 + 1)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc(x_desc).y_desc("Cells").draw().map_err(|e| e.to_string())?;
    // The bars in order of value: plotters' `Histogram` gathers them in a hash map, whose order
    // changes from run to run (invisible in a PNG, not in SVG text). The same rectangles as it draws.
    let xs = (0u32..max).into_segmented();
    let bars = counts.iter().enumerate().filter_map(|(v, &n)| {
        let (x, next) = (xs.from_index(v)?, xs.from_index(v + 1)?);
        let mut bar = Rectangle::new([(x, n), (next, 0)], BLUE.mix(0.7).filled());
        bar.set_margin(0, 0, 2, 2);
        Some(bar)
    });
    chart.draw_series(bars).map_err(|e| e.to_string())?;
    Ok(())
}

/// A series over seconds: the median over peers as a line, median ± standard deviation as a band
/// (seaborn's `lineplot(estimator="median", ci="sd")`, as in the tutorial).
pub fn time_series(path: &Path, title: &str, y_desc: &str, per_second: &[(f64, f64, f64)]) -> Result<(), PlotError> {
    png(path, |root| draw_time_series(root, title, y_desc, per_second))
}

/// The same plot as SVG text, for a report page.
pub fn time_series_svg(title: &str, y_desc: &str, per_second: &[(f64, f64, f64)]) -> Result<String, PlotError> {
    svg("time_series", |root| draw_time_series(root, title, y_desc, per_second))
}

fn draw_time_series<DB: DrawingBackend>(
    root: &Root<DB>,
    title: &str,
    y_desc: &str,
    per_second: &[(f64, f64, f64)],
) -> Result<(), String> {
    let n = per_second.len().max(1) as f64;
    let top = per_second.iter().map(|&(m, _, sd)| m + sd).fold(1.0f64, f64::max) * 1.1;
    let mut chart = frame(root, title, 80).build_cartesian_2d(0f64..n, 0f64..top).map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc("Time (s)").y_desc(y_desc).draw().map_err(|e| e.to_string())?;
    let mid = |i: usize| i as f64 + 0.5;
    let mut band: Vec<(f64, f64)> = per_second.iter().enumerate().map(|(i, &(m, _, sd))| (mid(i), m + sd)).collect();
    band.extend(per_second.iter().enumerate().rev().map(|(i, &(m, _, sd))| (mid(i), (m - sd).max(0.0))));
    chart
        .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.2))))
        .map_err(|e| e.to_string())?
        .label("median ± standard deviation over peers")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(0.2).filled()));
    chart
        .draw_series(LineSeries::new(
            per_second.iter().enumerate().map(|(i, &(m, _, _))| (mid(i), m)),
            BLUE.stroke_width(2),
        ))
        .map_err(|e| e.to_string())?
        .label("median over peers, each second")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Points at most drawn per convergence curve: beyond a few per pixel column a denser line looks
/// the same.
const CURVE_POINTS: usize = 2000;

/// One message's convergence curve from its first-receipt delays (sorted): a point `(delay,
/// fraction of the analysed peers that had it by then)` at each receipt, or, when there are more
/// than [`CURVE_POINTS`], at receipts evenly spaced by rank, the last always kept.
pub fn convergence_curve(delays: &[f64], peers: usize) -> Vec<(f64, f64)> {
    let n = peers.max(1) as f64;
    let step = delays.len().div_ceil(CURVE_POINTS).max(1);
    let last = delays.len().saturating_sub(1);
    delays
        .iter()
        .enumerate()
        .filter(|&(k, _)| k % step == 0 || k == last)
        .map(|(k, &d)| (d, (k + 1) as f64 / n))
        .collect()
}

/// Convergence: for each message, the fraction of peers that have it against time since
/// production ([`convergence_curve`]s).
pub fn convergence(path: &Path, title: &str, curves: &[Vec<(f64, f64)>]) -> Result<(), PlotError> {
    png(path, |root| draw_convergence(root, title, curves))
}

/// The same plot as SVG text, for a report page.
pub fn convergence_svg(title: &str, curves: &[Vec<(f64, f64)>]) -> Result<String, PlotError> {
    svg("convergence", |root| draw_convergence(root, title, curves))
}

fn draw_convergence<DB: DrawingBackend>(
    root: &Root<DB>,
    title: &str,
    curves: &[Vec<(f64, f64)>],
) -> Result<(), String> {
    let xmax = curves.iter().flatten().map(|p| p.0).fold(1.0f64, f64::max) * 1.05;
    let mut chart = frame(root, title, 60).build_cartesian_2d(0f64..xmax, 0f64..1.02).map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("Time since production (ms)")
        .y_desc("Fraction of peers")
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, points) in curves.iter().enumerate() {
        let series = chart
            .draw_series(LineSeries::new(points.iter().copied(), Palette99::pick(i).mix(0.8)))
            .map_err(|e| e.to_string())?;
        if i == 0 {
            series
                .label("one line per message: the fraction of peers that had it by then")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], Palette99::pick(0)));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// One frame of the live graph: peer positions, who is online, which links are up, who is a client.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Caption of the frame.
    pub caption: String,
    /// For each peer: online.
    pub online: Vec<bool>,
    /// For each peer: drawn as a client (green triangle) rather than a peer (circle).
    pub client: Vec<bool>,
    /// Links between online peers.
    pub links: Vec<(usize, usize)>,
}

/// Positions on two circles: peers outside, clients inside (a fixed, deterministic layout).
pub fn circle_layout(client: &[bool]) -> Vec<(f64, f64)> {
    let peers = client.iter().filter(|c| !**c).count().max(1) as f64;
    let clients = client.iter().filter(|c| **c).count().max(1) as f64;
    let (mut i, mut j) = (0.0, 0.0);
    client
        .iter()
        .map(|&c| {
            let (k, total, r) = if c { (&mut j, clients, 0.35) } else { (&mut i, peers, 0.9) };
            let a = std::f64::consts::TAU * *k / total;
            *k += 1.0;
            (r * a.cos(), r * a.sin())
        })
        .collect()
}

fn draw_frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    f: &Frame,
    pos: &[(f64, f64)],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(root)
        .caption(&f.caption, ("sans-serif", 18))
        .margin(10)
        .build_cartesian_2d(-1.1f64..1.1, -1.1f64..1.1)
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(f.links.iter().map(|&(a, b)| {
            let style = if f.client[a] || f.client[b] { BLACK.mix(0.25) } else { BLACK.mix(0.6) };
            PathElement::new(vec![pos[a], pos[b]], style)
        }))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(pos.iter().enumerate().filter(|(i, _)| !f.client[*i]).map(|(i, &p)| {
            let color = if f.online[i] { BLUE } else { RED };
            Circle::new(p, 6, color.filled())
        }))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(
            pos.iter()
                .enumerate()
                .filter(|(i, _)| f.client[*i])
                .map(|(_, &p)| TriangleMarker::new(p, 7, GREEN.filled())),
        )
        .map_err(|e| e.to_string())?;
    // The key, bottom left: what the marks mean.
    let (_, h) = root.dim_in_pixel();
    let row = |i: i32| h as i32 - 54 + 16 * i;
    root.draw(&Circle::new((14, row(0)), 5, BLUE.filled())).map_err(|e| e.to_string())?;
    root.draw(&Circle::new((14, row(1)), 5, RED.filled())).map_err(|e| e.to_string())?;
    root.draw(&TriangleMarker::new((14, row(2)), 6, GREEN.filled())).map_err(|e| e.to_string())?;
    for (i, text) in ["peer online", "peer offline", "client"].into_iter().enumerate() {
        root.draw(&Text::new(text, (26, row(i as i32) - 7), ("sans-serif", 13))).map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

/// Writes each frame as `dir/frame-NNNN.png` and all of them as one animated `gif`.
pub fn graph_frames(dir: &Path, gif: &Path, frames: &[Frame], frame_ms: u32) -> Result<(), PlotError> {
    font();
    let Some(first) = frames.first() else { return Ok(()) };
    let pos = circle_layout(&first.client);
    std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
    for (i, f) in frames.iter().enumerate() {
        let path = dir.join(format!("frame-{i:04}.png"));
        let root = BitMapBackend::new(&path, (480, 480)).into_drawing_area();
        draw_frame(&root, f, &pos).map_err(|e| err(&path, e))?;
    }
    let root = BitMapBackend::gif(gif, (480, 480), frame_ms).map_err(|e| err(gif, e))?.into_drawing_area();
    for f in frames {
        draw_frame(&root, f, &pos).map_err(|e| err(gif, e))?;
    }
    Ok(())
}

/// One picture of the live graph (`frame`), laid out as [`graph_frames`] lays out its frames.
pub fn graph(path: &Path, frame: &Frame) -> Result<(), PlotError> {
    font();
    let pos = circle_layout(&frame.client);
    let root = BitMapBackend::new(path, (480, 480)).into_drawing_area();
    draw_frame(&root, frame, &pos).map_err(|e| err(path, e))
}

/// Each frame as SVG text (480 × 480), laid out as [`graph_frames`] lays them out: the pictures
/// of a report's slider over the snapshots.
pub fn graph_svg(frames: &[Frame]) -> Result<Vec<String>, PlotError> {
    font();
    let Some(first) = frames.first() else { return Ok(Vec::new()) };
    let pos = circle_layout(&first.client);
    frames
        .iter()
        .map(|f| {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (480, 480)).into_drawing_area();
                draw_frame(&root, f, &pos).map_err(|e| PlotError { path: "graph (SVG)".into(), message: e })?;
            }
            Ok(svg)
        })
        .collect()
}

/// A metric against a swept parameter: the mean at each point, with its 95 % confidence bar.
/// `series` holds `(x, mean, half-width)`.
pub fn errorbars(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[(f64, f64, f64)],
) -> Result<(), PlotError> {
    png(path, |root| draw_errorbars(root, title, x_desc, y_desc, series))
}

/// The same plot as SVG text, for a report page.
pub fn errorbars_svg(title: &str, x_desc: &str, y_desc: &str, series: &[(f64, f64, f64)]) -> Result<String, PlotError> {
    svg("errorbars", |root| draw_errorbars(root, title, x_desc, y_desc, series))
}

fn draw_errorbars<DB: DrawingBackend>(
    root: &Root<DB>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[(f64, f64, f64)],
) -> Result<(), String> {
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    let xmin = series.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
    let xmax = series.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
    let ymin = series.iter().map(|s| finite(s.1 - s.2)).fold(f64::INFINITY, f64::min);
    let ymax = series.iter().map(|s| finite(s.1 + s.2)).fold(f64::NEG_INFINITY, f64::max);
    let (xpad, ypad) = (((xmax - xmin) * 0.05).max(0.5), ((ymax - ymin) * 0.1).max(1e-6));
    let mut chart = frame(root, title, 70)
        .build_cartesian_2d(xmin - xpad..xmax + xpad, ymin - ypad..ymax + ypad)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw().map_err(|e| e.to_string())?;
    chart
        .draw_series(
            series
                .iter()
                .map(|&(x, m, h)| ErrorBar::new_vertical(x, m - finite(h), m, m + finite(h), BLUE.filled(), 8)),
        )
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(series.iter().map(|&(x, m, _)| (x, m)), BLUE.mix(0.6)))
        .map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use p2psim_net::PeerId;
    use p2psim_services::MsgIdx;

    fn table(cells: Vec<Vec<Option<f64>>>) -> Table<f64> {
        let peers = (0..cells.first().map_or(0, Vec::len) as u32).map(PeerId).collect();
        let messages = (0..cells.len() as u32).map(MsgIdx).collect();
        Table { messages, peers, cells }
    }

    /// Tables plotters once panicked on (every cell equal: a scale of width zero) and tables with
    /// nothing in them draw a picture.
    #[test]
    fn heatmaps_of_equal_missing_or_huge_values_draw() {
        let dir = std::env::temp_dir().join(format!("p2psim-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, t) in [
            ("equal", table(vec![vec![Some(1000.0); 3]; 2])),
            ("one", table(vec![vec![Some(7.0)]])),
            ("missing", table(vec![vec![None; 4]; 3])),
            ("empty", table(Vec::new())),
            ("wide", table(vec![vec![Some(1e300), Some(-1e300), Some(f64::NAN), None]])),
        ] {
            let path = dir.join(format!("{name}.png"));
            heatmap(&path, name, &t).unwrap();
            assert!(std::fs::metadata(&path).unwrap().len() > 1000, "{name}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
