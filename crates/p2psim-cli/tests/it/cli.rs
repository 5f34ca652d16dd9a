//! The command line from the outside: exit statuses, output folders, sweeps killed and resumed.

use std::process::Command;

fn p2psim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_p2psim"))
}

#[test]
fn bad_input_exits_with_status_2_names_the_place_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("p2psim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.ron");
    let good =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/experiments/gossip.ron")).unwrap();
    std::fs::write(&bad, good.replacen("count: 25", "count: 25, colour: 3", 1)).unwrap();
    let out = dir.join("results");
    let run = p2psim().args(["experiment", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("bad.ron:") && stderr.contains("colour"), "{stderr}");
    assert!(!out.exists(), "no half-written output folder");
    // A missing file, a folder given as the file and text that is not UTF-8 are the user's to fix.
    let missing = p2psim().args(["experiment", dir.join("none.ron").to_str().unwrap()]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("none.ron: no such file"));
    let folder = p2psim().args(["experiment", dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(folder.status.code(), Some(2));
    std::fs::write(&bad, b"Experiment(name: \"\xfe\")").unwrap();
    let binary = p2psim().args(["experiment", bad.to_str().unwrap()]).output().unwrap();
    assert_eq!(binary.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&binary.stderr).contains("bad.ron:1:19: not UTF-8 text"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_good_run_writes_the_whole_folder() {
    let dir = std::env::temp_dir().join(format!("p2psim-cli-ok-{}", std::process::id()));
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/experiments/gossip.ron");
    let run = p2psim().args(["experiment", file, "--out", dir.to_str().unwrap(), "--seed", "7"]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for f in [
        "experiment.ron",
        "summary.json",
        "delays.csv",
        "copies.csv",
        "traffic.csv",
        "traffic-per-second.csv",
        "convergence.csv",
        "topology.dot",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(summary.contains("\"seed\": 7"), "{summary}");
    let rerun = dir.with_extension("rerun");
    let again = p2psim()
        .args(["experiment", dir.join("experiment.ron").to_str().unwrap(), "--out", rerun.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert_eq!(std::fs::read_to_string(rerun.join("summary.json")).unwrap(), summary, "experiment.ron reruns as is");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&rerun).unwrap();
}

/// A sweep of runs slow enough (P2PSimpy's 1000-peer scenario) to be killed in the middle.
fn slow_sweep(dir: &std::path::Path) -> std::path::PathBuf {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/experiments/scale-1000.ron");
    let text = format!(
        "SweepSpec(name: \"kill\", base: File({:?}), parameters: [(name: \"fanout\", path: \
         \"/peer_types/0/services/1/1/PushGossip/fanout\", values: [2, 3])], seeds: 4)",
        base.canonicalize().unwrap()
    );
    let file = dir.join("kill.ron");
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn a_sweep_killed_with_sigkill_resumes_losing_and_duplicating_nothing() {
    let dir = std::env::temp_dir().join(format!("p2psim-cli-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = slow_sweep(&dir);
    let (whole, killed) = (dir.join("whole"), dir.join("killed"));
    let sweep = |out: &std::path::Path| {
        let mut c = p2psim();
        c.arg("sweep").arg(&file).arg("--out").arg(out).args(["--jobs", "1"]);
        c
    };
    assert!(sweep(&whole).output().unwrap().status.success());

    let mut child = sweep(&killed).stdout(std::process::Stdio::null()).spawn().unwrap();
    let results = || {
        std::fs::read_dir(killed.join("runs"))
            .map(|d| d.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "json")).count())
            .unwrap_or(0)
    };
    while results() < 2 && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL: no chance to tidy up
    child.wait().unwrap();
    let before = results();
    assert!((2..8).contains(&before), "killed after {before} of 8 runs: the test needs a kill in the middle");

    let resumed = sweep(&killed).output().unwrap();
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let said = String::from_utf8_lossy(&resumed.stdout);
    assert!(said.contains(&format!("{} runs computed, {before} reused", 8 - before)), "{said}");
    let read = |p: std::path::PathBuf| std::fs::read_to_string(p).unwrap();
    assert_eq!(read(killed.join("runs.csv")), read(whole.join("runs.csv")));
    assert_eq!(read(killed.join("points.csv")), read(whole.join("points.csv")));
    assert_eq!(read(killed.join("runs.csv")).lines().count(), 1 + 8);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// On Linux with glibc the command starts itself again with glibc's malloc asked for huge pages
/// (its environment then says so), unless `GLIBC_TUNABLES` is set; either way the results are the
/// same bytes. The experiment is read from a named pipe, so the process waits, started again,
/// until the test has looked at its environment.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_command_asks_for_huge_pages_and_they_change_no_result() {
    let dir = std::env::temp_dir().join(format!("p2psim-cli-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("experiment.ron");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/experiments/gossip.ron")).unwrap();
    let mut summaries = Vec::new();
    // What the running command's GLIBC_TUNABLES must be, for what it was spawned with.
    for (tunables, expected) in [(None, "glibc.malloc.hugetlb=1"), (Some(""), "")] {
        let out = dir.join(format!("out-{}", summaries.len()));
        let mut command = p2psim();
        command.args(["experiment", fifo.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        match tunables {
            None => command.env_remove("GLIBC_TUNABLES"),
            Some(v) => command.env("GLIBC_TUNABLES", v),
        };
        let mut child =
            command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
        let environ = format!("/proc/{}/environ", child.id());
        let found =
            |env: &[u8]| env.split(|&b| b == 0).find_map(|kv| kv.strip_prefix(b"GLIBC_TUNABLES=").map(|v| v.to_vec()));
        // Until the process has started again (or, when it must not, for a while), its
        // environment is what it was spawned with.
        let restarts = tunables.is_none();
        let mut seen = None;
        for _ in 0..if restarts { 5000 } else { 100 } {
            seen = found(&std::fs::read(&environ).unwrap());
            if restarts && seen.as_deref() == Some(expected.as_bytes()) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // The process waits for the file whatever was seen: write it before any check.
        std::fs::write(&fifo, &text).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(seen.as_deref(), Some(expected.as_bytes()), "GLIBC_TUNABLES of the running command");
        assert!(status.success());
        summaries.push(std::fs::read_to_string(out.join("summary.json")).unwrap());
    }
    assert_eq!(summaries[0], summaries[1], "huge pages changed a result");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The README shows what the default command prints: its two lines of ratios are the command's
/// (the seconds the estimate took aside), and the folder holds what the README says: plots, no
/// animation unless asked for, at most 3 MB a run.
#[test]
fn the_default_command_prints_what_the_readme_shows() {
    let dir = std::env::temp_dir().join(format!("p2psim-cli-default-{}", std::process::id()));
    let run = p2psim().args(["experiment", "--out", dir.to_str().unwrap()]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    // "(mean ± 95 % interval, 0.0 s)": the time is the machine's.
    let untimed = |line: &str| match (line.find(", "), line.find(" s):")) {
        (Some(a), Some(b)) if a < b && line.starts_with("pull against push") => {
            format!("{}{}", &line[..a], &line[b + 2..])
        }
        _ => line.to_owned(),
    };
    let ratios = stdout.lines().find(|l| l.starts_with("pull against push")).expect("the ratios line");
    let shown = readme.lines().find(|l| l.starts_with("pull against push")).expect("the README shows it");
    assert_eq!(untimed(shown), untimed(ratios), "README.md shows stale ratios");
    let pair = stdout.lines().find(|l| l.trim_start().starts_with("this pair of runs")).expect("the pair line");
    let pair = pair.split(". ").next().unwrap();
    assert!(readme.contains(&format!("{pair}. ...")), "README.md shows a stale pair line; the command prints:\n{pair}");
    // The comparison's page: the ratios printed, and links to both runs' pages.
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let mean = ratios.split("delay ").nth(1).unwrap().split(',').next().unwrap();
    assert!(page.contains(&format!("<td>{mean}</td>")), "the page shows the delay ratio {mean}");
    assert!(page.contains("href=\"push/index.html\"") && page.contains("href=\"pull/index.html\""));
    for run in ["push", "pull"] {
        let folder = dir.join(run);
        assert!(folder.join("index.html").exists(), "{run}: its page");
        assert!(folder.join("delays.png").exists() && folder.join("summary.json").exists());
        assert!(!folder.join("graph.gif").exists() && !folder.join("frames").exists(), "no animation by default");
        let bytes: u64 = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
        assert!(bytes <= 3_000_000, "{run}: {bytes} bytes, more than 3 MB");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every shipped experiment of the built-in protocols runs through the plain command and leaves
/// a picture (those of protocols of your own run through their example programs, in CI; the
/// million-peer ones through the scale runner).
#[test]
fn every_shipped_experiment_runs_through_the_command_and_draws_its_picture() {
    let dir = std::env::temp_dir().join(format!("p2psim-cli-examples-{}", std::process::id()));
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/experiments");
    let mut ran = 0;
    for entry in std::fs::read_dir(examples).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let own_protocols = ["gossip-p", "nb02", "plumtree"].contains(&name.as_str());
        if own_protocols || name.contains("-1m-") || name.contains("-10m-") {
            continue;
        }
        let out = dir.join(&name);
        let run = p2psim().arg("experiment").arg(&path).arg("--out").arg(&out).output().unwrap();
        assert!(run.status.success(), "{name}: {}", String::from_utf8_lossy(&run.stderr));
        // The scale experiments ask for no plots (`plots: false`), and get none.
        let plots = !std::fs::read_to_string(&path).unwrap().contains("plots: false");
        let picture = out.join("graph.png").exists() && out.join("bandwidth.png").exists();
        assert_eq!(picture, plots, "{name}: pictures {picture}, plots asked for {plots}");
        ran += 1;
    }
    assert!(ran >= 8, "{ran} experiments");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The report page in a real headless browser (Debian's chromium; runs when
/// `P2PSIM_BROWSER_TESTS` is set, as `.ci/run` sets it after installing chromium): it loads with
/// no console message, the slider changes the picture (the page's self-test, `#selftest`), and
/// the summary table, the frames, the plots and the configuration are in the document.
#[test]
fn the_report_page_works_in_a_headless_browser() {
    if std::env::var_os("P2PSIM_BROWSER_TESTS").is_none() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("p2psim-cli-browser-{}", std::process::id()));
    let run = p2psim().args(["experiment", "--out", dir.to_str().unwrap()]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let page = format!("file://{}#selftest", dir.join("push/index.html").display());
    let browser = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--dump-dom", &page])
        .output()
        .expect("chromium is installed");
    let (dom, log) = (String::from_utf8_lossy(&browser.stdout), String::from_utf8_lossy(&browser.stderr));
    assert!(browser.status.success(), "{log}");
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    assert!(dom.contains("<body data-selftest=\"ok\">"), "the slider did not change the picture");
    for element in
        ["<table id=\"summary\">", "<div id=\"frames\">", "<pre id=\"configuration\">", "<img alt=\"delays.png\""]
    {
        assert!(dom.contains(element), "{element} is missing");
    }
    assert_eq!(dom.matches("<div class=\"frame\"").count(), 61, "a frame per snapshot, every 100 ms of 6 s");
    // The comparison's page, which has no slider, loads as cleanly and links both runs.
    let page = format!("file://{}#selftest", dir.join("index.html").display());
    let browser = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--dump-dom", &page])
        .output()
        .unwrap();
    let (dom, log) = (String::from_utf8_lossy(&browser.stdout), String::from_utf8_lossy(&browser.stderr));
    assert!(!log.lines().any(|l| l.contains(":CONSOLE")), "{log}");
    assert!(dom.contains("<table id=\"ratios\">") && dom.contains("href=\"push/index.html\""), "{dom}");
    std::fs::remove_dir_all(&dir).unwrap();
}
