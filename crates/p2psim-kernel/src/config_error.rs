//! A refused configuration value, and the path of the field that holds it.
//!
//! Every layer checks its own part of an experiment (a distribution's parameters, a location
//! table, a protocol's settings, a fault's timing) and says what is wrong in a [`ConfigError`]. As
//! the error travels up, each layer prefixes the path with the field it came from
//! ([`ConfigError::at`], [`ConfigError::at_index`]), so that the layer that read the file can name
//! the field, `peer_types[0].services[1].fanout`, and find its line and column.
//!
//! What it is not: a file reader. It knows nothing of RON, files or positions.

use std::borrow::Cow;
use std::fmt;

/// One step of a field path: a named field, or an element of a list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A named field (or a variant name, for the field inside an enum).
    Field(Cow<'static, str>),
    /// The element at this index of a list or tuple.
    Index(usize),
}

/// A configuration value refused by a check: what is wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    path: Vec<Segment>,
    message: String,
}

impl ConfigError {
    /// An error in the field named `field` of the value being checked.
    pub fn field(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> ConfigError {
        ConfigError { path: vec![Segment::Field(field.into())], message: message.into() }
    }

    /// An error in the value being checked as a whole.
    pub fn here(message: impl Into<String>) -> ConfigError {
        ConfigError { path: Vec::new(), message: message.into() }
    }

    /// The same error, one level up: inside the field `field`.
    #[must_use]
    pub fn at(mut self, field: impl Into<Cow<'static, str>>) -> ConfigError {
        self.path.insert(0, Segment::Field(field.into()));
        self
    }

    /// The same error, one level up: inside element `index` of a list.
    #[must_use]
    pub fn at_index(mut self, index: usize) -> ConfigError {
        self.path.insert(0, Segment::Index(index));
        self
    }

    /// The path from the outermost value checked to the refused field.
    pub fn path(&self) -> &[Segment] {
        &self.path
    }

    /// The path written as in experiment files' error messages: `peer_types[0].services[1].fanout`.
    pub fn path_string(&self) -> String {
        let mut out = String::new();
        for s in &self.path {
            match s {
                Segment::Field(f) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(f);
                }
                Segment::Index(i) => {
                    out.push_str(&format!("[{i}]"));
                }
            }
        }
        out
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path_string(), self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// Checks that `value`, a number of milliseconds that drives something repeating (a timer period,
/// a round, an interval), is finite and at least one nanosecond once rounded to the clock's
/// resolution: zero would repeat forever at the same instant, and NaN is no duration at all.
pub fn check_period_ms(field: &'static str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && !crate::SimDuration::from_millis_f64(value).is_zero() {
        Ok(())
    } else {
        Err(ConfigError::field(
            field,
            format!(
                "must be a finite number of ms that is at least 1 ns (1e-6 ms) once rounded, got {value}: \
                 it sets how often something repeats, and zero would repeat forever"
            ),
        ))
    }
}

/// Checks that `value`, a number of milliseconds, is finite and not negative.
pub fn check_duration_ms(field: &'static str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ConfigError::field(field, format!("must be a finite number of ms, at least 0, got {value}")))
    }
}

/// Checks that `value` is a probability.
pub fn check_probability(field: &'static str, value: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::field(field, format!("a probability must be in [0, 1], got {value}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_built_from_the_inside_out() {
        let e =
            ConfigError::field("fanout", "must be at least 0").at_index(1).at("services").at_index(0).at("peer_types");
        assert_eq!(e.path_string(), "peer_types[0].services[1].fanout");
        assert_eq!(e.to_string(), "peer_types[0].services[1].fanout: must be at least 0");
        assert_eq!(ConfigError::here("empty").to_string(), "empty");
        assert!(check_period_ms("ping_interval", 0.0).is_err());
        assert!(check_period_ms("ping_interval", f64::NAN).is_err());
        assert!(check_period_ms("ping_interval", 1e-9).is_err(), "rounds to 0 ns");
        assert!(check_period_ms("ping_interval", 4e-7).is_err(), "rounds to 0 ns");
        assert!(check_period_ms("ping_interval", 1e-6).is_ok());
        assert!(check_period_ms("ping_interval", f64::INFINITY).is_err());
        assert!(check_duration_ms("at", -1.0).is_err() && check_duration_ms("at", 0.0).is_ok());
        assert!(check_probability("p", 1.5).is_err() && check_probability("p", f64::NAN).is_err());
    }
}
