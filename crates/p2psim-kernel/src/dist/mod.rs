//! Probability distributions with scipy's parameter convention, and parameters that are constants,
//! drawn once per instance ([`Param::Dist`]) or drawn at every use ([`Param::DistAttr`]).
//!
//! P2PSimpy writes `Dist('norm', (12, 2))` and calls `scipy.stats.norm.rvs(loc=12, scale=2)`: shape
//! parameters first, then `loc`, then `scale`. [`Dist`] keeps that convention with named fields
//! (`Norm(loc: 12, scale: 2)` in RON) and also reads P2PSimpy's positional form,
//! `Scipy("norm", [12, 2])`, checking the number and range of the parameters.
//!
//! Draws are plain `f64`. Where a draw means a duration, the caller decides what a negative draw
//! means, as P2PSimpy does: latencies clamp at zero, timers take the absolute value (see
//! [`SimDuration::from_millis_f64`](crate::SimDuration::from_millis_f64) and
//! [`SimDuration::from_millis_abs`](crate::SimDuration::from_millis_abs)).

use rand::Rng;
use rand::RngExt;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_distr::{Exp1, Gamma, Pareto, StandardNormal, Weibull};
use serde::{Deserialize, Serialize};

/// Why a distribution's parameters were refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DistError {
    /// The scipy name is not one p2psim knows.
    #[error(
        "unknown distribution `{0}` (known: norm, uniform, expon, lognorm, gamma, invgamma, weibull_min, pareto, sample)"
    )]
    UnknownName(String),
    /// Positional parameters of the wrong count.
    #[error("`{name}` takes {expected} parameters ({names}), got {got}")]
    WrongArity {
        /// Distribution name.
        name: &'static str,
        /// Expected count.
        expected: usize,
        /// Their names, in order.
        names: &'static str,
        /// Given count.
        got: usize,
    },
    /// A parameter outside its domain.
    #[error("`{name}`: parameter `{param}` must be {rule}, got {value}")]
    OutOfRange {
        /// Distribution name.
        name: &'static str,
        /// Parameter name.
        param: &'static str,
        /// What it must be.
        rule: &'static str,
        /// The value given.
        value: f64,
    },
    /// `sample` with no values, or weights that do not match.
    #[error("`sample`: {0}")]
    BadSample(&'static str),
}

fn default_scale() -> f64 {
    1.0
}

/// A distribution as written in experiment files. Checked into a [`Dist`] on load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
enum DistSpec {
    Norm {
        #[serde(default)]
        loc: f64,
        #[serde(default = "default_scale")]
        scale: f64,
    },
    Uniform {
        #[serde(default)]
        loc: f64,
        #[serde(default = "default_scale")]
        scale: f64,
    },
    Expon {
        #[serde(default)]
        loc: f64,
        #[serde(default = "default_scale")]
        scale: f64,
    },
    Lognorm {
        s: f64,
        #[serde(default)]
        loc: f64,
        #[serde(default = "default_scale")]
        scale: f64,
    },
    Gamma {
        a: f64,
        #[serde(default)]
        loc: f64,
        #[serde(default = "default_scale")]
        scale: f64,
    },
    Invgamma {
        a: f64,
        #[serde(default)]
        loc: f64,
        #[serde(default = "default_scale")]
        scale: f64,
    },
    WeibullMin {
        c: f64,
        #[serde(default)]
        loc: f64,
        #[serde(default = "default_scale")]
        scale: f64,
    },
    Pareto {
        b: f64,
        #[serde(default)]
        loc: f64,
        #[serde(default = "default_scale")]
        scale: f64,
    },
    Sample {
        values: Vec<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weights: Option<Vec<f64>>,
    },
    /// P2PSimpy's form: a scipy name and its positional parameters (shapes, then loc, then scale).
    Scipy(String, Vec<f64>),
}

/// A checked probability distribution over `f64`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "DistSpec", into = "DistSpec")]
pub struct Dist {
    spec: DistSpec,
    sampler: Sampler,
}

#[derive(Clone, Debug)]
enum Sampler {
    Norm { loc: f64, scale: f64 },
    Uniform { loc: f64, scale: f64 },
    Expon { loc: f64, scale: f64 },
    Lognorm { s: f64, loc: f64, scale: f64 },
    Gamma { gamma: Gamma<f64>, loc: f64 },
    Invgamma { gamma: Gamma<f64>, loc: f64, scale: f64 },
    Weibull { weibull: Weibull<f64>, loc: f64 },
    Pareto { pareto: Pareto<f64>, loc: f64 },
    Sample { values: Vec<f64>, weights: Option<WeightedIndex<f64>> },
}

