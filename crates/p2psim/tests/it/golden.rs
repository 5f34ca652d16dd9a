//! Golden summaries of the small examples, in `test_data/<name>.summary.json`. A missing file is
//! written; `UPDATE_EXPECT=1 cargo test` rewrites them after an intended change.

use crate::{example, summary_json};

#[test]
fn summaries_match_their_golden_files() {
    let dir = format!("{}/test_data", env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    for name in ["perfect-world", "gossip", "byzantine", "emergent", "faults-push", "faults-pull"] {
        let (_, mut exp) = example(name);
        exp.analysis.snapshot_every_ms = None;
        let got = summary_json(&exp);
        let path = format!("{dir}/{name}.summary.json");
        match std::fs::read_to_string(&path) {
            Ok(want) if !update => assert_eq!(got, want, "{name}: summary changed; UPDATE_EXPECT=1 to accept"),
            _ => std::fs::write(&path, &got).unwrap(),
        }
    }
}
