//! `index.html`: one run's report as a single self-contained page, to open in a browser with no
//! network: the summary table (every figure with its unit and meaning, from the one table of
//! figures), the live graph over time (a slider over the snapshots, peers coloured by state),
//! the plots, and the configuration (`experiment.ron`).
//!
//! [`Page`] is what every report page is made of: the command line writes a comparison's and a
//! sweep's with it too.
//!
//! Not here: computing any figure or drawing any plot; this only lays out what was written.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use p2psim_analysis::{FIGURES, Reading, Summary};

/// A picture of a report page: SVG text (plots of lines and bars, the live graph), or a PNG file
/// of the output folder (heatmaps, which are rasters).
#[derive(Clone, Debug)]
pub enum Picture {
    /// SVG text, shown inline.
    Svg(String),
    /// A PNG file's name in the folder, embedded.
    Png(String),
}

/// A report page being written: a title, then sections in order. What every report page
/// (a run's, a comparison's, a sweep's) is made of, so that they look and behave alike.
#[derive(Debug)]
pub struct Page {
    html: String,
    slider: bool,
}

impl Page {
    /// A page titled `title`, opening with the sentence `intro`.
    pub fn new(title: &str, intro: &str) -> Page {
        let title = escape(title);
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>p2psim: {title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n<p>{}</p>\n",
            escape(intro)
        );
        Page { html, slider: false }
    }

    /// A heading.
    pub fn heading(&mut self, text: &str) -> &mut Page {
        let _ = writeln!(self.html, "<h2>{}</h2>", escape(text));
        self
    }

    /// A table with a header row; `id` names it for tests and scripts.
    pub fn table(&mut self, id: &str, header: &[&str], rows: &[Vec<String>]) -> &mut Page {
        let _ = writeln!(self.html, "<table id=\"{}\">", escape(id));
        let th: String = header.iter().map(|h| format!("<th>{}</th>", escape(h))).collect();
        let _ = writeln!(self.html, "<tr>{th}</tr>");
        for row in rows {
            let td: String = row
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == 0 {
                        format!("<td><code>{}</code></td>", escape(c))
                    } else {
                        format!("<td>{}</td>", escape(c))
                    }
                })
                .collect();
            let _ = writeln!(self.html, "<tr>{td}</tr>");
        }
        self.html += "</table>\n";
        self
    }

    /// Links to other pages (relative paths inside the output folder).
    pub fn links(&mut self, links: &[(&str, &str)]) -> &mut Page {
        let items: String = links
            .iter()
            .map(|(text, href)| format!("<li><a href=\"{}\">{}</a></li>", escape(href), escape(text)))
            .collect();
        let _ = writeln!(self.html, "<ul>{items}</ul>");
        self
    }

    /// Pictures with their captions, SVG inline or PNG files of `dir` embedded.
    pub fn pictures(&mut self, dir: &Path, pictures: &[(String, Picture)]) -> &mut Page {
        for (caption, picture) in pictures {
            let body = match picture {
                Picture::Svg(svg) => svg.clone(),
                Picture::Png(name) => match std::fs::read(dir.join(name)) {
                    Ok(data) => format!(
                        "<img alt=\"{}\" src=\"data:image/png;base64,{}\">",
                        escape(name),
                        base64::engine::general_purpose::STANDARD.encode(data)
                    ),
                    Err(_) => continue,
                },
            };
            let _ = writeln!(self.html, "<figure>{body}<figcaption>{}</figcaption></figure>", escape(caption));
        }
        self
    }

    /// Pictures shown one at a time on a slider: `(caption, SVG)` each.
    pub fn slider(&mut self, frames: &[(String, String)]) -> &mut Page {
        let Some(first) = frames.first() else { return self };
        self.slider = true;
        let _ = write!(
            self.html,
            "<p><input type=\"range\" id=\"slider\" min=\"0\" max=\"{}\" value=\"0\" aria-label=\"snapshot\"> <span id=\"caption\">{}</span></p>\n<div id=\"frames\">\n",
            frames.len() - 1,
            escape(&first.0)
        );
        for (i, (caption, svg)) in frames.iter().enumerate() {
            let hidden = if i == 0 { "" } else { " hidden" };
            let _ =
                writeln!(self.html, "<div class=\"frame\" data-caption=\"{}\"{hidden}>{svg}</div>", escape(caption));
        }
        self.html += "</div>\n";
        self
    }

    /// Text shown as it is (a configuration); `id` names it.
    pub fn pre(&mut self, id: &str, text: &str) -> &mut Page {
        let _ = writeln!(self.html, "<pre id=\"{}\">{}</pre>", escape(id), escape(text));
        self
    }

    /// The page's text.
    pub fn finish(&self) -> String {
        let script = if self.slider { SCRIPT } else { "" };
        format!("{}<script>\n{script}</script>\n</body>\n</html>\n", self.html)
    }
}

/// The page of a run: `summary` (every figure, with its unit and meaning), the SVG frames of
/// the live graph with their captions, the plots, and the experiment's RON.
pub(crate) fn run_page(
    summary: &Summary,
    frames: &[(String, String)],
    dir: &Path,
    plots: &[(String, Picture)],
    ron: &str,
) -> String {
    let intro = format!(
        "seed {}, {} peers, {} ms simulated. Every figure is defined in the file-format reference (docs/experiments.md).",
        summary.seed,
        summary.peers.values().sum::<usize>(),
        summary.until_ms
    );
    let mut rows = Vec::new();
    for f in FIGURES {
        let values = match (f.read)(summary) {
            Reading::One(v) => vec![(f.key.to_owned(), v)],
            Reading::Each(entries) => {
                let at = f.key.split('.').find(|p| p.starts_with(char::is_uppercase)).unwrap_or_default();
                entries.into_iter().map(|(n, v)| (f.key.replace(at, &n), v)).collect()
            }
        };
        for (key, v) in values {
            let value = match v {
                serde_json::Value::Null => "–".to_owned(),
                serde_json::Value::String(s) => s,
                v => v.to_string(),
            };
            rows.push(vec![key, value, f.unit.to_owned(), f.meaning.replace('`', "")]);
        }
    }
    let mut page = Page::new(&summary.experiment, &intro);
    page.heading("Summary").table("summary", &["figure", "value", "unit", "meaning"], &rows);
    if !frames.is_empty() {
        page.heading("The live graph over time").slider(frames);
    }
    page.heading("Plots").pictures(dir, plots).heading("Configuration").pre("configuration", ron);
    page.finish()
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
