//! Sweeps: a base experiment, parameters varied over values (every combination is a point), each
//! point run over several seeds. What sweep files write ([`SweepSpec`]: the base, the parameters
//! and their values, seeds, metrics), and a sweep checked whole ([`Sweep`]: the checked
//! experiment of every point, from which each run is made without another check).
//!
//! A parameter names a field of the experiment (`peer.gossip.fanout`, `network.loss`; see
//! [`overrides`](crate::overrides) for names; a JSON pointer works too) and lists its values, of
//! any kind (`[1, 2, 3]`, `[FirstCopy, EveryCopy]`), or gives a range (`"1..=8"`,
//! `Range(from: 0, to: 0.5, step: 0.1)`, `LogRange(from: 0.001, to: 0.1, steps: 5)`).
//!
//! What it is not: running a sweep into a folder (`p2psim-cli`'s runner).

use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer, EnumAccess, SeqAccess, VariantAccess, Visitor};
use serde::{Deserialize, Serialize};

use p2psim_services::{Protocols, ServiceSpec};

use crate::error::Error;
use crate::experiment::Experiment;
use crate::overrides::Value;
use crate::ron::{Services, Source};
use crate::scenario::Scenario;

/// The values of one parameter: a list, or a range.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Values {
    /// These values, of any kind: `[1, 2, 3]`, `[FirstCopy, EveryCopy]`.
    List(Vec<Value>),
    /// `from`, `from + step`, … up to `to` (included, within a millionth of a step).
    Range {
        /// The first value.
        from: f64,
        /// The last value at most.
        to: f64,
        /// The step, more than 0.
        step: f64,
    },
    /// `steps` values from `from` to `to` (both included), equally spaced on a log scale.
    LogRange {
        /// The first value, more than 0.
        from: f64,
        /// The last value, more than 0.
        to: f64,
        /// How many values, at least 2.
        steps: u32,
    },
}

/// Reads `[…]` as a list, `Range(…)` and `LogRange(…)`, and the strings `"a..=b"` and `"a..b"`
/// (whole numbers, step 1, `b` included or not).
impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Values, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Range {
            from: f64,
            to: f64,
            step: f64,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct LogRange {
            from: f64,
            to: f64,
            steps: u32,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of values, \"1..=8\", Range(from, to, step) or LogRange(from, to, steps)")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Values, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = a.next_element()? {
                    out.push(v);
                }
                Ok(Values::List(out))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Values, E> {
                let (a, b, inclusive) = match s.split_once("..=") {
                    Some((a, b)) => (a, b, true),
                    None => match s.split_once("..") {
                        Some((a, b)) => (a, b, false),
                        None => return Err(E::custom(format!("`{s}` is not a range like \"1..=8\""))),
                    },
                };
                let (Ok(a), Ok(b)) = (a.trim().parse::<i64>(), b.trim().parse::<i64>()) else {
                    return Err(E::custom(format!("`{s}`: a range of whole numbers, like \"1..=8\"")));
                };
                let to = if inclusive { b } else { b - 1 };
                Ok(Values::Range { from: a as f64, to: to as f64, step: 1.0 })
            }
            fn visit_enum<A: EnumAccess<'de>>(self, a: A) -> Result<Values, A::Error> {
                let (name, v): (String, _) = a.variant()?;
                match name.as_str() {
                    "Range" => {
                        let r: Range = v.newtype_variant()?;
                        Ok(Values::Range { from: r.from, to: r.to, step: r.step })
                    }
                    "LogRange" => {
                        let r: LogRange = v.newtype_variant()?;
                        Ok(Values::LogRange { from: r.from, to: r.to, steps: r.steps })
                    }
                    "List" => Ok(Values::List(v.newtype_variant()?)),
                    other => Err(de::Error::unknown_variant(other, &["List", "Range", "LogRange"])),
                }
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut a: A) -> Result<Values, A::Error> {
                // JSON's form of the variants: {"Range": {...}}.
                let Some(name) = a.next_key::<String>()? else { return Err(de::Error::custom("an empty map")) };
                match name.as_str() {
                    "Range" => {
                        let r: Range = a.next_value()?;
                        Ok(Values::Range { from: r.from, to: r.to, step: r.step })
                    }
                    "LogRange" => {
                        let r: LogRange = a.next_value()?;
                        Ok(Values::LogRange { from: r.from, to: r.to, steps: r.steps })
                    }
                    "List" => Ok(Values::List(a.next_value()?)),
                    other => Err(de::Error::unknown_variant(other, &["List", "Range", "LogRange"])),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// The most values one parameter may have.
const MAX_VALUES: u64 = 1_000_000;

impl Values {
    /// How many values there are (computed, not listed), or why the range is not one.
    pub fn count(&self) -> Result<u64, String> {
        match *self {
            Values::List(ref v) => Ok(v.len() as u64),
            Values::Range { from, to, step } => {
                if !(from.is_finite() && to.is_finite() && step.is_finite() && step > 0.0) {
                    return Err(format!(
                        "a range needs finite bounds and a step above 0, got {from} to {to} by {step}"
                    ));
                }
                let n = ((to - from) / step + 1e-6).floor() + 1.0;
                if n < 1.0 {
                    return Err(format!("the range {from} to {to} holds no value"));
                }
                if n > MAX_VALUES as f64 {
                    return Err(format!(
                        "the range {from} to {to} by {step} holds {n:.0} values; at most {MAX_VALUES}"
                    ));
                }
                Ok(n as u64)
            }
            Values::LogRange { from, to, steps } => {
                if !(from > 0.0 && to > 0.0 && from.is_finite() && to.is_finite()) || steps < 2 {
                    return Err(format!(
                        "a log range needs bounds above 0 and at least 2 steps, got {from} to {to} in {steps}"
                    ));
                }
                if u64::from(steps) > MAX_VALUES {
                    return Err(format!("{steps} steps; at most {MAX_VALUES}"));
                }
                Ok(u64::from(steps))
            }
        }
    }

    /// The values, in order.
    pub fn values(&self) -> Vec<Value> {
        match *self {
            Values::List(ref v) => v.clone(),
            Values::Range { from, step, .. } => {
                (0..self.count().unwrap_or(0)).map(|i| Value::Number(from + i as f64 * step)).collect()
            }
            Values::LogRange { from, to, steps } => {
                let (a, b) = (from.ln(), to.ln());
                (0..steps).map(|i| Value::Number((a + (b - a) * f64::from(i) / f64::from(steps - 1)).exp())).collect()
            }
        }
    }
}

/// One varied parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepParam {
    /// Column name in the outputs.
    pub name: String,
    /// The field: a name (`peer.gossip.fanout`) or a JSON pointer (`/peer_types/0/…`).
    pub path: String,
    /// The values.
    pub values: Values,
}

/// The base experiment of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Base {
    /// An experiment file, relative to the sweep file.
    File(String),
    /// An experiment written in the sweep file.
    Inline(Box<Experiment>),
}

