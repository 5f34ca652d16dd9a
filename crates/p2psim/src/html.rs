//! `index.html`: one run's report as a single self-contained page, to open in a browser with no
//! network: the summary table (every figure with its unit and meaning, from the one table of
//! figures), the live graph over time (a slider over the snapshots, peers coloured by state),
//! the plots, and the configuration (`experiment.ron`).
//!
//! Not here: computing any figure or drawing any plot; this only lays out what `output.rs` wrote.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use p2psim_analysis::{FIGURES, Reading, Summary};

/// The page of a run: `summary`, the SVG frames of the live graph with their captions, the PNG
/// plots written in `dir` (embedded), and the experiment's RON text.
pub(crate) fn page(summary: &Summary, frames: &[(String, String)], dir: &Path, plots: &[&str], ron: &str) -> String {
    let mut h = String::new();
    let name = escape(&summary.experiment);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>p2psim: {name}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{name}</h1>\n<p>seed {}, {} peers, {} ms simulated. Every figure is defined in the file-format reference (docs/experiments.md).</p>\n",
        summary.seed,
        summary.peers.values().sum::<usize>(),
        summary.until_ms
    );
    h += "<h2>Summary</h2>\n<table id=\"summary\">\n<tr><th>figure</th><th>value</th><th>unit</th><th>meaning</th></tr>\n";
    for f in FIGURES {
        let rows = match (f.read)(summary) {
            Reading::One(v) => vec![(f.key.to_owned(), v)],
            Reading::Each(entries) => {
                let at = f.key.split('.').find(|p| p.starts_with(char::is_uppercase)).unwrap_or_default();
                entries.into_iter().map(|(n, v)| (f.key.replace(at, &n), v)).collect()
            }
        };
        for (key, v) in rows {
            let value = match v {
                serde_json::Value::Null => "–".to_owned(),
                serde_json::Value::String(s) => s,
                v => v.to_string(),
            };
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                escape(&key),
                escape(&value),
                escape(f.unit),
                escape(f.meaning).replace('`', "")
            );
        }
    }
    h += "</table>\n";
    if !frames.is_empty() {
        let _ = write!(
            h,
            "<h2>The live graph over time</h2>\n<p><input type=\"range\" id=\"slider\" min=\"0\" max=\"{}\" value=\"0\" aria-label=\"snapshot\"> <span id=\"caption\">{}</span></p>\n<div id=\"frames\">\n",
            frames.len() - 1,
            escape(&frames[0].0)
        );
        for (i, (caption, svg)) in frames.iter().enumerate() {
            let hidden = if i == 0 { "" } else { " hidden" };
            let _ = writeln!(h, "<div class=\"frame\" data-caption=\"{}\"{hidden}>{svg}</div>", escape(caption));
        }
        h += "</div>\n";
    }
    let present: Vec<&&str> = plots.iter().filter(|p| dir.join(p).exists()).collect();
    if !present.is_empty() {
        h += "<h2>Plots</h2>\n";
        for p in present {
            let data = std::fs::read(dir.join(p)).unwrap_or_default();
            let _ = writeln!(
                h,
                "<figure><img alt=\"{p}\" src=\"data:image/png;base64,{}\"><figcaption>{p}</figcaption></figure>",
                base64::engine::general_purpose::STANDARD.encode(data)
            );
        }
    }
    let _ = write!(
        h,
        "<h2>Configuration</h2>\n<pre id=\"configuration\">{}</pre>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        escape(ron)
    );
    h
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body { font-family: sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; }
td, th { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } img { max-width: 100%; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
";

/// The slider shows one frame at a time. Opened as `index.html#selftest`, the page moves its
/// slider to the last frame and records on `<body data-selftest>` whether the picture changed:
/// what the headless-browser test reads.
const SCRIPT: &str = "const slider = document.getElementById('slider');
function show(i) {
  const frames = document.querySelectorAll('#frames .frame');
  frames.forEach((f, j) => { f.hidden = j !== i; });
  document.getElementById('caption').textContent = frames[i].dataset.caption;
}
if (slider) {
  slider.addEventListener('input', () => show(Number(slider.value)));
}
if (location.hash === '#selftest') {
  let result = 'no-slider';
  if (slider) {
    const visible = () => [...document.querySelectorAll('#frames .frame')].findIndex(f => !f.hidden);
    const before = visible();
    slider.value = slider.max;
    slider.dispatchEvent(new Event('input'));
    result = (visible() === Number(slider.max) && visible() !== before) ? 'ok' : 'slider-failed';
  }
  document.body.dataset.selftest = result;
}
";