impl PartialEq for Dist {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

impl From<Dist> for DistSpec {
    fn from(d: Dist) -> DistSpec {
        d.spec
    }
}

fn finite(name: &'static str, param: &'static str, v: f64) -> Result<f64, DistError> {
    if v.is_finite() { Ok(v) } else { Err(DistError::OutOfRange { name, param, rule: "finite", value: v }) }
}

fn positive(name: &'static str, param: &'static str, v: f64) -> Result<f64, DistError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(DistError::OutOfRange { name, param, rule: "finite and > 0", value: v })
    }
}

impl TryFrom<DistSpec> for Dist {
    type Error = DistError;

    fn try_from(spec: DistSpec) -> Result<Dist, DistError> {
        let spec = match spec {
            DistSpec::Scipy(name, params) => from_scipy(&name, &params)?,
            other => other,
        };
        let sampler = match &spec {
            &DistSpec::Norm { loc, scale } => {
                Sampler::Norm { loc: finite("norm", "loc", loc)?, scale: positive("norm", "scale", scale)? }
            }
            &DistSpec::Uniform { loc, scale } => {
                Sampler::Uniform { loc: finite("uniform", "loc", loc)?, scale: positive("uniform", "scale", scale)? }
            }
            &DistSpec::Expon { loc, scale } => {
                Sampler::Expon { loc: finite("expon", "loc", loc)?, scale: positive("expon", "scale", scale)? }
            }
            &DistSpec::Lognorm { s, loc, scale } => Sampler::Lognorm {
                s: positive("lognorm", "s", s)?,
                loc: finite("lognorm", "loc", loc)?,
                scale: positive("lognorm", "scale", scale)?,
            },
            &DistSpec::Gamma { a, loc, scale } => {
                let a = positive("gamma", "a", a)?;
                let scale = positive("gamma", "scale", scale)?;
                Sampler::Gamma {
                    gamma: Gamma::new(a, scale).expect("checked parameters"),
                    loc: finite("gamma", "loc", loc)?,
                }
            }
            &DistSpec::Invgamma { a, loc, scale } => Sampler::Invgamma {
                gamma: Gamma::new(positive("invgamma", "a", a)?, 1.0).expect("checked parameters"),
                loc: finite("invgamma", "loc", loc)?,
                scale: positive("invgamma", "scale", scale)?,
            },
            &DistSpec::WeibullMin { c, loc, scale } => {
                let c = positive("weibull_min", "c", c)?;
                let scale = positive("weibull_min", "scale", scale)?;
                Sampler::Weibull {
                    weibull: Weibull::new(scale, c).expect("checked parameters"),
                    loc: finite("weibull_min", "loc", loc)?,
                }
            }
            &DistSpec::Pareto { b, loc, scale } => {
                let b = positive("pareto", "b", b)?;
                let scale = positive("pareto", "scale", scale)?;
                Sampler::Pareto {
                    pareto: Pareto::new(scale, b).expect("checked parameters"),
                    loc: finite("pareto", "loc", loc)?,
                }
            }
            DistSpec::Sample { values, weights } => {
                if values.is_empty() {
                    return Err(DistError::BadSample("`values` is empty"));
                }
                for &v in values {
                    finite("sample", "values", v)?;
                }
                let weights = match weights {
                    None => None,
                    Some(w) if w.len() != values.len() => {
                        return Err(DistError::BadSample("`weights` and `values` differ in length"));
                    }
                    Some(w) => {
                        if w.iter().any(|x| !x.is_finite() || *x < 0.0) {
                            return Err(DistError::BadSample("a weight is negative or not finite"));
                        }
                        Some(
                            WeightedIndex::new(w.iter().copied())
                                .map_err(|_| DistError::BadSample("the weights sum to zero"))?,
                        )
                    }
                };
                Sampler::Sample { values: values.clone(), weights }
            }
            DistSpec::Scipy(..) => unreachable!("converted above"),
        };
        Ok(Dist { spec, sampler })
    }
}