/// A sweep file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Name for reports.
    pub name: String,
    /// The base experiment.
    pub base: Base,
    /// The parameters; points are every combination, the first parameter varying slowest.
    pub parameters: Vec<SweepParam>,
    /// Seeds per point.
    pub seeds: u32,
    /// The first seed (seeds are `first_seed`, `first_seed + 1`, …).
    #[serde(default)]
    pub first_seed: u64,
    /// Summary metrics to plot against the first parameter (keys of `summary.json`, nested keys
    /// joined by `.`: `delivery_ratio`, `copies.mean`).
    #[serde(default)]
    pub metrics: Vec<String>,
}

/// One run of a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunKey {
    /// Index of the point.
    pub point: usize,
    /// The seed.
    pub seed: u64,
}

impl RunKey {
    /// The run's name, `p0003-s7`: the stem of its result file, and how task lists name it.
    pub fn name(&self) -> String {
        format!("p{:04}-s{}", self.point, self.seed)
    }

    /// Reads a name written by [`RunKey::name`].
    pub fn from_name(name: &str) -> Option<RunKey> {
        let (p, s) = name.strip_prefix('p')?.split_once("-s")?;
        Some(RunKey { point: p.parse().ok()?, seed: s.parse().ok()? })
    }
}

/// The file in a sweep's output folder that records which sweep the folder holds, its base
/// experiment written inline: a resumed sweep must be the same sweep, and a batch job reads its
/// work from here.
pub const SWEEP_FILE: &str = "sweep.ron";

/// The most runs one sweep may have: each is a file, and gathering holds every result in memory
/// (a few KB each).
pub const MAX_RUNS: u64 = 1_000_000;

impl Services for SweepSpec {
    fn services_mut(&mut self) -> Vec<&mut ServiceSpec> {
        match &mut self.base {
            Base::Inline(exp) => exp.services_mut(),
            Base::File(_) => Vec::new(),
        }
    }
}

