//! The facade's umbrella error: every failure names the file, and where possible the field and the
//! line and column.

use std::fmt;

/// Why an experiment could not be read, built or run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file is not valid RON for an experiment (syntax, unknown field, wrong type).
    #[error("{file}:{line}:{col}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        col: usize,
        /// What is wrong (names the field).
        message: String,
    },
    /// The file parses but a value is wrong.
    #[error("{}{}{message}", Located(file, *position), Field(field))]
    Invalid {
        /// The file.
        file: String,
        /// The field, as a path (`peers[1].peer_type`).
        field: String,
        /// What is wrong.
        message: String,
        /// Text to look for in the file to place the error.
        near: Option<String>,
        /// Line and column, when found.
        position: Option<(usize, usize)>,
    },
    /// A sweep's folder lacks results of some of its runs.
    #[error("{folder}: {} of {total} runs have no result ({}{}); run the sweep again to compute them", missing.len(), missing.iter().take(5).cloned().collect::<Vec<_>>().join(", "), if missing.len() > 5 { ", …" } else { "" })]
    Incomplete {
        /// The sweep's output folder.
        folder: String,
        /// The runs without a result, by name (`p0003-s7`).
        missing: Vec<String>,
        /// The runs of the sweep.
        total: usize,
    },
    /// The file cannot be read or written.
    #[error("{file}: {message}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's message.
        message: String,
    },
}

struct Located<'a>(&'a str, Option<(usize, usize)>);

struct Field<'a>(&'a str);

impl fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() { Ok(()) } else { write!(f, "{}: ", self.0) }
    }
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.is_empty(), self.1) {
            (true, _) => Ok(()),
            (false, Some((l, c))) => write!(f, "{}:{l}:{c}: ", self.0),
            (false, None) => write!(f, "{}: ", self.0),
        }
    }
}

impl Error {
    /// Names the file, and finds the line and column of the offending text in it: the text the
    /// check pointed at, or else the last name quoted in the message (`msg_rate`, `Tokio`) that the
    /// file contains.
    pub fn locate(self, file: &str, text: &str) -> Error {
        match self {
            Error::Invalid { field, message, near, .. } => {
                let position = near.as_deref().and_then(|n| crate::experiment::position_of(text, n)).or_else(|| {
                    message.split('`').skip(1).step_by(2).collect::<Vec<_>>().into_iter().rev().find_map(|name| {
                        crate::experiment::position_of(text, &format!("\"{name}\""))
                            .or_else(|| crate::experiment::position_of(text, name))
                    })
                });
                Error::Invalid { file: file.to_owned(), field, message, near, position }
            }
            other => other,
        }
    }

    /// An error from building the run (a layer's own check), attributed to a field of the file.
    pub(crate) fn build(field: &str, e: impl fmt::Display) -> Error {
        Error::Invalid {
            file: String::new(),
            field: field.to_owned(),
            message: e.to_string(),
            near: None,
            position: None,
        }
    }
}