fn from_scipy(name: &str, p: &[f64]) -> Result<DistSpec, DistError> {
    let arity = |name: &'static str, names: &'static str, expected: usize| {
        if p.len() == expected { Ok(()) } else { Err(DistError::WrongArity { name, expected, names, got: p.len() }) }
    };
    Ok(match name {
        "norm" => {
            arity("norm", "loc, scale", 2)?;
            DistSpec::Norm { loc: p[0], scale: p[1] }
        }
        "uniform" => {
            arity("uniform", "loc, scale", 2)?;
            DistSpec::Uniform { loc: p[0], scale: p[1] }
        }
        "expon" => {
            arity("expon", "loc, scale", 2)?;
            DistSpec::Expon { loc: p[0], scale: p[1] }
        }
        "lognorm" => {
            arity("lognorm", "s, loc, scale", 3)?;
            DistSpec::Lognorm { s: p[0], loc: p[1], scale: p[2] }
        }
        "gamma" => {
            arity("gamma", "a, loc, scale", 3)?;
            DistSpec::Gamma { a: p[0], loc: p[1], scale: p[2] }
        }
        "invgamma" => {
            arity("invgamma", "a, loc, scale", 3)?;
            DistSpec::Invgamma { a: p[0], loc: p[1], scale: p[2] }
        }
        "weibull_min" => {
            arity("weibull_min", "c, loc, scale", 3)?;
            DistSpec::WeibullMin { c: p[0], loc: p[1], scale: p[2] }
        }
        "pareto" => {
            arity("pareto", "b, loc, scale", 3)?;
            DistSpec::Pareto { b: p[0], loc: p[1], scale: p[2] }
        }
        "sample" => DistSpec::Sample { values: p.to_vec(), weights: None },
        other => return Err(DistError::UnknownName(other.to_owned())),
    })
}

impl Dist {
    /// P2PSimpy's `Dist(name, params)`: scipy's name and positional parameters (shapes, loc, scale).
    pub fn scipy(name: &str, params: &[f64]) -> Result<Dist, DistError> {
        Dist::try_from(DistSpec::Scipy(name.to_owned(), params.to_vec()))
    }
    /// Normal with mean `loc` and standard deviation `scale`.
    pub fn norm(loc: f64, scale: f64) -> Result<Dist, DistError> {
        Dist::try_from(DistSpec::Norm { loc, scale })
    }
    /// Uniform on `[loc, loc + scale)`.
    pub fn uniform(loc: f64, scale: f64) -> Result<Dist, DistError> {
        Dist::try_from(DistSpec::Uniform { loc, scale })
    }
    /// `loc` plus an exponential of mean `scale`.
    pub fn expon(loc: f64, scale: f64) -> Result<Dist, DistError> {
        Dist::try_from(DistSpec::Expon { loc, scale })
    }
    /// `loc + scale · exp(s · Z)` with `Z` standard normal.
    pub fn lognorm(s: f64, loc: f64, scale: f64) -> Result<Dist, DistError> {
        Dist::try_from(DistSpec::Lognorm { s, loc, scale })
    }
    /// `loc` plus a gamma of shape `a` and scale `scale`.
    pub fn gamma(a: f64, loc: f64, scale: f64) -> Result<Dist, DistError> {
        Dist::try_from(DistSpec::Gamma { a, loc, scale })
    }
    /// `loc + scale / G` with `G` a gamma of shape `a` and scale 1.
    pub fn invgamma(a: f64, loc: f64, scale: f64) -> Result<Dist, DistError> {
        Dist::try_from(DistSpec::Invgamma { a, loc, scale })
    }
    /// `loc` plus a Weibull of shape `c` and scale `scale`.
    pub fn weibull_min(c: f64, loc: f64, scale: f64) -> Result<Dist, DistError> {
        Dist::try_from(DistSpec::WeibullMin { c, loc, scale })
    }
    /// `loc + scale · X` with `X` Pareto of shape `b` on `[1, ∞)`.
    pub fn pareto(b: f64, loc: f64, scale: f64) -> Result<Dist, DistError> {
        Dist::try_from(DistSpec::Pareto { b, loc, scale })
    }
    /// One of `values`, uniformly or with the given `weights`.
    pub fn sample(values: Vec<f64>, weights: Option<Vec<f64>>) -> Result<Dist, DistError> {
        Dist::try_from(DistSpec::Sample { values, weights })
    }