/// A sweep checked whole: what its file says, its base experiment, and the checked experiment of
/// every point (at the first seed; a run's is its point's with its own seed).
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The sweep.
    pub spec: SweepSpec,
    /// Its base experiment.
    pub base: Experiment,
    points: Vec<Scenario>,
}

impl Sweep {
    /// Checks `spec` over `base`, whose services may name `protocols`: seeds, values, metric
    /// names, the number of runs, and every point's experiment.
    pub fn new(spec: SweepSpec, base: Experiment, protocols: &Protocols) -> Result<Sweep, Error> {
        let points = spec.check(&base, protocols)?;
        Ok(Sweep { spec, base, points })
    }

    /// Reads a sweep file and its base experiment, and checks them (see [`Sweep::new`]).
    pub fn load(path: &Path, protocols: &Protocols) -> Result<Sweep, Error> {
        let (spec, base, text) = SweepSpec::load(path, protocols)?;
        Sweep::new(spec, base, protocols).map_err(|e| e.in_file(&path.display().to_string(), &text))
    }

    /// The same sweep over its base with `settings` made (`--set`), checked again.
    pub fn with_settings(self, settings: &[(String, Value)], protocols: &Protocols) -> Result<Sweep, Error> {
        if settings.is_empty() {
            return Ok(self);
        }
        let base = crate::overrides::apply(&self.base, settings, protocols)?;
        Sweep::new(self.spec, base, protocols)
    }

    /// The checked experiment of each point, at the first seed.
    pub fn points(&self) -> &[Scenario] {
        &self.points
    }

    /// The checked experiment of one run: its point's, with its seed.
    pub fn scenario(&self, run: RunKey) -> Result<Scenario, Error> {
        let point = self.points.get(run.point).ok_or_else(|| {
            Error::input("run", format!("point {} does not exist: the sweep has {}", run.point, self.points.len()))
        })?;
        Ok(point.with_seed(run.seed))
    }
}

impl SweepSpec {
    /// Reads a sweep file, and its base experiment, whose services may name `protocols`; the
    /// base is checked. Also returns the file's text, for placing later errors in it.
    fn load(path: &Path, protocols: &Protocols) -> Result<(SweepSpec, Experiment, String), Error> {
        let file = path.display().to_string();
        let text = crate::experiment::read_text(path)?;
        let source = Source::parse(&text).map_err(|e| Error::at(&file, e.pos, "", e.message))?;
        let spec: SweepSpec =
            source.read(protocols).map_err(|e| Error::at(&file, e.pos, &source.path_at(e.pos), e.message))?;
        let base = match &spec.base {
            Base::Inline(exp) => {
                Scenario::validate(exp).map_err(|e| Error::located(&file, &source, &e.at("Inline").at("base")))?;
                (**exp).clone()
            }
            Base::File(rel) => {
                Scenario::load(&path.parent().unwrap_or(Path::new(".")).join(rel), protocols)?.experiment().clone()
            }
        };
        Ok((spec, base, text))
    }

    /// The number of runs: points × seeds (computed, not listed).
    pub fn run_count(&self) -> Result<u128, Error> {
        let mut points: u128 = 1;
        for (i, p) in self.parameters.iter().enumerate() {
            let n = p.values.count().map_err(|m| Error::input(&format!("parameters[{i}].values"), m))?;
            points = points.saturating_mul(u128::from(n));
        }
        Ok(points.saturating_mul(u128::from(self.seeds)))
    }

    /// The points: for each, the value of every parameter.
    pub fn points(&self) -> Vec<Vec<Value>> {
        let mut points = vec![Vec::new()];
        for p in &self.parameters {
            let values = p.values.values();
            points = points
                .into_iter()
                .flat_map(|pt| values.iter().map(move |v| [pt.clone(), vec![v.clone()]].concat()))
                .collect();
        }
        points
    }

    /// The checked experiment of one point at one seed (plots and graph snapshots off: a sweep
    /// reports numbers).
    fn scenario(
        &self,
        base: &Experiment,
        point: &[Value],
        seed: u64,
        protocols: &Protocols,
    ) -> Result<Scenario, Error> {
        let changes: Vec<(String, Value)> =
            self.parameters.iter().zip(point).map(|(p, v)| (p.path.clone(), v.clone())).collect();
        let at_point = |e: Error| match e {
            Error::Input { file, position, field, message } => Error::Input {
                file,
                position,
                field,
                message: format!(
                    "{message} (at point {})",
                    point.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                ),
            },
            other => other,
        };
        let mut exp = crate::overrides::apply(base, &changes, protocols).map_err(at_point)?;
        exp.seed = seed;
        exp.analysis.plots = false;
        exp.analysis.snapshot_every_ms = None;
        Scenario::new(&exp).map_err(at_point)
    }

