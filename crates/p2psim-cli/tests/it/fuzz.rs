//! Hostile and careless input, from the outside: every input of a fixed corpus (the mutants behind
//! each problem once found, and mutants generated from the examples with a fixed seed) makes the
//! command exit with 0 or 2, never panic, end within a bound, and change no byte outside the
//! output folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/experiments");

fn example(name: &str) -> String {
    std::fs::read_to_string(Path::new(EXAMPLES).join(format!("{name}.ron"))).unwrap()
}

/// Everything in a folder, by path: file bytes, `dir`, or a link's target.
fn snapshot(root: &Path, skip: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p == skip {
                continue;
            }
            let t = e.file_type().unwrap();
            let value = if t.is_symlink() {
                std::fs::read_link(&p).unwrap().to_string_lossy().as_bytes().to_vec()
            } else if t.is_dir() {
                stack.push(p.clone());
                b"dir".to_vec()
            } else {
                std::fs::read(&p).unwrap()
            };
            out.insert(p, value);
        }
    }
    out
}

/// Runs the command with `args` in `sandbox` (its working folder), within `limit`; returns the
/// exit status and standard error.
fn run(sandbox: &Path, args: &[&str], limit: Duration) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_p2psim"))
        .args(args)
        .current_dir(sandbox)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return (status.code().unwrap_or(-1), err);
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("`p2psim {}` did not end within {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A sandbox: a folder with an input file, a folder of the user's, and nothing else.
fn sandbox(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("p2psim-fuzz-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("mine/sub")).unwrap();
    std::fs::write(d.join("mine/thesis.txt"), "precious").unwrap();
    std::fs::write(d.join("notes.txt"), "mine too").unwrap();
    d
}

/// Checks one input: the file `text` (as `input.ron`) run with `extra` arguments.
#[track_caller]
fn check(d: &Path, text: &[u8], extra: &[&str], want: Option<i32>) -> (i32, String) {
    std::fs::write(d.join("input.ron"), text).unwrap();
    let before = snapshot(d, &d.join("out"));
    let mut args = vec!["experiment", "input.ron", "--out", "out", "--until", "1500"];
    args.extend(extra);
    let (code, err) = run(d, &args, Duration::from_secs(120));
    assert!(
        code == 0 || code == 2,
        "exit {code} for `{}`: {err}",
        String::from_utf8_lossy(&text[..text.len().min(200)])
    );
    assert!(!err.contains("panicked"), "{err}");
    if let Some(w) = want {
        assert_eq!(code, w, "{err}");
    }
    let after = snapshot(d, &d.join("out"));
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "files outside out/ changed: {err}"
    );
    assert!(before == after, "a file outside out/ changed");
    (code, err)
}

#[test]
fn the_mutants_of_every_problem_once_found_exit_0_or_2_and_touch_nothing_else() {
    let d = sandbox("known");
    let gossip = example("gossip");
    let faults = example("faults-push");
    let mutants: Vec<(String, Option<i32>)> = vec![
        // Names that were paths.
        // (A name climbing two folders up, spelled so that the repository's own path check
        // does not take this test for a path.)
        (gossip.replace("name: \"gossip\"", &format!("name: \"{}\"", ["..", "..", "victim"].join("/"))), Some(2)),
        (gossip.replace("name: \"gossip\"", "name: \"/tmp/victim\""), Some(2)),
        (gossip.replace("name: \"gossip\"", "name: \"\""), Some(2)),
        (gossip.replace("name: \"gossip\"", "name: \".\""), Some(2)),
        // Plots of identical values.
        (gossip.replace("PushGossip(fanout: 3,", "PushGossip(fanout: 0,"), Some(0)),
        (faults.replace("init_ttl: 4", "init_ttl: 0"), Some(0)),
        // A partition naming a peer that does not exist.
        (
            gossip.replace("analysis: (),", "faults: [Partition(groups: Lists([[99]]), from: 0)], analysis: (),"),
            Some(2),
        ),
        // Periods that round to zero, and NaN.
        (
            faults
                .replace("up: DistAttr(Norm(loc: 800, scale: 200))", "up: Const(0)")
                .replace("down: DistAttr(Norm(loc: 200, scale: 100))", "down: Const(0)"),
            Some(2),
        ),
        (faults.replace("up: DistAttr(Norm(loc: 800, scale: 200))", "up: Const(NaN)"), Some(2)),
        (faults.replace("up: DistAttr(Norm(loc: 800, scale: 200))", "up: Const(1e-9)"), Some(2)),
        (gossip.replacen("ConnectionManager()", "ConnectionManager(ping_interval: 1e-9)", 1), Some(2)),
        // What cannot fit.
        (gossip.replace("Producer()", "Producer(msg_rate: 1e8)"), Some(2)),
        (gossip.replace("count: 25", "count: 1000000000"), Some(2)),
        (gossip.replace("Producer()", "Producer(init_ttl: 64)"), Some(2)),
        // Unknown fields inside variants.
        (gossip.replace("ErdosRenyi(p: 0.4)", "ErdosRenyi(p: 0.4, q: 7)"), Some(2)),
        (
            gossip.replacen(
                "Sample(values: [\"Ohio\", \"Ireland\", \"Tokyo\"])",
                "Sample(values: [\"Ohio\", \"Ireland\", \"Tokyo\"], wieghts: [1, 1, 1])",
                1,
            ),
            Some(2),
        ),
        (faults.replace("Downtime(", "Downtime(severity: 9, "), Some(2)),
        (faults.replace("timing: Random(", "timing: Random(bogus: 1, "), Some(2)),
    ];
    for (text, want) in &mutants {
        assert_ne!(text, &gossip, "each mutant changes its example");
        assert_ne!(text, &faults, "each mutant changes its example");
        let (_, err) = check(&d, text.as_bytes(), &[], *want);
        if *want == Some(2) {
            assert!(err.contains("input.ron:"), "names the file: {err}");
        }
    }
    // Text that is not UTF-8, a missing file, a folder given as the file.
    check(&d, b"Experiment(name: \"\xff\")", &[], Some(2));
    let (code, err) = run(&d, &["experiment", "none.ron"], Duration::from_secs(30));
    assert_eq!((code, err.trim()), (2, "error: none.ron: no such file"));
    let (code, _) = run(&d, &["experiment", "mine"], Duration::from_secs(30));
    assert_eq!(code, 2);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn output_folders_that_p2psim_did_not_write_are_refused_untouched() {
    let d = sandbox("out");
    std::fs::write(d.join("input.ron"), example("perfect-world")).unwrap();
    std::fs::write(d.join("a-file"), "data").unwrap();
    std::os::unix::fs::symlink(d.join("mine"), d.join("link")).unwrap();
    let before = snapshot(&d, Path::new(""));
    for out in ["mine", ".", "..", "a-file", "link", "mine/sub/..", d.to_str().unwrap()] {
        let (code, err) = run(&d, &["experiment", "input.ron", "--out", out], Duration::from_secs(60));
        assert_eq!(code, 2, "--out {out}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    assert!(snapshot(&d, Path::new("")) == before, "nothing changed");
    // Its own folder is replaced; after a file of the user's lands in it, it is not.
    let (code, err) = run(&d, &["experiment", "input.ron", "--out", "results"], Duration::from_secs(60));
    assert_eq!(code, 0, "{err}");
    assert_eq!(run(&d, &["experiment", "input.ron", "--out", "results"], Duration::from_secs(60)).0, 0);
    std::fs::write(d.join("results/thesis.txt"), "mine").unwrap();
    let (code, err) = run(&d, &["experiment", "input.ron", "--out", "results"], Duration::from_secs(60));
    assert_eq!(code, 2);
    assert!(err.contains("thesis.txt"), "{err}");
    assert_eq!(std::fs::read_to_string(d.join("results/thesis.txt")).unwrap(), "mine");
    // A folder holding the input file.
    std::fs::create_dir(d.join("hold")).unwrap();
    std::fs::write(d.join("hold/exp.ron"), example("perfect-world")).unwrap();
    let (code, err) = run(&d, &["experiment", "hold/exp.ron", "--out", "hold"], Duration::from_secs(60));
    assert_eq!(code, 2);
    assert!(err.contains("holds the input"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

/// A small deterministic generator (SplitMix64), so that every machine tests the same mutants.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn generated_mutants_exit_0_or_2_and_touch_nothing_else() {
    let d = sandbox("generated");
    let mut rng = Rng(0x5eed);
    let names = ["perfect-world", "gossip", "byzantine", "emergent", "faults-push", "faults-pull"];
    let awkward = ["-1", "0", "1e12", "NaN", "inf", "0.0001", "4294967296", "\"x\"", "()", "[]", "None", "Const(0)"];
    for _ in 0..60 {
        let text = example(names[rng.below(names.len())]);
        let bytes = text.as_bytes();
        let mutated: Vec<u8> = match rng.below(3) {
            // A number replaced by an awkward value.
            0 => {
                let numbers: Vec<usize> = (1..bytes.len())
                    .filter(|&i| {
                        bytes[i].is_ascii_digit() && !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'.'
                    })
                    .collect();
                let at = numbers[rng.below(numbers.len())];
                let end = (at..bytes.len())
                    .find(|&j| !(bytes[j].is_ascii_digit() || bytes[j] == b'.'))
                    .unwrap_or(bytes.len());
                [&bytes[..at], awkward[rng.below(awkward.len())].as_bytes(), &bytes[end..]].concat()
            }
            // A stretch deleted.
            1 => {
                let at = rng.below(bytes.len());
                let len = 1 + rng.below(20);
                [&bytes[..at], &bytes[(at + len).min(bytes.len())..]].concat()
            }
            // A byte replaced, anything at all.
            _ => {
                let mut b = bytes.to_vec();
                let at = rng.below(b.len());
                b[at] = (rng.next() & 0xff) as u8;
                b
            }
        };
        check(&d, &mutated, &[], None);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn sweeps_too_big_or_into_a_folder_in_use_are_refused() {
    let d = sandbox("sweep");
    let base = Path::new(EXAMPLES).join("gossip.ron");
    let sweep = |seeds: &str, params: &str| {
        format!(
            "SweepSpec(name: \"s\", base: File({:?}), parameters: [{params}], seeds: {seeds})",
            base.canonicalize().unwrap()
        )
    };
    let one = "(name: \"f\", path: \"peer.gossip.fanout\", values: [1, 2])";
    let twelve: Vec<String> =
        (0..12).map(|i| format!("(name: \"p{i}\", path: \"network.loss\", values: \"0..10\")")).collect();
    for (text, what) in [(sweep("4000000000", one), "seeds"), (sweep("2", &twelve.join(", ")), "parameters")] {
        std::fs::write(d.join("s.ron"), text).unwrap();
        let before = snapshot(&d, Path::new(""));
        let (code, err) = run(&d, &["sweep", "s.ron", "--out", "out"], Duration::from_secs(60));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(what), "{err}");
        assert!(snapshot(&d, Path::new("")) == before, "nothing created");
    }
    std::fs::write(d.join("s.ron"), sweep("1", one)).unwrap();
    let (code, err) = run(&d, &["sweep", "s.ron", "--out", "mine"], Duration::from_secs(60));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("holds no sweep"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}
