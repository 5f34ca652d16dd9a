//! `--log LEVEL`: the run's diagnostics written to `run.log` in its folder.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use p2psim::Error;

/// The levels `--log` takes, and what each adds to the one before.
pub(crate) const LEVELS: &str = "\
error: messages no service of the receiver handles;
warn: peers going offline and leaving, links dropped;
info: peers coming back and joining, links made;
debug: messages that could not leave (sender offline, no link);
trace: every message sent and received.";

/// The log file: it stops at its first write error and keeps it, so that a full disk gives one
/// error at the end of the run instead of a line on the terminal for every event.
#[derive(Clone)]
pub(crate) struct LogFile {
    inner: Arc<Mutex<(std::fs::File, Option<std::io::Error>)>>,
}

impl LogFile {
    pub(crate) fn create(path: &Path) -> Result<LogFile, Error> {
        let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(LogFile { inner: Arc::new(Mutex::new((file, None))) })
    }

    /// The first write error, if there was one.
    pub(crate) fn failure(&self, path: &Path) -> Result<(), Error> {
        let mut guard = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.1.is_none()
            && let Err(e) = guard.0.flush()
        {
            guard.1 = Some(e);
        }
        match guard.1.take() {
            Some(e) => Err(Error::io(path, e)),
            None => Ok(()),
        }
    }
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut guard = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.1.is_none()
            && let Err(e) = guard.0.write_all(buf)
        {
            guard.1 = Some(e);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` with the diagnostics at `level` going to `run.log` in `dir`.
pub(crate) fn with_log<T>(dir: &Path, level: &str, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    let path = dir.join("run.log");
    let file = LogFile::create(&path)?;
    let writer = file.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let logged = file.failure(&path);
    let value = result?;
    logged?;
    Ok(value)
}