    /// One draw.
    #[inline]
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.sampler {
            Sampler::Norm { loc, scale } => {
                let z: f64 = StandardNormal.sample(rng);
                loc + scale * z
            }
            Sampler::Uniform { loc, scale } => loc + scale * rng.random::<f64>(),
            Sampler::Expon { loc, scale } => {
                let e: f64 = Exp1.sample(rng);
                loc + scale * e
            }
            Sampler::Lognorm { s, loc, scale } => {
                let z: f64 = StandardNormal.sample(rng);
                loc + scale * (s * z).exp()
            }
            Sampler::Gamma { gamma, loc } => loc + gamma.sample(rng),
            Sampler::Invgamma { gamma, loc, scale } => loc + scale / gamma.sample(rng),
            Sampler::Weibull { weibull, loc } => loc + weibull.sample(rng),
            Sampler::Pareto { pareto, loc } => loc + pareto.sample(rng),
            Sampler::Sample { values, weights } => {
                let i = match weights {
                    Some(w) => w.sample(rng),
                    None => rng.random_range(0..values.len()),
                };
                values[i]
            }
        }
    }

    /// The infimum of the support: no draw is below it (`-inf` for the normal). For an empirical
    /// sample, its least value of positive weight.
    pub fn lower_bound(&self) -> f64 {
        match self.spec {
            DistSpec::Norm { .. } => f64::NEG_INFINITY,
            DistSpec::Uniform { loc, .. }
            | DistSpec::Expon { loc, .. }
            | DistSpec::Lognorm { loc, .. }
            | DistSpec::Gamma { loc, .. }
            | DistSpec::Invgamma { loc, .. }
            | DistSpec::WeibullMin { loc, .. } => loc,
            DistSpec::Pareto { loc, scale, .. } => loc + scale,
            DistSpec::Sample { ref values, ref weights } => values
                .iter()
                .enumerate()
                .filter(|&(i, _)| weights.as_ref().is_none_or(|w| w[i] > 0.0))
                .map(|(_, &v)| v)
                .fold(f64::INFINITY, f64::min),
            // A checked distribution holds its named form; claim nothing for any other.
            DistSpec::Scipy(..) => f64::NEG_INFINITY,
        }
    }

    /// The theoretical mean, if finite.
    pub fn mean(&self) -> Option<f64> {
        let g = libm::tgamma;
        let m = match self.spec {
            DistSpec::Norm { loc, .. } => loc,
            DistSpec::Uniform { loc, scale } => loc + scale / 2.0,
            DistSpec::Expon { loc, scale } => loc + scale,
            DistSpec::Lognorm { s, loc, scale } => loc + scale * (s * s / 2.0).exp(),
            DistSpec::Gamma { a, loc, scale } => loc + a * scale,
            DistSpec::Invgamma { a, loc, scale } if a > 1.0 => loc + scale / (a - 1.0),
            DistSpec::WeibullMin { c, loc, scale } => loc + scale * g(1.0 + 1.0 / c),
            DistSpec::Pareto { b, loc, scale } if b > 1.0 => loc + scale * b / (b - 1.0),
            DistSpec::Sample { ref values, ref weights } => {
                let w: Vec<f64> = weights.clone().unwrap_or_else(|| vec![1.0; values.len()]);
                let total: f64 = w.iter().sum();
                values.iter().zip(&w).map(|(v, w)| v * w).sum::<f64>() / total
            }
            _ => return None,
        };
        Some(m)
    }

    /// The theoretical variance, if finite.
    pub fn variance(&self) -> Option<f64> {
        let g = libm::tgamma;
        let v = match self.spec {
            DistSpec::Norm { scale, .. } => scale * scale,
            DistSpec::Uniform { scale, .. } => scale * scale / 12.0,
            DistSpec::Expon { scale, .. } => scale * scale,
            DistSpec::Lognorm { s, scale, .. } => scale * scale * ((s * s).exp() - 1.0) * (s * s).exp(),
            DistSpec::Gamma { a, scale, .. } => a * scale * scale,
            DistSpec::Invgamma { a, scale, .. } if a > 2.0 => scale * scale / ((a - 1.0).powi(2) * (a - 2.0)),
            DistSpec::WeibullMin { c, scale, .. } => scale * scale * (g(1.0 + 2.0 / c) - g(1.0 + 1.0 / c).powi(2)),
            DistSpec::Pareto { b, scale, .. } if b > 2.0 => scale * scale * b / ((b - 1.0).powi(2) * (b - 2.0)),
            DistSpec::Sample { ref values, .. } => {
                let mean = self.mean()?;
                let w: Vec<f64> = match &self.spec {
                    DistSpec::Sample { weights: Some(w), .. } => w.clone(),
                    _ => vec![1.0; values.len()],
                };
                let total: f64 = w.iter().sum();
                values.iter().zip(&w).map(|(v, w)| w * (v - mean).powi(2)).sum::<f64>() / total
            }
            _ => return None,
        };
        Some(v)
    }
}

mod param;

pub use param::{Param, Resolved};

#[cfg(test)]
mod tests;
