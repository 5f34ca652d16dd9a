//! The scale runner answers bad arguments and bad files with usage or one error, exit status 2,
//! never a panic; and a good run prints its one line of figures.

use std::process::Command;

fn scale(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scale")).args(args).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn bad_arguments_get_usage_and_status_2() {
    for args in [&[][..], &["nonsense"], &["p2psim"], &["p2psim", "many"], &["floor", "10", "-3"], &["main", "x.ron"]] {
        let (code, _, err) = scale(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("Usage") || err.contains("--help"), "{args:?}: usage or where to find it: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_bad_file_gets_one_located_error_and_status_2() {
    let dir = std::env::temp_dir().join(format!("scale-args-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.ron");
    std::fs::write(&file, "Experiment(\n    name: \"x\",\n    seeed: 1,\n)\n").unwrap();
    let (code, out, err) = scale(&["experiment", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty() && !err.contains("panicked"), "{err}");
    assert!(err.contains("bad.ron:3:5") && err.contains("seeed"), "{err}");
    let (code, _, err) = scale(&["experiment", dir.join("missing.ron").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such file"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_flood_prints_its_figures() {
    let (code, out, err) = scale(&["floor", "200", "2"]);
    assert_eq!(code, 0, "{err}");
    let fields: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(&fields[..3], ["floor", "200", "2"], "{out}");
    assert!(fields[3].parse::<u64>().unwrap() > 200, "two messages over 200 peers take more events than peers: {out}");
}

#[test]
fn the_partitioned_flood_refuses_bad_process_counts_and_handles_the_same_events_at_any_count() {
    for lps in ["0", "101", "-1", "two"] {
        let (code, out, err) = scale(&["windowed", "100", "1", "--lps", lps]);
        assert_eq!(code, 2, "--lps {lps}: {err}");
        assert!(out.is_empty() && !err.contains("panicked"), "--lps {lps}: {err}");
    }
    let figures = |lps: &str| {
        let (code, out, err) = scale(&["windowed", "2000", "3", "--lps", lps]);
        assert_eq!(code, 0, "{err}");
        let f: Vec<String> = out.split_whitespace().map(str::to_owned).collect();
        // events, copies; every copy of each of the 3 messages: 8 + 7 (n - 1) per message.
        (f[3].clone(), f[4].clone())
    };
    let one = figures("1");
    assert_eq!(one.1, (3 * (8 + 7 * 1999)).to_string());
    assert_eq!(figures("3"), one);
}
