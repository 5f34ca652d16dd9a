//! The `experiment` command from the outside: exit status 2 and no output folder on bad input.

use std::process::Command;

fn xtask() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
}

#[test]
fn bad_input_exits_with_status_2_names_the_place_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("p2psim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.ron");
    let good =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/experiments/gossip.ron")).unwrap();
    std::fs::write(&bad, good.replacen("count: 25", "count: 25, colour: 3", 1)).unwrap();
    let out = dir.join("results");
    let run = xtask().args(["experiment", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("bad.ron:") && stderr.contains("colour"), "{stderr}");
    assert!(!out.exists(), "no half-written output folder");
    let missing = xtask().args(["experiment", dir.join("none.ron").to_str().unwrap()]).output().unwrap();
    assert_eq!(missing.status.code(), Some(1), "an unreadable file is not a user's typo");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_good_run_writes_the_whole_folder() {
    let dir = std::env::temp_dir().join(format!("p2psim-cli-ok-{}", std::process::id()));
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/experiments/gossip.ron");
    let run = xtask().args(["experiment", file, "--out", dir.to_str().unwrap(), "--seed", "7"]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for f in
        ["experiment.ron", "summary.json", "delays.csv", "copies.csv", "traffic.csv", "convergence.csv", "topology.dot"]
    {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(summary.contains("\"seed\": 7"), "{summary}");
    let rerun = dir.with_extension("rerun");
    let again = xtask()
        .args(["experiment", dir.join("experiment.ron").to_str().unwrap(), "--out", rerun.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert_eq!(std::fs::read_to_string(rerun.join("summary.json")).unwrap(), summary, "experiment.ron reruns as is");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&rerun).unwrap();
}
