//! Parameters: a constant, a value drawn once per instance ([`Param::Dist`]) or a draw at every
//! use ([`Param::DistAttr`]), P2PSimpy's three-way choice; and their checks.
//!
//! What it is not: the distributions themselves (the parent module).

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::Dist;
use crate::ConfigError;

/// A numeric parameter of a component: a constant, a value drawn once per instance, or a
/// distribution drawn at every use.
///
/// This is P2PSimpy's three-way choice: a plain value is the same for every peer; `Dist` is sampled
/// once when each peer is built (every peer gets its own value); `DistAttr` hands the distribution to
/// the component, which draws a fresh value each time it needs one (each disruption, each round).
///
/// In files a constant is written as a plain number (`fanout: 3`) or as `Const(3)`; the others as
/// `Dist(Norm(loc: 3, scale: 1))` and `DistAttr(...)`. A constant is written back as a plain number.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// The same value for every instance.
    Const(f64),
    /// One draw per instance, made when the instance is built.
    Dist(Dist),
    /// A fresh draw at every use.
    DistAttr(Dist),
}

impl From<f64> for Param {
    fn from(v: f64) -> Param {
        Param::Const(v)
    }
}

impl Serialize for Param {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Param::Const(v) => s.serialize_f64(*v),
            Param::Dist(d) => s.serialize_newtype_variant("Param", 1, "Dist", d),
            Param::DistAttr(d) => s.serialize_newtype_variant("Param", 2, "DistAttr", d),
        }
    }
}

/// Reads a plain number as `Const`, and the variants `Const(x)`, `Dist(d)`, `DistAttr(d)`, from
/// a self-describing format: as an enum (p2psim's RON reader) or as a one-key map (JSON).
impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Param, D::Error> {
        use serde::de::{EnumAccess, Error, MapAccess, VariantAccess, Visitor};
        struct V;
        fn build<E: Error>(name: &str, f: impl FnOnce(bool) -> Result<Param, E>) -> Result<Param, E> {
            match name {
                "Const" => f(false),
                "Dist" | "DistAttr" => f(name == "DistAttr"),
                other => Err(E::unknown_variant(other, &["Const", "Dist", "DistAttr"])),
            }
        }
        impl<'de> Visitor<'de> for V {
            type Value = Param;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number, or Const(x), Dist(distribution) or DistAttr(distribution)")
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<Param, E> {
                Ok(Param::Const(v))
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<Param, E> {
                Ok(Param::Const(v as f64))
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<Param, E> {
                Ok(Param::Const(v as f64))
            }
            fn visit_enum<A: EnumAccess<'de>>(self, a: A) -> Result<Param, A::Error> {
                let (name, v): (String, _) = a.variant()?;
                if name == "Const" {
                    return Ok(Param::Const(v.newtype_variant()?));
                }
                build(&name, |per_use| {
                    let d: Dist = v.newtype_variant()?;
                    Ok(if per_use { Param::DistAttr(d) } else { Param::Dist(d) })
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Param, A::Error> {
                let Some(name) = a.next_key::<String>()? else {
                    return Err(A::Error::invalid_length(0, &self));
                };
                let p = if name == "Const" {
                    Param::Const(a.next_value()?)
                } else {
                    build(&name, |per_use| {
                        let d: Dist = a.next_value()?;
                        Ok(if per_use { Param::DistAttr(d) } else { Param::Dist(d) })
                    })?
                };
                if a.next_key::<String>()?.is_some() {
                    return Err(A::Error::invalid_length(2, &self));
                }
                Ok(p)
            }
        }
        d.deserialize_any(V)
    }
}

impl Param {
    /// Fixes the parameter for one instance: draws `Dist` now, keeps `DistAttr` for later draws.
    pub fn resolve<R: Rng + ?Sized>(&self, rng: &mut R) -> Resolved {
        match self {
            Param::Const(v) => Resolved::Fixed(*v),
            Param::Dist(d) => Resolved::Fixed(d.draw(rng)),
            Param::DistAttr(d) => Resolved::PerUse(d.clone()),
        }
    }

    /// The instance's own value of a `Dist` parameter, drawn now; for the others nothing is drawn
    /// and the result is not used. Keep it beside the instance (8 bytes) and pass it to
    /// [`Param::value`] at every use: a compact [`Resolved`].
    pub fn per_instance<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Param::Dist(d) => d.draw(rng),
            Param::Const(_) | Param::DistAttr(_) => f64::NAN,
        }
    }

    /// The value for this use: the constant, the instance's own value (from
    /// [`Param::per_instance`]), or a fresh draw from `rng`.
    #[inline]
    pub fn value<R: Rng + ?Sized>(&self, per_instance: f64, rng: &mut R) -> f64 {
        match self {
            Param::Const(v) => *v,
            Param::Dist(_) => per_instance,
            Param::DistAttr(d) => d.draw(rng),
        }
    }

    /// True when every instance gets the same value without drawing.
    pub fn is_const(&self) -> bool {
        matches!(self, Param::Const(_))
    }

    /// The expected value of one use (the constant, or the distribution's mean).
    pub fn mean(&self) -> Option<f64> {
        match self {
            Param::Const(v) => Some(*v),
            Param::Dist(d) | Param::DistAttr(d) => d.mean(),
        }
    }

    /// Values this parameter takes, for checks: the constant, or 256 draws from a fixed stream.
    fn probe(&self) -> Vec<f64> {
        match self {
            Param::Const(v) => vec![*v],
            Param::Dist(d) | Param::DistAttr(d) => {
                let mut rng = crate::Seed(0x5eed).stream(crate::StreamKey::new("check"));
                (0..256).map(|_| d.draw(&mut rng)).collect()
            }
        }
    }

    /// Checks a parameter whose every value must satisfy `ok` (described by `rule`, "at least 0"):
    /// a constant exactly; a distribution by its draws, which must satisfy it at least 99 times in
    /// 100 (draws that do not are redrawn or clamped by the component, as documented there).
    pub fn check(&self, field: &'static str, rule: &str, ok: impl Fn(f64) -> bool) -> Result<(), ConfigError> {
        let values = self.probe();
        let good = values.iter().filter(|&&v| ok(v)).count();
        match self {
            Param::Const(v) if good == 0 => Err(ConfigError::field(field, format!("must be {rule}, got {v}"))),
            Param::Dist(_) | Param::DistAttr(_) if good * 100 < values.len() * 99 => Err(ConfigError::field(
                field,
                format!("must be {rule}; this distribution's draws are only {good} times in {} so", values.len()),
            )),
            _ => Ok(()),
        }
    }

    /// Checks a parameter that sets how long something repeating waits (a period, an interval, an
    /// up-time), in ms, taken as an absolute value: finite, and on average at least one
    /// nanosecond once rounded, so that the repetition moves the clock forward.
    pub fn check_period(&self, field: &'static str) -> Result<(), ConfigError> {
        let values = self.probe();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ConfigError::field(
                field,
                "must be a finite number of ms (it sets how often something repeats)",
            ));
        }
        let mean_abs = values.iter().map(|v| v.abs()).sum::<f64>() / values.len() as f64;
        crate::config_error::check_period_ms(field, mean_abs)
    }
}

/// A parameter as one instance holds it: a value, or a distribution to draw from at every use.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    /// Fixed for this instance.
    Fixed(f64),
    /// Drawn at every use.
    PerUse(Dist),
}

impl Resolved {
    /// The value for this use.
    #[inline]
    pub fn get<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Resolved::Fixed(v) => *v,
            Resolved::PerUse(d) => d.draw(rng),
        }
    }
}
