//! The facade's umbrella error: bad input names the file, the line and column, and the field;
//! what the system refuses names the file and says why.

use std::fmt;

use p2psim_kernel::ConfigError;

use crate::ron::{Pos, Source};

/// Why an experiment could not be read, built, run or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is wrong: a file's text, a field's value, a value given on the command line.
    /// The command line exits with status 2.
    #[error("{}", Input(file, *position, field, message))]
    Input {
        /// The file (empty for an experiment built in code).
        file: String,
        /// Line and column, from 1, where the file has them.
        position: Option<(usize, usize)>,
        /// The field, as a path (`peers[1].peer_type`; empty when the whole file is meant).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// An output p2psim refuses to write: a folder it did not make, a file in the way, a folder
    /// another sweep is writing. Nothing was written. The command line exits with status 2.
    #[error("{path}: {message}")]
    Refused {
        /// The path.
        path: String,
        /// Why, and what to do instead.
        message: String,
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
    /// A file cannot be written (or read back): the system said no.
    #[error("{file}: {message}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's message.
        message: String,
    },
}

struct Input<'a>(&'a str, Option<(usize, usize)>, &'a str, &'a str);

impl fmt::Display for Input<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Input(file, position, field, message) = *self;
        let mut prefix = Vec::new();
        match (file.is_empty(), position) {
            (false, Some((l, c))) => prefix.push(format!("{file}:{l}:{c}")),
            (false, None) => prefix.push(file.to_owned()),
            (true, _) => {}
        }
        if !field.is_empty() {
            prefix.push(field.to_owned());
        }
        for p in prefix {
            write!(f, "{p}: ")?;
        }
        f.write_str(message)
    }
}

impl Error {
    /// Bad input at a place in a file.
    pub(crate) fn at(file: &str, pos: Pos, field: &str, message: impl Into<String>) -> Error {
        Error::Input {
            file: file.to_owned(),
            position: Some((pos.line, pos.col)),
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// A refused value of `file`, placed where the file holds it.
    pub(crate) fn located(file: &str, source: &Source, e: &ConfigError) -> Error {
        Error::at(file, source.locate(e.path()), &e.path_string(), e.message())
    }

    /// A refused value of an experiment that has no file.
    pub(crate) fn field(e: &ConfigError) -> Error {
        Error::Input { file: String::new(), position: None, field: e.path_string(), message: e.message().to_owned() }
    }

    /// Bad input of a named value (a command-line option, a sweep parameter).
    pub fn input(field: &str, message: impl Into<String>) -> Error {
        Error::Input { file: String::new(), position: None, field: field.to_owned(), message: message.into() }
    }

    /// A file the system would not let us read or write.
    pub fn io(path: &std::path::Path, e: impl fmt::Display) -> Error {
        Error::Io { file: path.display().to_string(), message: e.to_string() }
    }

    /// The same error, placed in the file `file` (of text `text`) where it holds the field named:
    /// for errors found after the file was read (an estimate, a `--set` value).
    pub fn in_file(self, file: &str, text: &str) -> Error {
        match self {
            Error::Input { file: f, position: None, field, message } if f.is_empty() => {
                let position = Source::parse(text).ok().map(|s| {
                    let at = s.locate(&field_path(&field));
                    (at.line, at.col)
                });
                Error::Input { file: file.to_owned(), position, field, message }
            }
            other => other,
        }
    }

    /// True for the errors that are the user's to fix (the command line exits with 2 for them).
    pub fn is_input(&self) -> bool {
        matches!(self, Error::Input { .. } | Error::Refused { .. })
    }
}

/// A field path as written in messages (`peer_types[0].services[1]`) as the segments the locator
/// follows.
pub(crate) fn field_path(field: &str) -> Vec<p2psim_kernel::Segment> {
    let mut out = Vec::new();
    for part in field.split('.') {
        let (name, rest) = part.split_once('[').unwrap_or((part, ""));
        if !name.is_empty() {
            out.push(p2psim_kernel::Segment::Field(name.to_owned().into()));
        }
        for index in rest.split('[') {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                out.push(p2psim_kernel::Segment::Index(i));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_no_empty_parts() {
        let e = |file: &str, position, field: &str| {
            Error::Input { file: file.into(), position, field: field.into(), message: "bad".into() }.to_string()
        };
        assert_eq!(e("a.ron", Some((3, 4)), "x.y"), "a.ron:3:4: x.y: bad");
        assert_eq!(e("a.ron", None, ""), "a.ron: bad");
        assert_eq!(e("", None, "seed"), "seed: bad");
        assert_eq!(e("", None, ""), "bad");
        assert_eq!(Error::Io { file: "/x".into(), message: "denied".into() }.to_string(), "/x: denied");
    }
}
