//! Output folders: p2psim replaces only what it wrote, writes whole or not at all, and survives
//! a kill or a power cut at any moment.
//!
//! - Every folder p2psim writes holds a marker, [`MARKER`], listing what it holds. An existing
//!   folder is replaced only if it has the marker and holds nothing the marker does not list, or
//!   if it is empty; anything else (a folder p2psim did not write, a file, a symbolic link, a
//!   folder holding the current folder or an input file) is refused before anything is written.
//! - A folder is filled under a staging name beside it (`.NAME.partial-HOST-PID`), every file and
//!   folder synced to disk, then swapped with the target in one step (Linux's
//!   `renameat2(RENAME_EXCHANGE)`), so that at every moment the target is either the old folder or
//!   the new one, whole. A staging folder left by a process that died is removed at the next
//!   write beside it.
//! - A sweep's folder is written to by several runs over time: it is locked ([`Lock`]) while a
//!   sweep or a merge works in it, and a second one is refused.
//!
//! What it is not: what goes into the folders (the report and the sweeps write their files).

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use p2psim::Error;

/// The file in every output folder that says p2psim wrote it, and what it holds.
pub const MARKER: &str = ".p2psim-output";

const MARKER_HEADER: &str =
    "This folder was written by p2psim, which replaces it only while it holds nothing but what this list names.\n";

fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::io(path, e)
}

fn refused(path: &Path, message: impl Into<String>) -> Error {
    Error::Refused { path: path.display().to_string(), message: message.into() }
}

