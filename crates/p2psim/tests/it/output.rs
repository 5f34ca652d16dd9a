//! What a run writes: the per-peer tables follow `analysis.peer_tables`; the per-second traffic
//! is always there and agrees with the per-peer table it summarises.

use p2psim::{Experiment, PeerTables};

use crate::example;

fn written(exp: &Experiment, tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("p2psim-output-{}-{tag}", std::process::id()));
    let mut sim = crate::sim(exp);
    sim.run().unwrap();
    crate::write(&sim, &dir).unwrap();
    dir
}

fn rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect()
}

#[test]
fn per_peer_tables_follow_the_switch_and_per_second_traffic_is_always_written() {
    let (_, mut exp) = example("gossip");
    exp.analysis.plots = true;
    let mut dirs = Vec::new();
    for mode in [PeerTables::Auto, PeerTables::Always, PeerTables::Never] {
        exp.analysis.peer_tables = mode;
        dirs.push(written(&exp, &format!("{mode:?}")));
    }
    let per_peer = ["delays.csv", "copies.csv", "traffic.csv", "delays.png", "copies.png"];
    let always = ["summary.json", "convergence.csv", "traffic-per-second.csv", "copies-histogram.png", "bandwidth.png"];
    for f in per_peer {
        assert!(dirs[0].join(f).is_file(), "Auto writes {f} for a small run");
        assert!(dirs[1].join(f).is_file(), "Always writes {f}");
        assert!(!dirs[2].join(f).exists(), "Never leaves out {f}");
    }
    for f in always {
        let text = std::fs::read(dirs[0].join(f)).unwrap();
        for d in &dirs[1..] {
            assert_eq!(std::fs::read(d.join(f)).unwrap(), text, "{f} is the same whatever the switch");
        }
    }

    // Each second's mean and median over peers, recomputed from the per-peer table.
    let traffic = rows(&dirs[1].join("traffic.csv"));
    let per_second = rows(&dirs[1].join("traffic-per-second.csv"));
    assert_eq!(per_second.len() as u64, exp.until_ms.div_ceil(1000));
    let mut busy = 0;
    for row in &per_second {
        let mut bytes: Vec<f64> = traffic.iter().filter(|r| r[0] == row[0]).map(|r| r[2].parse().unwrap()).collect();
        assert!(!bytes.is_empty());
        bytes.sort_by(f64::total_cmp);
        let mean = bytes.iter().sum::<f64>() / bytes.len() as f64;
        let n = bytes.len();
        let median = if n % 2 == 1 { bytes[n / 2] } else { (bytes[n / 2 - 1] + bytes[n / 2]) / 2.0 };
        let col = |i: usize| row[i].parse::<f64>().unwrap();
        assert!((col(2) - mean).abs() < 1e-6, "second {}: mean {} against {mean}", row[0], col(2));
        assert!((col(1) - median).abs() < 1e-6, "second {}: median {} against {median}", row[0], col(1));
        busy += usize::from(mean > 0.0);
    }
    assert!(busy >= 3, "gossip moves bytes in most seconds: {busy}");
    for d in dirs {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn auto_writes_the_per_peer_tables_up_to_ten_million_cells() {
    let max = PeerTables::AUTO_MAX_CELLS;
    assert!(PeerTables::Auto.wanted(max / 100, 100));
    assert!(!PeerTables::Auto.wanted(max / 100 + 1, 100));
    assert!(!PeerTables::Auto.wanted(1_000_000, 100), "the million-peer examples");
    assert!(!PeerTables::Auto.wanted(u64::MAX, 2), "no overflow");
    assert!(PeerTables::Always.wanted(u64::MAX, u64::MAX));
    assert!(!PeerTables::Never.wanted(1, 1));
}

/// `index.html` holds the run whole: a row per figure, a frame per snapshot behind a slider,
/// every plot drawn embedded, the configuration; the same run writes the same page.
#[test]
fn the_report_page_holds_the_summary_the_snapshots_the_plots_and_the_configuration() {
    let (_, exp) = example("faults-push");
    let dir = written(&exp, "html");
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let leaves = p2psim::analysis::numbers(&summary).len() + 2; // `experiment` and `rng` are text
    let rows = page.matches("<tr><td><code>").count();
    assert_eq!(rows, leaves + summary["delay_ms"].as_object().unwrap().values().filter(|v| v.is_null()).count());
    for key in ["delivery_ratio", "delay_ms.p99", "relative_message_redundancy", "dropped.receiver_offline"] {
        assert!(page.contains(&format!("<code>{key}</code>")), "{key}");
    }
    let snapshots = (exp.until_ms as f64 / exp.analysis.snapshot_every_ms.unwrap()) as usize + 1;
    assert_eq!(page.matches("<div class=\"frame\"").count(), snapshots);
    assert!(page.contains(&format!("max=\"{}\"", snapshots - 1)));
    let pngs =
        std::fs::read_dir(&dir).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "png"));
    assert_eq!(page.matches("<figure>").count(), pngs.count(), "every plot drawn is in the page");
    // Heatmaps are rasters, embedded as PNG; the graph and the line and bar plots are SVG.
    assert_eq!(page.matches("data:image/png;base64,").count(), 2, "delays.png and copies.png");
    assert_eq!(page.matches("<svg").count(), snapshots + 5, "a picture per snapshot, the graph, four plots");
    assert!(page.contains(&format!("name: &quot;{}&quot;", exp.name)), "the configuration, escaped");
    // (SVG's xmlns names a namespace; nothing is fetched.)
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"), "nothing from the network");
    let again = written(&exp, "html-again");
    assert_eq!(std::fs::read_to_string(again.join("index.html")).unwrap(), page);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&again).unwrap();
}
