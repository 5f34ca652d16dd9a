//! Transparent huge pages for a run's big tables: a command that starts without them starts
//! itself again, once, with glibc's malloc asked to use them.
//!
//! A big run reads its tables (storage cells, links, the event queue) at random, and with 4 KiB
//! pages nearly every such read also misses the processor's address cache (TLB) and walks the page
//! tables. With 2 MiB pages the push of ten million peers took 185–194 s instead of 256–257 s
//! (BENCHMARKS.md), with the same results and the same peak memory. Linux's usual setting
//! (`madvise`) gives huge pages only to memory that asks for them; glibc's malloc asks when its
//! tunable `glibc.malloc.hugetlb=1` is set, and it reads tunables only from the environment at
//! start. So [`use_huge_pages`] replaces the process with the same program and arguments, that
//! variable set.
//!
//! It is not a change to any result: where memory lies never reaches them. It does nothing on
//! other systems than Linux with glibc, nor when `GLIBC_TUNABLES` is set at all (the user's own
//! tunables win; setting it empty opts out).

use std::ffi::OsStr;

/// The variable glibc reads its tunables from.
const TUNABLES: &str = "GLIBC_TUNABLES";

/// What [`use_huge_pages`] sets it to.
const HUGE_PAGES: &str = "glibc.malloc.hugetlb=1";

/// The value to start again with, given the variable as found: `None` to carry on as is.
#[cfg_attr(not(unix), allow(dead_code))]
fn restart_with(found: Option<&OsStr>) -> Option<&'static str> {
    if cfg!(all(target_os = "linux", target_env = "gnu")) && found.is_none() { Some(HUGE_PAGES) } else { None }
}

/// Replaces this process with the same program and arguments, glibc's malloc asked for
/// transparent huge pages, unless that is already settled (see the module's doc). Call it first
/// thing in `main`; returns only if the process carries on as it is (it did not need to, or could
/// not, start again).
pub fn use_huge_pages() {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let Some(value) = restart_with(std::env::var_os(TUNABLES).as_deref()) else { return };
        let Ok(exe) = std::env::current_exe() else { return };
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new(exe);
        if let Some(name) = args.next() {
            command.arg0(name);
        }
        // `exec` returns only if it failed: the run then goes on without huge pages.
        let _failed = command.args(args).env(TUNABLES, value).exec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_again_only_when_the_tunables_are_not_set() {
        let glibc = cfg!(all(target_os = "linux", target_env = "gnu"));
        assert_eq!(restart_with(None), glibc.then_some(HUGE_PAGES));
        assert_eq!(restart_with(Some(OsStr::new(""))), None, "set empty: the user opted out");
        assert_eq!(restart_with(Some(OsStr::new("glibc.malloc.arena_max=2"))), None, "the user's own tunables");
        assert_eq!(restart_with(Some(OsStr::new(HUGE_PAGES))), None, "already started again");
    }
}