/// Everything under `dir` (files and folders), as paths relative to it, sorted.
fn listing(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in fs::read_dir(dir.join(&rel))? {
            let entry = entry?;
            let name = rel.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                stack.push(name.clone());
            }
            out.push(name.to_string_lossy().into_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// The absolute form of a path, resolving what exists of it.
fn absolute(p: &Path) -> PathBuf {
    fs::canonicalize(p).unwrap_or_else(|_| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// Checks that `out` may receive a folder of results, creating nothing: it does not exist yet, or
/// it is a folder that p2psim wrote and that holds nothing else, or an empty folder; and it holds
/// neither the current folder nor any of `inputs`.
pub fn check_output(out: &Path, inputs: &[&Path]) -> Result<(), Error> {
    if out.as_os_str().is_empty() {
        return Err(refused(out, "an output folder needs a name"));
    }
    if let Ok(meta) = fs::symlink_metadata(out) {
        if meta.file_type().is_symlink() {
            return Err(refused(
                out,
                "is a symbolic link; p2psim writes only into folders it made: choose another folder",
            ));
        }
        if !meta.is_dir() {
            return Err(refused(out, "is a file, not a folder: choose another output folder"));
        }
    }
    let target = absolute(out);
    if let Ok(cwd) = std::env::current_dir()
        && absolute(&cwd).starts_with(&target)
    {
        return Err(refused(out, "holds the folder you are in; choose an output folder inside it, such as out/run"));
    }
    for input in inputs {
        if absolute(input).starts_with(&target) {
            return Err(refused(
                out,
                format!("holds the input {}; choose an output folder that does not hold it", input.display()),
            ));
        }
    }
    if !out.exists() {
        return Ok(());
    }
    let held = listing(out).map_err(|e| io(out, e))?;
    if held.is_empty() {
        return Ok(());
    }
    let Ok(marker) = fs::read_to_string(out.join(MARKER)) else {
        return Err(refused(
            out,
            format!(
                "is a folder p2psim did not write (it holds {}); choose another output folder, or empty this one",
                sample(&held)
            ),
        ));
    };
    let listed: Vec<&str> = marker.lines().skip(1).collect();
    let extra: Vec<String> = held.into_iter().filter(|h| h != MARKER && !listed.contains(&h.as_str())).collect();
    if !extra.is_empty() {
        return Err(refused(
            out,
            format!(
                "holds what p2psim did not write there ({}); move it away, or choose another output folder",
                sample(&extra)
            ),
        ));
    }
    Ok(())
}

fn sample(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
    let more = if names.len() > 3 { format!(" and {} more", names.len() - 3) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

fn host() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_owned()).unwrap_or_default()
}

/// True unless `pid` is known not to run on this machine (Linux's `/proc`; elsewhere every
/// process counts as running, and nothing is cleaned up).
fn alive(pid: u32) -> bool {
    !Path::new("/proc/self").exists() || Path::new(&format!("/proc/{pid}")).exists()
}

/// The staging name of `name`'s folder for this process.
fn staging_name(name: &str) -> String {
    format!(".{name}.partial-{}-{}", host(), std::process::id())
}

/// Removes what dead processes of this machine left in `dir` under names that start with
/// `prefix`: staging folders (`.NAME.partial-HOST-PID`) and temporary files (`NAME.tmp-HOST-PID`).
pub fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let host = host();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(prefix) {
            continue;
        }
        let Some(tail) = name.rsplit_once(".partial-").or_else(|| name.rsplit_once(".tmp-")).map(|(_, t)| t) else {
            continue;
        };
        let Some((h, pid)) = tail.rsplit_once('-') else { continue };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if h == host && !alive(pid) {
            let path = entry.path();
            let _ = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
        }
    }
}

/// Syncs a file or folder to disk.
fn sync(path: &Path) -> Result<(), Error> {
    File::open(path).and_then(|f| f.sync_all()).map_err(|e| io(path, e))
}

/// Syncs everything under `dir`, then `dir` itself.
fn sync_tree(dir: &Path) -> Result<(), Error> {
    for rel in listing(dir).map_err(|e| io(dir, e))? {
        sync(&dir.join(rel))?;
    }
    sync(dir)
}

/// Puts `staging` in `out`'s place in one step: `out` is, at every moment, the old folder or the
/// new one. The old one ends up at `staging`'s name, for the caller to remove.
fn swap_in(staging: &Path, out: &Path) -> Result<(), Error> {
    if !out.exists() {
        return fs::rename(staging, out).map_err(|e| io(out, e));
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, staging, CWD, out, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            // A file system without the exchange falls through to two renames.
            Err(e) if e != rustix::io::Errno::INVAL && e != rustix::io::Errno::NOSYS => return Err(io(out, e)),
            Err(_) => {}
        }
    }
    // Two renames: the moment between them is the one a kill could leave `out` missing in; the
    // old folder is then at the staging name, and the next write puts it back.
    let aside = staging.with_extension("old");
    fs::rename(out, &aside).map_err(|e| io(out, e))?;
    fs::rename(staging, out).map_err(|e| io(out, e))?;
    fs::rename(&aside, staging).map_err(|e| io(staging, e))
}

/// Fills a folder whole or not at all: checks `out` ([`check_output`], with the `inputs` it must
/// not hold), has `fill` write into a fresh staging folder beside it, syncs it with its marker,
/// and swaps it into place. If `fill` fails, nothing is changed but the staging folder's removal.
pub fn write_folder_atomically<T>(
    out: &Path,
    inputs: &[&Path],
    fill: impl FnOnce(&Path) -> Result<T, Error>,
) -> Result<T, Error> {
    check_output(out, inputs)?;
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name =
        out.file_name().ok_or_else(|| refused(out, "an output folder needs a name"))?.to_string_lossy().into_owned();
    fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    remove_stale(parent, &format!(".{name}.partial-"));
    let staging = parent.join(staging_name(&name));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir(&staging).map_err(|e| io(&staging, e))?;
    let result = fill(&staging).and_then(|v| {
        let mut marker = MARKER_HEADER.to_owned();
        for entry in listing(&staging).map_err(|e| io(&staging, e))? {
            marker += &entry;
            marker.push('\n');
        }
        fs::write(staging.join(MARKER), marker).map_err(|e| io(&staging.join(MARKER), e))?;
        sync_tree(&staging)?;
        Ok(v)
    });
    match result {
        Ok(v) => {
            swap_in(&staging, out)?;
            sync(parent)?;
            let _ = fs::remove_dir_all(&staging);
            Ok(v)
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

/// Writes `text` to `path` whole or not at all, synced: under a temporary name unique to this host
/// and process, then renamed. Several writers of the same file (a requeued batch task) are harmless.
pub fn write_file_atomically(path: &Path, text: &str) -> Result<(), Error> {
    let tmp = path.with_extension(format!("tmp-{}-{}", host(), std::process::id()));
    let written = File::create(&tmp)
        .and_then(|mut f| {
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            f.sync_all()
        })
        .map_err(|e| io(&tmp, e));
    let result = written.and_then(|()| fs::rename(&tmp, path).map_err(|e| io(path, e)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A folder held by one process at a time (a sweep's folder while a sweep or a merge works in
/// it): released when dropped, or when the process dies.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// The lock file in a locked folder.
pub(crate) const LOCK: &str = ".p2psim-lock";

impl Lock {
    /// Locks `dir` (which must exist), or says who holds it.
    pub fn acquire(dir: &Path) -> Result<Lock, Error> {
        let path = dir.join(LOCK);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {
                let _ = file.set_len(0);
                let _ =
                    std::io::Write::write_all(&mut &file, format!("{} {}\n", host(), std::process::id()).as_bytes());
                Ok(Lock { _file: file })
            }
            Err(fs::TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                Err(refused(
                    dir,
                    format!(
                        "another sweep is working in this folder (process {}); wait for it to finish, or choose another folder",
                        holder.trim()
                    ),
                ))
            }
            Err(fs::TryLockError::Error(e)) => Err(io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("p2psim-outdir-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn fill(text: &'static str) -> impl FnOnce(&Path) -> Result<(), Error> {
        move |d: &Path| {
            fs::write(d.join("summary.json"), text).map_err(|e| io(d, e))?;
            fs::create_dir(d.join("frames")).map_err(|e| io(d, e))?;
            fs::write(d.join("frames/0.png"), "png").map_err(|e| io(d, e))
        }
    }

    #[test]
    fn only_folders_p2psim_wrote_are_replaced() {
        let d = scratch("replace");
        let out = d.join("run");
        write_folder_atomically(&out, &[], fill("1")).unwrap();
        assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "1");
        assert!(fs::read_to_string(out.join(MARKER)).unwrap().contains("frames/0.png"));
        write_folder_atomically(&out, &[], fill("2")).unwrap();
        assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "2", "its own folder is replaced");
        // Something p2psim did not write: refused, untouched.
        fs::write(out.join("thesis.txt"), "precious").unwrap();
        let e = write_folder_atomically(&out, &[], fill("3")).unwrap_err();
        assert!(e.to_string().contains("holds what p2psim did not write there (thesis.txt)"), "{e}");
        assert_eq!(fs::read_to_string(out.join("thesis.txt")).unwrap(), "precious");
        assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "2");
        // A folder of the user's, a file, a symbolic link: refused.
        let mine = d.join("mine");
        fs::create_dir_all(mine.join("sub")).unwrap();
        let e = write_folder_atomically(&mine, &[], fill("x")).unwrap_err();
        assert!(e.to_string().contains("p2psim did not write (it holds sub)"), "{e}");
        let file = d.join("file");
        fs::write(&file, "data").unwrap();
        assert!(write_folder_atomically(&file, &[], fill("x")).unwrap_err().to_string().contains("is a file"));
        assert_eq!(fs::read_to_string(&file).unwrap(), "data");
        let link = d.join("link");
        std::os::unix::fs::symlink(&out, &link).unwrap();
        assert!(write_folder_atomically(&link, &[], fill("x")).unwrap_err().to_string().contains("symbolic link"));
        // An empty folder is fine; one holding the input is not.
        fs::create_dir(d.join("empty")).unwrap();
        write_folder_atomically(&d.join("empty"), &[], fill("e")).unwrap();
        let input = d.join("in/exp.ron");
        fs::create_dir_all(input.parent().unwrap()).unwrap();
        fs::write(&input, "x").unwrap();
        let e = write_folder_atomically(&d.join("in"), &[&input], fill("x")).unwrap_err();
        assert!(e.to_string().contains("holds the input"), "{e}");
        assert!(e.is_input());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_failed_fill_changes_nothing_and_dead_processes_leave_nothing_behind() {
        let d = scratch("fail");
        let out = d.join("run");
        write_folder_atomically(&out, &[], fill("1")).unwrap();
        let e = write_folder_atomically(&out, &[], |_| Err::<(), _>(Error::input("x", "boom"))).unwrap_err();
        assert_eq!(e.to_string(), "x: boom");
        assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "1");
        // A staging folder of a process that no longer runs (pid 1 billion) is removed; one of a
        // running process (this one) is left.
        let dead = d.join(format!(".run.partial-{}-1000000000", host()));
        // Process 1 (the machine's init) always runs.
        let live = d.join(format!(".run.partial-{}-1", host()));
        let other = d.join(format!(".other.partial-{}-1000000000", host()));
        for dir in [&dead, &other, &live] {
            fs::create_dir(dir).unwrap();
        }
        write_folder_atomically(&out, &[], fill("2")).unwrap();
        assert!(!dead.exists(), "a dead process's staging folder of this output is removed");
        assert!(other.exists(), "another output's is not this write's business");
        assert!(live.exists(), "a running process's staging folder is left alone");
        remove_stale(&d, "");
        assert!(!other.exists());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_locked_folder_refuses_a_second_holder() {
        let d = scratch("lock");
        let first = Lock::acquire(&d).unwrap();
        let e = Lock::acquire(&d).unwrap_err();
        assert!(e.to_string().contains("another sweep is working in this folder"), "{e}");
        drop(first);
        Lock::acquire(&d).unwrap();
        fs::remove_dir_all(&d).unwrap();
    }
}