    /// The checks: seeds, values, metric names, the number of runs, and every point's experiment,
    /// which it returns.
    fn check(&self, base: &Experiment, protocols: &Protocols) -> Result<Vec<Scenario>, Error> {
        if self.seeds == 0 {
            return Err(Error::input("seeds", "at least one seed per point"));
        }
        for (i, p) in self.parameters.iter().enumerate() {
            let field = format!("parameters[{i}].values");
            if p.values.count().map_err(|m| Error::input(&field, m))? == 0 {
                return Err(Error::input(&field, "needs at least one value"));
            }
            if p.name.is_empty() || p.name.contains([',', '"', '\n']) {
                return Err(Error::input(
                    &format!("parameters[{i}].name"),
                    "names a column of the tables: not empty, no comma, quote or line break",
                ));
            }
        }
        let runs = self.run_count()?;
        if runs > u128::from(MAX_RUNS) {
            return Err(Error::input(
                if self.parameters.is_empty() { "seeds" } else { "parameters" },
                format!(
                    "{runs} runs ({} points × {} seeds); at most {MAX_RUNS} in one sweep (each is a file, and gathering \
                     holds every result in memory): fewer values or seeds, or several sweeps",
                    runs / u128::from(self.seeds),
                    self.seeds
                ),
            ));
        }
        let types: Vec<String> = base.peer_types.iter().map(|t| t.name.clone()).collect();
        for (i, m) in self.metrics.iter().enumerate() {
            if !p2psim_analysis::Summary::is_metric(m, &types) {
                return Err(Error::input(
                    &format!("metrics[{i}]"),
                    format!(
                        "`{m}` is not a figure of the summary; the figures are {}, and sent_by_kind.KIND.messages \
                         or .bytes",
                        p2psim_analysis::Summary::metric_names(&types).join(", ")
                    ),
                ));
            }
        }
        self.points().iter().map(|point| self.scenario(base, point, self.first_seed, protocols)).collect()
    }

    /// This sweep with `base` written inline, as its output folder records it.
    pub fn with_inline_base(&self, base: &Experiment) -> SweepSpec {
        SweepSpec { base: Base::Inline(Box::new(base.clone())), ..self.clone() }
    }

    /// The sweep as RON text that [`SweepSpec::load`] reads back to the same value.
    pub fn to_ron(&self) -> String {
        crate::experiment::to_ron(self)
    }

    /// Every run, point by point, seed by seed.
    pub fn runs(&self) -> Vec<RunKey> {
        let n = self.points().len();
        (0..n)
            .flat_map(|point| (0..u64::from(self.seeds)).map(move |s| RunKey { point, seed: self.first_seed + s }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Services for Values {
        fn services_mut(&mut self) -> Vec<&mut ServiceSpec> {
            Vec::new()
        }
    }

    fn values(text: &str) -> Values {
        Source::parse(text).unwrap().read(&Protocols::new()).unwrap()
    }

    #[test]
    fn values_are_lists_or_ranges() {
        assert_eq!(
            values("[1, FirstCopy]").values(),
            vec![Value::Number(1.0), Value::Variant("FirstCopy".into(), None)]
        );
        let r = values("\"1..=4\"").values();
        assert_eq!(r, (1..=4).map(|x| Value::Number(f64::from(x))).collect::<Vec<_>>());
        assert_eq!(values("\"1..4\"").count(), Ok(3));
        assert_eq!(values("Range(from: 0, to: 0.5, step: 0.1)").count(), Ok(6), "0.5 is included despite rounding");
        let log = values("LogRange(from: 0.001, to: 0.1, steps: 3)").values();
        let x: Vec<f64> = log.iter().map(|v| v.as_number().unwrap()).collect();
        assert!((x[0] - 0.001).abs() < 1e-12 && (x[1] - 0.01).abs() < 1e-12 && (x[2] - 0.1).abs() < 1e-12);
        assert!(values("Range(from: 0, to: 1, step: 0)").count().is_err());
        assert!(values("Range(from: 0, to: 1e12, step: 1)").count().is_err(), "a million values at most");
        assert!(values("LogRange(from: 0, to: 1, steps: 3)").count().is_err());
    }
}
